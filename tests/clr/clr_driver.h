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

/* The background of calls the CLR makes on its own (clr_traffic_start). */
typedef struct clr_traffic clr_traffic;

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

#endif
