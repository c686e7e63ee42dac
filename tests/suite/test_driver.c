/* Scenarios played through the CLR driver: start-up, adopted and created
   threads, x86- and x64-style P/Invoke, the CLR's own waits, the nested
   example of the documentation, reverse calls with and without an
   enclosing call and with exception exits, vetoes, protocol errors and
   shutdown. */
#include "../clr/clr_driver.h"

#include <stdlib.h>

/* ---- a recorder behind every hook ---------------------------------------- */

#define LOG_MAX 64

typedef struct hook_event {
    char kind;     /* 'L' leave, 'E' enter, 'R' reverse enter, 'r' reverse leave, 'B' begin, 'X' end */
    unsigned depth;
    SIZE_T target;
    DWORD thread;
} hook_event;

typedef struct recorder {
    clrhost_task_manager *m;
    test_mutex *lock;
    int n;
    hook_event events[LOG_MAX];
    long begins, ends, asks, warnings;
    SIZE_T refuse_target;      /* leave_runtime vetoes calls to it */
    HRESULT reverse_answer;    /* what reverse_enter_runtime returns */
    SIZE_T unhooked_target;    /* needs_hook says FALSE for it */
    int use_needs_hook;
    DWORD clobber;             /* hooks set this last-error value (0: leave it) */
    int refuse_threads;
    long end_saw_current;      /* task_end found its task current */
} recorder;

static void record(recorder *r, char kind, clrhost_task *task, SIZE_T target)
{
    test_mutex_lock(r->lock);
    if (r->n < LOG_MAX) {
        hook_event *e = &r->events[r->n++];
        e->kind = kind;
        e->depth = clrhost_task_depth(task);
        e->target = target;
        e->thread = clrhost_task_thread_id(task);
    }
    test_mutex_unlock(r->lock);
    if (r->clobber)
        test_set_last_error(r->clobber);
}

static HRESULT on_leave(void *user, clrhost_task *task, SIZE_T target)
{
    recorder *r = (recorder *)user;
    record(r, 'L', task, target);
    return target == r->refuse_target ? E_ACCESSDENIED : S_OK;
}
static void on_enter(void *user, clrhost_task *task) { record((recorder *)user, 'E', task, 0); }
static HRESULT on_reverse_enter(void *user, clrhost_task *task)
{
    recorder *r = (recorder *)user;
    record(r, 'R', task, 0);
    return r->reverse_answer;
}
static void on_reverse_leave(void *user, clrhost_task *task) { record((recorder *)user, 'r', task, 0); }
static BOOL on_needs_hook(void *user, SIZE_T target)
{
    recorder *r = (recorder *)user;
    T_INC(&r->asks);
    if (r->clobber)
        test_set_last_error(r->clobber);
    return target != r->unhooked_target;
}
static void on_begin(void *user, clrhost_task *task)
{
    recorder *r = (recorder *)user;
    T_INC(&r->begins);
    CHECK_EQ(clrhost_task_thread_id(task), test_thread_id()); /* on the task's own thread */
}
static void on_end(void *user, clrhost_task *task)
{
    recorder *r = (recorder *)user;
    T_INC(&r->ends);
    CHECK_EQ(clrhost_task_thread_id(task), test_thread_id());
    if (clrhost_task_current(r->m) == task)
        T_INC(&r->end_saw_current);
}
static BOOL on_admit(void *user, DWORD thread_id)
{
    (void)thread_id;
    return !((recorder *)user)->refuse_threads;
}
static void on_log(void *user, clrhost_task_log_level level, clrhost_task *task, const char *message)
{
    (void)task;
    CHECK(message != NULL && message[0] != 0);
    if (level == CLRHOST_TASK_LOG_WARNING)
        T_INC(&((recorder *)user)->warnings);
}

/* One manager with every hook on the recorder, and the CLR driver. */
typedef struct fixture {
    counting_allocator a;
    clrhost_task_config cfg;
    recorder r;
    clrhost_task_manager *m;
    IHostControl *hc;
    clr_sim clr;
} fixture;

static void fixture_config(fixture *f)
{
    memset(f, 0, sizeof *f);
    test_config(&f->cfg, &f->a);
    f->r.lock = test_mutex_new();
    f->r.reverse_answer = S_OK;
    f->cfg.hooks.user = &f->r;
    f->cfg.hooks.leave_runtime = on_leave;
    f->cfg.hooks.enter_runtime = on_enter;
    f->cfg.hooks.reverse_enter_runtime = on_reverse_enter;
    f->cfg.hooks.reverse_leave_runtime = on_reverse_leave;
    f->cfg.hooks.task_begin = on_begin;
    f->cfg.hooks.task_end = on_end;
    f->cfg.admit_thread = on_admit;
    f->cfg.log_fn = on_log;
}

static void fixture_start(fixture *f, clr_pinvoke_style style, IHostControl *inner)
{
    if (f->r.use_needs_hook)
        f->cfg.hooks.needs_hook = on_needs_hook;
    CHECK_HR(clrhost_task_manager_create(&f->cfg, &f->m), S_OK);
    f->r.m = f->m;
    CHECK_HR(clrhost_task_host_control_create(f->m, inner, &f->hc), S_OK);
    clr_init(&f->clr, style);
    CHECK_HR(clr_set_host_control(&f->clr, f->hc), S_OK);
    CHECK(f->clr.tm == clrhost_task_manager_iface(f->m));
}

/* The CLR's references go, then the host's: everything must be returned. */
static void fixture_finish(fixture *f)
{
    clrhost_task_manager_stats st;
    CHECK_HR(clrhost_task_manager_get_stats(f->m, &st), S_OK);
    CHECK_EQ(st.tasks_live, 0);
    CHECK_EQ(st.tasks_created + st.tasks_adopted, st.tasks_ended);
    clr_shutdown(&f->clr);
    CHECK_EQ(f->hc->lpVtbl->Release(f->hc), 0);
    CHECK_EQ(clrhost_task_manager_release(f->m), 0);
    CHECK_EQ(T_LOAD(&f->clr.clr_task_manager.refs), 0);
    CHECK_EQ(T_LOAD(&f->a.outstanding), 0);
    CHECK_EQ(T_LOAD(&f->a.bytes), 0);
    CHECK_EQ(T_LOAD(&f->r.begins), T_LOAD(&f->r.ends));
    test_mutex_free(f->r.lock);
}

/* Every fake ICLRTask makes one of the CLR's blocking waits inside
   ExitTask (the CLR's thread teardown can), so each thread's hook log ends
   with this pair and its counts include one more Leave/Enter. */
#define EXIT_EVENTS "LE"
#define EXIT_TASK_LEAVES 1 /* the L of EXIT_EVENTS, per thread */

static void check_events(recorder *r, const char *kinds)
{
    int i, n = (int)strlen(kinds);
    CHECK_EQ(r->n, n);
    for (i = 0; i < n && i < r->n; ++i)
        if (r->events[i].kind != kinds[i]) {
            char what[96];
            sprintf(what, "hook %d was '%c', expected '%c' (sequence %s)", i, r->events[i].kind, kinds[i], kinds);
            test_fail(__FILE__, __LINE__, what);
        }
}

/* ---- natives the managed side "calls" ----------------------------------- */

typedef struct native_ctx {
    fixture *f;
    int calls;
    unsigned depth_inside;
    BOOL in_native_inside;
    int other_calls; /* of them, through native_other */
} native_ctx;

static void native_work(void *p)
{
    native_ctx *n = (native_ctx *)p;
    clrhost_task *t = clrhost_task_current(n->f->m);
    n->calls += 1;
    n->depth_inside = clrhost_task_depth(t);
    n->in_native_inside = clrhost_task_in_native(t);
}

/* A second target, whose code differs from native_work's so that a linker
   that folds identical functions (MSVC's and lld-link's /OPT:ICF) cannot
   give the two one address. */
static void native_other(void *p)
{
    ((native_ctx *)p)->other_calls += 1;
    native_work(p);
}

/* ---- start-up ---------------------------------------------------------------- */

typedef struct start_ctx {
    fixture *f;
    HRESULT start_result;
    DWORD thread;
    fake_clr_task *clr_thread;
} start_ctx;

static void start_body(void *p)
{
    start_ctx *s = (start_ctx *)p;
    s->thread = test_thread_id();
    s->start_result = clr_start(&s->f->clr);
    s->clr_thread = s->f->clr.start_thread;
}

TEST_CASE(test_startup, "driver/startup")
{
    fixture f;
    fake_host_control inner;
    start_ctx s;
    clrhost_task_manager_stats st;
    int i;
    fixture_config(&f);
    fake_host_control_init(&inner);
    fixture_start(&f, CLR_X64, &inner.iface);

    /* SetHostControl: memory from the host's own control, task from ours,
       every other manager refused. */
    CHECK_HR(f.clr.manager_results[0], S_OK);
    CHECK_HR(f.clr.manager_results[1], S_OK);
    for (i = 2; i < 9; ++i)
        CHECK_HR(f.clr.manager_results[i], E_NOINTERFACE);
    CHECK_EQ(T_LOAD(&inner.get_host_manager_calls), 8); /* all but the task manager */
    CHECK_EQ(T_LOAD(&f.clr.clr_task_manager.refs), 1);  /* SetCLRTaskManager kept it */

    /* Start on the host's main thread (a thread of its own here, so that
       its exit can be watched). */
    s.f = &f;
    test_run_on_thread(start_body, &s);
    CHECK_HR(s.start_result, S_OK);
    CHECK(s.clr_thread != NULL);
    if (s.clr_thread) {
        CHECK_EQ(T_LOAD(&s.clr_thread->exit_calls), 1); /* at thread exit */
        CHECK_EQ(s.clr_thread->exit_thread, s.thread);  /* on the thread itself */
        CHECK_EQ(T_LOAD(&s.clr_thread->callback_mismatches), 0);
        fake_clr_task_free(s.clr_thread);
    }
    CHECK_EQ(T_LOAD(&f.r.begins), 1);
    CHECK_EQ(T_LOAD(&f.r.ends), 1);
    CHECK_EQ(T_LOAD(&f.r.end_saw_current), 1);
    CHECK_HR(clrhost_task_manager_get_stats(f.m, &st), S_OK);
    CHECK_EQ(st.tasks_adopted, 1);
    CHECK_EQ(st.tasks_ended, 1);
    fixture_finish(&f);
    CHECK_EQ(T_LOAD(&inner.refs), 0);
    CHECK_EQ(T_LOAD(&inner.memory_manager_refs), 0);
}

TEST_CASE(test_startup_refused_thread, "driver/startup_refused_thread")
{
    fixture f;
    start_ctx s;
    clrhost_task_manager_stats st;
    fixture_config(&f);
    f.r.refuse_threads = 1;
    fixture_start(&f, CLR_X64, NULL);
    s.f = &f;
    test_run_on_thread(start_body, &s);
    /* A NULL task on the Start thread fails start-up. */
    CHECK_HR(s.start_result, HOST_E_INVALIDOPERATION);
    CHECK(s.clr_thread == NULL);
    CHECK_HR(clrhost_task_manager_get_stats(f.m, &st), S_OK);
    CHECK_EQ(st.threads_refused, 1);
    CHECK_EQ(st.tasks_adopted, 0);
    fixture_finish(&f);
}

/* ---- threads the CLR creates ------------------------------------------------ */

typedef struct created_ctx {
    fixture *f;
    DWORD thread;
    native_ctx native;
    int pinvokes;
} created_ctx;

static void created_body(void *p)
{
    created_ctx *c = (created_ctx *)p;
    int i;
    c->thread = test_thread_id();
    for (i = 0; i < c->pinvokes; ++i)
        CHECK_HR(clr_pinvoke(&c->f->clr, (SIZE_T)&native_work, native_work, &c->native), S_OK);
}

TEST_CASE(test_created_threads, "driver/created_threads")
{
    enum { THREADS = 4, PINVOKES = 3 }; /* P/Invokes on each thread */
    fixture f;
    created_ctx c[THREADS];
    IHostTask *join[THREADS];
    fake_clr_task *clr_task[THREADS];
    clrhost_task_manager_stats st;
    int i;
    fixture_config(&f);
    f.cfg.flags = CLRHOST_TASK_COUNT_ASKS; /* the default policy counts only on request */
    fixture_start(&f, CLR_X64, NULL);
    for (i = 0; i < THREADS; ++i) {
        memset(&c[i], 0, sizeof c[i]);
        c[i].f = &f;
        c[i].native.f = &f;
        c[i].pinvokes = PINVOKES;
        /* Both ways a created thread meets its task: asked for or not. */
        CHECK_HR(clr_create_thread(&f.clr, i % 2 ? CLR_THREAD_POOL : CLR_THREAD_USER, 0, created_body, &c[i],
                                   &join[i], &clr_task[i]),
                 S_OK);
    }
    for (i = 0; i < THREADS; ++i) {
        CHECK_HR(join[i]->lpVtbl->Join(join[i], INFINITE, WAIT_NOTINDEADLOCK), S_OK);
        CHECK_EQ(c[i].native.calls, PINVOKES);
        CHECK_EQ(c[i].native.depth_inside, 1);
        CHECK(c[i].native.in_native_inside == TRUE);
        CHECK_EQ(T_LOAD(&clr_task[i]->exit_calls), 1);
        CHECK_EQ(clr_task[i]->exit_thread, c[i].thread);
        CHECK_EQ(T_LOAD(&clr_task[i]->callback_mismatches), 0);
        CHECK(clrhost_task_from_iface(join[i]) != NULL);
        CHECK(clrhost_task_is_adopted(clrhost_task_from_iface(join[i])) == FALSE);
        CHECK_EQ(clrhost_task_thread_id(clrhost_task_from_iface(join[i])), c[i].thread);
        CHECK_EQ(join[i]->lpVtbl->Release(join[i]), 0); /* the thread object let go at ExitTask */
        fake_clr_task_free(clr_task[i]);
    }
    CHECK_HR(clrhost_task_manager_get_stats(f.m, &st), S_OK);
    CHECK_EQ(st.tasks_created, THREADS);
    CHECK_EQ(st.tasks_ended, THREADS);
    CHECK_EQ(st.tasks_freed, THREADS); /* the last references went above */
    CHECK_EQ(st.totals.leave_runtime, THREADS * (PINVOKES + EXIT_TASK_LEAVES));
    CHECK_EQ(st.totals.enter_runtime, THREADS * (PINVOKES + EXIT_TASK_LEAVES));
    CHECK_EQ(st.totals.needs_hook_asks, THREADS * PINVOKES); /* the CLR's waits are never asked about */
    CHECK_EQ(st.totals.needs_hook_true, THREADS * PINVOKES);
    CHECK_EQ(st.totals.protocol_errors, 0);
    CHECK_EQ(T_LOAD(&f.r.begins), THREADS);
    fixture_finish(&f);
}

typedef struct stack_ctx {
    size_t usable;
} stack_ctx;

static void stack_body(void *p) { ((stack_ctx *)p)->usable = test_current_stack_size(); }

TEST_CASE(test_created_thread_stack_size, "driver/created_thread_stack_size")
{
    fixture f;
    stack_ctx s = {0};
    IHostTask *join;
    fake_clr_task *clr_task;
    const DWORD size = 16u * 1024u * 1024u; /* larger than any default */
    fixture_config(&f);
    fixture_start(&f, CLR_X64, NULL);
    CHECK_HR(clr_create_thread(&f.clr, CLR_THREAD_POOL, size, stack_body, &s, &join, &clr_task), S_OK);
    CHECK_HR(join->lpVtbl->Join(join, INFINITE, WAIT_NOTINDEADLOCK), S_OK);
    CHECK(s.usable >= size);
    join->lpVtbl->Release(join);
    fake_clr_task_free(clr_task);
    fixture_finish(&f);
}

/* ---- P/Invoke ---------------------------------------------------------------- */

typedef struct pinvoke_ctx {
    fixture *f;
    native_ctx a, b;
    fake_clr_task *clr_thread;
} pinvoke_ctx;

static void pinvoke_body(void *p)
{
    pinvoke_ctx *c = (pinvoke_ctx *)p;
    int i;
    CHECK_HR(clr_thread_enter(&c->f->clr, &c->clr_thread), S_OK);
    for (i = 0; i < 3; ++i)
        CHECK_HR(clr_pinvoke(&c->f->clr, (SIZE_T)&native_work, native_work, &c->a), S_OK);
    for (i = 0; i < 2; ++i)
        CHECK_HR(clr_pinvoke(&c->f->clr, (SIZE_T)&native_other, native_other, &c->b), S_OK);
}

static void run_pinvoke(clr_pinvoke_style style, long expected_asks)
{
    fixture f;
    pinvoke_ctx c;
    clrhost_task_manager_stats st;
    int i;
    fixture_config(&f);
    f.r.use_needs_hook = 1;
    f.r.unhooked_target = (SIZE_T)&native_other;
    fixture_start(&f, style, NULL);
    memset(&c, 0, sizeof c);
    c.f = &f;
    c.a.f = c.b.f = &f;
    test_run_on_thread(pinvoke_body, &c);
    CHECK_EQ(c.a.calls, 3);
    CHECK_EQ(c.b.calls, 2);
    CHECK_EQ(c.b.other_calls, 2);
    CHECK(&native_work != &native_other);
    CHECK_EQ(c.a.depth_inside, 1);
    CHECK_EQ(c.b.depth_inside, 0); /* not hooked: no notification at all */
    CHECK(c.b.in_native_inside == FALSE);
    CHECK_EQ(T_LOAD(&f.r.asks), expected_asks);
    check_events(&f.r, "LELELE" EXIT_EVENTS);
    for (i = 0; i < f.r.n; ++i) {
        CHECK_EQ(f.r.events[i].depth, 0); /* hooks run on the managed side */
        if (f.r.events[i].kind == 'L')
            CHECK(f.r.events[i].target == (i < 6 ? (SIZE_T)&native_work : test_clr_wait_target()));
    }
    CHECK_HR(clrhost_task_manager_get_stats(f.m, &st), S_OK);
    CHECK_EQ(st.totals.needs_hook_asks, expected_asks);
    CHECK_EQ(st.totals.needs_hook_true, style == CLR_X86 ? 1 : 3);
    CHECK_EQ(st.totals.leave_runtime, 3 + 1);
    CHECK_EQ(st.totals.enter_runtime, 3 + 1);
    if (c.clr_thread) {
        CHECK_EQ(T_LOAD(&c.clr_thread->exit_calls), 1);
        fake_clr_task_free(c.clr_thread);
    }
    fixture_finish(&f);
}

/* x86: asked once per target when it is bound. */
TEST_CASE(test_pinvoke_x86_style, "driver/pinvoke_x86_style") { run_pinvoke(CLR_X86, 2); }
/* x64: "We ask the host on every call" (vm/frames.cpp). */
TEST_CASE(test_pinvoke_x64_style, "driver/pinvoke_x64_style") { run_pinvoke(CLR_X64, 5); }

/* The default policy's answer; it counts the question only if asked to. */
static BOOL ask_default(const clrhost_task_config *cfg)
{
    clrhost_task_manager *m;
    IHostTaskManager *tm;
    clrhost_task_manager_stats st;
    BOOL answer = 2;
    CHECK_HR(clrhost_task_manager_create(cfg, &m), S_OK);
    tm = clrhost_task_manager_iface(m);
    CHECK_HR(tm->lpVtbl->CallNeedsHostHook(tm, (SIZE_T)&native_work, &answer), S_OK);
    CHECK_HR(clrhost_task_manager_get_stats(m, &st), S_OK);
    CHECK_EQ(st.totals.needs_hook_asks, (cfg->flags & CLRHOST_TASK_COUNT_ASKS) ? 1 : 0);
    CHECK_EQ(st.totals.needs_hook_true, (cfg->flags & CLRHOST_TASK_COUNT_ASKS) && answer ? 1 : 0);
    CHECK_EQ(clrhost_task_manager_release(m), 0);
    return answer;
}

TEST_CASE(test_default_policy, "driver/default_policy")
{
    clrhost_task_config cfg;
    memset(&cfg, 0, sizeof cfg);
    CHECK(ask_default(&cfg) == FALSE); /* nothing would use the notification */
    cfg.hooks.reverse_enter_runtime = on_reverse_enter;
    cfg.hooks.task_begin = on_begin;
    CHECK(ask_default(&cfg) == FALSE); /* reverse calls are never filtered anyway */
    memset(&cfg, 0, sizeof cfg);
    cfg.hooks.leave_runtime = on_leave;
    CHECK(ask_default(&cfg) == TRUE);
    memset(&cfg, 0, sizeof cfg);
    cfg.hooks.enter_runtime = on_enter;
    CHECK(ask_default(&cfg) == TRUE);
    memset(&cfg, 0, sizeof cfg);
    cfg.flags = CLRHOST_TASK_TIMING;
    CHECK(ask_default(&cfg) == TRUE);
    memset(&cfg, 0, sizeof cfg);
    cfg.flags = CLRHOST_TASK_HOOK_ALL_CALLS;
    CHECK(ask_default(&cfg) == TRUE);
    cfg.flags = CLRHOST_TASK_HOOK_ALL_CALLS | CLRHOST_TASK_COUNT_ASKS;
    CHECK(ask_default(&cfg) == TRUE);
    memset(&cfg, 0, sizeof cfg);
    cfg.flags = CLRHOST_TASK_COUNT_ASKS;
    CHECK(ask_default(&cfg) == FALSE);
}

static BOOL ask_modules(const char *module, SIZE_T target)
{
    clrhost_task_config cfg;
    clrhost_task_manager *m;
    IHostTaskManager *tm;
    const char *names[3];
    BOOL first = 2, second = 2;
    memset(&cfg, 0, sizeof cfg);
    names[0] = "no-such-module.dll";
    names[1] = module;
    names[2] = NULL;
    cfg.hook_modules = names;
    cfg.hooks.leave_runtime = on_leave; /* the module list overrides the default */
    CHECK_HR(clrhost_task_manager_create(&cfg, &m), S_OK);
    tm = clrhost_task_manager_iface(m);
    CHECK_HR(tm->lpVtbl->CallNeedsHostHook(tm, target, &first), S_OK);
    CHECK_HR(tm->lpVtbl->CallNeedsHostHook(tm, target, &second), S_OK); /* from the cache */
    CHECK(first == second);
    CHECK_EQ(clrhost_task_manager_release(m), 0);
    return first;
}

TEST_CASE(test_module_policy, "driver/module_policy")
{
    SIZE_T in_system = test_system_function();
    SIZE_T in_test = (SIZE_T)&native_work;
    char exact[64], upper[64];
    void *heap = malloc(16);
    size_t i;
    CHECK(ask_modules(test_system_module(), in_system) == TRUE);
    CHECK(ask_modules(test_system_module(), in_test) == FALSE);
    CHECK(ask_modules(test_system_module(), (SIZE_T)heap) == FALSE); /* in no module */
#ifdef _WIN32
    strcpy(exact, "kernel32.dll");
#else
    strcpy(exact, "libc.so.6");
#endif
    for (i = 0; i <= strlen(exact); ++i)
        upper[i] = (char)(exact[i] >= 'a' && exact[i] <= 'z' ? exact[i] - 'a' + 'A' : exact[i]);
    CHECK(ask_modules(exact, in_system) == TRUE);
    CHECK(ask_modules(upper, in_system) == TRUE);
    exact[3] = 0; /* a prefix of the name is not the name */
    CHECK(ask_modules(exact, in_system) == FALSE);
    free(heap);
}

typedef struct ending_ctx {
    clrhost_task_manager *m;
    BOOL answer_while_ending;
} ending_ctx;

static void ask_while_ending(void *user, clrhost_task *task)
{
    ending_ctx *c = (ending_ctx *)user;
    IHostTaskManager *tm = clrhost_task_manager_iface(c->m);
    (void)task;
    CHECK_HR(tm->lpVtbl->CallNeedsHostHook(tm, test_system_function(), &c->answer_while_ending), S_OK);
}

static void adopt_and_exit(void *p)
{
    ending_ctx *c = (ending_ctx *)p;
    IHostTaskManager *tm = clrhost_task_manager_iface(c->m);
    IHostTask *task = NULL;
    CHECK_HR(tm->lpVtbl->GetCurrentTask(tm, &task), S_OK);
    task->lpVtbl->Release(task);
}

/* On an ending thread (inside the OS's thread-exit callback) the module
   policy makes no loader call: an uncached module counts as not listed. */
TEST_CASE(test_module_policy_on_ending_thread, "driver/module_policy_on_ending_thread")
{
    counting_allocator a = {0};
    clrhost_task_config cfg;
    ending_ctx c;
    const char *names[2];
    BOOL answer = FALSE;
    IHostTaskManager *tm;
    names[0] = test_system_module();
    names[1] = NULL;
    test_config(&cfg, &a);
    cfg.hook_modules = names;
    cfg.hooks.user = &c;
    cfg.hooks.task_end = ask_while_ending;
    c.answer_while_ending = TRUE;
    CHECK_HR(clrhost_task_manager_create(&cfg, &c.m), S_OK);
    test_run_on_thread(adopt_and_exit, &c);
    CHECK(c.answer_while_ending == FALSE);
    tm = clrhost_task_manager_iface(c.m);
    CHECK_HR(tm->lpVtbl->CallNeedsHostHook(tm, test_system_function(), &answer), S_OK);
    CHECK(answer == TRUE); /* looked up on a live thread, then cached */
    c.answer_while_ending = FALSE;
    test_run_on_thread(adopt_and_exit, &c);
    CHECK(c.answer_while_ending == TRUE); /* from the cache: no loader call needed */
    CHECK_EQ(clrhost_task_manager_release(c.m), 0);
    CHECK_EQ(T_LOAD(&a.outstanding), 0);
}

/* ---- last error -------------------------------------------------------------- */

typedef struct error_ctx {
    fixture *f;
    fake_clr_task *clr_thread;
} error_ctx;

static void error_body(void *p)
{
    error_ctx *c = (error_ctx *)p;
    IHostTaskManager *tm = c->f->clr.tm;
    IHostTask *task = NULL;
    BOOL answer;
    test_set_last_error(1234);
    CHECK_HR(tm->lpVtbl->GetCurrentTask(tm, &task), S_OK); /* adopts: OS calls, hooks */
    CHECK_EQ(test_last_error(), 1234);
    task->lpVtbl->Release(task);
    test_set_last_error(1234);
    CHECK_HR(tm->lpVtbl->CallNeedsHostHook(tm, (SIZE_T)&native_work, &answer), S_OK);
    CHECK_EQ(test_last_error(), 1234);
    test_set_last_error(1234);
    CHECK_HR(tm->lpVtbl->LeaveRuntime(tm, (SIZE_T)&native_work), S_OK);
    CHECK_EQ(test_last_error(), 1234);
    test_set_last_error(4321);
    CHECK_HR(tm->lpVtbl->EnterRuntime(tm), S_OK);
    CHECK_EQ(test_last_error(), 4321);
    test_set_last_error(1234);
    CHECK_HR(tm->lpVtbl->ReverseEnterRuntime(tm), S_OK);
    CHECK_EQ(test_last_error(), 1234);
    test_set_last_error(4321);
    CHECK_HR(tm->lpVtbl->ReverseLeaveRuntime(tm), S_OK);
    CHECK_EQ(test_last_error(), 4321);
    test_set_last_error(1234);
    CHECK_HR(tm->lpVtbl->EnterRuntime(tm), S_OK); /* a protocol error, logged */
    CHECK_EQ(test_last_error(), 1234);
}

static void run_last_error(int with_hooks)
{
    fixture f;
    error_ctx c;
    fixture_config(&f);
    if (with_hooks) {
        f.r.use_needs_hook = 1;
        f.r.clobber = 99; /* every hook changes the last-error value */
    } else {
        memset(&f.cfg.hooks, 0, sizeof f.cfg.hooks);
        f.cfg.admit_thread = NULL;
        f.cfg.log_fn = NULL;
        f.cfg.flags = CLRHOST_TASK_TIMING;
    }
    fixture_start(&f, CLR_X64, NULL);
    c.f = &f;
    c.clr_thread = NULL;
    test_run_on_thread(error_body, &c);
    fixture_finish(&f);
}

/* Hooks (and our own OS calls: the FLS read clears it under Wine) leave the
   thread's last-error value as it was. */
TEST_CASE(test_last_error_preserved_with_hooks, "driver/last_error_preserved_with_hooks") { run_last_error(1); }
TEST_CASE(test_last_error_preserved_without_hooks, "driver/last_error_preserved_without_hooks") { run_last_error(0); }

/* ---- the CLR's own waits and timing ------------------------------------------ */

typedef struct timing_ctx {
    fixture *f;
    int mode; /* 0: one of the CLR's waits, 1: a P/Invoke */
    clrhost_task_counters counters;
    fake_clr_task *clr_thread;
} timing_ctx;

static void sleep_25(void *p) { (void)p; test_sleep_ms(25); }

static void timing_body(void *p)
{
    timing_ctx *c = (timing_ctx *)p;
    CHECK_HR(clr_thread_enter(&c->f->clr, &c->clr_thread), S_OK);
    if (c->mode == 0)
        CHECK_HR(clr_blocking_wait(&c->f->clr, sleep_25, NULL), S_OK);
    else
        CHECK_HR(clr_pinvoke(&c->f->clr, (SIZE_T)&sleep_25, sleep_25, NULL), S_OK);
    clrhost_task_get_counters(clrhost_task_current(c->f->m), &c->counters);
}

TEST_CASE(test_clr_waits_and_timing, "driver/clr_waits_and_timing")
{
    fixture f;
    timing_ctx wait, call;
    clrhost_task_manager_stats st;
    fixture_config(&f);
    f.cfg.flags = CLRHOST_TASK_TIMING | CLRHOST_TASK_COUNT_ASKS;
    fixture_start(&f, CLR_X64, NULL);
    memset(&wait, 0, sizeof wait);
    memset(&call, 0, sizeof call);
    wait.f = call.f = &f;
    call.mode = 1;
    test_run_on_thread(timing_body, &wait);
    test_run_on_thread(timing_body, &call);
    /* The CLR's own waits are notified without being asked about. */
    CHECK_EQ(wait.counters.needs_hook_asks, 0);
    CHECK_EQ(wait.counters.leave_runtime, 1);
    CHECK(wait.counters.native_wait_ns >= 20000000u);
    CHECK_EQ(wait.counters.native_call_ns, 0);
    CHECK_EQ(call.counters.needs_hook_asks, 1);
    CHECK(call.counters.native_call_ns >= 20000000u);
    CHECK_EQ(call.counters.native_wait_ns, 0);
    CHECK_HR(clrhost_task_manager_get_stats(f.m, &st), S_OK);
    CHECK(st.totals.native_wait_ns >= wait.counters.native_wait_ns);
    CHECK(st.totals.native_call_ns >= call.counters.native_call_ns);
    fake_clr_task_free(wait.clr_thread);
    fake_clr_task_free(call.clr_thread);
    fixture_finish(&f);
}

/* ---- nesting ------------------------------------------------------------------ */

typedef struct nest_ctx {
    fixture *f;
    unsigned depths[4];
    int managed_ran;
    unsigned long long managed_ms, whole_ms; /* the C#'s own time; the whole call's */
    clrhost_task_counters counters;
    fake_clr_task *clr_thread;
} nest_ctx;

static void second_c(void *p)
{
    nest_ctx *c = (nest_ctx *)p;
    c->depths[2] = clrhost_task_depth(clrhost_task_current(c->f->m));
    test_sleep_ms(10);
}

static int csharp(void *p)
{
    nest_ctx *c = (nest_ctx *)p;
    unsigned long long start;
    c->managed_ran = 1;
    c->depths[1] = clrhost_task_depth(clrhost_task_current(c->f->m));
    start = test_now_ms();
    test_sleep_ms(100); /* managed time: not time outside the runtime */
    c->managed_ms = test_now_ms() - start;
    CHECK_HR(clr_pinvoke(&c->f->clr, (SIZE_T)&second_c, second_c, c), S_OK);
    return 0;
}

static void first_c(void *p)
{
    nest_ctx *c = (nest_ctx *)p;
    c->depths[0] = clrhost_task_depth(clrhost_task_current(c->f->m));
    test_sleep_ms(10);
    CHECK_HR(clr_reverse_call(&c->f->clr, csharp, c), S_OK);
}

static void nest_body(void *p)
{
    nest_ctx *c = (nest_ctx *)p;
    unsigned long long start;
    CHECK_HR(clr_thread_enter(&c->f->clr, &c->clr_thread), S_OK);
    start = test_now_ms();
    /* VB calls C, C calls C#, C# calls C, and back (the LeaveRuntime docs). */
    CHECK_HR(clr_pinvoke(&c->f->clr, (SIZE_T)&first_c, first_c, c), S_OK);
    c->whole_ms = test_now_ms() - start;
    c->depths[3] = clrhost_task_depth(clrhost_task_current(c->f->m));
    clrhost_task_get_counters(clrhost_task_current(c->f->m), &c->counters);
}

TEST_CASE(test_nested_documentation_example, "driver/nested_documentation_example")
{
    fixture f;
    nest_ctx c;
    fixture_config(&f);
    f.cfg.flags = CLRHOST_TASK_TIMING;
    fixture_start(&f, CLR_X64, NULL);
    memset(&c, 0, sizeof c);
    c.f = &f;
    test_run_on_thread(nest_body, &c);
    CHECK(c.managed_ran);
    check_events(&f.r, "LRLErE" EXIT_EVENTS);
    CHECK_EQ(f.r.events[0].depth, 0);
    CHECK_EQ(f.r.events[1].depth, 1);
    CHECK_EQ(f.r.events[2].depth, 2);
    CHECK_EQ(f.r.events[3].depth, 2);
    CHECK_EQ(f.r.events[4].depth, 1);
    CHECK_EQ(f.r.events[5].depth, 0);
    CHECK(f.r.events[0].target == (SIZE_T)&first_c);
    CHECK(f.r.events[2].target == (SIZE_T)&second_c);
    CHECK_EQ(c.depths[0], 1);
    CHECK_EQ(c.depths[1], 2);
    CHECK_EQ(c.depths[2], 3);
    CHECK_EQ(c.depths[3], 0);
    /* 10 ms in each C function; the 100 ms of C# in between are managed:
       the native time fits in the whole call without the C#'s (each ms
       reading may lose up to 1 ms). */
    CHECK(c.counters.native_call_ns >= 18000000u);
    CHECK(c.counters.native_call_ns < (c.whole_ms - c.managed_ms + 2) * 1000000u);
    CHECK_EQ(c.counters.protocol_errors, 0);
    fake_clr_task_free(c.clr_thread);
    fixture_finish(&f);
}

/* ---- reverse calls ---------------------------------------------------------- */

typedef struct reverse_ctx {
    fixture *f;
    int ran;
    int throw_it;
    unsigned depth_inside;
    HRESULT result;
    fake_clr_task *clr_thread;
} reverse_ctx;

static int managed_callback(void *p)
{
    reverse_ctx *c = (reverse_ctx *)p;
    c->ran += 1;
    c->depth_inside = clrhost_task_depth(clrhost_task_current(c->f->m));
    return c->throw_it;
}

static void reverse_body(void *p)
{
    reverse_ctx *c = (reverse_ctx *)p;
    /* A native thread calls a managed delegate: it enters the runtime from
       outside and makes the reverse call with no P/Invoke around it. */
    CHECK_HR(clr_thread_enter(&c->f->clr, &c->clr_thread), S_OK);
    c->result = clr_reverse_call(&c->f->clr, managed_callback, c);
    CHECK_EQ(clrhost_task_depth(clrhost_task_current(c->f->m)), 0);
}

TEST_CASE(test_reverse_call_without_enclosing_call, "driver/reverse_call_without_enclosing_call")
{
    fixture f;
    reverse_ctx c;
    fixture_config(&f);
    fixture_start(&f, CLR_X64, NULL);
    memset(&c, 0, sizeof c);
    c.f = &f;
    test_run_on_thread(reverse_body, &c);
    CHECK_HR(c.result, S_OK);
    CHECK_EQ(c.ran, 1);
    CHECK_EQ(c.depth_inside, 1);
    check_events(&f.r, "Rr" EXIT_EVENTS);
    fake_clr_task_free(c.clr_thread);
    fixture_finish(&f);
}

TEST_CASE(test_reverse_call_exception_exit, "driver/reverse_call_exception_exit")
{
    fixture f;
    reverse_ctx c;
    clrhost_task_manager_stats st;
    fixture_config(&f);
    fixture_start(&f, CLR_X64, NULL);
    memset(&c, 0, sizeof c);
    c.f = &f;
    c.throw_it = 1;
    test_run_on_thread(reverse_body, &c);
    CHECK_HR(c.result, CLR_MANAGED_THREW);
    CHECK_EQ(c.ran, 1);
    check_events(&f.r, "Rr" EXIT_EVENTS); /* ReverseLeaveRuntime came during the unwind */
    CHECK_HR(clrhost_task_manager_get_stats(f.m, &st), S_OK);
    CHECK_EQ(st.totals.reverse_enter_runtime, 1);
    CHECK_EQ(st.totals.reverse_leave_runtime, 1);
    CHECK_EQ(st.totals.protocol_errors, 0);
    fake_clr_task_free(c.clr_thread);
    fixture_finish(&f);
}

/* An exception thrown by a callback, caught by the managed code that made
   the P/Invoke: the unwind closes the reverse frame first, skips the rest
   of the native code, then closes the native frame. */
typedef struct unwind_ctx {
    fixture *f;
    int native_resumed; /* the native code ran on after the callback: must not */
    int managed_ran;
    HRESULT pinvoke_result;
    unsigned depth_after;
    fake_clr_task *clr_thread;
} unwind_ctx;

static int throwing_callback(void *p)
{
    ((unwind_ctx *)p)->managed_ran = 1;
    return 1; /* throws */
}

static void native_calling_back(void *p)
{
    unwind_ctx *c = (unwind_ctx *)p;
    (void)clr_reverse_call(&c->f->clr, throwing_callback, c);
    c->native_resumed = 1;
}

static void unwind_body(void *p)
{
    unwind_ctx *c = (unwind_ctx *)p;
    CHECK_HR(clr_thread_enter(&c->f->clr, &c->clr_thread), S_OK);
    c->pinvoke_result = clr_pinvoke(&c->f->clr, (SIZE_T)&native_calling_back, native_calling_back, c);
    c->depth_after = clrhost_task_depth(clrhost_task_current(c->f->m));
}

TEST_CASE(test_exception_unwinds_past_native_frames, "driver/exception_unwinds_past_native_frames")
{
    fixture f;
    unwind_ctx c;
    clrhost_task_manager_stats st;
    fixture_config(&f);
    fixture_start(&f, CLR_X64, NULL);
    memset(&c, 0, sizeof c);
    c.f = &f;
    test_run_on_thread(unwind_body, &c);
    CHECK(c.managed_ran);
    CHECK(!c.native_resumed);
    CHECK_HR(c.pinvoke_result, CLR_MANAGED_THREW); /* caught by the P/Invoke's caller */
    CHECK_EQ(c.depth_after, 0);
    check_events(&f.r, "LRrE" EXIT_EVENTS); /* innermost first */
    CHECK_HR(clrhost_task_manager_get_stats(f.m, &st), S_OK);
    CHECK_EQ(st.totals.protocol_errors, 0);
    fake_clr_task_free(c.clr_thread);
    fixture_finish(&f);
}

/* ---- vetoes --------------------------------------------------------------- */

typedef struct veto_ctx {
    fixture *f;
    native_ctx native;
    HRESULT pinvoke_result, reverse_result, reverse_s_false;
    reverse_ctx reverse;
    fake_clr_task *clr_thread;
} veto_ctx;

static void veto_body(void *p)
{
    veto_ctx *c = (veto_ctx *)p;
    recorder *r = &c->f->r;
    CHECK_HR(clr_thread_enter(&c->f->clr, &c->clr_thread), S_OK);
    c->pinvoke_result = clr_pinvoke(&c->f->clr, (SIZE_T)&native_other, native_other, &c->native);
    CHECK_EQ(clrhost_task_depth(clrhost_task_current(c->f->m)), 0);
    r->reverse_answer = S_FALSE; /* a success code: let it run */
    c->reverse_s_false = clr_reverse_call(&c->f->clr, managed_callback, &c->reverse);
    r->reverse_answer = E_ACCESSDENIED;
    c->reverse_result = clr_reverse_call(&c->f->clr, managed_callback, &c->reverse);
    CHECK_EQ(clrhost_task_depth(clrhost_task_current(c->f->m)), 0);
}

TEST_CASE(test_vetoes, "driver/vetoes")
{
    fixture f;
    veto_ctx c;
    clrhost_task_manager_stats st;
    fixture_config(&f);
    fixture_start(&f, CLR_X64, NULL);
    memset(&c, 0, sizeof c);
    c.f = &f;
    c.native.f = &f;
    c.reverse.f = &f;
    f.r.refuse_target = (SIZE_T)&native_other;
    test_run_on_thread(veto_body, &c);
    /* LeaveRuntime's failure reaches the CLR: the native target is never
       called and no EnterRuntime follows. */
    CHECK_HR(c.pinvoke_result, E_ACCESSDENIED);
    CHECK_EQ(c.native.calls, 0);
    /* S_FALSE from the hook becomes exactly S_OK for the CLR. */
    CHECK_HR(c.reverse_s_false, S_OK);
    CHECK_HR(c.reverse_result, E_ACCESSDENIED);
    CHECK_EQ(c.reverse.ran, 1); /* only the S_FALSE call ran */
    check_events(&f.r, "LRrR" EXIT_EVENTS);
    CHECK_HR(clrhost_task_manager_get_stats(f.m, &st), S_OK);
    CHECK_EQ(st.totals.leave_runtime_vetoed, 1);
    CHECK_EQ(st.totals.leave_runtime, 0 + 1); /* only ExitTask's wait got through */
    CHECK_EQ(st.totals.enter_runtime, 0 + 1);
    CHECK_EQ(st.totals.reverse_enter_vetoed, 1);
    CHECK_EQ(st.totals.reverse_enter_runtime, 1);
    CHECK_EQ(st.totals.reverse_leave_runtime, 1);
    CHECK_EQ(st.totals.protocol_errors, 0);
    fake_clr_task_free(c.clr_thread);
    fixture_finish(&f);
}

/* ---- the AppDomain-unload helper's LeaveRuntime(0) -------------------------- */

typedef struct unload_ctx {
    fixture *f;
    HRESULT helper_start;
    BOOL off_scheduler;
    unsigned depth_after_zero;
    BOOL in_native_after_zero;
    native_ctx native;
    reverse_ctx reverse;
    unsigned long long native_ms; /* the P/Invoke's whole time, as the test saw it */
    clrhost_task_counters counters;
} unload_ctx;

static void unload_helper_body(void *p)
{
    unload_ctx *c = (unload_ctx *)p;
    clrhost_task *t = clrhost_task_current(c->f->m);
    unsigned long long start;
    c->helper_start = clr_ad_unload_helper_begins(&c->f->clr);
    c->off_scheduler = clrhost_task_off_scheduler(t);
    c->depth_after_zero = clrhost_task_depth(t);
    c->in_native_after_zero = clrhost_task_in_native(t);
    test_sleep_ms(40); /* managed work: not time outside the runtime */
    /* The helper's own calls nest as on any thread. */
    start = test_now_ms();
    CHECK_HR(clr_pinvoke(&c->f->clr, (SIZE_T)&native_work, native_work, &c->native), S_OK);
    c->native_ms = test_now_ms() - start;
    CHECK_HR(clr_reverse_call(&c->f->clr, managed_callback, &c->reverse), S_OK);
    clrhost_task_get_counters(t, &c->counters);
}

/* The hook of a sandbox that denies every target it does not know would
   veto LeaveRuntime(0), and with it AppDomain unloading: it is not asked. */
TEST_CASE(test_ad_unload_helper_leave_zero, "driver/ad_unload_helper_leave_zero")
{
    fixture f;
    unload_ctx c;
    IHostTask *join = NULL;
    fake_clr_task *clr_task = NULL;
    clrhost_task_manager_stats st;
    fixture_config(&f);
    f.cfg.flags = CLRHOST_TASK_TIMING;
    f.r.refuse_target = 0; /* the sandbox's "unknown target" */
    fixture_start(&f, CLR_X64, NULL);
    memset(&c, 0, sizeof c);
    c.f = &f;
    c.native.f = c.reverse.f = &f;
    CHECK_HR(clr_create_thread(&f.clr, CLR_THREAD_USER, 0, unload_helper_body, &c, &join, &clr_task), S_OK);
    CHECK_HR(join->lpVtbl->Join(join, INFINITE, WAIT_NOTINDEADLOCK), S_OK);
    CHECK_HR(c.helper_start, S_OK);
    CHECK(c.off_scheduler == TRUE);
    CHECK_EQ(c.depth_after_zero, 0);
    CHECK(c.in_native_after_zero == FALSE);
    CHECK_EQ(c.native.calls, 1);
    CHECK_EQ(c.native.depth_inside, 1); /* nested as if LeaveRuntime(0) had not come */
    CHECK_EQ(c.reverse.ran, 1);
    check_events(&f.r, "LERr" EXIT_EVENTS); /* the hook never saw target 0 */
    CHECK_EQ(c.counters.leave_runtime, 1);
    CHECK_EQ(c.counters.enter_runtime, 1);
    /* the 40 ms after it are not native time: only the P/Invoke's (each
       ms reading may lose up to 1 ms) */
    CHECK(c.counters.native_call_ns < (c.native_ms + 2) * 1000000u);
    CHECK_EQ(c.counters.protocol_errors, 0);
    CHECK_EQ(T_LOAD(&clr_task->exit_calls), 1);
    CHECK_HR(clrhost_task_manager_get_stats(f.m, &st), S_OK);
    CHECK_EQ(st.totals.leave_runtime_vetoed, 0);
    CHECK_EQ(st.totals.protocol_errors, 0);
    CHECK_EQ(join->lpVtbl->Release(join), 0);
    fake_clr_task_free(clr_task);
    fixture_finish(&f);
}

/* ---- unbalanced calls ------------------------------------------------------- */

typedef struct protocol_ctx {
    fixture *f;
    unsigned depth_after[4];
    fake_clr_task *clr_thread;
} protocol_ctx;

/* What protocol_body does, counted. */
enum {
    MISMATCHED_LEAVES = 2,   /* the LeaveRuntime of each mismatched pair */
    PROTOCOL_ERRORS_IN_BODY = 5, /* 2 closes with nothing open, 2 repairs, 1 frame too deep */
    DEEP_FRAMES = 40,        /* alternating native and managed, past the frame capacity */
    DEEP_NATIVE_FRAMES = DEEP_FRAMES / 2,
    TASKLESS_CALLS = 4       /* transitions on a thread with no task, each a protocol error */
};

static void protocol_body(void *p)
{
    protocol_ctx *c = (protocol_ctx *)p;
    IHostTaskManager *tm = c->f->clr.tm;
    clrhost_task *t;
    int i;
    CHECK_HR(clr_thread_enter(&c->f->clr, &c->clr_thread), S_OK);
    t = clrhost_task_current(c->f->m);
    /* Closing calls with nothing of their kind open: dropped, no hook. */
    CHECK_HR(tm->lpVtbl->EnterRuntime(tm), S_OK);
    CHECK_HR(tm->lpVtbl->ReverseLeaveRuntime(tm), S_OK);
    c->depth_after[0] = clrhost_task_depth(t);
    /* An EnterRuntime with a reverse call still open above its native
       frame: the reverse frame is closed first (its hook is called). */
    CHECK_HR(tm->lpVtbl->LeaveRuntime(tm, 0x1000), S_OK);
    CHECK_HR(tm->lpVtbl->ReverseEnterRuntime(tm), S_OK);
    CHECK_HR(tm->lpVtbl->EnterRuntime(tm), S_OK);
    c->depth_after[1] = clrhost_task_depth(t);
    /* And the mirror image. */
    CHECK_HR(tm->lpVtbl->ReverseEnterRuntime(tm), S_OK);
    CHECK_HR(tm->lpVtbl->LeaveRuntime(tm, 0x2000), S_OK);
    CHECK_HR(tm->lpVtbl->ReverseLeaveRuntime(tm), S_OK);
    c->depth_after[2] = clrhost_task_depth(t);
    /* Deeper than the frame capacity: counted once, still balanced. */
    for (i = 0; i < DEEP_FRAMES; ++i)
        CHECK_HR(i % 2 ? tm->lpVtbl->ReverseEnterRuntime(tm) : tm->lpVtbl->LeaveRuntime(tm, 0x3000), S_OK);
    CHECK_EQ(clrhost_task_depth(t), DEEP_FRAMES);
    for (i = DEEP_FRAMES - 1; i >= 0; --i)
        CHECK_HR(i % 2 ? tm->lpVtbl->ReverseLeaveRuntime(tm) : tm->lpVtbl->EnterRuntime(tm), S_OK);
    c->depth_after[3] = clrhost_task_depth(t);
}

TEST_CASE(test_protocol_errors, "driver/protocol_errors")
{
    fixture f;
    protocol_ctx c;
    clrhost_task_manager_stats st;
    IHostTaskManager *tm;
    fixture_config(&f);
    fixture_start(&f, CLR_X64, NULL);
    memset(&c, 0, sizeof c);
    c.f = &f;
    test_run_on_thread(protocol_body, &c);
    CHECK_EQ(c.depth_after[0], 0);
    CHECK_EQ(c.depth_after[1], 0);
    CHECK_EQ(c.depth_after[2], 0);
    CHECK_EQ(c.depth_after[3], 0);
    CHECK(f.r.n >= 10);
    if (f.r.n >= 10) {
        /* L R [r synthesized] E ; R L [E synthesized] r */
        CHECK(f.r.events[0].kind == 'L' && f.r.events[1].kind == 'R' && f.r.events[2].kind == 'r' &&
              f.r.events[3].kind == 'E');
        CHECK(f.r.events[4].kind == 'R' && f.r.events[5].kind == 'L' && f.r.events[6].kind == 'E' &&
              f.r.events[7].kind == 'r');
    }
    CHECK_HR(clrhost_task_manager_get_stats(f.m, &st), S_OK);
    CHECK_EQ(st.totals.protocol_errors, PROTOCOL_ERRORS_IN_BODY);
    CHECK_EQ(st.totals.leave_runtime, st.totals.enter_runtime);
    CHECK_EQ(st.totals.reverse_enter_runtime, st.totals.reverse_leave_runtime);
    CHECK_EQ(st.totals.leave_runtime, MISMATCHED_LEAVES + DEEP_NATIVE_FRAMES + EXIT_TASK_LEAVES);
    CHECK_EQ(T_LOAD(&f.r.warnings), PROTOCOL_ERRORS_IN_BODY);

    /* Transitions on a thread that never got a task. */
    tm = f.clr.tm;
    CHECK_HR(tm->lpVtbl->LeaveRuntime(tm, 0x1000), S_OK);
    CHECK_HR(tm->lpVtbl->EnterRuntime(tm), S_OK);
    CHECK_HR(tm->lpVtbl->ReverseEnterRuntime(tm), S_OK);
    CHECK_HR(tm->lpVtbl->ReverseLeaveRuntime(tm), S_OK);
    CHECK_HR(clrhost_task_manager_get_stats(f.m, &st), S_OK);
    CHECK_EQ(st.totals.protocol_errors, PROTOCOL_ERRORS_IN_BODY + TASKLESS_CALLS);
    fake_clr_task_free(c.clr_thread);
    fixture_finish(&f);
}

/* Found by the fuzzer: past the timed frames (CLRHOST_TASK_MAX_DEPTH), an
   EnterRuntime under nothing but reverse calls once closed one of them as
   if it were native. Kinds are kept much deeper now. */
static void deep_reverse_body(void *p)
{
    protocol_ctx *c = (protocol_ctx *)p;
    IHostTaskManager *tm = c->f->clr.tm;
    int i;
    CHECK_HR(clr_thread_enter(&c->f->clr, &c->clr_thread), S_OK);
    for (i = 0; i < 40; ++i)
        CHECK_HR(tm->lpVtbl->ReverseEnterRuntime(tm), S_OK);
    CHECK_HR(tm->lpVtbl->EnterRuntime(tm), S_OK); /* no native frame open: dropped */
    c->depth_after[0] = clrhost_task_depth(clrhost_task_current(c->f->m));
    for (i = 0; i < 40; ++i)
        CHECK_HR(tm->lpVtbl->ReverseLeaveRuntime(tm), S_OK);
    c->depth_after[1] = clrhost_task_depth(clrhost_task_current(c->f->m));
}

TEST_CASE(test_deep_reverse_calls_then_enter, "driver/deep_reverse_calls_then_enter")
{
    fixture f;
    protocol_ctx c;
    clrhost_task_manager_stats st;
    fixture_config(&f);
    fixture_start(&f, CLR_X64, NULL);
    memset(&c, 0, sizeof c);
    c.f = &f;
    test_run_on_thread(deep_reverse_body, &c);
    CHECK_EQ(c.depth_after[0], 40);
    CHECK_EQ(c.depth_after[1], 0);
    CHECK_HR(clrhost_task_manager_get_stats(f.m, &st), S_OK);
    CHECK_EQ(st.totals.reverse_enter_runtime, 40);
    CHECK_EQ(st.totals.reverse_leave_runtime, 40);
    CHECK_EQ(st.totals.enter_runtime, 1); /* ExitTask's own wait */
    CHECK_EQ(st.totals.leave_runtime, 1);
    CHECK_EQ(st.totals.protocol_errors, 2); /* too deep to time; the unmatched EnterRuntime */
    fake_clr_task_free(c.clr_thread);
    fixture_finish(&f);
}

/* ---- lifetimes ---------------------------------------------------------------- */

static long cancelled_ran;

static DWORD WINAPI never_run(LPVOID p)
{
    (void)p;
    T_INC(&cancelled_ran);
    return 0;
}

TEST_CASE(test_task_released_without_start, "driver/task_released_without_start")
{
    fixture f;
    IHostTask *task = NULL;
    clrhost_task_manager_stats st;
    unsigned long long until;
    fixture_config(&f);
    fixture_start(&f, CLR_X64, NULL);
    CHECK_HR(f.clr.tm->lpVtbl->CreateTask(f.clr.tm, 0, never_run, NULL, &task), S_OK);
    CHECK_EQ(task->lpVtbl->Release(task), 1); /* the suspended thread's own */
    /* The thread wakes only to end. */
    until = test_now_ms() + 10000u * test_slow();
    do {
        CHECK_HR(clrhost_task_manager_get_stats(f.m, &st), S_OK);
        if (st.tasks_ended == 1)
            break;
        test_sleep_ms(1);
    } while (test_now_ms() < until);
    CHECK_EQ(st.tasks_created, 1);
    CHECK_EQ(st.tasks_ended, 1);
    CHECK_EQ(T_LOAD(&cancelled_ran), 0);
    CHECK_EQ(T_LOAD(&f.r.begins), 0); /* never began, so never ends */
    /* The manager goes once that thread has let go of its task (which
       may be a moment after the task counted as ended). */
    clr_shutdown(&f.clr);
    CHECK_EQ(f.hc->lpVtbl->Release(f.hc), 0);
    clrhost_task_manager_release(f.m);
    until = test_now_ms() + 10000u * test_slow();
    while (T_LOAD(&f.a.outstanding) != 0 && test_now_ms() < until)
        test_sleep_ms(1);
    CHECK_EQ(T_LOAD(&f.a.outstanding), 0);
    test_mutex_free(f.r.lock);
}

static void release_task(void *p)
{
    IHostTask *t = (IHostTask *)p;
    CHECK_EQ(t->lpVtbl->Release(t), 0);
}

static void wait_until_set(void *flag) { test_wait_for((long *)flag, 1); }

/* The CLR's thread object keeps its IHostTask past ExitTask; the finalizer
   releases it later, after the dead thread's clean-up (vm/threads.cpp,
   vm/finalizerthread.cpp), from a thread that has no task of ours. */
TEST_CASE(test_last_release_from_finalizer_thread, "driver/last_release_from_finalizer_thread")
{
    fixture f;
    IHostTask *join = NULL, *thread_object;
    fake_clr_task *clr_task = NULL;
    clrhost_task_manager_stats st;
    long taken = 0;
    fixture_config(&f);
    fixture_start(&f, CLR_X64, NULL);
    CHECK_HR(clr_create_thread(&f.clr, CLR_THREAD_POOL, 0, wait_until_set, &taken, &join, &clr_task), S_OK);
    thread_object = clr_task->owned; /* not dropped at ExitTask, but by the finalizer */
    clr_task->owned = NULL;
    T_STORE(&taken, 1); /* before its ExitTask reads it */
    CHECK_HR(join->lpVtbl->Join(join, INFINITE, WAIT_NOTINDEADLOCK), S_OK);
    CHECK_EQ(join->lpVtbl->Release(join), 1); /* Thread.Join's: the thread object's is left */
    CHECK_EQ(T_LOAD(&clr_task->exit_calls), 1);
    CHECK_HR(clrhost_task_manager_get_stats(f.m, &st), S_OK);
    CHECK_EQ(st.tasks_ended, 1);
    test_run_on_thread(release_task, thread_object);
    CHECK_EQ(T_LOAD(&f.r.ends), 1);
    fake_clr_task_free(clr_task);
    fixture_finish(&f);
}

TEST_CASE(test_start_twice, "driver/start_twice")
{
    fixture f;
    IHostTask *task = NULL;
    fixture_config(&f);
    fixture_start(&f, CLR_X64, NULL);
    CHECK_HR(f.clr.tm->lpVtbl->CreateTask(f.clr.tm, 0, never_run, NULL, &task), S_OK);
    CHECK_HR(task->lpVtbl->Start(task), S_OK);
    CHECK_HR(task->lpVtbl->Start(task), HOST_E_INVALIDOPERATION);
    CHECK_HR(task->lpVtbl->Join(task, INFINITE, WAIT_NOTINDEADLOCK), S_OK);
    CHECK_EQ(T_LOAD(&cancelled_ran), 1);
    T_STORE(&cancelled_ran, 0);
    CHECK_EQ(task->lpVtbl->Release(task), 0);
    fixture_finish(&f);
}

static void quiet_native(void *p) { (void)p; }

typedef struct two_ctx {
    fixture *f1, *f2;
    fake_clr_task *t1, *t2;
    clrhost_task *task1, *task2;
} two_ctx;

static void two_managers_body(void *p)
{
    two_ctx *c = (two_ctx *)p;
    CHECK_HR(clr_thread_enter(&c->f1->clr, &c->t1), S_OK);
    CHECK_HR(clr_thread_enter(&c->f2->clr, &c->t2), S_OK);
    c->task1 = clrhost_task_current(c->f1->m);
    c->task2 = clrhost_task_current(c->f2->m);
    CHECK_HR(clr_pinvoke(&c->f2->clr, (SIZE_T)&quiet_native, quiet_native, NULL), S_OK);
}

TEST_CASE(test_two_managers_on_one_thread, "driver/two_managers_on_one_thread")
{
    fixture f1, f2;
    two_ctx c;
    fixture_config(&f1);
    fixture_config(&f2);
    fixture_start(&f1, CLR_X64, NULL);
    fixture_start(&f2, CLR_X64, NULL);
    memset(&c, 0, sizeof c);
    c.f1 = &f1;
    c.f2 = &f2;
    test_run_on_thread(two_managers_body, &c);
    CHECK(c.task1 != NULL && c.task2 != NULL && c.task1 != c.task2);
    CHECK_EQ(T_LOAD(&c.t1->exit_calls), 1);
    CHECK_EQ(T_LOAD(&c.t2->exit_calls), 1);
    CHECK_EQ(T_LOAD(&c.t1->callback_mismatches), 0);
    CHECK_EQ(T_LOAD(&c.t2->callback_mismatches), 0);
    check_events(&f1.r, EXIT_EVENTS); /* each manager sees only its own task's calls */
    check_events(&f2.r, "LE" EXIT_EVENTS);
    fake_clr_task_free(c.t1);
    fake_clr_task_free(c.t2);
    fixture_finish(&f1);
    fixture_finish(&f2);
}

typedef struct foreach_ctx {
    int seen;
    DWORD ids[8];
} foreach_ctx;

static void collect(void *ctx, clrhost_task *task)
{
    foreach_ctx *c = (foreach_ctx *)ctx;
    if (c->seen < 8)
        c->ids[c->seen] = clrhost_task_thread_id(task);
    c->seen += 1;
}

typedef struct parked_ctx {
    fixture *f;
    long go;
    long ready;
    DWORD thread;
    fake_clr_task *clr_thread;
} parked_ctx;

static void parked_body(void *p)
{
    parked_ctx *c = (parked_ctx *)p;
    CHECK_HR(clr_thread_enter(&c->f->clr, &c->clr_thread), S_OK);
    c->thread = test_thread_id();
    T_STORE(&c->ready, 1);
    while (!T_LOAD(&c->go))
        test_sleep_ms(1);
    /* The host released everything meanwhile; the task keeps the manager. */
    CHECK_HR(c->f->clr.tm->lpVtbl->LeaveRuntime(c->f->clr.tm, 0x1234), S_OK);
    CHECK_HR(c->f->clr.tm->lpVtbl->EnterRuntime(c->f->clr.tm), S_OK);
}

TEST_CASE(test_foreach_and_release_while_threads_live, "driver/foreach_and_release_while_threads_live")
{
    fixture f;
    parked_ctx c;
    foreach_ctx seen;
    test_thread *th;
    clrhost_task_manager_stats st;
    fixture_config(&f);
    fixture_start(&f, CLR_X64, NULL);
    memset(&c, 0, sizeof c);
    c.f = &f;
    th = test_thread_start(parked_body, &c);
    while (!T_LOAD(&c.ready))
        test_sleep_ms(1);
    memset(&seen, 0, sizeof seen);
    CHECK_HR(clrhost_task_manager_foreach(f.m, collect, &seen), S_OK);
    CHECK_EQ(seen.seen, 1);
    CHECK_EQ(seen.ids[0], c.thread);
    CHECK_HR(clrhost_task_manager_get_stats(f.m, &st), S_OK);
    CHECK_EQ(st.tasks_live, 1);
    /* Every reference but the live task's goes. The CLR's reference too:
       the simulation keeps calling through its raw pointer, as the task
       holds the manager alive. */
    CHECK_EQ(f.hc->lpVtbl->Release(f.hc), 1);       /* hc held by the CLR still */
    f.clr.host_control->lpVtbl->Release(f.clr.host_control);
    f.clr.host_control = NULL;
    CHECK_EQ(clrhost_task_manager_release(f.m), 2); /* the CLR's and the task's */
    f.clr.tm->lpVtbl->Release(f.clr.tm);
    T_STORE(&c.go, 1);
    test_thread_join(th);
    /* The last thread took the manager with it. */
    CHECK_EQ(T_LOAD(&f.a.outstanding), 0);
    CHECK_EQ(T_LOAD(&f.clr.clr_task_manager.refs), 0);
    CHECK_EQ(T_LOAD(&c.clr_thread->exit_calls), 1);
    fake_clr_task_free(c.clr_thread);
    clr_runtime_stop(&f.clr); /* what clr_shutdown would do, but the references it released */
    test_mutex_free(f.clr.lock);
    test_mutex_free(f.r.lock);
}

