/* A stand-in for the CLR: it calls a task manager exactly the way the
   .NET Framework CLR 4.x does (clr-contract.md section 2), in the same order,
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
/* Undoes what the test harness needs undone. The real CLR never releases
   its host managers; the tests do, to prove nothing else is held. */
void clr_shutdown(clr_sim *clr);

/* A thread that enters the runtime from outside: GetCurrentTask (released
   at once, the pointer kept raw, as the CLR sometimes does), SetCLRTask,
   SwitchToTask(0). *out is NULL when the host refused the thread. */
HRESULT clr_thread_enter(clr_sim *clr, fake_clr_task **out);

/* A thread the CLR creates (Thread.Start, finalizer, thread pool...):
   CreateTask (suspended) and Start. On the new thread GetCurrentTask must
   return the object CreateTask returned; then SetCLRTask, SwitchToTask(0),
   body(arg). The CLR's thread object keeps the CreateTask reference until
   ExitTask; *join gets an extra reference for the caller (Thread.Join).
   *clr_task (if not NULL) gets the thread's fake ICLRTask, to be freed by
   the caller after the thread ended. */
HRESULT clr_create_thread(clr_sim *clr, DWORD stack_size, void (*body)(void *), void *arg,
                          IHostTask **join, fake_clr_task **clr_task);

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
   managed code "throws" (returns non-zero), ReverseLeaveRuntime is still
   called during the unwind, and E_ABORT-like failure comes back. */
#define CLR_MANAGED_THREW ((HRESULT)0x80131500L) /* COR_E_EXCEPTION */
HRESULT clr_reverse_call(clr_sim *clr, int (*managed)(void *), void *arg);

#endif
