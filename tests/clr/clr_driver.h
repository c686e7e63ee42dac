/* A stand-in for the CLR: it calls a task manager exactly the way the
   .NET Framework CLR 4.x does (its source, dotnet/coreclr at ef1e2ab3,
   under vm/; each function cites where), in the same order,
   from the same threads, and handles the HRESULTs the way the CLR does.
   No CLR that runs on Linux (or under Wine) ever calls these interfaces, so
   this is how the tests exercise them. */
#ifndef CLRHOST_TEST_CLR_DRIVER_H
#define CLRHOST_TEST_CLR_DRIVER_H

#include "harness.h"

#define CLR_MAX_BOUND_TARGETS 64

typedef enum clr_pinvoke_style {
    CLR_X86, /* asks CallNeedsHostHook once per target, when binding it */
    CLR_X64  /* asks on every call */
} clr_pinvoke_style;

/* How a thread the CLR creates meets its task (both come from CreateTask). */
typedef enum clr_thread_kind {
    /* Thread.Start, the finalizer, the AD-unload helper: the CLR's Thread
       object exists before the thread and keeps CreateTask's task
       (vm/threads.cpp CreateNewHostTask), so the new thread's InitThread
       does not ask GetCurrentTask (vm/threads.cpp ~2257). */
    CLR_THREAD_USER,
    /* Thread-pool workers and I/O threads: their Thread object is made on
       the new thread (SetupThread, vm/win32threadpool.cpp), whose
       InitThread asks GetCurrentTask; it must give CreateTask's task. */
    CLR_THREAD_POOL
} clr_thread_kind;

/* What the played CLR asks of this header when it is the host under test
   (the suite, make demo, the churn): a report then shows each task's slot,
   and section 5's rule is checked (clr_host_call_begin). The stand-in
   mscoree.dll plays the CLR for a host in another module and has none. */
typedef struct clr_host_probe {
    clrhost_task *(*from_iface)(IHostTask *iface);
    clrhost_task_manager *(*manager_of)(const clrhost_task *task);
    void (*get_counters)(const clrhost_task *task, clrhost_task_counters *out);
    HRESULT (*get_stats)(clrhost_task_manager *m, clrhost_task_manager_stats *out);
    HRESULT (*list)(clrhost_task_manager *m, unsigned which, ULONGLONG min_ms, clrhost_task_view *views,
                    size_t capacity, size_t *count);
    void (*views_release)(clrhost_task_view *views, size_t count);
} clr_host_probe;
#define CLR_PROBE_OF_THIS_HEADER                                                                      \
    {clrhost_task_from_iface, clrhost_task_manager_of, clrhost_task_get_counters,                     \
     clrhost_task_manager_get_stats, clrhost_task_manager_list, clrhost_task_views_release}
/* NULL unless a program that holds the implementation sets it, once,
   before its first played CLR. */
extern const clr_host_probe *clr_probe;

/* The background of calls the CLR makes on its own (clr_traffic_start). */
typedef struct clr_traffic clr_traffic;

/* One of the CLR's own locks, a Crst. With no host sync manager each is an
   OS critical section (vm/crst.cpp:60-67, 88): CrstBase::Enter calls
   Thread::BeginThreadAffinity (the host's) first and EndThreadAffinity
   after leaving (vm/crst.cpp:464-467, 549-551); a contended one spins,
   calls SwitchToTask(0) ten times (g_SpinConstants.dwRepetitions,
   vm/vars.cpp:150-155) and then blocks with no LeaveRuntime
   (vm/crst.cpp:208-260, 464-481). A thread in cooperative mode switches
   to preemptive while it waits, but for an any-mode lock such as the
   thread-store lock (CRST_UNSAFE_ANYMODE, vm/crst.cpp:386-394,
   vm/threads.cpp:6184). The played one spins on a word. */
typedef struct clr_crst {
    const char *name;
    int any_mode;
    long owner;     /* the owner's fake_clr_task id; 0: free */
    long held_word; /* the spin word itself */
    long blocked;   /* threads blocked on it now (past the spin) */
} clr_crst;

/* A bounded operation of the played CLR (a GC's suspension, a
   Thread.Start, an unload, shutdown's suspension): clr_runtime.c's
   service thread reports it and breaks the played CLR when it outlasts
   its bound. */
#define CLR_MAX_BOUNDED 32
typedef struct clr_bounded {
    const char *what;
    long thread_id;              /* the fake's id that runs it */
    unsigned long long deadline; /* test_now_ms(); 0: a free entry */
} clr_bounded;

typedef struct clr_sim {
    clr_pinvoke_style style;
    IHostControl *host_control;   /* AddRef'd and kept, as SetHostControl does */
    IHostTaskManager *tm;         /* kept as GetHostManager gave it; NULL: not hosted */
    fake_clr_task_manager clr_task_manager;
    HRESULT manager_results[9];   /* GetHostManager result per manager, in the CLR's order */
    fake_clr_task *start_thread;  /* the thread that called Start */
    test_mutex *lock;
    int bound;                    /* x86: targets bound so far */
    SIZE_T bound_target[CLR_MAX_BOUND_TARGETS];
    BOOL bound_hooked[CLR_MAX_BOUND_TARGETS];

    /* The finalizer thread (clr_finalizer_start): NULL until started. */
    fake_clr_task *finalizer;
    IHostTask *finalizer_join;    /* for the tests' shutdown */
    long finalizer_stop;
    long gc_requested, gc_done;   /* collections asked for and finished */
    fake_clr_task **garbage;      /* dead threads' CLR objects not yet freed */
    int garbage_count, garbage_capacity;
    long released_by_finalizer;   /* IHostTask references it let go of */
    clr_traffic *traffic;         /* NULL: no background traffic */
    void (*finalizer_method)(void *); /* clr_finalize_at_next_collection; under lock */
    void *finalizer_method_arg;
    long background_threads_made; /* by the traffic: workers, the unload helper */

    /* The CLR's inside (tests/clr/clr_runtime.c; contract section 5). */
    long id;                      /* nonzero, unique: its threads' fake_clr_task.sim_id */
    clr_crst thread_store_lock;   /* the TSL */
    long gc_in_progress;          /* a GC's suspension or collection is under way */
    long gc_thread;               /* its thread's fake id */
    long gcs;                     /* GCs finished */
    long shutting_down;           /* shutdown's SuspendEE came: threads turning cooperative block */
    long broken;                  /* a bounded operation outlasted its bound: played waits give up */
    unsigned bound_ms;            /* the bound (10 s x test_slow() by default) */
    test_mutex *bounded_lock;
    clr_bounded bounded[CLR_MAX_BOUNDED];
    test_thread *service;         /* deadlines, and the abort helper (clr_runtime.c) */
    long service_stop;
    long aborts_delivered;        /* by the abort helper: Alerts and redirects */
    long unsafe_waits;            /* waits for a slot the host made where the CLR cannot afford one */
    int next_domain;              /* the AppDomain of the threads started from now */
    long starts_held;             /* nonzero: Thread.Start's new threads wait before HasStarted,
                                     as threads the OS has not scheduled yet */
    long starts_at_gate;          /* ... how many wait so now */
    clrhost_task_manager *host_manager; /* this header's manager, once a task of it is seen
                                           (under lock): a report shows its slots */
} clr_sim;

/* ICLRRuntimeHost::SetHostControl: asks for every host manager in the
   CLR's order, keeps the task manager only for exactly S_OK and a non-NULL
   pointer, then calls SetCLRTaskManager once and ignores its result. */
void clr_init(clr_sim *clr, clr_pinvoke_style style);
HRESULT clr_set_host_control(clr_sim *clr, IHostControl *hc);
/* ICLRRuntimeHost::Start on the calling thread: affinity bracket, stack
   guarantee, GetCurrentTask (NULL fails start-up with
   HOST_E_INVALIDOPERATION), SetCLRTask, SwitchToTask(0). */
HRESULT clr_start(clr_sim *clr);
/* Undoes what the test harness needs undone: stops the background traffic
   and the finalizer (after a last collection, which must free every dead
   thread's objects: a host reference kept past ExitTask fails a check).
   The real CLR never releases its host managers; the tests do, to prove
   nothing else is held. */
void clr_shutdown(clr_sim *clr);

/* The finalizer thread, as the CLR makes it during start-up
   (FinalizerThread::FinalizerThreadCreate: CreateTask, a CLR_THREAD_USER
   thread). From then on the CLR lets go of a dead thread's IHostTask the
   way the real one does: not when the thread ends, but on the finalizer
   thread, after its managed Thread object was collected and the thread
   detached (vm/threads.cpp DecExternalCount ~3313-3333,
   CleanupDetachedThreads ~3692-3746; vm/finalizerthread.cpp ~679-694).
   Between collections the finalizer sits in one of the CLR's notified
   waits. */
HRESULT clr_finalizer_start(clr_sim *clr);
/* A managed Thread object became unreachable: its CLR objects wait for
   the next collection. `t` must be a thread clr_create_thread made after
   the finalizer started. */
void clr_thread_unreachable(clr_sim *clr, fake_clr_task *t);
/* GC.Collect(); GC.WaitForPendingFinalizers(): the finalizer releases the
   IHostTask of every unreachable thread that has ended (ExitTask came),
   and deletes each CLR thread object the host holds no reference to. The
   caller waits in one of the CLR's notified waits. */
void clr_collect(clr_sim *clr);
/* A managed object became unreachable whose finalizer is `method`: the
   finalizer thread runs method(arg) once, in the pass after the next
   collection (clr_collect waits for it). */
void clr_finalize_at_next_collection(clr_sim *clr, void (*method)(void *), void *arg);

/* The calls the CLR makes on its own while managed code runs, started
   after clr_start (and clr_finalizer_start), running until clr_shutdown:
   thread-pool workers created through CreateTask mid-run (CLR_THREAD_POOL,
   asking GetCurrentTask) that make notified waits, Sleep(0, 0) back-offs
   and SwitchToTask(0) spins and then retire; the thread pool's gate
   thread (made, like its wait and timer threads, with plain
   CreateThread), a foreign thread adopted through GetCurrentTask; a server GC
   thread with no task calling SwitchToTask(0); the AppDomain-unload
   helper's LeaveRuntime(0) (vm/appdomain.cpp ~13348); the finalizer's own
   waits. None of it may cost a protocol error or a leak. */
HRESULT clr_traffic_start(clr_sim *clr);

/* A thread that enters the runtime from outside: GetCurrentTask (released
   at once, the pointer kept raw, as the CLR sometimes does), SetCLRTask,
   SwitchToTask(0). *out is NULL when the host refused the thread. */
HRESULT clr_thread_enter(clr_sim *clr, fake_clr_task **out);

/* A thread the CLR creates (Thread.Start, finalizer, thread pool...):
   CreateTask (suspended) and Start. On the new thread, for
   CLR_THREAD_POOL, GetCurrentTask must return the object CreateTask
   returned; then SetCLRTask, SwitchToTask(0), body(arg). The CLR's thread
   object keeps the CreateTask reference (t->owned): until ExitTask, or,
   once the finalizer runs, until a collection after the thread became
   unreachable. *join (if not NULL) gets an extra reference for the
   caller. *clr_task (if not NULL) gets the thread's fake ICLRTask, to be
   freed by the caller after the thread ended, or handed to
   clr_thread_unreachable. */
HRESULT clr_create_thread(clr_sim *clr, clr_thread_kind kind, DWORD stack_size, void (*body)(void *), void *arg,
                          IHostTask **join, fake_clr_task **clr_task);
/* The same, for a thread whose type flags the CLR sets at its start
   (task_type: an ETaskType; clr_create_thread gives TT_THREADPOOL_WORKER
   for CLR_THREAD_POOL, else TT_USER). */
HRESULT clr_create_thread_as(clr_sim *clr, clr_thread_kind kind, long task_type, DWORD stack_size,
                             void (*body)(void *), void *arg, IHostTask **join, fake_clr_task **clr_task);
/* Thread.Start of a Thread made earlier (new Thread(...) took the
   thread-store lock then, so Start does not): CreateTask, Start, and the
   wait until the new thread has passed SetCLRTask and the thread-store
   lock (vm/comsynchronizable.cpp:482, 549-556). As clr_create_thread
   otherwise, for a user thread. */
HRESULT clr_start_thread(clr_sim *clr, void (*body)(void *), void *arg, IHostTask **join, fake_clr_task **clr_task);
/* The calling thread's type flags (ClrFlsSetThreadType) before it has a
   CLR Thread: what GetCurrentTaskType answers for it until then, and the
   type clr_thread_enter gives its Thread. 0: none. */
void clr_set_thread_type(long type);

/* The CLR's per-thread object of the calling thread (what the CLR's
   GetThread() gives): set by clr_thread_enter, clr_start and on every
   thread clr_create_thread made. NULL on other threads. */
fake_clr_task *clr_current_thread(void);

/* Thread.Join on `t` from the calling CLR thread: IHostTask::Join through
   a reference held for the call (GetHostTaskWithAddRef), with the bits
   the CLR passes: WAIT_ALERTABLE, WAIT_MSGPUMP when the caller is not in
   the MTA, and not WAIT_NOTINDEADLOCK, since Thread.Join waits in
   WaitMode_InDeadlock (vm/comsynchronizable.cpp ~1289, DoAppropriateWait
   vm/threads.cpp ~4640, HostJoinOnThread ~431). Interruptible, as
   clr_sleep. */
HRESULT clr_join(clr_sim *clr, fake_clr_task *t, DWORD timeout);
/* Thread.Sleep(ms): IHostTaskManager::Sleep(ms, WAIT_ALERTABLE)
   (vm/hosting.cpp ~820). Both waits are interruptible the way
   Thread::UserSleep makes them (vm/threads.cpp ~5160-5230): the thread
   marks itself interruptible, and an interrupt already requested throws
   before the host is asked; HOST_E_INTERRUPTED without a request (a
   stray alert) waits again. HOST_E_INTERRUPTED comes back for an
   interrupt. */
HRESULT clr_sleep(clr_sim *clr, DWORD ms);
/* Thread.Interrupt: records the request, and calls IHostTask::Alert only
   when the thread is in an interruptible wait (Thread::UserInterrupt,
   vm/threads.cpp ~5148-5156; Thread::Alert ~391-420). Returns whether
   Alert was called. */
BOOL clr_interrupt(fake_clr_task *t);
/* Whether `t` is in an interruptible wait (ThreadState.WaitSleepJoin). */
BOOL clr_in_interruptible_wait(fake_clr_task *t);

/* What the AppDomain-unload helper thread does first, inside its try
   block (vm/appdomain.cpp): LeaveRuntime(0), never followed by an
   EnterRuntime. A failure makes the helper fail to start; the HRESULT is
   returned. */
HRESULT clr_ad_unload_helper_begins(clr_sim *clr);

/* A P/Invoke (or COM call) from managed code to native code at `target`.
   Asks CallNeedsHostHook as the style demands; if TRUE wraps the call in
   LeaveRuntime/EnterRuntime. A failed LeaveRuntime is a managed exception:
   the target is not called, no EnterRuntime follows, and the HRESULT is
   returned. The last-error value the native code set survives EnterRuntime,
   as the CLR's stub preserves it. */
HRESULT clr_pinvoke(clr_sim *clr, SIZE_T target, void (*native)(void *), void *arg);
/* One of the CLR's own blocking calls: always notified, never asked. */
HRESULT clr_blocking_wait(clr_sim *clr, void (*wait)(void *), void *arg);
/* Native code calls managed code (reverse P/Invoke or a COM call into a
   managed object). Anything but exactly S_OK from ReverseEnterRuntime
   means the managed code does not run; the HRESULT is returned. When the
   managed code throws (returns non-zero), the exception unwinds the way
   the CLR's unwinder does, innermost frame first: ReverseLeaveRuntime from
   the reverse-P/Invoke frame's unwind handler, then the native frames are
   skipped (they run no further: a longjmp), then EnterRuntime from the
   enclosing P/Invoke's holder on x64 (Frame::ExceptionUnwind on x86;
   vm/dllimportcallback.cpp, vm/frames.cpp), and that P/Invoke returns
   CLR_MANAGED_THREW to its managed caller, which catches it. With no
   P/Invoke of this thread around the call, the exception goes to the
   native caller: CLR_MANAGED_THREW is returned here. */
#define CLR_MANAGED_THREW ((HRESULT)0x80131500L) /* COR_E_EXCEPTION */
/* What clr_sleep and clr_join return when an abort (ICLRTask::Abort from
   another thread) woke the wait: the CLR alerts a thread in an
   interruptible wait to abort it (Thread::UserAbort, vm/threadsuspend.cpp),
   and the thread then throws ThreadAbortException. */
#define CLR_THREAD_ABORTED ((HRESULT)0x80131530L) /* COR_E_THREADABORTED */
HRESULT clr_reverse_call(clr_sim *clr, int (*managed)(void *), void *arg);

/* ---- the CLR's inside (tests/clr/clr_runtime.c; contract section 5) ------

   Every played thread has a GC mode, set where section 5.2 says: a thread
   the CLR created runs its body in cooperative mode; P/Invokes, managed
   waits, Thread.Sleep and Join are preemptive, and so are the host's
   Enter/LeaveRuntime around them; a reverse call turns cooperative before
   ReverseEnterRuntime and preemptive before ReverseLeaveRuntime
   (vm/amd64/UMThunkStub.asm:183-208, 347-380); a foreign thread is
   preemptive outside its reverse calls. Managed code reaches a safe point
   at every test_sleep_ms, test_wait_for, test_yield and clr_poll: a
   cooperative thread anywhere else (in a host call, waiting for a lock in
   cooperative mode) holds every GC up.

   A played operation that cannot finish within clr->bound_ms (a GC's
   suspension, a Thread.Start, an unload, shutdown's suspension) fails the
   test, prints every played thread (its mode, its locks, what it waits
   for, and with this header its slot and its place in the queue) and
   breaks the played CLR: from then on its own waits give up, so that the
   test ends instead of hanging. */

void clr_crst_init(clr_crst *c, const char *name, int any_mode);
/* CrstBase::Enter on the calling thread. 0 when the played CLR broke while
   it waited: the lock was not taken. */
int clr_crst_enter(clr_sim *clr, clr_crst *c);
void clr_crst_leave(clr_sim *clr, clr_crst *c);

/* The calling played thread runs managed code from now (cooperative mode,
   waiting for a GC's end first: Thread::DisablePreemptiveGC and
   RareDisablePreemptiveGC, vm/threadsuspend.cpp:3255-3495), or stops
   (preemptive). A thread with no played CLR thread is left alone. */
void clr_managed_begin(clr_sim *clr);
void clr_managed_end(clr_sim *clr);
/* A safe point in managed code: a GC in progress stops the thread here
   (preemptive, in the CLR's notified wait for the GC's end); a YieldTask
   that redirected it makes it call SwitchToTask(0) in preemptive mode
   (vm/threadsuspend.cpp:4118-4223); an abort the helper delivered fires.
   Returns nonzero once the thread's abort has fired: its managed code
   unwinds (a ThreadAbortException). */
int clr_poll(clr_sim *clr);
/* Whether the calling thread's abort has fired. */
int clr_abort_fired(void);
/* A workstation GC on the calling thread (it allocated, or called
   GC.Collect): preemptive, it takes the thread-store lock, waits
   (announced, 10 ms at a time, backing off with SwitchToTask(0)) until
   every other started thread is preemptive, collects in cooperative mode,
   lets them go and leaves the lock (gc/gc.cpp:33722-33735;
   vm/threadsuspend.cpp:66-69, 5161-5420, 8034). S_OK, or E_FAIL when the
   played CLR broke meanwhile. Nothing on a thread with no played CLR
   thread. */
HRESULT clr_gc(clr_sim *clr);
/* The calling thread's AppDomain for the threads it starts from now
   (0: the default domain). */
void clr_set_domain(clr_sim *clr, int domain);
/* AppDomain unload, on the calling thread as the unload helper's (off the
   host's scheduler): every started thread of `domain` is marked for
   abort, which the abort helper delivers, and the unload waits (announced
   waits, bounded) until they have all ended. S_OK, or E_FAIL when it
   outlasted its bound. */
HRESULT clr_unload_domain(clr_sim *clr, int domain);
/* Shutdown's SuspendEE(SUSPEND_FOR_SHUTDOWN), on the calling thread (the
   finalizer's, in the CLR: vm/finalizerthread.cpp:1210): it waits until
   every other started thread is preemptive, bounded. From then on a
   thread turning cooperative blocks, in an announced wait here (in the
   CLR for good, vm/threadsuspend.cpp:3432-3495), until
   clr_shutdown_release, which lets the test clean up. S_OK, or E_FAIL. */
HRESULT clr_shutdown_suspend(clr_sim *clr);
void clr_shutdown_release(clr_sim *clr);
/* Prints every played thread of `clr` (see above), headed by `why`. */
void clr_report(clr_sim *clr, const char *why);

/* Between the driver and clr_runtime.c. A host call made in cooperative
   mode or holding a CLR lock is checked: the host must not make the
   thread wait for a slot in it (clr->unsafe_waits, and a failed check). */
typedef struct clr_host_call {
    clrhost_task *task; /* NULL: not checked */
    ULONGLONG waits;
    const char *what;
} clr_host_call;
clr_host_call clr_host_call_begin(fake_clr_task *self, const char *what);
void clr_host_call_end(clr_sim *clr, clr_host_call c);
void clr_runtime_init(clr_sim *clr);  /* clr_init */
void clr_runtime_start(clr_sim *clr); /* the service thread, once there is a task manager */
void clr_runtime_stop(clr_sim *clr);  /* clr_shutdown */
void clr_enter_clr(fake_clr_task *self); /* in the CLR or a host call: no redirect */
void clr_leave_clr(fake_clr_task *self);
void clr_switch(clr_sim *clr);        /* __SwitchToThread(0) */
void clr_backoff_sleep(clr_sim *clr, DWORD ms); /* __SwitchToThread(ms > 0): Sleep(ms, 0), any mode */
void clr_switch_count(clr_sim *clr, DWORD count);
void clr_go_coop(clr_sim *clr, fake_clr_task *self);
void clr_go_preemptive(fake_clr_task *self);
int clr_store_started(clr_sim *clr, fake_clr_task *self);
void clr_store_unstarted(clr_sim *clr);
void clr_wait_started(clr_sim *clr, fake_clr_task *started);

#endif
