/* Under abuse: an allocation failure at every allocation the CLR driver's
   scenario makes, hooks that misbehave, and reference-count and lifetime
   storms (run under ThreadSanitizer with the rest of the suite). */
#include "../clr/clr_driver.h"

#include <stdlib.h>

/* ---- allocation failures -------------------------------------------------------- */

typedef struct oom_scenario {
    counting_allocator a;
    long failed;      /* calls that reported E_OUTOFMEMORY */
    clr_sim clr;
    clrhost_task_manager *m;
    IHostControl *hc;
    fake_clr_task *foreign; /* the foreign thread's CLR task, freed after that thread ended */
} oom_scenario;

static void oom_quiet(void *p) { (void)p; }

static void oom_foreign(void *p)
{
    oom_scenario *s = (oom_scenario *)p;
    fake_clr_task *clr_thread = NULL;
    HRESULT hr;
    while ((hr = clr_thread_enter(&s->clr, &clr_thread)) == E_OUTOFMEMORY)
        ++s->failed; /* the CLR would fail this thread's entry; it can try again */
    CHECK_HR(hr, S_OK);
    CHECK_HR(clr_pinvoke(&s->clr, test_system_function(), oom_quiet, NULL), S_OK);
    s->foreign = clr_thread;
}

/* What the CLR does from start-up to a created thread's end, where every
   allocation may fail: each failure must surface as E_OUTOFMEMORY with its
   out pointer NULL, and a retry must then succeed. */
static void oom_run(oom_scenario *s)
{
    static const char *modules[] = {"no-such-module", "libc", "kernel32", NULL};
    clrhost_task_config cfg;
    IHostTask *join = NULL;
    fake_clr_task *created = NULL;
    HRESULT hr;
    test_config(&cfg, &s->a);
    cfg.hook_modules = modules;
    for (;;) {
        s->m = (clrhost_task_manager *)(size_t)0xdeadbeef;
        hr = clrhost_task_manager_create(&cfg, &s->m);
        if (hr != E_OUTOFMEMORY)
            break;
        ++s->failed;
        CHECK(s->m == NULL);
    }
    CHECK_HR(hr, S_OK);
    for (;;) {
        s->hc = (IHostControl *)(size_t)0xdeadbeef;
        hr = clrhost_task_host_control_create(s->m, NULL, &s->hc);
        if (hr != E_OUTOFMEMORY)
            break;
        ++s->failed;
        CHECK(s->hc == NULL);
    }
    CHECK_HR(hr, S_OK);
    clr_init(&s->clr, CLR_X64);
    CHECK_HR(clr_set_host_control(&s->clr, s->hc), S_OK);
    test_run_on_thread(oom_foreign, s); /* a thread entering from outside */
    if (s->foreign) {
        CHECK_EQ(T_LOAD(&s->foreign->exit_calls), 1);
        fake_clr_task_free(s->foreign);
    }
    while ((hr = clr_create_thread(&s->clr, CLR_THREAD_POOL, 0, oom_quiet, NULL, &join, &created)) == E_OUTOFMEMORY)
        ++s->failed; /* Thread.Start throws OutOfMemoryException; the program may retry */
    CHECK_HR(hr, S_OK);
    if (join) {
        CHECK_HR(join->lpVtbl->Join(join, INFINITE, WAIT_NOTINDEADLOCK), S_OK);
        CHECK_EQ(join->lpVtbl->Release(join), 0);
    }
    if (created) {
        CHECK_EQ(T_LOAD(&created->exit_calls), 1);
        fake_clr_task_free(created);
    }
    clr_shutdown(&s->clr);
    CHECK_EQ(s->hc->lpVtbl->Release(s->hc), 0);
    CHECK_EQ(clrhost_task_manager_release(s->m), 0);
    CHECK_EQ(T_LOAD(&s->a.outstanding), 0);
}

TEST_CASE(test_allocation_failure_at_every_allocation, "reliability/allocation_failure_at_every_allocation")
{
    oom_scenario clean;
    long n, total;
    memset(&clean, 0, sizeof clean);
    oom_run(&clean);
    total = clean.a.calls;
    CHECK_EQ(clean.failed, 0);
    CHECK(total >= 5); /* manager, names, host control, two tasks (and their thread blocks) */
    for (n = 1; n <= total; ++n) {
        oom_scenario s;
        memset(&s, 0, sizeof s);
        s.a.fail_at = n;
        oom_run(&s);
        CHECK_EQ(s.failed, 1); /* exactly the one failed allocation surfaced */
        CHECK_EQ(T_LOAD(&s.a.outstanding), 0);
    }
    printf("     (failed each of the scenario's %ld allocations in turn)\n", total);
}

/* The same scenario where the thread-local slot cannot store a thread's
   first value (FlsSetValue or pthread_setspecific out of memory), each
   such write in turn: a foreign thread then gets E_OUTOFMEMORY and no
   task (its exit callback would never come), and the CLR may try again; a
   created thread still runs and ends its task when its start routine
   returns. Nothing leaks and every ExitTask comes once. */
TEST_CASE(test_slot_write_failure_at_every_thread, "reliability/slot_write_failure_at_every_thread")
{
    oom_scenario clean;
    long n, total;
    memset(&clean, 0, sizeof clean);
    T_STORE(&test_faults.fail_at, 0);
    T_STORE(&test_faults.asks, 0);
    oom_run(&clean);
    total = T_LOAD(&test_faults.asks);
    CHECK_EQ(clean.failed, 0);
    CHECK(total >= 2); /* the foreign thread's first value, the created thread's */
    for (n = 1; n <= total; ++n) {
        oom_scenario s;
        memset(&s, 0, sizeof s);
        T_STORE(&test_faults.asks, 0);
        T_STORE(&test_faults.fail_at, n);
        oom_run(&s);
        CHECK(s.failed <= 1); /* the foreign thread's retry; a created thread surfaces none */
        CHECK_EQ(T_LOAD(&s.a.outstanding), 0);
    }
    T_STORE(&test_faults.fail_at, 0);
    printf("     (failed each of the scenario's %ld first slot writes in turn)\n", total);
}

/* ---- hooks that misbehave ------------------------------------------------------- */

typedef struct slow_hook {
    long entered, release, timed_out;
    clrhost_task_manager *m;
} slow_hook;

/* Blocks until the test lets it go (or 10 s): meanwhile other threads must
   be able to use the manager, or a lock of ours is held across hooks. */
static HRESULT slow_leave(void *user, clrhost_task *task, SIZE_T target)
{
    slow_hook *h = (slow_hook *)user;
    unsigned long long until = test_now_ms() + 10000u * test_slow();
    (void)task;
    (void)target;
    T_STORE(&h->entered, 1);
    while (!T_LOAD(&h->release) && test_now_ms() < until)
        test_sleep_ms(1);
    if (!T_LOAD(&h->release))
        T_STORE(&h->timed_out, 1);
    return S_FALSE; /* a success code: the CLR must get exactly S_OK */
}

typedef struct slow_ctx {
    slow_hook *h;
    HRESULT leave_result;
} slow_ctx;

static void slow_thread(void *p)
{
    slow_ctx *c = (slow_ctx *)p;
    IHostTaskManager *tm = clrhost_task_manager_iface(c->h->m);
    IHostTask *t = NULL;
    CHECK_HR(tm->lpVtbl->GetCurrentTask(tm, &t), S_OK);
    c->leave_result = tm->lpVtbl->LeaveRuntime(tm, 0x4000);
    CHECK_HR(tm->lpVtbl->EnterRuntime(tm), S_OK);
    t->lpVtbl->Release(t);
}

static void adopt_and_leave(void *p)
{
    IHostTaskManager *tm = clrhost_task_manager_iface((clrhost_task_manager *)p);
    IHostTask *t = NULL;
    CHECK_HR(tm->lpVtbl->GetCurrentTask(tm, &t), S_OK);
    if (t)
        t->lpVtbl->Release(t);
}

static DWORD WINAPI trivial_task(LPVOID p)
{
    (void)p;
    return 0;
}

static void count_one(void *ctx, clrhost_task *task)
{
    (void)task;
    ++*(int *)ctx;
}

TEST_CASE(test_slow_hook_holds_no_lock, "reliability/slow_hook_holds_no_lock")
{
    counting_allocator a = {0};
    clrhost_task_config cfg;
    slow_hook h;
    slow_ctx c;
    test_thread *th;
    clrhost_task_manager_stats st;
    IHostTask *t = NULL;
    int n = 0;
    memset(&h, 0, sizeof h);
    test_config(&cfg, &a);
    cfg.hooks.user = &h;
    cfg.hooks.leave_runtime = slow_leave;
    CHECK_HR(clrhost_task_manager_create(&cfg, &h.m), S_OK);
    c.h = &h;
    c.leave_result = E_UNEXPECTED;
    th = test_thread_start(slow_thread, &c);
    while (!T_LOAD(&h.entered))
        test_sleep_ms(1);
    /* The hook is running: everything else still works. */
    CHECK_HR(clrhost_task_manager_get_stats(h.m, &st), S_OK);
    CHECK_HR(clrhost_task_manager_foreach(h.m, count_one, &n), S_OK);
    CHECK_EQ(n, 1);
    CHECK_HR(clrhost_task_manager_iface(h.m)->lpVtbl->CreateTask(clrhost_task_manager_iface(h.m), 0, trivial_task,
                                                                NULL, &t),
             S_OK);
    CHECK_HR(t->lpVtbl->Start(t), S_OK);
    CHECK_HR(t->lpVtbl->Join(t, INFINITE, WAIT_NOTINDEADLOCK), S_OK);
    CHECK_EQ(t->lpVtbl->Release(t), 0);
    test_run_on_thread(adopt_and_leave, h.m); /* adoption takes the registry lock */
    T_STORE(&h.release, 1);
    test_thread_join(th);
    CHECK_EQ(T_LOAD(&h.timed_out), 0);
    CHECK_HR(c.leave_result, S_OK); /* S_FALSE from the hook becomes exactly S_OK */
    CHECK_EQ(clrhost_task_manager_release(h.m), 0);
    CHECK_EQ(T_LOAD(&a.outstanding), 0);
}

/* ---- lifetime storms ---------------------------------------------------------- */

#define STORM 8

typedef struct refs_storm {
    IHostTask *task;
    IHostTaskManager *tm;
    long go;
} refs_storm;

static void refs_body(void *p)
{
    refs_storm *r = (refs_storm *)p;
    int i;
    while (!T_LOAD(&r->go))
        test_yield();
    for (i = 0; i < 20000; ++i) {
        r->task->lpVtbl->AddRef(r->task);
        r->tm->lpVtbl->AddRef(r->tm);
        r->task->lpVtbl->Release(r->task);
        r->tm->lpVtbl->Release(r->tm);
    }
}

/* The owner thread takes and drops references too, on its side of the
   count, while eight threads work the shared side. */
static void refs_owner(void *p)
{
    refs_storm *r = (refs_storm *)p;
    test_thread *t[STORM];
    IHostTask *mine = NULL;
    int i;
    CHECK_HR(r->tm->lpVtbl->GetCurrentTask(r->tm, &r->task), S_OK);
    for (i = 0; i < STORM; ++i)
        t[i] = test_thread_start(refs_body, r);
    T_STORE(&r->go, 1);
    for (i = 0; i < 20000; ++i) {
        CHECK_HR(r->tm->lpVtbl->GetCurrentTask(r->tm, &mine), S_OK);
        mine->lpVtbl->Release(mine);
    }
    for (i = 0; i < STORM; ++i)
        test_thread_join(t[i]);
    CHECK_EQ(r->task->lpVtbl->Release(r->task), 1); /* the thread's own reference is left */
}

TEST_CASE(test_reference_storm, "reliability/reference_storm")
{
    counting_allocator a = {0};
    clrhost_task_config cfg;
    clrhost_task_manager *m;
    clrhost_task_manager_stats st;
    refs_storm r;
    test_config(&cfg, &a);
    CHECK_HR(clrhost_task_manager_create(&cfg, &m), S_OK);
    memset(&r, 0, sizeof r);
    r.tm = clrhost_task_manager_iface(m);
    test_run_on_thread(refs_owner, &r);
    CHECK_HR(clrhost_task_manager_get_stats(m, &st), S_OK);
    CHECK_EQ(st.tasks_live, 0);
    CHECK_EQ(clrhost_task_manager_release(m), 0);
    CHECK_EQ(T_LOAD(&a.outstanding), 0);
}

typedef struct early_release {
    clrhost_task_manager *m;
    long may_finish;
    long finished;
} early_release;

static DWORD WINAPI outliving_body(LPVOID p)
{
    early_release *e = (early_release *)p;
    IHostTaskManager *tm = clrhost_task_manager_iface(e->m);
    IHostTask *me = NULL;
    while (!T_LOAD(&e->may_finish))
        test_sleep_ms(1);
    /* Its IHostTask is gone from the CLR; the thread still has its task. */
    CHECK_HR(tm->lpVtbl->GetCurrentTask(tm, &me), S_OK);
    CHECK(me != NULL);
    CHECK_HR(tm->lpVtbl->LeaveRuntime(tm, 0x10), S_OK);
    CHECK_HR(tm->lpVtbl->EnterRuntime(tm), S_OK);
    if (me)
        me->lpVtbl->Release(me);
    T_INC(&e->finished);
    return 0;
}

/* The CLR lets go of a task before its thread ends, and the host lets go
   of the manager while the thread runs: the thread finishes and takes
   everything with it. */
TEST_CASE(test_task_and_manager_released_before_thread_ends, "reliability/task_and_manager_released_before_thread_ends")
{
    counting_allocator a = {0};
    clrhost_task_config cfg;
    early_release e;
    IHostTask *t = NULL;
    unsigned long long until;
    test_config(&cfg, &a);
    memset(&e, 0, sizeof e);
    CHECK_HR(clrhost_task_manager_create(&cfg, &e.m), S_OK);
    CHECK_HR(clrhost_task_manager_iface(e.m)->lpVtbl->CreateTask(clrhost_task_manager_iface(e.m), 0, outliving_body,
                                                                &e, &t),
             S_OK);
    CHECK_HR(t->lpVtbl->Start(t), S_OK);
    CHECK_EQ(t->lpVtbl->Release(t), 1);            /* the CLR's reference: the thread's is left */
    CHECK_EQ(clrhost_task_manager_release(e.m), 1); /* the host's: the task's is left */
    T_STORE(&e.may_finish, 1);
    until = test_now_ms() + 10000u * test_slow();
    while (T_LOAD(&a.outstanding) != 0 && test_now_ms() < until)
        test_sleep_ms(1);
    CHECK_EQ(T_LOAD(&e.finished), 1);
    CHECK_EQ(T_LOAD(&a.outstanding), 0);
}

typedef struct last_out {
    clrhost_task_manager *m;
    long adopted, go, done;
} last_out;

static void last_out_body(void *p)
{
    last_out *l = (last_out *)p;
    IHostTaskManager *tm = clrhost_task_manager_iface(l->m);
    IHostTask *t = NULL;
    int i;
    CHECK_HR(tm->lpVtbl->GetCurrentTask(tm, &t), S_OK);
    if (t)
        t->lpVtbl->Release(t);
    T_INC(&l->adopted);
    while (!T_LOAD(&l->go))
        test_yield();
    for (i = 0; i < 1000; ++i) {
        tm->lpVtbl->LeaveRuntime(tm, (SIZE_T)i);
        tm->lpVtbl->EnterRuntime(tm);
    }
    T_INC(&l->done);
}

/* The manager's last external reference goes while adopted threads still
   run; then they all end at once, and the last one out frees it. */
TEST_CASE(test_manager_outlived_by_many_threads, "reliability/manager_outlived_by_many_threads")
{
    counting_allocator a = {0};
    clrhost_task_config cfg;
    last_out l;
    test_thread *t[STORM];
    int i;
    test_config(&cfg, &a);
    cfg.flags = CLRHOST_TASK_TIMING;
    memset(&l, 0, sizeof l);
    CHECK_HR(clrhost_task_manager_create(&cfg, &l.m), S_OK);
    for (i = 0; i < STORM; ++i)
        t[i] = test_thread_start(last_out_body, &l);
    while (T_LOAD(&l.adopted) < STORM)
        test_yield();
    CHECK_EQ(clrhost_task_manager_release(l.m), STORM); /* one reference per live task */
    T_STORE(&l.go, 1);
    for (i = 0; i < STORM; ++i)
        test_thread_join(t[i]);
    CHECK_EQ(T_LOAD(&l.done), STORM);
    CHECK_EQ(T_LOAD(&a.outstanding), 0);
}

