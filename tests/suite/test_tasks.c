/* What a host sees of each task and can do with it: the kinds the CLR
   reports, the counters of Sleep, SwitchToTask, Join, Alert, forced yields
   and thread affinity, the live view read from other threads while the
   tasks run, and the CLR's own controls on a task (Abort, YieldTask,
   LocksHeld, GetMemStats, SetTaskIdentifier) with the rules the CLR's
   Thread sets for them, also while the task ends. Run under TSan too. */
#include "../clr/clr_driver.h"

#include <stdlib.h>

/* ---- a host and a played CLR ---------------------------------------------- */

typedef struct host {
    counting_allocator a;
    clrhost_task_manager *m;
    IHostTaskManager *tm;
    IHostControl *hc;
    clr_sim clr;
} host;

static void host_open(host *h, unsigned flags)
{
    clrhost_task_config cfg;
    memset(h, 0, sizeof *h);
    test_config(&cfg, &h->a);
    cfg.flags = flags;
    CHECK_HR(clrhost_task_manager_create(&cfg, &h->m), S_OK);
    CHECK_HR(clrhost_task_host_control_create(h->m, NULL, &h->hc), S_OK);
    h->tm = clrhost_task_manager_iface(h->m);
    clr_init(&h->clr, CLR_X64);
    CHECK_HR(clr_set_host_control(&h->clr, h->hc), S_OK);
}

static void host_close(host *h, clrhost_task_manager_stats *st)
{
    clr_shutdown(&h->clr);
    CHECK_HR(clrhost_task_manager_get_stats(h->m, st), S_OK);
    CHECK_EQ(st->tasks_live, 0);
    CHECK_EQ(st->totals.protocol_errors, 0);
    CHECK_EQ(h->hc->lpVtbl->Release(h->hc), 0);
    CHECK_EQ(clrhost_task_manager_release(h->m), 0);
    CHECK_EQ(T_LOAD(&h->a.outstanding), 0);
}

/* A thread the played CLR makes, through CreateTask, running `body`;
   waited for with IHostTask::Join, its fake ICLRTask freed after. */
static void run_clr_thread(host *h, long type, void (*body)(void *), void *arg)
{
    IHostTask *join = NULL;
    fake_clr_task *fake = NULL;
    clr_thread_kind how = type == TT_THREADPOOL_WORKER ? CLR_THREAD_POOL : CLR_THREAD_USER;
    CHECK_HR(clr_create_thread_as(&h->clr, how, type, 0, body, arg, &join, &fake), S_OK);
    if (!join)
        return;
    CHECK_HR(join->lpVtbl->Join(join, INFINITE, 0), S_OK);
    join->lpVtbl->Release(join);
    CHECK_EQ(T_LOAD(&fake->rule_breaks), 0);
    fake_clr_task_free(fake);
}

/* ---- kinds ------------------------------------------------------------------- */

typedef struct kind_probe {
    host *h;
    clrhost_task_kind kind;
    LONG type;
    long thread_type; /* for a foreign thread: its type flags, set before it is adopted */
    int enter;        /* for a foreign thread: enter the runtime (get a CLR Thread) */
} kind_probe;

static void probe_current(void *p)
{
    kind_probe *k = (kind_probe *)p;
    clrhost_task *t = clrhost_task_current(k->h->m);
    CHECK(t != NULL);
    k->kind = clrhost_task_get_kind(t);
    k->type = clrhost_task_clr_type(t);
}

/* A thread the CLR did not make: adopted by GetCurrentTask; with `enter`
   it runs managed code (clr_thread_enter: SetCLRTask), else it only asks. */
static void foreign_thread(void *p)
{
    kind_probe *k = (kind_probe *)p;
    IHostTask *task = NULL;
    clr_set_thread_type(k->thread_type);
    if (k->enter) {
        fake_clr_task *fake = NULL;
        CHECK_HR(clr_thread_enter(&k->h->clr, &fake), S_OK);
        probe_current(k);
        CHECK(fake != NULL);
        /* ExitTask comes from the thread-exit callback; the fake is freed
           by whoever waits for this thread (it leaks nothing: no owned). */
        if (fake)
            T_STORE(&fake->release_late, 0);
        return;
    }
    CHECK_HR(k->h->tm->lpVtbl->GetCurrentTask(k->h->tm, &task), S_OK);
    probe_current(k);
    if (task)
        task->lpVtbl->Release(task);
}

typedef struct kinds_run {
    host h;
    kind_probe start, user, worker, finalizer, gc;
} kinds_run;

static void kinds_host_main(void *p)
{
    kinds_run *r = (kinds_run *)p;
    CHECK_HR(clr_start(&r->h.clr), S_OK); /* this thread: adopted, then a CLR Thread */
    probe_current(&r->start);
    run_clr_thread(&r->h, TT_USER, probe_current, &r->user);
    run_clr_thread(&r->h, TT_THREADPOOL_WORKER, probe_current, &r->worker);
    run_clr_thread(&r->h, TT_FINALIZER, probe_current, &r->finalizer);
    run_clr_thread(&r->h, TT_GC, probe_current, &r->gc);
}

TEST_CASE(test_kinds, "tasks/kinds")
{
    kinds_run r;
    kind_probe plain, gate;
    clrhost_task_manager_stats st;
    ULONGLONG sum = 0;
    int k;
    memset(&r, 0, sizeof r);
    host_open(&r.h, 0);
    r.start.h = r.user.h = r.worker.h = r.finalizer.h = r.gc.h = &r.h;
    test_run_on_thread(kinds_host_main, &r);
    /* [SRC] GetCurrentTaskType inside SetCLRTask gives each CLR thread's kind. */
    CHECK_EQ(r.start.kind, CLRHOST_TASK_KIND_USER); /* a foreign thread with a CLR Thread */
    CHECK_EQ(r.user.kind, CLRHOST_TASK_KIND_USER);
    CHECK_EQ(r.user.type, TT_USER);
    CHECK_EQ(r.worker.kind, CLRHOST_TASK_KIND_THREADPOOL_WORKER);
    CHECK_EQ(r.finalizer.kind, CLRHOST_TASK_KIND_FINALIZER);
    CHECK_EQ(r.gc.kind, CLRHOST_TASK_KIND_GC);
    /* Foreign threads that never get a CLR Thread: UNKNOWN, or what their
       type flags say (the thread pool's gate thread), asked at adoption. */
    memset(&plain, 0, sizeof plain);
    plain.h = &r.h;
    test_run_on_thread(foreign_thread, &plain);
    CHECK_EQ(plain.kind, CLRHOST_TASK_KIND_UNKNOWN);
    CHECK_EQ(plain.type, TT_UNKNOWN);
    memset(&gate, 0, sizeof gate);
    gate.h = &r.h;
    gate.thread_type = TT_THREADPOOL_GATE;
    test_run_on_thread(foreign_thread, &gate);
    CHECK_EQ(gate.kind, CLRHOST_TASK_KIND_OTHER);
    CHECK_EQ(gate.type, TT_THREADPOOL_GATE);
    CHECK(strcmp(clrhost_task_kind_name(CLRHOST_TASK_KIND_THREADPOOL_WORKER), "threadpool-worker") == 0);
    CHECK(strcmp(clrhost_task_kind_name(CLRHOST_TASK_KIND_COUNT), "?") == 0);
    CHECK_EQ(clrhost_task_get_kind(NULL), CLRHOST_TASK_KIND_UNKNOWN);

    fake_clr_task_free(r.h.clr.start_thread);
    host_close(&r.h, &st);
    CHECK_EQ(st.by_kind[CLRHOST_TASK_KIND_USER].tasks, 2);
    CHECK_EQ(st.by_kind[CLRHOST_TASK_KIND_THREADPOOL_WORKER].tasks, 1);
    CHECK_EQ(st.by_kind[CLRHOST_TASK_KIND_FINALIZER].tasks, 1);
    CHECK_EQ(st.by_kind[CLRHOST_TASK_KIND_GC].tasks, 1);
    CHECK_EQ(st.by_kind[CLRHOST_TASK_KIND_OTHER].tasks, 1);
    CHECK_EQ(st.by_kind[CLRHOST_TASK_KIND_UNKNOWN].tasks, 1);
    for (k = 0; k < CLRHOST_TASK_KIND_COUNT; ++k) {
        sum += st.by_kind[k].tasks;
        CHECK_EQ(st.by_kind[k].live, 0);
    }
    CHECK_EQ(sum, st.tasks_created + st.tasks_adopted);
    /* Every task's SwitchToTask(0) at its start counts under its kind. */
    CHECK_EQ(st.by_kind[CLRHOST_TASK_KIND_FINALIZER].counters.switches, 1);
}

/* ---- counters ------------------------------------------------------------------ */

/* Without the task view (CLRHOST_TASK_NO_TASK_VIEW) there is no view to
   read and no forced yield to ask: the counters test checks the rest. */
#ifndef CLRHOST_TASK_NO_TASK_VIEW
#define WITH_TASK_VIEW 1
#else
#define WITH_TASK_VIEW 0
#endif

typedef struct counted {
    host *h;
    IHostTask *self;     /* AddRef'd for the other thread */
    fake_clr_task *fake;
    clrhost_task_view nested_view, after_view;
    long ready, alerted, yield_asked, done;
    ULONGLONG start_switches; /* the start thread's SwitchToTask calls */
} counted;

static void short_wait(void *p) { (void)p; test_sleep_ms(1); }

static void counted_body(void *p)
{
    counted *c = (counted *)p;
    IHostTaskManager *tm = c->h->tm;
    int i;
    CHECK_HR(tm->lpVtbl->GetCurrentTask(tm, &c->self), S_OK);
    c->fake = clr_current_thread();
    T_STORE(&c->ready, 1);
    for (i = 0; i < 3; ++i)
        CHECK_HR(tm->lpVtbl->Sleep(tm, 2, 0), S_OK);
    CHECK_HR(tm->lpVtbl->SwitchToTask(tm, 0), S_OK);
    CHECK_HR(tm->lpVtbl->BeginThreadAffinity(tm), S_OK);
    CHECK_HR(tm->lpVtbl->BeginThreadAffinity(tm), S_OK);
#if WITH_TASK_VIEW
    CHECK_HR(clrhost_task_get_view(clrhost_task_current(c->h->m), &c->nested_view), S_OK);
#endif
    CHECK_HR(tm->lpVtbl->EndThreadAffinity(tm), S_OK);
    CHECK_HR(tm->lpVtbl->EndThreadAffinity(tm), S_OK);
    CHECK_HR(tm->lpVtbl->EndThreadAffinity(tm), S_OK); /* unbalanced: the nesting stays at 0 */
#if WITH_TASK_VIEW
    CHECK_HR(clrhost_task_get_view(clrhost_task_current(c->h->m), &c->after_view), S_OK);
#endif
    test_wait_for(&c->alerted, 1);
    /* A forced yield asked from outside is taken at the next safe point:
       back in managed code after a P/Invoke (the CLR's redirect). */
    test_wait_for(&c->yield_asked, 1);
    CHECK_HR(clr_pinvoke(&c->h->clr, (SIZE_T)&short_wait, short_wait, NULL), S_OK);
    T_STORE(&c->done, 1);
}

static DWORD WINAPI ends_at_once(LPVOID p) { (void)p; return 0; }

static void counters_host_main(void *p)
{
    counted *c = (counted *)p;
    IHostTaskManager *tm = c->h->tm;
    IHostTask *quick = NULL;
    IHostTask *join = NULL;
    fake_clr_task *fake = NULL;
    clrhost_task_counters mine;
    CHECK_HR(clr_start(&c->h->clr), S_OK);
    CHECK_HR(clr_create_thread(&c->h->clr, CLR_THREAD_USER, 0, counted_body, c, &join, &fake), S_OK);
    test_wait_for(&c->ready, 1);
    /* Alerts come from other threads: counted on the alerted task. */
    CHECK_HR(c->self->lpVtbl->Alert(c->self), S_OK);
    T_STORE(&c->alerted, 1);
#if WITH_TASK_VIEW
    CHECK_HR(clrhost_task_yield(clrhost_task_from_iface(c->self)), S_OK);
#endif
    T_STORE(&c->yield_asked, 1);
    /* Joins count on the joining task. */
    CHECK_HR(tm->lpVtbl->CreateTask(tm, 0, ends_at_once, NULL, &quick), S_OK);
    CHECK_HR(quick->lpVtbl->Start(quick), S_OK);
    CHECK_HR(quick->lpVtbl->Join(quick, INFINITE, 0), S_OK);
    quick->lpVtbl->Release(quick);
    CHECK_HR(join->lpVtbl->Join(join, INFINITE, 0), S_OK);
    clrhost_task_get_counters(clrhost_task_current(c->h->m), &mine);
    CHECK_EQ(mine.joins, 2);
    /* clr_start's bracket came before the thread had a task; then the
       thread-store lock as it entered the runtime (SetupThread) and at new
       Thread: LockThreadStore's affinity bracket and the Crst's. */
    CHECK_EQ(mine.thread_affinity, 4);
    c->start_switches = mine.switches; /* 1 as it entered, and Thread.Start's yields */
    join->lpVtbl->Release(join);
    CHECK_EQ(T_LOAD(&fake->yields), WITH_TASK_VIEW);
    CHECK_EQ(T_LOAD(&fake->rule_breaks), 0);
    fake_clr_task_free(fake);
}

static void taskless_switch(void *p)
{
    IHostTaskManager *tm = (IHostTaskManager *)p;
    CHECK_HR(tm->lpVtbl->SwitchToTask(tm, 0), S_OK); /* a server GC thread: no task */
    CHECK_HR(tm->lpVtbl->Sleep(tm, 0, 0), S_OK);
}

TEST_CASE(test_counters, "tasks/counters")
{
    counted c;
    host h;
    clrhost_task_counters got;
    clrhost_task_manager_stats st;
    host_open(&h, CLRHOST_TASK_TIMING);
    memset(&c, 0, sizeof c);
    c.h = &h;
    test_run_on_thread(counters_host_main, &c);
#if WITH_TASK_VIEW
    CHECK_EQ(c.nested_view.thread_affinity, 2);
    CHECK_EQ(c.after_view.thread_affinity, 0);
    CHECK(!c.after_view.waiting);
#endif
    clrhost_task_get_counters(clrhost_task_from_iface(c.self), &got);
    CHECK_EQ(got.sleeps, 3);
    CHECK(got.sleep_ns >= 5000000u); /* three sleeps of 2 ms */
    CHECK_EQ(got.switches, 2 + WITH_TASK_VIEW); /* at its start, its own, and the forced yield */
    CHECK_EQ(got.thread_affinity, 4); /* the thread-store lock as it started (two), and its own two */
    CHECK_EQ(got.alerts, 1);
    CHECK_EQ(got.forced_yields, WITH_TASK_VIEW);
    CHECK_EQ(got.forced_yields_taken, WITH_TASK_VIEW);
    CHECK_EQ(got.joins, 0);
    c.self->lpVtbl->Release(c.self);
    test_run_on_thread(taskless_switch, h.tm);
    fake_clr_task_free(h.clr.start_thread);
    host_close(&h, &st);
    CHECK_EQ(st.totals.switches, c.start_switches + 2 + WITH_TASK_VIEW + 1); /* the start thread's, the task's, the taskless one */
    CHECK_EQ(st.totals.sleeps, 3 + 1);
    CHECK_EQ(st.totals.joins, 2);
    CHECK_EQ(st.totals.thread_affinity, 1 + 4 + 4); /* clr_start's (taskless), the start thread's, the task's */
    CHECK_EQ(st.totals.alerts, 1);
    CHECK_EQ(st.totals.forced_yields, WITH_TASK_VIEW);
    CHECK_EQ(st.totals.forced_yields_taken, WITH_TASK_VIEW);
    CHECK_EQ(st.by_kind[CLRHOST_TASK_KIND_USER].counters.alerts, 1);
}

#if WITH_TASK_VIEW /* the controls and the view: with the task view only */
/* ---- the CLR's controls on a task ------------------------------------------------ */

typedef struct controlled {
    host *h;
    clrhost_task *task;  /* held through `ref` */
    IHostTask *ref;
    fake_clr_task *fake;
    HRESULT own_yield;
    long ready, release;
} controlled;

/* A CLR thread that waits until the test lets it end, at no safe point:
   a forced yield asked of it stays pending (a safe point would take it,
   and a second ask would be a new request, S_OK, not the S_FALSE the test
   expects while one is pending). */
static void controlled_body(void *p)
{
    controlled *c = (controlled *)p;
    c->ref = clrhost_task_iface(clrhost_task_current(c->h->m));
    c->ref->lpVtbl->AddRef(c->ref);
    c->task = clrhost_task_current(c->h->m);
    c->fake = clr_current_thread();
    c->own_yield = clrhost_task_yield(c->task); /* on its own thread: refused */
    T_STORE(&c->ready, 1);
    test_hold_until(&c->release, 1);
}

static void start_controlled(controlled *c, long type, IHostTask **join, fake_clr_task **fake)
{
    CHECK_HR(clr_create_thread_as(&c->h->clr, CLR_THREAD_USER, type, 0, controlled_body, c, join, fake), S_OK);
    test_wait_for(&c->ready, 1);
}

static void end_controlled(controlled *c, IHostTask *join, fake_clr_task *fake)
{
    clrhost_task_view v;
    T_STORE(&c->release, 1);
    CHECK_HR(join->lpVtbl->Join(join, INFINITE, 0), S_OK);
    join->lpVtbl->Release(join);
    /* Ended: refused without touching the CLR's object. */
    CHECK_HR(clrhost_task_abort(c->task, FALSE), HOST_E_INVALIDOPERATION);
    CHECK_HR(clrhost_task_yield(c->task), HOST_E_INVALIDOPERATION);
    CHECK_HR(clrhost_task_set_debugger_id(c->task, 7), HOST_E_INVALIDOPERATION);
    CHECK_HR(clrhost_task_get_view(c->task, &v), S_OK);
    CHECK(v.ended && !v.has_clr_task);
    CHECK_EQ(T_LOAD(&fake->rule_breaks), 0);
    c->ref->lpVtbl->Release(c->ref);
    fake_clr_task_free(fake);
}

static void controls_host_main(void *p)
{
    host *h = (host *)p;
    controlled c, gc;
    IHostTask *join = NULL, *gc_join = NULL;
    fake_clr_task *fake = NULL, *gc_fake = NULL;
    SIZE_T locks = 99;
    ULONGLONG bytes = 99;
    clrhost_task_view v;
    CHECK_HR(clr_start(&h->clr), S_OK);
    memset(&c, 0, sizeof c);
    c.h = h;
    start_controlled(&c, TT_USER, &join, &fake);
    CHECK_HR(c.own_yield, HOST_E_INVALIDOPERATION);
    CHECK_EQ(T_LOAD(&fake->yields), 0); /* refused before the CLR was asked */
    T_STORE(&fake->locks, 3);
    T_STORE(&fake->allocated, 123456789);
    CHECK_HR(clrhost_task_abort(c.task, FALSE), S_OK);
    CHECK_HR(clrhost_task_abort(c.task, TRUE), S_OK);
    CHECK_HR(clrhost_task_locks_held(c.task, &locks), S_OK);
    CHECK_EQ(locks, 3);
    CHECK_HR(clrhost_task_bytes_allocated(c.task, &bytes), S_OK);
    CHECK_EQ(bytes, 123456789);
    CHECK_HR(clrhost_task_set_debugger_id(c.task, 42), S_OK);
    CHECK_HR(clrhost_task_yield(c.task), S_OK);
    CHECK_HR(clrhost_task_yield(c.task), S_FALSE); /* one is pending already */
    CHECK_EQ(T_LOAD(&fake->aborts), 1);
    CHECK_EQ(T_LOAD(&fake->rude_aborts), 1);
    CHECK_EQ(T_LOAD(&fake->yields), 2);
    CHECK_EQ(T_LOAD(&fake->task_id), 42);
    CHECK_EQ(T_LOAD(&fake->last_caller), test_thread_id()); /* each made on the caller's thread */
    CHECK_HR(clrhost_task_get_view(c.task, &v), S_OK);
    CHECK(v.has_clr_task && !v.ended && !v.adopted);
    CHECK_EQ(v.kind, CLRHOST_TASK_KIND_USER);
    CHECK_HR(clrhost_task_locks_held(c.task, NULL), E_POINTER);
    CHECK_HR(clrhost_task_bytes_allocated(NULL, &bytes), E_POINTER);
    CHECK_EQ(bytes, 0);
    CHECK_HR(clrhost_task_abort(NULL, FALSE), E_POINTER);
    end_controlled(&c, join, fake);

    /* The kinds the CLR keeps for itself: no abort, no forced yield; the
       rest is allowed. */
    memset(&gc, 0, sizeof gc);
    gc.h = h;
    start_controlled(&gc, TT_GC, &gc_join, &gc_fake);
    CHECK_HR(clrhost_task_abort(gc.task, FALSE), E_ACCESSDENIED);
    CHECK_HR(clrhost_task_abort(gc.task, TRUE), E_ACCESSDENIED);
    CHECK_HR(clrhost_task_yield(gc.task), E_ACCESSDENIED);
    CHECK_HR(clrhost_task_locks_held(gc.task, &locks), S_OK);
    CHECK_EQ(T_LOAD(&gc_fake->aborts) + T_LOAD(&gc_fake->rude_aborts), 0);
    end_controlled(&gc, gc_join, gc_fake);
}

/* A foreign thread the CLR has not entered: a task, but no ICLRTask. */
static void taskless_controls(void *p)
{
    host *h = (host *)p;
    IHostTask *task = NULL;
    SIZE_T locks = 5;
    CHECK_HR(h->tm->lpVtbl->GetCurrentTask(h->tm, &task), S_OK);
    CHECK_HR(clrhost_task_abort(clrhost_task_from_iface(task), FALSE), HOST_E_CLRNOTAVAILABLE);
    CHECK_HR(clrhost_task_locks_held(clrhost_task_from_iface(task), &locks), HOST_E_CLRNOTAVAILABLE);
    CHECK_EQ(locks, 0);
    task->lpVtbl->Release(task);
}

TEST_CASE(test_controls, "tasks/controls")
{
    host h;
    clrhost_task_manager_stats st;
    host_open(&h, 0);
    test_run_on_thread(controls_host_main, &h);
    test_run_on_thread(taskless_controls, &h);
    fake_clr_task_free(h.clr.start_thread);
    host_close(&h, &st);
    CHECK_EQ(st.totals.forced_yields, 1); /* the S_OK; the S_FALSE re-ask while it was pending is not one */
}

#endif

/* ---- an Alert on an ended task ------------------------------------------------------

   Its counters went into the manager's ended totals when it ended; an
   Alert after that (the CLR may alert a thread it still holds) is counted
   there, not on a task no total reads any more. */

static void managed_body_ends(void *p) { (void)p; }

static void alert_after_end_main(void *p)
{
    host *h = (host *)p;
    IHostTask *join = NULL;
    fake_clr_task *fake = NULL;
    CHECK_HR(clr_start(&h->clr), S_OK);
    CHECK_HR(clr_create_thread(&h->clr, CLR_THREAD_USER, 0, managed_body_ends, NULL, &join, &fake), S_OK);
    CHECK_HR(join->lpVtbl->Join(join, INFINITE, 0), S_OK);
    CHECK_HR(join->lpVtbl->Alert(join), S_OK);
    CHECK_HR(join->lpVtbl->Alert(join), S_OK);
    join->lpVtbl->Release(join);
    fake_clr_task_free(fake);
}

TEST_CASE(test_alert_after_end, "tasks/alert_after_end_counted")
{
    host h;
    clrhost_task_manager_stats st;
    host_open(&h, 0);
    test_run_on_thread(alert_after_end_main, &h);
    CHECK_HR(clrhost_task_manager_get_stats(h.m, &st), S_OK);
    CHECK_EQ(st.totals.alerts, 2);
    CHECK_EQ(st.by_kind[CLRHOST_TASK_KIND_USER].counters.alerts, 2);
    fake_clr_task_free(h.clr.start_thread);
    host_close(&h, &st);
}

/* ---- controls while the task ends ------------------------------------------------- */

#if WITH_TASK_VIEW /* the controls and the view: with the task view only */
/* A monitor calls every control on a task as fast as it can while the
   task ends; not one call may reach the CLR's object once its ExitTask
   began (the fake counts those as broken rules), and each answer is the
   CLR's or HOST_E_INVALIDOPERATION. */
typedef struct racing {
    host *h;
    clrhost_task *task; /* written while the monitor is out of its rounds */
    long go, busy, stop;
    long after_end; /* calls refused because the task had ended */
} racing;

static void racing_body(void *p)
{
    racing *r = (racing *)p;
    clrhost_task *t = clrhost_task_current(r->h->m);
    IHostTask *iface = clrhost_task_iface(t);
    iface->lpVtbl->AddRef(iface); /* the monitor's, released by the test */
    r->task = t;
    T_STORE(&r->go, 1);
    test_yield();
}

static void racing_monitor(void *p)
{
    racing *r = (racing *)p;
    SIZE_T locks;
    ULONGLONG bytes;
    while (!T_LOAD(&r->stop)) {
        HRESULT a, b, c, d, e;
        T_STORE(&r->busy, 1); /* then go: the test clears go, then waits for busy 0 */
        if (!T_LOAD(&r->go)) {
            T_STORE(&r->busy, 0);
            test_sleep_ms(1); /* a sleep, not a yield: under valgrind a spinning thread starves the rest */
            continue;
        }
        a = clrhost_task_abort(r->task, FALSE);
        b = clrhost_task_yield(r->task);
        c = clrhost_task_locks_held(r->task, &locks);
        d = clrhost_task_bytes_allocated(r->task, &bytes);
        e = clrhost_task_set_debugger_id(r->task, 1);
        T_STORE(&r->busy, 0);
        CHECK(a == S_OK || a == HOST_E_INVALIDOPERATION);
        CHECK(b == S_OK || b == S_FALSE || b == HOST_E_INVALIDOPERATION);
        CHECK(c == S_OK || c == HOST_E_INVALIDOPERATION);
        CHECK(d == S_OK || d == HOST_E_INVALIDOPERATION);
        CHECK(e == S_OK || e == HOST_E_INVALIDOPERATION);
        if (a == HOST_E_INVALIDOPERATION)
            T_INC(&r->after_end);
    }
}

static void race_host_main(void *p)
{
    host *h = (host *)p;
    racing r;
    test_thread *monitor;
    int i, rounds = 40;
    CHECK_HR(clr_start(&h->clr), S_OK);
    memset(&r, 0, sizeof r);
    r.h = h;
    monitor = test_thread_start(racing_monitor, &r);
    for (i = 0; i < rounds; ++i) {
        IHostTask *join = NULL;
        fake_clr_task *fake = NULL;
        CHECK_HR(clr_create_thread(&h->clr, CLR_THREAD_USER, 0, racing_body, &r, &join, &fake), S_OK);
        CHECK_HR(join->lpVtbl->Join(join, INFINITE, 0), S_OK);
        join->lpVtbl->Release(join);
        test_sleep_ms(1); /* the monitor goes on with the ended task a while */
        T_STORE(&r.go, 0);
        while (T_LOAD(&r.busy))
            test_yield();
        CHECK_EQ(T_LOAD(&fake->rule_breaks), 0);
        CHECK_EQ(T_LOAD(&fake->calls_under_way), 0);
        clrhost_task_iface(r.task)->lpVtbl->Release(clrhost_task_iface(r.task));
        r.task = NULL;
        fake_clr_task_free(fake);
    }
    T_STORE(&r.stop, 1);
    test_thread_join(monitor);
    CHECK(T_LOAD(&r.after_end) > 0);
}

TEST_CASE(test_controls_while_ending, "tasks/controls_while_ending")
{
    host h;
    clrhost_task_manager_stats st;
    host_open(&h, 0);
    test_run_on_thread(race_host_main, &h);
    fake_clr_task_free(h.clr.start_thread);
    host_close(&h, &st);
}

/* ---- the live view ------------------------------------------------------------------ */

/* The nested sequence of the documentation, read back after each step:
   depth, native or managed, and the innermost native call's target. */
static void nested_view(void *p)
{
    host *h = (host *)p;
    IHostTaskManager *tm = h->tm;
    IHostTask *task = NULL;
    clrhost_task *t;
    clrhost_task_view v;
    CHECK_HR(tm->lpVtbl->GetCurrentTask(tm, &task), S_OK);
    t = clrhost_task_from_iface(task);
#define EXPECT_VIEW(d, native, target) \
    do { CHECK_HR(clrhost_task_get_view(t, &v), S_OK); CHECK_EQ(v.depth, d); CHECK_EQ(v.in_native, native); \
         CHECK_EQ(v.native_target, target); } while (0)
    EXPECT_VIEW(0, FALSE, 0);
    CHECK_HR(tm->lpVtbl->LeaveRuntime(tm, 0xA0), S_OK);
    EXPECT_VIEW(1, TRUE, 0xA0);
    CHECK_HR(tm->lpVtbl->ReverseEnterRuntime(tm), S_OK);
    EXPECT_VIEW(2, FALSE, 0xA0); /* managed, inside the call to 0xA0 */
    CHECK_HR(tm->lpVtbl->LeaveRuntime(tm, 0xB0), S_OK);
    EXPECT_VIEW(3, TRUE, 0xB0);
    CHECK_HR(tm->lpVtbl->EnterRuntime(tm), S_OK);
    EXPECT_VIEW(2, FALSE, 0xA0);
    CHECK_HR(tm->lpVtbl->ReverseLeaveRuntime(tm), S_OK);
    EXPECT_VIEW(1, TRUE, 0xA0);
    CHECK_HR(tm->lpVtbl->EnterRuntime(tm), S_OK);
    EXPECT_VIEW(0, FALSE, 0);
#undef EXPECT_VIEW
    CHECK(v.task == t && v.adopted && !v.ended && v.thread_id == test_thread_id());
    task->lpVtbl->Release(task);
}

TEST_CASE(test_view_nested, "tasks/view_nested")
{
    host h;
    clrhost_task_manager_stats st;
    host_open(&h, 0);
    test_run_on_thread(nested_view, &h);
    host_close(&h, &st);
    host_open(&h, CLRHOST_TASK_TIMING); /* the timed transitions write the view too */
    test_run_on_thread(nested_view, &h);
    host_close(&h, &st);
}

/* Several tasks make nested transitions as fast as they can while another
   thread lists them and checks every view: a native call's target names
   its own depth, so a target from one frame with the depth of another
   shows. Native frames are at odd depths, managed ones at even depths. */
#define HAMMERS 3
#define HAMMER_DEPTH 6
#define HAMMER_TARGET(index, depth) ((SIZE_T)(0x1000000 | (index) << 16 | (depth) << 4))

typedef struct hammering {
    host *h;
    long ready, go, done;
    long views_checked, mixed;
    unsigned long long started_ms;
} hammering;

typedef struct hammer_arg {
    hammering *hm;
    int index;
} hammer_arg;

static void hammer(void *p)
{
    hammer_arg *a = (hammer_arg *)p;
    IHostTaskManager *tm = a->hm->h->tm;
    IHostTask *task = NULL;
    unsigned seed = 12345u + (unsigned)a->index, depth = 0;
    unsigned long long deadline;
    int going = 1;
    long i;
    CHECK_HR(tm->lpVtbl->GetCurrentTask(tm, &task), S_OK);
    clrhost_task_set_user(clrhost_task_from_iface(task), (void *)(size_t)(a->index + 1));
    T_INC(&a->hm->ready);
    test_wait_for(&a->hm->go, 1);
    deadline = test_now_ms() + 10000u * test_slow();
    /* 200,000 transitions, and on until the watcher has seen enough */
    for (i = 0; going || depth > 0; ++i) {
        int push;
        if (i % 4096 == 0)
            going = i < 200000 || (T_LOAD(&a->hm->views_checked) < 5000 && test_now_ms() < deadline);
        seed = seed * 1103515245u + 12345u;
        push = depth == 0 || (depth < HAMMER_DEPTH && (seed >> 16) % 2 == 0 && going);
        if (push && depth % 2 == 0)
            (void)tm->lpVtbl->LeaveRuntime(tm, HAMMER_TARGET(a->index, depth + 1));
        else if (push)
            (void)tm->lpVtbl->ReverseEnterRuntime(tm);
        else if (depth % 2 == 1)
            (void)tm->lpVtbl->EnterRuntime(tm);
        else
            (void)tm->lpVtbl->ReverseLeaveRuntime(tm);
        depth = push ? depth + 1 : depth - 1;
    }
    T_INC(&a->hm->done);
    task->lpVtbl->Release(task);
}

static int view_is_whole(const clrhost_task_view *v, int index, unsigned long long max_ns)
{
    SIZE_T innermost_native = v->in_native ? v->depth : v->depth ? v->depth - 1 : 0;
    if (v->depth > HAMMER_DEPTH || v->in_native != (BOOL)(v->depth % 2 == 1))
        return 0;
    if (v->state_ns > max_ns)
        return 0;
    return innermost_native ? v->native_target == HAMMER_TARGET(index, innermost_native) : v->native_target == 0;
}

static void watch(void *p)
{
    hammering *hm = (hammering *)p;
    while (T_LOAD(&hm->done) < HAMMERS) {
        clrhost_task_view views[8];
        size_t n = 0, i;
        unsigned long long max_ns = (test_now_ms() - hm->started_ms + 1000) * 1000000u;
        CHECK_HR(clrhost_task_manager_list(hm->h->m, CLRHOST_TASK_LIST_ALL, 0, views, 8, &n), S_OK);
        for (i = 0; i < n; ++i) {
            int index = (int)(size_t)clrhost_task_get_user(views[i].task) - 1;
            if (index < 0)
                continue; /* a task not (yet) hammering */
            T_INC(&hm->views_checked);
            if (!view_is_whole(&views[i], index, max_ns)) {
                T_INC(&hm->mixed);
                printf("    mixed view: depth %u native %d target %lx (task %d)\n", views[i].depth,
                       (int)views[i].in_native, (unsigned long)views[i].native_target, index);
            }
        }
        clrhost_task_views_release(views, n);
    }
}

static void hammer_and_watch(unsigned flags)
{
    host h;
    hammering hm;
    hammer_arg args[HAMMERS];
    test_thread *threads[HAMMERS], *watcher;
    clrhost_task_manager_stats st;
    int i;
    host_open(&h, flags);
    memset(&hm, 0, sizeof hm);
    hm.h = &h;
    hm.started_ms = test_now_ms();
    for (i = 0; i < HAMMERS; ++i) {
        args[i].hm = &hm;
        args[i].index = i;
        threads[i] = test_thread_start(hammer, &args[i]);
    }
    test_wait_for(&hm.ready, HAMMERS);
    watcher = test_thread_start(watch, &hm);
    T_STORE(&hm.go, 1);
    for (i = 0; i < HAMMERS; ++i)
        test_thread_join(threads[i]);
    test_thread_join(watcher);
    printf("     (%ld views checked while %d tasks made transitions)\n", (long)T_LOAD(&hm.views_checked), HAMMERS);
    CHECK(T_LOAD(&hm.views_checked) > 0);
    CHECK_EQ(T_LOAD(&hm.mixed), 0);
    host_close(&h, &st);
}

TEST_CASE(test_view_never_mixed, "tasks/view_never_mixed") { hammer_and_watch(0); }
TEST_CASE(test_view_never_mixed_timed, "tasks/view_never_mixed_timed") { hammer_and_watch(CLRHOST_TASK_TIMING); }

/* With timing, the tasks stuck outside the runtime for more than N ms. */
typedef struct stuck {
    host *h;
    SIZE_T target;
    long inside, release;
} stuck;

static void stuck_native(void *p)
{
    stuck *s = (stuck *)p;
    IHostTaskManager *tm = s->h->tm;
    IHostTask *task = NULL;
    CHECK_HR(tm->lpVtbl->GetCurrentTask(tm, &task), S_OK);
    CHECK_HR(tm->lpVtbl->LeaveRuntime(tm, s->target), S_OK);
    T_STORE(&s->inside, 1);
    test_wait_for(&s->release, 1);
    CHECK_HR(tm->lpVtbl->EnterRuntime(tm), S_OK);
    task->lpVtbl->Release(task);
}

static void sleeping(void *p)
{
    stuck *s = (stuck *)p;
    IHostTaskManager *tm = s->h->tm;
    IHostTask *task = NULL;
    CHECK_HR(tm->lpVtbl->GetCurrentTask(tm, &task), S_OK);
    T_STORE(&s->inside, 1);
    CHECK_HR(tm->lpVtbl->Sleep(tm, 300, 0), S_OK);
    task->lpVtbl->Release(task);
}

TEST_CASE(test_list_stuck, "tasks/list_stuck")
{
    host h;
    stuck s, w, z;
    test_thread *t, *waiter, *sleeper;
    clrhost_task_view views[4];
    size_t n = 99;
    clrhost_task_manager_stats st;
    host_open(&h, 0);
    CHECK_HR(clrhost_task_manager_list(h.m, CLRHOST_TASK_LIST_IN_NATIVE, 10, views, 4, &n), E_INVALIDARG);
    CHECK_EQ(n, 0); /* no timing, no durations */
    CHECK_HR(clrhost_task_manager_list(h.m, 7, 0, views, 4, &n), E_INVALIDARG);
    CHECK_HR(clrhost_task_manager_list(h.m, CLRHOST_TASK_LIST_ALL, 0, NULL, 4, &n), E_POINTER);
    CHECK_HR(clrhost_task_manager_list(NULL, CLRHOST_TASK_LIST_ALL, 0, views, 4, &n), E_POINTER);
    host_close(&h, &st);

    host_open(&h, CLRHOST_TASK_TIMING);
    memset(&s, 0, sizeof s);
    s.h = &h;
    s.target = 0x5700;
    t = test_thread_start(stuck_native, &s);
    memset(&w, 0, sizeof w); /* and one in the CLR's own blocking wait */
    w.h = &h;
    w.target = test_clr_wait_target();
    waiter = test_thread_start(stuck_native, &w);
    test_wait_for(&s.inside, 1);
    test_wait_for(&w.inside, 1);
    test_sleep_ms(60);
    CHECK_HR(clrhost_task_manager_list(h.m, CLRHOST_TASK_LIST_IN_NATIVE, 30, views, 4, &n), S_OK);
    CHECK_EQ(n, 2);
    clrhost_task_views_release(views, n);
    CHECK_HR(clrhost_task_manager_list(h.m, CLRHOST_TASK_LIST_IN_NATIVE | CLRHOST_TASK_LIST_RUNNING, 30, views, 4, &n),
             S_OK);
    CHECK_EQ(n, 1); /* not the one that waits */
    if (n == 1) {
        CHECK(!views[0].waiting);
        CHECK_EQ(views[0].native_target, 0x5700);
        CHECK(views[0].state_ns >= 30000000u && views[0].in_native && views[0].depth == 1);
    }
    clrhost_task_views_release(views, n);
    CHECK(n == 0 || views[0].task == NULL);
    CHECK_HR(clrhost_task_manager_list(h.m, CLRHOST_TASK_LIST_IN_MANAGED, 0, views, 4, &n), S_OK);
    CHECK_EQ(n, 0);
    /* A task in our Sleep is in managed code, and waiting. */
    memset(&z, 0, sizeof z);
    z.h = &h;
    sleeper = test_thread_start(sleeping, &z);
    test_wait_for(&z.inside, 1);
    test_sleep_ms(50);
    CHECK_HR(clrhost_task_manager_list(h.m, CLRHOST_TASK_LIST_IN_MANAGED, 0, views, 4, &n), S_OK);
    CHECK(n == 1 && views[0].waiting);
    clrhost_task_views_release(views, n);
    CHECK_HR(clrhost_task_manager_list(h.m, CLRHOST_TASK_LIST_IN_MANAGED | CLRHOST_TASK_LIST_RUNNING, 0, views, 4, &n),
             S_OK);
    CHECK_EQ(n, 0);
    test_thread_join(sleeper);
    CHECK_HR(clrhost_task_manager_list(h.m, CLRHOST_TASK_LIST_IN_NATIVE, 10000, views, 4, &n), S_OK);
    CHECK_EQ(n, 0); /* not that long */
    CHECK_HR(clrhost_task_manager_list(h.m, CLRHOST_TASK_LIST_ALL, 0, views, 0, &n), S_FALSE);
    CHECK_EQ(n, 0); /* no room: says there was more */
    T_STORE(&s.release, 1);
    T_STORE(&w.release, 1);
    test_thread_join(t);
    test_thread_join(waiter);
    host_close(&h, &st);
}

#endif

/* ---- names for native targets ---------------------------------------------------------- */

TEST_CASE(test_describe_target, "tasks/describe_target")
{
#ifdef _WIN32
    const char *function = "GetTickCount";
#else
    const char *function = "getpid"; /* glibc may name its alias, __getpid */
#endif
    char name[128], cut[5]; /* not "small": rpcndr.h makes that a macro */
    size_t n;
    SIZE_T f = test_system_function();
    n = clrhost_task_describe_target(f, name, sizeof name);
    printf("     (%s)\n", name);
    CHECK_EQ(n, strlen(name));
    CHECK(strchr(name, '!') != NULL && strstr(name, function) != NULL);
    CHECK(strstr(name, "+0x") == NULL); /* the export itself */
    n = clrhost_task_describe_target(f + 3, name, sizeof name);
    CHECK(strstr(name, function) != NULL && strcmp(name + strlen(name) - 4, "+0x3") == 0);
    n = clrhost_task_describe_target((SIZE_T)0x10, name, sizeof name); /* in no module */
    CHECK(strcmp(name, "0x10") == 0);
    CHECK_EQ(n, 4);
    n = clrhost_task_describe_target(f, cut, sizeof cut); /* cut short, as snprintf */
    CHECK_EQ(strlen(cut), 4);
    CHECK(n > 4);
    CHECK_EQ(clrhost_task_describe_target(f, NULL, 10), 0);
    CHECK_EQ(clrhost_task_describe_target(f, cut, 0), 0);
}
