/* Fuzz target: an input is a configuration and a program of COM calls on up
   to three threads, any method of the manager, its tasks and the host
   control, in any order, with any arguments (NULL pointers, zero and huge
   timeouts, unknown IIDs, unbalanced transitions, Releases, hooks that veto
   or fail). Calls are made one at a time in the input's order, each on the
   thread the input names, so a failure replays exactly; objects move freely
   between threads. The calls respect COM's rules (no Release of a reference
   not held), as the CLR does; blocking calls end, because huge timeouts are
   used only where the awaited thread is sure to end.

   After every input: nothing crashed (or tripped a sanitizer), every
   reference and allocation came back, the statistics agree with what the
   hooks saw, pops never outnumber pushes, protocol errors were counted and
   never failed a call. A broken invariant aborts, which the fuzzer reports.

   Built with -fsanitize=fuzzer for libFuzzer, or with fuzz_main.c as a
   plain program (replay files, or run seeded pseudo-random inputs: that is
   how the Win32 layer is fuzzed under Wine). */
#include "../../clr/harness.h"

#include <stdlib.h>

#define FUZZ_WORKERS 3
#define FUZZ_HANDLES 8
#define FUZZ_CLR_TASKS 64
#define FUZZ_MAX_OPS 256

#define FUZZ_ASSERT(cond)                                                                      \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            fprintf(stderr, "fuzz_calls.c:%d: invariant broken: %s\n", __LINE__, #cond);     \
            abort();                                                                           \
        }                                                                                      \
    } while (0)

typedef struct reader {
    const unsigned char *p;
    size_t left;
} reader;

static unsigned byte_of(reader *r)
{
    if (!r->left)
        return 0;
    --r->left;
    return *r->p++;
}

/* Hook behaviour and what the hooks saw. */
typedef struct hook_log {
    long leave, enter, reverse_enter, reverse_leave, begin, end, asks, log_lines;
    int veto_target_bits; /* leave_runtime vetoes targets with (target & 3) == this; 4: never */
    HRESULT reverse_answer;
} hook_log;

static HRESULT fz_leave(void *user, clrhost_task *t, SIZE_T target)
{
    hook_log *h = (hook_log *)user;
    (void)t;
    T_INC(&h->leave);
    test_set_last_error(0xBAD); /* hooks may change it: it must come back */
    return (int)(target & 3) == h->veto_target_bits ? E_ACCESSDENIED : S_FALSE;
}
static void fz_enter(void *user, clrhost_task *t) { (void)t; T_INC(&((hook_log *)user)->enter); }
static HRESULT fz_reverse_enter(void *user, clrhost_task *t)
{
    hook_log *h = (hook_log *)user;
    (void)t;
    T_INC(&h->reverse_enter);
    return h->reverse_answer;
}
static void fz_reverse_leave(void *user, clrhost_task *t) { (void)t; T_INC(&((hook_log *)user)->reverse_leave); }
static void fz_begin(void *user, clrhost_task *t) { (void)t; T_INC(&((hook_log *)user)->begin); }
static void fz_end(void *user, clrhost_task *t) { (void)t; T_INC(&((hook_log *)user)->end); }
static BOOL fz_needs_hook(void *user, SIZE_T target)
{
    T_INC(&((hook_log *)user)->asks);
    return (target & 1) != 0;
}
static void fz_log(void *user, clrhost_task_log_level level, clrhost_task *t, const char *message)
{
    (void)level;
    (void)t;
    FUZZ_ASSERT(message && message[0]);
    T_INC(&((hook_log *)user)->log_lines);
}


/* ---- the world of one input ---------------------------------------------- */

typedef struct world world;

typedef struct worker {
    world *w;
    int index;
    long thread_id; /* the OS thread id, once the worker runs */
    test_thread *thread;
    test_count *seq;  /* bumped by the dispatcher for each op */
    test_count *done; /* set to seq when the op is finished */
    int quit;
    unsigned op, a, b, c;
} worker;

struct world {
    hook_log hooks; /* first: the hooks' user pointer is the world */
    counting_allocator alloc;
    clrhost_task_manager *m;
    IHostTaskManager *tm;
    IHostControl *hc;
    fake_host_control inner;
    fake_clr_task_manager clr_tm;
    test_mutex *lock; /* the handle table */
    IHostTask *handles[FUZZ_HANDLES]; /* each holds one reference */
    int joinable[FUZZ_HANDLES];       /* a started task of ours: it will end */
    fake_clr_task *clr_tasks[FUZZ_CLR_TASKS];
    int clr_count;
    long created, task_bodies;
    worker workers[FUZZ_WORKERS];
    int nworkers;
};


/* Turns away the odd-numbered workers. */
static BOOL fz_admit(void *user, DWORD id)
{
    world *w = (world *)user;
    int i;
    for (i = 0; i < w->nworkers; ++i)
        if ((DWORD)T_LOAD(&w->workers[i].thread_id) == id)
            return (i & 1) == 0;
    return TRUE;
}

static const GUID *fz_iid(unsigned b)
{
    switch (b % 6) {
    case 0: return &test_IID_IUnknown;
    case 1: return &test_IID_IHostTaskManager;
    case 2: return &test_IID_IHostTask;
    case 3: return &test_IID_IHostControl;
    case 4: return &test_IID_IHostMemoryManager;
    default: return &test_IID_ICLRTask;
    }
}

/* Stores a reference in a free slot, or releases it when all are taken. */
static void keep_handle(world *w, IHostTask *t, int joinable)
{
    int i;
    test_mutex_lock(w->lock);
    for (i = 0; i < FUZZ_HANDLES && w->handles[i]; ++i) {
    }
    if (i < FUZZ_HANDLES) {
        w->handles[i] = t;
        w->joinable[i] = joinable;
        t = NULL;
    }
    test_mutex_unlock(w->lock);
    if (t)
        t->lpVtbl->Release(t);
}

/* Takes an extra reference on slot i's task, for use outside the lock. */
static IHostTask *borrow(world *w, unsigned i, int *joinable)
{
    IHostTask *t;
    test_mutex_lock(w->lock);
    t = w->handles[i % FUZZ_HANDLES];
    if (t)
        t->lpVtbl->AddRef(t);
    if (joinable)
        *joinable = w->joinable[i % FUZZ_HANDLES];
    test_mutex_unlock(w->lock);
    return t;
}

static IHostTask *take(world *w, unsigned i)
{
    IHostTask *t;
    test_mutex_lock(w->lock);
    t = w->handles[i % FUZZ_HANDLES];
    w->handles[i % FUZZ_HANDLES] = NULL;
    test_mutex_unlock(w->lock);
    return t;
}

static DWORD WINAPI fz_task_body(LPVOID p)
{
    world *w = (world *)p;
    IHostTask *me = NULL;
    T_INC(&w->task_bodies);
    /* What a CLR thread does first, then a little native traffic. */
    if (w->tm->lpVtbl->GetCurrentTask(w->tm, &me) == S_OK && me)
        me->lpVtbl->Release(me);
    if (SUCCEEDED(w->tm->lpVtbl->LeaveRuntime(w->tm, 0x1001)))
        w->tm->lpVtbl->EnterRuntime(w->tm);
    return 0;
}

static DWORD timeout_of(unsigned b)
{
    static const DWORD t[4] = {0, 1, 2, INFINITE};
    return t[b % 4];
}

static void run_op(world *w, worker *me)
{
    IHostTaskManager *tm = w->tm;
    unsigned a = me->a, b = me->b, c = me->c;
    IHostTask *t = NULL;
    void *p;
    BOOL flag;
    int joinable = 0;
    HRESULT hr;
    switch (me->op % 20) {
    case 0: /* GetCurrentTask */
        t = (IHostTask *)(size_t)0xdeadbeef;
        hr = tm->lpVtbl->GetCurrentTask(tm, a & 1 ? NULL : &t);
        if (a & 1) {
            FUZZ_ASSERT(hr == E_POINTER);
        } else {
            FUZZ_ASSERT(hr == S_OK || hr == E_OUTOFMEMORY);
            FUZZ_ASSERT(hr == S_OK || t == NULL);
            if (t)
                keep_handle(w, t, 0);
        }
        break;
    case 1: /* Release a reference */
        t = take(w, a);
        if (t)
            t->lpVtbl->Release(t);
        break;
    case 2: /* AddRef: a second handle on the same task */
        t = borrow(w, a, &joinable);
        if (t)
            keep_handle(w, t, joinable);
        break;
    case 3:
        (void)tm->lpVtbl->LeaveRuntime(tm, (SIZE_T)a | (SIZE_T)b << 8);
        break;
    case 4:
        FUZZ_ASSERT(tm->lpVtbl->EnterRuntime(tm) == S_OK);
        break;
    case 5:
        (void)tm->lpVtbl->ReverseEnterRuntime(tm);
        break;
    case 6:
        FUZZ_ASSERT(tm->lpVtbl->ReverseLeaveRuntime(tm) == S_OK);
        break;
    case 7:
        flag = 2;
        hr = tm->lpVtbl->CallNeedsHostHook(tm, (SIZE_T)a | (SIZE_T)b << 8, c & 1 ? NULL : &flag);
        FUZZ_ASSERT(c & 1 ? hr == E_POINTER : hr == S_OK && (flag == TRUE || flag == FALSE));
        break;
    case 8: /* Sleep: never infinite here (nothing would wake a plain sleep) */
        hr = tm->lpVtbl->Sleep(tm, timeout_of(a) == INFINITE ? 3 : timeout_of(a), b & 7);
        FUZZ_ASSERT(hr == S_OK || hr == HOST_E_INTERRUPTED);
        break;
    case 9:
        FUZZ_ASSERT(tm->lpVtbl->SwitchToTask(tm, a) == S_OK);
        break;
    case 10:
        FUZZ_ASSERT(tm->lpVtbl->SetUILocale(tm, a) == S_OK);
        hr = tm->lpVtbl->SetLocale(tm, a & 1 ? 0x0409 : 0x0407);
        FUZZ_ASSERT(hr == S_OK);
        break;
    case 11:
        hr = (a & 1 ? tm->lpVtbl->BeginDelayAbort : tm->lpVtbl->EndDelayAbort)(tm);
        FUZZ_ASSERT(hr == S_OK || hr == E_UNEXPECTED || hr == HOST_E_INVALIDOPERATION);
        FUZZ_ASSERT((a & 2 ? tm->lpVtbl->BeginThreadAffinity : tm->lpVtbl->EndThreadAffinity)(tm) == S_OK);
        break;
    case 12: {
        ULONG g = 7;
        FUZZ_ASSERT(tm->lpVtbl->SetStackGuarantee(tm, a) == E_NOTIMPL);
        FUZZ_ASSERT(tm->lpVtbl->GetStackGuarantee(tm, a & 1 ? NULL : &g) == (a & 1 ? E_POINTER : E_NOTIMPL));
        break;
    }
    case 13: /* CreateTask, perhaps Start, perhaps Join */
        t = (IHostTask *)(size_t)0xdeadbeef;
        hr = tm->lpVtbl->CreateTask(tm, (DWORD)(a & 3) * 65536u, c & 8 ? NULL : fz_task_body, w, b & 16 ? NULL : &t);
        if (b & 16) {
            FUZZ_ASSERT(hr == E_POINTER);
            break;
        }
        if (c & 8) {
            FUZZ_ASSERT(hr == E_POINTER && t == NULL);
            break;
        }
        FUZZ_ASSERT(hr == S_OK || (FAILED(hr) && t == NULL));
        if (hr != S_OK)
            break;
        T_INC(&w->created);
        if (b & 1) {
            FUZZ_ASSERT(t->lpVtbl->Start(t) == S_OK);
            FUZZ_ASSERT(t->lpVtbl->Start(t) == HOST_E_INVALIDOPERATION);
            if (b & 2)
                FUZZ_ASSERT(t->lpVtbl->Join(t, INFINITE, WAIT_NOTINDEADLOCK | (c & 3)) == S_OK ||
                            (c & WAIT_ALERTABLE));
        }
        keep_handle(w, t, b & 1);
        break;
    case 14: /* Alert, Join, priorities */
        t = borrow(w, a, &joinable);
        if (!t)
            break;
        FUZZ_ASSERT(t->lpVtbl->Alert(t) == S_OK);
        {
            DWORD ms = timeout_of(b);
            if (ms == INFINITE && !joinable)
                ms = 2;
            hr = t->lpVtbl->Join(t, ms, c & 7);
            FUZZ_ASSERT(hr == S_OK || hr == HOST_E_TIMEOUT || hr == HOST_E_INTERRUPTED || hr == HOST_E_DEADLOCK);
        }
        {
            int prio = 99;
            hr = t->lpVtbl->SetPriority(t, (int)(signed char)c);
            FUZZ_ASSERT(hr != E_FAIL);
            FUZZ_ASSERT(t->lpVtbl->GetPriority(t, c & 1 ? NULL : &prio) == (c & 1 ? E_POINTER : S_OK));
        }
        t->lpVtbl->Release(t);
        break;
    case 15: /* SetCLRTask: a fresh fake CLR task, or NULL */
        t = borrow(w, a, NULL);
        if (!t)
            break;
        if (b & 1 || w->clr_count == FUZZ_CLR_TASKS) {
            FUZZ_ASSERT(t->lpVtbl->SetCLRTask(t, NULL) == S_OK);
        } else {
            fake_clr_task *f = fake_clr_task_new(NULL);
            w->clr_tasks[w->clr_count++] = f;
            FUZZ_ASSERT(t->lpVtbl->SetCLRTask(t, &f->iface) == S_OK);
        }
        t->lpVtbl->Release(t);
        break;
    case 16: /* QueryInterface on a task */
        t = borrow(w, a, NULL);
        if (!t)
            break;
        p = (void *)(size_t)0xdeadbeef;
        hr = t->lpVtbl->QueryInterface(t, fz_iid(b), c & 1 ? NULL : &p);
        if (c & 1)
            FUZZ_ASSERT(hr == E_POINTER);
        else if (hr == S_OK)
            ((IUnknown *)p)->lpVtbl->Release((IUnknown *)p);
        else
            FUZZ_ASSERT(hr == E_NOINTERFACE && p == NULL);
        t->lpVtbl->Release(t);
        break;
    case 17: /* the host control */
        p = (void *)(size_t)0xdeadbeef;
        hr = w->hc->lpVtbl->GetHostManager(w->hc, fz_iid(a), b & 1 ? NULL : &p);
        if (b & 1)
            FUZZ_ASSERT(hr == E_POINTER);
        else if (hr == S_OK)
            ((IUnknown *)p)->lpVtbl->Release((IUnknown *)p);
        else
            FUZZ_ASSERT(hr == E_NOINTERFACE && p == NULL);
        FUZZ_ASSERT(w->hc->lpVtbl->SetAppDomainManager(w->hc, c, NULL) == S_OK);
        break;
    case 18: /* QueryInterface on the manager and the host control */
        p = (void *)(size_t)0xdeadbeef;
        hr = tm->lpVtbl->QueryInterface(tm, fz_iid(a), &p);
        if (hr == S_OK)
            ((IUnknown *)p)->lpVtbl->Release((IUnknown *)p);
        else
            FUZZ_ASSERT(hr == E_NOINTERFACE && p == NULL);
        p = (void *)(size_t)0xdeadbeef;
        hr = w->hc->lpVtbl->QueryInterface(w->hc, fz_iid(b), &p);
        if (hr == S_OK)
            ((IUnknown *)p)->lpVtbl->Release((IUnknown *)p);
        else
            FUZZ_ASSERT(hr == E_NOINTERFACE && p == NULL);
        break;
    default: { /* a snapshot while others work */
        clrhost_task_manager_stats st;
        FUZZ_ASSERT(clrhost_task_manager_get_stats(w->m, &st) == S_OK);
        FUZZ_ASSERT(st.totals.enter_runtime <= st.totals.leave_runtime);
        FUZZ_ASSERT(st.totals.reverse_leave_runtime <= st.totals.reverse_enter_runtime);
        break;
    }
    }
}

static void worker_main(void *p)
{
    worker *me = (worker *)p;
    long seen = 0;
    T_STORE(&me->thread_id, (long)test_thread_id());
    for (;;) {
        seen = test_count_wait_change(me->seq, seen);
        if (me->quit)
            break;
        run_op(me->w, me);
        test_count_set(me->done, seen);
    }
}

static void dispatch(world *w, int i, unsigned op, unsigned a, unsigned b, unsigned c)
{
    worker *k = &w->workers[i];
    long seq = test_count_get(k->seq) + 1;
    k->op = op;
    k->a = a;
    k->b = b;
    k->c = c;
    test_count_set(k->seq, seq);
    while (test_count_wait_change(k->done, seq - 1) != seq)
        ;
}

/* Waits until f(w) or about 10 s; returns f(w). */
static int settle(world *w, int (*f)(world *))
{
    unsigned long long until = test_now_ms() + 10000;
    while (!f(w) && test_now_ms() < until)
        test_sleep_ms(1);
    return f(w);
}

static int no_live_tasks(world *w)
{
    clrhost_task_manager_stats st;
    clrhost_task_manager_get_stats(w->m, &st);
    return st.tasks_live == 0;
}

static int nothing_allocated(world *w) { return T_LOAD(&w->alloc.outstanding) == 0; }

int fuzz_one_input(const unsigned char *data, size_t size)
{
    static const char *modules[] = {"no-such-module", "libc", "KERNEL32", NULL};
    world *w = (world *)calloc(1, sizeof *w);
    reader r;
    clrhost_task_config cfg;
    clrhost_task_manager_stats st;
    unsigned config, behaviour;
    int i, ops;
    if (!w)
        abort();
    r.p = data;
    r.left = size;
    config = byte_of(&r);
    behaviour = byte_of(&r);
    w->nworkers = 1 + (int)(byte_of(&r) % FUZZ_WORKERS);
    w->lock = test_mutex_new();
    fake_clr_task_manager_init(&w->clr_tm);
    fake_host_control_init(&w->inner);

    test_config(&cfg, &w->alloc);
    cfg.flags = (config & 1 ? CLRHOST_TASK_TIMING : 0) | (config & 2 ? CLRHOST_TASK_COUNT_ASKS : 0) |
                (config & 4 ? CLRHOST_TASK_HOOK_ALL_CALLS : 0);
    cfg.hooks.user = &w->hooks; /* the first member of world: fz_admit's view too */
    w->hooks.veto_target_bits = behaviour & 4 ? (int)(behaviour & 3) : 4;
    w->hooks.reverse_answer = (behaviour >> 3 & 3) == 0   ? S_OK
                              : (behaviour >> 3 & 3) == 1 ? S_FALSE
                              : (behaviour >> 3 & 3) == 2 ? E_ACCESSDENIED
                                                          : E_FAIL;
    if (config & 8) {
        cfg.hooks.leave_runtime = fz_leave;
        cfg.hooks.enter_runtime = fz_enter;
        cfg.hooks.reverse_enter_runtime = fz_reverse_enter;
        cfg.hooks.reverse_leave_runtime = fz_reverse_leave;
        cfg.hooks.task_begin = fz_begin;
        cfg.hooks.task_end = fz_end;
        cfg.log_fn = fz_log;
    }
    if (config & 16)
        cfg.hook_modules = modules;
    if (config & 32)
        cfg.hooks.needs_hook = fz_needs_hook;
    if (config & 64)
        cfg.admit_thread = fz_admit;
    w->alloc.fail_at = behaviour & 0x80 ? (long)(1 + (behaviour >> 5 & 3)) : 0;
    if (clrhost_task_manager_create(&cfg, &w->m) != S_OK) {
        FUZZ_ASSERT(w->alloc.fail_at != 0 && T_LOAD(&w->alloc.outstanding) == 0);
        test_mutex_free(w->lock);
        free(w);
        return 0;
    }
    w->tm = clrhost_task_manager_iface(w->m);
    while (clrhost_task_host_control_create(w->m, config & 128 ? &w->inner.iface : NULL, &w->hc) != S_OK)
        FUZZ_ASSERT(w->alloc.fail_at != 0);
    FUZZ_ASSERT(w->tm->lpVtbl->SetCLRTaskManager(w->tm, &w->clr_tm.iface) == S_OK);

    for (i = 0; i < w->nworkers; ++i) {
        w->workers[i].w = w;
        w->workers[i].index = i;
        w->workers[i].seq = test_count_new();
        w->workers[i].done = test_count_new();
        w->workers[i].thread = test_thread_start(worker_main, &w->workers[i]);
    }
    for (ops = 0; r.left && ops < FUZZ_MAX_OPS; ++ops) {
        unsigned op = byte_of(&r), a = byte_of(&r), b = byte_of(&r), c = byte_of(&r);
        dispatch(w, (int)(op / 20) % w->nworkers, op, a, b, c);
    }
    for (i = 0; i < w->nworkers; ++i) {
        w->workers[i].quit = 1;
        test_count_set(w->workers[i].seq, test_count_get(w->workers[i].seq) + 1);
        test_thread_join(w->workers[i].thread); /* its adopted tasks end here */
        test_count_free(w->workers[i].seq);
        test_count_free(w->workers[i].done);
    }
    for (i = 0; i < FUZZ_HANDLES; ++i) {
        IHostTask *t = take(w, (unsigned)i);
        if (t)
            t->lpVtbl->Release(t); /* unstarted tasks are cancelled now */
    }
    FUZZ_ASSERT(settle(w, no_live_tasks));

    /* The statistics agree with what the hooks saw. */
    FUZZ_ASSERT(clrhost_task_manager_get_stats(w->m, &st) == S_OK);
    FUZZ_ASSERT(st.tasks_live == 0);
    FUZZ_ASSERT(st.tasks_created == (unsigned long long)T_LOAD(&w->created));
    FUZZ_ASSERT(st.tasks_ended == st.tasks_created + st.tasks_adopted);
    FUZZ_ASSERT(st.totals.enter_runtime <= st.totals.leave_runtime);
    FUZZ_ASSERT(st.totals.reverse_leave_runtime <= st.totals.reverse_enter_runtime);
    if (config & 8) {
        FUZZ_ASSERT(st.totals.leave_runtime + st.totals.leave_runtime_vetoed == (unsigned long long)w->hooks.leave);
        FUZZ_ASSERT(st.totals.enter_runtime == (unsigned long long)w->hooks.enter);
        FUZZ_ASSERT(st.totals.reverse_enter_runtime + st.totals.reverse_enter_vetoed ==
                    (unsigned long long)w->hooks.reverse_enter);
        FUZZ_ASSERT(st.totals.reverse_leave_runtime == (unsigned long long)w->hooks.reverse_leave);
        FUZZ_ASSERT(w->hooks.begin == w->hooks.end); /* every task that began has ended */
        FUZZ_ASSERT((unsigned long long)w->hooks.log_lines >= st.totals.protocol_errors);
    }
    if (config & 32)
        FUZZ_ASSERT(st.totals.needs_hook_asks == (unsigned long long)w->hooks.asks);

    /* Every reference and every allocation comes back. */
    FUZZ_ASSERT(w->hc->lpVtbl->Release(w->hc) == 0);
    clrhost_task_manager_release(w->m); /* the last task thread may still hold one */
    FUZZ_ASSERT(settle(w, nothing_allocated));
    FUZZ_ASSERT(T_LOAD(&w->alloc.bytes) == 0);
    FUZZ_ASSERT(T_LOAD(&w->clr_tm.refs) == 0);
    FUZZ_ASSERT(T_LOAD(&w->inner.refs) == 0 && T_LOAD(&w->inner.memory_manager_refs) == 0);
    for (i = 0; i < w->clr_count; ++i) {
        FUZZ_ASSERT(T_LOAD(&w->clr_tasks[i]->refs) == 0);
        FUZZ_ASSERT(T_LOAD(&w->clr_tasks[i]->exit_calls) <= 1);
        fake_clr_task_free(w->clr_tasks[i]);
    }
    FUZZ_ASSERT(test_failures() == 0);
    test_mutex_free(w->lock);
    free(w);
    return 0;
}

#ifdef CLRHOST_LIBFUZZER
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    static int initialised;
    if (!initialised) {
        test_harness_init();
        initialised = 1;
    }
    return fuzz_one_input(data, size);
}
#endif
