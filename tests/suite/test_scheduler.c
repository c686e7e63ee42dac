/* The scheduler (clrhost_task_config.schedule): at most N scheduled tasks
   run managed code at once; native calls, the CLR's waits, Sleep and Join
   give the slot up; the queue is FIFO; SwitchToTask hands the slot over
   when someone waits; the quantum's monitor forces a yield only past the
   quantum and only through ICLRTask::YieldTask; the CLR's own critical
   threads are never scheduled, foreign threads only when the host says
   so. Against the played CLR, with 8 tasks and N = 1 and N = 2; run under
   TSan too. */
#define _GNU_SOURCE 1 /* the C++-implementation build compiles the tests without -pthread */
#include "../clr/clr_driver.h"

#include <stdlib.h>

#define WORLD_TASKS 8
#define WORLD_ROUNDS 6

typedef struct world {
    counting_allocator a;
    clrhost_task_manager *m;
    IHostTaskManager *tm;
    IHostControl *hc;
    clr_sim clr;
    unsigned slots;
    long running;     /* scheduled tasks in managed code now, as their hooks and bodies say */
    long most;        /* the most seen at once */
    long over_cap;    /* transitions that saw more than `slots` */
    long held_over;   /* transitions at which the manager said more slots were held */
} world;

static void world_check(world *w)
{
    clrhost_task_manager_stats st;
    CHECK_HR(clrhost_task_manager_get_stats(w->m, &st), S_OK);
    if (st.slots_held > w->slots)
        T_INC(&w->held_over);
}

/* A scheduled task starts running managed code (holding its slot). */
static void managed_in(world *w)
{
    long n = T_INC(&w->running), prev;
    if (n > (long)w->slots)
        T_INC(&w->over_cap);
    if (n > T_LOAD(&w->most)) /* the largest wins: a larger value swapped out is put back */
        for (prev = T_XCHG(&w->most, n); prev > n; prev = T_XCHG(&w->most, n))
            n = prev;
    world_check(w);
}

static void managed_out(world *w)
{
    world_check(w);
    T_DEC(&w->running);
}

/* The hooks run on the managed side of each transition: while the slot
   is held. Only scheduled tasks count. */
static int counts(world *w, clrhost_task *t)
{
    clrhost_task_view v;
    (void)w;
    CHECK_HR(clrhost_task_get_view(t, &v), S_OK);
    return v.scheduled;
}

static HRESULT on_leave(void *user, clrhost_task *t, SIZE_T target)
{
    world *w = (world *)user;
    (void)target;
    if (counts(w, t))
        managed_out(w);
    return S_OK;
}

static void on_enter(void *user, clrhost_task *t)
{
    world *w = (world *)user;
    clrhost_task_view v;
    CHECK_HR(clrhost_task_get_view(t, &v), S_OK);
    if (v.scheduled) {
        CHECK(v.slot >= 0 && v.slot < (LONG)w->slots);
        managed_in(w);
    }
}

static void world_open_flags(world *w, unsigned flags, unsigned slots, unsigned quantum_ms, BOOL foreign, int hooks)
{
    clrhost_task_config cfg;
    memset(w, 0, sizeof *w);
    test_config(&cfg, &w->a);
    cfg.flags = flags;
    cfg.schedule.slots = slots;
    cfg.schedule.quantum_ms = quantum_ms;
    cfg.schedule.foreign = foreign;
    if (hooks) {
        cfg.hooks.user = w;
        cfg.hooks.leave_runtime = on_leave;
        cfg.hooks.enter_runtime = on_enter;
    }
    w->slots = slots;
    CHECK_HR(clrhost_task_manager_create(&cfg, &w->m), S_OK);
    CHECK_HR(clrhost_task_host_control_create(w->m, NULL, &w->hc), S_OK);
    w->tm = clrhost_task_manager_iface(w->m);
    clr_init(&w->clr, CLR_X64);
    CHECK_HR(clr_set_host_control(&w->clr, w->hc), S_OK);
}

static void world_open(world *w, unsigned slots, unsigned quantum_ms, BOOL foreign, int hooks)
{
    world_open_flags(w, CLRHOST_TASK_TIMING /* slot_ns is timed */, slots, quantum_ms, foreign, hooks);
}

static void world_close(world *w, clrhost_task_manager_stats *st)
{
    clr_shutdown(&w->clr);
    CHECK_HR(clrhost_task_manager_get_stats(w->m, st), S_OK);
    CHECK_EQ(st->tasks_live, 0);
    CHECK_EQ(st->totals.protocol_errors, 0);
    CHECK_EQ(st->slots_held, 0);
    CHECK_EQ(st->slot_waiters, 0);
    CHECK_EQ(w->hc->lpVtbl->Release(w->hc), 0);
    CHECK_EQ(clrhost_task_manager_release(w->m), 0);
    CHECK_EQ(T_LOAD(&w->a.outstanding), 0);
}

/* Joins the played CLR's threads join[0..n) (those made), releases the
   join handles and frees their fake ICLRTasks. */
static void join_threads(IHostTask **join, fake_clr_task **fake, int n)
{
    int i;
    for (i = 0; i < n; ++i) {
        if (!join[i])
            continue;
        CHECK_HR(join[i]->lpVtbl->Join(join[i], INFINITE, 0), S_OK);
        join[i]->lpVtbl->Release(join[i]);
        fake_clr_task_free(fake[i]);
    }
}

/* ---- the cap, starvation, native calls ----------------------------------- */

typedef struct worker {
    world *w;
    int index;
    int long_call;             /* this one first makes a native call that lasts
                                  until another worker finished a round */
    long rounds;               /* finished */
    unsigned long long last_ms, worst_gap_ms;
    clrhost_task_view in_call; /* its own view, from inside the long native call */
    clrhost_task_counters counters;
} worker;

static long others_progressed; /* rounds the other workers finished */
static long long_call_saw;     /* ... of them during the long native call */

static void native_short(void *p) { (void)p; test_sleep_ms(2); }

static void native_long(void *p)
{
    worker *k = (worker *)p;
    long before;
    unsigned long long until;
    CHECK_HR(clrhost_task_get_view(clrhost_task_current(k->w->m), &k->in_call), S_OK);
    before = T_LOAD(&others_progressed);
    until = test_now_ms() + 20000u * test_slow();
    while (T_LOAD(&others_progressed) == before && test_now_ms() < until)
        test_sleep_ms(1);
    T_STORE(&long_call_saw, T_LOAD(&others_progressed) - before);
}

static void note_round(worker *k)
{
    unsigned long long now = test_now_ms();
    if (k->last_ms && now - k->last_ms > k->worst_gap_ms)
        k->worst_gap_ms = now - k->last_ms;
    k->last_ms = now;
    k->rounds += 1;
    if (!k->long_call)
        T_INC(&others_progressed);
}

static void worker_body(void *p)
{
    worker *k = (worker *)p;
    world *w = k->w;
    int r;
    managed_in(w); /* its thread runs managed code from its start: it holds a slot */
    k->last_ms = test_now_ms();
    if (k->long_call)
        CHECK_HR(clr_pinvoke(&w->clr, (SIZE_T)&native_long, native_long, k), S_OK);
    for (r = 0; r < WORLD_ROUNDS; ++r) {
        test_sleep_ms(1); /* managed work: no host call, the slot stays held */
        CHECK_HR(clr_pinvoke(&w->clr, (SIZE_T)&native_short, native_short, NULL), S_OK);
        if (r % 3 == 1) {
            managed_out(w);
            CHECK_HR(clr_sleep(&w->clr, 1), S_OK); /* Thread.Sleep gives the slot up */
            managed_in(w);
        }
        if (r % 3 == 2) { /* a back-off: hands the slot over while others wait */
            managed_out(w);
            /* in preemptive mode (a YIELD_WHILE's), where the task may
               wait for its slot again (unkind/ has the cooperative ones) */
            clr_managed_end(&w->clr);
            CHECK_HR(w->tm->lpVtbl->SwitchToTask(w->tm, 0), S_OK);
            clr_managed_begin(&w->clr);
            managed_in(w);
        }
        note_round(k);
    }
    managed_out(w);
    clrhost_task_get_counters(clrhost_task_current(w->m), &k->counters);
}

typedef struct cap_run {
    world w;
    worker k[WORLD_TASKS];
} cap_run;

static void cap_main(void *p)
{
    cap_run *r = (cap_run *)p;
    IHostTask *join[WORLD_TASKS];
    fake_clr_task *fake[WORLD_TASKS];
    int i;
    CHECK_HR(clr_start(&r->w.clr), S_OK); /* a foreign thread: not scheduled */
    for (i = 0; i < WORLD_TASKS; ++i) {
        r->k[i].w = &r->w;
        r->k[i].index = i;
        r->k[i].long_call = i == 0;
        join[i] = NULL;
        fake[i] = NULL;
        CHECK_HR(clr_create_thread(&r->w.clr, CLR_THREAD_USER, 0, worker_body, &r->k[i], &join[i], &fake[i]), S_OK);
    }
    join_threads(join, fake, WORLD_TASKS);
}

static void run_cap(unsigned slots)
{
    cap_run *r = (cap_run *)calloc(1, sizeof *r);
    clrhost_task_manager_stats st;
    int i;
    CHECK(r != NULL);
    if (!r)
        return;
    T_STORE(&others_progressed, 0);
    T_STORE(&long_call_saw, 0);
    world_open(&r->w, slots, 0, FALSE, 1);
    test_run_on_thread(cap_main, r);
    CHECK_EQ(T_LOAD(&r->w.over_cap), 0);
    CHECK_EQ(T_LOAD(&r->w.held_over), 0);
    CHECK(T_LOAD(&r->w.most) >= 1 && T_LOAD(&r->w.most) <= (long)slots);
    for (i = 0; i < WORLD_TASKS; ++i) {
        worker *k = &r->k[i];
        CHECK_EQ(k->rounds, WORLD_ROUNDS);
        /* Nobody starves: FIFO hands each waiter a slot after the tasks
           before it, each holding it a few ms. The bound is loose for
           valgrind. */
        CHECK(k->worst_gap_ms < 5000u * test_slow());
        CHECK(k->counters.slot_takes >= 1); /* its start; it kept it across calls nobody waited through */
        CHECK(k->counters.slot_ns > 0);
        CHECK_EQ(k->counters.over_cap, 0); /* it never had to run without one */
    }
    /* The long native call held no slot, and the others went on meanwhile,
       even with one slot. */
    CHECK(r->k[0].in_call.scheduled);
    CHECK(r->k[0].in_call.in_native);
    CHECK_EQ(r->k[0].in_call.slot, -1);
    CHECK(T_LOAD(&long_call_saw) >= 1);
    fake_clr_task_free(r->w.clr.start_thread);
    world_close(&r->w, &st);
    CHECK_EQ(st.slots, slots);
    CHECK(st.totals.slot_waits >= 1); /* 8 tasks on N slots queue */
    CHECK(st.totals.slot_handoffs >= 1);
    CHECK(st.totals.slot_wait_ns > 0);
    CHECK_EQ(st.totals.over_cap, 0);
    CHECK_EQ(st.by_kind[CLRHOST_TASK_KIND_USER].counters.slot_takes, st.totals.slot_takes);
    free(r);
}

TEST_CASE(test_cap_one, "scheduler/cap_one_slot") { run_cap(1); }
TEST_CASE(test_cap_two, "scheduler/cap_two_slots") { run_cap(2); }

/* ---- FIFO, hand-over, the view --------------------------------------------- */

typedef struct queue_run {
    world w;
    long order[4], next;
    long release;
    clrhost_task_view holder, waiter[3];
    IHostTask *self[4];
} queue_run;

typedef struct queued {
    queue_run *r;
    int index;
} queued;

static void queued_body(void *p)
{
    queued *q = (queued *)p;
    queue_run *r = q->r;
    IHostTaskManager *tm = r->w.tm;
    CHECK_HR(tm->lpVtbl->GetCurrentTask(tm, &r->self[q->index]), S_OK);
    r->order[T_INC(&r->next) - 1] = q->index; /* it holds the one slot now */
    if (q->index == 0)
        test_wait_for(&r->release, 1);
}

static clrhost_task_view view_of(world *w, IHostTask *t)
{
    clrhost_task_view v;
    (void)w;
    CHECK_HR(clrhost_task_get_view(clrhost_task_from_iface(t), &v), S_OK);
    return v;
}

/* Waits until one slot is held and `count` tasks wait for a slot. */
static void wait_for_waiters(world *w, unsigned long long count)
{
    clrhost_task_manager_stats st;
    int i;
    for (i = 0; i < 20000; ++i) {
        CHECK_HR(clrhost_task_manager_get_stats(w->m, &st), S_OK);
        if (st.slots_held == 1 && st.slot_waiters == count)
            return;
        test_sleep_ms(1);
    }
    CHECK(!"the tasks never queued");
}

static void queue_main(void *p)
{
    queue_run *r = (queue_run *)p;
    queued q[4];
    IHostTask *join[4];
    fake_clr_task *fake[4];
    clrhost_task_view list[8];
    size_t n = 0, i;
    CHECK_HR(clr_start(&r->w.clr), S_OK);
    for (i = 0; i < 4; ++i) {
        q[i].r = r;
        q[i].index = (int)i;
        join[i] = NULL;
        fake[i] = NULL;
        /* Work items: the pool starts its workers without waiting for
           them, as Thread.Start would (it returns only once its thread
           has passed SetCLRTask, which here waits for the slot). */
        CHECK_HR(clr_create_thread(&r->w.clr, CLR_THREAD_POOL, 0, queued_body, &q[i], &join[i], &fake[i]), S_OK);
        wait_for_waiters(&r->w, i); /* 0 holds the slot, then 1, 2, 3 queue in that order */
    }
    r->holder = view_of(&r->w, join[0]);
    for (i = 1; i < 4; ++i)
        r->waiter[i - 1] = view_of(&r->w, join[i]);
    /* The watchdog's question: who holds which slot, who waits. */
    CHECK_HR(clrhost_task_manager_list(r->w.m, CLRHOST_TASK_LIST_ALL | CLRHOST_TASK_LIST_RUNNING, 0, list, 8, &n),
             S_OK);
    CHECK_EQ(n, 2); /* the start thread and the holder; the waiters are waiting */
    clrhost_task_views_release(list, n);
    test_sleep_ms(20); /* every waiter waits that long at least */
    T_STORE(&r->release, 1);
    join_threads(join, fake, 4);
}

TEST_CASE(test_fifo, "scheduler/fifo_and_view")
{
    queue_run *r = (queue_run *)calloc(1, sizeof *r);
    clrhost_task_manager_stats st;
    clrhost_task_counters c;
    int i;
    if (!r)
        return;
    world_open(&r->w, 1, 0, FALSE, 0);
    test_run_on_thread(queue_main, r);
    for (i = 0; i < 4; ++i)
        CHECK_EQ(r->order[i], i);
    CHECK(r->holder.scheduled);
    CHECK_EQ(r->holder.slot, 0);
    CHECK(!r->holder.slot_waiting);
    for (i = 0; i < 3; ++i) {
        CHECK(r->waiter[i].scheduled);
        CHECK_EQ(r->waiter[i].slot, -1);
        CHECK(r->waiter[i].slot_waiting);
        CHECK(r->waiter[i].waiting);
    }
    clrhost_task_get_counters(clrhost_task_from_iface(r->self[0]), &c);
    CHECK_EQ(c.slot_takes, 1);
    CHECK_EQ(c.slot_waits, 0);
    CHECK_EQ(c.slot_handoffs, 1); /* its end handed the slot to the first waiter */
    CHECK(c.slot_ns >= 1000000u);
    /* The others waited at their start (the SwitchToTask(0) right after
       SetCLRTask is no back-off: each had just had its turn). */
    clrhost_task_get_counters(clrhost_task_from_iface(r->self[3]), &c);
    CHECK(c.slot_waits >= 1);
    CHECK(c.slot_wait_ns >= 15000000u);
    for (i = 0; i < 4; ++i)
        r->self[i]->lpVtbl->Release(r->self[i]);
    fake_clr_task_free(r->w.clr.start_thread);
    world_close(&r->w, &st);
    CHECK_EQ(st.totals.slot_takes, st.totals.slot_waits + 1); /* all but the first waited */
    CHECK(st.totals.slot_waits >= 3);
    CHECK_EQ(st.totals.slot_handoffs, st.totals.slot_waits); /* each waiter was handed its slot */
    free(r);
}

/* ---- the quantum ------------------------------------------------------------- */

typedef struct spin_run {
    world w;
    unsigned spin_ms;           /* how long the spinner spins at most */
    int until_second_ran;       /* and whether it stops once the second task ran */
    unsigned long long made_ms; /* before the spinner was made */
    unsigned long long spin_end_ms, second_got_ms;
    long second_ran, saw_second; /* the second ran; the spinner saw it while it spun */
    long second_started;
    clrhost_task_counters spinner, second;
    long yields_seen; /* YieldTask calls the spinner's CLR task got */
} spin_run;

/* Managed code that never calls out: the CLR's redirect (YieldTask) is
   taken at its safe points, one per millisecond here. */
static void spinner_body(void *p)
{
    spin_run *r = (spin_run *)p;
    unsigned long long until = test_now_ms() + r->spin_ms;
    while (test_now_ms() < until && !(r->until_second_ran && T_LOAD(&r->second_ran))) {
        test_sleep_ms(1);
        (void)clr_poll(&r->w.clr);
    }
    T_STORE(&r->saw_second, T_LOAD(&r->second_ran));
    r->spin_end_ms = test_now_ms();
    T_STORE(&r->yields_seen, T_LOAD(&clr_current_thread()->yields));
    clrhost_task_get_counters(clrhost_task_current(r->w.m), &r->spinner);
}

static void second_body(void *p)
{
    spin_run *r = (spin_run *)p;
    r->second_got_ms = test_now_ms();
    T_STORE(&r->second_ran, 1);
    clrhost_task_get_counters(clrhost_task_current(r->w.m), &r->second);
}

static void spin_main(void *p)
{
    spin_run *r = (spin_run *)p;
    IHostTask *join[2] = {NULL, NULL};
    fake_clr_task *fake[2] = {NULL, NULL};
    int i;
    CHECK_HR(clr_start(&r->w.clr), S_OK);
    r->made_ms = test_now_ms();
    CHECK_HR(clr_create_thread(&r->w.clr, CLR_THREAD_USER, 0, spinner_body, r, &join[0], &fake[0]), S_OK);
    test_sleep_ms(5);
    if (r->second_started)
        CHECK_HR(clr_create_thread(&r->w.clr, CLR_THREAD_USER, 0, second_body, r, &join[1], &fake[1]), S_OK);
    for (i = 0; i < 2; ++i) {
        if (!join[i])
            continue;
        CHECK_HR(join[i]->lpVtbl->Join(join[i], INFINITE, 0), S_OK);
        join[i]->lpVtbl->Release(join[i]);
        CHECK_EQ(T_LOAD(&fake[i]->rule_breaks), 0); /* YieldTask only from another thread */
        fake_clr_task_free(fake[i]);
    }
}

static void run_spin(spin_run *r, unsigned quantum_ms, unsigned spin_ms, int second, int until_second_ran)
{
    clrhost_task_manager_stats st;
    memset(r, 0, sizeof *r);
    world_open(&r->w, 1, quantum_ms, FALSE, 0);
    r->spin_ms = spin_ms;
    r->second_started = second;
    r->until_second_ran = until_second_ran;
    test_run_on_thread(spin_main, r);
    fake_clr_task_free(r->w.clr.start_thread);
    world_close(&r->w, &st);
}

TEST_CASE(test_quantum, "scheduler/quantum")
{
    spin_run *r = (spin_run *)calloc(1, sizeof *r);
    if (!r)
        return;
    /* Past the quantum, with someone waiting: the monitor asks YieldTask,
       the spinner's next safe point is a SwitchToTask that hands the slot
       over; the second task runs while the spinner still spins (it spins
       until it sees that, or for a bound only a spinner never made to
       yield reaches). */
    run_spin(r, 20, 20000u * test_slow(), 1, 1);
    CHECK(T_LOAD(&r->yields_seen) >= 1);
    CHECK(r->spinner.forced_yields >= 1);
    CHECK(r->spinner.forced_yields_taken >= 1);
    CHECK(r->spinner.slot_handoffs >= 1);
    CHECK(T_LOAD(&r->saw_second));
    /* Only past the quantum: the second task got the slot at least a
       quantum after the spinner was made, whose turn began later (the ms
       clock may lose one of the 20). */
    CHECK(r->second_got_ms >= r->made_ms + 19);
    CHECK_EQ(r->second.forced_yields, 0);
    /* Nobody waits: no forced yield, however long the spin. */
    run_spin(r, 10, 100, 0, 0);
    CHECK_EQ(T_LOAD(&r->yields_seen), 0);
    CHECK_EQ(r->spinner.forced_yields, 0);
    /* No quantum: the spinner keeps its slot to the end, as on SQL Server. */
    run_spin(r, 0, 150, 1, 0);
    CHECK_EQ(T_LOAD(&r->yields_seen), 0);
    CHECK_EQ(r->spinner.forced_yields, 0);
    CHECK(!T_LOAD(&r->saw_second));
    CHECK(r->second_got_ms >= r->spin_end_ms);
    free(r);
}

/* ---- which tasks are scheduled ---------------------------------------------- */

typedef struct kinds_run {
    world w;
    long hold, finalizer_ran, unload_done, foreign_in, foreign_phase, slot_free;
    clrhost_task_view finalizer, unload, foreign_outside, foreign_inside, foreign_inside_free;
    IHostTask *holder;
    fake_clr_task *foreign_fake;
} kinds_run;

static void holder_body(void *p)
{
    kinds_run *r = (kinds_run *)p;
    CHECK_HR(r->w.tm->lpVtbl->GetCurrentTask(r->w.tm, &r->holder), S_OK);
    test_wait_for(&r->hold, 0);
}

static void finalizer_body(void *p)
{
    kinds_run *r = (kinds_run *)p;
    CHECK_HR(clrhost_task_get_view(clrhost_task_current(r->w.m), &r->finalizer), S_OK);
    T_STORE(&r->finalizer_ran, 1); /* it ran although the one slot is held */
}

/* A thread that the AppDomain-unload path takes off the scheduler:
   LeaveRuntime(0) frees its slot for good. */
static void unloading_body(void *p)
{
    kinds_run *r = (kinds_run *)p;
    CHECK_HR(clr_ad_unload_helper_begins(&r->w.clr), S_OK);
    CHECK_HR(clrhost_task_get_view(clrhost_task_current(r->w.m), &r->unload), S_OK);
    CHECK_HR(clr_pinvoke(&r->w.clr, (SIZE_T)&native_short, native_short, NULL), S_OK); /* takes none back */
    T_STORE(&r->unload_done, 1);
}

static int managed_inside(void *p)
{
    kinds_run *r = (kinds_run *)p;
    CHECK_HR(clrhost_task_get_view(clrhost_task_current(r->w.m),
                                   T_LOAD(&r->foreign_phase) == 1 ? &r->foreign_inside : &r->foreign_inside_free),
             S_OK);
    return 0;
}

static void foreign_body(void *p)
{
    kinds_run *r = (kinds_run *)p;
    fake_clr_task *fake = NULL;
    CHECK_HR(clr_thread_enter(&r->w.clr, &fake), S_OK);
    CHECK_HR(clrhost_task_get_view(clrhost_task_current(r->w.m), &r->foreign_outside), S_OK);
    T_STORE(&r->foreign_phase, 1);
    /* A reverse call is cooperative: with the slot held, it runs over the
       cap rather than wait. */
    CHECK_HR(clr_reverse_call(&r->w.clr, managed_inside, r), S_OK);
    T_STORE(&r->foreign_phase, 2);
    test_wait_for(&r->slot_free, 1);
    CHECK_HR(clr_reverse_call(&r->w.clr, managed_inside, r), S_OK); /* the free slot */
    T_STORE(&r->foreign_phase, 3);
    r->foreign_fake = fake; /* ExitTask comes from the thread-exit callback */
}

static void kinds_main(void *p)
{
    kinds_run *r = (kinds_run *)p;
    IHostTask *join = NULL, *fin = NULL, *unl = NULL;
    fake_clr_task *fake = NULL, *fin_fake = NULL, *unl_fake = NULL;
    test_thread *foreign;
    CHECK_HR(clr_start(&r->w.clr), S_OK);
    T_STORE(&r->hold, 1);
    CHECK_HR(clr_create_thread(&r->w.clr, CLR_THREAD_USER, 0, holder_body, r, &join, &fake), S_OK);
    wait_for_waiters(&r->w, 0);
    /* The finalizer is never scheduled: it runs while the slot is held. */
    CHECK_HR(clr_create_thread_as(&r->w.clr, CLR_THREAD_USER, TT_FINALIZER, 0, finalizer_body, r, &fin, &fin_fake),
             S_OK);
    test_wait_for(&r->finalizer_ran, 1);
    /* A foreign thread with foreign set: outside its reverse calls it holds
       nothing; a reverse call while the slot is held runs over the cap. */
    foreign = test_thread_start(foreign_body, r);
    test_wait_for(&r->foreign_phase, 2);
    /* A thread that leaves the scheduler for good (LeaveRuntime(0))
       lets the queue go on once it has its slot. */
    CHECK_HR(clr_create_thread(&r->w.clr, CLR_THREAD_POOL, 0, unloading_body, r, &unl, &unl_fake), S_OK);
    wait_for_waiters(&r->w, 1);
    T_STORE(&r->hold, 0); /* the holder ends: the unloading task gets the slot, and lets it go */
    test_wait_for(&r->unload_done, 1);
    T_STORE(&r->slot_free, 1); /* the foreign thread's next reverse call finds it free */
    test_thread_join(foreign);
    CHECK_EQ(T_LOAD(&r->foreign_phase), 3);
    if (r->foreign_fake)
        fake_clr_task_free(r->foreign_fake);
    CHECK_HR(join->lpVtbl->Join(join, INFINITE, 0), S_OK);
    CHECK_HR(fin->lpVtbl->Join(fin, INFINITE, 0), S_OK);
    CHECK_HR(unl->lpVtbl->Join(unl, INFINITE, 0), S_OK);
    join->lpVtbl->Release(join);
    fin->lpVtbl->Release(fin);
    unl->lpVtbl->Release(unl);
    fake_clr_task_free(fake);
    fake_clr_task_free(fin_fake);
    fake_clr_task_free(unl_fake);
}

TEST_CASE(test_kinds_scheduled, "scheduler/kinds_foreign_off_scheduler")
{
    kinds_run *r = (kinds_run *)calloc(1, sizeof *r);
    clrhost_task_manager_stats st;
    if (!r)
        return;
    world_open(&r->w, 1, 0, TRUE, 0);
    test_run_on_thread(kinds_main, r);
    CHECK(!r->finalizer.scheduled);
    CHECK_EQ(r->finalizer.slot, -1);
    CHECK(r->foreign_outside.scheduled);
    CHECK_EQ(r->foreign_outside.slot, -1); /* in its own native code */
    CHECK(r->foreign_inside.scheduled);
    CHECK_EQ(r->foreign_inside.slot, -1);
    CHECK(r->foreign_inside.over_cap);
    CHECK_EQ(r->foreign_inside_free.slot, 0);
    CHECK(!r->foreign_inside_free.over_cap);
    CHECK(r->unload.off_scheduler);
    CHECK(!r->unload.scheduled);
    CHECK_EQ(r->unload.slot, -1);
    r->holder->lpVtbl->Release(r->holder);
    fake_clr_task_free(r->w.clr.start_thread);
    world_close(&r->w, &st);
    CHECK_EQ(st.by_kind[CLRHOST_TASK_KIND_FINALIZER].counters.slot_takes, 0);
    free(r);
}

/* ---- nested calls, waits, alerts ---------------------------------------------- */

typedef struct nest_run {
    world w;
    clrhost_task_view in_native, in_reverse, in_inner_native, after;
    long waiting_alerted, go;
    HRESULT sleep_after_alert;
    IHostTask *waiter;
    clrhost_task_counters waiter_counts;
} nest_run;

static void inner_native(void *p)
{
    nest_run *r = (nest_run *)p;
    CHECK_HR(clrhost_task_get_view(clrhost_task_current(r->w.m), &r->in_inner_native), S_OK);
}

static int reverse_managed(void *p)
{
    nest_run *r = (nest_run *)p;
    CHECK_HR(clrhost_task_get_view(clrhost_task_current(r->w.m), &r->in_reverse), S_OK);
    CHECK_HR(clr_pinvoke(&r->w.clr, (SIZE_T)&inner_native, inner_native, r), S_OK);
    return 0;
}

static void outer_native(void *p)
{
    nest_run *r = (nest_run *)p;
    CHECK_HR(clrhost_task_get_view(clrhost_task_current(r->w.m), &r->in_native), S_OK);
    CHECK_HR(clr_reverse_call(&r->w.clr, reverse_managed, r), S_OK);
}

static void nesting_body(void *p)
{
    nest_run *r = (nest_run *)p;
    CHECK_HR(clr_pinvoke(&r->w.clr, (SIZE_T)&outer_native, outer_native, r), S_OK);
    CHECK_HR(clrhost_task_get_view(clrhost_task_current(r->w.m), &r->after), S_OK);
}

/* Waits for the slot while the nesting task holds it, is alerted there,
   and keeps waiting: the alert is for its next alertable wait. */
static void alerted_body(void *p)
{
    nest_run *r = (nest_run *)p;
    CHECK_HR(r->w.tm->lpVtbl->GetCurrentTask(r->w.tm, &r->waiter), S_OK);
    r->sleep_after_alert = r->w.tm->lpVtbl->Sleep(r->w.tm, 10000, WAIT_ALERTABLE);
    clrhost_task_get_counters(clrhost_task_current(r->w.m), &r->waiter_counts);
}

static void sleeper_body(void *p)
{
    nest_run *r = (nest_run *)p;
    test_wait_for(&r->go, 1);
    CHECK_HR(clr_sleep(&r->w.clr, 50), S_OK); /* Thread.Sleep gives the slot up meanwhile */
}

static void nest_main(void *p)
{
    nest_run *r = (nest_run *)p;
    IHostTask *join[3] = {NULL, NULL, NULL};
    fake_clr_task *fake[3] = {NULL, NULL, NULL};
    clrhost_task_view v;
    CHECK_HR(clr_start(&r->w.clr), S_OK);
    /* The sleeper takes the slot, then sleeps: the nesting task runs in
       the meantime, on the one slot. */
    CHECK_HR(clr_create_thread(&r->w.clr, CLR_THREAD_USER, 0, sleeper_body, r, &join[0], &fake[0]), S_OK);
    wait_for_waiters(&r->w, 0);
    CHECK_HR(clr_create_thread(&r->w.clr, CLR_THREAD_POOL, 0, alerted_body, r, &join[1], &fake[1]), S_OK);
    wait_for_waiters(&r->w, 1);
    v = view_of(&r->w, join[1]);
    CHECK(v.slot_waiting);
    CHECK_HR(join[1]->lpVtbl->Alert(join[1]), S_OK);
    test_sleep_ms(20);
    v = view_of(&r->w, join[1]);
    CHECK(v.slot_waiting); /* an alert does not end a wait for a slot */
    T_STORE(&r->go, 1);
    join_threads(join, fake, 2);
    CHECK_HR(clr_create_thread(&r->w.clr, CLR_THREAD_USER, 0, nesting_body, r, &join[2], &fake[2]), S_OK);
    join_threads(&join[2], &fake[2], 1);
}

TEST_CASE(test_nested_and_waits, "scheduler/nested_waits_alerts")
{
    nest_run *r = (nest_run *)calloc(1, sizeof *r);
    clrhost_task_manager_stats st;
    if (!r)
        return;
    world_open(&r->w, 1, 0, FALSE, 0);
    test_run_on_thread(nest_main, r);
    /* The alert waited for the next alertable wait: the Sleep after it. */
    CHECK_HR(r->sleep_after_alert, HOST_E_INTERRUPTED);
    CHECK_EQ(r->waiter_counts.slot_waits, 1);
    CHECK_EQ(r->waiter_counts.alerts, 1);
    /* A native call gives the slot up; a call back into managed code from
       it takes one; the native call inside that gives it up again. */
    CHECK(r->in_native.in_native);
    CHECK_EQ(r->in_native.slot, -1);
    CHECK(!r->in_reverse.in_native);
    CHECK_EQ(r->in_reverse.slot, 0);
    CHECK_EQ(r->in_inner_native.slot, -1);
    CHECK_EQ(r->after.depth, 0);
    CHECK_EQ(r->after.slot, 0);
    r->waiter->lpVtbl->Release(r->waiter);
    fake_clr_task_free(r->w.clr.start_thread);
    world_close(&r->w, &st);
    free(r);
}

/* ---- a wait for a slot is never native time ------------------------------------

   One slot. T's native call lends it and H takes it; T's native code calls
   back into managed code (over the cap: a reverse call never waits), then
   returns, and T's EnterRuntime waits for H's slot. Neither the reverse
   call's managed time nor the wait is native time: T's native time (its
   counters and its profile line) fits in its native function's own time
   without the reverse call's, and the wait is counted as slot_wait_ns. */

typedef struct native_wait_run {
    world w;
    long h_running, h_release, go;
    unsigned long long pinvoke_ms, reverse_ms; /* as the test saw them */
    unsigned long long seen_waiting_ms;       /* T seen waiting for the slot at least */
    clrhost_task_counters t;
    clrhost_task_profile_entry line;
    size_t lines;
} native_wait_run;

static int reverse_30_ms(void *p)
{
    native_wait_run *r = (native_wait_run *)p;
    unsigned long long start = test_now_ms();
    test_sleep_ms(30);
    r->reverse_ms = test_now_ms() - start;
    return 0;
}

static void calls_back_then_returns(void *p)
{
    native_wait_run *r = (native_wait_run *)p;
    test_hold_until(&r->go, 1); /* native code, until H has the slot */
    CHECK_HR(clr_reverse_call(&r->w.clr, reverse_30_ms, r), S_OK);
    test_sleep_ms(10);
}

static void t_body(void *p)
{
    native_wait_run *r = (native_wait_run *)p;
    clrhost_task *self = clrhost_task_current(r->w.m);
    unsigned long long start = test_now_ms();
    CHECK_HR(clr_pinvoke(&r->w.clr, (SIZE_T)&calls_back_then_returns, calls_back_then_returns, r), S_OK);
    r->pinvoke_ms = test_now_ms() - start;
    clrhost_task_get_counters(self, &r->t);
    CHECK_HR(clrhost_task_manager_profile(r->w.m, self, &r->line, 1, &r->lines), S_OK);
}

static void h_body(void *p)
{
    native_wait_run *r = (native_wait_run *)p;
    T_STORE(&r->h_running, 1);
    test_wait_for(&r->h_release, 1); /* managed code that holds the slot */
}

static void native_wait_main(void *p)
{
    native_wait_run *r = (native_wait_run *)p;
    IHostTask *join[2] = {NULL, NULL};
    fake_clr_task *fake[2] = {NULL, NULL};
    unsigned long long waiting_from;
    CHECK_HR(clr_start(&r->w.clr), S_OK);
    CHECK_HR(clr_create_thread(&r->w.clr, CLR_THREAD_USER, 0, t_body, r, &join[0], &fake[0]), S_OK);
    CHECK_HR(clr_create_thread(&r->w.clr, CLR_THREAD_USER, 0, h_body, r, &join[1], &fake[1]), S_OK);
    test_wait_for(&r->h_running, 1);
    T_STORE(&r->go, 1);
    wait_for_waiters(&r->w, 1); /* T, back from its native call */
    waiting_from = test_now_ms();
    test_sleep_ms(50);
    r->seen_waiting_ms = test_now_ms() - waiting_from;
    T_STORE(&r->h_release, 1);
    join_threads(join, fake, 2);
}

TEST_CASE(test_slot_waits_not_native, "scheduler/slot_waits_are_not_native_time")
{
    native_wait_run *r = (native_wait_run *)calloc(1, sizeof *r);
    clrhost_task_manager_stats st;
    if (!r)
        return;
    world_open_flags(&r->w, CLRHOST_TASK_TIMING | CLRHOST_TASK_PROFILE, 1, 0, FALSE, 0);
    test_run_on_thread(native_wait_main, r);
    /* The reverse call ran over the cap, without a wait; the EnterRuntime
       after the native call waited, as long as the test saw it wait at
       least (each ms reading may lose up to 1 ms). */
    CHECK(r->t.over_cap >= 1);
    CHECK_EQ(r->t.slot_waits, 1);
    CHECK(r->t.slot_wait_ns >= (r->seen_waiting_ms - 1) * 1000000u);
    /* Native time and the wait are apart, and both apart from the reverse
       call: together they fit in the P/Invoke without the reverse call's
       managed time. A wait counted as native too would not fit. */
    CHECK(r->t.native_call_ns + r->t.slot_wait_ns < (r->pinvoke_ms - r->reverse_ms + 2) * 1000000u);
    CHECK_EQ(r->lines, 1);
    CHECK(r->line.target == (SIZE_T)&calls_back_then_returns);
    CHECK_EQ(r->line.calls, 1);
    CHECK(r->line.ns + r->t.slot_wait_ns < (r->pinvoke_ms - r->reverse_ms + 2) * 1000000u);
    printf("     (native %.1f ms and a %.1f ms wait for the slot in a %llu ms P/Invoke with a %llu ms reverse call)\n",
           (double)r->t.native_call_ns / 1e6, (double)r->t.slot_wait_ns / 1e6, r->pinvoke_ms, r->reverse_ms);
    fake_clr_task_free(r->w.clr.start_thread);
    world_close(&r->w, &st);
    free(r);
}
/* ---- SetCLRTask on an ending task ----------------------------------------------

   One slot, with a quantum (its monitor reads the slots' holders). A's
   ExitTask gives A's IHostTask another ICLRTask: A has given its slot up
   already and must not take one again, or it keeps the only slot after it
   ended (B's start would wait for ever), and the monitor would read A
   after it is freed. */

typedef struct rejoin_run {
    world w;
    fake_clr_task *other; /* the ICLRTask A's ExitTask sets */
    long b_ran;
} rejoin_run;

static void rejoin_a_body(void *p)
{
    rejoin_run *r = (rejoin_run *)p;
    clr_current_thread()->set_at_exit = &r->other->iface;
}

static void rejoin_b_body(void *p) { T_STORE(&((rejoin_run *)p)->b_ran, 1); }

static void rejoin_main(void *p)
{
    rejoin_run *r = (rejoin_run *)p;
    void (*bodies[2])(void *) = {rejoin_a_body, rejoin_b_body};
    int i;
    CHECK_HR(clr_start(&r->w.clr), S_OK);
    for (i = 0; i < 2; ++i) { /* A ends before B starts */
        IHostTask *join = NULL;
        fake_clr_task *fake = NULL;
        CHECK_HR(clr_create_thread(&r->w.clr, CLR_THREAD_USER, 0, bodies[i], r, &join, &fake), S_OK);
        join_threads(&join, &fake, 1);
    }
}

TEST_CASE(test_set_clr_task_while_ending, "scheduler/set_clr_task_while_ending")
{
    rejoin_run *r = (rejoin_run *)calloc(1, sizeof *r);
    clrhost_task_manager_stats st;
    if (!r)
        return;
    world_open(&r->w, 1, 10, FALSE, 0);
    r->other = fake_clr_task_new(NULL);
    test_run_on_thread(rejoin_main, r);
    CHECK_EQ(T_LOAD(&r->b_ran), 1);
    fake_clr_task_free(r->w.clr.start_thread);
    world_close(&r->w, &st);
    CHECK_EQ(T_LOAD(&r->other->refs), 0); /* kept, then released with A */
    fake_clr_task_free(r->other);
    free(r);
}

/* ---- configuration, the background traffic, failures ------------------------- */

TEST_CASE(test_config_checks, "scheduler/config")
{
    counting_allocator a;
    clrhost_task_config cfg;
    clrhost_task_manager *m = NULL, *plain = NULL;
    long i;
    memset(&a, 0, sizeof a);
    test_config(&cfg, &a);
    cfg.schedule.slots = CLRHOST_TASK_MAX_SLOTS + 1;
    CHECK_HR(clrhost_task_manager_create(&cfg, &m), E_INVALIDARG);
    cfg.schedule.slots = 2;
    cfg.schedule.kinds = CLRHOST_TASK_KIND_BIT(CLRHOST_TASK_KIND_FINALIZER);
    CHECK_HR(clrhost_task_manager_create(&cfg, &m), E_INVALIDARG); /* the CLR's own threads: never */
    cfg.schedule.kinds = CLRHOST_TASK_KIND_BIT(CLRHOST_TASK_KIND_GC) | CLRHOST_TASK_KIND_BIT(CLRHOST_TASK_KIND_USER);
    CHECK_HR(clrhost_task_manager_create(&cfg, &m), E_INVALIDARG);
    CHECK(m == NULL);
    cfg.schedule.slots = 0; /* off: the rest is not looked at */
    CHECK_HR(clrhost_task_manager_create(&cfg, &plain), S_OK);
    cfg.schedule.slots = 2;
    cfg.schedule.kinds = CLRHOST_TASK_KIND_BIT(CLRHOST_TASK_KIND_USER);
    CHECK_HR(clrhost_task_manager_create(&cfg, &m), S_OK);
    /* Without a scheduler the manager's transitions are the plain methods;
       with one, others. */
    CHECK(clrhost_task_manager_iface(m)->lpVtbl->LeaveRuntime != clrhost_task_manager_iface(plain)->lpVtbl->LeaveRuntime);
    CHECK(clrhost_task_self_check() == NULL);
    CHECK_EQ(clrhost_task_manager_release(m), 0);
    CHECK_EQ(clrhost_task_manager_release(plain), 0);
    /* Out of memory for the manager, then for its slots: refused, nothing
       left behind; with a quantum, its monitor thread comes and goes. */
    cfg.schedule.quantum_ms = 5;
    for (i = 1; i <= 3; ++i) {
        HRESULT hr;
        a.fail_at = T_LOAD(&a.calls) + i;
        hr = clrhost_task_manager_create(&cfg, &m);
        CHECK_HR(hr, i < 3 ? E_OUTOFMEMORY : S_OK);
        if (hr == S_OK)
            CHECK_EQ(clrhost_task_manager_release(m), 0);
        CHECK_EQ(T_LOAD(&a.outstanding), 0);
    }
    a.fail_at = 0;
}

/* A scheduler needs the CLR's lock and event waits announced, which a
   host sync manager's are not: the host control keeps the inner control's
   sync manager from the CLR (released, E_NOINTERFACE, a warning) and
   passes on its other managers; without a scheduler it passes that one
   on too. */
static long sync_warnings;

static void count_sync_warning(void *user, clrhost_task_log_level level, clrhost_task *task, const char *message)
{
    (void)user;
    (void)task;
    if (level == CLRHOST_TASK_LOG_WARNING && strstr(message, "IHostSyncManager"))
        T_INC(&sync_warnings);
}

static HRESULT sync_manager_answer(unsigned slots, fake_host_control *inner, void **p)
{
    counting_allocator a;
    clrhost_task_config cfg;
    clrhost_task_manager *m = NULL;
    IHostControl *hc = NULL;
    HRESULT hr;
    memset(&a, 0, sizeof a);
    test_config(&cfg, &a);
    cfg.log_fn = count_sync_warning;
    cfg.schedule.slots = slots;
    CHECK_HR(clrhost_task_manager_create(&cfg, &m), S_OK);
    CHECK_HR(clrhost_task_host_control_create(m, &inner->iface, &hc), S_OK);
    *p = POISON;
    hr = hc->lpVtbl->GetHostManager(hc, TEST_IID(test_IID_IHostSyncManager), p);
    CHECK_EQ(hc->lpVtbl->Release(hc), 0);
    CHECK_EQ(clrhost_task_manager_release(m), 0);
    CHECK_EQ(T_LOAD(&a.outstanding), 0);
    return hr;
}

TEST_CASE(test_inner_sync_manager, "scheduler/inner_sync_manager")
{
    fake_host_control inner;
    void *p;
    fake_host_control_init(&inner);
    inner.offers_sync_manager = 1;
    T_STORE(&sync_warnings, 0);
    CHECK_HR(sync_manager_answer(2, &inner, &p), E_NOINTERFACE);
    CHECK(p == NULL);
    CHECK_EQ(T_LOAD(&inner.get_host_manager_calls), 1); /* asked, then released */
    CHECK_EQ(T_LOAD(&inner.memory_manager_refs), 0);
    CHECK_EQ(T_LOAD(&sync_warnings), 1);
    CHECK_HR(sync_manager_answer(0, &inner, &p), S_OK); /* no scheduler: passed on */
    CHECK(p == (void *)&inner.memory_manager);
    CHECK_EQ(T_LOAD(&inner.memory_manager_refs), 1);
    ((IUnknown *)p)->lpVtbl->Release((IUnknown *)p);
    CHECK_EQ(T_LOAD(&sync_warnings), 1);
    inner.offers_sync_manager = 0;
    CHECK_HR(sync_manager_answer(2, &inner, &p), E_NOINTERFACE); /* none to keep back: no warning */
    CHECK(p == NULL);
    CHECK_EQ(T_LOAD(&sync_warnings), 1);
    CHECK_EQ(T_LOAD(&inner.refs), 0);
}

/* The CLR's background traffic (thread-pool workers with their notified
   waits, back-offs and spins, the gate thread, a server GC thread, the
   AD-unload helper, the finalizer) under a scheduler of one slot, with a
   quantum: nothing deadlocks, nothing leaks, no protocol error. */
static void traffic_main(void *p)
{
    world *w = (world *)p;
    CHECK_HR(clr_start(&w->clr), S_OK);
    CHECK_HR(clr_finalizer_start(&w->clr), S_OK);
    CHECK_HR(clr_traffic_start(&w->clr), S_OK);
    test_sleep_ms(200);
    clr_collect(&w->clr);
}

TEST_CASE(test_traffic, "scheduler/clr_traffic")
{
    world *w = (world *)calloc(1, sizeof *w);
    clrhost_task_manager_stats st;
    if (!w)
        return;
    world_open(w, 1, 5, FALSE, 0);
    test_run_on_thread(traffic_main, w);
    fake_clr_task_free(w->clr.start_thread);
    world_close(w, &st);
    CHECK(st.by_kind[CLRHOST_TASK_KIND_THREADPOOL_WORKER].counters.slot_takes >= 1);
    CHECK_EQ(st.by_kind[CLRHOST_TASK_KIND_FINALIZER].counters.slot_takes, 0);
    free(w);
}
