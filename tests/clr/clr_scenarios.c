#include "clr_scenarios.h"

#include <stdlib.h>

/* Keep in step with Scenarios.cs. */
#define PINVOKE_CALLS 10
#define REVERSE_CALLS 5
#define THREADS 4
#define MAX_THREADS 256

/* ---- P/Invokes: the native call the CLR's stub makes, by target ----------- */

typedef struct native_call {
    const scenario_natives *natives;
    int a, b, result;                /* add */
    scenario_callback callback;      /* call_back */
    unsigned ms;                     /* block_ms */
    DWORD thread_id;                 /* current_thread_id */
} native_call;

static void call_add(void *p)
{
    native_call *c = (native_call *)p;
    c->result = c->natives->add(c->a, c->b);
}

static void call_call_back(void *p)
{
    native_call *c = (native_call *)p;
    c->result = c->natives->call_back(c->callback, c->a);
}

static void call_block_ms(void *p)
{
    native_call *c = (native_call *)p;
    c->natives->block_ms(c->ms);
}

static void call_current_thread_id(void *p)
{
    native_call *c = (native_call *)p;
    c->thread_id = c->natives->current_thread_id();
}

#define TARGET(fn) ((SIZE_T)(fn))

static int stand_in_add(int a, int b) { return a + b; }
static int stand_in_call_back(scenario_callback callback, int times)
{
    int sum = 0, i;
    for (i = 0; i < times; ++i)
        sum += callback(i);
    return sum;
}
static void stand_in_block_ms(unsigned ms) { test_sleep_ms(ms); }
static DWORD WINAPI stand_in_current_thread_id(void) { return test_thread_id(); }

const scenario_natives clr_stand_in_natives = {stand_in_add, stand_in_call_back, stand_in_block_ms,
                                               stand_in_current_thread_id};

/* A call not yet made: result -1 stays when the host refuses it (the CLR
   would have thrown at the call site). */
static native_call native_call_for(const scenario_natives *n)
{
    native_call c;
    memset(&c, 0, sizeof c);
    c.natives = n;
    c.result = -1;
    return c;
}

/* example_add(a, b) from managed code; *result is -1 when the call was
   refused. */
static HRESULT pinvoke_add(clr_sim *clr, const scenario_natives *n, int a, int b, int *result)
{
    native_call c = native_call_for(n);
    HRESULT hr;
    c.a = a;
    c.b = b;
    hr = clr_pinvoke(clr, TARGET(n->add), call_add, &c);
    *result = c.result;
    return hr;
}

static HRESULT pinvoke_call_back(clr_sim *clr, const scenario_natives *n, scenario_callback callback, int times,
                                 int *result)
{
    native_call c = native_call_for(n);
    HRESULT hr;
    c.callback = callback;
    c.a = times;
    hr = clr_pinvoke(clr, TARGET(n->call_back), call_call_back, &c);
    *result = c.result;
    return hr;
}

static DWORD pinvoke_current_thread_id(clr_sim *clr, const scenario_natives *n)
{
    native_call c = native_call_for(n);
    (void)clr_pinvoke(clr, TARGET(n->current_thread_id), call_current_thread_id, &c);
    return c.thread_id;
}

/* ---- reverse P/Invoke: delegates called from native code ------------------
   A delegate's thunk knows its runtime; these know it from here. Only the
   thread that plays a scenario calls them, one scenario at a time. */

static clr_sim *callback_clr;
static const scenario_natives *callback_natives;
static int callback_calls;

typedef struct managed_frame {
    int value, result;
} managed_frame;

static int managed_add_one(void *p)
{
    managed_frame *f = (managed_frame *)p;
    pinvoke_add(callback_clr, callback_natives, f->value, 1, &f->result);
    return 0;
}

static int managed_count(void *p)
{
    managed_frame *f = (managed_frame *)p;
    ++callback_calls;
    f->result = f->value;
    return 0;
}

static int managed_throw(void *p)
{
    (void)p;
    return 1; /* throw new InvalidOperationException(...) */
}

/* A throwing callback never returns here: the exception unwinds past the
   native caller to the P/Invoke that called it (clr_reverse_call). */
static int reverse(int (*managed)(void *), int value)
{
    managed_frame f;
    f.value = value;
    f.result = 0;
    (void)clr_reverse_call(callback_clr, managed, &f);
    return f.result;
}

/* Managed work that calls nothing, about a millisecond, and then a safe
   point (where a GC in progress suspends it). */
static int managed_spin(void *p)
{
    managed_frame *f = (managed_frame *)p;
    test_sleep_ms(1);
    (void)clr_poll(callback_clr);
    f->result = f->value;
    return 0;
}

static int delegate_add_one(int value) { return reverse(managed_add_one, value); }
static int delegate_spin(int value) { return reverse(managed_spin, value); }
static int delegate_count(int value) { return reverse(managed_count, value); }
static int delegate_throw(int value) { return reverse(managed_throw, value); }

static void use_callbacks(clr_sim *clr, const scenario_natives *n)
{
    callback_clr = clr;
    callback_natives = n;
    callback_calls = 0;
}

/* ---- the scenarios ----------------------------------------------------------- */

static int play_pinvoke(clr_sim *clr, const scenario_natives *n)
{
    int sum = 0, i;
    for (i = 0; i < PINVOKE_CALLS; ++i)
        pinvoke_add(clr, n, sum, i, &sum);
    if (sum != PINVOKE_CALLS * (PINVOKE_CALLS - 1) / 2)
        return 1;
    return pinvoke_current_thread_id(clr, n) != 0 ? 0 : 2;
}

static int play_nested(clr_sim *clr, const scenario_natives *n)
{
    int result;
    use_callbacks(clr, n);
    pinvoke_call_back(clr, n, delegate_add_one, 1, &result);
    return result == 1 ? 0 : 1;
}

static int play_reverse(clr_sim *clr, const scenario_natives *n)
{
    int sum;
    use_callbacks(clr, n);
    pinvoke_call_back(clr, n, delegate_count, REVERSE_CALLS, &sum);
    if (callback_calls != REVERSE_CALLS)
        return 1;
    return sum == REVERSE_CALLS * (REVERSE_CALLS - 1) / 2 ? 0 : 2;
}

static int play_exception(clr_sim *clr, const scenario_natives *n)
{
    int result;
    HRESULT hr;
    use_callbacks(clr, n);
    /* EnterRuntime for example_call_back comes from the unwind, and the
       exception reaches this frame, which catches it. */
    hr = pinvoke_call_back(clr, n, delegate_throw, 1, &result);
    return hr == CLR_MANAGED_THREW ? 0 : 1;
}

/* new Thread(body): the CLR's Thread object, which holds the thread's
   IHostTask until the finalizer lets it go. */
typedef struct managed_thread {
    fake_clr_task *clr_task;
} managed_thread;

static HRESULT thread_start(clr_sim *clr, managed_thread *t, void (*body)(void *), void *arg)
{
    return clr_create_thread(clr, CLR_THREAD_USER, 0, body, arg, NULL, &t->clr_task);
}

static HRESULT thread_join(clr_sim *clr, managed_thread *t, DWORD timeout)
{
    return clr_join(clr, t->clr_task, timeout);
}

/* The last reference to the managed Thread object goes. By now the thread
   has ended, so the host must have called its ICLRTask::ExitTask exactly
   once; the CLR lets go of the IHostTask later, on the finalizer thread. */
static void thread_forget(clr_sim *clr, managed_thread *t)
{
    CHECK_EQ(T_LOAD(&t->clr_task->exit_calls), 1);
    clr_thread_unreachable(clr, t->clr_task);
}

typedef struct add_thread {
    clr_sim *clr;
    const scenario_natives *natives;
    int slot, result;
} add_thread;

static void add_thread_body(void *p)
{
    add_thread *a = (add_thread *)p;
    pinvoke_add(a->clr, a->natives, a->slot, 1, &a->result);
}

static int play_start_and_join(clr_sim *clr, const scenario_natives *n, int count)
{
    managed_thread threads[MAX_THREADS];
    add_thread args[MAX_THREADS];
    int i, started = 0, failed = 0;
    for (i = 0; i < count; ++i) {
        args[i].clr = clr;
        args[i].natives = n;
        args[i].slot = i;
        args[i].result = -1;
        if (thread_start(clr, &threads[i], add_thread_body, &args[i]) != S_OK)
            break; /* Thread.Start throws */
        ++started;
    }
    for (i = 0; i < started; ++i) {
        if (thread_join(clr, &threads[i], INFINITE) != S_OK)
            failed = 1;
        thread_forget(clr, &threads[i]);
    }
    if (started < count || failed)
        return 1;
    for (i = 0; i < count; ++i)
        if (args[i].result != i + 1)
            return 1;
    return 0;
}

typedef struct waiter {
    clr_sim *clr;
    managed_thread *awaited; /* NULL: Thread.Sleep(timeout) */
    DWORD timeout;
    int sta;                 /* SetApartmentState(ApartmentState.STA) before Start */
    int woken;
} waiter;

/* Thread.Sleep(timeout) or other.Join(), caught ThreadInterruptedException. */
static void waiter_body(void *p)
{
    waiter *w = (waiter *)p;
    HRESULT hr;
    clr_current_thread()->in_sta = w->sta; /* the CLR sets the apartment up as the thread starts */
    hr = w->awaited ? thread_join(w->clr, w->awaited, w->timeout) : clr_sleep(w->clr, w->timeout);
    w->woken = hr == HOST_E_INTERRUPTED;
}

/* Scenarios.cs WaitUntilBlocked: until ThreadState shows WaitSleepJoin,
   Thread.Sleep(1) at a time, at most 1000 times. */
static void wait_until_blocked(clr_sim *clr, managed_thread *t)
{
    int i;
    for (i = 0; i < 1000 && !clr_in_interruptible_wait(t->clr_task); ++i)
        (void)clr_sleep(clr, 1);
}

/* Thread.Interrupt: the CLR calls IHostTask::Alert only for a thread in
   an interruptible wait, which may not have reached the host's wait yet;
   the host must keep the alert for it. */
static int play_interrupt(clr_sim *clr)
{
    waiter sleeper, long_sleeper, joiner;
    managed_thread sleeper_thread, long_sleeper_thread, joiner_thread;
    int joiner_ended;
    memset(&sleeper, 0, sizeof sleeper);
    sleeper.clr = clr;
    sleeper.timeout = INFINITE;
    if (thread_start(clr, &sleeper_thread, waiter_body, &sleeper) != S_OK)
        return 1;
    wait_until_blocked(clr, &sleeper_thread);
    clr_interrupt(sleeper_thread.clr_task);
    if (thread_join(clr, &sleeper_thread, 10000) != S_OK)
        return 1; /* a sleeper nothing wakes is never collected: leave it */
    thread_forget(clr, &sleeper_thread);
    if (!sleeper.woken)
        return 2;

    memset(&long_sleeper, 0, sizeof long_sleeper);
    long_sleeper.clr = clr;
    long_sleeper.timeout = 30000;
    memset(&joiner, 0, sizeof joiner);
    joiner.clr = clr;
    joiner.awaited = &long_sleeper_thread;
    joiner.timeout = INFINITE;
    joiner.sta = 1; /* so its Join pumps: WAIT_ALERTABLE | WAIT_MSGPUMP */
    if (thread_start(clr, &long_sleeper_thread, waiter_body, &long_sleeper) != S_OK)
        return 3;
    if (thread_start(clr, &joiner_thread, waiter_body, &joiner) != S_OK)
        return 3;
    wait_until_blocked(clr, &joiner_thread);
    clr_interrupt(joiner_thread.clr_task);
    joiner_ended = thread_join(clr, &joiner_thread, 10000) == S_OK;
    clr_interrupt(long_sleeper_thread.clr_task);
    thread_join(clr, &long_sleeper_thread, INFINITE);
    thread_forget(clr, &long_sleeper_thread);
    if (!joiner_ended)
        return 3;
    thread_forget(clr, &joiner_thread);
    return joiner.woken ? 0 : 4;
}

static int play_culture(clr_sim *clr)
{
    /* The CurrentUICulture setter asks IHostTaskManager::SetUILocale
       (fr-FR is LCID 0x040C) and throws unless it gets S_OK; with no task
       manager there is nobody to ask. */
    if (clr->tm && clr->tm->lpVtbl->SetUILocale(clr->tm, 0x040C) != S_OK)
        return 1;
    return 0;
}

/* The collections allocation would bring: one every 64 threads, so that
   new threads start while dead ones are still referenced. */
#define THREADS_PER_COLLECTION 64

static int play_churn(clr_sim *clr, const scenario_natives *n, int count)
{
    int done, result;
    for (done = 0; done < count; done += 8) {
        result = play_start_and_join(clr, n, count - done < 8 ? count - done : 8);
        if (result)
            return result;
        if ((done / 8 + 1) % (THREADS_PER_COLLECTION / 8) == 0)
            clr_collect(clr);
    }
    return 0;
}

/* GC.Collect(); GC.WaitForPendingFinalizers(); three times: every thread
   that has ended is cleaned up and its IHostTask let go of. */
static int play_settle(clr_sim *clr)
{
    int i;
    for (i = 0; i < 3; ++i)
        clr_collect(clr);
    return 0;
}

typedef struct worker {
    clr_sim *clr;
    const scenario_natives *natives;
} worker;

static void wait_20_ms(void *p)
{
    (void)p;
    test_sleep_ms(20); /* WaitHandle.WaitOne(20) on an event nobody sets */
}

static void worker_body(void *p)
{
    worker *w = (worker *)p;
    native_call c = native_call_for(w->natives);
    int j;
    c.ms = 20;
    for (j = 0; j < 5; ++j) {
        clr_pinvoke(w->clr, TARGET(w->natives->block_ms), call_block_ms, &c);
        clr_blocking_wait(w->clr, wait_20_ms, NULL);
    }
}

static int play_work(clr_sim *clr, const scenario_natives *n, int count)
{
    managed_thread threads[MAX_THREADS];
    worker w;
    int i, started = 0;
    w.clr = clr;
    w.natives = n;
    for (i = 0; i < count && thread_start(clr, &threads[i], worker_body, &w) == S_OK; ++i)
        ++started;
    for (i = 0; i < started; ++i) {
        thread_join(clr, &threads[i], INFINITE);
        thread_forget(clr, &threads[i]);
    }
    return started == count ? 0 : 1;
}

/* For the throttle example: each thread alternates 20 ms of managed
   work (no host call in it, as a loop that calls nothing; a safe point
   every millisecond, where a forced yield is taken) with a 20 ms native
   call (example_block_ms), five times. */
static void throttled_body(void *p)
{
    worker *w = (worker *)p;
    native_call c = native_call_for(w->natives);
    int j, ms;
    c.ms = 20;
    for (j = 0; j < 5; ++j) {
        for (ms = 0; ms < 20; ++ms) {
            test_sleep_ms(1);
            (void)clr_poll(w->clr);
        }
        clr_pinvoke(w->clr, TARGET(w->natives->block_ms), call_block_ms, &c);
    }
}

static int play_throttle(clr_sim *clr, const scenario_natives *n, int count)
{
    managed_thread threads[MAX_THREADS];
    worker w;
    int i, started = 0;
    w.clr = clr;
    w.natives = n;
    for (i = 0; i < count && thread_start(clr, &threads[i], throttled_body, &w) == S_OK; ++i)
        ++started;
    for (i = 0; i < started; ++i) {
        thread_join(clr, &threads[i], INFINITE);
        thread_forget(clr, &threads[i]);
    }
    return started == count ? 0 : 1;
}

/* For the validation kit's scheduler run (Scenarios.cs's Unload): an
   AppDomain is unloaded while its threads hold every slot spinning in
   managed code (no host call; a safe point every millisecond) and the rest
   of them wait for a slot. The threads first wait together on an event,
   so that all are started before any spins. The played unload is the
   calling thread's, as the CLR's unload helper's would be (never
   scheduled): it marks the domain's threads aborted and waits for them to
   end; a spinner takes the abort at its next safe point, a waiter once it
   has its slot. Unaborted, each would spin for 20 s. Check 1: the unload
   took 10 s or more. */
typedef struct unloaded_domain {
    clr_sim *clr;
    long go, unloading;
} unloaded_domain;

static void wait_for_go(void *p)
{
    unloaded_domain *d = (unloaded_domain *)p;
    while (!T_LOAD(&d->go))
        test_sleep_ms(1); /* ManualResetEvent.WaitOne */
}

static void domain_spinner_body(void *p)
{
    unloaded_domain *d = (unloaded_domain *)p;
    unsigned long long until;
    clr_blocking_wait(d->clr, wait_for_go, d);
    until = test_now_ms() + 20000u;
    while (test_now_ms() < until && !T_LOAD(&d->unloading)) {
        test_sleep_ms(1);
        (void)clr_poll(d->clr);
    }
}

static int play_unload(clr_sim *clr, int count)
{
    managed_thread threads[MAX_THREADS];
    unloaded_domain d;
    unsigned long long start, took;
    int i, started = 0;
    d.clr = clr;
    d.go = 0;
    d.unloading = 0;
    for (i = 0; i < count && thread_start(clr, &threads[i], domain_spinner_body, &d) == S_OK; ++i)
        ++started;
    T_STORE(&d.go, 1);
    test_sleep_ms(500); /* the spinners hold the slots, the others queue */
    start = test_now_ms();
    T_STORE(&d.unloading, 1);
    for (i = 0; i < started; ++i) {
        thread_join(clr, &threads[i], INFINITE);
        thread_forget(clr, &threads[i]);
    }
    took = test_now_ms() - start;
    printf("managed: the unload took %llu ms\n", took);
    if (started != count)
        return 2;
    return took >= 10000 ? 1 : 0;
}

/* For the validation kit's scheduler run (Scenarios.cs's SchedulerStress):
   each of count threads runs 8 rounds of a GC every third round (on the
   thread itself: the played CLR's workstation GC), a short thread started
   (Thread.Start) and joined, example_call_back calling a delegate that
   spins about a millisecond, twice, and a 1 ms native call. Check 1: a
   thread had not ended after 60 s. */
typedef struct stress_thread {
    clr_sim *clr;
    const scenario_natives *natives;
    int index;
} stress_thread;

static void stress_child_body(void *p)
{
    stress_thread *s = (stress_thread *)p;
    int result;
    pinvoke_add(s->clr, s->natives, s->index, 1, &result);
}

static void stress_body(void *p)
{
    stress_thread *s = (stress_thread *)p;
    native_call c = native_call_for(s->natives);
    int round, result;
    c.ms = 1;
    for (round = 0; round < 8; ++round) {
        managed_thread child;
        if ((round + s->index) % 3 == 0)
            (void)clr_gc(s->clr);
        if (thread_start(s->clr, &child, stress_child_body, s) == S_OK) {
            thread_join(s->clr, &child, INFINITE);
            thread_forget(s->clr, &child);
        }
        pinvoke_call_back(s->clr, s->natives, delegate_spin, 2, &result);
        clr_pinvoke(s->clr, TARGET(s->natives->block_ms), call_block_ms, &c);
    }
}

static int play_schedstress(clr_sim *clr, const scenario_natives *n, int count)
{
    managed_thread threads[MAX_THREADS];
    stress_thread args[MAX_THREADS];
    int i, started = 0, late = 0;
    use_callbacks(clr, n);
    for (i = 0; i < count; ++i) {
        args[i].clr = clr;
        args[i].natives = n;
        args[i].index = i;
        if (thread_start(clr, &threads[i], stress_body, &args[i]) != S_OK)
            break;
        ++started;
    }
    for (i = 0; i < started; ++i) {
        if (thread_join(clr, &threads[i], 60000) != S_OK)
            late = 1;
        else
            thread_forget(clr, &threads[i]);
    }
    return late || started != count ? 1 : 0;
}

/* For the watchdog example: one thread blocked in a native call for ms
   milliseconds, one spinning in managed code (no transition at all) until
   it is aborted or 2 x ms pass. The played CLR's abort: Abort on the
   thread's ICLRTask is only a request, which the CLR makes the thread
   take at a safe point of its managed loop (a ThreadAbortException,
   caught and reset in Scenarios.cs). */
typedef struct stuck_threads {
    clr_sim *clr;
    const scenario_natives *natives;
    int ms;
    long aborted;
} stuck_threads;

static void blocked_body(void *p)
{
    stuck_threads *s = (stuck_threads *)p;
    native_call c = native_call_for(s->natives);
    c.ms = (unsigned)s->ms;
    clr_pinvoke(s->clr, TARGET(s->natives->block_ms), call_block_ms, &c);
}

static void spinner_body(void *p)
{
    stuck_threads *s = (stuck_threads *)p;
    unsigned long long until = test_now_ms() + 2u * (unsigned)s->ms;
    while (test_now_ms() < until) {
        if (clr_poll(s->clr)) { /* the safe point takes the abort */
            T_STORE(&s->aborted, 1);
            return;
        }
    }
}

static int play_stuck(clr_sim *clr, const scenario_natives *n, int ms)
{
    managed_thread blocked, spinner;
    stuck_threads s;
    s.clr = clr;
    s.natives = n;
    s.ms = ms;
    s.aborted = 0;
    if (thread_start(clr, &blocked, blocked_body, &s) != S_OK)
        return 1;
    if (thread_start(clr, &spinner, spinner_body, &s) != S_OK) {
        thread_join(clr, &blocked, INFINITE);
        thread_forget(clr, &blocked);
        return 1;
    }
    thread_join(clr, &blocked, INFINITE);
    thread_join(clr, &spinner, INFINITE);
    thread_forget(clr, &blocked);
    thread_forget(clr, &spinner);
    printf(T_LOAD(&s.aborted) ? "managed: the spinner was aborted\n" : "managed: the spinner ran its time out\n");
    return 0;
}

/* For the validation kit (Scenarios.cs's Tasks): example_add from a user
   thread, a thread-pool worker and a finalizer; a thread blocked in
   example_block_ms before and after it allocates 4 MB; a thread in
   Thread.Sleep(20000) that only an abort ends early. */
typedef struct task_calls {
    clr_sim *clr;
    const scenario_natives *natives;
    long finalized, aborted;
} task_calls;

static void add_once(void *p)
{
    task_calls *c = (task_calls *)p;
    int result;
    pinvoke_add(c->clr, c->natives, 1, 2, &result);
}

static void finalize_object(void *p) /* ~Finalizable, on the finalizer thread */
{
    task_calls *c = (task_calls *)p;
    add_once(c);
    T_STORE(&c->finalized, 1);
}

static void allocator_body(void *p)
{
    task_calls *c = (task_calls *)p;
    native_call call = native_call_for(c->natives);
    call.ms = 300;
    clr_pinvoke(c->clr, TARGET(c->natives->block_ms), call_block_ms, &call);
    T_ADD(&clr_current_thread()->allocated, 4 << 20); /* new byte[4 << 20]: the large object heap */
    clr_pinvoke(c->clr, TARGET(c->natives->block_ms), call_block_ms, &call);
}

static void sleeper_body(void *p)
{
    task_calls *c = (task_calls *)p;
    if (clr_sleep(c->clr, 20000) == CLR_THREAD_ABORTED)
        T_STORE(&c->aborted, 1); /* ThreadAbortException, caught and reset */
}

/* A thread of `kind` runs body(c) to its end, then is forgotten. */
static HRESULT run_thread(clr_sim *clr, clr_thread_kind kind, void (*body)(void *), task_calls *c)
{
    managed_thread t;
    HRESULT hr = clr_create_thread(clr, kind, 0, body, c, NULL, &t.clr_task);
    if (hr != S_OK)
        return hr;
    thread_join(clr, &t, INFINITE);
    thread_forget(clr, &t);
    return S_OK;
}

static int play_tasks(clr_sim *clr, const scenario_natives *n)
{
    task_calls c;
    c.clr = clr;
    c.natives = n;
    c.finalized = c.aborted = 0;
    /* new Thread, then ThreadPool.QueueUserWorkItem: on a worker the pool makes */
    if (run_thread(clr, CLR_THREAD_USER, add_once, &c) != S_OK || run_thread(clr, CLR_THREAD_POOL, add_once, &c) != S_OK)
        return 1;
    clr_finalize_at_next_collection(clr, finalize_object, &c);
    clr_collect(clr);
    if (!T_LOAD(&c.finalized))
        return 2;
    if (run_thread(clr, CLR_THREAD_USER, allocator_body, &c) != S_OK ||
        run_thread(clr, CLR_THREAD_USER, sleeper_body, &c) != S_OK)
        return 1;
    return T_LOAD(&c.aborted) ? 0 : 3;
}

static int play_sandbox(clr_sim *clr, const scenario_natives *n)
{
    int result;
    HRESULT hr = pinvoke_add(clr, n, 1, 2, &result);
    if (SUCCEEDED(hr)) {
        printf("managed: example_add was allowed\n");
        return 1;
    }
    printf("managed: example_add was denied: the CLR throws the exception for HRESULT 0x%08lX\n",
           (unsigned long)hr);
    return pinvoke_current_thread_id(clr, n) != 0 ? 0 : 2;
}

/* The scenarios that start threads of the CLR's or wait for its
   finalizer, which the played CLR makes through the host's task manager
   (CreateTask) only. */
static int plays_threads(const char *name)
{
    static const char *const needing[] = {"threads", "interrupt", "churn", "work", "throttle", "unload",
                                          "schedstress", "tasks", "stuck", "settle", NULL};
    int i;
    for (i = 0; needing[i]; ++i)
        if (strcmp(name, needing[i]) == 0)
            return 1;
    return 0;
}

int clr_play(clr_sim *clr, const scenario_natives *natives, const char *argument)
{
    static const char *const all[] = {"pinvoke", "nested", "reverse", "exception",
                                      "threads", "interrupt", "culture", NULL};
    char name[32];
    const char *colon = strchr(argument, ':');
    size_t length = colon ? (size_t)(colon - argument) : strlen(argument);
    int count = colon ? atoi(colon + 1) : 0, result, i, was_managed;
    int violations = test_failures();
    if (!clr->finalizer && clr->tm) {
        printf("managed: the played CLR has no finalizer thread (clr_finalizer_start)\n");
        return 200;
    }
    if (length >= sizeof name) {
        printf("managed: unknown scenario '%s'\n", argument);
        return 100;
    }
    memcpy(name, argument, length);
    name[length] = 0;
    if (strcmp(name, "all") == 0) {
        for (i = 0; all[i]; ++i)
            if ((result = clr_play(clr, natives, all[i])) != 0)
                return result;
        return 0;
    }
    if (!clr->tm && plays_threads(name)) {
        printf("managed: %-10s not played: the stand-in makes the CLR's threads only through a host task "
               "manager, and the host gave none\n", name);
        return 150;
    }
    /* Scenarios.Run is managed code: cooperative on the calling thread. */
    was_managed = clr_current_thread() && T_LOAD(&clr_current_thread()->coop);
    clr_managed_begin(clr);
    if (strcmp(name, "pinvoke") == 0)
        result = play_pinvoke(clr, natives);
    else if (strcmp(name, "nested") == 0)
        result = play_nested(clr, natives);
    else if (strcmp(name, "reverse") == 0)
        result = play_reverse(clr, natives);
    else if (strcmp(name, "exception") == 0)
        result = play_exception(clr, natives);
    else if (strcmp(name, "threads") == 0)
        result = play_start_and_join(clr, natives, THREADS);
    else if (strcmp(name, "interrupt") == 0)
        result = play_interrupt(clr);
    else if (strcmp(name, "culture") == 0)
        result = play_culture(clr);
    else if (strcmp(name, "churn") == 0)
        result = play_churn(clr, natives, count > 0 ? count : 1000);
    else if (strcmp(name, "work") == 0)
        result = play_work(clr, natives, count > 0 && count <= MAX_THREADS ? count : 3);
    else if (strcmp(name, "throttle") == 0)
        result = play_throttle(clr, natives, count > 0 && count <= MAX_THREADS ? count : 8);
    else if (strcmp(name, "unload") == 0)
        result = play_unload(clr, count > 0 && count <= MAX_THREADS ? count : 4);
    else if (strcmp(name, "schedstress") == 0)
        result = play_schedstress(clr, natives, count > 0 && count <= MAX_THREADS ? count : 8);
    else if (strcmp(name, "sandbox") == 0)
        result = play_sandbox(clr, natives);
    else if (strcmp(name, "tasks") == 0)
        result = play_tasks(clr, natives);
    else if (strcmp(name, "stuck") == 0)
        result = play_stuck(clr, natives, count > 0 ? count : 3000);
    else if (strcmp(name, "settle") == 0)
        result = play_settle(clr);
    else
        result = 100;
    if (!was_managed)
        clr_managed_end(clr);
    if (result == 100) {
        printf("managed: unknown scenario '%s'\n", argument);
        return 100;
    }
    violations = test_failures() - violations;
    if (violations && !result) {
        printf("managed: %-10s FAILED: the played CLR saw %d contract violation(s), printed above\n", name,
               violations);
        result = 200;
    } else if (result)
        printf("managed: %-10s FAILED check %d\n", name, result);
    else
        printf("managed: %-10s ok\n", name);
    fflush(stdout);
    return result;
}
