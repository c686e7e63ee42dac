/* The scheduler against a played CLR as unkind as the CLR 4.x source
   (contract section 5; tests/clr/clr_runtime.c): GC modes, the workstation
   GC's suspension under the thread-store lock, the CLR's own locks with
   their affinity brackets, Thread.Start's wait for its thread, YieldTask
   and Abort as the CLR's Thread does them, AppDomain unload and shutdown.
   Each chain below deadlocks a scheduler that makes a thread wait for a
   slot where the CLR cannot afford it (in cooperative mode, or holding one
   of its locks); the played CLR turns such a deadlock into a failed test
   with a report (clr->bound_ms), and checks around every call it makes in
   such a state that the host made no thread wait for a slot in it. */
#define _GNU_SOURCE 1 /* the C++-implementation build compiles the tests without -pthread */
#include "../clr/clr_driver.h"

#include <stdlib.h>

#define MAX_SLOTS 2

typedef struct unkind {
    counting_allocator a;
    clrhost_task_manager *m;
    IHostTaskManager *tm;
    IHostControl *hc;
    clr_sim clr;
    unsigned slots;
    clr_crst lock;    /* one of the CLR's locks, besides the thread-store lock */
    long flag[8];     /* the test's own signals, by index */
    long done;        /* threads that finished their body */
    HRESULT gc_result;
    long gcs;
    clrhost_task_counters counts[8]; /* the bodies' own counters, by index */
} unkind;

static void unkind_open(unkind *u, unsigned slots, unsigned quantum_ms)
{
    clrhost_task_config cfg;
    memset(u, 0, sizeof *u);
    test_config(&cfg, &u->a);
    cfg.flags = CLRHOST_TASK_TIMING;
    cfg.schedule.slots = slots;
    cfg.schedule.quantum_ms = quantum_ms;
    u->slots = slots;
    CHECK_HR(clrhost_task_manager_create(&cfg, &u->m), S_OK);
    CHECK_HR(clrhost_task_host_control_create(u->m, NULL, &u->hc), S_OK);
    u->tm = clrhost_task_manager_iface(u->m);
    clr_init(&u->clr, CLR_X64);
    clr_crst_init(&u->lock, "a CLR lock (a Crst)", 0);
    CHECK_HR(clr_set_host_control(&u->clr, u->hc), S_OK);
}

static void unkind_close(unkind *u, clrhost_task_manager_stats *st)
{
    clr_shutdown(&u->clr);
    CHECK_EQ(T_LOAD(&u->clr.unsafe_waits), 0);
    CHECK_EQ(T_LOAD(&u->clr.broken), 0);
    CHECK_HR(clrhost_task_manager_get_stats(u->m, st), S_OK);
    CHECK_EQ(st->tasks_live, 0);
    CHECK_EQ(st->totals.protocol_errors, 0);
    CHECK_EQ(st->slots_held, 0);
    CHECK_EQ(st->slot_waiters, 0);
    CHECK_EQ(u->hc->lpVtbl->Release(u->hc), 0);
    CHECK_EQ(clrhost_task_manager_release(u->m), 0);
    CHECK_EQ(T_LOAD(&u->a.outstanding), 0);
}

/* A body's argument: the run, and which of its flags and counters. */
typedef struct role {
    unkind *u;
    int index;
} role;

static void keep_counters(role *r)
{
    clrhost_task_get_counters(clrhost_task_current(r->u->m), &r->u->counts[r->index]);
    T_INC(&r->u->done);
}

/* Threads the played CLR makes, joined and freed at the end. */
typedef struct threads {
    IHostTask *join[16];
    fake_clr_task *fake[16];
    int count;
} threads;

static void start_as(threads *t, unkind *u, clr_thread_kind kind, void (*body)(void *), void *arg)
{
    int i = t->count++;
    t->join[i] = NULL;
    t->fake[i] = NULL;
    CHECK_HR(clr_create_thread(&u->clr, kind, 0, body, arg, &t->join[i], &t->fake[i]), S_OK);
}

/* A test's start: the played CLR started, no thread yet, and the n
   roles numbered from 0 (counts[i] is role i's). */
static void begin_run(unkind *u, threads *t, role *roles, int n)
{
    int i;
    t->count = 0;
    CHECK_HR(clr_start(&u->clr), S_OK);
    for (i = 0; i < n; ++i) {
        roles[i].u = u;
        roles[i].index = i;
    }
}

static void join_all(threads *t)
{
    int i;
    for (i = 0; i < t->count; ++i) {
        if (!t->join[i])
            continue;
        CHECK_HR(t->join[i]->lpVtbl->Join(t->join[i], INFINITE, 0), S_OK);
        t->join[i]->lpVtbl->Release(t->join[i]);
        fake_clr_task_free(t->fake[i]);
    }
    t->count = 0;
}

/* Managed code that holds its slot and reaches a safe point every
   millisecond until flag[i] is set. */
static void holder_body(void *p)
{
    role *r = (role *)p;
    test_wait_for(&r->u->flag[r->index], 1);
    keep_counters(r);
}

/* ---- foreign threads in managed code that hold a GC up ------------------

   A foreign thread (never scheduled) that enters managed code
   (ExecuteInDefaultAppDomain) and stays in cooperative mode without a
   safe point until released: a GC waits for it. In managed code a
   redirect would stop it at its next safe point (far away); inside the
   CLR (in_clr) no redirect reaches it, and the GC backs off with
   SwitchToTask(0) while it holds the thread-store lock. */
typedef struct blocker {
    unkind *u;
    int inside_clr;
    long ready, release;
    fake_clr_task *fake;
} blocker;

static void blocker_body(void *p)
{
    blocker *b = (blocker *)p;
    CHECK_HR(clr_thread_enter(&b->u->clr, &b->fake), S_OK);
    clr_managed_begin(&b->u->clr);
    if (b->inside_clr)
        clr_enter_clr(b->fake);
    T_STORE(&b->ready, 1);
    test_hold_until(&b->release, 1);
    if (b->inside_clr)
        clr_leave_clr(b->fake);
    clr_managed_end(&b->u->clr); /* ExitTask comes from its thread-exit callback */
}

static test_thread *blocker_start(blocker *b, unkind *u, int inside_clr)
{
    test_thread *t;
    memset(b, 0, sizeof *b);
    b->u = u;
    b->inside_clr = inside_clr;
    t = test_thread_start(blocker_body, b);
    test_wait_for(&b->ready, 1);
    return t;
}

static void blocker_end(blocker *b, test_thread *t)
{
    T_STORE(&b->release, 1);
    test_thread_join(t);
    if (b->fake)
        fake_clr_task_free(b->fake);
}

/* ---- Thread.Start from threads of their own ----------------------------

   Thread.Start returns only once its thread has passed SetCLRTask and the
   thread-store lock, so each start that may wait runs on a foreign
   thread of its own (a host thread in managed code). */
typedef struct starter {
    unkind *u;
    void (*body)(void *);
    void *arg;
    int made_before; /* Thread.Start of a Thread made earlier: no thread-store lock at Start */
    IHostTask *join;
    fake_clr_task *started, *self;
} starter;

static void starter_body(void *p)
{
    starter *s = (starter *)p;
    CHECK_HR(clr_thread_enter(&s->u->clr, &s->self), S_OK);
    clr_managed_begin(&s->u->clr);
    if (s->made_before)
        CHECK_HR(clr_start_thread(&s->u->clr, s->body, s->arg, &s->join, &s->started), S_OK);
    else
        CHECK_HR(clr_create_thread(&s->u->clr, CLR_THREAD_USER, 0, s->body, s->arg, &s->join, &s->started), S_OK);
    clr_managed_end(&s->u->clr);
}

static test_thread *starter_start(starter *s, unkind *u, void (*body)(void *), void *arg, int made_before)
{
    memset(s, 0, sizeof *s);
    s->u = u;
    s->body = body;
    s->arg = arg;
    s->made_before = made_before;
    return test_thread_start(starter_body, s);
}

static void starter_end(starter *s, test_thread *t)
{
    test_thread_join(t);
    if (s->join) {
        CHECK_HR(s->join->lpVtbl->Join(s->join, INFINITE, 0), S_OK);
        s->join->lpVtbl->Release(s->join);
    }
    if (s->started) {
        CHECK(!T_LOAD(&s->started->start_failed));
        fake_clr_task_free(s->started);
    }
    if (s->self)
        fake_clr_task_free(s->self);
}

static void wait_for_value(long *p, long value)
{
    test_wait_for(p, value);
}

static void wait_for_slot_waiters(unkind *u, unsigned long long count)
{
    clrhost_task_manager_stats st;
    unsigned long long until = test_now_ms() + 20000u * test_slow();
    do {
        CHECK_HR(clrhost_task_manager_get_stats(u->m, &st), S_OK);
        if (st.slot_waiters == count)
            return;
        test_sleep_ms(1);
    } while (test_now_ms() < until);
    CHECK_EQ(st.slot_waiters, count);
}

/* ---- chain B: a GC gives its slot up in its suspension's wait ------------

   A scheduled task G runs a workstation GC: it holds the thread-store
   lock and waits, announced, for a foreign thread in cooperative mode.
   Meanwhile `slots` threads start (Thread.Start of Threads made before):
   each takes a slot in SetCLRTask, then blocks on the thread-store lock
   holding it (vm/threads.cpp:2546-2558). When the foreign thread lets
   the GC go on, G's EnterRuntime after its wait must not wait for a slot:
   it holds the lock they wait for. */

static void gc_body(void *p)
{
    role *r = (role *)p;
    unkind *u = r->u;
    test_wait_for(&u->flag[r->index], 1);
    u->gc_result = clr_gc(&u->clr);
    keep_counters(r);
}

static void started_body(void *p) { T_INC(&((unkind *)p)->done); }

typedef struct chain_run {
    unkind u;
    role roles[MAX_SLOTS];
    starter starters[MAX_SLOTS];
} chain_run;

static void chain_b_main(void *p)
{
    chain_run *c = (chain_run *)p;
    unkind *u = &c->u;
    threads t;
    blocker b;
    test_thread *bt, *st[MAX_SLOTS];
    unsigned i;
    begin_run(u, &t, c->roles, (int)u->slots);
    for (i = 0; i < u->slots; ++i) /* G (role 0) and the holders of the other slots */
        start_as(&t, u, CLR_THREAD_USER, i == 0 ? gc_body : holder_body, &c->roles[i]);
    bt = blocker_start(&b, u, 0);
    /* The threads are started now, and the OS runs them once G waits. */
    T_STORE(&u->clr.starts_held, 1);
    for (i = 0; i < u->slots; ++i)
        st[i] = starter_start(&c->starters[i], u, started_body, u, 1);
    wait_for_value(&u->clr.starts_at_gate, (long)u->slots);
    T_STORE(&u->flag[0], 1);                    /* G collects */
    wait_for_value(&u->clr.gc_in_progress, 1); /* and waits, holding the thread-store lock */
    T_STORE(&u->clr.starts_held, 0);
    wait_for_value(&u->clr.thread_store_lock.blocked, (long)u->slots);
    blocker_end(&b, bt); /* the GC may go on */
    for (i = 1; i < u->slots; ++i)
        T_STORE(&u->flag[i], 1);
    for (i = 0; i < u->slots; ++i)
        starter_end(&c->starters[i], st[i]);
    join_all(&t);
}

static void run_chain(unsigned slots, void (*main_fn)(void *))
{
    chain_run *c = (chain_run *)calloc(1, sizeof *c);
    clrhost_task_manager_stats st;
    if (!c)
        return;
    unkind_open(&c->u, slots, 0);
    test_run_on_thread(main_fn, c);
    CHECK_HR(c->u.gc_result, S_OK);
    CHECK_EQ(T_LOAD(&c->u.clr.gcs), 1);
    CHECK_EQ(T_LOAD(&c->u.done), 2 * (long)slots); /* each body, and each started thread */
    /* G came back from its wait, or handed its slot on, holding the
       thread-store lock, while the started threads held the slots blocked
       on that lock: with one slot, G ran the GC over the cap rather than
       wait. With two, which task ran over it is the OS's choice (a starter
       spinning on the lock hands its slot to the other at a back-off and
       runs over the cap itself; G may take the holder's lent slot): three
       tasks ran managed code at once on two slots, so one of them did. */
    if (slots == 1)
        CHECK(c->u.counts[0].over_cap >= 1);
    fake_clr_task_free(c->u.clr.start_thread);
    unkind_close(&c->u, &st);
    CHECK(st.totals.over_cap >= 1);
    CHECK(st.totals.over_cap_ns > 0); /* timed, once each stretch over it ended */
    free(c);
}

TEST_CASE(test_chain_b_one, "unkind/chain_b_one_slot") { run_chain(1, chain_b_main); }
TEST_CASE(test_chain_b_two, "unkind/chain_b_two_slots") { run_chain(2, chain_b_main); }

/* ---- chain C: a GC's back-off hands its slot over ------------------------

   The threads that start are queued for the slots before the GC; the
   foreign thread the GC waits for is inside the CLR, where no redirect
   reaches it, so the GC backs off with SwitchToTask(0) holding the
   thread-store lock (vm/threadsuspend.cpp:5068): each back-off hands G's
   slot to a starting thread, which then blocks on that lock. G must not
   queue for a slot again there. */

static void chain_c_main(void *p)
{
    chain_run *c = (chain_run *)p;
    unkind *u = &c->u;
    threads t;
    blocker b;
    test_thread *bt, *st[MAX_SLOTS];
    unsigned i;
    begin_run(u, &t, c->roles, (int)u->slots);
    for (i = 0; i < u->slots; ++i)
        start_as(&t, u, CLR_THREAD_USER, i == 0 ? gc_body : holder_body, &c->roles[i]);
    for (i = 0; i < u->slots; ++i) /* all slots are held: they queue in SetCLRTask */
        st[i] = starter_start(&c->starters[i], u, started_body, u, 1);
    wait_for_slot_waiters(u, u->slots);
    bt = blocker_start(&b, u, 1);
    T_STORE(&u->flag[0], 1); /* G collects */
    wait_for_value(&u->clr.gc_in_progress, 1); /* holding the thread-store lock */
    for (i = 1; i < u->slots; ++i)
        T_STORE(&u->flag[i], 1); /* the other holders end, handing their slots on */
    wait_for_value(&u->clr.thread_store_lock.blocked, (long)u->slots);
    blocker_end(&b, bt);
    for (i = 0; i < u->slots; ++i)
        starter_end(&c->starters[i], st[i]);
    join_all(&t);
}

TEST_CASE(test_chain_c_one, "unkind/chain_c_one_slot") { run_chain(1, chain_c_main); }
TEST_CASE(test_chain_c_two, "unkind/chain_c_two_slots") { run_chain(2, chain_c_main); }

/* ---- chain E: a reverse call waits for a slot in cooperative mode --------

   Every slot is held by a task blocked on a CLR lock that an unscheduled
   thread holds; that thread runs a GC, which waits for every cooperative
   thread; a task whose native code calls back into managed code turns
   cooperative before ReverseEnterRuntime (vm/amd64/UMThunkStub.asm:
   183-208). If it waits there for a slot, the GC never ends. */

typedef struct reverse_role {
    unkind *u;
    int index;
    long go;
    long entered; /* its managed code ran */
} reverse_role;

static int managed_callback(void *p)
{
    reverse_role *r = (reverse_role *)p;
    T_STORE(&r->entered, 1);
    (void)clr_poll(&r->u->clr);
    return 0;
}

static void native_calls_back(void *p)
{
    reverse_role *r = (reverse_role *)p;
    test_hold_until(&r->go, 1); /* native code: no safe point to reach */
    CHECK_HR(clr_reverse_call(&r->u->clr, managed_callback, r), S_OK);
}

static void calls_back_body(void *p)
{
    reverse_role *r = (reverse_role *)p;
    CHECK_HR(clr_pinvoke(&r->u->clr, (SIZE_T)&native_calls_back, native_calls_back, r), S_OK);
    clrhost_task_get_counters(clrhost_task_current(r->u->m), &r->u->counts[r->index]);
    T_INC(&r->u->done);
}

static void lock_body(void *p)
{
    role *r = (role *)p;
    if (clr_crst_enter(&r->u->clr, &r->u->lock))
        clr_crst_leave(&r->u->clr, &r->u->lock);
    keep_counters(r);
}

/* Until the caller `t` of r is inside ReverseEnterRuntime (cooperative,
   in a host call), or got through it: its managed code ran. */
static void wait_in_reverse_enter(const reverse_role *r, fake_clr_task *t)
{
    unsigned long long until = test_now_ms() + 20000u * test_slow();
    while (!(T_LOAD(&t->coop) && T_LOAD(&t->in_clr)) && !T_LOAD(&r->entered) && test_now_ms() < until)
        test_sleep_ms(1);
}

typedef struct chain_e_run {
    unkind u;
    reverse_role caller;
    role holders[MAX_SLOTS];
} chain_e_run;

static void chain_e_main(void *p)
{
    chain_e_run *c = (chain_e_run *)p;
    unkind *u = &c->u;
    threads t;
    unsigned i;
    begin_run(u, &t, c->holders, (int)u->slots);
    clr_managed_begin(&u->clr); /* the start thread runs managed code, never scheduled */
    c->caller.u = u;
    c->caller.index = 7;
    start_as(&t, u, CLR_THREAD_USER, calls_back_body, &c->caller); /* in native code: no slot */
    CHECK(clr_crst_enter(&u->clr, &u->lock));
    for (i = 0; i < u->slots; ++i)
        start_as(&t, u, CLR_THREAD_USER, lock_body, &c->holders[i]);
    wait_for_value(&u->lock.blocked, (long)u->slots); /* every slot's holder waits for the lock */
    T_STORE(&c->caller.go, 1);                         /* the native code calls back */
    wait_in_reverse_enter(&c->caller, t.fake[0]);
    u->gc_result = clr_gc(&u->clr);                    /* holding the lock */
    clr_crst_leave(&u->clr, &u->lock);
    clr_managed_end(&u->clr);
    join_all(&t);
}

static void run_chain_e(unsigned slots)
{
    chain_e_run *c = (chain_e_run *)calloc(1, sizeof *c);
    clrhost_task_manager_stats st;
    if (!c)
        return;
    unkind_open(&c->u, slots, 0);
    test_run_on_thread(chain_e_main, c);
    CHECK_HR(c->u.gc_result, S_OK);
    CHECK_EQ(T_LOAD(&c->u.done), 1 + (long)slots);
    CHECK(c->u.counts[7].over_cap >= 1); /* the reverse call ran over the cap */
    fake_clr_task_free(c->u.clr.start_thread);
    unkind_close(&c->u, &st);
    free(c);
}

TEST_CASE(test_chain_e_one, "unkind/chain_e_one_slot") { run_chain_e(1); }
TEST_CASE(test_chain_e_two, "unkind/chain_e_two_slots") { run_chain_e(2); }

/* ---- many threads starting while others collect ----------------------------

   Six threads on two slots, each running rounds of a P/Invoke, a GC every
   third round and a Thread.Start of a short-lived thread (joined) every
   fourth, all at once: GCs, starts and the slots' hand-overs interleave. */

#define BUSY_THREADS 6
#define BUSY_ROUNDS 12

static void native_ms(void *p) { test_sleep_ms((unsigned)(size_t)p); }

static void child_body(void *p)
{
    unkind *u = (unkind *)p;
    CHECK_HR(clr_pinvoke(&u->clr, (SIZE_T)&native_ms, native_ms, (void *)(size_t)1), S_OK);
}

/* Over-cap time as a share of the scheduled tasks' managed time. */
static void report_over_cap(const clrhost_task_manager_stats *st)
{
    double managed = (double)(st->totals.slot_ns + st->totals.over_cap_ns);
    printf("     (over the cap %llu times: %.1f of %.1f ms in managed code, %.1f%%)\n",
           (unsigned long long)st->totals.over_cap, (double)st->totals.over_cap_ns / 1e6, managed / 1e6,
           managed > 0 ? 100.0 * (double)st->totals.over_cap_ns / managed : 0.0);
}

static void busy_body(void *p)
{
    role *r = (role *)p;
    unkind *u = r->u;
    int round;
    for (round = 0; round < BUSY_ROUNDS; ++round) {
        CHECK_HR(clr_pinvoke(&u->clr, (SIZE_T)&native_ms, native_ms, (void *)(size_t)1), S_OK);
        if (round % 3 == r->index % 3) {
            CHECK_HR(clr_gc(&u->clr), S_OK);
            T_INC(&u->gcs);
        }
        if (round % 4 == r->index % 4) {
            IHostTask *join = NULL;
            fake_clr_task *fake = NULL;
            CHECK_HR(clr_create_thread(&u->clr, CLR_THREAD_USER, 0, child_body, u, &join, &fake), S_OK);
            if (join) {
                CHECK_HR(clr_join(&u->clr, fake, INFINITE), S_OK);
                join->lpVtbl->Release(join);
                fake_clr_task_free(fake);
            }
        }
        test_sleep_ms(1); /* managed work, with its safe points */
    }
    keep_counters(r);
}

typedef struct busy_run {
    unkind u;
    role roles[BUSY_THREADS];
} busy_run;

static void busy_main(void *p)
{
    busy_run *b = (busy_run *)p;
    threads t;
    int i;
    begin_run(&b->u, &t, b->roles, BUSY_THREADS);
    for (i = 0; i < BUSY_THREADS; ++i) /* started by the pool, so that this thread does not wait for each */
        start_as(&t, &b->u, CLR_THREAD_POOL, busy_body, &b->roles[i]);
    join_all(&t);
}

TEST_CASE(test_starts_while_collecting, "unkind/starts_while_others_collect")
{
    busy_run *b = (busy_run *)calloc(1, sizeof *b);
    clrhost_task_manager_stats st;
    if (!b)
        return;
    unkind_open(&b->u, 2, 0);
    test_run_on_thread(busy_main, b);
    CHECK_EQ(T_LOAD(&b->u.done), BUSY_THREADS);
    CHECK_EQ(T_LOAD(&b->u.clr.gcs), T_LOAD(&b->u.gcs));
    CHECK(T_LOAD(&b->u.gcs) >= BUSY_THREADS * (BUSY_ROUNDS / 3));
    fake_clr_task_free(b->u.clr.start_thread);
    unkind_close(&b->u, &st);
    CHECK(st.totals.slot_waits >= 1); /* six threads on two slots queue */
    report_over_cap(&st);
    free(b);
}

/* ---- reverse calls under the scheduler while GCs run ---------------------- */

static int reverse_work(void *p)
{
    unkind *u = (unkind *)p;
    test_sleep_ms(1); /* managed work, with its safe points */
    CHECK_HR(clr_pinvoke(&u->clr, (SIZE_T)&native_ms, native_ms, (void *)(size_t)1), S_OK);
    return 0;
}

static void native_calls_back_twice(void *p)
{
    unkind *u = (unkind *)p;
    CHECK_HR(clr_reverse_call(&u->clr, reverse_work, u), S_OK);
    CHECK_HR(clr_reverse_call(&u->clr, reverse_work, u), S_OK);
}

static void reverse_body(void *p)
{
    role *r = (role *)p;
    unkind *u = r->u;
    int round;
    for (round = 0; round < 8; ++round)
        CHECK_HR(clr_pinvoke(&u->clr, (SIZE_T)&native_calls_back_twice, native_calls_back_twice, u), S_OK);
    keep_counters(r);
}

/* GC.Collect() and Thread.Sleep(2), until the others are done. */
static void collector_body(void *p)
{
    role *r = (role *)p;
    unkind *u = r->u;
    int round;
    for (round = 0; round < 2000 && T_LOAD(&u->done) < 4; ++round) {
        CHECK_HR(clr_gc(&u->clr), S_OK);
        T_INC(&u->gcs);
        CHECK_HR(clr_sleep(&u->clr, 2), S_OK);
    }
    CHECK_EQ(T_LOAD(&u->done), 4);
}

static void reverse_main(void *p)
{
    busy_run *b = (busy_run *)p;
    threads t;
    int i;
    begin_run(&b->u, &t, b->roles, 5);
    for (i = 0; i < 5; ++i)
        start_as(&t, &b->u, CLR_THREAD_POOL, i == 4 ? collector_body : reverse_body, &b->roles[i]);
    join_all(&t);
}

TEST_CASE(test_reverse_calls_while_collecting, "unkind/reverse_calls_while_gcs_run")
{
    busy_run *b = (busy_run *)calloc(1, sizeof *b);
    clrhost_task_manager_stats st;
    if (!b)
        return;
    unkind_open(&b->u, 1, 0);
    test_run_on_thread(reverse_main, b);
    CHECK_EQ(T_LOAD(&b->u.done), 4);
    CHECK(T_LOAD(&b->u.gcs) >= 1);
    CHECK_EQ(T_LOAD(&b->u.clr.gcs), T_LOAD(&b->u.gcs));
    fake_clr_task_free(b->u.clr.start_thread);
    unkind_close(&b->u, &st);
    CHECK_EQ(st.totals.reverse_enter_runtime, 4 * 8 * 2);
    report_over_cap(&st);
    free(b);
}

/* ---- the quantum: a cooperative target, a preemptive one ------------------

   Cooperative: a task spins in managed code holding the one slot while
   another waits; YieldTask redirects it, and at its next safe point it
   calls SwitchToTask(0) in preemptive mode (vm/threadsuspend.cpp:
   4118-4223), where waiting for a slot is allowed.
   Preemptive: the task holding the slot is blocked on a CLR lock, which
   leaves it preemptive; YieldTask leaves the request pending, and the
   task takes it when it turns cooperative again, with the lock, by
   SwitchToTask(0) in cooperative mode (vm/threadsuspend.cpp:3286-3289),
   where it must not wait. */

static void spinner_body(void *p)
{
    role *r = (role *)p;
    unkind *u = r->u;
    while (!T_LOAD(&u->flag[r->index])) {
        test_sleep_ms(1);
        (void)clr_poll(&u->clr);
    }
    keep_counters(r);
}

static void waiter_body(void *p)
{
    role *r = (role *)p;
    T_STORE(&r->u->flag[r->index], 1); /* it ran: it had a slot */
    keep_counters(r);
}

/* The task a target yielded its slot to: it ends only once the target,
   having handed its slot over, decided how to go on (queued for a slot
   again, or over the cap), so that a slot this task freed first cannot
   make that decision moot. */
static void yielded_to_body(void *p)
{
    role *r = (role *)p;
    clrhost_task_manager_stats st;
    unsigned long long until = test_now_ms() + 20000u * test_slow();
    T_STORE(&r->u->flag[r->index], 1); /* it ran: it had a slot */
    do {
        CHECK_HR(clrhost_task_manager_get_stats(r->u->m, &st), S_OK);
        if (st.slot_waiters >= 1 || st.totals.over_cap >= 1)
            break;
        test_sleep_ms(1);
    } while (test_now_ms() < until);
    CHECK(st.slot_waiters >= 1 || st.totals.over_cap >= 1);
    keep_counters(r);
}

typedef struct quantum_run {
    unkind u;
    role roles[3];
} quantum_run;

static void coop_target_main(void *p)
{
    quantum_run *q = (quantum_run *)p;
    unkind *u = &q->u;
    threads t;
    begin_run(u, &t, q->roles, 2);
    start_as(&t, u, CLR_THREAD_USER, spinner_body, &q->roles[0]);
    start_as(&t, u, CLR_THREAD_POOL, yielded_to_body, &q->roles[1]); /* queues for the slot */
    wait_for_value(&u->flag[1], 1); /* the spinner yielded: flag[1] also ends it */
    T_STORE(&u->flag[0], 1);
    join_all(&t);
}

TEST_CASE(test_quantum_cooperative_target, "unkind/quantum_cooperative_target")
{
    quantum_run *q = (quantum_run *)calloc(1, sizeof *q);
    clrhost_task_manager_stats st;
    if (!q)
        return;
    unkind_open(&q->u, 1, 10);
    test_run_on_thread(coop_target_main, q);
    CHECK(q->u.counts[0].forced_yields >= 1);
    CHECK(q->u.counts[0].forced_yields_taken >= 1);
    CHECK(q->u.counts[0].slot_handoffs >= 1);
    /* Redirected, it yielded in preemptive mode: it waited its turn. */
    CHECK(q->u.counts[0].slot_waits >= 1);
    CHECK_EQ(q->u.counts[0].over_cap, 0);
    fake_clr_task_free(q->u.clr.start_thread);
    unkind_close(&q->u, &st);
    free(q);
}

static void locked_body(void *p)
{
    role *r = (role *)p;
    unkind *u = r->u;
    T_STORE(&u->flag[2], 1);
    if (clr_crst_enter(&u->clr, &u->lock)) /* blocks, preemptive, holding the slot */
        clr_crst_leave(&u->clr, &u->lock);
    keep_counters(r);
}

static void preemptive_target_main(void *p)
{
    quantum_run *q = (quantum_run *)p;
    unkind *u = &q->u;
    threads t;
    begin_run(u, &t, q->roles, 2);
    clr_managed_begin(&u->clr);
    CHECK(clr_crst_enter(&u->clr, &u->lock));
    start_as(&t, u, CLR_THREAD_USER, locked_body, &q->roles[0]);
    wait_for_value(&u->lock.blocked, 1);
    start_as(&t, u, CLR_THREAD_POOL, yielded_to_body, &q->roles[1]); /* queues for the slot */
    wait_for_value(&t.fake[0]->yield_requested, 1);              /* the monitor asked; it is pending */
    clr_crst_leave(&u->clr, &u->lock);
    clr_managed_end(&u->clr);
    join_all(&t);
}

TEST_CASE(test_quantum_preemptive_target, "unkind/quantum_preemptive_target")
{
    quantum_run *q = (quantum_run *)calloc(1, sizeof *q);
    clrhost_task_manager_stats st;
    if (!q)
        return;
    unkind_open(&q->u, 1, 10);
    test_run_on_thread(preemptive_target_main, q);
    CHECK(q->u.counts[0].forced_yields >= 1);
    CHECK(q->u.counts[0].forced_yields_taken >= 1);
    CHECK_EQ(T_LOAD(&q->u.flag[1]), 1);
    /* It yielded in cooperative mode, holding no CLR lock by then: it
       handed its slot over and ran on over the cap, without a wait. */
    CHECK(q->u.counts[0].over_cap >= 1);
    CHECK_EQ(q->u.counts[0].slot_waits, 0);
    fake_clr_task_free(q->u.clr.start_thread);
    unkind_close(&q->u, &st);
    free(q);
}

/* ---- AppDomain unload while spinners outside the domain hold the slots -----

   Two tasks of the default domain spin in managed code on both slots;
   two thread-pool workers of domain 1 wait for a slot in SetCLRTask; the
   unload helper (never scheduled) marks them for abort and waits for
   them. With a quantum the spinners are made to yield and the domain's
   threads run into their abort at once; without one they wait until the
   spinners end, as a task that never calls out keeps its slot. Either
   way the unload ends. */

typedef struct unload_run {
    unkind u;
    role roles[5];
    unsigned spin_ms;    /* how long the spinners spin at most */
    int until_unloaded;  /* and whether they stop once the unload ended */
    unsigned long long spin_end_ms[2], unload_end_ms;
    long unload_ended;
    HRESULT unloaded;
} unload_run;

static void domain_body(void *p)
{
    role *r = (role *)p;
    unkind *u = r->u;
    unsigned long long until = test_now_ms() + 20000u * test_slow();
    while (!clr_poll(&u->clr) && test_now_ms() < until) /* until its abort fires */
        test_sleep_ms(1);
    CHECK(clr_abort_fired());
    keep_counters(r);
}

static void timed_spinner_body(void *p)
{
    role *r = (role *)p;
    unload_run *run = (unload_run *)(void *)r->u;
    unsigned long long until = test_now_ms() + run->spin_ms;
    while (!(run->until_unloaded && T_LOAD(&run->unload_ended)) && test_now_ms() < until) {
        test_sleep_ms(1);
        (void)clr_poll(&run->u.clr);
    }
    run->spin_end_ms[r->index] = test_now_ms();
    keep_counters(r);
}

static void unload_helper_body(void *p)
{
    role *r = (role *)p;
    unload_run *run = (unload_run *)(void *)r->u;
    CHECK_HR(clr_ad_unload_helper_begins(&run->u.clr), S_OK); /* off the host's scheduler */
    run->unloaded = clr_unload_domain(&run->u.clr, 1);
    run->unload_end_ms = test_now_ms();
    T_STORE(&run->unload_ended, 1);
}

static void unload_main(void *p)
{
    unload_run *run = (unload_run *)p;
    unkind *u = &run->u;
    threads t;
    begin_run(u, &t, run->roles, 5);
    start_as(&t, u, CLR_THREAD_USER, timed_spinner_body, &run->roles[0]);
    start_as(&t, u, CLR_THREAD_USER, timed_spinner_body, &run->roles[1]);
    clr_set_domain(&u->clr, 1);
    start_as(&t, u, CLR_THREAD_POOL, domain_body, &run->roles[2]);
    start_as(&t, u, CLR_THREAD_POOL, domain_body, &run->roles[3]);
    clr_set_domain(&u->clr, 0);
    wait_for_slot_waiters(u, 2);
    CHECK_HR(clr_create_thread_as(&u->clr, CLR_THREAD_USER, TT_ADUNLOAD, 0, unload_helper_body, &run->roles[4],
                                  &t.join[t.count], &t.fake[t.count]), S_OK);
    t.count += 1;
    join_all(&t);
}

static void run_unload(unsigned quantum_ms)
{
    unload_run *run = (unload_run *)calloc(1, sizeof *run);
    clrhost_task_manager_stats st;
    if (!run)
        return;
    unkind_open(&run->u, 2, quantum_ms);
    /* With a quantum, the spinners spin until the unload ended (or a bound
       that only a scheduler that never makes them yield reaches); without
       one, for a while, and the unload ends only after them. */
    run->spin_ms = (quantum_ms ? 20000u : 600u) * test_slow();
    run->until_unloaded = quantum_ms != 0;
    test_run_on_thread(unload_main, run);
    CHECK_HR(run->unloaded, S_OK);
    CHECK_EQ(T_LOAD(&run->u.done), 4);
    if (quantum_ms) /* the spinners yielded: the domain's threads ran and ended first */
        CHECK(run->unload_end_ms <= run->spin_end_ms[0] && run->unload_end_ms <= run->spin_end_ms[1]);
    else /* a spinner keeps its slot: the domain's threads ran once one spinner ended */
        CHECK(run->unload_end_ms >= run->spin_end_ms[0] || run->unload_end_ms >= run->spin_end_ms[1]);
    fake_clr_task_free(run->u.clr.start_thread);
    unkind_close(&run->u, &st);
    free(run);
}

TEST_CASE(test_unload_with_quantum, "unkind/unload_spinners_outside_quantum") { run_unload(10); }
TEST_CASE(test_unload_without_quantum, "unkind/unload_spinners_outside_no_quantum") { run_unload(0); }

/* ---- shutdown with tasks queued ----------------------------------------------

   One slot, held by a task spinning in managed code; a thread-pool worker
   waits for it in SetCLRTask; a task's native code calls back into
   managed code. Shutdown's suspension (on the finalizer, never
   scheduled) waits until every started thread is preemptive: the spinner
   at its next safe point, the caller back only if it never waits for a
   slot in cooperative mode (vm/finalizerthread.cpp:1210;
   vm/threadsuspend.cpp:3432-3495). */

typedef struct shutdown_run {
    unkind u;
    role roles[2];
    reverse_role caller;
    HRESULT suspended;
} shutdown_run;

static void shutdown_main(void *p)
{
    shutdown_run *run = (shutdown_run *)p;
    unkind *u = &run->u;
    threads t;
    begin_run(u, &t, run->roles, 2);
    run->caller.u = u;
    run->caller.index = 7;
    start_as(&t, u, CLR_THREAD_USER, calls_back_body, &run->caller); /* in native code: no slot */
    start_as(&t, u, CLR_THREAD_USER, spinner_body, &run->roles[0]);
    start_as(&t, u, CLR_THREAD_POOL, waiter_body, &run->roles[1]);
    wait_for_slot_waiters(u, 1);
    T_STORE(&run->caller.go, 1);
    wait_in_reverse_enter(&run->caller, t.fake[0]);
    clr_managed_begin(&u->clr);
    run->suspended = clr_shutdown_suspend(&u->clr);
    clr_shutdown_release(&u->clr); /* the process would end here; the test cleans up */
    clr_managed_end(&u->clr);
    T_STORE(&u->flag[0], 1);
    join_all(&t);
}

TEST_CASE(test_shutdown_with_tasks_queued, "unkind/shutdown_with_tasks_queued")
{
    shutdown_run *run = (shutdown_run *)calloc(1, sizeof *run);
    clrhost_task_manager_stats st;
    if (!run)
        return;
    unkind_open(&run->u, 1, 0);
    test_run_on_thread(shutdown_main, run);
    CHECK_HR(run->suspended, S_OK);
    CHECK_EQ(T_LOAD(&run->u.done), 3);
    CHECK(run->u.counts[7].over_cap >= 1); /* its reverse call did not wait in cooperative mode */
    fake_clr_task_free(run->u.clr.start_thread);
    unkind_close(&run->u, &st);
    free(run);
}
