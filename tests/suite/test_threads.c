/* Threads against each other: Sleep, Join and Alert races, priorities,
   message-pumping waits, and many threads making transitions, taking
   snapshots, adopting and ending tasks at once (run under ThreadSanitizer). */
#include "../clr/clr_driver.h"

#include <stdlib.h>

#ifdef _WIN32
#include <windows.h>
#endif

typedef struct world {
    counting_allocator a;
    clrhost_task_manager *m;
    IHostTaskManager *tm;
} world;

static void world_open(world *w, unsigned flags)
{
    clrhost_task_config cfg;
    memset(w, 0, sizeof *w);
    test_config(&cfg, &w->a);
    cfg.flags = flags;
    CHECK_HR(clrhost_task_manager_create(&cfg, &w->m), S_OK);
    w->tm = clrhost_task_manager_iface(w->m);
}

static void world_close(world *w)
{
    clrhost_task_manager_stats st;
    CHECK_HR(clrhost_task_manager_get_stats(w->m, &st), S_OK);
    CHECK_EQ(st.tasks_live, 0);
    CHECK_EQ(clrhost_task_manager_release(w->m), 0);
    CHECK_EQ(T_LOAD(&w->a.outstanding), 0);
}

/* A foreign thread that adopts a task, publishes it, then runs `step`. */
typedef struct sleeper {
    world *w;
    IHostTask *task;   /* AddRef'd for the test thread */
    long ready, go, done;
    HRESULT results[3];
    unsigned long long elapsed[3];
    void (*step)(struct sleeper *);
} sleeper;

static void sleeper_body(void *p)
{
    sleeper *s = (sleeper *)p;
    IHostTask *task = NULL;
    CHECK_HR(s->w->tm->lpVtbl->GetCurrentTask(s->w->tm, &task), S_OK);
    s->task = task; /* the GetCurrentTask reference goes to the test thread */
    T_STORE(&s->ready, 1);
    test_wait_for(&s->go, 1);
    s->step(s);
    T_STORE(&s->done, 1);
}

static HRESULT timed_sleep(sleeper *s, DWORD ms, DWORD option, int slot)
{
    unsigned long long t0 = test_now_ms();
    HRESULT hr = s->w->tm->lpVtbl->Sleep(s->w->tm, ms, option);
    s->results[slot] = hr;
    s->elapsed[slot] = test_now_ms() - t0;
    return hr;
}

static test_thread *sleeper_start(sleeper *s, world *w, void (*step)(sleeper *))
{
    test_thread *t;
    memset(s, 0, sizeof *s);
    s->w = w;
    s->step = step;
    t = test_thread_start(sleeper_body, s);
    test_wait_for(&s->ready, 1);
    return t;
}

static void sleeper_finish(sleeper *s, test_thread *t)
{
    test_thread_join(t);
    CHECK_EQ(s->task->lpVtbl->Release(s->task), 0);
}

/* Runs `step` on a fresh adopted thread, alerting its task first if asked,
   and waits for the thread to be gone. */
static void run_sleeper(sleeper *s, world *w, void (*step)(sleeper *), int alert_first)
{
    test_thread *t = sleeper_start(s, w, step);
    if (alert_first)
        CHECK_HR(s->task->lpVtbl->Alert(s->task), S_OK);
    T_STORE(&s->go, 1);
    sleeper_finish(s, t);
}

/* ---- Alert and Sleep ---------------------------------------------------------- */

static void step_sleep_alertable(sleeper *s) { timed_sleep(s, INFINITE, WAIT_ALERTABLE, 0); }

TEST_CASE(test_alert_before_sleep, "threads/alert_before_sleep")
{
    world w;
    sleeper s;
    world_open(&w, 0);
    run_sleeper(&s, &w, step_sleep_alertable, 1); /* before the sleep begins */
    CHECK_HR(s.results[0], HOST_E_INTERRUPTED);
    world_close(&w);
}

TEST_CASE(test_alert_during_sleep, "threads/alert_during_sleep")
{
    world w;
    sleeper s;
    test_thread *t;
    world_open(&w, 0);
    t = sleeper_start(&s, &w, step_sleep_alertable);
    T_STORE(&s.go, 1);
    test_sleep_ms(50); /* let it fall asleep */
    CHECK_HR(s.task->lpVtbl->Alert(s.task), S_OK);
    sleeper_finish(&s, t);
    CHECK_HR(s.results[0], HOST_E_INTERRUPTED);
    world_close(&w);
}

static void step_plain_then_alertable(sleeper *s)
{
    timed_sleep(s, 50, 0, 0);                /* not alertable: sleeps it out */
    timed_sleep(s, INFINITE, WAIT_ALERTABLE, 1); /* the alert is still pending */
}

TEST_CASE(test_non_alertable_sleep_keeps_alert, "threads/non_alertable_sleep_keeps_alert")
{
    world w;
    sleeper s;
    world_open(&w, 0);
    run_sleeper(&s, &w, step_plain_then_alertable, 1);
    CHECK_HR(s.results[0], S_OK);
    CHECK(s.elapsed[0] >= 45);
    CHECK_HR(s.results[1], HOST_E_INTERRUPTED);
    world_close(&w);
}

static void step_consume_then_sleep(sleeper *s)
{
    timed_sleep(s, 10000, WAIT_ALERTABLE, 0); /* consumes the alert */
    timed_sleep(s, 60, WAIT_ALERTABLE, 1);    /* the left-over doorbell must not end it */
    timed_sleep(s, 0, WAIT_ALERTABLE, 2);
}

TEST_CASE(test_alert_is_consumed_once, "threads/alert_is_consumed_once")
{
    world w;
    sleeper s;
    world_open(&w, 0);
    run_sleeper(&s, &w, step_consume_then_sleep, 1);
    CHECK_HR(s.results[0], HOST_E_INTERRUPTED);
    CHECK(s.elapsed[0] < 5000);
    CHECK_HR(s.results[1], S_OK);
    CHECK(s.elapsed[1] >= 55);
    CHECK_HR(s.results[2], S_OK);
    world_close(&w);
}

TEST_CASE(test_sleep_without_task, "threads/sleep_without_task")
{
    world w;
    unsigned long long t0;
    world_open(&w, 0);
    t0 = test_now_ms();
    CHECK_HR(w.tm->lpVtbl->Sleep(w.tm, 30, WAIT_ALERTABLE), S_OK);
    CHECK(test_now_ms() - t0 >= 25);
    CHECK_HR(w.tm->lpVtbl->Sleep(w.tm, 0, 0), S_OK);
    world_close(&w);
}

/* ---- Join ------------------------------------------------------------------------ */

static void step_wait_for_done_signal(sleeper *s) { (void)s; }

TEST_CASE(test_join_timeout_then_end, "threads/join_timeout_then_end")
{
    world w;
    sleeper s;
    test_thread *t;
    unsigned long long t0;
    world_open(&w, 0);
    t = sleeper_start(&s, &w, step_wait_for_done_signal);
    t0 = test_now_ms();
    CHECK_HR(s.task->lpVtbl->Join(s.task, 50, WAIT_NOTINDEADLOCK), HOST_E_TIMEOUT);
    CHECK(test_now_ms() - t0 >= 45);
    CHECK_HR(s.task->lpVtbl->Join(s.task, 0, WAIT_NOTINDEADLOCK), HOST_E_TIMEOUT);
    T_STORE(&s.go, 1);
    /* An adopted thread has a real handle: joining it from elsewhere works. */
    CHECK_HR(s.task->lpVtbl->Join(s.task, INFINITE, WAIT_NOTINDEADLOCK | WAIT_ALERTABLE), S_OK);
    CHECK_HR(s.task->lpVtbl->Join(s.task, 0, WAIT_NOTINDEADLOCK), S_OK);
    sleeper_finish(&s, t);
    world_close(&w);
}

typedef struct joiner {
    world *w;
    IHostTask *target;
    IHostTask *self;
    long ready;
    HRESULT result;
} joiner;

static void joiner_body(void *p)
{
    joiner *j = (joiner *)p;
    CHECK_HR(j->w->tm->lpVtbl->GetCurrentTask(j->w->tm, &j->self), S_OK);
    T_STORE(&j->ready, 1);
    j->result = j->target->lpVtbl->Join(j->target, INFINITE, WAIT_ALERTABLE | WAIT_NOTINDEADLOCK);
}

TEST_CASE(test_alertable_join_interrupted, "threads/alertable_join_interrupted")
{
    world w;
    sleeper s;
    joiner j;
    test_thread *st, *jt;
    world_open(&w, 0);
    st = sleeper_start(&s, &w, step_wait_for_done_signal);
    memset(&j, 0, sizeof j);
    j.w = &w;
    j.target = s.task;
    jt = test_thread_start(joiner_body, &j);
    test_wait_for(&j.ready, 1);
    test_sleep_ms(50);
    CHECK_HR(j.self->lpVtbl->Alert(j.self), S_OK);
    test_thread_join(jt);
    CHECK_HR(j.result, HOST_E_INTERRUPTED);
    CHECK_EQ(j.self->lpVtbl->Release(j.self), 0);
    T_STORE(&s.go, 1);
    sleeper_finish(&s, st);
    world_close(&w);
}

static void step_self_join(sleeper *s)
{
    s->results[0] = s->task->lpVtbl->Join(s->task, 30, 0);
    s->results[1] = s->task->lpVtbl->Join(s->task, 30, WAIT_NOTINDEADLOCK);
}

TEST_CASE(test_self_join, "threads/self_join")
{
    world w;
    sleeper s;
    world_open(&w, 0);
    run_sleeper(&s, &w, step_self_join, 0);
    CHECK_HR(s.results[0], HOST_E_DEADLOCK);
    CHECK_HR(s.results[1], HOST_E_TIMEOUT); /* told not to call it a deadlock */
    world_close(&w);
}

/* The abort path joins the caller's own task, alertable and not as a
   deadlock (vm/threadsuspend.cpp, with 10 ms, 100 ms and INFINITE; the
   options from HostJoinOnThread, vm/threads.cpp): the timed joins time
   out, the endless one wakes on Alert. */
#define CLR_SELF_JOIN (WAIT_ALERTABLE | WAIT_NOTINDEADLOCK)

static void step_abort_path_self_joins(sleeper *s)
{
    unsigned long long t0 = test_now_ms();
    s->results[0] = s->task->lpVtbl->Join(s->task, 10, CLR_SELF_JOIN);
    s->elapsed[0] = test_now_ms() - t0;
    t0 = test_now_ms();
    s->results[1] = s->task->lpVtbl->Join(s->task, 100, CLR_SELF_JOIN);
    s->elapsed[1] = test_now_ms() - t0;
    T_STORE(&s->ready, 2); /* the endless one next: time to alert it */
    t0 = test_now_ms();
    s->results[2] = s->task->lpVtbl->Join(s->task, INFINITE, CLR_SELF_JOIN);
    s->elapsed[2] = test_now_ms() - t0;
}

TEST_CASE(test_abort_path_self_joins, "threads/abort_path_self_joins")
{
    world w;
    sleeper s;
    test_thread *t;
    world_open(&w, 0);
    t = sleeper_start(&s, &w, step_abort_path_self_joins);
    T_STORE(&s.go, 1);
    test_wait_for(&s.ready, 2);
    test_sleep_ms(50);
    CHECK_HR(s.task->lpVtbl->Alert(s.task), S_OK);
    sleeper_finish(&s, t);
    CHECK_HR(s.results[0], HOST_E_TIMEOUT);
    CHECK(s.elapsed[0] >= 8);
    CHECK_HR(s.results[1], HOST_E_TIMEOUT);
    CHECK(s.elapsed[1] >= 95);
    CHECK_HR(s.results[2], HOST_E_INTERRUPTED);
    CHECK(s.elapsed[2] >= 40);
    world_close(&w);
}

/* The finalizer parks in Sleep(INFINITE, 0) at shutdown
   (vm/finalizerthread.cpp): it must never come back, Alert or not, or the
   finalizer spins. The thread is left parked, as the CLR leaves its
   finalizer; its manager is never released. */
static void step_park_for_good(sleeper *s)
{
    s->results[0] = s->w->tm->lpVtbl->Sleep(s->w->tm, INFINITE, 0);
    T_STORE(&s->done, 2); /* never reached */
}

TEST_CASE(test_finalizer_parks_for_good, "threads/finalizer_parks_for_good")
{
    static world w; /* in use for the rest of the process */
    static sleeper s;
    world_open(&w, 0);
    (void)sleeper_start(&s, &w, step_park_for_good);
    T_STORE(&s.go, 1);
    test_sleep_ms(100);
    CHECK_HR(s.task->lpVtbl->Alert(s.task), S_OK); /* Thread.Interrupt on it */
    test_sleep_ms(200);
    CHECK_HR(s.task->lpVtbl->Alert(s.task), S_OK);
    test_sleep_ms(200);
    CHECK_EQ(T_LOAD(&s.done), 0);
}

/* ---- priority, locale, message pump ----------------------------------------- */

static void step_priority(sleeper *s)
{
    int p = 99;
    s->results[0] = s->task->lpVtbl->SetPriority(s->task, THREAD_PRIORITY_BELOW_NORMAL);
    s->results[1] = s->task->lpVtbl->GetPriority(s->task, &p);
    s->elapsed[1] = (unsigned long long)(p + 100);
#ifdef _WIN32
    s->elapsed[2] = (unsigned long long)(GetThreadPriority(GetCurrentThread()) + 100);
#else
    s->elapsed[2] = (unsigned long long)(p + 100);
#endif
}

TEST_CASE(test_priority, "threads/priority")
{
    world w;
    sleeper s;
    test_thread *t;
    HRESULT hr;
    world_open(&w, 0);
    t = sleeper_start(&s, &w, step_priority);
    T_STORE(&s.go, 1);
    test_thread_join(t);
    CHECK_HR(s.results[0], S_OK);
    CHECK_HR(s.results[1], S_OK);
    CHECK_EQ(s.elapsed[1], THREAD_PRIORITY_BELOW_NORMAL + 100);
    CHECK_EQ(s.elapsed[2], THREAD_PRIORITY_BELOW_NORMAL + 100); /* the OS thread's own */
    hr = s.task->lpVtbl->SetPriority(s.task, 12345);
    CHECK(FAILED(hr));
    CHECK(hr != E_FAIL);
    CHECK_EQ(s.task->lpVtbl->Release(s.task), 0);
    world_close(&w);
}

static void step_locale_and_pump(sleeper *s)
{
    s->results[0] = s->w->tm->lpVtbl->SetLocale(s->w->tm, 0x0407);
#ifdef _WIN32
    s->elapsed[0] = GetThreadLocale();
    /* A message is waiting: the pumping sleep dispatches it and sleeps on. */
    PostThreadMessageW(GetCurrentThreadId(), WM_USER + 1, 0, 0);
    timed_sleep(s, 60, WAIT_MSGPUMP, 1);
    {
        MSG msg;
        s->elapsed[2] = PeekMessageW(&msg, NULL, WM_USER + 1, WM_USER + 1, PM_REMOVE) ? 1 : 0;
    }
#else
    s->elapsed[0] = 0x0407;
    timed_sleep(s, 60, WAIT_MSGPUMP, 1);
    s->elapsed[2] = 0;
#endif
}

TEST_CASE(test_locale_and_message_pump, "threads/locale_and_message_pump")
{
    world w;
    sleeper s;
    world_open(&w, 0);
    run_sleeper(&s, &w, step_locale_and_pump, 0);
    CHECK_HR(s.results[0], S_OK);
    CHECK_EQ(s.elapsed[0], 0x0407);
    CHECK_HR(s.results[1], S_OK);
    CHECK(s.elapsed[1] >= 55);
    CHECK_EQ(s.elapsed[2], 0); /* pumped */
    world_close(&w);
}

/* ---- many threads at once ------------------------------------------------------ */

#define STORM_THREADS 4
#define STORM_ROUNDS 2000

typedef struct storm {
    clr_sim *clr;
    clrhost_task_manager *m;
    long stop;
    long hooks;
    fake_clr_task *clr_threads[STORM_THREADS];
} storm;

typedef struct storm_thread {
    storm *s;
    int index;
} storm_thread;

static HRESULT storm_leave(void *user, clrhost_task *task, SIZE_T target)
{
    (void)task;
    (void)target;
    T_INC(&((storm *)user)->hooks);
    return S_OK;
}

static void storm_native(void *p) { (void)p; }
static int storm_managed(void *p)
{
    storm_thread *t = (storm_thread *)p;
    return clr_pinvoke(t->s->clr, (SIZE_T)&storm_native, storm_native, NULL) == S_OK ? 0 : 1;
}

static void storm_body(void *p)
{
    storm_thread *t = (storm_thread *)p;
    int i;
    CHECK_HR(clr_thread_enter(t->s->clr, &t->s->clr_threads[t->index]), S_OK);
    for (i = 0; i < STORM_ROUNDS; ++i) {
        CHECK_HR(clr_pinvoke(t->s->clr, (SIZE_T)&storm_native, storm_native, NULL), S_OK);
        CHECK_HR(clr_reverse_call(t->s->clr, storm_managed, t), S_OK);
        CHECK_HR(clr_blocking_wait(t->s->clr, storm_native, NULL), S_OK);
    }
}

static void storm_watch(void *ctx, clrhost_task *task)
{
    clrhost_task_counters c;
    clrhost_task_get_counters(task, &c);
    CHECK(c.enter_runtime <= c.leave_runtime);
    (void)ctx;
    (void)clrhost_task_depth(task);
    (void)clrhost_task_in_native(task);
}

TEST_CASE(test_concurrent_transitions_and_snapshots, "threads/concurrent_transitions_and_snapshots")
{
    counting_allocator a = {0};
    clrhost_task_config cfg;
    storm s;
    storm_thread args[STORM_THREADS];
    test_thread *threads[STORM_THREADS];
    clr_sim clr;
    IHostControl *hc;
    clrhost_task_manager_stats st;
    unsigned long long prev = 0;
    int i, live = STORM_THREADS;
    memset(&s, 0, sizeof s);
    test_config(&cfg, &a);
    cfg.flags = CLRHOST_TASK_TIMING | CLRHOST_TASK_COUNT_ASKS;
    cfg.hooks.user = &s;
    cfg.hooks.leave_runtime = storm_leave;
    CHECK_HR(clrhost_task_manager_create(&cfg, &s.m), S_OK);
    CHECK_HR(clrhost_task_host_control_create(s.m, NULL, &hc), S_OK);
    clr_init(&clr, CLR_X64);
    CHECK_HR(clr_set_host_control(&clr, hc), S_OK);
    s.clr = &clr;
    for (i = 0; i < STORM_THREADS; ++i) {
        args[i].s = &s;
        args[i].index = i;
        threads[i] = test_thread_start(storm_body, &args[i]);
    }
    /* Snapshots while the storm goes on: totals only ever grow. */
    while (live) {
        CHECK_HR(clrhost_task_manager_get_stats(s.m, &st), S_OK);
        CHECK(st.totals.leave_runtime >= prev);
        prev = st.totals.leave_runtime;
        CHECK_HR(clrhost_task_manager_foreach(s.m, storm_watch, NULL), S_OK);
        live = (int)st.tasks_live > 0 || st.tasks_adopted < STORM_THREADS;
        test_sleep_ms(1);
    }
    for (i = 0; i < STORM_THREADS; ++i)
        test_thread_join(threads[i]);
    CHECK_HR(clrhost_task_manager_get_stats(s.m, &st), S_OK);
    /* per round: the P/Invoke, the one inside the reverse call, the wait;
       plus ExitTask's wait once per thread */
    CHECK_EQ(st.totals.leave_runtime, (unsigned long long)STORM_THREADS * (STORM_ROUNDS * 3 + 1));
    CHECK_EQ(st.totals.enter_runtime, st.totals.leave_runtime);
    CHECK_EQ(st.totals.reverse_enter_runtime, (unsigned long long)STORM_THREADS * STORM_ROUNDS);
    CHECK_EQ(st.totals.reverse_leave_runtime, st.totals.reverse_enter_runtime);
    CHECK_EQ(st.totals.needs_hook_asks, (unsigned long long)STORM_THREADS * STORM_ROUNDS * 2);
    CHECK_EQ(st.totals.protocol_errors, 0);
    CHECK_EQ(T_LOAD(&s.hooks), (long)st.totals.leave_runtime);
    for (i = 0; i < STORM_THREADS; ++i) {
        CHECK_EQ(T_LOAD(&s.clr_threads[i]->exit_calls), 1);
        fake_clr_task_free(s.clr_threads[i]);
    }
    clr_shutdown(&clr);
    CHECK_EQ(hc->lpVtbl->Release(hc), 0);
    CHECK_EQ(clrhost_task_manager_release(s.m), 0);
    CHECK_EQ(T_LOAD(&a.outstanding), 0);
}

/* What a snapshot promises while tasks count (the manual, under
   clrhost_task_manager_get_stats): every counter is a value it really had,
   never torn and never going back, and a close is never seen without its
   open: EnterRuntime <= LeaveRuntime, ReverseLeave <= ReverseEnter and
   TRUE answers <= questions, per task and in the totals. */
#define SNAPSHOT_WRITERS 2
#define SNAPSHOT_ROUNDS 200000

typedef struct snapshot_storm {
    world *w;
    long started, stop;
} snapshot_storm;

static void snapshot_writer(void *p)
{
    snapshot_storm *s = (snapshot_storm *)p;
    IHostTaskManager *tm = s->w->tm;
    IHostTask *self = NULL;
    BOOL hooked;
    int i;
    CHECK_HR(tm->lpVtbl->GetCurrentTask(tm, &self), S_OK);
    T_INC(&s->started);
    for (i = 0; i < SNAPSHOT_ROUNDS && !T_LOAD(&s->stop); ++i) {
        (void)tm->lpVtbl->CallNeedsHostHook(tm, (SIZE_T)0x4000, &hooked);
        (void)tm->lpVtbl->LeaveRuntime(tm, (SIZE_T)0x4000);
        (void)tm->lpVtbl->EnterRuntime(tm);
        (void)tm->lpVtbl->ReverseEnterRuntime(tm);
        (void)tm->lpVtbl->ReverseLeaveRuntime(tm);
    }
    self->lpVtbl->Release(self);
}

static int counters_coherent(const clrhost_task_counters *c)
{
    return c->enter_runtime <= c->leave_runtime && c->reverse_leave_runtime <= c->reverse_enter_runtime &&
           c->needs_hook_true <= c->needs_hook_asks;
}

static void check_task_snapshot(void *ctx, clrhost_task *task)
{
    clrhost_task_counters c;
    clrhost_task_get_counters(task, &c);
    if (!counters_coherent(&c))
        T_INC((long *)ctx);
}

TEST_CASE(test_snapshots_while_tasks_count, "threads/snapshots_while_tasks_count")
{
    world w;
    snapshot_storm s;
    test_thread *t[SNAPSHOT_WRITERS];
    clrhost_task_manager_stats st, prev;
    long incoherent = 0, task_incoherent = 0, backwards = 0, snapshots = 0;
    int i;
    world_open(&w, CLRHOST_TASK_COUNT_ASKS | CLRHOST_TASK_HOOK_ALL_CALLS);
    memset(&s, 0, sizeof s);
    memset(&prev, 0, sizeof prev);
    s.w = &w;
    for (i = 0; i < SNAPSHOT_WRITERS; ++i)
        t[i] = test_thread_start(snapshot_writer, &s);
    test_wait_for(&s.started, SNAPSHOT_WRITERS);
    do {
        CHECK_HR(clrhost_task_manager_get_stats(w.m, &st), S_OK);
        ++snapshots;
        if (!counters_coherent(&st.totals))
            ++incoherent;
        if (st.totals.leave_runtime < prev.totals.leave_runtime ||
            st.totals.enter_runtime < prev.totals.enter_runtime ||
            st.totals.needs_hook_asks < prev.totals.needs_hook_asks)
            ++backwards;
        prev = st;
        CHECK_HR(clrhost_task_manager_foreach(w.m, check_task_snapshot, &task_incoherent), S_OK);
    } while (st.tasks_live > 0 && snapshots < 10 * SNAPSHOT_ROUNDS);
    T_STORE(&s.stop, 1);
    for (i = 0; i < SNAPSHOT_WRITERS; ++i)
        test_thread_join(t[i]);
    printf("     (%ld snapshots while %d tasks counted)\n", snapshots, SNAPSHOT_WRITERS);
    CHECK_EQ(incoherent, 0);
    CHECK_EQ(task_incoherent, 0);
    CHECK_EQ(backwards, 0);
    CHECK_HR(clrhost_task_manager_get_stats(w.m, &st), S_OK);
    CHECK_EQ(st.totals.enter_runtime, st.totals.leave_runtime);
    CHECK_EQ(st.totals.reverse_leave_runtime, st.totals.reverse_enter_runtime);
    CHECK_EQ(st.tasks_ended, SNAPSHOT_WRITERS);
    world_close(&w);
}

/* Alerts fired at tasks that sleep, join and wake in a loop. */
typedef struct alert_storm {
    world *w;
    IHostTask *tasks[2];
    long ready;
    long stop;
    long interrupted;
} alert_storm;

static void alert_storm_body(void *p)
{
    alert_storm *a = (alert_storm *)p;
    IHostTask *self = NULL;
    int i, slot;
    CHECK_HR(a->w->tm->lpVtbl->GetCurrentTask(a->w->tm, &self), S_OK);
    slot = (int)T_INC(&a->ready) - 1;
    a->tasks[slot] = self;
    while (T_LOAD(&a->ready) < 3)
        test_sleep_ms(1);
    for (i = 0; i < 300; ++i) {
        HRESULT hr = a->w->tm->lpVtbl->Sleep(a->w->tm, 1, WAIT_ALERTABLE);
        CHECK(hr == S_OK || hr == HOST_E_INTERRUPTED);
        if (hr == HOST_E_INTERRUPTED)
            T_INC(&a->interrupted);
    }
}

TEST_CASE(test_alert_storm, "threads/alert_storm")
{
    world w;
    alert_storm a;
    test_thread *t[2];
    int i;
    world_open(&w, 0);
    memset(&a, 0, sizeof a);
    a.w = &w;
    t[0] = test_thread_start(alert_storm_body, &a);
    t[1] = test_thread_start(alert_storm_body, &a);
    test_wait_for(&a.ready, 2);
    for (i = 0; i < 2; ++i)
        a.tasks[i]->lpVtbl->AddRef(a.tasks[i]); /* ours, beyond the thread's */
    T_INC(&a.ready);
    for (i = 0; i < 400; ++i) {
        CHECK_HR(a.tasks[i % 2]->lpVtbl->Alert(a.tasks[i % 2]), S_OK);
        if (i % 50 == 0)
            test_sleep_ms(1);
    }
    test_thread_join(t[0]);
    test_thread_join(t[1]);
    CHECK(T_LOAD(&a.interrupted) > 0);
    for (i = 0; i < 2; ++i) {
        /* One reference from GetCurrentTask, one of ours. */
        a.tasks[i]->lpVtbl->Release(a.tasks[i]);
        CHECK_EQ(a.tasks[i]->lpVtbl->Release(a.tasks[i]), 0);
    }
    world_close(&w);
}

/* Adopted and created tasks coming and going. */
typedef struct churn {
    clr_sim *clr;
    fake_clr_task *clr_thread;
} churn;

static void churn_adopted(void *p)
{
    churn *c = (churn *)p;
    CHECK_HR(clr_thread_enter(c->clr, &c->clr_thread), S_OK);
    CHECK_HR(clr_pinvoke(c->clr, (SIZE_T)&storm_native, storm_native, NULL), S_OK);
}

#define CHURN 200

TEST_CASE(test_thread_churn, "threads/thread_churn")
{
    counting_allocator a = {0};
    clrhost_task_config cfg;
    clrhost_task_manager *m;
    IHostControl *hc;
    clr_sim clr;
    churn c[8];
    IHostTask *join[8];
    fake_clr_task *created[8];
    test_thread *t[8];
    clrhost_task_manager_stats st;
    long baseline;
    int round, i;
    storm counter;
    memset(&counter, 0, sizeof counter);
    test_config(&cfg, &a);
    cfg.hooks.user = &counter;
    cfg.hooks.leave_runtime = storm_leave;
    CHECK_HR(clrhost_task_manager_create(&cfg, &m), S_OK);
    CHECK_HR(clrhost_task_host_control_create(m, NULL, &hc), S_OK);
    clr_init(&clr, CLR_X86);
    CHECK_HR(clr_set_host_control(&clr, hc), S_OK);
    baseline = T_LOAD(&a.outstanding);
    for (round = 0; round < CHURN / 8; ++round) {
        for (i = 0; i < 8; ++i) {
            c[i].clr = &clr;
            c[i].clr_thread = NULL;
            t[i] = test_thread_start(churn_adopted, &c[i]);
            CHECK_HR(clr_create_thread(&clr, CLR_THREAD_POOL, 0, NULL, NULL, &join[i], &created[i]), S_OK);
        }
        for (i = 0; i < 8; ++i) {
            test_thread_join(t[i]);
            CHECK_EQ(T_LOAD(&c[i].clr_thread->exit_calls), 1);
            fake_clr_task_free(c[i].clr_thread);
            CHECK_HR(join[i]->lpVtbl->Join(join[i], INFINITE, WAIT_NOTINDEADLOCK), S_OK);
            CHECK_EQ(join[i]->lpVtbl->Release(join[i]), 0);
            CHECK_EQ(T_LOAD(&created[i]->exit_calls), 1);
            fake_clr_task_free(created[i]);
        }
    }
    CHECK_HR(clrhost_task_manager_get_stats(m, &st), S_OK);
    CHECK_EQ(st.tasks_adopted, CHURN);
    CHECK_EQ(st.tasks_created, CHURN);
    CHECK_EQ(st.tasks_ended, 2 * CHURN);
    CHECK_EQ(st.tasks_live, 0);
    CHECK_EQ(T_LOAD(&a.outstanding), baseline); /* back to where it started */
    clr_shutdown(&clr);
    CHECK_EQ(hc->lpVtbl->Release(hc), 0);
    CHECK_EQ(clrhost_task_manager_release(m), 0);
    CHECK_EQ(T_LOAD(&a.outstanding), 0);
}

