/* The played CLR's inside, as unkind as the CLR 4.x source (section 5 of
   the contract; files and lines below are dotnet/coreclr at ef1e2ab3,
   src/): GC modes, the thread store and its lock, the CLR's other locks
   with their thread-affinity brackets, the workstation GC's suspension,
   safe points, Thread.Start's wait for the new thread, YieldTask and Abort
   as the CLR's Thread does them, AppDomain unload and shutdown's
   suspension. Every operation that waits for other threads is bounded: one
   that outlasts clr->bound_ms fails the test with a report of every played
   thread, and breaks the played CLR so that its own waits give up and the
   test ends. The host's waits cannot be broken from here; they end when
   the played threads they wait for give up. */
#include "clr_driver.h"

#include <stdlib.h>

/* ---- the calling thread --------------------------------------------------- */

/* The calling thread's played CLR thread, if it belongs to `clr`. */
static fake_clr_task *self_of(clr_sim *clr)
{
    fake_clr_task *self = clr_current_thread();
    return self && self->sim == clr ? self : NULL;
}

static clr_sim *sim_of(const fake_clr_task *t) { return (clr_sim *)t->sim; }

void clr_enter_clr(fake_clr_task *self)
{
    if (self)
        T_INC(&self->in_clr);
}

void clr_leave_clr(fake_clr_task *self)
{
    if (self)
        T_DEC(&self->in_clr);
}

/* ---- bounded operations, the report ------------------------------------------ */

static int bounded_begin(clr_sim *clr, const char *what, const fake_clr_task *self)
{
    int i;
    test_mutex_lock(clr->bounded_lock);
    for (i = 0; i < CLR_MAX_BOUNDED && clr->bounded[i].deadline; ++i) {
    }
    if (i < CLR_MAX_BOUNDED) {
        clr->bounded[i].what = what;
        clr->bounded[i].thread_id = self ? self->id : 0;
        clr->bounded[i].deadline = test_now_ms() + clr->bound_ms;
    }
    test_mutex_unlock(clr->bounded_lock);
    return i; /* CLR_MAX_BOUNDED: unbounded (never seen: at most a few at once) */
}

static void bounded_end(clr_sim *clr, int i)
{
    if (i >= CLR_MAX_BOUNDED)
        return;
    test_mutex_lock(clr->bounded_lock);
    clr->bounded[i].deadline = 0;
    test_mutex_unlock(clr->bounded_lock);
}

static int broken(clr_sim *clr) { return T_LOAD(&clr->broken) != 0; }

typedef struct report_ctx {
    clr_sim *clr;
    clrhost_task_view *views;
    size_t count;
} report_ctx;

static const char *mode_name(const fake_clr_task *t)
{
    if (T_LOAD(&t->detached))
        return "ended";
    if (!T_LOAD(&t->started))
        return T_LOAD(&t->coop) ? "unstarted, cooperative" : "unstarted";
    return T_LOAD(&t->coop) ? "cooperative" : "preemptive";
}

static IHostTask *host_task_of(const fake_clr_task *t)
{
    IHostTask *owned = (IHostTask *)(size_t)T_LOAD(&t->owned); /* ExitTask clears it on the thread */
    return owned ? owned : t->expected;
}

/* Whether `t` is a played thread of clr: read from any thread. */
static int belongs(const fake_clr_task *t, const clr_sim *clr) { return T_LOAD(&t->sim_id) == clr->id; }

/* Read on the reporting thread while `t` runs: its doing and blocked_on
   are plain stores of the thread's (a report comes only when a test has
   failed). */
static void report_thread(fake_clr_task *t, void *p)
{
    report_ctx *r = (report_ctx *)p;
    const clr_crst *blocked = (const clr_crst *)t->blocked_on;
    const clr_crst *tsl = &r->clr->thread_store_lock;
    size_t i;
    if (!belongs(t, r->clr))
        return;
    fprintf(stderr, "  thread %lu (%s, fake %ld): %s, affinity %ld, CLR locks %lu%s", (unsigned long)t->home_thread,
            t->name, t->id, mode_name(t), (long)T_LOAD(&t->affinity), (unsigned long)T_LOAD(&t->locks),
            T_LOAD(&tsl->owner) == t->id ? " (the thread-store lock among them)" : "");
    if (blocked)
        fprintf(stderr, ", blocked on %s (held by fake %ld)", blocked->name, (long)T_LOAD(&blocked->owner));
    if (t->doing && *t->doing)
        fprintf(stderr, ", %s", t->doing);
    for (i = 0; i < r->count; ++i) {
        const clrhost_task_view *v = &r->views[i];
        if (v->thread_id != t->home_thread || !t->home_thread)
            continue;
        fprintf(stderr, "; host: %s, depth %u, %s", v->in_native ? "in native code" : "in managed code", v->depth,
                !v->scheduled ? "not scheduled"
                : v->slot >= 0 ? "holds a slot"
                : v->slot_waiting ? "WAITS FOR A SLOT"
                                  : "holds no slot");
        if (v->slot >= 0)
            fprintf(stderr, " (%ld)", (long)v->slot);
    }
    fputc('\n', stderr);
}

void clr_report(clr_sim *clr, const char *why)
{
    report_ctx r;
    clrhost_task_view views[64];
    clrhost_task_manager_stats st;
    clrhost_task_manager *m;
    r.clr = clr;
    r.views = views;
    r.count = 0;
    fprintf(stderr, "played CLR: %s\n", why);
    test_mutex_lock(clr->lock);
    m = clr->host_manager;
    test_mutex_unlock(clr->lock);
    if (m) { /* only with a probe */
        (void)clr_probe->list(m, CLRHOST_TASK_LIST_ALL, 0, views, 64, &r.count);
        if (clr_probe->get_stats(m, &st) == S_OK && st.slots)
            fprintf(stderr, "  host: %llu slots, %llu held, %llu tasks waiting for one\n",
                    (unsigned long long)st.slots, (unsigned long long)st.slots_held,
                    (unsigned long long)st.slot_waiters);
    }
    fake_clr_task_each(report_thread, &r);
    if (m)
        clr_probe->views_release(views, r.count);
    fflush(stderr);
}

/* ---- the service thread: bounds, and the abort helper ------------------------ */

static void check_bounds(clr_sim *clr)
{
    char why[160];
    unsigned long long now = test_now_ms();
    int i, late = -1;
    test_mutex_lock(clr->bounded_lock);
    for (i = 0; i < CLR_MAX_BOUNDED && late < 0; ++i)
        if (clr->bounded[i].deadline && now > clr->bounded[i].deadline) {
            late = i;
            clr->bounded[i].deadline = 0; /* reported once */
        }
    if (late >= 0)
        sprintf(why, "%s on fake %ld did not finish within %u ms: a deadlock", clr->bounded[late].what,
                clr->bounded[late].thread_id, clr->bound_ms);
    test_mutex_unlock(clr->bounded_lock);
    if (late < 0)
        return;
    test_fail(__FILE__, __LINE__, why);
    clr_report(clr, why);
    T_STORE(&clr->broken, 1);
}

/* Thread::ThreadAbortWatchDog, as the AppDomain-unload helper runs it
   every 5 ms while an abort is pending (vm/appdomain.cpp:13376-13386,
   13461-13467): a thread in an interruptible wait gets IHostTask::Alert;
   one running managed code in cooperative mode is redirected, and the
   abort fires at its next safe point (vm/threadsuspend.cpp:5761-5799); one
   in preemptive mode takes it when it returns to managed code. */
static void deliver_abort(fake_clr_task *t, void *p)
{
    clr_sim *clr = (clr_sim *)p;
    IHostTask *task;
    if (!belongs(t, clr) || !T_LOAD(&t->abort_requested) || T_LOAD(&t->abort_delivered) || T_LOAD(&t->detached) ||
        !T_LOAD(&t->started))
        return;
    if (T_LOAD(&t->interruptible)) {
        /* In a wait (its own store says so, after its task was set):
           its task is alive, and not in ExitTask. */
        task = host_task_of(t);
        T_STORE(&t->abort_delivered, 1); /* first: the woken wait reads it */
        task->lpVtbl->AddRef(task);
        (void)task->lpVtbl->Alert(task);
        task->lpVtbl->Release(task);
        T_INC(&clr->aborts_delivered);
    } else if (T_LOAD(&t->coop) && !T_LOAD(&t->in_clr)) {
        T_STORE(&t->abort_delivered, 1);
        T_INC(&clr->aborts_delivered);
    }
}

static void service_body(void *p)
{
    clr_sim *clr = (clr_sim *)p;
    while (!T_LOAD(&clr->service_stop)) {
        test_sleep_ms(5);
        check_bounds(clr);
        fake_clr_task_each(deliver_abort, clr);
    }
}

/* ---- section 5's rule for the host ------------------------------------------------

   A host must not make a thread wait where the CLR cannot afford it: in
   cooperative mode (every GC waits for the thread) or holding one of the
   CLR's locks (its affinity count above 0). With this header as the host
   the played CLR checks it around every call it makes in such a state:
   the task's slot_waits must not grow during the call. */

clr_host_call clr_host_call_begin(fake_clr_task *self, const char *what)
{
    clr_host_call c;
    clrhost_task_counters counts;
    c.task = NULL;
    c.waits = 0;
    c.what = what;
    if (!clr_probe || !self || (!T_LOAD(&self->coop) && T_LOAD(&self->affinity) <= 0) || !T_LOAD(&self->started))
        return c; /* preemptive, no lock: a wait is allowed (unstarted: the GC skips it) */
    c.task = clr_probe->from_iface(host_task_of(self)); /* its own: alive */
    if (c.task) {
        clr_probe->get_counters(c.task, &counts);
        c.waits = counts.slot_waits;
    }
    return c;
}

void clr_host_call_end(clr_sim *clr, clr_host_call c)
{
    clrhost_task_counters counts;
    char why[200];
    if (!c.task)
        return;
    clr_probe->get_counters(c.task, &counts);
    if (counts.slot_waits == c.waits)
        return;
    T_INC(&clr->unsafe_waits);
    sprintf(why, "the host made a thread wait for a slot in %s, in cooperative mode or holding a CLR lock",
            c.what);
    test_fail(__FILE__, __LINE__, why);
}

/* ---- GC modes, safe points ----------------------------------------------------- */

/* __SwitchToThread(0, count) (vm/hosting.cpp:880-960): the yield request
   goes, and past 32,768 switches in a row each also sleeps 1 ms, through
   the host. */
void clr_switch_count(clr_sim *clr, DWORD count)
{
    fake_clr_task *self = self_of(clr);
    clr_host_call call;
    if (self) {
        T_STORE(&self->yield_requested, 0); /* ResetThreadState(TS_YieldRequested) */
        T_STORE(&self->redirected, 0);
    }
    clr_enter_clr(self);
    call = clr_host_call_begin(self, "SwitchToTask");
    if (count >= 32768)
        (void)clr->tm->lpVtbl->Sleep(clr->tm, 1, 0);
    (void)clr->tm->lpVtbl->SwitchToTask(clr->tm, 0);
    clr_host_call_end(clr, call);
    clr_leave_clr(self);
}

void clr_switch(clr_sim *clr) { clr_switch_count(clr, 0); }

void clr_backoff_sleep(clr_sim *clr, DWORD ms)
{
    fake_clr_task *self = self_of(clr);
    clr_host_call call;
    clr_enter_clr(self);
    call = clr_host_call_begin(self, "a back-off Sleep");
    (void)clr->tm->lpVtbl->Sleep(clr->tm, ms, 0);
    clr_host_call_end(clr, call);
    clr_leave_clr(self);
}

/* One of the CLR's notified waits (CLREventWaitHelper2's
   LeaveRuntime(WaitForSingleObjectEx), vm/synch.cpp:626-660), until done()
   or ms pass (0: no limit) or the played CLR breaks. */
static void announced_wait(clr_sim *clr, fake_clr_task *self, int (*done)(clr_sim *clr, void *arg), void *arg,
                           unsigned ms)
{
    unsigned long long until = test_now_ms() + ms;
    clr_host_call call;
    HRESULT hr;
    clr_enter_clr(self);
    hr = clr->tm->lpVtbl->LeaveRuntime(clr->tm, test_clr_wait_target());
    while (!done(clr, arg) && !broken(clr) && (!ms || test_now_ms() < until))
        test_sleep_ms(1);
    call = clr_host_call_begin(self, "EnterRuntime after one of the CLR's waits");
    if (hr == S_OK)
        (void)clr->tm->lpVtbl->EnterRuntime(clr->tm);
    clr_host_call_end(clr, call);
    clr_leave_clr(self);
}

static int gc_over(clr_sim *clr, void *arg) { (void)arg; return !T_LOAD(&clr->gc_in_progress); }
static int shutdown_lifted(clr_sim *clr, void *arg) { (void)arg; return !T_LOAD(&clr->shutting_down); }

/* Thread::DisablePreemptiveGC and RareDisablePreemptiveGC
   (vm/threadsuspend.cpp:3255-3495): cooperative first, then a pending
   yield is taken (SwitchToTask(0), in cooperative mode), a GC in progress
   is waited out (preemptive again, in a notified wait), a shutdown
   blocks; and a requested abort fires, as the thread is back in managed
   code. */
void clr_go_coop(clr_sim *clr, fake_clr_task *self)
{
    if (!self)
        return;
    T_STORE(&self->coop, 1);
    for (;;) {
        if (T_LOAD(&self->yield_requested))
            clr_switch(clr);
        if (T_LOAD(&clr->gc_in_progress) && T_LOAD(&clr->gc_thread) != self->id && !broken(clr)) {
            const char *doing = self->doing;
            T_STORE(&self->coop, 0);
            self->doing = "waiting for a GC's end";
            announced_wait(clr, self, gc_over, NULL, 0);
            self->doing = doing;
            T_STORE(&self->coop, 1);
            continue;
        }
        if (T_LOAD(&clr->shutting_down) && T_LOAD(&self->task_type) != TT_FINALIZER && !broken(clr)) {
            const char *doing = self->doing;
            T_STORE(&self->coop, 0);
            self->doing = "blocked by shutdown";
            announced_wait(clr, self, shutdown_lifted, NULL, 0);
            self->doing = doing;
            T_STORE(&self->coop, 1);
            continue;
        }
        break;
    }
    if (T_LOAD(&self->abort_requested))
        T_STORE(&self->abort_fired, 1);
}

void clr_go_preemptive(fake_clr_task *self)
{
    if (self)
        T_STORE(&self->coop, 0);
}

void clr_managed_begin(clr_sim *clr) { clr_go_coop(clr, self_of(clr)); }
void clr_managed_end(clr_sim *clr) { clr_go_preemptive(self_of(clr)); }

int clr_abort_fired(void)
{
    fake_clr_task *self = clr_current_thread();
    return self && T_LOAD(&self->abort_fired);
}

/* A safe point of a thread in managed code (not inside the CLR or a host
   call). Returns whether it was one. */
static int safe_point(fake_clr_task *self)
{
    clr_sim *clr;
    if (!self || !self->sim || !T_LOAD(&self->coop) || T_LOAD(&self->in_clr))
        return 0;
    clr = sim_of(self);
    if (T_LOAD(&self->redirected)) { /* RedirectedHandledJITCaseForYieldTask: preemptive */
        T_STORE(&self->coop, 0);
        clr_switch(clr);
        clr_go_coop(clr, self);
    }
    if ((T_LOAD(&clr->gc_in_progress) && T_LOAD(&clr->gc_thread) != self->id) ||
        (T_LOAD(&clr->shutting_down) && T_LOAD(&self->task_type) != TT_FINALIZER)) {
        T_STORE(&self->coop, 0); /* a hijack: the mode pulses, and the thread waits in clr_go_coop */
        clr_go_coop(clr, self);
    }
    if (T_LOAD(&self->abort_delivered))
        T_STORE(&self->abort_fired, 1);
    return 1;
}

static int managed_poll_hook(void) { return safe_point(clr_current_thread()); }

int clr_poll(clr_sim *clr)
{
    fake_clr_task *self = self_of(clr);
    (void)safe_point(self);
    return self && T_LOAD(&self->abort_fired);
}

/* YieldTask past the rules every fake keeps (vm/threads.cpp:12075-12180):
   the caller (the host's monitor) loops, sleeping 1 ms through the OS,
   until the target is preemptive (the request stays pending, taken at its
   next SwitchToTask or cooperative transition), has yielded by itself, or
   runs managed code and can be redirected. A target that stays
   cooperative inside the CLR or the host holds the caller here. */
static HRESULT played_yield(fake_clr_task *t)
{
    clr_sim *clr = sim_of(t);
    int bound = bounded_begin(clr, "a YieldTask", NULL);
    while (T_LOAD(&t->yield_requested) && !T_LOAD(&t->detached) && T_LOAD(&t->coop) && !broken(clr)) {
        if (!T_LOAD(&t->in_clr)) {
            T_STORE(&t->redirected, 1); /* it yields at its next safe point */
            break;
        }
        test_sleep_ms(1);
    }
    bounded_end(clr, bound);
    return S_OK;
}

/* ---- the CLR's locks ------------------------------------------------------------- */

void clr_crst_init(clr_crst *c, const char *name, int any_mode)
{
    c->name = name;
    c->any_mode = any_mode;
    c->owner = 0;
    c->held_word = 0;
    c->blocked = 0;
}

static int crst_try(clr_crst *c, long me)
{
    if (T_LOAD(&c->owner) != 0 || T_XCHG(&c->held_word, 1) != 0)
        return 0;
    T_STORE(&c->owner, me);
    return 1;
}

/* Thread::BeginThreadAffinity / EndThreadAffinity (vm/threads.cpp:12808-12880):
   the host's first, then the thread's count. */
static void affinity(clr_sim *clr, fake_clr_task *self, int begin)
{
    if (begin) {
        (void)clr->tm->lpVtbl->BeginThreadAffinity(clr->tm);
        if (self)
            T_INC(&self->affinity);
    } else {
        if (self)
            T_DEC(&self->affinity);
        (void)clr->tm->lpVtbl->EndThreadAffinity(clr->tm);
    }
}

int clr_crst_enter(clr_sim *clr, clr_crst *c)
{
    fake_clr_task *self = self_of(clr);
    long me = self ? self->id : -(long)(test_thread_id() & 0x3FFFFFFF);
    int toggled = !c->any_mode && self && T_LOAD(&self->coop), i, got = 1;
    if (toggled)
        T_STORE(&self->coop, 0);
    clr_enter_clr(self);
    affinity(clr, self, 1);
    if (!crst_try(c, me)) {
        for (i = 0; i < 10 && !(got = crst_try(c, me)); ++i)
            clr_switch(clr); /* SpinEnter's back-offs, holding affinity */
        if (!got) {
            T_INC(&c->blocked);
            if (self)
                self->blocked_on = c;
            while (!got && !broken(clr)) { /* UnsafeEnterCriticalSection: no LeaveRuntime */
                test_sleep_ms(1);
                got = crst_try(c, me);
            }
            if (self)
                self->blocked_on = NULL;
            T_DEC(&c->blocked);
        }
    }
    if (got && self)
        T_ADD(&self->locks, 1); /* INCTHREADLOCKCOUNTTHREAD: what LocksHeld answers */
    if (!got)
        affinity(clr, self, 0);
    clr_leave_clr(self);
    if (toggled)
        clr_go_coop(clr, self);
    return got;
}

void clr_crst_leave(clr_sim *clr, clr_crst *c)
{
    fake_clr_task *self = self_of(clr);
    clr_enter_clr(self);
    T_STORE(&c->owner, 0);
    T_STORE(&c->held_word, 0);
    if (self)
        T_ADD(&self->locks, -1);
    affinity(clr, self, 0);
    clr_leave_clr(self);
}

/* ThreadSuspend::LockThreadStore (vm/threadsuspend.cpp:3060-3125): but for
   a GC's suspension, a cooperative caller turns preemptive while it takes
   the lock (then cooperative again without waiting for a GC: it holds the
   lock); the lock is bracketed by an affinity of its own ("If a task is
   switched out while it owns ThreadStoreLock, it may not be able to
   release it"), besides the Crst's. 0 when the played CLR broke. */
static int lock_thread_store(clr_sim *clr, int for_gc)
{
    fake_clr_task *self = self_of(clr);
    int toggled = !for_gc && self && T_LOAD(&self->coop), got;
    if (toggled)
        T_STORE(&self->coop, 0);
    affinity(clr, self, 1);
    got = clr_crst_enter(clr, &clr->thread_store_lock);
    if (!got)
        affinity(clr, self, 0);
    if (toggled)
        T_STORE(&self->coop, 1);
    return got;
}

static void unlock_thread_store(clr_sim *clr)
{
    clr_crst_leave(clr, &clr->thread_store_lock);
    affinity(clr, self_of(clr), 0);
}

/* ---- the GC ------------------------------------------------------------------------ */

typedef struct coop_scan {
    clr_sim *clr;
    long except;
    int found;     /* a started thread in cooperative mode */
    int in_clr;    /* ... of them one inside the CLR or the host, which no redirect reaches */
} coop_scan;

static void find_cooperative(fake_clr_task *t, void *p)
{
    coop_scan *s = (coop_scan *)p;
    if (belongs(t, s->clr) && t->id != s->except && T_LOAD(&t->started) && !T_LOAD(&t->detached) &&
        T_LOAD(&t->coop)) {
        s->found = 1;
        if (T_LOAD(&t->in_clr))
            s->in_clr = 1;
    }
}

/* Which started threads of clr but `except` run in cooperative mode
   (ThreadStore::GetThreadList skips the unstarted and the dead,
   vm/threads.cpp:6489-6500). */
static coop_scan scan_cooperative(clr_sim *clr, long except)
{
    coop_scan s;
    s.clr = clr;
    s.except = except;
    s.found = s.in_clr = 0;
    fake_clr_task_each(find_cooperative, &s);
    return s;
}

static int cooperative_left(clr_sim *clr, long except) { return scan_cooperative(clr, except).found; }

static int all_preemptive(clr_sim *clr, void *arg) { return !cooperative_left(clr, *(long *)arg); }

/* SuspendRuntime's loop, holding the thread-store lock, until no other
   started thread is cooperative: a thread in managed code is redirected
   (it stops at its next safe point); one a redirect cannot reach (inside
   the CLR or a host call) costs a back-off SwitchToTask(0), as a failed
   redirect does (vm/threadsuspend.cpp:5068); then an announced 10 ms wait
   on g_pGCSuspendEvent (PING_JIT_TIMEOUT, vm/threadsuspend.cpp:66-69, 5272). */
static void suspend_all(clr_sim *clr, fake_clr_task *self)
{
    long me = self->id;
    DWORD switches = 0;
    coop_scan s;
    while ((s = scan_cooperative(clr, me)).found && !broken(clr)) {
        if (s.in_clr)
            clr_switch_count(clr, ++switches);
        announced_wait(clr, self, all_preemptive, &me, 10);
    }
}

HRESULT clr_gc(clr_sim *clr)
{
    fake_clr_task *self = self_of(clr);
    long was_coop;
    const char *doing;
    int bound;
    if (!self)
        return S_OK;
    was_coop = T_LOAD(&self->coop);
    doing = self->doing;
    T_STORE(&self->coop, 0); /* enable_preemptive, then SuspendEE (gc/gc.cpp:33722-33735) */
    self->doing = "running a GC";
    bound = bounded_begin(clr, "a GC", self);
    if (!lock_thread_store(clr, 1)) {
        bounded_end(clr, bound);
        self->doing = doing;
        if (was_coop)
            clr_go_coop(clr, self);
        return E_FAIL;
    }
    T_STORE(&clr->gc_thread, self->id);
    T_STORE(&clr->gc_in_progress, 1);
    suspend_all(clr, self);
    bounded_end(clr, bound);
    T_STORE(&self->coop, 1); /* the collection runs cooperative; nobody else does */
    T_STORE(&clr->gc_in_progress, 0); /* RestartEE: ResumeRuntime, then the lock goes */
    T_STORE(&clr->gc_thread, 0);
    T_INC(&clr->gcs);
    unlock_thread_store(clr);
    self->doing = doing;
    if (!was_coop)
        T_STORE(&self->coop, 0);
    return broken(clr) ? E_FAIL : S_OK;
}

/* ---- Thread.Start ------------------------------------------------------------------ */

/* The new thread's side of the thread store: TransferStartedThread (after
   SetCLRTask, vm/threads.cpp:2546-2558) or AddThread (SetupThread, before
   it, vm/threads.cpp:1000-1004), under the thread-store lock. 0 when the
   played CLR broke while it waited: the thread fails to start. */
int clr_store_started(clr_sim *clr, fake_clr_task *self)
{
    const char *doing = self->doing;
    int ok;
    self->doing = "starting";
    ok = lock_thread_store(clr, 0);
    if (ok) {
        T_STORE(&self->started, 1);
        unlock_thread_store(clr);
    } else {
        T_STORE(&self->start_failed, 1);
    }
    self->doing = doing;
    return ok;
}

/* new Thread(...): SetupUnstartedThread adds the Thread to the store
   under the thread-store lock (vm/threads.cpp:1111-1128, 6276-6290). */
void clr_store_unstarted(clr_sim *clr)
{
    if (self_of(clr) && lock_thread_store(clr, 0))
        unlock_thread_store(clr);
}

/* Thread.Start's wait for the new thread: preemptive, YIELD_WHILE (it is
   SwitchToTask(0), and a 1 ms Sleep past 32,768 of them) until it has
   passed SetCLRTask and the thread-store lock
   (vm/comsynchronizable.cpp:482, 549-556). */
void clr_wait_started(clr_sim *clr, fake_clr_task *started)
{
    fake_clr_task *self = self_of(clr);
    long was_coop;
    const char *doing;
    DWORD switches = 0;
    int bound;
    if (!self)
        return;
    was_coop = T_LOAD(&self->coop);
    doing = self->doing;
    T_STORE(&self->coop, 0);
    self->doing = "in Thread.Start, waiting for the new thread";
    bound = bounded_begin(clr, "a Thread.Start", self);
    while (!T_LOAD(&started->started) && !T_LOAD(&started->start_failed) && !broken(clr))
        clr_switch_count(clr, ++switches);
    bounded_end(clr, bound);
    self->doing = doing;
    if (was_coop)
        clr_go_coop(clr, self);
}

/* ---- AppDomain unload, shutdown ------------------------------------------------------ */

typedef struct domain_scan {
    clr_sim *clr;
    int domain;
    int mark;  /* mark each for abort */
    int alive; /* found one not yet ended */
} domain_scan;

static void scan_domain(fake_clr_task *t, void *p)
{
    domain_scan *s = (domain_scan *)p;
    if (!belongs(t, s->clr) || t->domain != s->domain || !T_LOAD(&t->started) || T_LOAD(&t->detached))
        return;
    s->alive = 1;
    if (s->mark)
        T_STORE(&t->abort_requested, 1);
}

static int domain_empty(clr_sim *clr, void *arg)
{
    domain_scan s = *(domain_scan *)arg;
    s.clr = clr;
    s.mark = 0;
    s.alive = 0;
    fake_clr_task_each(scan_domain, &s);
    return !s.alive;
}

void clr_set_domain(clr_sim *clr, int domain) { clr->next_domain = domain; }

HRESULT clr_unload_domain(clr_sim *clr, int domain)
{
    fake_clr_task *self = self_of(clr);
    domain_scan s;
    int bound = bounded_begin(clr, "an AppDomain unload", self);
    s.clr = clr;
    s.domain = domain;
    s.mark = 1;
    s.alive = 0;
    fake_clr_task_each(scan_domain, &s); /* UnwindThreads: each marked for abort */
    while (!domain_empty(clr, &s) && !broken(clr)) {
        if (self)
            announced_wait(clr, self, domain_empty, &s, 5);
        else
            test_sleep_ms(5);
    }
    bounded_end(clr, bound);
    return broken(clr) ? E_FAIL : S_OK;
}

HRESULT clr_shutdown_suspend(clr_sim *clr)
{
    fake_clr_task *self = self_of(clr);
    int bound;
    long me;
    if (!self)
        return E_UNEXPECTED;
    me = self->id;
    bound = bounded_begin(clr, "shutdown's suspension", self);
    T_STORE(&clr->shutting_down, 1);
    if (lock_thread_store(clr, 1)) {
        while (cooperative_left(clr, me) && !broken(clr))
            announced_wait(clr, self, all_preemptive, &me, 10);
        unlock_thread_store(clr);
    }
    bounded_end(clr, bound);
    return broken(clr) ? E_FAIL : S_OK;
}

void clr_shutdown_release(clr_sim *clr) { T_STORE(&clr->shutting_down, 0); }

/* ---- set-up --------------------------------------------------------------------------- */

/* The played CLRs running now, for a report when a test hangs. */
#define MAX_SIMS 8
static clr_sim *running_sims[MAX_SIMS];
static test_mutex *running_sims_lock;

static void report_running_sims(void)
{
    int i;
    test_mutex_lock(running_sims_lock);
    for (i = 0; i < MAX_SIMS; ++i)
        if (running_sims[i])
            clr_report(running_sims[i], "its state when the test hung");
    test_mutex_unlock(running_sims_lock);
}

static void note_running(clr_sim *clr, int running)
{
    int i;
    test_mutex_lock(running_sims_lock);
    for (i = 0; i < MAX_SIMS; ++i)
        if (running_sims[i] == (running ? NULL : clr)) {
            running_sims[i] = running ? clr : NULL;
            break;
        }
    test_mutex_unlock(running_sims_lock);
}

void clr_runtime_init(clr_sim *clr)
{
    static long last_id;
    clr->id = T_INC(&last_id);
    clr_crst_init(&clr->thread_store_lock, "the thread-store lock", 1);
    clr->bounded_lock = test_mutex_new();
    clr->bound_ms = 10000u * test_slow();
    /* Set once: the first played CLR's set-up happens before any thread
       that reads them starts. */
    if (test_managed_poll != managed_poll_hook)
        test_managed_poll = managed_poll_hook;
    if (fake_clr_yield_hook != played_yield)
        fake_clr_yield_hook = played_yield;
    if (!running_sims_lock) {
        running_sims_lock = test_mutex_new();
        test_on_hang = report_running_sims;
    }
}

void clr_runtime_start(clr_sim *clr)
{
    if (!clr->service) {
        clr->service = test_thread_start(service_body, clr);
        note_running(clr, 1);
    }
}

void clr_runtime_stop(clr_sim *clr)
{
    if (clr->service) {
        note_running(clr, 0);
        T_STORE(&clr->service_stop, 1);
        test_thread_join(clr->service);
        clr->service = NULL;
    }
    if (clr->bounded_lock)
        test_mutex_free(clr->bounded_lock);
    clr->bounded_lock = NULL;
}
