/* clrhost_task.h - v0.7.0 - public domain or MIT, your choice (see end of file)

   A complete, correct IHostTaskManager for native (C or C++) hosts of the
   .NET Framework CLR 2.0-4.8, with hooks on every managed/native transition.

   Do this:
      #define CLRHOST_TASK_IMPLEMENTATION
   before you include this file in *one* C or C++ file to create the
   implementation. Every other file includes it plainly.

   ===========================================================================
   CONTENTS
   ===========================================================================

   This manual: QUICK START, WHAT YOU GET, HOOKS, CallNeedsHostHook POLICY,
   CONFIGURATION, HRESULTS WE GIVE THE CLR, THREADS AND LIFETIME, EVERY
   TASK: KINDS, LIVE VIEW, TASK CONTROLS, PROFILE: CLOSING FRAMES,
   PER-TARGET PROFILE, THE CLOCK, SCHEDULER: SLOTS FOR MANAGED CODE,
   PERFORMANCE, PLATFORMS, DOES NOT, CHANGES.

   The code, in this order. Each section's banner starts a comment line
   with two '>' signs and its name, so that
   grep -nE '^(/\*)? *>>[a-z0-9_]+' clrhost_task.h prints this map with
   line numbers (a shift in the code never starts a line).

   Declarations, for every file that includes this one
     config            how the API is linked (CLRHOST_TASK_API), the version
     win32             the Win32 names the API uses: windows.h's, or our own
     api               the public API: configuration, hooks, statistics
     constants         HOST_E_* and the CLR's other hosting constants
     interfaces        ICLRTask, IHostTask, ICLRTaskManager, IHostTaskManager,
                       IHostControl under the SDK's names, where it has none
   The implementation (CLRHOST_TASK_IMPLEMENTATION)
     implementation    where it starts
     options           its compile-time options; compiler attributes
     abi               our vtable types in mscoree.idl's slot order; IIDs
     structs           every object: the platform layer's types, the task and
                       its frames, the manager, the host control, and the
                       features' state (each one member of task and manager)
     points            where the core calls its features, and what each
                       point is when its feature is compiled out
     atomics           atomic operations, by compiler
     platform          what each platform layer provides
       windows         Win32: the FLS slot, SRW locks, the APC doorbell
       posix           pthreads, for the native test suite
     clock             the clock timing reads: the time-stamp counter or
                       the OS clock
     helpers           allocation, the last-error keeper, logging, task hooks
     slot              the thread-local slot: the calling thread's tasks
     waits             which targets are the CLR's blocking waits
     registry          the manager's list of live tasks
     transitions       the frame stack the four transitions push and pop
     waiting           Sleep and Join
     refcount          task references, biased toward the owning thread
     controls          a task's kind, and how a host call on its ICLRTask
                       begins and ends
     ihosttask         IHostTask's methods
     task_life         making, adopting, running and ending a task
     ihosttaskmanager  IHostTaskManager's methods but CallNeedsHostHook
     policy            CallNeedsHostHook: policies, vtables, and the choice
     ihostcontrol      IHostControl's methods
     api_impl          the public functions of the core
   The features, each one block that a switch leaves out
     task_view         the live view, the list and the task controls
                       (CLRHOST_TASK_NO_TASK_VIEW)
     profile           the per-target profile (CLRHOST_TASK_NO_PROFILE)
     scheduler         the slots (lent, handed over, taken), their FIFO
                       queue, where a task may wait, the quantum's monitor,
                       the scheduled methods (CLRHOST_TASK_NO_SCHEDULER)
     self_check        clrhost_task_self_check
   license             MIT or public domain, your choice

   ===========================================================================
   QUICK START
   ===========================================================================

       #define CLRHOST_TASK_IMPLEMENTATION
       #include "clrhost_task.h"

       static HRESULT on_leave(void *user, clrhost_task *task, SIZE_T target)
       {   (void)user; (void)target;
           printf("thread %lu leaves the runtime\n",
                  (unsigned long)clrhost_task_thread_id(task));
           return S_OK;                          // a failure HRESULT vetoes the call
       }

       clrhost_task_config cfg;
       clrhost_task_manager *tm;
       IHostControl *hc;
       memset(&cfg, 0, sizeof cfg);              // zero = sensible defaults
       cfg.hooks.leave_runtime = on_leave;
       clrhost_task_manager_create(&cfg, &tm);
       clrhost_task_host_control_create(tm, NULL, &hc);
       runtime_host->lpVtbl->SetHostControl(runtime_host, hc);  // before Start
       runtime_host->lpVtbl->Start(runtime_host);
       ... run managed code ...
       clrhost_task_manager_stats st; clrhost_task_manager_get_stats(tm, &st);

   Integrating it into an existing host:
   - Create the manager and the host control once per process, and hand
     the same host control to every SetHostControl. The CLR keeps both
     until the process ends (it never releases host managers), so a host
     normally never frees them. A host that starts the CLR lazily, or tries
     start-up again after a failure, keeps the pair from its first attempt
     instead of making a new one each time.
   - On every path where SetHostControl was never reached (no runtime, a
     failed GetInterface, a host that decides not to host), release what
     was made: IHostControl_Release(hc) (or hc->lpVtbl->Release(hc)), then
     clrhost_task_manager_release(tm). Both return 0 when nothing is left.
     The same is safe after a failed SetHostControl and after a
     successful one: the CLR holds references of its own on what it
     took (on the task manager as soon as it asked for it, before a later
     manager's failure; on the host control once it succeeded:
     vm/corhost.cpp:4517-4529, 4636-4640), so those live on and the
     releases return what is left; before it asks for anything (started
     already: E_ACCESSDENIED; hc NULL: E_INVALIDARG, 4435-4440) it holds
     nothing.
   - Your own IHostControl goes in as `inner` (NULL if you have none). It
     is AddRef'd once, when our host control is made, and Released once,
     when ours goes. Of its methods we call only GetHostManager, for every
     IID but IID_IHostTaskManager (the memory, thread-pool, I/O, sync,
     assembly, GC, security and policy managers, in the CLR's order), and
     SetAppDomainManager, each time the CLR calls ours; never its
     QueryInterface; their HRESULTs go to the CLR as they are. With a
     scheduler, a sync manager it gives is released and not passed on
     (SCHEDULER), which only log_fn reports (a warning; silent without
     one). A C struct whose first member points to a table of the five
     IHostControl slots (QueryInterface, AddRef, Release, GetHostManager,
     SetAppDomainManager, STDMETHODCALLTYPE each) is all `inner` needs
     to be.
   - What `inner`'s own managers change. With its IHostSyncManager
     (no scheduler), the CLR's lock, Monitor and event waits go to it and
     are not announced: they count as managed time, and a watchdog that
     lists tasks in managed code sees a thread blocked in one as running.
     With its IHostThreadpoolManager, the CLR queues its pool's work to
     it (vm/win32threadpool.cpp:1057-1068), so the pool's threads are its
     own: they reach us as foreign threads (adopted at their first
     GetCurrentTask, kind user; scheduled only with schedule.foreign,
     inside reverse calls), not as thread-pool workers.
   - The implementation's file may use a precompiled header that includes
     clrhost_task.h already: define CLRHOST_TASK_IMPLEMENTATION after it
     and include the header again; the second include brings only the
     implementation.
   - The implementation imports user32.dll, for the WAIT_MSGPUMP waits
     (MsgWaitForMultipleObjectsEx and the message dispatch; MSVC gets a
     #pragma comment(lib)). A host that must not import it defines
     CLRHOST_TASK_NO_USER32 in the implementation file: those waits then
     take the functions from a user32.dll something else has loaded, and do
     not pump while none is (with no user32 a thread has no message queue).

   ===========================================================================
   WHAT YOU GET
   ===========================================================================

   - IHostTaskManager (all 18 methods) and IHostTask, one OS thread per task,
     behaving as the CLR expects (HRESULTs below). Threads the CLR creates get
     ICLRTask::ExitTask when their start routine returns; foreign threads that
     enter the runtime are adopted with a real thread handle and get the same
     clean-up at thread exit (a fiber-local-storage callback). Nothing leaks.
   - Your hooks on LeaveRuntime, EnterRuntime, ReverseEnterRuntime and
     ReverseLeaveRuntime, your policy for CallNeedsHostHook, and task begin/end.
   - An IHostControl that hands the task manager to the CLR and forwards every
     other manager (and SetAppDomainManager) to your own IHostControl.
   - Statistics: per task and manager-wide counts of every transition, of
     CallNeedsHostHook questions and TRUE answers, of protocol errors, and,
     with CLRHOST_TASK_TIMING, the time spent outside the runtime (from a
     LeaveRuntime to its EnterRuntime, minus the managed time of reverse
     calls nested inside), split into the CLR's own blocking waits (which it
     notifies with the address of WaitForMultipleObjectsEx and the like)
     and other native calls.

   ===========================================================================
   HOOKS (clrhost_task_hooks; every member may be NULL; `user` is passed back)
   ===========================================================================

   leave_runtime(user, task, target)   managed code is about to call native
                 code at address `target`. Return S_OK (any success code) to
                 let it go; a failure HRESULT vetoes it: the CLR raises a
                 managed exception at the call site, does NOT call the target,
                 and sends no EnterRuntime. Avoid E_FAIL: the CLR documents
                 E_FAIL from a host as "the CLR is no longer usable".
                 LeaveRuntime(0) never reaches this hook: it is no call but
                 the AppDomain-unload helper saying, once and with no
                 EnterRuntime to follow, that its thread leaves the host's
                 scheduler for good (vm/appdomain.cpp), and a veto would
                 stop AppDomain unloading. We answer S_OK, push no frame
                 (no time outside the runtime is counted, later transitions
                 nest as usual, ExitTask still comes at thread end) and set
                 clrhost_task_off_scheduler().
   enter_runtime(user, task)           the native call returned. Cannot fail:
                 a failed EnterRuntime corrupts the CLR's unwinding.
   reverse_enter_runtime(user, task)   native code calls into managed code
                 (a reverse P/Invoke or a COM call on a managed object). A
                 failure HRESULT (S_FALSE counts as success here: we turn every
                 success code into exactly S_OK, which the CLR requires) stops
                 the managed code from running; the native caller gets an
                 exception or the HRESULT.
   reverse_leave_runtime(user, task)   that managed code returned (normally or
                 by exception). Cannot fail.
   needs_hook(user, target)            the CLR asks whether a call to `target`
                 needs Leave/EnterRuntime. On 32-bit x86 it asks once per
                 P/Invoke target; on 64-bit it asks on EVERY P/Invoke, COM and
                 calli call, so keep it fast. FALSE: no notifications at all
                 for that call. See "CallNeedsHostHook policy".
   task_begin(user, task) / task_end(user, task)   on the task's own thread,
                 when it starts (before the CLR's start routine, or when a
                 foreign thread is adopted) and when it ends (after
                 ICLRTask::ExitTask, still as the current task).

   Guarantees:
   - Hooks run on the transitioning thread, with no lock of ours held, and
     the thread's last-error value (errno on POSIX) is the same after the
     hook as before.
   - Per task, transitions form a stack: LeaveRuntime pushes "native",
     ReverseEnterRuntime pushes "managed", EnterRuntime / ReverseLeaveRuntime
     pop. clrhost_task_depth() is its height. A hook runs on the managed side
     of its transition: leave/reverse_enter hooks see the depth before the
     push, enter/reverse_leave hooks the depth after the pop.
   - Your hooks always see a balanced sequence. When the CLR's calls are not
     balanced (an EnterRuntime with nothing open, a ReverseLeave without its
     ReverseEnter, a stack deeper than CLRHOST_TASK_MAX_DEPTH) we count a
     protocol error, report it through `log`, never crash and never return a
     failure to the CLR. An EnterRuntime that finds a managed frame above its
     native one (the CLR skipped a ReverseLeave) closes that frame first,
     calling reverse_leave_runtime for it, and vice versa. A closing call
     with no frame of its kind open is dropped without calling a hook.
     (Past 1024 nested frames, or CLRHOST_TASK_MAX_DEPTH if larger, where
     no kind is kept, a close is taken at its word.)
     [INF] The CLR's source always balances these calls; the repair exists
     because its documentation allows an unnested ReverseEnter without a
     ReverseLeave.

   ===========================================================================
   CallNeedsHostHook POLICY (first match wins)
   ===========================================================================

   1. hooks.needs_hook set: your predicate decides.
   2. hook_modules set (NULL-terminated list of module file names such as
      "user32.dll", or "user32" to match any extension; ASCII case is
      ignored): TRUE only for targets inside those modules; targets outside
      every module (delegate thunks, heap-allocated code) get FALSE. The
      first ask about a target looks its module up (a loader call, under a
      lock of ours); the answer is remembered per target, so every later
      ask costs a hash and a few probes, lock-free, whatever the number of
      modules and targets (up to a million targets remembered). Answers
      follow what is loaded now: any module load or unload makes them all
      stale, each looked up again at its next ask. Windows learns of loads
      and unloads from the loader's DLL notifications
      (LdrRegisterDllNotification), so a remembered answer costs one more
      load; the POSIX test layer reads glibc's load counters, which takes
      glibc's loader lock for a moment on every ask.
   3. Otherwise: TRUE when leave_runtime or enter_runtime is set, or when
      CLRHOST_TASK_TIMING or CLRHOST_TASK_HOOK_ALL_CALLS is on; FALSE when
      nothing would use the notification (the CLR then skips it entirely).
   Reverse transitions and the CLR's own blocking calls are never filtered.
   The default policy answers a constant, as cheaply as an empty method, and
   so does not count the questions unless CLRHOST_TASK_COUNT_ASKS is set.

   ===========================================================================
   CONFIGURATION (clrhost_task_config; zero-initialised = defaults)
   ===========================================================================

   field          default        meaning
   hooks          all NULL       the hooks above; hooks.user goes to every
                                 callback except the allocator
   flags          0              CLRHOST_TASK_TIMING: measure time outside the
                                 runtime (a clock read per transition).
                                 CLRHOST_TASK_HOOK_ALL_CALLS: answer TRUE to
                                 every CallNeedsHostHook (count every call).
                                 CLRHOST_TASK_COUNT_ASKS: count the questions
                                 under the default policy as well (they are
                                 always counted under the other two); costs
                                 a thread-slot read per P/Invoke on x64.
                                 CLRHOST_TASK_PROFILE: timing, and per native
                                 target (see PROFILE).
                                 CLRHOST_TASK_OS_CLOCK: time with the OS clock,
                                 never the processor's counter (see PROFILE)
   schedule       all 0 (off)    the scheduler: slots, kinds, foreign,
                                 quantum_ms (see SCHEDULER); E_INVALIDARG for
                                 more than CLRHOST_TASK_MAX_SLOTS (4096)
                                 slots, or kinds it cannot schedule
   hook_modules   NULL           module policy, see above (copied)
   admit_thread   NULL (admit)   called on a foreign thread when the CLR asks
                                 for its task and it has none (so again on
                                 every ask while it is refused); FALSE turns
                                 it away (GetCurrentTask gives NULL and the CLR
                                 runs no managed code on it). See "Foreign
                                 threads" below: the thread that calls
                                 ICLRRuntimeHost::Start, and some of the
                                 CLR's own threads, are foreign too.
   log_fn         NULL (silent)  log_fn(user, level, task or NULL, message)
   alloc_fn,      malloc, free   alloc_fn(alloc_user, size) and
   free_fn                       free_fn(alloc_user, p); set both or neither.
                                 Must return memory aligned for any type.

   Compile-time options (define before the include):
   CLRHOST_TASK_STATIC     everywhere     make every function static (private
                                          copy per translation unit)
   CLRHOST_TASK_API        everywhere     decoration of public functions
                                          (default extern, static if STATIC)
   CLRHOST_TASK_ASSERT(x)  implementation internal invariants (default assert)
   CLRHOST_TASK_MAX_DEPTH  implementation transition frames timed per task
                                          (default 32, 1 to 65536, else a
                                          compile error; deeper nesting is
                                          counted, not timed; frames' kinds
                                          are kept to 1024 deep, or to
                                          CLRHOST_TASK_MAX_DEPTH if larger)
   CLRHOST_TASK_PROFILE_TARGETS  implementation  targets profiled per task
                                          (default 64, a power of two from 8
                                          to 65536); see PROFILE
   CLRHOST_TASK_NO_WIN32_TYPES  non-Windows  you declare the Win32 basics
                                          (HRESULT, DWORD, GUID, IUnknown...)
   CLRHOST_TASK_NO_USER32  implementation do not import user32.dll; pumping
                                          waits use an already loaded one
                                          (see QUICK START)
   CLRHOST_TASK_NEGATIVE_CONTROL  implementation  1 to 6 breaks the header
                                          on purpose, for the validation
                                          kit's negative controls only

   Features that compile out (define in the implementation's translation
   unit; the API stays, and each of their functions answers E_NOTIMPL):
   CLRHOST_TASK_NO_SCHEDULER  no scheduler: a config with schedule.slots
                                          gets E_INVALIDARG and a log line;
                                          the statistics' slot fields are 0
   CLRHOST_TASK_NO_PROFILE    no per-target profile:
                                          clrhost_task_manager_profile is
                                          E_NOTIMPL, CLRHOST_TASK_PROFILE gets
                                          E_INVALIDARG and a log line, and
                                          defining CLRHOST_TASK_PROFILE_TARGETS
                                          is a compile error
   CLRHOST_TASK_NO_TASK_VIEW  no live view and no task controls:
                                          clrhost_task_get_view, _manager_list,
                                          _abort, _yield, _locks_held,
                                          _bytes_allocated and
                                          _set_debugger_id are E_NOTIMPL
                                          (their out values zeroed), and
                                          _views_release does nothing. The
                                          scheduler needs both (its quantum
                                          asks tasks to yield): without
                                          CLRHOST_TASK_NO_SCHEDULER too, a
                                          compile error
   Hooks, statistics, timing and clrhost_task_closing_frame stay in every
   build. All three out is the smallest build, about two thirds of the code;
   the test suite builds and runs it (tests/README.md).

   Foreign threads (what admit_thread is asked about). Every thread that
   did not come from our CreateTask is foreign when it first asks for its
   task: the host's own threads, and these of the CLR's (as the CLR 4.x
   source makes them: vm/threads.cpp, vm/win32threadpool.cpp,
   vm/ceemain.cpp, gc/gc.cpp, debug/ee/debugger.cpp):
   - the thread that calls ICLRRuntimeHost::Start: refusing it makes Start
     fail with HOST_E_INVALIDOPERATION [SRC];
   - the thread pool's wait, gate and timer threads (plain CreateThread):
     they ask GetCurrentTask, and the CLR accepts a NULL task for them and
     runs them unhosted [SRC]; what their managed callbacks then do on a
     refused thread is not known [INF];
   - server GC threads: no CLR Thread; they call SwitchToTask, and reach
     GetCurrentTask through their event waits (gc/gc.cpp:5070, 5082;
     vm/threads.cpp:12385-12396), so they may be adopted, kind GC
     (gc/gc.cpp:23455-23457) [SRC];
   - the debugger helper thread: made with plain CreateThread; whether it
     asks for a task, and what refusing it does, is not known [INF].
   Threads the CLR makes through CreateTask (user threads, the finalizer,
   thread-pool workers and I/O threads, background GC, the AppDomain-
   unload helper) are ours from the start and are never asked about.

   ===========================================================================
   HRESULTS WE GIVE THE CLR
   ===========================================================================

   GetCurrentTask        S_OK with the task (AddRef'd; the same object
                         CreateTask returned, on threads it created); S_OK with
                         NULL for a refused or exiting thread, and for a
                         foreign thread asking from inside a DllMain;
                         E_OUTOFMEMORY (no memory, or no room for the
                         thread's slot value: then no exit callback would
                         come, so nothing is adopted).
   CreateTask            S_OK with a suspended task; E_OUTOFMEMORY or the OS
                         error as an HRESULT.
   Sleep                 S_OK, or HOST_E_INTERRUPTED when IHostTask::Alert
                         woke a WAIT_ALERTABLE sleep (also if the alert came
                         just before the sleep).
   SwitchToTask          S_OK after yielding the processor.
   SetUILocale           S_OK (anything else makes the CurrentUICulture setter
                         throw). SetLocale: S_OK after SetThreadLocale.
   CallNeedsHostHook     S_OK and the policy's answer.
   Leave/ReverseEnter    S_OK, or your hook's failure HRESULT (a veto).
   Enter/ReverseLeave    always S_OK.
   Begin/EndDelayAbort   S_OK; E_UNEXPECTED for a second Begin or an End
                         without Begin; HOST_E_INVALIDOPERATION on a thread
                         without a task.
   Begin/EndThreadAffinity  S_OK (one task per thread: nothing to pin).
   Get/SetStackGuarantee E_NOTIMPL, so the CLR sets guarantees itself.
   SetCLRTaskManager     S_OK; the pointer is kept (AddRef'd).
   IHostControl::GetHostManager  S_OK with our task manager for
                         IID_IHostTaskManager; for any other IID what
                         `inner` answers (E_NOINTERFACE without one, and
                         for a sync manager a scheduler drops).
   IHostControl::SetAppDomainManager  what `inner` answers; S_OK without one.
   IHostTask::Start      S_OK; HOST_E_INVALIDOPERATION if already started.
   IHostTask::Join       S_OK when the thread ended, HOST_E_TIMEOUT,
                         HOST_E_INTERRUPTED (alertable join woken by Alert),
                         HOST_E_DEADLOCK for a task joining itself unless
                         WAIT_NOTINDEADLOCK is given.
   IHostTask::Alert      S_OK; wakes the task's alertable Sleep/Join now or
                         at its next one.
   Set/GetPriority       S_OK (real thread priorities), or the OS error.
   SetCLRTask            S_OK; the pointer is kept (AddRef'd) and gets
                         ExitTask when the task ends.
   Everywhere            E_POINTER for a NULL pointer argument; out
                         parameters are written on every path; E_FAIL is
                         never returned.

   ===========================================================================
   THREADS AND LIFETIME
   ===========================================================================

   - The current task lives in one thread-local slot (a fiber-local-storage
     index on Windows, a pthread key on POSIX) allocated once per process
     and never freed (FlsFree would run the exit callbacks of other threads).
     Reads go to a copy in compiler TLS (MSVC, Clang, GCC on POSIX) or, for
     GCC on Windows, which only emulates TLS, a TLS index read from the TEB.
   - The first manager pins the module this implementation is in
     (GetModuleHandleExW with GET_MODULE_HANDLE_EX_FLAG_PIN): the CLR keeps
     calling the vtables and the slot's exit callback runs on every thread
     until the process ends, so the module must never be unloaded. A host
     built as a DLL that FreeLibrary's its modules at exit is safe; the DLL
     just stays.
   - When the process ends (ExitProcess, or main returning) nothing runs
     for the tasks still alive: the exit callback of the thread that ends
     the process calls no ExitTask and no hook (every other thread was
     killed, maybe inside a lock of the CLR's or ours; the CLR cleans up at
     DLL_PROCESS_DETACH). Asked through ntdll's RtlDllShutdownInProgress,
     looked up when the first manager is made.
   - A foreign thread whose first GetCurrentTask comes from inside a
     DllMain (it holds the loader lock) gets no task: at DLL_THREAD_DETACH
     the OS has already run its exit callbacks, so its task would never
     end, and the CLR itself forbids managed code under the loader lock.
     Threads that already have their task are not affected.
   - A task holds a reference on its manager, and the thread running a task
     holds a reference on the task until it ends, so the last reference to a
     manager can go while its threads still run: they clean up as they exit.
   - A task the CLR creates but releases without starting is ended for you
     (its suspended thread is resumed only to exit).
   - WAIT_MSGPUMP waits pump window messages (MsgWaitForMultipleObjectsEx);
     this needs user32 (MinGW links it by default; MSVC gets a #pragma;
     CLRHOST_TASK_NO_USER32 takes it only if loaded). A wait inside a
     thread-exit callback does not pump.
   - Do not call managed code from a hook or callback: the CLR is in the
     middle of a transition when it calls us.
   - For an adopted thread, task_end (and everything the CLR does inside
     ICLRTask::ExitTask) runs inside the OS's thread-exit callback (FLS on
     Windows). Do not load libraries or resolve symbols there (LoadLibrary,
     GetProcAddress, GetModuleHandle): under Wine that deadlocks against
     threads that are starting (the loader lock and the FLS lock are taken
     in opposite orders; seen in our tests), and on Windows the loader lock
     is as dangerous. For the same reason the module policy does not look
     modules up on an ending thread: a target it has no current answer for
     counts as not listed there.

   ===========================================================================
   EVERY TASK: KINDS, LIVE VIEW, TASK CONTROLS
   ===========================================================================

   Kinds. clrhost_task_get_kind says what the CLR says a task is: user
   thread, thread-pool worker, I/O completion, finalizer, GC, AppDomain
   unload, other (debugger helper, thread-pool timer, gate, wait), or
   unknown; clrhost_task_clr_type gives the CLR's ETaskType itself. It is
   asked (ICLRTaskManager::GetCurrentTaskType) on the task's own thread
   when the CLR gives the task its ICLRTask, where the CLR's source makes
   it right for every thread the CLR makes [SRC], and when a foreign
   thread is adopted (the CLR's own thread-pool threads carry their type
   from their start; a foreign thread with no CLR Thread stays unknown;
   once it runs managed code it is a user thread). A task the CLR made is
   unknown until its ICLRTask comes [INF]. The statistics count
   tasks, live tasks and every counter by kind (by_kind).

   Live view. clrhost_task_get_view and clrhost_task_manager_list read,
   from any thread while the tasks run, each task's kind, thread, depth,
   whether it is in native or managed code, the innermost open native
   call's target, its BeginThreadAffinity nesting and, with
   CLRHOST_TASK_TIMING, how long it has been where it is. A view is never
   a mixed state: depth, in_native, native_target and state_ns come from
   one moment of the task (the task_view block's banner says how).
   list with min_ms picks the tasks that have been outside the runtime (or
   in managed code) for at least that long, and with
   CLRHOST_TASK_LIST_RUNNING only those not waiting (in the CLR's own
   blocking waits, or our Sleep or Join): a watchdog's question. Each
   listed view holds a reference on its task until
   clrhost_task_views_release, so the watchdog can act on it afterwards.
   clrhost_task_describe_target names a native_target for a report
   ("example_native.dll!example_block_ms", from the module's export
   table; dladdr on POSIX): call it on the watchdog's thread, never in a
   hook, as it asks the loader.

   Task controls: clrhost_task_abort (Abort, or RudeAbort),
   clrhost_task_yield (YieldTask), clrhost_task_locks_held (LocksHeld),
   clrhost_task_bytes_allocated (GetMemStats' PerThreadAllocation),
   clrhost_task_set_debugger_id (SetTaskIdentifier; 0 means none). Thin
   calls on the ICLRTask the CLR gave the task, from any thread; what the
   CLR's source says of each [SRC]:
   - Abort and RudeAbort always answer S_OK; on another thread the abort is
     only requested: a task in native code is not interrupted, the abort
     fires when it returns to managed code; a task in one of the CLR's
     interruptible waits gets IHostTask::Alert.
   - YieldTask is refused on the task's own thread (HOST_E_INVALIDOPERATION,
     which we answer without asking); it suspends the task and, if it runs
     managed code, makes it call SwitchToTask(0) at a safe point (counted:
     forced_yields, forced_yields_taken); S_FALSE while one is pending.
   - LocksHeld and GetMemStats are plain reads of the task's own counters,
     racy from another thread; GetMemStats' 64-bit byte count can tear on
     x86 [INF].
   Each call holds a reference on the ICLRTask, taken under the task's own
   lock; a task's end stops new calls and waits for those under way before
   its ExitTask, so no call reaches the CLR's object after ExitTask. Our
   answers besides the CLR's: HOST_E_CLRNOTAVAILABLE (no ICLRTask yet),
   HOST_E_INVALIDOPERATION (ended or ending), E_ACCESSDENIED (abort or
   yield of a GC or debugger-helper task, which the CLR keeps for itself),
   E_POINTER. The task itself must stay valid during the call: hold a
   reference (a listed view's, or IHostTask::AddRef). Call them from a
   thread of your own, never from a hook (that thread is mid-transition)
   or a foreach callback (our registry lock is held).

   Counters (per task and in the totals): Sleep calls and, with timing,
   time asleep; SwitchToTask calls; Join calls made; Alerts received;
   forced yields asked and taken; BeginThreadAffinity calls. Calls on a
   thread without a task count in the totals only.

   ===========================================================================
   PROFILE: CLOSING FRAMES, PER-TARGET PROFILE, THE CLOCK
   ===========================================================================

   Closing frames. Inside an enter_runtime or reverse_leave_runtime hook,
   clrhost_task_closing_frame says what the hook closes: a native call
   (its target, whether it was one of the CLR's blocking waits) or a
   reverse call, its depth, and with CLRHOST_TASK_TIMING its time minus
   the frames nested in it (ns: for a native call the time outside the
   runtime the counters book) and its whole span (span_ns). So a hook can
   profile by itself without a stack of its own. For the documentation's
   nesting (managed calls A, A calls back into managed code, that calls
   B), the three closing hooks see B at depth 2, the reverse call at depth
   1 (its ns without B's time), then A at depth 0 (its ns without the
   reverse call's span). Anywhere else it answers HOST_E_INVALIDOPERATION.

   The per-target profile (CLRHOST_TASK_PROFILE, which turns timing on).
   Each task keeps, per native target, the calls that returned, their time
   outside the runtime (minus reverse calls nested inside, as the
   counters) and the longest, in a table of its own that only its thread
   writes: no lock, no allocation, no atomic read-modify-write on a
   transition; a call to the same target as the last costs a compare.
   clrhost_task_manager_profile merges the tables of the live tasks (and,
   for the whole manager, of the ended ones: a task's lines are added to
   the manager's when it ends), sorts the lines by time and names each
   target (clrhost_task_describe_target: "user32.dll!MessageBoxW+0x12";
   dladdr on POSIX). Names are made only then, on the caller's thread:
   never on a transition and never in a thread-exit callback.
   Memory is bounded: a task's table has CLRHOST_TASK_PROFILE_TARGETS
   lines (64 by default, 40 bytes each on x64, allocated with the task), the
   manager's of ended tasks 4 times as many, a report's 8 times as many
   (allocated for the report, and freed; a task's own report copies its
   table, so it shows every line the task holds). A target is kept within
   8 lines of its hash, so a table can fill a little before all its lines
   are used. Calls past a bound are never lost and never a failure: they are
   counted on the line "(other targets)" (or "(other waits)" for the
   CLR's blocking waits), target 0, so the lines of a report always sum
   to every native call its tasks made.

   The clock. Timing reads the processor's time-stamp counter (RDTSC) when
   CPUID says it is invariant (leaf 0x80000007, EDX bit 8: one rate in
   every power state, as on current x86 and x64 processors); it is
   calibrated once per process against the OS clock
   (QueryPerformanceCounter; CLOCK_MONOTONIC on POSIX) when the first
   manager with timing is made, which makes that call take about 20 ms.
   Windows' QueryPerformanceCounter reads the same counter on such
   machines, so the two agree (the tests check 2% over 200 ms). Elsewhere, or with CLRHOST_TASK_OS_CLOCK, timing reads
   the OS clock on every timed transition, as before 0.4.0 (a few times
   slower: see bench/README.md). clrhost_task_manager_clock says which it
   is and at what frequency.
   - No invariant counter (old processors, some VMs that hide the CPUID
     bit, ARM64): the OS clock, automatically.
   - In a VM: a hypervisor that exposes the invariant bit promises the
     guest a steady counter (KVM, Hyper-V and VMware document it for
     hosts whose own counter is invariant) [INF]; a VM moved to another
     host while running may see the counter's rate change, which the calibration does not follow: times after the move
     are off by the ratio of the two rates until the process restarts
     [INF]. Set CLRHOST_TASK_OS_CLOCK where VMs migrate live and times
     must be exact.
   - Cores that disagree by a few ticks: a span never goes below 0 (a
     close read on another core before its open counts 0) [INF]; the OS
     clock has the same guard.

   ===========================================================================
   SCHEDULER: SLOTS FOR MANAGED CODE (clrhost_task_config.schedule)
   ===========================================================================

   SQL Server's model without fibers: at most `slots` scheduled tasks run
   managed code on a slot at once; a task that calls out or waits lends
   its slot, and needs one again before it runs managed code. For hosts
   that run managed plug-ins beside their own work and must cap what
   those take. Off while slots is 0: then the manager's vtable holds the
   plain methods and the scheduler costs nothing.

   Its first rule comes before the cap: a task never waits for a slot
   where the CLR cannot afford it, in cooperative mode (every GC waits
   for such a thread) or holding one of the CLR's locks. There, a task
   that finds no slot runs over the cap instead (see "Over the cap").
   Without a host synchronisation manager the CLR's lock waits are not
   announced, so a scheduler that waits there deadlocks the CLR; "Why it
   cannot deadlock the CLR" below says where every case is argued.

   Which tasks. By kind: user threads, thread-pool workers and I/O
   completion threads (CLRHOST_TASK_SCHEDULE_DEFAULT_KINDS; `kinds` picks
   some of those three, else E_INVALIDARG). Never the GC, the finalizer,
   the debugger helper, the AppDomain-unload helper, or the CLR's plain
   threads (thread-pool wait, gate and timer threads, server GC threads),
   which come as foreign threads. (The CLR does not move its finalizer off
   a host's scheduler itself: that LeaveRuntime is commented out,
   vm/finalizerthread.cpp:790-800.) Foreign threads (the host's own,
   adopted) are scheduled only with `foreign` set, and only inside their
   reverse calls: an adopted thread with no reverse call open is in its
   own native code, or in managed code the host called through the
   hosting API, which no transition announces [INF]. A task is scheduled
   from the moment the CLR gives it its ICLRTask (when its kind is known),
   until it ends or says LeaveRuntime(0) (clrhost_task_off_scheduler: for
   good).

   Where the slot goes, on the task's own thread, and where it may wait:
     SetCLRTask              takes a slot before the thread's first managed
                             code; may wait (FIFO): the thread is still
                             unstarted, which a GC skips, and holds none of
                             the CLR's locks (vm/threads.cpp:964-1012,
                             2481-2546, 6489-6500)
     LeaveRuntime            lends it, after the leave hook (a veto keeps it)
     EnterRuntime            needs it back, before the enter hook; may wait
                             where the thread is preemptive with no CLR lock
                             (always after a P/Invoke, vm/frames.cpp:
                             1993-2066; after one of the CLR's event waits
                             the CLR's mode decides)
     ReverseEnterRuntime     needs one, before the hook; never waits: a
                             reverse call is cooperative (vm/amd64/
                             UMThunkStub.asm:183-208, vm/dllimportcallback.cpp:
                             288-393, vm/comtoclrcall.cpp)
     ReverseLeaveRuntime     lends it, after the hook, when the frame below
                             is native
     Sleep, IHostTask::Join  lend it while waiting and need it back after
                             (Thread.Sleep and Join wait preemptive)
     SwitchToTask, Sleep(0)  a back-off: while a task waits for a slot, hands
                             this one's over and needs one again (queued at
                             the tail where it may wait, over the cap where
                             not); a task over the cap asks for a slot here.
                             The CLR's SwitchToTask(0) right after SetCLRTask
                             (Thread::SetupThreadForHost) is no back-off: the
                             task just had its turn
     the task's end          gives it back, before ICLRTask::ExitTask
   "May wait" is decided when the task would wait, never on the fast path:
   its BeginThreadAffinity nesting is 0 (the CLR brackets every lock it
   holds with it: vm/crst.cpp:464-467, 549-551; the thread-store lock
   twice, vm/threadsuspend.cpp:3102-3106) and ICLRTask::NeedsPriorityScheduling
   answers FALSE (m_fPreemptiveGCDisabled clear, vm/threads.cpp:
   11974-11986). The hooks run on the managed side of each transition. A
   wait for a slot is FIFO, on a condition variable of the task's own
   that releases our lock, and not alertable: an IHostTask::Alert on a
   waiting task stays pending for its next alertable Sleep or Join.
   Native calls must be announced to lend a slot: with the default policy
   CallNeedsHostHook answers TRUE when a scheduler is on; a hook_modules
   or needs_hook policy that answers FALSE for a target lets that call
   keep its slot.

   Lent slots. A task keeps its slot across its native calls and waits,
   lent: going out and coming back are a plain store each and a plain
   load, no lock and no locked instruction while nobody waits (make test
   checks the compiled code). A task going out while another waits hands
   its slot over at once. A task that needs a slot while every slot is
   lent or held takes a lent one from a holder still out in the same
   lending at two looks (an OS yield apart as it asks, then every
   millisecond while it is first in the queue), after a barrier every
   thread of the process runs (membarrier on Linux,
   FlushProcessWriteBuffers on Windows, as the CLR suspends its own
   threads); a task back from a short native call keeps its slot without
   any of that. So a slot lent by a task in a long native call passes to
   a waiting task within about a millisecond (a timer tick on Windows).

   Over the cap. A task that needs a slot where it must not wait, and
   finds none free or lent, runs managed code without one: counted
   (over_cap, and with timing over_cap_ns), shown (the view's over_cap,
   the statistics' tasks_over_cap), under the cap again when it goes out,
   or at its next back-off where it may wait. The cap holds for slots:
   at most `slots` tasks run managed code on one; the tasks over the cap
   are the price of never deadlocking the CLR, and the tests measure it
   (a reverse call while every slot is held always runs over the cap).

   The quantum (quantum_ms, optional). A monitor thread of ours wakes
   every half quantum while some task waits for a slot or runs over the
   cap, and asks each task that has run managed code longer than the
   quantum without a break (holding a slot, or over the cap; a break is
   a native call, a reverse call's end, a Sleep, a Join or a back-off,
   read from the task's own counters: no clock read on its transitions)
   to yield, once per stretch: clrhost_task_yield, the CLR's
   ICLRTask::YieldTask. Of a task in cooperative mode in managed code the
   CLR redirects it to SwitchToTask(0) in preemptive mode
   (vm/threadsuspend.cpp:4118-4223), where it hands the slot over and
   waits its turn; a task in preemptive mode yields at its next
   SwitchToTask or turn to cooperative mode (vm/threadsuspend.cpp:
   3286-3289), where it hands the slot over and runs on over the cap.
   YieldTask holds the monitor while a cooperative target cannot be
   redirected (vm/threads.cpp:12075-12180); the monitor asks with no lock
   held and a reference on the task. Counted per task as forced_yields
   and forced_yields_taken. Without a quantum, a task in a managed loop
   that never calls out keeps its slot, as on SQL Server. The monitor is
   made with the manager (its OS error fails clrhost_task_manager_create)
   and ends with it; it calls nothing while nobody waits or runs over the
   cap. The manager's last release waits for it to end, but in a DllMain
   before it first ran (it cannot run before the loader lock is free) and
   at process exit (it is gone): then it frees the manager's last block
   itself once it runs, or the process's end does.

   Accounting. Per task and manager-wide: slot_takes (slots it got when
   it had none), slot_waits (of them after waiting), slot_handoffs (slots
   it gave a waiting task: handed over, or taken while lent),
   slot_wait_ns, over_cap; with CLRHOST_TASK_TIMING also slot_ns (managed
   code on a slot) and over_cap_ns, which ride on the clock reads timing
   already makes. The statistics' slots, slots_held (by tasks in managed
   code), slot_waiters and tasks_over_cap; in the live view, scheduled,
   slot (-1 while lent), slot_waiting and over_cap (a task waiting for a
   slot is `waiting` too, so CLRHOST_TASK_LIST_RUNNING leaves it out).

   Why it cannot deadlock the CLR: the argument, case by case against the
   CLR 4.x source, is the scheduler's banner in the code (>>scheduler);
   the suite's unkind/ tests play each case against a played CLR with GC
   modes, suspension and the CLR's locks. Two things follow from it for a
   host. No lock of ours is held across a hook, a call into the CLR or an
   OS wait. A host IHostSyncManager would make the CLR's lock waits its
   own and unannounced while the CLR stops bracketing them with affinity
   (vm/crst.cpp:422-455): so with a scheduler our host control does not
   pass on the sync manager of `inner`; it releases it, answers
   E_NOINTERFACE (the CLR then uses its own waits) and logs a warning.

   ===========================================================================
   PERFORMANCE
   ===========================================================================

   The four transitions, CallNeedsHostHook, GetCurrentTask on a thread that
   has its task, and that task's AddRef/Release take no lock, allocate
   nothing and hold no locked instruction (make test checks the compiled
   code). A transition with no hook and no timing is a thread-local read,
   a short list walk (one entry per manager the thread belongs to) and two
   or three stores. The default CallNeedsHostHook policy answers a
   constant. Task references taken by the task's own thread are counted
   without atomics (biased reference counting); other threads' use atomics.
   With timing, a transition adds one clock read and the frame's booking
   (the manager takes timed methods of its own, so that the plain ones
   carry none of it). With a scheduler, a transition lends its slot or
   takes it back with a plain store and a plain load, and takes a lock
   only while a task waits for a slot or runs over the cap.
   Figures, against an empty manager and a typical map-under-a-lock host:
   bench/README.md, and `make bench`.

   ===========================================================================
   PLATFORMS
   ===========================================================================

   Windows Vista or later (the implementation's file needs _WIN32_WINNT
   >= 0x0600: FLS, SRW locks; a file that only calls the API may target
   an older one), x86 and x64, C89 or later and C++98 or later. The .NET
   Framework 4.8 itself needs Windows 7 SP1 or later. Built and run here
   with MinGW-w64 and with clang-cl (MSVC mode, both the clang and the
   _MSC_VER code) under Wine; written for cl.exe but not built with it
   (see README.md): with a compiler our CI lacks, call
   clrhost_task_self_check() once at start-up; it names any vtable slot
   that build got wrong.
   POSIX threads (Linux): a second platform layer so the test suite runs
   natively under sanitizers; it needs _GNU_SOURCE (defined for you when this
   header is the first include of the implementation file). No CLR on Linux
   ever calls these interfaces; the POSIX layer is for testing.

   ===========================================================================
   DOES NOT
   ===========================================================================

   - Fiber mode (cut from .NET 2.0; SQL Server does not support it for CLR
     code either): one OS thread per task, always.
   - The other host managers (memory, synchronisation, thread pool, I/O):
     the host control forwards those to your own IHostControl.
   - CoreCLR / .NET 5+: they removed task hosting (SetHostControl returns
     E_NOTIMPL there).

   ===========================================================================
   CHANGES
   ===========================================================================

   0.7.0  the scheduler, the per-target profile and the live view with the
          task controls are each one block that a switch leaves out
          (CLRHOST_TASK_NO_SCHEDULER, _NO_PROFILE, _NO_TASK_VIEW; see
          CONFIGURATION): their functions then answer E_NOTIMPL and a
          configuration asking for one E_INVALIDARG; all three out is the
          core alone, about two thirds of the code and a smaller task.
          Nothing changes with all of them in. The scheduler's argument
          against deadlocks moved from this manual to its block's banner.
   0.6.1  fixes from a review and a second real host: describe_target
          reads export tables only within the image (a damaged one no
          longer faults), names a long export or file name whole, and on
          POSIX holds the module it reads; a task's own profile report
          keeps every line; releasing a manager with a quantum no longer
          waits for a monitor that cannot end (DllMain, process exit); a
          SetCLRTask from inside ExitTask keeps the task off the
          scheduler; forced_yields counts S_OK answers only; an Alert on
          an ended task reaches the totals; only the implementation needs
          Vista. A CMake package (CMakeLists.txt), and the validation
          kit as one zip (make kit).
   0.6.0  the scheduler never makes a thread wait for a slot where the CLR
          cannot afford it (cooperative mode, one of the CLR's locks held:
          section 5 of the CLR's contract, which 0.5.0 broke: its waits in
          ReverseEnterRuntime, SwitchToTask and under the thread-store
          lock deadlock the real CLR); a task that finds no slot there
          runs over the cap (counters over_cap, over_cap_ns; the view's
          over_cap; the statistics' tasks_over_cap); slots are lent
          across native calls and waits, so a scheduled Leave+Enter takes
          no lock and no locked instruction; slot_ns is timed only with
          CLRHOST_TASK_TIMING; the quantum covers tasks over the cap.
          Timed transitions in vtables of their own, inline in the common
          case, and the CLR's waits in a hashed table (a timed Leave+Enter
          192 instructions, from 233). CLRHOST_TASK_NEGATIVE_CONTROL 6: a
          scheduler that never hands a slot to a waiting task.
   0.5.0  the scheduler: SQL Server's model without fibers, opt-in
          (clrhost_task_config.schedule: N slots for managed code, given
          up in native calls and waits, FIFO, by kind; an optional
          quantum with forced yields through YieldTask); its accounting
          (slot_* counters, the statistics' slots, the view's slot).
          With a scheduler, the host control keeps an inner control's
          IHostSyncManager from the CLR.
   0.4.0  the profiler: closing hooks read the frame they close
          (clrhost_task_closing_frame), a bounded per-target profile
          (CLRHOST_TASK_PROFILE, clrhost_task_manager_profile, names at
          report time), timing on the processor's invariant counter
          (clrhost_task_manager_clock, CLRHOST_TASK_OS_CLOCK); hooks keep
          the last-error value without a call on Windows.
   0.3.0  every task: kinds (clrhost_task_get_kind, stats by_kind), the
          live view (clrhost_task_get_view, clrhost_task_manager_list),
          the CLR's task controls (clrhost_task_abort, _yield, _locks_held,
          _bytes_allocated, _set_debugger_id), clrhost_task_describe_target
          (module!export+offset for a target), counters of Sleep,
          SwitchToTask, Join, Alert, forced yields and thread affinity;
          CLRHOST_TASK_STATIC warning-free under cl /W4.
   0.2.1  clrhost_task_manager_stats.tasks_freed (the CLR lets go of a dead
          thread's task late, on its finalizer thread);
          CLRHOST_TASK_NEGATIVE_CONTROL, deliberately broken builds for the
          validation kit.
   0.2.0  hardening: the module policy remembers an answer per target
          (lock-free, any number of modules and targets) and follows module
          loads and unloads; LeaveRuntime(0) is never vetoed
          (clrhost_task_off_scheduler); the implementation's module is
          pinned; nothing runs in the exit callback during ExitProcess; a
          first GetCurrentTask inside a DllMain gets no task; a failed slot
          write gives E_OUTOFMEMORY; CLRHOST_TASK_MAX_DEPTH above 1024 is
          safe; snapshots say what they guarantee, and keep it;
          CLRHOST_TASK_NO_USER32; in C89/C99 ICLRTask and ICLRTaskManager
          are struct tags only.
   0.1.0  first release: task manager, tasks, host control, hooks, policies,
          statistics, Win32 and POSIX platform layers; hot paths without
          locks or locked instructions; clrhost_task_self_check().

   Facts marked [INF] in this file are inferred from the CLR's source and
   documentation and have not been observed on a real CLR; everything else
   follows the CLR 4.x source (dotnet/coreclr at ef1e2ab3) or Microsoft's
   hosting documentation, as cited where it matters.
*/

#if defined(CLRHOST_TASK_IMPLEMENTATION) && !defined(_WIN32) && !defined(_GNU_SOURCE)
/* The POSIX layer needs clock_gettime, nanosleep and syscall(SYS_gettid).
   This only helps when this header is the first include of the file. */
#define _GNU_SOURCE 1
#endif

#ifndef CLRHOST_TASK_H
#define CLRHOST_TASK_H

/* ------------------------------------------------------------------------
   >>config  How the API is linked, and the version. (The implementation's
   own options are in its first section, options.)
   ------------------------------------------------------------------------ */

#ifndef CLRHOST_TASK_API
#ifdef CLRHOST_TASK_STATIC /* a private copy per translation unit, used or not */
#if defined(__GNUC__) || defined(__clang__)
#define CLRHOST_TASK_API static __attribute__((unused))
#else
#define CLRHOST_TASK_API static
#endif
#else
#define CLRHOST_TASK_API extern
#endif
#endif

#define CLRHOST_TASK_VERSION_MAJOR 0
#define CLRHOST_TASK_VERSION_MINOR 7
#define CLRHOST_TASK_VERSION_PATCH 0

/* ------------------------------------------------------------------------
   >>win32  The Win32 names the API uses. On Windows the toolchain's own
   headers come first (windows.h, mscoree.h, corerror.h), so everything
   after them only fills what they lack.
   ------------------------------------------------------------------------ */

#ifdef _WIN32
#include <windows.h>
#include <mscoree.h>
#include <corerror.h>
#else /* not Windows: the few Win32 names the interfaces use */
#include <stddef.h>
#ifndef CLRHOST_TASK_NO_WIN32_TYPES
typedef int LONG;
typedef unsigned int ULONG;
typedef unsigned int DWORD;
typedef int BOOL;
typedef LONG HRESULT;
typedef DWORD LCID;
typedef void *HANDLE;
typedef void *PVOID;
typedef void *LPVOID;
typedef size_t SIZE_T;
#if defined(__LP64__)
typedef unsigned long ULONGLONG; /* 64 bits, and no long long for C89/C++98 -pedantic */
#elif defined(__GNUC__) || defined(__clang__)
__extension__ typedef unsigned long long ULONGLONG;
#else
typedef unsigned long long ULONGLONG;
#endif
typedef ULONGLONG UINT64;
typedef struct _GUID {
    unsigned int Data1;
    unsigned short Data2;
    unsigned short Data3;
    unsigned char Data4[8];
} GUID;
typedef GUID IID;
#ifdef __cplusplus
#define REFIID const IID &
#else
#define REFIID const IID *
#endif
#define STDMETHODCALLTYPE
#define WINAPI
#ifdef CONST_VTABLE /* as objbase.h: lpVtbl points to const only on request */
#define CONST_VTBL const
#else
#define CONST_VTBL
#endif
#define TRUE 1
#define FALSE 0
#define INFINITE 0xFFFFFFFFu
#define S_OK ((HRESULT)0)
#define S_FALSE ((HRESULT)1)
#define E_NOTIMPL ((HRESULT)0x80004001u)
#define E_NOINTERFACE ((HRESULT)0x80004002u)
#define E_POINTER ((HRESULT)0x80004003u)
#define E_FAIL ((HRESULT)0x80004005u)
#define E_UNEXPECTED ((HRESULT)0x8000FFFFu)
#define E_ACCESSDENIED ((HRESULT)0x80070005u)
#define E_OUTOFMEMORY ((HRESULT)0x8007000Eu)
#define E_INVALIDARG ((HRESULT)0x80070057u)
#define SUCCEEDED(hr) (((HRESULT)(hr)) >= 0)
#define FAILED(hr) (((HRESULT)(hr)) < 0)
#define THREAD_PRIORITY_IDLE (-15)
#define THREAD_PRIORITY_LOWEST (-2)
#define THREAD_PRIORITY_BELOW_NORMAL (-1)
#define THREAD_PRIORITY_NORMAL 0
#define THREAD_PRIORITY_ABOVE_NORMAL 1
#define THREAD_PRIORITY_HIGHEST 2
#define THREAD_PRIORITY_TIME_CRITICAL 15
typedef DWORD (WINAPI *LPTHREAD_START_ROUTINE)(LPVOID);

#ifndef __IUnknown_INTERFACE_DEFINED__
#define __IUnknown_INTERFACE_DEFINED__
#if defined(__cplusplus) && !defined(CINTERFACE)
struct IUnknown {
    virtual HRESULT STDMETHODCALLTYPE QueryInterface(REFIID riid, void **ppvObject) = 0;
    virtual ULONG STDMETHODCALLTYPE AddRef(void) = 0;
    virtual ULONG STDMETHODCALLTYPE Release(void) = 0;
};
#else
typedef struct IUnknown IUnknown;
typedef struct IUnknownVtbl {
    HRESULT (STDMETHODCALLTYPE *QueryInterface)(IUnknown *This, REFIID riid, void **ppvObject);
    ULONG (STDMETHODCALLTYPE *AddRef)(IUnknown *This);
    ULONG (STDMETHODCALLTYPE *Release)(IUnknown *This);
} IUnknownVtbl;
struct IUnknown { CONST_VTBL IUnknownVtbl *lpVtbl; };
#endif
#endif
#endif /* CLRHOST_TASK_NO_WIN32_TYPES */
#endif /* _WIN32 */

/* The three interfaces the API names; their declarations follow it. */
#ifndef __IHostTask_FWD_DEFINED__
#define __IHostTask_FWD_DEFINED__
typedef struct IHostTask IHostTask;
#endif
#ifndef __IHostTaskManager_FWD_DEFINED__
#define __IHostTaskManager_FWD_DEFINED__
typedef struct IHostTaskManager IHostTaskManager;
#endif
#ifndef __IHostControl_FWD_DEFINED__
#define __IHostControl_FWD_DEFINED__
typedef struct IHostControl IHostControl;
#endif

/* ------------------------------------------------------------------------
   >>api  The public API: configuration, hooks, statistics, functions
   ------------------------------------------------------------------------ */

#ifdef __cplusplus
extern "C" {
#endif

typedef struct clrhost_task_manager clrhost_task_manager; /* opaque; is the IHostTaskManager */
typedef struct clrhost_task clrhost_task;                 /* opaque, one per task; is the IHostTask */

typedef struct clrhost_task_hooks {
    void *user; /* handed to every hook and callback */
    HRESULT (*leave_runtime)(void *user, clrhost_task *task, SIZE_T target);
    void (*enter_runtime)(void *user, clrhost_task *task);
    HRESULT (*reverse_enter_runtime)(void *user, clrhost_task *task);
    void (*reverse_leave_runtime)(void *user, clrhost_task *task);
    BOOL (*needs_hook)(void *user, SIZE_T target); /* CallNeedsHostHook policy */
    void (*task_begin)(void *user, clrhost_task *task);
    void (*task_end)(void *user, clrhost_task *task);
} clrhost_task_hooks;

typedef enum clrhost_task_log_level {
    CLRHOST_TASK_LOG_ERROR = 1,   /* an OS call failed; the CLR gets a failure HRESULT */
    CLRHOST_TASK_LOG_WARNING = 2, /* the CLR did something the contract does not expect */
    CLRHOST_TASK_LOG_INFO = 3
} clrhost_task_log_level;

/* clrhost_task_config.flags */
#define CLRHOST_TASK_TIMING 0x1u         /* measure time spent outside the runtime */
#define CLRHOST_TASK_HOOK_ALL_CALLS 0x2u /* CallNeedsHostHook answers TRUE for every target */
#define CLRHOST_TASK_COUNT_ASKS 0x4u     /* count CallNeedsHostHook under a constant policy too */
#define CLRHOST_TASK_PROFILE 0x8u        /* a profile per native target (implies CLRHOST_TASK_TIMING) */
#define CLRHOST_TASK_OS_CLOCK 0x10u      /* time with the OS clock, never the processor's counter */

/* The scheduler (clrhost_task_config.schedule; see SCHEDULER in the
   manual): SQL Server's model without fibers. Off while slots is 0. */
typedef struct clrhost_task_schedule {
    unsigned slots;      /* 0: no scheduler. N (1 to 4096): at most N scheduled tasks run managed
                            code at once; native calls and waits give the slot up */
    unsigned kinds;      /* CLRHOST_TASK_KIND_BIT of each kind scheduled; 0: the default,
                            CLRHOST_TASK_SCHEDULE_DEFAULT_KINDS. Only user threads, thread-pool
                            workers and I/O completion threads can be (else E_INVALIDARG) */
    BOOL foreign;        /* schedule adopted (foreign) threads too, inside their reverse calls */
    unsigned quantum_ms; /* 0: none. Else a task that held its slot longer while others wait
                            is asked to yield (ICLRTask::YieldTask), by a monitor thread of ours */
} clrhost_task_schedule;
#define CLRHOST_TASK_KIND_BIT(kind) (1u << (kind))
#define CLRHOST_TASK_SCHEDULE_DEFAULT_KINDS                                              \
    (CLRHOST_TASK_KIND_BIT(CLRHOST_TASK_KIND_USER) |                                     \
     CLRHOST_TASK_KIND_BIT(CLRHOST_TASK_KIND_THREADPOOL_WORKER) |                        \
     CLRHOST_TASK_KIND_BIT(CLRHOST_TASK_KIND_IO_COMPLETION))
#define CLRHOST_TASK_MAX_SLOTS 4096

typedef struct clrhost_task_config { /* zero-initialised = sensible defaults */
    clrhost_task_hooks hooks;
    unsigned flags;
    const char *const *hook_modules; /* NULL-terminated module names: module policy */
    BOOL (*admit_thread)(void *user, DWORD thread_id); /* NULL: every foreign thread gets a task */
    void (*log_fn)(void *user, clrhost_task_log_level level, clrhost_task *task, const char *message);
    void *(*alloc_fn)(void *alloc_user, size_t size); /* NULL: malloc */
    void (*free_fn)(void *alloc_user, void *ptr);     /* NULL: free */
    void *alloc_user;
    clrhost_task_schedule schedule; /* all 0: no scheduler */
} clrhost_task_config;

/* What a task is, as the CLR says (ICLRTaskManager::GetCurrentTaskType,
   asked on the task's own thread when a foreign thread is adopted and
   again when the CLR gives the task its ICLRTask). */
typedef enum clrhost_task_kind {
    CLRHOST_TASK_KIND_UNKNOWN = 0,   /* not told yet: a created task before its thread enters the
                                        runtime, or a foreign thread the CLR has no Thread for */
    CLRHOST_TASK_KIND_USER,          /* System.Threading.Thread, or a foreign thread in managed code */
    CLRHOST_TASK_KIND_THREADPOOL_WORKER,
    CLRHOST_TASK_KIND_IO_COMPLETION, /* a thread-pool I/O completion thread */
    CLRHOST_TASK_KIND_FINALIZER,
    CLRHOST_TASK_KIND_GC,            /* the background GC thread, and server GC threads adopted */
    CLRHOST_TASK_KIND_AD_UNLOAD,     /* the AppDomain-unload helper */
    CLRHOST_TASK_KIND_OTHER,         /* debugger helper; thread-pool timer, gate and wait threads */
    CLRHOST_TASK_KIND_COUNT
} clrhost_task_kind;

/* Counts kept per task and summed manager-wide. Each is written only by
   the task's own thread, but for alerts and forced_yields, which the
   threads that alert it or ask it to yield add. The times are 0 unless
   CLRHOST_TASK_TIMING is on. */
typedef struct clrhost_task_counters {
    ULONGLONG leave_runtime;          /* LeaveRuntime calls let through */
    ULONGLONG enter_runtime;          /* EnterRuntime calls that closed a native frame */
    ULONGLONG reverse_enter_runtime;  /* ReverseEnterRuntime calls let through */
    ULONGLONG reverse_leave_runtime;  /* ReverseLeaveRuntime calls that closed a managed frame */
    ULONGLONG leave_runtime_vetoed;   /* LeaveRuntime refused by the leave_runtime hook */
    ULONGLONG reverse_enter_vetoed;   /* ReverseEnterRuntime refused by its hook */
    ULONGLONG needs_hook_asks;        /* CallNeedsHostHook calls (see CLRHOST_TASK_COUNT_ASKS) */
    ULONGLONG needs_hook_true;        /* ... answered TRUE */
    ULONGLONG protocol_errors;        /* unbalanced or unexpected calls, tolerated */
    ULONGLONG sleeps;                 /* IHostTaskManager::Sleep calls */
    ULONGLONG switches;               /* SwitchToTask calls (the CLR's zero-delay back-offs) */
    ULONGLONG joins;                  /* IHostTask::Join calls this task made, on any task */
    ULONGLONG alerts;                 /* IHostTask::Alert calls on this task */
    ULONGLONG forced_yields;          /* yields asked of it (clrhost_task_yield answered S_OK;
                                         not a re-ask while one is pending, S_FALSE) */
    ULONGLONG forced_yields_taken;    /* SwitchToTask calls that answered one */
    ULONGLONG thread_affinity;        /* BeginThreadAffinity calls */
    ULONGLONG native_wait_ns;         /* outside the runtime in the CLR's own blocking waits */
    ULONGLONG native_call_ns;         /* outside the runtime in other native calls */
    ULONGLONG sleep_ns;               /* in IHostTaskManager::Sleep */
    /* The scheduler's (0 without one). A stretch of managed code still going on
       is not in slot_ns or over_cap_ns yet. */
    ULONGLONG slot_takes;             /* slots it got when it had none (a lent slot kept is no take) */
    ULONGLONG slot_waits;             /* ... of them after waiting in the queue */
    ULONGLONG slot_handoffs;          /* slots it gave a waiting task: handed over, or taken while lent */
    ULONGLONG slot_ns;                /* with timing: managed code holding a slot */
    ULONGLONG slot_wait_ns;           /* waiting for a slot (always: read on the wait's own path) */
    ULONGLONG over_cap;               /* times it ran managed code over the cap: it found no slot
                                         where the CLR cannot afford a wait (see SCHEDULER) */
    ULONGLONG over_cap_ns;            /* with timing: managed code over the cap */
} clrhost_task_counters;

/* The tasks of one kind: a live task counts under its kind now, an ended
   one under the kind it had at its end. */
typedef struct clrhost_task_kind_stats {
    ULONGLONG tasks; /* created or adopted: live plus ended */
    ULONGLONG live;
    clrhost_task_counters counters;
} clrhost_task_kind_stats;

typedef struct clrhost_task_manager_stats {
    ULONGLONG tasks_created;   /* by IHostTaskManager::CreateTask */
    ULONGLONG tasks_adopted;   /* foreign threads given a task by GetCurrentTask */
    ULONGLONG tasks_live;      /* created or adopted and not yet ended */
    ULONGLONG tasks_ended;
    ULONGLONG threads_refused; /* times admit_thread turned a thread away */
    ULONGLONG tasks_freed;     /* ended tasks whose last reference went: the CLR
                                  lets go of them on its finalizer thread,
                                  after a collection, so this lags behind
                                  tasks_ended until the process settles */
    clrhost_task_counters totals; /* every task, live and ended, plus calls made
                                     on threads that have no task */
    clrhost_task_kind_stats by_kind[CLRHOST_TASK_KIND_COUNT]; /* totals without the
                                     taskless calls, by kind */
    ULONGLONG slots;           /* the scheduler's (schedule.slots; 0: none) */
    ULONGLONG slots_held;      /* now, by tasks in managed code (a lent slot is free to take);
                                  read together with slot_waiters and tasks_over_cap */
    ULONGLONG slot_waiters;    /* tasks waiting for a slot now */
    ULONGLONG tasks_over_cap;  /* tasks running managed code over the cap now */
} clrhost_task_manager_stats;

/* A task as another thread sees it (clrhost_task_get_view,
   clrhost_task_manager_list): never a mixed state. depth, in_native,
   native_target and state_ns describe one moment of the task, even while
   it makes transitions on its own thread. */
typedef struct clrhost_task_view {
    clrhost_task *task;
    DWORD thread_id;         /* 0 until a created task's thread runs */
    clrhost_task_kind kind;
    LONG clr_type;           /* the ETaskType the CLR gave (TT_UNKNOWN until then) */
    BOOL adopted;            /* a foreign thread, not CreateTask's */
    BOOL ended;              /* its thread has ended (a task you hold a reference to) */
    BOOL has_clr_task;       /* the CLR gave it an ICLRTask it has not ended */
    BOOL in_native;          /* outside the runtime: its innermost frame is a native call */
    BOOL off_scheduler;      /* LeaveRuntime(0) came (clrhost_task_off_scheduler) */
    BOOL waiting;            /* blocked in a wait, not running: in one of the CLR's own
                                blocking waits (native_target is WaitForMultipleObjectsEx
                                or the like), or in IHostTaskManager::Sleep or IHostTask::Join */
    unsigned depth;          /* open transition frames; 0 in plain managed code */
    unsigned thread_affinity; /* BeginThreadAffinity nesting */
    SIZE_T native_target;    /* the innermost open native call's target; 0 when none is open
                                or it is deeper than CLRHOST_TASK_MAX_DEPTH */
    ULONGLONG state_ns;      /* with CLRHOST_TASK_TIMING: how long it has been where it is
                                (in native or in managed code, at this depth) without a
                                transition; 0 without timing or deeper than MAX_DEPTH */
    BOOL scheduled;          /* the scheduler counts it: it needs a slot to run managed code */
    LONG slot;               /* the scheduler slot it runs managed code on (0 to slots - 1);
                                -1: none, or lent while it calls out or waits */
    BOOL slot_waiting;       /* waiting for a slot (then `waiting` is TRUE too) */
    BOOL over_cap;           /* running managed code over the cap (see SCHEDULER) */
} clrhost_task_view;

/* clrhost_task_manager_list's `which` */
#define CLRHOST_TASK_LIST_ALL 0u
#define CLRHOST_TASK_LIST_IN_NATIVE 1u  /* outside the runtime */
#define CLRHOST_TASK_LIST_IN_MANAGED 2u /* in managed code */
#define CLRHOST_TASK_LIST_RUNNING 4u    /* added to either: leave out the tasks that are waiting */

/* The frame a closing hook closes (clrhost_task_closing_frame). */
typedef struct clrhost_task_frame {
    BOOL native;       /* a native call, closed by EnterRuntime; FALSE: a reverse call
                          (managed code called from native code), closed by ReverseLeaveRuntime */
    BOOL wait;         /* a native call into one of the CLR's own blocking waits */
    SIZE_T target;     /* the native call's target; 0 for a reverse call, and for a frame
                          deeper than CLRHOST_TASK_MAX_DEPTH */
    unsigned depth;    /* the frames open below it (clrhost_task_depth() in the hook) */
    ULONGLONG ns;      /* with CLRHOST_TASK_TIMING: its time minus the frames nested in it:
                          for a native call its time outside the runtime, as the counters
                          book it; for a reverse call its time in managed code (0 without
                          timing, or deeper than CLRHOST_TASK_MAX_DEPTH) */
    ULONGLONG span_ns; /* with timing: from its open to its close, nested frames included */
} clrhost_task_frame;

/* One line of a profile (clrhost_task_manager_profile): one native target. */
#define CLRHOST_TASK_NAME_MAX 128
typedef struct clrhost_task_profile_entry {
    SIZE_T target;     /* 0 for the line of the targets past the bound (see PROFILE) */
    BOOL wait;         /* one of the CLR's own blocking waits */
    ULONGLONG calls;   /* native calls to it that returned (EnterRuntime) */
    ULONGLONG ns;      /* their time outside the runtime, minus reverse calls nested in them */
    ULONGLONG max_ns;  /* the longest of them */
    char name[CLRHOST_TASK_NAME_MAX]; /* clrhost_task_describe_target's, or "(other targets)" */
} clrhost_task_profile_entry;

/* The clock timing uses (clrhost_task_manager_clock). */
typedef struct clrhost_task_clock {
    BOOL tsc;            /* the processor's invariant time-stamp counter; FALSE: the OS
                            clock (QueryPerformanceCounter; clock_gettime on POSIX) */
    ULONGLONG frequency; /* its ticks per second (the counter's as calibrated) */
} clrhost_task_clock;

/* The manager. `config` may be NULL (all defaults) and is copied. Returns
   S_OK, E_POINTER (out is NULL), E_INVALIDARG (alloc_fn without free_fn or
   the reverse; a schedule with more than CLRHOST_TASK_MAX_SLOTS slots or
   kinds it cannot schedule; schedule.slots or CLRHOST_TASK_PROFILE in a
   build that leaves the scheduler or the profile out, said to log_fn
   too), E_OUTOFMEMORY, or the OS error of the
   thread-local slot or of the scheduler's monitor thread. The caller owns
   one reference. */
CLRHOST_TASK_API HRESULT clrhost_task_manager_create(const clrhost_task_config *config,
                                                     clrhost_task_manager **out);
/* The manager's IHostTaskManager (borrowed: AddRef it to keep it). */
CLRHOST_TASK_API IHostTaskManager *clrhost_task_manager_iface(clrhost_task_manager *m);
/* An IHostControl for ICLRRuntimeHost::SetHostControl: GetHostManager gives
   the task manager for IID_IHostTaskManager and asks `inner` (may be NULL)
   for everything else; SetAppDomainManager goes to `inner` too. */
CLRHOST_TASK_API HRESULT clrhost_task_host_control_create(clrhost_task_manager *m,
                                                          IHostControl *inner,
                                                          IHostControl **out);
CLRHOST_TASK_API ULONG clrhost_task_manager_addref(clrhost_task_manager *m);
/* Drops a reference; returns the references left. Live tasks hold one each,
   so the manager goes when its last thread has ended. */
CLRHOST_TASK_API ULONG clrhost_task_manager_release(clrhost_task_manager *m);
/* A snapshot of the statistics (E_POINTER for NULL arguments), taken
   without stopping the tasks that count. What it guarantees:
   - the task numbers (created, adopted, live, ended) are read together,
     under the registry lock: live == created + adopted - ended;
   - every counter is a value it really had during the call: never torn,
     and never less than in an earlier snapshot;
   - a close is never seen without its open, per task and in the totals:
     enter_runtime <= leave_runtime, reverse_leave_runtime <=
     reverse_enter_runtime, needs_hook_true <= needs_hook_asks (for the
     calls the CLR balances; repairs of unbalanced calls past 1024 nested
     frames take a close at its word);
   - counters are not read at one instant: a task that goes on counting
     while its counters are read may show, say, a LeaveRuntime count from a
     moment later than its vetoes. clrhost_task_get_counters gives the same
     guarantees for one task. */
CLRHOST_TASK_API HRESULT clrhost_task_manager_get_stats(clrhost_task_manager *m,
                                                        clrhost_task_manager_stats *out);
/* Calls fn for every live task, under the manager's registry lock: fn must
   not create, end or release tasks, and must not ask the OS loader
   (clrhost_task_describe_target, GetModuleHandle, LoadLibrary): a thread
   that holds the loader lock (in a DllMain) may be waiting for the
   registry lock, to adopt or end a task. A task passed to fn stays valid
   only during the call. To name what tasks are doing, take their views
   with clrhost_task_manager_list and describe them after it returns. */
CLRHOST_TASK_API HRESULT clrhost_task_manager_foreach(clrhost_task_manager *m,
                                                      void (*fn)(void *ctx, clrhost_task *task),
                                                      void *ctx);

/* The calling thread's task for this manager, or NULL. Never adopts the
   thread and takes no reference. */
CLRHOST_TASK_API clrhost_task *clrhost_task_current(clrhost_task_manager *m);
/* The task behind an IHostTask this header made, or NULL for any other. */
CLRHOST_TASK_API clrhost_task *clrhost_task_from_iface(IHostTask *iface);
CLRHOST_TASK_API IHostTask *clrhost_task_iface(clrhost_task *task); /* borrowed */
CLRHOST_TASK_API clrhost_task_manager *clrhost_task_manager_of(const clrhost_task *task);
CLRHOST_TASK_API void *clrhost_task_get_user(const clrhost_task *task);
CLRHOST_TASK_API void clrhost_task_set_user(clrhost_task *task, void *user);
/* OS thread id; 0 until a created task's thread has started running. */
CLRHOST_TASK_API DWORD clrhost_task_thread_id(const clrhost_task *task);
/* Height of the transition stack: 0 in plain managed code. */
CLRHOST_TASK_API unsigned clrhost_task_depth(const clrhost_task *task);
/* TRUE for a foreign thread adopted by GetCurrentTask, FALSE for CreateTask's. */
CLRHOST_TASK_API BOOL clrhost_task_is_adopted(const clrhost_task *task);
/* TRUE while the task is outside the runtime (its innermost frame is native). */
CLRHOST_TASK_API BOOL clrhost_task_in_native(const clrhost_task *task);
CLRHOST_TASK_API void clrhost_task_get_counters(const clrhost_task *task,
                                                clrhost_task_counters *out);
/* TRUE once the CLR said LeaveRuntime(0) on the task's thread: "this
   thread is off the host's scheduler for good" (the AppDomain-unload
   helper does it); see "LeaveRuntime(0)" in the manual. */
CLRHOST_TASK_API BOOL clrhost_task_off_scheduler(const clrhost_task *task);

/* The task's kind (CLRHOST_TASK_KIND_UNKNOWN for NULL), its name
   ("user", "threadpool-worker", ...; "?" for a value out of range), and
   the ETaskType the CLR gave (TT_UNKNOWN, 0x80000000, until then). */
CLRHOST_TASK_API clrhost_task_kind clrhost_task_get_kind(const clrhost_task *task);
CLRHOST_TASK_API const char *clrhost_task_kind_name(clrhost_task_kind kind);
CLRHOST_TASK_API LONG clrhost_task_clr_type(const clrhost_task *task);

/* The live view, from any thread, while the tasks run. The task must stay
   valid during the call: inside clrhost_task_manager_foreach's fn, or
   while you hold a reference (IHostTask::AddRef, or a listed view's).
   S_OK, or E_POINTER. view.task is `task`; no reference is taken.
   Built with CLRHOST_TASK_NO_TASK_VIEW, this and the five below answer
   E_NOTIMPL (out values zeroed; E_POINTER still for a NULL out). */
CLRHOST_TASK_API HRESULT clrhost_task_get_view(clrhost_task *task, clrhost_task_view *out);
/* Views of the live tasks that are `which` (CLRHOST_TASK_LIST_ALL,
   _IN_NATIVE or _IN_MANAGED, plus _RUNNING to leave out waiting ones) and, with
   min_ms > 0, have been there for at least min_ms (needs
   CLRHOST_TASK_TIMING: else E_INVALIDARG). Up to `capacity` go into
   `views`, each holding a reference on its task, so that view.task can be
   given to the functions below after the list is made; release them with
   clrhost_task_views_release. *count gets how many were listed. S_OK;
   S_FALSE when more tasks matched than `capacity`; E_POINTER; E_INVALIDARG. */
CLRHOST_TASK_API HRESULT clrhost_task_manager_list(clrhost_task_manager *m, unsigned which, ULONGLONG min_ms,
                                                   clrhost_task_view *views, size_t capacity, size_t *count);
CLRHOST_TASK_API void clrhost_task_views_release(clrhost_task_view *views, size_t count);

/* The CLR's own controls on a task, on its ICLRTask, from any thread (see
   TASK CONTROLS in the manual). `task` must stay valid during the call,
   as for clrhost_task_get_view. Besides what the CLR answers:
   E_POINTER (task or out is NULL); HOST_E_CLRNOTAVAILABLE (the CLR has
   given the task no ICLRTask yet); HOST_E_INVALIDOPERATION (the task has
   ended, or is ending: its ExitTask has begun; and for clrhost_task_yield,
   called on the task's own thread); E_ACCESSDENIED (abort or yield of a
   task the CLR keeps for itself: GC, debugger helper); E_NOTIMPL in a
   build with CLRHOST_TASK_NO_TASK_VIEW. */
CLRHOST_TASK_API HRESULT clrhost_task_abort(clrhost_task *task, BOOL rude); /* Abort / RudeAbort */
CLRHOST_TASK_API HRESULT clrhost_task_yield(clrhost_task *task);            /* YieldTask */
CLRHOST_TASK_API HRESULT clrhost_task_locks_held(clrhost_task *task, SIZE_T *out);
CLRHOST_TASK_API HRESULT clrhost_task_bytes_allocated(clrhost_task *task, ULONGLONG *out); /* GetMemStats */
CLRHOST_TASK_API HRESULT clrhost_task_set_debugger_id(clrhost_task *task, ULONGLONG id); /* SetTaskIdentifier; 0: none */

/* Inside an enter_runtime or reverse_leave_runtime hook, the frame that
   hook closes: whether it was a native call or a reverse call, its target,
   whether it was one of the CLR's blocking waits, its depth and, with
   CLRHOST_TASK_TIMING, its time. S_OK; E_POINTER; HOST_E_INVALIDOPERATION
   anywhere else (another hook, another thread, outside a hook). */
CLRHOST_TASK_API HRESULT clrhost_task_closing_frame(const clrhost_task *task, clrhost_task_frame *out);

/* The per-target profile (CLRHOST_TASK_PROFILE; see PROFILE in the
   manual), of one task or, with task NULL, of the whole manager (live
   tasks and ended ones): its lines sorted by time, costliest first, up
   to `capacity` into `entries`, each named. *count gets how many were
   written. S_OK; S_FALSE when there were more lines than `capacity`;
   E_POINTER; E_INVALIDARG for a task of another manager;
   HOST_E_INVALIDOPERATION without CLRHOST_TASK_PROFILE; E_OUTOFMEMORY;
   E_NOTIMPL in a build with CLRHOST_TASK_NO_PROFILE.
   A task's lines join the manager's table of ended tasks when it ends,
   which is bounded too: a target's line there may find no room and go
   to the overflow line, so a line can shrink between two reports once
   its task ended (the calls are never lost). It names targets (the
   loader's module list and export tables), so call it from a thread of
   your own, never from a hook or a thread-exit callback. */
CLRHOST_TASK_API HRESULT clrhost_task_manager_profile(clrhost_task_manager *m, clrhost_task *task,
                                                      clrhost_task_profile_entry *entries, size_t capacity,
                                                      size_t *count);

/* The clock this manager times with (see "The clock" in PROFILE, in the
   manual): S_OK, E_POINTER. A manager without CLRHOST_TASK_TIMING and
   without a scheduler (whose accounting reads the same clock) times
   nothing and says the OS clock. */
CLRHOST_TASK_API HRESULT clrhost_task_manager_clock(clrhost_task_manager *m, clrhost_task_clock *out);

/* A name for a native call's target, for a report: "module!export+0x1c"
   (the module's file name and its nearest named export at or below the
   address; "+0x..." left out at the export itself), "module+0x1c00" (no
   export below it; from the module's base), or "0x7ff6a8c01000" (in no
   module). Into buf, at most size bytes, always terminated (size > 0);
   returns the length of the whole name, as snprintf does, 0 for a NULL buf
   or size 0. It asks the loader (GetModuleHandleExW and the module's
   export table; dladdr on POSIX), so call it from a thread of your own,
   never from a hook or a thread-exit callback. The module is held while
   it is read, so one unloaded meanwhile is named or in no module; an
   export table is read only within the image's readable sections, so a
   damaged one gives "module+0x..." (a module whose path is longer than
   1023 characters is in no module). */
CLRHOST_TASK_API size_t clrhost_task_describe_target(SIZE_T target, char *buf, size_t size);

/* Checks, at run time, that every slot of the vtables this build made holds
   the method mscoree.idl puts there (slot offsets are checked at compile
   time; this catches initialisers in the wrong order, such as swapped
   ReverseLeave/ReverseEnterRuntime, which share a signature). NULL when
   all is right, else a message naming the first wrong slot. Cheap; meant
   for a debug build of a host, on a compiler our CI does not have. */
CLRHOST_TASK_API const char *clrhost_task_self_check(void);

#ifdef __cplusplus
}
#endif

/* ------------------------------------------------------------------------
   >>constants  CLR hosting constants (the Windows SDK's corerror.h and
   mscoree.idl), for toolchains that lack them.
   ------------------------------------------------------------------------ */

#ifndef HOST_E_DEADLOCK
#define HOST_E_DEADLOCK ((HRESULT)0x80131020L)
#endif
#ifndef HOST_E_INTERRUPTED
#define HOST_E_INTERRUPTED ((HRESULT)0x80131021L)
#endif
#ifndef HOST_E_INVALIDOPERATION
#define HOST_E_INVALIDOPERATION ((HRESULT)0x80131022L)
#endif
#ifndef HOST_E_CLRNOTAVAILABLE
#define HOST_E_CLRNOTAVAILABLE ((HRESULT)0x80131023L)
#endif
#ifndef HOST_E_TIMEOUT
#define HOST_E_TIMEOUT ((HRESULT)0x80131024L)
#endif
#ifndef HOST_E_NOT_OWNER
#define HOST_E_NOT_OWNER ((HRESULT)0x80131025L)
#endif
#ifndef HOST_E_ABANDONED
#define HOST_E_ABANDONED ((HRESULT)0x80131026L)
#endif
#ifndef HOST_E_EXITPROCESS_THREADABORT
#define HOST_E_EXITPROCESS_THREADABORT ((HRESULT)0x80131027L)
#endif
#ifndef HOST_E_EXITPROCESS_ADUNLOAD
#define HOST_E_EXITPROCESS_ADUNLOAD ((HRESULT)0x80131028L)
#endif
#ifndef HOST_E_EXITPROCESS_TIMEOUT
#define HOST_E_EXITPROCESS_TIMEOUT ((HRESULT)0x80131029L)
#endif
#ifndef HOST_E_EXITPROCESS_OUTOFMEMORY
#define HOST_E_EXITPROCESS_OUTOFMEMORY ((HRESULT)0x8013102AL)
#endif
#ifndef HOST_E_EXITPROCESS_STACKOVERFLOW
#define HOST_E_EXITPROCESS_STACKOVERFLOW ((HRESULT)0x8013102BL)
#endif

/* ------------------------------------------------------------------------
   >>interfaces  The task-hosting interfaces under the Windows SDK's names
   and guard macros, for toolchains whose mscoree.h lacks them (MinGW-w64
   declares IHostControl and ICLRRuntimeHost but none of these; the
   Windows SDK declares all of them, and then this block is skipped). Slot
   order is the one of mscoree.idl; the implementation never uses these
   declarations.
   ------------------------------------------------------------------------ */

#ifndef __IHostTaskManager_INTERFACE_DEFINED__

typedef UINT64 TASKID;

typedef enum WAIT_OPTION {
    WAIT_MSGPUMP = 0x1,
    WAIT_ALERTABLE = 0x2,
    WAIT_NOTINDEADLOCK = 0x4
} WAIT_OPTION;

typedef enum ETaskType {
    TT_DEBUGGERHELPER = 0x1,
    TT_GC = 0x2,
    TT_FINALIZER = 0x4,
    TT_THREADPOOL_TIMER = 0x8,
    TT_THREADPOOL_GATE = 0x10,
    TT_THREADPOOL_WORKER = 0x20,
    TT_THREADPOOL_IOCOMPLETION = 0x40,
    TT_ADUNLOAD = 0x80,
    TT_USER = 0x100,
    TT_THREADPOOL_WAIT = 0x200,
    TT_UNKNOWN = -0x7FFFFFFF - 1 /* 0x80000000, spelled so that ISO C keeps it an int */
} ETaskType;

#ifndef __gchost_h__
typedef struct _COR_GC_THREAD_STATS {
    ULONGLONG PerThreadAllocation;
    ULONG Flags;
} COR_GC_THREAD_STATS;
#endif

/* The CLR's own two interfaces get their typedef names only where C lets
   a typedef be repeated (C11 and C++): a C89/C99 host may have written
   `typedef struct ICLRTaskManager ICLRTaskManager;` itself, without the
   SDK's guard, and a second typedef would be an error under -pedantic.
   Our declarations say `struct ICLRTask` and `struct ICLRTaskManager`;
   the API never needs them. In C89/C99 name them as structs, or typedef
   them yourself under the SDK's guards (__ICLRTask_FWD_DEFINED__). */
#if defined(__cplusplus) || (defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L)
#ifndef __ICLRTask_FWD_DEFINED__
#define __ICLRTask_FWD_DEFINED__
typedef struct ICLRTask ICLRTask;
#endif
#ifndef __ICLRTaskManager_FWD_DEFINED__
#define __ICLRTaskManager_FWD_DEFINED__
typedef struct ICLRTaskManager ICLRTaskManager;
#endif
#else
struct ICLRTask;        /* the tags only, at file scope */
struct ICLRTaskManager;
#endif /* C11 or C++ */

#ifdef __cplusplus
extern "C" {
#endif

#ifndef __ICLRTask_INTERFACE_DEFINED__
#define __ICLRTask_INTERFACE_DEFINED__
#if defined(__cplusplus) && !defined(CINTERFACE)
struct ICLRTask : public IUnknown {
    virtual HRESULT STDMETHODCALLTYPE SwitchIn(HANDLE threadHandle) = 0;
    virtual HRESULT STDMETHODCALLTYPE SwitchOut(void) = 0;
    virtual HRESULT STDMETHODCALLTYPE GetMemStats(COR_GC_THREAD_STATS *memUsage) = 0;
    virtual HRESULT STDMETHODCALLTYPE Reset(BOOL fFull) = 0;
    virtual HRESULT STDMETHODCALLTYPE ExitTask(void) = 0;
    virtual HRESULT STDMETHODCALLTYPE Abort(void) = 0;
    virtual HRESULT STDMETHODCALLTYPE RudeAbort(void) = 0;
    virtual HRESULT STDMETHODCALLTYPE NeedsPriorityScheduling(BOOL *pbNeedsPriorityScheduling) = 0;
    virtual HRESULT STDMETHODCALLTYPE YieldTask(void) = 0;
    virtual HRESULT STDMETHODCALLTYPE LocksHeld(SIZE_T *pLockCount) = 0;
    virtual HRESULT STDMETHODCALLTYPE SetTaskIdentifier(TASKID asked) = 0;
};
#else
typedef struct ICLRTaskVtbl {
    HRESULT (STDMETHODCALLTYPE *QueryInterface)(struct ICLRTask *This, REFIID riid, void **ppvObject);
    ULONG (STDMETHODCALLTYPE *AddRef)(struct ICLRTask *This);
    ULONG (STDMETHODCALLTYPE *Release)(struct ICLRTask *This);
    HRESULT (STDMETHODCALLTYPE *SwitchIn)(struct ICLRTask *This, HANDLE threadHandle);
    HRESULT (STDMETHODCALLTYPE *SwitchOut)(struct ICLRTask *This);
    HRESULT (STDMETHODCALLTYPE *GetMemStats)(struct ICLRTask *This, COR_GC_THREAD_STATS *memUsage);
    HRESULT (STDMETHODCALLTYPE *Reset)(struct ICLRTask *This, BOOL fFull);
    HRESULT (STDMETHODCALLTYPE *ExitTask)(struct ICLRTask *This);
    HRESULT (STDMETHODCALLTYPE *Abort)(struct ICLRTask *This);
    HRESULT (STDMETHODCALLTYPE *RudeAbort)(struct ICLRTask *This);
    HRESULT (STDMETHODCALLTYPE *NeedsPriorityScheduling)(struct ICLRTask *This, BOOL *pbNeedsPriorityScheduling);
    HRESULT (STDMETHODCALLTYPE *YieldTask)(struct ICLRTask *This);
    HRESULT (STDMETHODCALLTYPE *LocksHeld)(struct ICLRTask *This, SIZE_T *pLockCount);
    HRESULT (STDMETHODCALLTYPE *SetTaskIdentifier)(struct ICLRTask *This, TASKID asked);
} ICLRTaskVtbl;
struct ICLRTask { CONST_VTBL struct ICLRTaskVtbl *lpVtbl; };
#ifdef COBJMACROS
#define ICLRTask_QueryInterface(This, riid, ppv) ((This)->lpVtbl->QueryInterface(This, riid, ppv))
#define ICLRTask_AddRef(This) ((This)->lpVtbl->AddRef(This))
#define ICLRTask_Release(This) ((This)->lpVtbl->Release(This))
#define ICLRTask_SwitchIn(This, h) ((This)->lpVtbl->SwitchIn(This, h))
#define ICLRTask_SwitchOut(This) ((This)->lpVtbl->SwitchOut(This))
#define ICLRTask_GetMemStats(This, p) ((This)->lpVtbl->GetMemStats(This, p))
#define ICLRTask_Reset(This, full) ((This)->lpVtbl->Reset(This, full))
#define ICLRTask_ExitTask(This) ((This)->lpVtbl->ExitTask(This))
#define ICLRTask_Abort(This) ((This)->lpVtbl->Abort(This))
#define ICLRTask_RudeAbort(This) ((This)->lpVtbl->RudeAbort(This))
#define ICLRTask_NeedsPriorityScheduling(This, p) ((This)->lpVtbl->NeedsPriorityScheduling(This, p))
#define ICLRTask_YieldTask(This) ((This)->lpVtbl->YieldTask(This))
#define ICLRTask_LocksHeld(This, p) ((This)->lpVtbl->LocksHeld(This, p))
#define ICLRTask_SetTaskIdentifier(This, id) ((This)->lpVtbl->SetTaskIdentifier(This, id))
#endif
#endif
#endif /* __ICLRTask_INTERFACE_DEFINED__ */

#ifndef __IHostTask_INTERFACE_DEFINED__
#define __IHostTask_INTERFACE_DEFINED__
#if defined(__cplusplus) && !defined(CINTERFACE)
struct IHostTask : public IUnknown {
    virtual HRESULT STDMETHODCALLTYPE Start(void) = 0;
    virtual HRESULT STDMETHODCALLTYPE Alert(void) = 0;
    virtual HRESULT STDMETHODCALLTYPE Join(DWORD dwMilliseconds, DWORD option) = 0;
    virtual HRESULT STDMETHODCALLTYPE SetPriority(int newPriority) = 0;
    virtual HRESULT STDMETHODCALLTYPE GetPriority(int *pPriority) = 0;
    virtual HRESULT STDMETHODCALLTYPE SetCLRTask(ICLRTask *pCLRTask) = 0;
};
#else
typedef struct IHostTaskVtbl {
    HRESULT (STDMETHODCALLTYPE *QueryInterface)(IHostTask *This, REFIID riid, void **ppvObject);
    ULONG (STDMETHODCALLTYPE *AddRef)(IHostTask *This);
    ULONG (STDMETHODCALLTYPE *Release)(IHostTask *This);
    HRESULT (STDMETHODCALLTYPE *Start)(IHostTask *This);
    HRESULT (STDMETHODCALLTYPE *Alert)(IHostTask *This);
    HRESULT (STDMETHODCALLTYPE *Join)(IHostTask *This, DWORD dwMilliseconds, DWORD option);
    HRESULT (STDMETHODCALLTYPE *SetPriority)(IHostTask *This, int newPriority);
    HRESULT (STDMETHODCALLTYPE *GetPriority)(IHostTask *This, int *pPriority);
    HRESULT (STDMETHODCALLTYPE *SetCLRTask)(IHostTask *This, struct ICLRTask *pCLRTask);
} IHostTaskVtbl;
struct IHostTask { CONST_VTBL struct IHostTaskVtbl *lpVtbl; };
#ifdef COBJMACROS
#define IHostTask_QueryInterface(This, riid, ppv) ((This)->lpVtbl->QueryInterface(This, riid, ppv))
#define IHostTask_AddRef(This) ((This)->lpVtbl->AddRef(This))
#define IHostTask_Release(This) ((This)->lpVtbl->Release(This))
#define IHostTask_Start(This) ((This)->lpVtbl->Start(This))
#define IHostTask_Alert(This) ((This)->lpVtbl->Alert(This))
#define IHostTask_Join(This, ms, option) ((This)->lpVtbl->Join(This, ms, option))
#define IHostTask_SetPriority(This, p) ((This)->lpVtbl->SetPriority(This, p))
#define IHostTask_GetPriority(This, p) ((This)->lpVtbl->GetPriority(This, p))
#define IHostTask_SetCLRTask(This, t) ((This)->lpVtbl->SetCLRTask(This, t))
#endif
#endif
#endif /* __IHostTask_INTERFACE_DEFINED__ */

#ifndef __ICLRTaskManager_INTERFACE_DEFINED__
#define __ICLRTaskManager_INTERFACE_DEFINED__
#if defined(__cplusplus) && !defined(CINTERFACE)
struct ICLRTaskManager : public IUnknown {
    virtual HRESULT STDMETHODCALLTYPE CreateTask(ICLRTask **pTask) = 0;
    virtual HRESULT STDMETHODCALLTYPE GetCurrentTask(ICLRTask **pTask) = 0;
    virtual HRESULT STDMETHODCALLTYPE SetUILocale(LCID lcid) = 0;
    virtual HRESULT STDMETHODCALLTYPE SetLocale(LCID lcid) = 0;
    virtual HRESULT STDMETHODCALLTYPE GetCurrentTaskType(ETaskType *pTaskType) = 0;
};
#else
typedef struct ICLRTaskManagerVtbl {
    HRESULT (STDMETHODCALLTYPE *QueryInterface)(struct ICLRTaskManager *This, REFIID riid, void **ppvObject);
    ULONG (STDMETHODCALLTYPE *AddRef)(struct ICLRTaskManager *This);
    ULONG (STDMETHODCALLTYPE *Release)(struct ICLRTaskManager *This);
    HRESULT (STDMETHODCALLTYPE *CreateTask)(struct ICLRTaskManager *This, struct ICLRTask **pTask);
    HRESULT (STDMETHODCALLTYPE *GetCurrentTask)(struct ICLRTaskManager *This, struct ICLRTask **pTask);
    HRESULT (STDMETHODCALLTYPE *SetUILocale)(struct ICLRTaskManager *This, LCID lcid);
    HRESULT (STDMETHODCALLTYPE *SetLocale)(struct ICLRTaskManager *This, LCID lcid);
    HRESULT (STDMETHODCALLTYPE *GetCurrentTaskType)(struct ICLRTaskManager *This, ETaskType *pTaskType);
} ICLRTaskManagerVtbl;
struct ICLRTaskManager { CONST_VTBL struct ICLRTaskManagerVtbl *lpVtbl; };
#ifdef COBJMACROS
#define ICLRTaskManager_QueryInterface(This, riid, ppv) ((This)->lpVtbl->QueryInterface(This, riid, ppv))
#define ICLRTaskManager_AddRef(This) ((This)->lpVtbl->AddRef(This))
#define ICLRTaskManager_Release(This) ((This)->lpVtbl->Release(This))
#define ICLRTaskManager_CreateTask(This, p) ((This)->lpVtbl->CreateTask(This, p))
#define ICLRTaskManager_GetCurrentTask(This, p) ((This)->lpVtbl->GetCurrentTask(This, p))
#define ICLRTaskManager_SetUILocale(This, lcid) ((This)->lpVtbl->SetUILocale(This, lcid))
#define ICLRTaskManager_SetLocale(This, lcid) ((This)->lpVtbl->SetLocale(This, lcid))
#define ICLRTaskManager_GetCurrentTaskType(This, p) ((This)->lpVtbl->GetCurrentTaskType(This, p))
#endif
#endif
#endif /* __ICLRTaskManager_INTERFACE_DEFINED__ */

#if defined(__cplusplus) && !defined(CINTERFACE)
struct IHostTaskManager : public IUnknown {
    virtual HRESULT STDMETHODCALLTYPE GetCurrentTask(IHostTask **pTask) = 0;
    virtual HRESULT STDMETHODCALLTYPE CreateTask(DWORD dwStackSize, LPTHREAD_START_ROUTINE pStartAddress, PVOID pParameter, IHostTask **ppTask) = 0;
    virtual HRESULT STDMETHODCALLTYPE Sleep(DWORD dwMilliseconds, DWORD option) = 0;
    virtual HRESULT STDMETHODCALLTYPE SwitchToTask(DWORD option) = 0;
    virtual HRESULT STDMETHODCALLTYPE SetUILocale(LCID lcid) = 0;
    virtual HRESULT STDMETHODCALLTYPE SetLocale(LCID lcid) = 0;
    virtual HRESULT STDMETHODCALLTYPE CallNeedsHostHook(SIZE_T target, BOOL *pbCallNeedsHostHook) = 0;
    virtual HRESULT STDMETHODCALLTYPE LeaveRuntime(SIZE_T target) = 0;
    virtual HRESULT STDMETHODCALLTYPE EnterRuntime(void) = 0;
    virtual HRESULT STDMETHODCALLTYPE ReverseLeaveRuntime(void) = 0;
    virtual HRESULT STDMETHODCALLTYPE ReverseEnterRuntime(void) = 0;
    virtual HRESULT STDMETHODCALLTYPE BeginDelayAbort(void) = 0;
    virtual HRESULT STDMETHODCALLTYPE EndDelayAbort(void) = 0;
    virtual HRESULT STDMETHODCALLTYPE BeginThreadAffinity(void) = 0;
    virtual HRESULT STDMETHODCALLTYPE EndThreadAffinity(void) = 0;
    virtual HRESULT STDMETHODCALLTYPE SetStackGuarantee(ULONG guarantee) = 0;
    virtual HRESULT STDMETHODCALLTYPE GetStackGuarantee(ULONG *pGuarantee) = 0;
    virtual HRESULT STDMETHODCALLTYPE SetCLRTaskManager(ICLRTaskManager *ppManager) = 0;
};
#else
typedef struct IHostTaskManagerVtbl {
    HRESULT (STDMETHODCALLTYPE *QueryInterface)(IHostTaskManager *This, REFIID riid, void **ppvObject);
    ULONG (STDMETHODCALLTYPE *AddRef)(IHostTaskManager *This);
    ULONG (STDMETHODCALLTYPE *Release)(IHostTaskManager *This);
    HRESULT (STDMETHODCALLTYPE *GetCurrentTask)(IHostTaskManager *This, IHostTask **pTask);
    HRESULT (STDMETHODCALLTYPE *CreateTask)(IHostTaskManager *This, DWORD dwStackSize, LPTHREAD_START_ROUTINE pStartAddress, PVOID pParameter, IHostTask **ppTask);
    HRESULT (STDMETHODCALLTYPE *Sleep)(IHostTaskManager *This, DWORD dwMilliseconds, DWORD option);
    HRESULT (STDMETHODCALLTYPE *SwitchToTask)(IHostTaskManager *This, DWORD option);
    HRESULT (STDMETHODCALLTYPE *SetUILocale)(IHostTaskManager *This, LCID lcid);
    HRESULT (STDMETHODCALLTYPE *SetLocale)(IHostTaskManager *This, LCID lcid);
    HRESULT (STDMETHODCALLTYPE *CallNeedsHostHook)(IHostTaskManager *This, SIZE_T target, BOOL *pbCallNeedsHostHook);
    HRESULT (STDMETHODCALLTYPE *LeaveRuntime)(IHostTaskManager *This, SIZE_T target);
    HRESULT (STDMETHODCALLTYPE *EnterRuntime)(IHostTaskManager *This);
    HRESULT (STDMETHODCALLTYPE *ReverseLeaveRuntime)(IHostTaskManager *This);
    HRESULT (STDMETHODCALLTYPE *ReverseEnterRuntime)(IHostTaskManager *This);
    HRESULT (STDMETHODCALLTYPE *BeginDelayAbort)(IHostTaskManager *This);
    HRESULT (STDMETHODCALLTYPE *EndDelayAbort)(IHostTaskManager *This);
    HRESULT (STDMETHODCALLTYPE *BeginThreadAffinity)(IHostTaskManager *This);
    HRESULT (STDMETHODCALLTYPE *EndThreadAffinity)(IHostTaskManager *This);
    HRESULT (STDMETHODCALLTYPE *SetStackGuarantee)(IHostTaskManager *This, ULONG guarantee);
    HRESULT (STDMETHODCALLTYPE *GetStackGuarantee)(IHostTaskManager *This, ULONG *pGuarantee);
    HRESULT (STDMETHODCALLTYPE *SetCLRTaskManager)(IHostTaskManager *This, struct ICLRTaskManager *ppManager);
} IHostTaskManagerVtbl;
struct IHostTaskManager { CONST_VTBL struct IHostTaskManagerVtbl *lpVtbl; };
#ifdef COBJMACROS
#define IHostTaskManager_QueryInterface(This, riid, ppv) ((This)->lpVtbl->QueryInterface(This, riid, ppv))
#define IHostTaskManager_AddRef(This) ((This)->lpVtbl->AddRef(This))
#define IHostTaskManager_Release(This) ((This)->lpVtbl->Release(This))
#define IHostTaskManager_GetCurrentTask(This, p) ((This)->lpVtbl->GetCurrentTask(This, p))
#define IHostTaskManager_CreateTask(This, stack, start, param, pp) ((This)->lpVtbl->CreateTask(This, stack, start, param, pp))
#define IHostTaskManager_Sleep(This, ms, option) ((This)->lpVtbl->Sleep(This, ms, option))
#define IHostTaskManager_SwitchToTask(This, option) ((This)->lpVtbl->SwitchToTask(This, option))
#define IHostTaskManager_SetUILocale(This, lcid) ((This)->lpVtbl->SetUILocale(This, lcid))
#define IHostTaskManager_SetLocale(This, lcid) ((This)->lpVtbl->SetLocale(This, lcid))
#define IHostTaskManager_CallNeedsHostHook(This, target, pb) ((This)->lpVtbl->CallNeedsHostHook(This, target, pb))
#define IHostTaskManager_LeaveRuntime(This, target) ((This)->lpVtbl->LeaveRuntime(This, target))
#define IHostTaskManager_EnterRuntime(This) ((This)->lpVtbl->EnterRuntime(This))
#define IHostTaskManager_ReverseLeaveRuntime(This) ((This)->lpVtbl->ReverseLeaveRuntime(This))
#define IHostTaskManager_ReverseEnterRuntime(This) ((This)->lpVtbl->ReverseEnterRuntime(This))
#define IHostTaskManager_BeginDelayAbort(This) ((This)->lpVtbl->BeginDelayAbort(This))
#define IHostTaskManager_EndDelayAbort(This) ((This)->lpVtbl->EndDelayAbort(This))
#define IHostTaskManager_BeginThreadAffinity(This) ((This)->lpVtbl->BeginThreadAffinity(This))
#define IHostTaskManager_EndThreadAffinity(This) ((This)->lpVtbl->EndThreadAffinity(This))
#define IHostTaskManager_SetStackGuarantee(This, g) ((This)->lpVtbl->SetStackGuarantee(This, g))
#define IHostTaskManager_GetStackGuarantee(This, p) ((This)->lpVtbl->GetStackGuarantee(This, p))
#define IHostTaskManager_SetCLRTaskManager(This, p) ((This)->lpVtbl->SetCLRTaskManager(This, p))
#endif
#endif
#define __IHostTaskManager_INTERFACE_DEFINED__

#ifdef __cplusplus
}
#endif
#endif /* __IHostTaskManager_INTERFACE_DEFINED__ */

/* IHostControl: every Windows mscoree.h has it; elsewhere we declare it. */
#ifndef __IHostControl_INTERFACE_DEFINED__
#define __IHostControl_INTERFACE_DEFINED__
#if defined(__cplusplus) && !defined(CINTERFACE)
struct IHostControl : public IUnknown {
    virtual HRESULT STDMETHODCALLTYPE GetHostManager(REFIID riid, void **ppObject) = 0;
    virtual HRESULT STDMETHODCALLTYPE SetAppDomainManager(DWORD dwAppDomainID, IUnknown *pUnkAppDomainManager) = 0;
};
#else
typedef struct IHostControlVtbl {
    HRESULT (STDMETHODCALLTYPE *QueryInterface)(IHostControl *This, REFIID riid, void **ppvObject);
    ULONG (STDMETHODCALLTYPE *AddRef)(IHostControl *This);
    ULONG (STDMETHODCALLTYPE *Release)(IHostControl *This);
    HRESULT (STDMETHODCALLTYPE *GetHostManager)(IHostControl *This, REFIID riid, void **ppObject);
    HRESULT (STDMETHODCALLTYPE *SetAppDomainManager)(IHostControl *This, DWORD dwAppDomainID, IUnknown *pUnkAppDomainManager);
} IHostControlVtbl;
struct IHostControl { CONST_VTBL struct IHostControlVtbl *lpVtbl; };
#ifdef COBJMACROS
#define IHostControl_QueryInterface(This, riid, ppv) ((This)->lpVtbl->QueryInterface(This, riid, ppv))
#define IHostControl_AddRef(This) ((This)->lpVtbl->AddRef(This))
#define IHostControl_Release(This) ((This)->lpVtbl->Release(This))
#define IHostControl_GetHostManager(This, riid, pp) ((This)->lpVtbl->GetHostManager(This, riid, pp))
#define IHostControl_SetAppDomainManager(This, id, unk) ((This)->lpVtbl->SetAppDomainManager(This, id, unk))
#endif
#endif
#endif /* __IHostControl_INTERFACE_DEFINED__ */

#endif /* CLRHOST_TASK_H */

/* ========================================================================
   >>implementation  IMPLEMENTATION
   ======================================================================== */

#ifdef CLRHOST_TASK_IMPLEMENTATION
#ifndef CLRHOST_TASK_IMPLEMENTATION_DONE
#define CLRHOST_TASK_IMPLEMENTATION_DONE

#if defined(_MSC_VER) && !defined(__clang__)
/* cl's level-4 warnings the implementation means to trigger, turned off
   for it alone (popped at the end): C4127, a constant condition, which
   the negative controls (CLRHOST__BROKEN) and a compiled-out feature's
   points make on purpose; and with CLRHOST_TASK_STATIC, C4505: a private
   copy's unused functions are removed, as they should be (GNU compilers
   get __attribute__((unused)) instead, config). */
#pragma warning(push)
#pragma warning(disable : 4127)
#ifdef CLRHOST_TASK_STATIC
#pragma warning(disable : 4505)
#endif
#endif

#include <stddef.h>
#include <string.h>
#include <stdlib.h>

/* Only the implementation needs Vista: a file that just calls the API may
   be built for an older Windows. */
#if defined(_WIN32) && defined(_WIN32_WINNT) && _WIN32_WINNT < 0x0600
#error "the implementation of clrhost_task.h needs _WIN32_WINNT >= 0x0600 (Windows Vista): it uses fiber-local storage, SRW locks and condition variables"
#endif

/* ------------------------------------------------------------------------
   >>options  The implementation's options (see "Compile-time options" in
   the manual for the user's), and the compiler attributes it uses.
   ------------------------------------------------------------------------ */

#ifndef CLRHOST_TASK_ASSERT
#include <assert.h>
#define CLRHOST_TASK_ASSERT(x) assert(x)
#endif

/* For the test suite only: CLRHOST_TASK_TEST_FAULT(what) nonzero makes the
   OS call named by `what` fail ("slot write": the first value of the
   thread-local slot on a thread, the only write that needs storage), so
   that the failure paths can be tested. */
#ifndef CLRHOST_TASK_TEST_FAULT
#define CLRHOST_TASK_TEST_FAULT(what) 0
#endif

/* For negative controls only: CLRHOST_TASK_NEGATIVE_CONTROL=N builds a
   header that breaks one of its promises on purpose, so that a check (the
   validation kit's, examples/validate) can be shown to catch it:
     1  ICLRTask::ExitTask is never called
     2  ReverseEnterRuntime passes the hook's success code through (S_FALSE
        then stops the managed code from running)
     3  IHostTask::Alert does nothing
     4  SetUILocale answers E_NOTIMPL
     5  CallNeedsHostHook answers TRUE without asking the policy
     6  a slot is never handed to a task that waits for one (the
        scheduler deadlocks as soon as a task queues)
   Never define it in a host. */
#ifndef CLRHOST_TASK_NEGATIVE_CONTROL
#define CLRHOST_TASK_NEGATIVE_CONTROL 0
#endif
#if CLRHOST_TASK_NEGATIVE_CONTROL < 0 || CLRHOST_TASK_NEGATIVE_CONTROL > 6
#error "CLRHOST_TASK_NEGATIVE_CONTROL is 1 to 6 (a broken build for the validation kit), or undefined"
#endif
/* The scheduler's quantum asks tasks to yield through the task controls
   (clrhost_task_yield), and its accounting reads the view's clock marks. */
#if defined(CLRHOST_TASK_NO_TASK_VIEW) && !defined(CLRHOST_TASK_NO_SCHEDULER)
#error "CLRHOST_TASK_NO_TASK_VIEW leaves out the task controls and the live view, which the scheduler uses: define CLRHOST_TASK_NO_SCHEDULER too"
#endif
#if CLRHOST_TASK_NEGATIVE_CONTROL == 6 && defined(CLRHOST_TASK_NO_SCHEDULER)
#error "CLRHOST_TASK_NEGATIVE_CONTROL=6 breaks the scheduler, which CLRHOST_TASK_NO_SCHEDULER leaves out"
#endif
#define CLRHOST__BROKEN(n) (CLRHOST_TASK_NEGATIVE_CONTROL == (n))

#ifndef CLRHOST_TASK_MAX_DEPTH
#define CLRHOST_TASK_MAX_DEPTH 32
#endif
/* Each task embeds CLRHOST_TASK_MAX_DEPTH timed frames (24 bytes each), so
   the option is bounded where a task would stop being a small object. */
#if CLRHOST_TASK_MAX_DEPTH < 1 || CLRHOST_TASK_MAX_DEPTH > 65536
#error "CLRHOST_TASK_MAX_DEPTH must be between 1 and 65536"
#endif

/* The per-target profile's bounds: each task profiles up to
   CLRHOST_TASK_PROFILE_TARGETS targets, and the manager keeps the sums of
   ended tasks for up to 4 times as many; calls to targets past a bound are
   counted on one line of their own ("(other targets)"). A power of two. */
#ifndef CLRHOST_TASK_NO_PROFILE
#ifndef CLRHOST_TASK_PROFILE_TARGETS
#define CLRHOST_TASK_PROFILE_TARGETS 64
#endif
#if CLRHOST_TASK_PROFILE_TARGETS < 8 || CLRHOST_TASK_PROFILE_TARGETS > 65536 || \
    (CLRHOST_TASK_PROFILE_TARGETS & (CLRHOST_TASK_PROFILE_TARGETS - 1)) != 0
#error "CLRHOST_TASK_PROFILE_TARGETS must be a power of two from 8 to 65536"
#endif
#elif defined(CLRHOST_TASK_PROFILE_TARGETS)
#error "CLRHOST_TASK_PROFILE_TARGETS sizes the profile, which CLRHOST_TASK_NO_PROFILE leaves out"
#endif

/* REFIID is a reference in C++ and a pointer in C. */
#ifdef __cplusplus
#define CLRHOST__IID_PTR(riid) (&(riid))
#else
#define CLRHOST__IID_PTR(riid) (riid)
#endif

/* Rare paths (errors, adoption, freeing, repairs) stay out of line, so the
   hot paths need no registers saved for them. bench/hot_path_locks.sh
   reads this mark too: a function declared CLRHOST__COLD is left out of
   its no-locked-instruction check, so mark only what is rare. */
#if defined(__GNUC__) || defined(__clang__)
#define CLRHOST__COLD __attribute__((noinline, cold))
#define CLRHOST__NOINLINE __attribute__((noinline))
#elif defined(_MSC_VER)
#define CLRHOST__COLD __declspec(noinline)
#define CLRHOST__NOINLINE __declspec(noinline)
#else
#define CLRHOST__COLD
#define CLRHOST__NOINLINE
#endif

/* The small steps of the hot paths, always inline (C89 has no inline). */
#if defined(__GNUC__) || defined(__clang__)
#define CLRHOST__INLINE static __inline__ __attribute__((always_inline))
#elif defined(_MSC_VER)
#define CLRHOST__INLINE static __forceinline
#else
#define CLRHOST__INLINE static
#endif

#define CLRHOST__CONTAINER(ptr, type, member) ((type *)(void *)((char *)(ptr) - offsetof(type, member)))
#define CLRHOST__STATIC_CHECK(name, cond) typedef char clrhost__check_##name[(cond) ? 1 : -1]

/* ------------------------------------------------------------------------
   >>abi  Our own vtable types, in mscoree.idl's slot order, so that the
   implementation never depends on which mscoree.h (if any) is present or
   on C++ mode; the IIDs.
   ------------------------------------------------------------------------ */

typedef struct clrhost__IUnknown clrhost__IUnknown;
typedef struct clrhost__ICLRTask clrhost__ICLRTask;
typedef struct clrhost__ICLRTaskManager clrhost__ICLRTaskManager;
typedef struct clrhost__IHostTask clrhost__IHostTask;
typedef struct clrhost__IHostTaskManager clrhost__IHostTaskManager;
typedef struct clrhost__IHostControl clrhost__IHostControl;

typedef struct clrhost__IUnknownVtbl {
    HRESULT (STDMETHODCALLTYPE *QueryInterface)(clrhost__IUnknown *This, REFIID riid, void **ppvObject);
    ULONG (STDMETHODCALLTYPE *AddRef)(clrhost__IUnknown *This);
    ULONG (STDMETHODCALLTYPE *Release)(clrhost__IUnknown *This);
} clrhost__IUnknownVtbl;
struct clrhost__IUnknown { const clrhost__IUnknownVtbl *lpVtbl; };

typedef struct clrhost__ICLRTaskVtbl {
    HRESULT (STDMETHODCALLTYPE *QueryInterface)(clrhost__ICLRTask *This, REFIID riid, void **ppvObject);
    ULONG (STDMETHODCALLTYPE *AddRef)(clrhost__ICLRTask *This);
    ULONG (STDMETHODCALLTYPE *Release)(clrhost__ICLRTask *This);
    HRESULT (STDMETHODCALLTYPE *SwitchIn)(clrhost__ICLRTask *This, HANDLE threadHandle);
    HRESULT (STDMETHODCALLTYPE *SwitchOut)(clrhost__ICLRTask *This);
    HRESULT (STDMETHODCALLTYPE *GetMemStats)(clrhost__ICLRTask *This, void *memUsage);
    HRESULT (STDMETHODCALLTYPE *Reset)(clrhost__ICLRTask *This, BOOL fFull);
    HRESULT (STDMETHODCALLTYPE *ExitTask)(clrhost__ICLRTask *This);
    HRESULT (STDMETHODCALLTYPE *Abort)(clrhost__ICLRTask *This);
    HRESULT (STDMETHODCALLTYPE *RudeAbort)(clrhost__ICLRTask *This);
    HRESULT (STDMETHODCALLTYPE *NeedsPriorityScheduling)(clrhost__ICLRTask *This, BOOL *pbNeedsPriorityScheduling);
    HRESULT (STDMETHODCALLTYPE *YieldTask)(clrhost__ICLRTask *This);
    HRESULT (STDMETHODCALLTYPE *LocksHeld)(clrhost__ICLRTask *This, SIZE_T *pLockCount);
    HRESULT (STDMETHODCALLTYPE *SetTaskIdentifier)(clrhost__ICLRTask *This, ULONGLONG asked);
} clrhost__ICLRTaskVtbl;
struct clrhost__ICLRTask { const clrhost__ICLRTaskVtbl *lpVtbl; };

typedef struct clrhost__ICLRTaskManagerVtbl {
    HRESULT (STDMETHODCALLTYPE *QueryInterface)(clrhost__ICLRTaskManager *This, REFIID riid, void **ppvObject);
    ULONG (STDMETHODCALLTYPE *AddRef)(clrhost__ICLRTaskManager *This);
    ULONG (STDMETHODCALLTYPE *Release)(clrhost__ICLRTaskManager *This);
    HRESULT (STDMETHODCALLTYPE *CreateTask)(clrhost__ICLRTaskManager *This, clrhost__ICLRTask **pTask);
    HRESULT (STDMETHODCALLTYPE *GetCurrentTask)(clrhost__ICLRTaskManager *This, clrhost__ICLRTask **pTask);
    HRESULT (STDMETHODCALLTYPE *SetUILocale)(clrhost__ICLRTaskManager *This, LCID lcid);
    HRESULT (STDMETHODCALLTYPE *SetLocale)(clrhost__ICLRTaskManager *This, LCID lcid);
    HRESULT (STDMETHODCALLTYPE *GetCurrentTaskType)(clrhost__ICLRTaskManager *This, int *pTaskType);
} clrhost__ICLRTaskManagerVtbl;
struct clrhost__ICLRTaskManager { const clrhost__ICLRTaskManagerVtbl *lpVtbl; };

/* ETaskType, as ICLRTaskManager::GetCurrentTaskType answers (mscoree.idl). */
#define CLRHOST__TT_DEBUGGERHELPER 0x1
#define CLRHOST__TT_GC 0x2
#define CLRHOST__TT_FINALIZER 0x4
#define CLRHOST__TT_THREADPOOL_TIMER 0x8
#define CLRHOST__TT_THREADPOOL_GATE 0x10
#define CLRHOST__TT_THREADPOOL_WORKER 0x20
#define CLRHOST__TT_THREADPOOL_IOCOMPLETION 0x40
#define CLRHOST__TT_ADUNLOAD 0x80
#define CLRHOST__TT_USER 0x100
#define CLRHOST__TT_THREADPOOL_WAIT 0x200
#define CLRHOST__TT_UNKNOWN (-0x7FFFFFFF - 1) /* 0x80000000 */

/* COR_GC_THREAD_STATS, what ICLRTask::GetMemStats fills (gchost.idl). */
typedef struct clrhost__gc_thread_stats {
    ULONGLONG PerThreadAllocation;
    ULONG Flags;
} clrhost__gc_thread_stats;

typedef struct clrhost__IHostTaskVtbl {
    HRESULT (STDMETHODCALLTYPE *QueryInterface)(clrhost__IHostTask *This, REFIID riid, void **ppvObject);
    ULONG (STDMETHODCALLTYPE *AddRef)(clrhost__IHostTask *This);
    ULONG (STDMETHODCALLTYPE *Release)(clrhost__IHostTask *This);
    HRESULT (STDMETHODCALLTYPE *Start)(clrhost__IHostTask *This);
    HRESULT (STDMETHODCALLTYPE *Alert)(clrhost__IHostTask *This);
    HRESULT (STDMETHODCALLTYPE *Join)(clrhost__IHostTask *This, DWORD dwMilliseconds, DWORD option);
    HRESULT (STDMETHODCALLTYPE *SetPriority)(clrhost__IHostTask *This, int newPriority);
    HRESULT (STDMETHODCALLTYPE *GetPriority)(clrhost__IHostTask *This, int *pPriority);
    HRESULT (STDMETHODCALLTYPE *SetCLRTask)(clrhost__IHostTask *This, clrhost__ICLRTask *pCLRTask);
} clrhost__IHostTaskVtbl;
struct clrhost__IHostTask { const clrhost__IHostTaskVtbl *lpVtbl; };

typedef struct clrhost__IHostTaskManagerVtbl {
    HRESULT (STDMETHODCALLTYPE *QueryInterface)(clrhost__IHostTaskManager *This, REFIID riid, void **ppvObject);
    ULONG (STDMETHODCALLTYPE *AddRef)(clrhost__IHostTaskManager *This);
    ULONG (STDMETHODCALLTYPE *Release)(clrhost__IHostTaskManager *This);
    HRESULT (STDMETHODCALLTYPE *GetCurrentTask)(clrhost__IHostTaskManager *This, clrhost__IHostTask **pTask);
    HRESULT (STDMETHODCALLTYPE *CreateTask)(clrhost__IHostTaskManager *This, DWORD dwStackSize, LPTHREAD_START_ROUTINE pStartAddress, PVOID pParameter, clrhost__IHostTask **ppTask);
    HRESULT (STDMETHODCALLTYPE *Sleep)(clrhost__IHostTaskManager *This, DWORD dwMilliseconds, DWORD option);
    HRESULT (STDMETHODCALLTYPE *SwitchToTask)(clrhost__IHostTaskManager *This, DWORD option);
    HRESULT (STDMETHODCALLTYPE *SetUILocale)(clrhost__IHostTaskManager *This, LCID lcid);
    HRESULT (STDMETHODCALLTYPE *SetLocale)(clrhost__IHostTaskManager *This, LCID lcid);
    HRESULT (STDMETHODCALLTYPE *CallNeedsHostHook)(clrhost__IHostTaskManager *This, SIZE_T target, BOOL *pbCallNeedsHostHook);
    HRESULT (STDMETHODCALLTYPE *LeaveRuntime)(clrhost__IHostTaskManager *This, SIZE_T target);
    HRESULT (STDMETHODCALLTYPE *EnterRuntime)(clrhost__IHostTaskManager *This);
    HRESULT (STDMETHODCALLTYPE *ReverseLeaveRuntime)(clrhost__IHostTaskManager *This);
    HRESULT (STDMETHODCALLTYPE *ReverseEnterRuntime)(clrhost__IHostTaskManager *This);
    HRESULT (STDMETHODCALLTYPE *BeginDelayAbort)(clrhost__IHostTaskManager *This);
    HRESULT (STDMETHODCALLTYPE *EndDelayAbort)(clrhost__IHostTaskManager *This);
    HRESULT (STDMETHODCALLTYPE *BeginThreadAffinity)(clrhost__IHostTaskManager *This);
    HRESULT (STDMETHODCALLTYPE *EndThreadAffinity)(clrhost__IHostTaskManager *This);
    HRESULT (STDMETHODCALLTYPE *SetStackGuarantee)(clrhost__IHostTaskManager *This, ULONG guarantee);
    HRESULT (STDMETHODCALLTYPE *GetStackGuarantee)(clrhost__IHostTaskManager *This, ULONG *pGuarantee);
    HRESULT (STDMETHODCALLTYPE *SetCLRTaskManager)(clrhost__IHostTaskManager *This, clrhost__ICLRTaskManager *pManager);
} clrhost__IHostTaskManagerVtbl;
struct clrhost__IHostTaskManager { const clrhost__IHostTaskManagerVtbl *lpVtbl; };

typedef struct clrhost__IHostControlVtbl {
    HRESULT (STDMETHODCALLTYPE *QueryInterface)(clrhost__IHostControl *This, REFIID riid, void **ppvObject);
    ULONG (STDMETHODCALLTYPE *AddRef)(clrhost__IHostControl *This);
    ULONG (STDMETHODCALLTYPE *Release)(clrhost__IHostControl *This);
    HRESULT (STDMETHODCALLTYPE *GetHostManager)(clrhost__IHostControl *This, REFIID riid, void **ppObject);
    HRESULT (STDMETHODCALLTYPE *SetAppDomainManager)(clrhost__IHostControl *This, DWORD dwAppDomainID, clrhost__IUnknown *pUnkAppDomainManager);
} clrhost__IHostControlVtbl;
struct clrhost__IHostControl { const clrhost__IHostControlVtbl *lpVtbl; };

/* The slots as mscoree.idl orders them: each vtable's size, and every
   method's offset. */
#define CLRHOST__SLOT_SIZE sizeof(void (*)(void))
#define CLRHOST__SLOT(itf, method, n) \
    CLRHOST__STATIC_CHECK(itf##_##method, offsetof(clrhost__##itf##Vtbl, method) == (n) * CLRHOST__SLOT_SIZE)
CLRHOST__STATIC_CHECK(ICLRTask_slots, sizeof(clrhost__ICLRTaskVtbl) == 14 * CLRHOST__SLOT_SIZE);
CLRHOST__STATIC_CHECK(ICLRTaskManager_slots, sizeof(clrhost__ICLRTaskManagerVtbl) == 8 * CLRHOST__SLOT_SIZE);
CLRHOST__STATIC_CHECK(IHostTask_slots, sizeof(clrhost__IHostTaskVtbl) == 9 * CLRHOST__SLOT_SIZE);
CLRHOST__STATIC_CHECK(IHostTaskManager_slots, sizeof(clrhost__IHostTaskManagerVtbl) == 21 * CLRHOST__SLOT_SIZE);
CLRHOST__STATIC_CHECK(IHostControl_slots, sizeof(clrhost__IHostControlVtbl) == 5 * CLRHOST__SLOT_SIZE);
CLRHOST__SLOT(IUnknown, QueryInterface, 0);
CLRHOST__SLOT(IUnknown, AddRef, 1);
CLRHOST__SLOT(IUnknown, Release, 2);
CLRHOST__SLOT(ICLRTask, SwitchIn, 3);
CLRHOST__SLOT(ICLRTask, SwitchOut, 4);
CLRHOST__SLOT(ICLRTask, GetMemStats, 5);
CLRHOST__SLOT(ICLRTask, Reset, 6);
CLRHOST__SLOT(ICLRTask, ExitTask, 7);
CLRHOST__SLOT(ICLRTask, Abort, 8);
CLRHOST__SLOT(ICLRTask, RudeAbort, 9);
CLRHOST__SLOT(ICLRTask, NeedsPriorityScheduling, 10);
CLRHOST__SLOT(ICLRTask, YieldTask, 11);
CLRHOST__SLOT(ICLRTask, LocksHeld, 12);
CLRHOST__SLOT(ICLRTask, SetTaskIdentifier, 13);
CLRHOST__SLOT(ICLRTaskManager, CreateTask, 3);
CLRHOST__SLOT(ICLRTaskManager, GetCurrentTask, 4);
CLRHOST__SLOT(ICLRTaskManager, SetUILocale, 5);
CLRHOST__SLOT(ICLRTaskManager, SetLocale, 6);
CLRHOST__SLOT(ICLRTaskManager, GetCurrentTaskType, 7);
CLRHOST__SLOT(IHostTask, Start, 3);
CLRHOST__SLOT(IHostTask, Alert, 4);
CLRHOST__SLOT(IHostTask, Join, 5);
CLRHOST__SLOT(IHostTask, SetPriority, 6);
CLRHOST__SLOT(IHostTask, GetPriority, 7);
CLRHOST__SLOT(IHostTask, SetCLRTask, 8);
CLRHOST__SLOT(IHostTaskManager, GetCurrentTask, 3);
CLRHOST__SLOT(IHostTaskManager, CreateTask, 4);
CLRHOST__SLOT(IHostTaskManager, Sleep, 5);
CLRHOST__SLOT(IHostTaskManager, SwitchToTask, 6);
CLRHOST__SLOT(IHostTaskManager, SetUILocale, 7);
CLRHOST__SLOT(IHostTaskManager, SetLocale, 8);
CLRHOST__SLOT(IHostTaskManager, CallNeedsHostHook, 9);
CLRHOST__SLOT(IHostTaskManager, LeaveRuntime, 10);
CLRHOST__SLOT(IHostTaskManager, EnterRuntime, 11);
CLRHOST__SLOT(IHostTaskManager, ReverseLeaveRuntime, 12);
CLRHOST__SLOT(IHostTaskManager, ReverseEnterRuntime, 13);
CLRHOST__SLOT(IHostTaskManager, BeginDelayAbort, 14);
CLRHOST__SLOT(IHostTaskManager, EndDelayAbort, 15);
CLRHOST__SLOT(IHostTaskManager, BeginThreadAffinity, 16);
CLRHOST__SLOT(IHostTaskManager, EndThreadAffinity, 17);
CLRHOST__SLOT(IHostTaskManager, SetStackGuarantee, 18);
CLRHOST__SLOT(IHostTaskManager, GetStackGuarantee, 19);
CLRHOST__SLOT(IHostTaskManager, SetCLRTaskManager, 20);
CLRHOST__SLOT(IHostControl, GetHostManager, 3);
CLRHOST__SLOT(IHostControl, SetAppDomainManager, 4);

/* IIDs from mscoree.idl. Private copies: no
   DEFINE_GUID, no uuid.lib, no clash with the SDK's IID_ symbols. */
static const GUID clrhost__IID_IUnknown =
    {0x00000000, 0x0000, 0x0000, {0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46}};
static const GUID clrhost__IID_IHostTaskManager =
    {0x997FF24C, 0x43B7, 0x4352, {0x86, 0x67, 0x0D, 0xC0, 0x4F, 0xAF, 0xD3, 0x54}};
static const GUID clrhost__IID_IHostTask =
    {0xC2275828, 0xC4B1, 0x4B55, {0x82, 0xC9, 0x92, 0x13, 0x5F, 0x74, 0xDF, 0x1A}};
static const GUID clrhost__IID_IHostControl =
    {0x02CA073C, 0x7079, 0x4860, {0x88, 0x0A, 0xC2, 0xF7, 0xA4, 0x49, 0xC9, 0x91}};
/* Only to keep an inner control's sync manager from a scheduler (SCHEDULER). */
static const GUID clrhost__IID_IHostSyncManager =
    {0x234330C7, 0x5F10, 0x4F20, {0x96, 0x15, 0x51, 0x22, 0xDA, 0xB7, 0xA0, 0xAC}};

static int clrhost__iid_equal(const GUID *a, const GUID *b)
{
    return memcmp(a, b, sizeof(GUID)) == 0;
}

/* ------------------------------------------------------------------------
   >>structs  The objects: the platform layer's types, the task and its
   frames, the manager (and its module policy's table), the host control.
   All behaviour comes later: the platform layer's functions (platform,
   windows, posix), then what the objects do.
   ------------------------------------------------------------------------ */

/* A name being made for a report (clrhost_task_describe_target): at most
   size - 1 characters are kept in buf, and length counts every character
   appended, kept or not, as snprintf's result does. */
typedef struct clrhost__name {
    char *buf;
    size_t size;
    size_t length;
} clrhost__name;

/* The platform layer's types. */

typedef struct clrhost__allocator { /* no member is called free: CRT debug headers make free a macro */
    void *(*alloc_fn)(void *user, size_t size);
    void (*free_fn)(void *user, void *ptr);
    void *user;
} clrhost__allocator;

#ifdef _WIN32

#include <winternl.h> /* TEB: its TlsSlots and ProcessEnvironmentBlock */

#if defined(_MSC_VER) && !defined(CLRHOST_TASK_NO_USER32)
#pragma comment(lib, "user32.lib") /* MsgWaitForMultipleObjectsEx for WAIT_MSGPUMP */
#endif

typedef struct clrhost__os_thread {
    HANDLE handle; /* a real handle, also for adopted threads */
} clrhost__os_thread;

typedef SRWLOCK clrhost__os_mutex;
typedef CONDITION_VARIABLE clrhost__os_cond; /* waits with an SRW lock: Vista's, as the lock */

#else /* POSIX threads: the native test layer */

#include <pthread.h>
#include <errno.h>
#include <time.h>
#include <sched.h>
#include <poll.h>
#include <stdio.h>
#include <limits.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/syscall.h>
#endif
#include <dlfcn.h> /* dladdr: the module policy */
#include <link.h>  /* dl_iterate_phdr */
#ifndef CLRHOST_TASK_NO_SCHEDULER
#include <sys/mman.h> /* mprotect: the scheduler's heavy barrier */
#endif

typedef struct clrhost__posix_thread {
    /* all under clrhost__posix_lock */
    int refs; /* the task's and the running thread's */
    int resumed, ended, doorbell;
    int priority;
    void *task;
    clrhost__allocator allocator; /* a copy: the block can outlive its manager */
} clrhost__posix_thread;

typedef struct clrhost__os_thread {
    clrhost__posix_thread *p;
} clrhost__os_thread;

typedef pthread_mutex_t clrhost__os_mutex;
typedef pthread_cond_t clrhost__os_cond; /* on CLOCK_MONOTONIC */
#endif /* the platform layer's types */

/* The task: its states, its frames, the object itself. */

#define CLRHOST__TASK_CREATED 0   /* CreateTask'd, thread suspended */
#define CLRHOST__TASK_RUNNING 1   /* started, or an adopted thread */
#define CLRHOST__TASK_CANCELLED 2 /* released by the CLR without being started */
#define CLRHOST__TASK_ENDED 3

/* Frame kinds. Whether a native frame is one of the OS's blocking waits
   is told by its target when it closes. */
#define CLRHOST__FRAME_NATIVE_CALL 0 /* LeaveRuntime */
#define CLRHOST__FRAME_MANAGED 1     /* ReverseEnterRuntime */

/* What is kept of a frame for timing; its kind lives in managed_bits. */
typedef struct clrhost__frame {
    ULONGLONG start;  /* clock ticks when it opened */
    ULONGLONG nested; /* ticks spent in frames opened inside it */
    ULONGLONG span;   /* once closed: ticks from its open to its close */
#ifdef CLRHOST_TASK_NO_TASK_VIEW
    SIZE_T target; /* a native call's; with the live view, the view keeps it per position */
#endif
} clrhost__frame;

#ifndef CLRHOST_TASK_NO_PROFILE
/* The per-target profile (see PROFILE in the manual): a table of lines,
   one per native target, open-addressed (a target is found within
   CLRHOST__PROFILE_PROBES lines of its hash, or goes to `other`). A task's
   own is written only by its thread, without locks (a line's target once,
   before its counts); other threads read it with plain loads. The
   manager's, of ended tasks, is written and read under its lock. Lines
   are made, never removed: a table holds at most as many targets as it
   has lines. */
#define CLRHOST__PROFILE_PROBES 8

typedef struct clrhost__profile_line {
    volatile SIZE_T target; /* 0: a free line */
    LONG wait;              /* the target is one of the CLR's blocking waits */
    ULONGLONG calls, ticks, max_ticks;
} clrhost__profile_line;

typedef struct clrhost__profile {
    SIZE_T mask;                    /* lines - 1 */
    clrhost__profile_line other[2]; /* the calls to targets that found no line: [1] the waits */
    clrhost__profile_line line[1];  /* mask + 1 of them */
} clrhost__profile;

/* The profile's state (its code: profile), one member of the task and one
   of the manager: with CLRHOST_TASK_PROFILE, each task's own table and
   the manager's of ended tasks. */
typedef struct clrhost__profile_task {
    clrhost__profile *lines;    /* allocated with the task */
    clrhost__profile_line *last; /* the line its last native call went to (own thread) */
} clrhost__profile_task;

typedef struct clrhost__profile_manager {
    clrhost__profile *ended; /* ended tasks' lines summed */
} clrhost__profile_manager;
#endif

/* Frames whose kind (native or managed) is kept, one bit each: at least
   1024, enough that closes always find the frame they close (a CLR stack
   would overflow long before), and never fewer than the timed frames, so
   that every timed frame has its kind; deeper, the kind a close names is
   trusted. A multiple of 8: whole bytes. */
#if CLRHOST_TASK_MAX_DEPTH > 1024
#define CLRHOST__KIND_CAPACITY ((CLRHOST_TASK_MAX_DEPTH + 7) / 8 * 8)
#else
#define CLRHOST__KIND_CAPACITY 1024
#endif

#ifndef CLRHOST_TASK_NO_TASK_VIEW
/* The live view's state (its code: task_view), one member of the task:
   for each position value (clrhost__POSITION) up to CLRHOST_TASK_MAX_DEPTH
   frames, the innermost native call's target, written before the
   position that shows it; with timing, since when the task has been
   where it is, under seq; and what the view says besides. */
#define CLRHOST__VIEW_SLOTS (2 * CLRHOST_TASK_MAX_DEPTH + 2)

typedef struct clrhost__view_task {
    SIZE_T targets[CLRHOST__VIEW_SLOTS];
    LONG seq;           /* odd while a timed transition writes since and position */
    LONG waiting;       /* in our Sleep or Join (nested: a Join from an exit callback) */
    ULONGLONG since;    /* clock ticks */
    LONG yield_pending; /* a forced yield asked (clrhost_task_yield), not yet answered by SwitchToTask */
} clrhost__view_task;
#endif

#ifndef CLRHOST_TASK_NO_SCHEDULER
/* The scheduler's state (its code: scheduler), one member of the task and
   one of the manager. A task's is never touched without a scheduler. */
typedef struct clrhost__sched_task {
    LONG on;               /* it is scheduled: written by its own thread only */
    LONG slot;             /* the slot it holds, lent or not; -1: none. Written under
                              sched.lock: by the task, by a task that hands it one while it
                              waits, or by one that took it while it was lent */
    LONG out;              /* 1 while its slot is lent (it runs no managed code): its own
                              thread's plain stores, and the lock's grants */
    LONG taken;            /* under the lock: a task takes its lent slot (see "lent slots") */
    LONG over;             /* it runs managed code over the cap, with no slot; under the lock */
    LONG queued;           /* waiting in the queue; under the lock */
    int fresh;             /* its own thread's: SetCLRTask gave it its turn, and the CLR's
                              SwitchToTask(0) right after it is no back-off */
    clrhost_task *next;    /* the queue's link, under the lock */
    ULONGLONG mark;        /* with timing: when its current stretch of managed code began */
    ULONGLONG lent_seen;   /* under the lock: 1 + its epoch when a task needing a slot saw it
                              lent (see clrhost__sched_take_lent); 0: not seen */
    ULONGLONG seen_epoch, seen_at; /* the quantum's monitor's own */
    int yield_asked;       /* the monitor's own: it asked this stretch to yield */
    clrhost__os_cond wake; /* signalled when it is handed a slot */
} clrhost__sched_task;

/* The manager's: configuration, then the slots and their FIFO queue under
   its lock, then the quantum's monitor. */
typedef struct clrhost__sched_manager {
    unsigned slots;        /* 0: no scheduler */
    unsigned kinds;        /* CLRHOST_TASK_KIND_BIT of each kind scheduled */
    int foreign;
    ULONGLONG quantum;     /* clock ticks; 0: no monitor */
    unsigned quantum_ms;
    clrhost__os_mutex lock;
    clrhost_task **holder; /* [slots]: who holds each slot, lent or not; then the free slots */
    LONG *free_slots;      /* [slots], free_count of them in use */
    unsigned free_count;
    clrhost_task *head, *tail; /* the queue of tasks waiting for a slot */
    LONG waiters;          /* its length, also read without the lock (relaxed): every
                              task going out reads it */
    LONG over;             /* tasks over the cap now; read without the lock by the monitor */
    clrhost__os_cond monitor_wake, monitor_gone;
    int monitor_stop, monitor_done; /* under the lock */
    DWORD monitor_thread;
} clrhost__sched_manager;
#endif

struct clrhost_task {
    clrhost__IHostTask iface; /* first: IHostTask * and clrhost_task * share an address */
    LONG shared_refs;   /* atomic; carries CLRHOST__OWNER_BIAS while a thread owns the task */
    LONG owner_refs;    /* written only by the owning thread (see clrhost__task_addref) */
    LONG state;         /* CLRHOST__TASK_* */
    LONG alert_pending; /* set by Alert, consumed by an alertable Sleep or Join */
    LONG thread_id;     /* a DWORD, stored as LONG for atomic access */
    clrhost_task_manager *manager; /* holds a reference */
    clrhost__os_thread thread;
    LPTHREAD_START_ROUTINE start; /* created tasks */
    PVOID parameter;
    void *volatile clr_task; /* clrhost__ICLRTask *, AddRef'd; set and taken under clr_lock */
    clrhost__os_mutex clr_lock; /* clr_task, clr_calls, clr_closed: see TASK CONTROLS */
    LONG clr_calls;             /* host calls on clr_task under way (clrhost__clr_begin) */
    int clr_closed;             /* ExitTask has begun: no more calls */
    LONG clr_type;              /* the ETaskType the CLR gave; written by the own thread */
    LONG affinity;              /* BeginThreadAffinity nesting; written by the own thread */
    void *user;
    int adopted;
    int delay_abort;              /* own thread only */
    LONG off_scheduler;           /* LeaveRuntime(0) came; written by the own thread */
    int counted_out;              /* under clr_lock: its counters went into the manager's
                                     ended totals; an Alert counts there from now */
    clrhost_task *thread_next;    /* the thread's task for another manager; own thread only */
    clrhost_task *live_prev, *live_next; /* the manager's registry, under manager->lock */
    /* Transition state, written only by the task's own thread; other threads
       read position and counts with relaxed loads. */
    LONG position; /* depth << 1 | 1 while the innermost frame is native */
    clrhost_task_counters counts; /* the two times are kept in clock ticks */
    unsigned char managed_bits[CLRHOST__KIND_CAPACITY / 8]; /* bit d: frame d is managed */
    clrhost__frame frames[CLRHOST_TASK_MAX_DEPTH];          /* timing of the innermost ones */
#ifndef CLRHOST_TASK_NO_TASK_VIEW
    clrhost__view_task view;
#endif
    int closing;     /* 1 + the kind of the frame whose closing hook runs; 0: none (own thread) */
#ifndef CLRHOST_TASK_NO_PROFILE
    clrhost__profile_task profile; /* CLRHOST_TASK_PROFILE's */
#endif
#ifndef CLRHOST_TASK_NO_SCHEDULER
    clrhost__sched_task sched; /* the scheduler's; never touched without one */
#endif
};

/* The manager, and the module policy's table it holds. */

/* The module policy's answers, one per target asked about, in an open-
   addressing table that readers probe without a lock: a target is found
   within CLRHOST__ANSWER_PROBES slots of its hash or not at all. Writers
   (the first ask for a target, or one whose answer went stale) hold
   answers_lock; a full table is replaced by one twice its size, and the
   old one is kept until the manager goes, as a reader may still be in it.
   A stamp says under which modules generation (clrhost__os_modules_
   generation) the answer was taken: a changed generation makes every
   answer stale, so answers follow what is loaded now. */
#define CLRHOST__ANSWER_PROBES 8
#define CLRHOST__ANSWER_FIRST_SLOTS 64
#define CLRHOST__ANSWER_MAX_SLOTS ((SIZE_T)1 << 20) /* past that, new targets are not cached */

typedef struct clrhost__answer {
    volatile SIZE_T target; /* 0: a free slot; set once */
    volatile LONG stamp;    /* clrhost__answer_stamp(generation, hooked) */
} clrhost__answer;

typedef struct clrhost__answer_table {
    struct clrhost__answer_table *older; /* the one it replaced */
    SIZE_T mask;                         /* slots - 1 */
    SIZE_T used;
    clrhost__answer slot[1];             /* mask + 1 of them */
} clrhost__answer_table;

#define CLRHOST__POLICY_CONSTANT 0  /* the default policy, and HOOK_ALL_CALLS */
#define CLRHOST__POLICY_MODULES 1   /* hook_modules */
#define CLRHOST__POLICY_PREDICATE 2 /* hooks.needs_hook */

#define CLRHOST__MAX_BLOCKING_TARGETS 16
#define CLRHOST__WAIT_LINES 64 /* a power of two, and 4 times the most targets: most lines stay free */

struct clrhost_task_manager {
    clrhost__IHostTaskManager iface; /* first */
    LONG ref;
    /* configuration, fixed at creation */
    clrhost_task_hooks hooks;
    unsigned flags;
    int policy;           /* CLRHOST__POLICY_*: how CallNeedsHostHook answers */
    BOOL constant_answer; /* for CLRHOST__POLICY_CONSTANT */
    BOOL (*admit_thread)(void *user, DWORD thread_id);
    void (*log_fn)(void *user, clrhost_task_log_level level, clrhost_task *task, const char *message);
    clrhost__allocator allocator;
    ULONGLONG tick_frequency; /* of the clock timing reads (clrhost__ticks) */
    int tsc;                  /* it is the processor's time-stamp counter */
    char **module_names; /* one allocation: the pointers, then the strings */
    unsigned module_count;
    SIZE_T waits[CLRHOST__WAIT_LINES]; /* the CLR's blocking waits' targets, hashed (clrhost__is_wait) */
    void *volatile answers;          /* clrhost__answer_table *: the module policy's */
    clrhost__os_mutex answers_lock;  /* for writers of answers */
    void *volatile clr_task_manager; /* clrhost__ICLRTaskManager *, AddRef'd */
    /* registry and totals, under lock */
    clrhost__os_mutex lock;
    clrhost_task *live;
    ULONGLONG created, adopted, live_count, ended;
    clrhost_task_kind_stats ended_by_kind[CLRHOST_TASK_KIND_COUNT]; /* counters in clock ticks */
    ULONGLONG late_alerts[CLRHOST_TASK_KIND_COUNT]; /* Alerts on tasks counted out already */
#ifndef CLRHOST_TASK_NO_PROFILE
    clrhost__profile_manager profile; /* CLRHOST_TASK_PROFILE's */
#endif
#ifndef CLRHOST_TASK_NO_SCHEDULER
    clrhost__sched_manager sched; /* schedule.slots > 0 */
#endif
    LONG memory_refs;            /* the manager's block: 1, plus 1 while the monitor runs */
    /* rare events, updated with locked adds */
    ULONGLONG refused;
    ULONGLONG freed;
    clrhost_task_counters taskless; /* calls on threads that have no task */
};

typedef struct clrhost__host_control {
    clrhost__IHostControl iface; /* first */
    LONG ref;
    clrhost_task_manager *manager;  /* holds a reference */
    clrhost__IHostControl *inner;   /* the host's own, AddRef'd, or NULL */
} clrhost__host_control;

/* ------------------------------------------------------------------------
   >>points  Where the core calls its features: the scheduler, the
   profile and the live view are each one block (scheduler, profile,
   task_view) that the core meets only here, by these names, at a task
   made and freed, a manager made and ended, a frame pushed and closed,
   SetCLRTask, a wait, a task's end, and the statistics and view. A block
   compiled out (CLRHOST_TASK_NO_SCHEDULER, _NO_PROFILE, _NO_TASK_VIEW)
   leaves its points empty or constant (never the whole of a condition:
   one a point would make constant is a function), and its public
   functions answering E_NOTIMPL (the block's #else).
   ------------------------------------------------------------------------ */

#if defined(CLRHOST_TASK_NO_SCHEDULER) || defined(CLRHOST_TASK_NO_PROFILE)
/* A configuration asks for a feature this build left out: E_INVALIDARG,
   and why, to the configuration's log_fn (there is no manager yet). */
static CLRHOST__COLD HRESULT clrhost__missing_feature(const clrhost_task_config *config, const char *message)
{
    if (config->log_fn)
        config->log_fn(config->hooks.user, CLRHOST_TASK_LOG_ERROR, NULL, message);
    return E_INVALIDARG;
}
#endif

#ifndef CLRHOST_TASK_NO_SCHEDULER
#define clrhost__sched_on(m) ((m)->sched.slots != 0)
static HRESULT clrhost__sched_config_check(const clrhost_task_config *config);
static void clrhost__sched_configure(clrhost_task_manager *m, const clrhost_task_schedule *s);
static HRESULT clrhost__sched_manager_made(clrhost_task_manager *m);
static void clrhost__sched_manager_ended(clrhost_task_manager *m);
static void clrhost__sched_manager_freed(clrhost_task_manager *m);
static void clrhost__sched_task_made(clrhost_task *t);
static void clrhost__sched_task_freed(clrhost_task *t);
static void clrhost__sched_join(clrhost_task_manager *m, clrhost_task *t);     /* SetCLRTask */
static void clrhost__sched_retire(clrhost_task_manager *m, clrhost_task *t);   /* the task's end */
static int clrhost__sched_pause(clrhost_task_manager *m, clrhost_task *t);     /* a wait begins */
static void clrhost__sched_resume(clrhost_task_manager *m, clrhost_task *t, int paused); /* and ends */
static int clrhost__sched_choose_vtable(clrhost_task_manager *m); /* 1: it took its own */
static int clrhost__sched_drops_manager(clrhost_task_manager *m, const GUID *iid, void **object);
static void clrhost__sched_stats(clrhost_task_manager *m, clrhost_task_manager_stats *out);
static void clrhost__sched_view(const clrhost_task *t, clrhost_task_view *out);
static void clrhost__sched_monitor(void *manager); /* the platform layer's monitor thread runs it */
#else
#define clrhost__sched_on(m) 0
#define clrhost__sched_config_check(config) \
    ((config)->schedule.slots ? clrhost__missing_feature((config), "schedule.slots asks for the scheduler, " \
                                                         "which this build leaves out (CLRHOST_TASK_NO_SCHEDULER)") \
                              : S_OK)
#define clrhost__sched_configure(m, s) ((void)0)
#define clrhost__sched_manager_made(m) S_OK
#define clrhost__sched_manager_ended(m) ((void)0)
#define clrhost__sched_manager_freed(m) ((void)0)
#define clrhost__sched_task_made(t) ((void)0)
#define clrhost__sched_task_freed(t) ((void)0)
#define clrhost__sched_join(m, t) ((void)0)
#define clrhost__sched_retire(m, t) ((void)0)
#define clrhost__sched_pause(m, t) 0
#define clrhost__sched_resume(m, t, paused) ((void)(paused))
#define clrhost__sched_choose_vtable(m) 0
#define clrhost__sched_drops_manager(m, iid, object) 0
#define clrhost__sched_stats(m, out) ((void)0)
#define clrhost__sched_view(t, out) ((out)->slot = -1)
#endif

#ifndef CLRHOST_TASK_NO_PROFILE
#define clrhost__profile_on(t) ((t)->profile.lines != NULL)
#define clrhost__profile_config_check(config) S_OK /* every configuration can have it */
static HRESULT clrhost__profile_manager_made(clrhost_task_manager *m);
static void clrhost__profile_manager_ended(clrhost_task_manager *m);
static int clrhost__profile_task_made(clrhost_task *t, const clrhost_task_manager *m);
static void clrhost__profile_task_freed(clrhost_task *t);
static int clrhost__profile_book(clrhost_task *t, SIZE_T target, ULONGLONG ticks); /* a native frame closed */
static void clrhost__profile_task_ends(clrhost_task_manager *m, const clrhost_task *t);
#else
#define clrhost__profile_on(t) 0
#define clrhost__profile_config_check(config) \
    (((config)->flags & CLRHOST_TASK_PROFILE) ? clrhost__missing_feature((config), "CLRHOST_TASK_PROFILE asks " \
                                                "for the profile, which this build leaves out (CLRHOST_TASK_NO_PROFILE)") \
                                              : S_OK)
#define clrhost__profile_manager_made(m) S_OK
#define clrhost__profile_manager_ended(m) ((void)0)
static int clrhost__profile_task_made(clrhost_task *t, const clrhost_task_manager *m)
{
    (void)t;
    (void)m;
    return 1;
}
#define clrhost__profile_task_freed(t) ((void)0)
#define clrhost__profile_book(t, target, ticks) 0
#define clrhost__profile_task_ends(m, t) ((void)0)
#endif

#ifndef CLRHOST_TASK_NO_TASK_VIEW
CLRHOST__INLINE void clrhost__view_target(clrhost_task *t, LONG from, LONG to, int kind, SIZE_T target); /* pushed */
CLRHOST__INLINE SIZE_T clrhost__view_frame_target(const clrhost_task *t, LONG d);
CLRHOST__INLINE void clrhost__view_move(clrhost_task *t, LONG to, ULONGLONG now); /* timed: pushed or closed */
CLRHOST__INLINE ULONGLONG clrhost__view_since(const clrhost_task *t);
static void clrhost__view_task_begins(const clrhost_task_manager *m, clrhost_task *t);
static void clrhost__view_waits(clrhost_task *t, LONG delta);
CLRHOST__INLINE void clrhost__view_yield_taken(clrhost_task *t);
#else
/* Without the view, a frame keeps its native call's target itself, for
   timing and clrhost_task_closing_frame. */
#define clrhost__view_target(t, from, to, kind, target) \
    ((kind) == CLRHOST__FRAME_MANAGED ? (void)0 : (void)((t)->frames[(from) >> 1].target = (target)))
#define clrhost__view_frame_target(t, d) ((t)->frames[d].target)
#define clrhost__view_move(t, to, now) ((void)(now), clrhost__atomic_store(&(t)->position, (to)))
#define clrhost__view_task_begins(m, t) ((void)0)
#define clrhost__view_waits(t, delta) ((void)0)
#define clrhost__view_yield_taken(t) ((void)0)
#endif

/* ------------------------------------------------------------------------
   >>atomics  Atomics (by compiler). Refcounts and flags are LONG; per-task
   counters are 64-bit and written only by their own thread, with plain (never
   locked) loads and stores so that readers on other threads see whole
   values. Counter stores are release stores and counter loads acquire
   loads (on x86 and x64 both are plain moves): a reader that sees a count
   also sees every count its thread made before it, which is what makes a
   snapshot show no close without its open (clrhost__counters_add).
   ------------------------------------------------------------------------ */

#if defined(__GNUC__) || defined(__clang__)

static LONG clrhost__atomic_inc(LONG volatile *p) { return __atomic_add_fetch(p, 1, __ATOMIC_ACQ_REL); }
static LONG clrhost__atomic_dec(LONG volatile *p) { return __atomic_sub_fetch(p, 1, __ATOMIC_ACQ_REL); }
static LONG clrhost__atomic_add(LONG volatile *p, LONG v) { return __atomic_add_fetch(p, v, __ATOMIC_ACQ_REL); }
static LONG clrhost__atomic_xchg(LONG volatile *p, LONG v) { return __atomic_exchange_n(p, v, __ATOMIC_ACQ_REL); }
static LONG clrhost__atomic_cas(LONG volatile *p, LONG expected, LONG desired)
{
    __atomic_compare_exchange_n(p, &expected, desired, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
    return expected; /* the value found */
}
static LONG clrhost__atomic_load(const LONG volatile *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
static void clrhost__atomic_store(LONG volatile *p, LONG v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }
static LONG clrhost__relaxed_load(const LONG volatile *p) { return __atomic_load_n(p, __ATOMIC_RELAXED); }
static void clrhost__relaxed_store(LONG volatile *p, LONG v) { __atomic_store_n(p, v, __ATOMIC_RELAXED); }
static void *clrhost__atomic_xchg_ptr(void *volatile *p, void *v) { return __atomic_exchange_n(p, v, __ATOMIC_ACQ_REL); }
static SIZE_T clrhost__load_size(const volatile SIZE_T *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
static void clrhost__store_size(volatile SIZE_T *p, SIZE_T v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }
static void *clrhost__load_ptr(void *const volatile *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
static void clrhost__store_ptr(void *volatile *p, void *v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }
static ULONGLONG clrhost__load64(const volatile ULONGLONG *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
static void clrhost__store64(volatile ULONGLONG *p, ULONGLONG v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }
static void clrhost__atomic_add64(volatile ULONGLONG *p, ULONGLONG v) { __atomic_add_fetch(p, v, __ATOMIC_ACQ_REL); }
/* The live view's sequence lock (a writer's stores stay after its release
   fence, a reader's loads before its acquire fence). */
#ifndef CLRHOST_TASK_NO_TASK_VIEW
static void clrhost__fence_release(void) { __atomic_thread_fence(__ATOMIC_RELEASE); }
static void clrhost__fence_acquire(void) { __atomic_thread_fence(__ATOMIC_ACQUIRE); }
#endif
/* Keeps the compiler from moving loads and stores across it; the
   processor's side of a lent slot's store-then-load is the scheduler's
   heavy barrier (see "lent slots"). */
#define clrhost__compiler_barrier() __atomic_signal_fence(__ATOMIC_SEQ_CST)

#elif defined(_MSC_VER)

#include <intrin.h>
#if defined(_M_IX86)
#include <emmintrin.h>
#endif
static LONG clrhost__atomic_inc(LONG volatile *p) { return _InterlockedIncrement(p); }
static LONG clrhost__atomic_dec(LONG volatile *p) { return _InterlockedDecrement(p); }
static LONG clrhost__atomic_add(LONG volatile *p, LONG v) { return _InterlockedExchangeAdd(p, v) + v; }
static LONG clrhost__atomic_xchg(LONG volatile *p, LONG v) { return _InterlockedExchange(p, v); }
static LONG clrhost__atomic_cas(LONG volatile *p, LONG expected, LONG desired) { return _InterlockedCompareExchange(p, desired, expected); }
/* MSVC's default /volatile:ms gives volatile accesses acquire/release
   semantics on x86 and x64, the only targets of the .NET Framework. */
static LONG clrhost__atomic_load(const LONG volatile *p) { return *p; }
static void clrhost__atomic_store(LONG volatile *p, LONG v) { *p = v; }
static LONG clrhost__relaxed_load(const LONG volatile *p) { return *p; }
static void clrhost__relaxed_store(LONG volatile *p, LONG v) { *p = v; }
static void *clrhost__atomic_xchg_ptr(void *volatile *p, void *v) { return _InterlockedExchangePointer(p, v); }
static SIZE_T clrhost__load_size(const volatile SIZE_T *p) { return *p; }
static void clrhost__store_size(volatile SIZE_T *p, SIZE_T v) { *p = v; }
static void *clrhost__load_ptr(void *const volatile *p) { return *p; }
static void clrhost__store_ptr(void *volatile *p, void *v) { *p = v; }
#if defined(_M_IX86)
/* An aligned 8-byte SSE2 access is a single atomic access on x86 (Intel SDM
   vol. 3, 8.1.1), so 64-bit counters never tear and need no lock. x86
   keeps loads and stores in order (8.2.2); the barriers keep the compiler
   from moving them. */
static ULONGLONG clrhost__load64(const volatile ULONGLONG *p)
{
    __m128i v = _mm_loadl_epi64((const __m128i *)(const void *)p);
    ULONGLONG r;
    _ReadWriteBarrier();
    _mm_storel_epi64((__m128i *)(void *)&r, v);
    return r;
}
static void clrhost__store64(volatile ULONGLONG *p, ULONGLONG v)
{
    _ReadWriteBarrier();
    _mm_storel_epi64((__m128i *)(void *)p, _mm_loadl_epi64((const __m128i *)(const void *)&v));
}
#else
static ULONGLONG clrhost__load64(const volatile ULONGLONG *p) { return *p; }
static void clrhost__store64(volatile ULONGLONG *p, ULONGLONG v) { *p = v; }
#endif
static void clrhost__atomic_add64(volatile ULONGLONG *p, ULONGLONG v) { InterlockedExchangeAdd64((volatile LONGLONG *)p, (LONGLONG)v); }
/* x86 and x64 keep stores after stores and loads after loads: only the
   compiler must not move them. */
#ifndef CLRHOST_TASK_NO_TASK_VIEW
static void clrhost__fence_release(void) { _ReadWriteBarrier(); }
static void clrhost__fence_acquire(void) { _ReadWriteBarrier(); }
#endif
#define clrhost__compiler_barrier() _ReadWriteBarrier()

#else
#error "clrhost_task.h: no atomics for this compiler (GCC, Clang and MSVC are supported)"
#endif

/* Owner-thread increment of a per-task counter: no locked instruction. */
CLRHOST__INLINE void clrhost__count(volatile ULONGLONG *p, ULONGLONG by)
{
    clrhost__store64(p, clrhost__load64(p) + by);
}

/* ------------------------------------------------------------------------
   >>platform  The platform layer's functions. Everything after it is
   platform-free. Each side provides (its types are in structs):

   clrhost__os_thread                thread object embedded in a task
   clrhost__os_mutex                 a lock
   clrhost__os_thread_create()       new thread, suspended, that will run
                                     clrhost__task_thread_main(task)
   clrhost__os_thread_resume()       let a created thread run
   clrhost__os_thread_adopt()        object for the calling (foreign) thread
   clrhost__os_thread_finish()       an adopted thread is done with its task
   clrhost__os_thread_close()        the task no longer needs the object
   clrhost__os_thread_alert()        ring the thread's doorbell (an APC)
   clrhost__os_wait()                sleep, or wait for a thread to end,
                                     optionally alertable / pumping messages
   clrhost__os_thread_set/get_priority(), clrhost__os_set_locale()
   clrhost__os_slot_init/get/set()   the process-wide thread-local slot; its
                                     exit callback is clrhost__on_thread_exit;
                                     init also keeps the implementation loaded
   clrhost__os_process_exiting()     the process is shutting down
   clrhost__os_in_loader_callout()   the caller holds the OS loader lock
   clrhost__os_get/set_last_error(), clrhost__os_current_thread_id()
   clrhost__os_yield(), clrhost__os_ticks(), clrhost__os_tick_frequency(),
   clrhost__os_now_ms(), clrhost__os_mutex_*()
   clrhost__os_cond_*()              condition variables on a mutex (the
                                     scheduler's waits); wait takes ms
   clrhost__os_heavy_barrier(_init)() every thread of the process runs a
                                     full barrier (the scheduler's lent
                                     slots); init once, E_OUTOFMEMORY
                                     if it cannot be had
   clrhost__os_monitor_start()       a detached thread of ours that runs
                                     clrhost__sched_monitor(manager)
   clrhost__os_module_name()         name of the module holding an address
   clrhost__os_describe()            appends "module!export" of an address,
                                     holding the module meanwhile
   clrhost__os_modules_generation()  changes when a module loads or unloads
   clrhost__os_blocking_targets()    addresses of the OS's blocking waits
   ------------------------------------------------------------------------ */

/* Wait results of the platform layer. */
#define CLRHOST__WAIT_DONE 0    /* the awaited thread has ended */
#define CLRHOST__WAIT_TIMEOUT 1 /* the time ran out (for a sleep: it slept) */
#define CLRHOST__WAIT_WOKEN 2   /* an alert, an APC or a window message ended the wait early */
#define CLRHOST__WAIT_FAILED 3

/* Implemented in task_life, called from the platform layer. */
static DWORD clrhost__task_thread_main(void *task);
static void clrhost__on_thread_exit(void *slot_value);
/* Implemented in helpers, called from the platform layer. */
static void clrhost__name_append_n(clrhost__name *name, const char *text, size_t count);
static void clrhost__name_append(clrhost__name *name, const char *text);

/* A module's file name, in UTF-8, is at most 255 UTF-16 units (NTFS, ext4
   and most others): 765 bytes. */
#define CLRHOST__FILE_NAME_MAX 1024

#ifdef _WIN32

/* >>windows  The Win32 layer: FLS for the slot, SRW locks, APCs. */

static void clrhost__os_mutex_init(clrhost__os_mutex *l) { InitializeSRWLock(l); }
static void clrhost__os_mutex_destroy(clrhost__os_mutex *l) { (void)l; }
static void clrhost__os_mutex_lock(clrhost__os_mutex *l) { AcquireSRWLockExclusive(l); }
static void clrhost__os_mutex_unlock(clrhost__os_mutex *l) { ReleaseSRWLockExclusive(l); }
#ifndef CLRHOST_TASK_NO_SCHEDULER /* condition variables: only the scheduler waits on them */
static void clrhost__os_cond_init(clrhost__os_cond *c) { InitializeConditionVariable(c); }
static void clrhost__os_cond_destroy(clrhost__os_cond *c) { (void)c; }
static void clrhost__os_cond_signal(clrhost__os_cond *c) { WakeConditionVariable(c); }
static void clrhost__os_cond_broadcast(clrhost__os_cond *c) { WakeAllConditionVariable(c); }
/* Returns on a signal, at the timeout, or spuriously: callers loop. */
static void clrhost__os_cond_wait(clrhost__os_cond *c, clrhost__os_mutex *l, DWORD ms)
{
    (void)SleepConditionVariableSRW(c, l, ms, 0);
}
#endif

/* The calling thread's TEB, from its own address in it (NT_TIB.Self), at
   a fixed offset of the segment the ABI gives it (gs on x64, fs on x86).
   A segment-relative load, as in clrhost__os_slot_get (NtCurrentTeb()
   upsets GCC 12's -Warray-bounds). */
#if defined(_WIN64)
#define CLRHOST__TEB_SELF 0x30
#define CLRHOST__TEB_LAST_ERROR 0x68
#else
#define CLRHOST__TEB_SELF 0x18
#define CLRHOST__TEB_LAST_ERROR 0x34
#endif
static char *clrhost__teb(void)
{
    char *teb;
#if defined(__GNUC__) || defined(__clang__)
    SIZE_T at = CLRHOST__TEB_SELF;
#if defined(__x86_64__)
    __asm__ __volatile__("movq %%gs:(%1), %0" : "=r"(teb) : "r"(at));
#else
    __asm__ __volatile__("movl %%fs:(%1), %0" : "=r"(teb) : "r"(at));
#endif
#elif defined(_M_X64)
    teb = (char *)(ULONG_PTR)__readgsqword(CLRHOST__TEB_SELF);
#else
    teb = (char *)(ULONG_PTR)__readfsdword(CLRHOST__TEB_SELF);
#endif
    return teb;
}

/* The thread's last-error value, which every hook call keeps, in the TEB
   itself (LastErrorValue, at a fixed offset since Windows NT, and in
   Wine): all GetLastError does and the heart of SetLastError
   (RtlSetLastWin32Error), without their two imported calls per hook. */
static DWORD clrhost__os_get_last_error(void)
{
    return *(volatile const DWORD *)(const void *)(clrhost__teb() + CLRHOST__TEB_LAST_ERROR);
}
static void clrhost__os_set_last_error(DWORD e)
{
    *(volatile DWORD *)(void *)(clrhost__teb() + CLRHOST__TEB_LAST_ERROR) = e;
}
static DWORD clrhost__os_current_thread_id(void) { return GetCurrentThreadId(); }

static HRESULT clrhost__win32_error(void)
{
    DWORD e = GetLastError();
    return e ? HRESULT_FROM_WIN32(e) : E_UNEXPECTED;
}

#ifndef CLRHOST_TASK_NO_SCHEDULER
/* The heavy side of the scheduler's asymmetric fence (see "lent slots"
   in scheduler): FlushProcessWriteBuffers, which interrupts every
   processor that runs a thread of the process. Wine before 9.0 has it as
   a stub ("fixme:virtual:NtFlushProcessWriteBuffers stub" under Wine
   8.0); under such a Wine it is done the way Wine 9 and the CLR's own
   PAL do it on Linux: lowering a page's protection makes the kernel
   interrupt every processor that may hold the page's translation. */
static void *volatile clrhost__barrier_page; /* set: the page's way */
static SRWLOCK clrhost__barrier_lock = SRWLOCK_INIT;

static HRESULT clrhost__os_heavy_barrier_init(void)
{
    typedef const char *(__cdecl * wine_version_fn)(void);
    HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
    wine_version_fn wine_version =
        ntdll ? (wine_version_fn)(void (*)(void))GetProcAddress(ntdll, "wine_get_version") : NULL;
    const char *v = wine_version ? wine_version() : NULL;
    unsigned major = 0;
    HRESULT hr = S_OK;
    if (!v)
        return S_OK; /* Windows: FlushProcessWriteBuffers */
    for (; *v >= '0' && *v <= '9'; ++v)
        major = major * 10u + (unsigned)(*v - '0');
    if (major >= 9)
        return S_OK;
    AcquireSRWLockExclusive(&clrhost__barrier_lock);
    if (!clrhost__barrier_page) {
        void *page = VirtualAlloc(NULL, 1, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
        if (page)
            clrhost__store_ptr(&clrhost__barrier_page, page);
        else
            hr = clrhost__win32_error();
    }
    ReleaseSRWLockExclusive(&clrhost__barrier_lock);
    return hr;
}

static void clrhost__os_heavy_barrier(void)
{
    LONG volatile *page = (LONG volatile *)clrhost__load_ptr(&clrhost__barrier_page);
    DWORD old;
    if (!page) {
        FlushProcessWriteBuffers();
        return;
    }
    AcquireSRWLockExclusive(&clrhost__barrier_lock);
    (void)VirtualProtect((void *)page, 1, PAGE_READWRITE, &old);
    *page += 1; /* the page is in this processor's translations */
    (void)VirtualProtect((void *)page, 1, PAGE_NOACCESS, &old);
    ReleaseSRWLockExclusive(&clrhost__barrier_lock);
}
#endif

static DWORD WINAPI clrhost__win32_thread_entry(LPVOID task)
{
    return clrhost__task_thread_main(task);
}

static HRESULT clrhost__os_thread_create(clrhost__os_thread *t, SIZE_T stack, void *task,
                                         const clrhost__allocator *a)
{
    DWORD flags = CREATE_SUSPENDED;
    (void)a;
    /* The CLR's stack size is a reservation, as in its own thread creation. */
    if (stack)
        flags |= STACK_SIZE_PARAM_IS_A_RESERVATION;
    t->handle = CreateThread(NULL, stack, clrhost__win32_thread_entry, task, flags, NULL);
    return t->handle ? S_OK : clrhost__win32_error();
}

#ifndef CLRHOST_TASK_NO_SCHEDULER
static DWORD WINAPI clrhost__win32_monitor_entry(LPVOID manager)
{
    clrhost__sched_monitor(manager);
    return 0;
}

static HRESULT clrhost__os_monitor_start(void *manager)
{
    HANDLE h = CreateThread(NULL, 0, clrhost__win32_monitor_entry, manager, 0, NULL);
    if (!h)
        return clrhost__win32_error();
    CloseHandle(h);
    return S_OK;
}
#endif

static HRESULT clrhost__os_thread_resume(clrhost__os_thread *t)
{
    return ResumeThread(t->handle) == (DWORD)-1 ? clrhost__win32_error() : S_OK;
}

static HRESULT clrhost__os_thread_adopt(clrhost__os_thread *t, const clrhost__allocator *a)
{
    (void)a;
    /* GetCurrentThread() is a pseudo-handle meaning "the caller" wherever it
       is used; the task needs a handle that names this thread everywhere. */
    if (!DuplicateHandle(GetCurrentProcess(), GetCurrentThread(), GetCurrentProcess(),
                         &t->handle, 0, FALSE, DUPLICATE_SAME_ACCESS))
        return clrhost__win32_error();
    return S_OK;
}

/* The thread handle becomes signalled when the OS thread exits. */
static void clrhost__os_thread_finish(clrhost__os_thread *t) { (void)t; }

static void clrhost__os_thread_close(clrhost__os_thread *t)
{
    if (t->handle)
        CloseHandle(t->handle);
    t->handle = NULL;
}

static void CALLBACK clrhost__win32_doorbell(ULONG_PTR unused) { (void)unused; }

static void clrhost__os_thread_alert(clrhost__os_thread *t)
{
    /* Fails only when the thread has ended: then there is no wait to end. */
    (void)QueueUserAPC(clrhost__win32_doorbell, t->handle, 0);
}

/* WAIT_MSGPUMP: the CLR pumps with CoWaitForMultipleHandles when it is not
   hosted; MsgWaitForMultipleObjectsEx needs no COM and dispatches the same
   messages. [INF] The five user32 functions it takes are linked, or, with
   CLRHOST_TASK_NO_USER32, taken from a user32 that something else loaded
   (a thread has no message queue to pump before user32 is loaded). */
typedef struct clrhost__win32_user32_fns {
    DWORD(WINAPI *msg_wait)(DWORD count, const HANDLE *handles, DWORD ms, DWORD wake_mask, DWORD flags);
    BOOL(WINAPI *peek)(LPMSG msg, HWND window, UINT first, UINT last, UINT remove);
    BOOL(WINAPI *translate)(const MSG *msg);
    LRESULT(WINAPI *dispatch)(const MSG *msg);
    VOID(WINAPI *post_quit)(int code);
} clrhost__win32_user32_fns;

#ifndef CLRHOST_TASK_NO_USER32
static const clrhost__win32_user32_fns clrhost__win32_user32_linked = {
    MsgWaitForMultipleObjectsEx, PeekMessageW, TranslateMessage, DispatchMessageW, PostQuitMessage};
static const clrhost__win32_user32_fns *clrhost__win32_user32(void) { return &clrhost__win32_user32_linked; }
#else
static clrhost__win32_user32_fns clrhost__win32_user32_found;
static void *volatile clrhost__win32_user32_ready; /* &clrhost__win32_user32_found once complete */

#define CLRHOST__USER32_FN(type, name) ((type)(void (*)(void))GetProcAddress(u, name))
/* NULL while no user32 is loaded: then there is nothing to pump. Never
   called from a thread-exit callback (clrhost__wait does not pump there). */
static const clrhost__win32_user32_fns *clrhost__win32_user32(void)
{
    clrhost__win32_user32_fns *f = &clrhost__win32_user32_found;
    HMODULE u;
    if (clrhost__load_ptr(&clrhost__win32_user32_ready))
        return f;
    u = GetModuleHandleW(L"user32.dll"); /* never loads it */
    if (!u)
        return NULL;
    f->msg_wait = CLRHOST__USER32_FN(DWORD(WINAPI *)(DWORD, const HANDLE *, DWORD, DWORD, DWORD),
                                     "MsgWaitForMultipleObjectsEx");
    f->peek = CLRHOST__USER32_FN(BOOL(WINAPI *)(LPMSG, HWND, UINT, UINT, UINT), "PeekMessageW");
    f->translate = CLRHOST__USER32_FN(BOOL(WINAPI *)(const MSG *), "TranslateMessage");
    f->dispatch = CLRHOST__USER32_FN(LRESULT(WINAPI *)(const MSG *), "DispatchMessageW");
    f->post_quit = CLRHOST__USER32_FN(VOID(WINAPI *)(int), "PostQuitMessage");
    if (!f->msg_wait || !f->peek || !f->translate || !f->dispatch || !f->post_quit)
        return NULL;
    clrhost__store_ptr(&clrhost__win32_user32_ready, f); /* threads that race write the same */
    return f;
}
#endif

static void clrhost__win32_pump_messages(const clrhost__win32_user32_fns *u)
{
    MSG msg;
    while (u->peek(&msg, NULL, 0, 0, PM_REMOVE)) {
        if (msg.message == WM_QUIT) { /* leave it for the thread's own message loop */
            u->post_quit((int)msg.wParam);
            break;
        }
        u->translate(&msg);
        u->dispatch(&msg);
    }
}

static int clrhost__os_wait(clrhost__os_thread *self, clrhost__os_thread *target, DWORD ms,
                            int alertable, int pump, HRESULT *error)
{
    DWORD count = target ? 1 : 0, r;
    HANDLE h = target ? target->handle : NULL;
    const clrhost__win32_user32_fns *u = pump ? clrhost__win32_user32() : NULL;
    (void)self; /* APCs always go to the calling thread */
    if (u) {
        r = u->msg_wait(count, count ? &h : NULL, ms, QS_ALLINPUT,
                        MWMO_INPUTAVAILABLE | (alertable ? MWMO_ALERTABLE : 0));
        if (r == WAIT_OBJECT_0 + count) {
            clrhost__win32_pump_messages(u);
            return CLRHOST__WAIT_WOKEN;
        }
    } else if (target) {
        r = WaitForSingleObjectEx(h, ms, alertable ? TRUE : FALSE);
    } else {
        return SleepEx(ms, alertable ? TRUE : FALSE) == WAIT_IO_COMPLETION ? CLRHOST__WAIT_WOKEN
                                                                            : CLRHOST__WAIT_TIMEOUT;
    }
    if (count && r == WAIT_OBJECT_0)
        return CLRHOST__WAIT_DONE;
    if (r == WAIT_TIMEOUT)
        return CLRHOST__WAIT_TIMEOUT;
    if (r == WAIT_IO_COMPLETION)
        return CLRHOST__WAIT_WOKEN;
    *error = clrhost__win32_error();
    return CLRHOST__WAIT_FAILED;
}

static HRESULT clrhost__os_thread_set_priority(clrhost__os_thread *t, int priority)
{
    return SetThreadPriority(t->handle, priority) ? S_OK : clrhost__win32_error();
}

static HRESULT clrhost__os_thread_get_priority(clrhost__os_thread *t, int *priority)
{
    int p = GetThreadPriority(t->handle);
    if (p == THREAD_PRIORITY_ERROR_RETURN)
        return clrhost__win32_error();
    *priority = p;
    return S_OK;
}

static HRESULT clrhost__os_set_locale(LCID lcid)
{
    /* The CLR skips SetThreadLocale when a task manager is present
       (vm/util.cpp, ThreadLocaleHolder), so a 1:1 host does it. [INF] */
    return SetThreadLocale(lcid) ? S_OK : clrhost__win32_error();
}

static void clrhost__os_yield(void) { (void)SwitchToThread(); }

static ULONGLONG clrhost__os_ticks(void)
{
    LARGE_INTEGER now;
    QueryPerformanceCounter(&now);
    return (ULONGLONG)now.QuadPart;
}

static ULONGLONG clrhost__os_tick_frequency(void)
{
    LARGE_INTEGER f;
    QueryPerformanceFrequency(&f);
    return (ULONGLONG)f.QuadPart;
}

/* Wait deadlines: the performance counter, because GetTickCount64 moves in
   steps of 10-16 ms, enough to cut a re-armed wait visibly short. */
static ULONGLONG clrhost__os_now_ms(void)
{
    return clrhost__os_ticks() / (clrhost__os_tick_frequency() / 1000u);
}

/* The slot: one FLS index per process, never freed, because FlsFree runs
   the callback for every thread's value (checked under Wine). FLS is there
   for its thread-exit callback; reads go to a faster copy: compiler TLS
   where the compiler has native TLS (MSVC, Clang), else a TLS index (GCC
   for MinGW only emulates TLS, at the cost of a call and a lookup). */
static DWORD clrhost__win32_fls = FLS_OUT_OF_INDEXES;
static INIT_ONCE clrhost__win32_fls_once = INIT_ONCE_STATIC_INIT;
#if defined(_MSC_VER)
#define CLRHOST__NATIVE_TLS __declspec(thread)
#elif defined(__clang__)
#define CLRHOST__NATIVE_TLS __thread
#endif
#ifdef CLRHOST__NATIVE_TLS
static CLRHOST__NATIVE_TLS void *clrhost__win32_slot_copy;
#else
static DWORD clrhost__win32_tls = TLS_OUT_OF_INDEXES;
#endif

static VOID WINAPI clrhost__win32_fls_callback(PVOID value)
{
    clrhost__on_thread_exit(value);
}

/* ntdll's RtlDllShutdownInProgress, looked up when the first manager is
   made: the thread-exit callback must not call the loader to find it. */
typedef BOOLEAN(NTAPI *clrhost__win32_shutdown_query)(void);
static clrhost__win32_shutdown_query clrhost__win32_shutdown_in_progress;

static void clrhost__win32_watch_modules(HMODULE ntdll);

/* Once per process, when the first manager is made: the slot, and a pin on
   the module that holds this implementation. The CLR never lets go of its
   host managers and keeps calling their vtables, and the slot's exit
   callback runs on every thread until the process ends: a host that
   FreeLibrary's a DLL with this implementation inside (at its exit, say)
   would have them jump into unmapped memory. GET_MODULE_HANDLE_EX_FLAG_PIN
   keeps the module until the process ends, whatever FreeLibrary says. */
static BOOL CALLBACK clrhost__win32_fls_alloc(PINIT_ONCE once, PVOID error, PVOID *context)
{
    DWORD index;
    HMODULE self, ntdll = GetModuleHandleW(L"ntdll.dll");
    (void)once;
    (void)context;
    if (!GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS | GET_MODULE_HANDLE_EX_FLAG_PIN,
                            (LPCWSTR)(const void *)&clrhost__win32_fls, &self)) {
        *(DWORD *)error = GetLastError();
        return FALSE;
    }
    if (ntdll) /* absent only on systems that are not Windows at all */
        clrhost__win32_shutdown_in_progress =
            (clrhost__win32_shutdown_query)(void (*)(void))GetProcAddress(ntdll, "RtlDllShutdownInProgress");
    clrhost__win32_watch_modules(ntdll);
    index = FlsAlloc(clrhost__win32_fls_callback);
    if (index == FLS_OUT_OF_INDEXES) {
        *(DWORD *)error = GetLastError();
        return FALSE;
    }
#ifndef CLRHOST__NATIVE_TLS
    clrhost__win32_tls = TlsAlloc();
    if (clrhost__win32_tls == TLS_OUT_OF_INDEXES) {
        *(DWORD *)error = GetLastError();
        FlsFree(index); /* no thread has a value in it yet */
        return FALSE;
    }
#endif
    clrhost__win32_fls = index;
    return TRUE;
}

static HRESULT clrhost__os_slot_init(void)
{
    DWORD error = ERROR_NO_MORE_ITEMS;
    if (!InitOnceExecuteOnce(&clrhost__win32_fls_once, clrhost__win32_fls_alloc, &error, NULL))
        return HRESULT_FROM_WIN32(error);
    return S_OK;
}

/* TlsGetValue sets the last-error value to 0 on success (documented;
   FlsGetValue does too under Wine), and LeaveRuntime is called after the
   CLR has marshalled its arguments, so the caller's value is kept. */
static void *clrhost__os_slot_get(void)
{
#ifdef CLRHOST__NATIVE_TLS
    return clrhost__win32_slot_copy;
#else
    DWORD e, index = clrhost__win32_tls;
    void *v;
    /* The first 64 TLS indices live in TEB.TlsSlots (winternl.h documents
       it), which is what TlsGetValue reads: one segment-relative load here,
       with no call, leaving the last-error value alone. (Through
       NtCurrentTeb() GCC 12 raises a false -Warray-bounds.) */
    if (index < 64) {
        SIZE_T at = offsetof(TEB, TlsSlots) + index * sizeof(void *);
#if defined(__x86_64__)
        __asm__ __volatile__("movq %%gs:(%1), %0" : "=r"(v) : "r"(at));
#else
        __asm__ __volatile__("movl %%fs:(%1), %0" : "=r"(v) : "r"(at));
#endif
        return v;
    }
    e = GetLastError();
    v = TlsGetValue(index);
    SetLastError(e);
    return v;
#endif
}

/* Fails (E_OUTOFMEMORY) when the thread's first FLS value cannot get its
   storage: then the thread's exit callback would never come. The copy
   that reads go to is written either way. */
static HRESULT clrhost__os_slot_set(void *v)
{
    DWORD e = GetLastError();
    BOOL stored = !(clrhost__os_slot_get() == NULL && CLRHOST_TASK_TEST_FAULT("slot write")) &&
                  FlsSetValue(clrhost__win32_fls, v);
#ifdef CLRHOST__NATIVE_TLS
    clrhost__win32_slot_copy = v;
#else
    (void)TlsSetValue(clrhost__win32_tls, v); /* an index below 64 needs no storage */
#endif
    SetLastError(e);
    return stored ? S_OK : E_OUTOFMEMORY;
}

/* ExitProcess runs the exit callback of the thread that calls it, after
   every other thread was killed, perhaps inside a lock of the CLR's: no
   ExitTask and no hook then (the CLR cleans up at DLL_PROCESS_DETACH). */
static int clrhost__os_process_exiting(void) /* [INF] TRUE there on Windows too, as under Wine */
{
    return clrhost__win32_shutdown_in_progress && clrhost__win32_shutdown_in_progress();
}

/* TRUE inside a DllMain or a TLS callback: the caller owns the loader
   lock, PEB.LoaderLock (offset 0x110 on x64, 0xA0 on x86; the same since
   Windows NT, and in Wine). A thread's FLS callbacks run before its
   DLL_THREAD_DETACH notifications ("the OS has destroyed FLS" by then,
   vm/ceemain.cpp), so a task adopted there would never end. Read without
   a call: an owner's id there is only ever our own while we own it.
   [INF] That Windows holds this lock while it sends DLL_THREAD_DETACH is
   seen under Wine only. */
/* The PEB's address in the TEB, and the loader lock's in the PEB, are
   fixed by the Windows ABI (NtCurrentPeb reads the first); winternl.h
   names the TEB's field ProcessEnvironmentBlock in the Windows SDK and Peb
   in Wine's headers, so both are offsets here. */
#if defined(_WIN64)
#define CLRHOST__TEB_PEB 0x60
#define CLRHOST__PEB_LOADER_LOCK 0x110
#else
#define CLRHOST__TEB_PEB 0x30
#define CLRHOST__PEB_LOADER_LOCK 0xA0
#endif
static int clrhost__os_in_loader_callout(void)
{
    const char *peb = *(const char *const *)(const void *)(clrhost__teb() + CLRHOST__TEB_PEB);
    const RTL_CRITICAL_SECTION *lock;
    lock = *(RTL_CRITICAL_SECTION *const *)(const void *)(peb + CLRHOST__PEB_LOADER_LOCK);
    return lock && (DWORD)(ULONG_PTR)lock->OwningThread == GetCurrentThreadId();
}

/* A module's file name (UTF-8), without its directory; 0 on failure. */
static int clrhost__win32_file_name(HMODULE h, char *name, size_t cap)
{
    WCHAR path[1024];
    DWORD n = GetModuleFileNameW(h, path, (DWORD)(sizeof path / sizeof path[0]));
    const WCHAR *file;
    if (n == 0 || n >= sizeof path / sizeof path[0])
        return 0;
    file = path + n;
    while (file > path && file[-1] != L'\\' && file[-1] != L'/')
        --file;
    return WideCharToMultiByte(CP_UTF8, 0, file, -1, name, (int)cap, NULL, NULL) != 0;
}

/* The name (file name, UTF-8) of the module holding addr; 0 if none does. */
static int clrhost__os_module_name(SIZE_T addr, char *name, size_t cap)
{
    HMODULE h;
    if (!GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS |
                                GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
                            (LPCWSTR)addr, &h)) /* NOLINT(performance-no-int-to-ptr): the API takes the address so */
        return 0;
    return clrhost__win32_file_name(h, name, cap);
}

/* Bytes readable from rva in a loaded image: to the end of its headers or
   of the readable section holding rva; 0 anywhere else. An export table
   is read only within these, so that a malformed one (the loader checks
   none of it until something imports by it) cannot fault. */
static DWORD clrhost__win32_image_span(const IMAGE_NT_HEADERS *nt, DWORD rva)
{
    const IMAGE_SECTION_HEADER *section = IMAGE_FIRST_SECTION(nt);
    WORD i;
    if (rva < nt->OptionalHeader.SizeOfHeaders)
        return nt->OptionalHeader.SizeOfHeaders - rva;
    for (i = 0; i < nt->FileHeader.NumberOfSections; ++i, ++section) {
        DWORD size = section->Misc.VirtualSize ? section->Misc.VirtualSize : section->SizeOfRawData;
        if (rva >= section->VirtualAddress && rva - section->VirtualAddress < size)
            return (section->Characteristics & IMAGE_SCN_MEM_READ) ? size - (rva - section->VirtualAddress) : 0;
    }
    return 0;
}

/* The array of count elements of `each` bytes at rva, or NULL if it is
   not all readable. */
static const void *clrhost__win32_image_array(const BYTE *base, const IMAGE_NT_HEADERS *nt, DWORD rva, DWORD count,
                                              DWORD each)
{
    if (!count || count > clrhost__win32_image_span(nt, rva) / each)
        return NULL;
    return base + rva;
}

/* The nearest named export at or below rva `want` of a module: its name's
   rva (0: none) and *at, its own rva. Forwarders (names, not code) and
   entries out of the table's bounds are passed over. */
static DWORD clrhost__win32_nearest_export(const BYTE *base, const IMAGE_NT_HEADERS *nt, SIZE_T want, SIZE_T *at)
{
    const IMAGE_DATA_DIRECTORY *dir = &nt->OptionalHeader.DataDirectory[IMAGE_DIRECTORY_ENTRY_EXPORT];
    const IMAGE_EXPORT_DIRECTORY *exports;
    const DWORD *names, *functions;
    const WORD *ordinals;
    DWORD i, best_name = 0;
    *at = 0;
    if (nt->OptionalHeader.NumberOfRvaAndSizes <= IMAGE_DIRECTORY_ENTRY_EXPORT || !dir->VirtualAddress ||
        !dir->Size)
        return 0;
    exports = (const IMAGE_EXPORT_DIRECTORY *)clrhost__win32_image_array(base, nt, dir->VirtualAddress, 1,
                                                                          sizeof(IMAGE_EXPORT_DIRECTORY));
    if (!exports)
        return 0;
    names = (const DWORD *)clrhost__win32_image_array(base, nt, exports->AddressOfNames, exports->NumberOfNames,
                                                      sizeof(DWORD));
    ordinals = (const WORD *)clrhost__win32_image_array(base, nt, exports->AddressOfNameOrdinals,
                                                        exports->NumberOfNames, sizeof(WORD));
    functions = (const DWORD *)clrhost__win32_image_array(base, nt, exports->AddressOfFunctions,
                                                          exports->NumberOfFunctions, sizeof(DWORD));
    if (!names || !ordinals || !functions)
        return 0;
    for (i = 0; i < exports->NumberOfNames; ++i) {
        DWORD rva;
        if (ordinals[i] >= exports->NumberOfFunctions)
            continue;
        rva = functions[ordinals[i]];
        if (rva - dir->VirtualAddress < dir->Size)
            continue; /* a forwarder: a name, not code */
        if (rva <= want && rva >= *at && rva != 0) {
            *at = rva;
            best_name = names[i];
        }
    }
    return best_name;
}

/* Appends the export name at rva, if it is a string that ends within the
   image's readable bytes; returns whether it did. */
static int clrhost__win32_append_export_name(clrhost__name *name, const BYTE *base, const IMAGE_NT_HEADERS *nt,
                                             DWORD rva)
{
    DWORD span = clrhost__win32_image_span(nt, rva), length = 0;
    const char *text = (const char *)(base + rva);
    while (length < span && text[length])
        ++length;
    if (length == span || length == 0)
        return 0;
    clrhost__name_append(name, "!");
    clrhost__name_append_n(name, text, length);
    return 1;
}

/* Appends the module holding addr ("file.dll") and its nearest named
   export at or below addr ("!export"), from the module's export table (the
   names a debugger without symbols shows). The module is held (a
   reference) while its table is read, so that it cannot be unloaded under
   us. 0: in no module, nothing appended; 1: *offset is from the module's
   base; 2: from the export. */
static int clrhost__os_describe(SIZE_T addr, clrhost__name *name, SIZE_T *offset)
{
    char file[CLRHOST__FILE_NAME_MAX];
    HMODULE h;
    const BYTE *base;
    const IMAGE_NT_HEADERS *nt;
    SIZE_T export_at;
    DWORD export_name;
    int found = 1;
    if (!GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS, (LPCWSTR)addr, &h)) /* NOLINT(performance-no-int-to-ptr) */
        return 0;
    if (!clrhost__win32_file_name(h, file, sizeof file)) {
        FreeLibrary(h);
        return 0;
    }
    clrhost__name_append(name, file);
    base = (const BYTE *)h;
    *offset = addr - (SIZE_T)base;
    /* The headers are as the loader checked them when it mapped the image. */
    nt = (const IMAGE_NT_HEADERS *)(const void *)(base + ((const IMAGE_DOS_HEADER *)(const void *)base)->e_lfanew);
    export_name = clrhost__win32_nearest_export(base, nt, *offset, &export_at);
    if (export_name && clrhost__win32_append_export_name(name, base, nt, export_name)) {
        *offset -= export_at;
        found = 2;
    }
    FreeLibrary(h);
    return found;
}

/* Which modules are loaded changes only through the loader, which tells
   every DLL notification callback (LdrRegisterDllNotification, ntdll,
   Windows Vista and later, and Wine) of each load and unload before the
   module can run or after it is gone ([INF] the order is seen under Wine
   only). The callback counts them; a module
   policy answer is trusted only while the count is the one it was taken
   under. Reading it is one load. -1: no notification, nothing is known. */
static volatile LONG clrhost__win32_module_events = -1;

typedef VOID(CALLBACK *clrhost__win32_dll_notification)(ULONG reason, const void *data, PVOID context);
typedef LONG(NTAPI *clrhost__win32_register_dll_notification)(ULONG flags, clrhost__win32_dll_notification fn,
                                                               PVOID context, PVOID *cookie);

static VOID CALLBACK clrhost__win32_on_module_event(ULONG reason, const void *data, PVOID context)
{
    (void)reason;
    (void)data;
    (void)context;
    (void)clrhost__atomic_inc(&clrhost__win32_module_events); /* under the loader lock: never on a hot path */
}

/* Once per process (from clrhost__win32_fls_alloc); never unregistered,
   like the module it points into (pinned). */
static void clrhost__win32_watch_modules(HMODULE ntdll)
{
    clrhost__win32_register_dll_notification reg = NULL;
    PVOID cookie;
    if (ntdll)
        reg = (clrhost__win32_register_dll_notification)(void (*)(void))GetProcAddress(ntdll,
                                                                                       "LdrRegisterDllNotification");
    if (reg && reg(0, clrhost__win32_on_module_event, NULL, &cookie) >= 0)
        clrhost__atomic_store(&clrhost__win32_module_events, 0);
}

static LONG clrhost__os_modules_generation(void) { return clrhost__atomic_load(&clrhost__win32_module_events); }

/* The CLR's own blocking calls notify LeaveRuntime with the address of the
   kernel32 export it calls (vm/threads.cpp, LeaveRuntimeHolder). GetProcAddress
   follows export forwarders as the loader does for the CLR's imports, so
   the addresses agree. [INF] */
static unsigned clrhost__os_blocking_targets(SIZE_T *out, unsigned cap)
{
    static const char *const names[] = {
        "WaitForSingleObject", "WaitForSingleObjectEx", "WaitForMultipleObjects",
        "WaitForMultipleObjectsEx", "SignalObjectAndWait", "Sleep", "SleepEx",
        "GetQueuedCompletionStatus", "GetQueuedCompletionStatusEx"};
    HMODULE k32 = GetModuleHandleW(L"kernel32.dll");
    unsigned i, n = 0;
    for (i = 0; k32 && i < sizeof names / sizeof names[0] && n < cap; ++i) {
        FARPROC p = GetProcAddress(k32, names[i]);
        if (p)
            out[n++] = (SIZE_T)p;
    }
    return n;
}

#else /* POSIX threads: the native test layer */

/* >>posix  The POSIX layer: pthreads, for the native test suite. */

/* One lock and one condition variable serve every thread's resume gate,
   end-of-thread signal and doorbell: waiters re-check their own condition.
   Simple and obviously correct, which is what a test layer needs. */
static pthread_mutex_t clrhost__posix_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t clrhost__posix_cond;
static pthread_key_t clrhost__posix_slot;
static int clrhost__posix_init_error;
static pthread_once_t clrhost__posix_once = PTHREAD_ONCE_INIT;

static void clrhost__os_mutex_init(clrhost__os_mutex *l) { pthread_mutex_init(l, NULL); }
static void clrhost__os_mutex_destroy(clrhost__os_mutex *l) { pthread_mutex_destroy(l); }
static void clrhost__os_mutex_lock(clrhost__os_mutex *l) { pthread_mutex_lock(l); }
static void clrhost__os_mutex_unlock(clrhost__os_mutex *l) { pthread_mutex_unlock(l); }

#ifndef CLRHOST_TASK_NO_SCHEDULER /* condition variables: only the scheduler waits on them */
static void clrhost__os_cond_init(clrhost__os_cond *c)
{
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(c, &attr);
    pthread_condattr_destroy(&attr);
}
static void clrhost__os_cond_destroy(clrhost__os_cond *c) { pthread_cond_destroy(c); }
static void clrhost__os_cond_signal(clrhost__os_cond *c) { pthread_cond_signal(c); }
static void clrhost__os_cond_broadcast(clrhost__os_cond *c) { pthread_cond_broadcast(c); }
/* Returns on a signal, at the timeout, or spuriously: callers loop. */
static void clrhost__os_cond_wait(clrhost__os_cond *c, clrhost__os_mutex *l, DWORD ms)
{
    struct timespec until;
    if (ms == INFINITE) {
        pthread_cond_wait(c, l);
        return;
    }
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += (time_t)(ms / 1000u);
    until.tv_nsec += (long)(ms % 1000u) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec += 1;
        until.tv_nsec -= 1000000000L;
    }
    (void)pthread_cond_timedwait(c, l, &until);
}
#endif

#ifndef CLRHOST_TASK_NO_SCHEDULER
/* The heavy side of the scheduler's asymmetric fence (see "lent slots"
   in scheduler): Linux's membarrier (private expedited: every running
   thread of the process executes a full barrier, since Linux 4.14),
   registered once; where it is not there (an older kernel, valgrind),
   lowering a page's protection, which makes the kernel interrupt every
   processor that may hold the page's translation (the CLR's own PAL does
   this for FlushProcessWriteBuffers). */
#define CLRHOST__MEMBARRIER_PRIVATE_EXPEDITED 8
#define CLRHOST__MEMBARRIER_REGISTER_PRIVATE_EXPEDITED 16
static pthread_mutex_t clrhost__barrier_lock = PTHREAD_MUTEX_INITIALIZER;
static LONG clrhost__barrier_how; /* 0: not yet, 1: membarrier, 2: the page */
static void *clrhost__barrier_page;
static size_t clrhost__barrier_page_size;

static int clrhost__membarrier_register(void)
{
#if defined(__linux__) && defined(SYS_membarrier)
    return syscall(SYS_membarrier, CLRHOST__MEMBARRIER_REGISTER_PRIVATE_EXPEDITED, 0) == 0;
#else
    return 0;
#endif
}

static int clrhost__barrier_page_map(void)
{
    long size = sysconf(_SC_PAGESIZE);
    clrhost__barrier_page_size = size > 0 ? (size_t)size : 4096;
    clrhost__barrier_page =
        mmap(NULL, clrhost__barrier_page_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return clrhost__barrier_page != MAP_FAILED;
}

static HRESULT clrhost__os_heavy_barrier_init(void)
{
    HRESULT hr = S_OK;
    pthread_mutex_lock(&clrhost__barrier_lock);
    if (!clrhost__barrier_how) {
        /* cppcheck-suppress knownConditionTrueFalse ; always 0 where SYS_membarrier is not defined */
        LONG how = clrhost__membarrier_register() ? 1 : clrhost__barrier_page_map() ? 2 : 0;
        if (how)
            clrhost__atomic_store(&clrhost__barrier_how, how);
        else
            hr = E_OUTOFMEMORY;
    }
    pthread_mutex_unlock(&clrhost__barrier_lock);
    return hr;
}

static void clrhost__os_heavy_barrier(void)
{
#if defined(__linux__) && defined(SYS_membarrier)
    if (clrhost__atomic_load(&clrhost__barrier_how) == 1 &&
        syscall(SYS_membarrier, CLRHOST__MEMBARRIER_PRIVATE_EXPEDITED, 0) == 0)
        return;
#endif
    pthread_mutex_lock(&clrhost__barrier_lock);
    (void)mprotect(clrhost__barrier_page, clrhost__barrier_page_size, PROT_READ | PROT_WRITE);
    *(volatile int *)clrhost__barrier_page += 1; /* the page is in this processor's translations */
    (void)mprotect(clrhost__barrier_page, clrhost__barrier_page_size, PROT_NONE);
    pthread_mutex_unlock(&clrhost__barrier_lock);
}
#endif

/* errno's address, taken once per thread: every hook call saves and
   restores it, and &errno is a call into libc each time. */
static __thread int *clrhost__posix_errno;

static int *clrhost__posix_errno_location(void)
{
    int *p = clrhost__posix_errno;
    if (!p)
        clrhost__posix_errno = p = &errno;
    return p;
}

static DWORD clrhost__os_get_last_error(void) { return (DWORD)*clrhost__posix_errno_location(); }
static void clrhost__os_set_last_error(DWORD e) { *clrhost__posix_errno_location() = (int)e; }

static DWORD clrhost__os_current_thread_id(void)
{
#ifdef __linux__
    return (DWORD)syscall(SYS_gettid);
#else
    return (DWORD)(size_t)pthread_self();
#endif
}

static HRESULT clrhost__posix_error(int e)
{
    switch (e) {
    case 0: return S_OK;
    case EAGAIN:
    case ENOMEM: return E_OUTOFMEMORY;
    case EINVAL: return E_INVALIDARG;
    case EPERM:
    case EACCES: return E_ACCESSDENIED;
    default: return E_UNEXPECTED;
    }
}

static void clrhost__posix_thread_exit_destructor(void *value)
{
    clrhost__on_thread_exit(value);
}

static void clrhost__posix_init(void)
{
    pthread_condattr_t attr;
    int e = pthread_condattr_init(&attr);
    if (!e)
        e = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    if (!e)
        e = pthread_cond_init(&clrhost__posix_cond, &attr);
    pthread_condattr_destroy(&attr);
    if (!e)
        e = pthread_key_create(&clrhost__posix_slot, clrhost__posix_thread_exit_destructor);
    clrhost__posix_init_error = e;
}

static HRESULT clrhost__os_slot_init(void)
{
    pthread_once(&clrhost__posix_once, clrhost__posix_init);
    return clrhost__posix_error(clrhost__posix_init_error);
}

/* The key is there for its destructor; reads go to a compiler-TLS copy
   (GCC and Clang have native TLS on every POSIX target). */
static __thread void *clrhost__posix_slot_copy;

static void *clrhost__os_slot_get(void) { return clrhost__posix_slot_copy; }

/* Fails (E_OUTOFMEMORY) when the key's value cannot get its storage:
   then the key's destructor would never run. The copy is written either
   way. */
static HRESULT clrhost__os_slot_set(void *v)
{
    int e = errno;
    int stored = !(clrhost__posix_slot_copy == NULL && CLRHOST_TASK_TEST_FAULT("slot write")) &&
                 pthread_setspecific(clrhost__posix_slot, v) == 0;
    clrhost__posix_slot_copy = v;
    errno = e;
    return stored ? S_OK : E_OUTOFMEMORY;
}

/* exit() runs no key destructor, so there is nothing to hold back. */
static int clrhost__os_process_exiting(void) { return 0; }

/* A key destructor that sets a key again is run again (POSIX allows
   PTHREAD_DESTRUCTOR_ITERATIONS rounds; glibc runs 4), so a thread adopted
   from another key's destructor still ends: nothing to refuse. */
static int clrhost__os_in_loader_callout(void) { return 0; }

static clrhost__posix_thread *clrhost__posix_block(const clrhost__allocator *a, void *task, int resumed)
{
    clrhost__posix_thread *p = (clrhost__posix_thread *)a->alloc_fn(a->user, sizeof *p);
    if (!p)
        return NULL;
    memset(p, 0, sizeof *p);
    p->refs = 2;
    p->resumed = resumed;
    p->task = task;
    p->allocator = *a;
    return p;
}

static void clrhost__posix_unref(clrhost__posix_thread *p, int ended)
{
    int last;
    pthread_mutex_lock(&clrhost__posix_lock);
    if (ended) {
        p->ended = 1;
        pthread_cond_broadcast(&clrhost__posix_cond);
    }
    last = --p->refs == 0;
    pthread_mutex_unlock(&clrhost__posix_lock);
    if (last)
        p->allocator.free_fn(p->allocator.user, p);
}

static void *clrhost__posix_thread_entry(void *arg)
{
    clrhost__posix_thread *p = (clrhost__posix_thread *)arg;
    void *task;
    pthread_mutex_lock(&clrhost__posix_lock);
    while (!p->resumed)
        pthread_cond_wait(&clrhost__posix_cond, &clrhost__posix_lock);
    task = p->task;
    pthread_mutex_unlock(&clrhost__posix_lock);
    (void)clrhost__task_thread_main(task);
    clrhost__posix_unref(p, 1);
    return NULL;
}

static HRESULT clrhost__os_thread_create(clrhost__os_thread *t, SIZE_T stack, void *task,
                                         const clrhost__allocator *a)
{
    pthread_attr_t attr;
    pthread_t id;
    int e;
    clrhost__posix_thread *p = clrhost__posix_block(a, task, 0);
    if (!p)
        return E_OUTOFMEMORY;
    e = pthread_attr_init(&attr);
    if (!e)
        e = pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (!e && stack)
        e = pthread_attr_setstacksize(&attr, stack < (SIZE_T)PTHREAD_STACK_MIN ? (SIZE_T)PTHREAD_STACK_MIN : stack);
    if (!e)
        e = pthread_create(&id, &attr, clrhost__posix_thread_entry, p);
    pthread_attr_destroy(&attr);
    if (e) {
        a->free_fn(a->user, p);
        return clrhost__posix_error(e);
    }
    t->p = p;
    return S_OK;
}

#ifndef CLRHOST_TASK_NO_SCHEDULER
static void *clrhost__posix_monitor_entry(void *manager)
{
    clrhost__sched_monitor(manager);
    return NULL;
}

static HRESULT clrhost__os_monitor_start(void *manager)
{
    pthread_attr_t attr;
    pthread_t id;
    int e = pthread_attr_init(&attr);
    if (!e)
        e = pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (!e)
        e = pthread_create(&id, &attr, clrhost__posix_monitor_entry, manager);
    pthread_attr_destroy(&attr);
    return e ? clrhost__posix_error(e) : S_OK;
}
#endif

static HRESULT clrhost__os_thread_resume(clrhost__os_thread *t)
{
    pthread_mutex_lock(&clrhost__posix_lock);
    t->p->resumed = 1;
    pthread_cond_broadcast(&clrhost__posix_cond);
    pthread_mutex_unlock(&clrhost__posix_lock);
    return S_OK;
}

static HRESULT clrhost__os_thread_adopt(clrhost__os_thread *t, const clrhost__allocator *a)
{
    t->p = clrhost__posix_block(a, NULL, 1);
    return t->p ? S_OK : E_OUTOFMEMORY;
}

static void clrhost__os_thread_finish(clrhost__os_thread *t) { clrhost__posix_unref(t->p, 1); }

static void clrhost__os_thread_close(clrhost__os_thread *t)
{
    if (t->p)
        clrhost__posix_unref(t->p, 0);
    t->p = NULL;
}

static void clrhost__os_thread_alert(clrhost__os_thread *t)
{
    pthread_mutex_lock(&clrhost__posix_lock);
    t->p->doorbell = 1;
    pthread_cond_broadcast(&clrhost__posix_cond);
    pthread_mutex_unlock(&clrhost__posix_lock);
}

static struct timespec clrhost__posix_after_ms(DWORD ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += (time_t)(ms / 1000);
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec += 1;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

static void clrhost__posix_sleep_ms(DWORD ms)
{
    struct timespec left;
    if (ms == 0) {
        sched_yield();
        return;
    }
    for (;;) { /* INFINITE: sleep for ever, a long step at a time */
        DWORD step = ms == INFINITE ? 1000000u : ms;
        left.tv_sec = (time_t)(step / 1000);
        left.tv_nsec = (long)(step % 1000) * 1000000L;
        while (nanosleep(&left, &left) != 0 && errno == EINTR) {
        }
        if (ms != INFINITE)
            break;
    }
}

static int clrhost__os_wait(clrhost__os_thread *self, clrhost__os_thread *target, DWORD ms,
                            int alertable, int pump, HRESULT *error)
{
    struct timespec deadline;
    int r, e = 0;
    (void)pump; /* no window messages here */
    (void)error;
    if (!target && !(alertable && self)) {
        clrhost__posix_sleep_ms(ms);
        return CLRHOST__WAIT_TIMEOUT;
    }
    if (ms != INFINITE)
        deadline = clrhost__posix_after_ms(ms);
    pthread_mutex_lock(&clrhost__posix_lock);
    for (;;) {
        if (target && target->p->ended) {
            r = CLRHOST__WAIT_DONE;
            break;
        }
        if (alertable && self && self->p->doorbell) {
            self->p->doorbell = 0;
            r = CLRHOST__WAIT_WOKEN;
            break;
        }
        if (e == ETIMEDOUT) {
            r = CLRHOST__WAIT_TIMEOUT;
            break;
        }
        if (ms == INFINITE)
            pthread_cond_wait(&clrhost__posix_cond, &clrhost__posix_lock);
        else
            e = pthread_cond_timedwait(&clrhost__posix_cond, &clrhost__posix_lock, &deadline);
    }
    pthread_mutex_unlock(&clrhost__posix_lock);
    return r;
}

/* POSIX has no per-thread priority for ordinary threads; the layer keeps
   the value and accepts exactly the values SetThreadPriority accepts. */
static HRESULT clrhost__os_thread_set_priority(clrhost__os_thread *t, int priority)
{
    if (priority != THREAD_PRIORITY_IDLE && priority != THREAD_PRIORITY_TIME_CRITICAL &&
        (priority < THREAD_PRIORITY_LOWEST || priority > THREAD_PRIORITY_HIGHEST))
        return E_INVALIDARG;
    pthread_mutex_lock(&clrhost__posix_lock);
    t->p->priority = priority;
    pthread_mutex_unlock(&clrhost__posix_lock);
    return S_OK;
}

static HRESULT clrhost__os_thread_get_priority(clrhost__os_thread *t, int *priority)
{
    pthread_mutex_lock(&clrhost__posix_lock);
    *priority = t->p->priority;
    pthread_mutex_unlock(&clrhost__posix_lock);
    return S_OK;
}

static HRESULT clrhost__os_set_locale(LCID lcid) { (void)lcid; return S_OK; }

static void clrhost__os_yield(void) { sched_yield(); }

static ULONGLONG clrhost__os_ticks(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (ULONGLONG)ts.tv_sec * 1000000000u + (ULONGLONG)ts.tv_nsec;
}

static ULONGLONG clrhost__os_tick_frequency(void) { return 1000000000u; }

static ULONGLONG clrhost__os_now_ms(void) { return clrhost__os_ticks() / 1000000u; }

/* The object holding an address, found with dl_iterate_phdr: glibc calls
   back holding the lock under which dlclose unmaps an object and frees its
   name (dl_load_write_lock, elf/dl-close.c), so the object's name is read
   while it cannot go. dladdr, which takes another lock and returns the
   names it found, is not called there (dlclose takes the two in the other
   order). ThreadSanitizer does not see that lock, taken inside ld.so, and
   reports the read against dlclose's free (tests/tsan.supp). */
typedef struct clrhost__posix_object {
    SIZE_T addr;
    char *path;  /* the name it was loaded by ("" for the program), or NULL */
    size_t path_cap;
    char file[CLRHOST__FILE_NAME_MAX]; /* its file name */
    int found;   /* 1: found, its names fit; -1: found, too long */
} clrhost__posix_object;

static int clrhost__posix_copy_name(char *to, size_t cap, const char *from)
{
    size_t n = strlen(from);
    if (n >= cap)
        return 0;
    memcpy(to, from, n + 1);
    return 1;
}

static int clrhost__posix_find_object(struct dl_phdr_info *info, size_t size, void *p)
{
    clrhost__posix_object *o = (clrhost__posix_object *)p;
    const char *file = strrchr(info->dlpi_name, '/');
    int i;
    (void)size;
    for (i = 0; i < (int)info->dlpi_phnum; ++i) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        SIZE_T start = (SIZE_T)info->dlpi_addr + (SIZE_T)ph->p_vaddr;
        if (ph->p_type == PT_LOAD && o->addr - start < (SIZE_T)ph->p_memsz) {
            int fits = clrhost__posix_copy_name(o->file, sizeof o->file, file ? file + 1 : info->dlpi_name);
            if (o->path)
                fits = fits && clrhost__posix_copy_name(o->path, o->path_cap, info->dlpi_name);
            o->found = fits ? 1 : -1;
            return 1;
        }
    }
    return 0;
}

/* Finds the object holding addr: 1 if found and its names fit. The
   program's own name is "": dladdr names it (it is never unloaded). */
static int clrhost__posix_object_of(SIZE_T addr, clrhost__posix_object *o, char *path, size_t path_cap)
{
    Dl_info info;
    const char *file;
    o->addr = addr;
    o->path = path;
    o->path_cap = path_cap;
    o->found = 0;
    (void)dl_iterate_phdr(clrhost__posix_find_object, o);
    if (o->found != 1)
        return 0;
    if (o->file[0])
        return 1;
    if (!dladdr((const void *)addr, &info) || !info.dli_fname) /* NOLINT(performance-no-int-to-ptr) */
        return 0;
    file = strrchr(info.dli_fname, '/');
    return clrhost__posix_copy_name(o->file, sizeof o->file, file ? file + 1 : info.dli_fname);
}

/* The name (file name) of the object holding addr; 0 if none does. */
static int clrhost__os_module_name(SIZE_T addr, char *name, size_t cap)
{
    clrhost__posix_object o;
    return clrhost__posix_object_of(addr, &o, NULL, 0) && clrhost__posix_copy_name(name, cap, o.file);
}

/* dladdr's answer for addr, if it is about the object `held` (glibc:
   their link maps, from dladdr1 and dlinfo). */
static int clrhost__posix_dladdr_in(void *held, SIZE_T addr, Dl_info *info)
{
#if defined(__GLIBC__)
    void *held_map = NULL, *map = NULL;
    return dlinfo(held, RTLD_DI_LINKMAP, &held_map) == 0 &&
           dladdr1((const void *)addr, info, &map, RTLD_DL_LINKMAP) && map == held_map; /* NOLINT(performance-no-int-to-ptr) */
#else
    (void)held;
    return dladdr((const void *)addr, info) != 0; /* NOLINT(performance-no-int-to-ptr) */
#endif
}

/* As on Win32, from dladdr: the object and its nearest dynamic symbol.
   dladdr's names live as long as the object, so it is held meanwhile
   (dlopen of its name with RTLD_NOLOAD), and dladdr's answer is used only
   if it is that object's (glibc: their link maps, dlinfo and dladdr1);
   an object unloaded meanwhile is in no module. */
static int clrhost__os_describe(SIZE_T addr, clrhost__name *name, SIZE_T *offset)
{
    char path[PATH_MAX];
    clrhost__posix_object o;
    Dl_info info;
    void *held;
    int found = 0;
    if (!clrhost__posix_object_of(addr, &o, path, sizeof path))
        return 0;
    held = dlopen(path[0] ? path : NULL, RTLD_LAZY | RTLD_NOLOAD);
    if (!held)
        return 0; /* unloaded meanwhile */
    if (clrhost__posix_dladdr_in(held, addr, &info)) {
        clrhost__name_append(name, o.file);
        *offset = addr - (SIZE_T)info.dli_fbase;
        found = 1;
        if (info.dli_sname && info.dli_saddr) {
            clrhost__name_append(name, "!");
            clrhost__name_append(name, info.dli_sname);
            *offset = addr - (SIZE_T)info.dli_saddr;
            found = 2;
        }
    }
    (void)dlclose(held);
    return found;
}

/* glibc counts every object loaded and unloaded (dl_phdr_info's dlpi_adds
   and dlpi_subs); their sum changes whenever what is loaded does. They
   can only be read through dl_iterate_phdr, which takes glibc's loader
   lock for a moment: on this layer a module policy answer costs that lock
   (this is the test layer; Win32 reads a counter). -1: unknown. */
#if defined(__GLIBC__)
static int clrhost__posix_first_object(struct dl_phdr_info *info, size_t size, void *out)
{
    (void)size;
    *(LONG *)out = (LONG)((info->dlpi_adds + info->dlpi_subs) & 0x3FFFFFFF);
    return 1; /* the first object is enough */
}

static LONG clrhost__os_modules_generation(void)
{
    LONG generation = -1;
    (void)dl_iterate_phdr(clrhost__posix_first_object, &generation);
    return generation;
}
#else
static LONG clrhost__os_modules_generation(void) { return -1; }
#endif

static unsigned clrhost__os_blocking_targets(SIZE_T *out, unsigned cap)
{
    SIZE_T all[5];
    unsigned i, n = 0;
    all[0] = (SIZE_T)&nanosleep;
    all[1] = (SIZE_T)&poll;
    all[2] = (SIZE_T)&pthread_cond_wait;
    all[3] = (SIZE_T)&pthread_cond_timedwait;
    all[4] = (SIZE_T)&pthread_join;
    for (i = 0; i < sizeof all / sizeof all[0] && n < cap; ++i)
        out[n++] = all[i];
    return n;
}

#endif /* platform layer */

/* ------------------------------------------------------------------------
   >>clock  The clock timing reads: the processor's time-stamp counter
   where CPUID says it is invariant (it ticks at one rate whatever the
   core's speed or sleep state, and Windows' own QueryPerformanceCounter
   reads it on such machines), calibrated once per process against the OS
   clock; otherwise, or with CLRHOST_TASK_OS_CLOCK, the OS clock itself.
   One counter read costs a few nanoseconds; an OS clock read (a vDSO call
   or QueryPerformanceCounter) several times that, and far more under Wine.
   ------------------------------------------------------------------------ */

#if (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
#include <cpuid.h>
#define CLRHOST__HAVE_TSC 1
CLRHOST__INLINE ULONGLONG clrhost__tsc_read(void) { return __builtin_ia32_rdtsc(); }
/* CPUID leaf 0x80000007, EDX bit 8: the invariant TSC (Intel SDM vol. 2,
   CPUID; AMD's "TscInvariant" in the same bit). */
static int clrhost__tsc_invariant(void)
{
    unsigned a, b, c, d;
    return __get_cpuid(0x80000007u, &a, &b, &c, &d) && (d & 0x100u) != 0;
}
#elif defined(_MSC_VER) && (defined(_M_X64) || defined(_M_IX86))
#define CLRHOST__HAVE_TSC 1
CLRHOST__INLINE ULONGLONG clrhost__tsc_read(void) { return (ULONGLONG)__rdtsc(); }
static int clrhost__tsc_invariant(void)
{
    int r[4];
    __cpuid(r, (int)0x80000000u); /* the highest extended leaf */
    if ((unsigned)r[0] < 0x80000007u)
        return 0;
    __cpuid(r, (int)0x80000007u);
    return ((unsigned)r[3] & 0x100u) != 0;
}
#else
#define CLRHOST__HAVE_TSC 0
#endif

#if CLRHOST__HAVE_TSC
/* The calibration: two (OS tick, counter) pairs CLRHOST__CALIBRATION_MS
   apart. A pair is the narrowest of a few brackets of an OS clock read
   between two counter reads, so a thread switch in one costs nothing. */
#define CLRHOST__CALIBRATION_MS 20

static void clrhost__clock_pair(ULONGLONG *os, ULONGLONG *tsc)
{
    ULONGLONG narrowest = ~(ULONGLONG)0;
    int i;
    for (i = 0; i < 5; ++i) {
        ULONGLONG before = clrhost__tsc_read();
        ULONGLONG o = clrhost__os_ticks();
        ULONGLONG after = clrhost__tsc_read();
        if (after >= before && after - before < narrowest) {
            narrowest = after - before;
            *os = o;
            *tsc = before + (after - before) / 2;
        }
    }
}

/* Counter ticks per second, once per process (a race only measures
   twice); 0 when the counter is not usable. */
static volatile ULONGLONG clrhost__tsc_hz;
static volatile LONG clrhost__tsc_known;

static ULONGLONG clrhost__tsc_frequency(void)
{
    ULONGLONG os0 = 0, tsc0 = 0, os1 = 0, tsc1 = 0, hz = 0;
    HRESULT error = S_OK;
    if (clrhost__atomic_load(&clrhost__tsc_known))
        return clrhost__load64(&clrhost__tsc_hz);
    if (clrhost__tsc_invariant()) {
        clrhost__clock_pair(&os0, &tsc0);
        (void)clrhost__os_wait(NULL, NULL, CLRHOST__CALIBRATION_MS, 0, 0, &error);
        clrhost__clock_pair(&os1, &tsc1);
        if (os1 > os0 && tsc1 > tsc0) /* ticks * frequency / OS ticks, without overflow */
            hz = (ULONGLONG)((double)(tsc1 - tsc0) * (double)clrhost__os_tick_frequency() / (double)(os1 - os0));
        if (hz < 1000000u) /* a counter slower than 1 MHz is no clock to trust */
            hz = 0;
    }
    clrhost__store64(&clrhost__tsc_hz, hz);
    clrhost__atomic_store(&clrhost__tsc_known, 1);
    return hz;
}
#endif

/* The manager's clock, chosen when it is made (flags and the scheduler:
   its configuration; the scheduler's accounting reads it too). */
static void clrhost__clock_choose(clrhost_task_manager *m)
{
    m->tsc = 0;
    m->tick_frequency = clrhost__os_tick_frequency();
#if CLRHOST__HAVE_TSC
    if (((m->flags & CLRHOST_TASK_TIMING) || clrhost__sched_on(m)) && !(m->flags & CLRHOST_TASK_OS_CLOCK)) {
        ULONGLONG hz = clrhost__tsc_frequency();
        if (hz) {
            m->tsc = 1;
            m->tick_frequency = hz;
        }
    }
#endif
}

/* Now, in the manager's clock ticks. */
CLRHOST__INLINE ULONGLONG clrhost__ticks(const clrhost_task_manager *m)
{
#if CLRHOST__HAVE_TSC
    if (m->tsc)
        return clrhost__tsc_read();
#endif
    (void)m;
    return clrhost__os_ticks();
}

/* Ticks from `start` to `end`; 0 if the counter read on another core
   seemed to go back (cores of one machine agree on an invariant counter
   to within a few ticks, but not always exactly). */
CLRHOST__INLINE ULONGLONG clrhost__elapsed(ULONGLONG start, ULONGLONG end) { return end > start ? end - start : 0; }

/* ------------------------------------------------------------------------
   >>helpers  Small helpers: allocation, the last-error keeper, logging,
   task hooks, summing counters
   ------------------------------------------------------------------------ */

static void *clrhost__libc_alloc(void *user, size_t size) { (void)user; return malloc(size); }
static void clrhost__libc_free(void *user, void *p) { (void)user; free(p); }

static void *clrhost__alloc(const clrhost_task_manager *m, size_t size)
{
    return m->allocator.alloc_fn(m->allocator.user, size);
}

static void clrhost__free(const clrhost_task_manager *m, void *p)
{
    m->allocator.free_fn(m->allocator.user, p);
}

static const GUID *clrhost__iid(REFIID riid) { return CLRHOST__IID_PTR(riid); }

static void clrhost__name_begin(clrhost__name *name, char *buf, size_t size)
{
    name->buf = buf;
    name->size = size;
    name->length = 0;
}

/* Appends count characters of text (which holds at least that many). */
static void clrhost__name_append_n(clrhost__name *name, const char *text, size_t count)
{
    size_t i;
    for (i = 0; i < count; ++i, ++name->length)
        if (name->length + 1 < name->size)
            name->buf[name->length] = text[i];
}

static void clrhost__name_append(clrhost__name *name, const char *text)
{
    clrhost__name_append_n(name, text, strlen(text));
}

static void clrhost__name_append_hex(clrhost__name *name, SIZE_T value)
{
    char digits[2 + 2 * sizeof(SIZE_T) + 1];
    int i = (int)sizeof digits - 1;
    digits[i] = 0;
    do {
        digits[--i] = "0123456789abcdef"[value & 15u];
        value /= 16u;
    } while (value && i > 2);
    digits[--i] = 'x';
    digits[--i] = '0';
    clrhost__name_append(name, digits + i);
}

/* Terminates the name (size > 0); returns its whole length. */
static size_t clrhost__name_end(clrhost__name *name)
{
    name->buf[name->length < name->size ? name->length : name->size - 1] = 0;
    return name->length;
}

/* Runs `call` (a hook, a log line, a loader query: anything the CLR did
   not ask for) so that the thread's last-error value is the same after it
   as before: the CLR reads it right after many of our methods. */
#define CLRHOST__KEEPING_LAST_ERROR(call) \
    do { \
        DWORD clrhost__kept_error = clrhost__os_get_last_error(); \
        call; \
        clrhost__os_set_last_error(clrhost__kept_error); \
    } while (0)

static void clrhost__log(const clrhost_task_manager *m, clrhost_task_log_level level,
                         clrhost_task *task, const char *message)
{
    if (m->log_fn)
        CLRHOST__KEEPING_LAST_ERROR(m->log_fn(m->hooks.user, level, task, message));
}

/* Counted on the task when there is one (its own thread is the caller). */
static CLRHOST__COLD void clrhost__protocol_error(clrhost_task_manager *m, clrhost_task *t, const char *message)
{
    if (t)
        clrhost__count(&t->counts.protocol_errors, 1);
    else
        clrhost__atomic_add64(&m->taskless.protocol_errors, 1);
    clrhost__log(m, CLRHOST_TASK_LOG_WARNING, t, message);
}

/* Out of line so that a transition without hooks saves no registers. */
static CLRHOST__NOINLINE void clrhost__call_task_hook(const clrhost_task_manager *m,
                                                      void (*hook)(void *user, clrhost_task *task), clrhost_task *t)
{
    if (!hook)
        return;
    CLRHOST__KEEPING_LAST_ERROR(hook(m->hooks.user, t));
}

/* Adds every counter of `from` to `to`; `from` may belong to a task that
   is counting on another thread. Each close is read before the open it
   closes (EnterRuntime before LeaveRuntime, ReverseLeave before
   ReverseEnter, TRUE answers before questions): the owner counts the open
   first, so with acquire loads against its release stores the sum never
   shows more closes than opens. Counters without such a pair are only
   whole and never go back. */
static void clrhost__counters_add(clrhost_task_counters *to, const clrhost_task_counters *from)
{
    to->enter_runtime += clrhost__load64(&from->enter_runtime);
    to->leave_runtime += clrhost__load64(&from->leave_runtime);
    to->reverse_leave_runtime += clrhost__load64(&from->reverse_leave_runtime);
    to->reverse_enter_runtime += clrhost__load64(&from->reverse_enter_runtime);
    to->needs_hook_true += clrhost__load64(&from->needs_hook_true);
    to->needs_hook_asks += clrhost__load64(&from->needs_hook_asks);
    to->leave_runtime_vetoed += clrhost__load64(&from->leave_runtime_vetoed);
    to->reverse_enter_vetoed += clrhost__load64(&from->reverse_enter_vetoed);
    to->protocol_errors += clrhost__load64(&from->protocol_errors);
    to->sleeps += clrhost__load64(&from->sleeps);
    to->switches += clrhost__load64(&from->switches);
    to->joins += clrhost__load64(&from->joins);
    to->alerts += clrhost__load64(&from->alerts);
    to->forced_yields_taken += clrhost__load64(&from->forced_yields_taken);
    to->forced_yields += clrhost__load64(&from->forced_yields);
    to->thread_affinity += clrhost__load64(&from->thread_affinity);
    to->native_wait_ns += clrhost__load64(&from->native_wait_ns);
    to->native_call_ns += clrhost__load64(&from->native_call_ns);
    to->sleep_ns += clrhost__load64(&from->sleep_ns);
    to->slot_waits += clrhost__load64(&from->slot_waits); /* before the takes they are part of */
    to->slot_takes += clrhost__load64(&from->slot_takes);
    to->slot_handoffs += clrhost__load64(&from->slot_handoffs);
    to->slot_ns += clrhost__load64(&from->slot_ns);
    to->slot_wait_ns += clrhost__load64(&from->slot_wait_ns);
    to->over_cap += clrhost__load64(&from->over_cap);
    to->over_cap_ns += clrhost__load64(&from->over_cap_ns);
}
/* A new counter must be added above, in its place in that order. */
CLRHOST__STATIC_CHECK(every_counter_summed, sizeof(clrhost_task_counters) == 26 * sizeof(ULONGLONG));

static ULONGLONG clrhost__ticks_to_ns(ULONGLONG ticks, ULONGLONG frequency)
{
    return ticks / frequency * 1000000000u + ticks % frequency * 1000000000u / frequency;
}

static void clrhost__counters_finish(clrhost_task_counters *c, const clrhost_task_manager *m)
{
    c->native_wait_ns = clrhost__ticks_to_ns(c->native_wait_ns, m->tick_frequency);
    c->native_call_ns = clrhost__ticks_to_ns(c->native_call_ns, m->tick_frequency);
    c->sleep_ns = clrhost__ticks_to_ns(c->sleep_ns, m->tick_frequency);
    c->slot_ns = clrhost__ticks_to_ns(c->slot_ns, m->tick_frequency);
    c->slot_wait_ns = clrhost__ticks_to_ns(c->slot_wait_ns, m->tick_frequency);
    c->over_cap_ns = clrhost__ticks_to_ns(c->over_cap_ns, m->tick_frequency);
}

/* A native target's hash, for the tables keyed by target. */
CLRHOST__INLINE SIZE_T clrhost__target_hash(SIZE_T target)
{
    SIZE_T h = target >> 4; /* functions start 16-byte aligned, mostly */
    h ^= h >> 15;
    h *= (SIZE_T)0x2C1B3C6Du;
    return h ^ (h >> 12);
}

/* ------------------------------------------------------------------------
   >>slot  The thread-local slot holds the calling thread's tasks (usually
   one; one per manager) as a list linked through thread_next. Its low bit
   marks a thread that is ending: no task is adopted on it any more.
   ------------------------------------------------------------------------ */

#define CLRHOST__SLOT_ENDING ((SIZE_T)1)

CLRHOST__INLINE clrhost_task *clrhost__slot_tasks(void *slot)
{
    return (clrhost_task *)(void *)((SIZE_T)slot & ~CLRHOST__SLOT_ENDING); /* NOLINT(performance-no-int-to-ptr): a tagged pointer */
}

static int clrhost__slot_ending(void *slot) { return ((SIZE_T)slot & CLRHOST__SLOT_ENDING) != 0; }

static void *clrhost__slot_make(clrhost_task *head, int ending)
{
    return (void *)((SIZE_T)head | (ending ? CLRHOST__SLOT_ENDING : 0)); /* NOLINT(performance-no-int-to-ptr): a tagged pointer */
}

CLRHOST__INLINE clrhost_task *clrhost__find_task(void *slot, const clrhost_task_manager *m)
{
    clrhost_task *t = clrhost__slot_tasks(slot);
    while (t && t->manager != m)
        t = t->thread_next;
    return t;
}

CLRHOST__INLINE clrhost_task *clrhost__current_task(const clrhost_task_manager *m)
{
    return clrhost__find_task(clrhost__os_slot_get(), m);
}

/* Fails only for a thread's first task, when the OS has no storage for
   the slot's value: the task is linked all the same (the thread finds it),
   but no exit callback will come for it. */
static HRESULT clrhost__thread_link(clrhost_task *t)
{
    void *slot = clrhost__os_slot_get();
    CLRHOST_TASK_ASSERT(((SIZE_T)t & CLRHOST__SLOT_ENDING) == 0);
    t->thread_next = clrhost__slot_tasks(slot);
    return clrhost__os_slot_set(clrhost__slot_make(t, clrhost__slot_ending(slot)));
}

static void clrhost__thread_unlink(clrhost_task *t)
{
    void *slot = clrhost__os_slot_get();
    clrhost_task *p = clrhost__slot_tasks(slot);
    if (p == t) {
        (void)clrhost__os_slot_set(clrhost__slot_make(t->thread_next, clrhost__slot_ending(slot)));
    } else {
        while (p && p->thread_next != t)
            p = p->thread_next;
        if (p)
            p->thread_next = t->thread_next;
    }
    t->thread_next = NULL;
}

static void clrhost__thread_mark_ending(void)
{
    void *slot = clrhost__os_slot_get();
    (void)clrhost__os_slot_set(clrhost__slot_make(clrhost__slot_tasks(slot), 1));
}

/* ------------------------------------------------------------------------
   >>waits  What a native call's target is: one of the CLR's blocking
   waits or not (timing, the live view and the profile ask)
   ------------------------------------------------------------------------ */

#define CLRHOST__NO_WAIT (~(SIZE_T)0) /* a free line of waits: no function is there */

/* The line of waits where `target` is, or the free one where it would be
   (linear probing from its hash; the table is never full). */
CLRHOST__INLINE SIZE_T clrhost__wait_line(const clrhost_task_manager *m, SIZE_T target)
{
    SIZE_T i = clrhost__target_hash(target) & (CLRHOST__WAIT_LINES - 1);
    while (m->waits[i] != target && m->waits[i] != CLRHOST__NO_WAIT)
        i = (i + 1) & (CLRHOST__WAIT_LINES - 1);
    return i;
}

/* The CLR's own blocking waits, into their table. */
static void clrhost__waits_init(clrhost_task_manager *m)
{
    SIZE_T targets[CLRHOST__MAX_BLOCKING_TARGETS];
    unsigned i, n = clrhost__os_blocking_targets(targets, CLRHOST__MAX_BLOCKING_TARGETS);
    for (i = 0; i < CLRHOST__WAIT_LINES; ++i)
        m->waits[i] = CLRHOST__NO_WAIT;
    for (i = 0; i < n; ++i)
        m->waits[clrhost__wait_line(m, targets[i])] = targets[i];
}

/* A native call's target is one of the CLR's own blocking waits (which it
   notifies with the address of WaitForMultipleObjectsEx and the like): a
   hash and, for most targets, one look at a free line. */
CLRHOST__INLINE int clrhost__is_wait(const clrhost_task_manager *m, SIZE_T target)
{
    return target != CLRHOST__NO_WAIT && m->waits[clrhost__wait_line(m, target)] == target;
}

/* ------------------------------------------------------------------------
   >>registry  The manager's list of live tasks, and its task numbers
   ------------------------------------------------------------------------ */

static void clrhost__registry_add(clrhost_task_manager *m, clrhost_task *t)
{
    clrhost__os_mutex_lock(&m->lock);
    t->live_prev = NULL;
    t->live_next = m->live;
    if (m->live)
        m->live->live_prev = t;
    m->live = t;
    m->live_count += 1;
    if (t->adopted)
        m->adopted += 1;
    else
        m->created += 1;
    clrhost__os_mutex_unlock(&m->lock);
}

/* The kind of an ETaskType. */
static clrhost_task_kind clrhost__kind_of_type(LONG type)
{
    switch (type) {
    case CLRHOST__TT_USER: return CLRHOST_TASK_KIND_USER;
    case CLRHOST__TT_THREADPOOL_WORKER: return CLRHOST_TASK_KIND_THREADPOOL_WORKER;
    case CLRHOST__TT_THREADPOOL_IOCOMPLETION: return CLRHOST_TASK_KIND_IO_COMPLETION;
    case CLRHOST__TT_FINALIZER: return CLRHOST_TASK_KIND_FINALIZER;
    case CLRHOST__TT_GC: return CLRHOST_TASK_KIND_GC;
    case CLRHOST__TT_ADUNLOAD: return CLRHOST_TASK_KIND_AD_UNLOAD;
    case CLRHOST__TT_DEBUGGERHELPER:
    case CLRHOST__TT_THREADPOOL_TIMER:
    case CLRHOST__TT_THREADPOOL_GATE:
    case CLRHOST__TT_THREADPOOL_WAIT: return CLRHOST_TASK_KIND_OTHER;
    default: return CLRHOST_TASK_KIND_UNKNOWN;
    }
}

static clrhost_task_kind clrhost__task_kind(const clrhost_task *t)
{
    return clrhost__kind_of_type(clrhost__relaxed_load(&t->clr_type));
}

static void clrhost__registry_remove(clrhost_task_manager *m, clrhost_task *t)
{
    clrhost_task_kind_stats *kind = &m->ended_by_kind[clrhost__task_kind(t)];
    clrhost__os_mutex_lock(&m->lock);
    if (t->live_prev)
        t->live_prev->live_next = t->live_next;
    else
        m->live = t->live_next;
    if (t->live_next)
        t->live_next->live_prev = t->live_prev;
    t->live_prev = t->live_next = NULL;
    m->live_count -= 1;
    m->ended += 1;
    kind->tasks += 1;
    clrhost__os_mutex_lock(&t->clr_lock); /* an Alert from another thread counts on one side */
    clrhost__counters_add(&kind->counters, &t->counts);
    t->counted_out = 1;
    clrhost__os_mutex_unlock(&t->clr_lock);
    clrhost__profile_task_ends(m, t);
    clrhost__os_mutex_unlock(&m->lock);
}

/* ------------------------------------------------------------------------
   >>transitions  The per-task frame stack that LeaveRuntime, EnterRuntime,
   ReverseEnterRuntime and ReverseLeaveRuntime push and pop. The common
   case (push a frame; pop the innermost one, of the expected kind) is
   inline and touches only the task; repairs, overflow and hook calls are
   out of line.
   ------------------------------------------------------------------------ */

/* ---- the encoding ------------------------------------------------------

   A task's open frames: `position` holds the depth shifted left by one,
   plus NATIVE_BIT while the innermost frame is native (so the depth and
   clrhost_task_in_native are one relaxed load for other threads); frame
   d's kind is bit d % 8 of managed_bits[d / 8], for d smaller than
   CLRHOST__KIND_CAPACITY. Everything else reads them through this part;
   only the pushes and pops of this section write them. A push also
   leaves its native call's target where the live view keeps it (or,
   without the view, in the frame): clrhost__view_target, read back by
   clrhost__view_frame_target; a timed transition moves the position
   with clrhost__view_move, which with the view also publishes when (the
   points; task_view says why per position). */

#define CLRHOST__NATIVE_BIT 1

CLRHOST__INLINE LONG clrhost__depth(const clrhost_task *t)
{
    return clrhost__relaxed_load(&t->position) >> 1;
}

/* 1 while the innermost frame is native. */
CLRHOST__INLINE LONG clrhost__in_native(const clrhost_task *t)
{
    return clrhost__relaxed_load(&t->position) & CLRHOST__NATIVE_BIT;
}

/* The position of `depth` open frames, the innermost native or not (a
   macro, not a function: the hot paths' code stays exactly as written). */
#define CLRHOST__POSITION(depth, native) ((depth) << 1 | (native))

/* Frame d's kind, for d < CLRHOST__KIND_CAPACITY. */
CLRHOST__INLINE int clrhost__frame_kind(const clrhost_task *t, LONG d)
{
    return ((t->managed_bits[d >> 3] >> (d & 7)) & 1) ? CLRHOST__FRAME_MANAGED
                                                                                        : CLRHOST__FRAME_NATIVE_CALL;
}

CLRHOST__INLINE void clrhost__set_frame_kind(clrhost_task *t, LONG d, int kind)
{
    unsigned char bit = (unsigned char)(1u << (d & 7));
    unsigned char *bits = &t->managed_bits[d >> 3]; /* not `byte`: rpcndr.h's type */
    if (kind == CLRHOST__FRAME_MANAGED)
        *bits = (unsigned char)(*bits | bit);
    else
        *bits = (unsigned char)(*bits & ~bit);
}

/* The in-native bit once frame d is the innermost (d < 0: none open). */
CLRHOST__INLINE LONG clrhost__native_below(const clrhost_task *t, LONG d)
{
    if (d < 0)
        return 0;
    if (d < CLRHOST__KIND_CAPACITY)
        return clrhost__frame_kind(t, d) != CLRHOST__FRAME_MANAGED;
    return clrhost__in_native(t); /* unknown: kept */
}

/* ---- the hooks a transition calls -------------------------------------- */

/* A call made on a thread that has no task: counted, logged, tolerated. */
static CLRHOST__COLD HRESULT clrhost__taskless_call(clrhost_task_manager *m, const char *message)
{
    clrhost__protocol_error(m, NULL, message);
    return S_OK;
}

CLRHOST__INLINE HRESULT clrhost__call_leave_hook(clrhost_task_manager *m, clrhost_task *t, SIZE_T target)
{
    HRESULT hr;
    CLRHOST__KEEPING_LAST_ERROR(hr = m->hooks.leave_runtime(m->hooks.user, t, target));
    return hr;
}

CLRHOST__INLINE HRESULT clrhost__call_reverse_enter_hook(clrhost_task_manager *m, clrhost_task *t)
{
    HRESULT hr;
    CLRHOST__KEEPING_LAST_ERROR(hr = m->hooks.reverse_enter_runtime(m->hooks.user, t));
    return hr;
}

/* A closing hook, after a pop (from a fast path, by a tail call); kind:
   the frame's, for clrhost_task_closing_frame, which answers during it. */
static CLRHOST__NOINLINE HRESULT clrhost__run_pop_hook(clrhost_task_manager *m, clrhost_task *t,
                                                       void (*hook)(void *user, clrhost_task *task), int kind)
{
    t->closing = 1 + kind;
    CLRHOST__KEEPING_LAST_ERROR(hook(m->hooks.user, t));
    t->closing = 0;
    return S_OK;
}


/* ---- the fast paths ----------------------------------------------------

   Each transition has one for the common case (no hook, no timing, a
   frame within capacity, the expected frame on top) with no call in it,
   so it saves no registers; every other case leaves through a tail call
   into a full path below, which does the whole job. */

CLRHOST__INLINE int clrhost__push_is_plain(const clrhost_task_manager *m, const clrhost_task *t, int hooked)
{
    return !hooked && !(m->flags & CLRHOST_TASK_TIMING) && clrhost__depth(t) < CLRHOST_TASK_MAX_DEPTH;
}

/* When clrhost__push_is_plain. target: a native call's (0 for a managed frame). */
CLRHOST__INLINE void clrhost__push_plain(clrhost_task *t, int kind, SIZE_T target)
{
    LONG from = clrhost__relaxed_load(&t->position);
    LONG d = from >> 1;
    LONG to = CLRHOST__POSITION(d + 1, kind != CLRHOST__FRAME_MANAGED);
    clrhost__set_frame_kind(t, d, kind);
    clrhost__view_target(t, from, to, kind, target);
    clrhost__atomic_store(&t->position, to);
}

/* The expected frame on top, within capacity, no timing; returns 0 (and
   changes nothing) when the full path must do it. */
CLRHOST__INLINE int clrhost__pop_plain(const clrhost_task_manager *m, clrhost_task *t, int wanted)
{
    LONG d = clrhost__depth(t) - 1;
    if (d < 0 || d >= CLRHOST__KIND_CAPACITY || (m->flags & CLRHOST_TASK_TIMING) ||
        clrhost__frame_kind(t, d) != wanted)
        return 0;
    clrhost__atomic_store(&t->position, CLRHOST__POSITION(d, clrhost__native_below(t, d - 1)));
    return 1;
}

/* ---- the full paths: timing, depth limits, repairs, hooks -------------- */

/* Frame d is being pushed past one of the two limits (both, when they are
   equal): each is reported once per crossing. */
static CLRHOST__COLD void clrhost__frame_too_deep(clrhost_task_manager *m, clrhost_task *t, LONG d)
{
    if (d == CLRHOST_TASK_MAX_DEPTH)
        clrhost__protocol_error(m, t, "transitions nested deeper than CLRHOST_TASK_MAX_DEPTH: "
                                      "deeper frames are counted but not timed");
    if (d == CLRHOST__KIND_CAPACITY)
        clrhost__protocol_error(m, t, "transitions nested deeper than 1024 (or CLRHOST_TASK_MAX_DEPTH, if "
                                      "larger): deeper frames keep no kind, and their closes are taken "
                                      "at their word");
}

/* Timing a new frame (after the leave hook: the hook's own time is not
   native time). */
CLRHOST__INLINE void clrhost__frame_start(const clrhost_task_manager *m, clrhost__frame *f)
{
    f->nested = 0;
    f->start = clrhost__ticks(m);
}

/* With timing, no hook and a frame within CLRHOST_TASK_MAX_DEPTH: the
   frame starts now. */
CLRHOST__INLINE void clrhost__push_timed(const clrhost_task_manager *m, clrhost_task *t, int kind, SIZE_T target)
{
    LONG from = clrhost__relaxed_load(&t->position);
    LONG d = from >> 1;
    LONG to = CLRHOST__POSITION(d + 1, kind != CLRHOST__FRAME_MANAGED);
    clrhost__set_frame_kind(t, d, kind);
    clrhost__view_target(t, from, to, kind, target);
    clrhost__frame_start(m, &t->frames[d]);
    clrhost__view_move(t, to, t->frames[d].start);
}

/* kind: CLRHOST__FRAME_NATIVE_CALL (target: the native code's address) or
   CLRHOST__FRAME_MANAGED. Past CLRHOST_TASK_MAX_DEPTH a frame is counted
   and untimed, and past CLRHOST__KIND_CAPACITY it keeps no kind. */
CLRHOST__INLINE void clrhost__push_frame(clrhost_task_manager *m, clrhost_task *t, int kind, SIZE_T target)
{
    LONG from = clrhost__relaxed_load(&t->position);
    LONG d = from >> 1;
    LONG to = CLRHOST__POSITION(d + 1, kind != CLRHOST__FRAME_MANAGED);
    if (d < CLRHOST__KIND_CAPACITY)
        clrhost__set_frame_kind(t, d, kind);
    if (d < CLRHOST_TASK_MAX_DEPTH) {
        clrhost__view_target(t, from, to, kind, target);
        if (m->flags & CLRHOST_TASK_TIMING) {
            clrhost__frame_start(m, &t->frames[d]);
            clrhost__view_move(t, to, t->frames[d].start);
            return;
        }
    } else if (d == CLRHOST_TASK_MAX_DEPTH || d == CLRHOST__KIND_CAPACITY) {
        clrhost__frame_too_deep(m, t, d);
    }
    if (m->flags & CLRHOST_TASK_TIMING)
        clrhost__view_move(t, to, clrhost__ticks(m));
    else
        clrhost__atomic_store(&t->position, to);
}

/* Books a closing frame's time: its span minus the frames opened inside
   it (a native call's goes to the counters, and with the profile to its
   target's line); its span counts as nested time for its parent. Returns
   the clock tick it closed at. */
CLRHOST__INLINE ULONGLONG clrhost__frame_time(const clrhost_task_manager *m, clrhost_task *t, LONG d)
{
    clrhost__frame *f = &t->frames[d];
    ULONGLONG now = clrhost__ticks(m);
    ULONGLONG span = clrhost__elapsed(f->start, now);
    f->span = span;
    if (d > 0)
        t->frames[d - 1].nested += span;
    if (clrhost__frame_kind(t, d) != CLRHOST__FRAME_MANAGED) {
        SIZE_T target = clrhost__view_frame_target(t, d);
        ULONGLONG own = clrhost__elapsed(f->nested, span);
        int wait = clrhost__profile_on(t) ? clrhost__profile_book(t, target, own) : clrhost__is_wait(m, target);
        clrhost__count(wait ? &t->counts.native_wait_ns : &t->counts.native_call_ns, own);
    }
    return now;
}

/* With timing: the expected frame on top, within CLRHOST_TASK_MAX_DEPTH,
   popped and its time booked. Returns 0 (and changes nothing) when the
   full path must do it. */
CLRHOST__INLINE int clrhost__pop_timed(clrhost_task_manager *m, clrhost_task *t, int wanted)
{
    LONG d = clrhost__depth(t) - 1;
    if (d < 0 || d >= CLRHOST_TASK_MAX_DEPTH || clrhost__frame_kind(t, d) != wanted)
        return 0;
    clrhost__view_move(t, CLRHOST__POSITION(d, clrhost__native_below(t, d - 1)), clrhost__frame_time(m, t, d));
    return 1;
}

/* Pops the innermost frame, the depth-th (kind: what it is; past
   CLRHOST__KIND_CAPACITY no kind is kept and the caller's is trusted),
   counts it and calls the hook of its kind. */
CLRHOST__INLINE void clrhost__pop_frame(clrhost_task_manager *m, clrhost_task *t, LONG depth, int kind)
{
    LONG d = depth - 1;
    LONG to = CLRHOST__POSITION(d, clrhost__native_below(t, d - 1));
    if (m->flags & CLRHOST_TASK_TIMING)
        clrhost__view_move(t, to, d < CLRHOST_TASK_MAX_DEPTH ? clrhost__frame_time(m, t, d) : clrhost__ticks(m));
    else
        clrhost__atomic_store(&t->position, to);
    if (kind == CLRHOST__FRAME_MANAGED) {
        clrhost__count(&t->counts.reverse_leave_runtime, 1);
        if (m->hooks.reverse_leave_runtime)
            (void)clrhost__run_pop_hook(m, t, m->hooks.reverse_leave_runtime, kind);
    } else {
        clrhost__count(&t->counts.enter_runtime, 1);
        if (m->hooks.enter_runtime)
            (void)clrhost__run_pop_hook(m, t, m->hooks.enter_runtime, kind);
    }
}

/* The uncommon closes of EnterRuntime (managed = 0) and ReverseLeaveRuntime
   (managed = 1): nothing open, too deep to know, or frames of the other
   kind still open above the wanted one. Those were left open by the CLR;
   they are closed first, each a protocol error, so the hooks keep seeing a
   balanced sequence. A close with no frame of its kind open changes
   nothing. [INF] The CLR's source always balances; its documentation
   allows a missing ReverseLeaveRuntime. */
static CLRHOST__COLD void clrhost__close_unusual(clrhost_task_manager *m, clrhost_task *t, int managed)
{
    LONG d = clrhost__depth(t), i;
    int wanted = managed ? CLRHOST__FRAME_MANAGED : CLRHOST__FRAME_NATIVE_CALL;
    if (d > CLRHOST__KIND_CAPACITY) {
        clrhost__pop_frame(m, t, d, wanted);
        return;
    }
    for (i = d - 1; i >= 0 && clrhost__frame_kind(t, i) != wanted; --i) {
    }
    if (i < 0) {
        clrhost__protocol_error(m, t, managed ? "ReverseLeaveRuntime without a ReverseEnterRuntime"
                                              : "EnterRuntime without a LeaveRuntime");
        return;
    }
    for (; d - 1 > i; --d) {
        clrhost__protocol_error(m, t, managed ? "ReverseLeaveRuntime while a native call is open: "
                                                "closing it as if EnterRuntime had come"
                                              : "EnterRuntime while a reverse call is open: "
                                                "closing it as if ReverseLeaveRuntime had come");
        clrhost__pop_frame(m, t, d, clrhost__frame_kind(t, d - 1));
    }
    clrhost__pop_frame(m, t, d, wanted);
}

/* EnterRuntime (managed = 0) and ReverseLeaveRuntime (managed = 1). */
CLRHOST__INLINE void clrhost__close(clrhost_task_manager *m, clrhost_task *t, int managed)
{
    LONG d = clrhost__depth(t);
    int wanted = managed ? CLRHOST__FRAME_MANAGED : CLRHOST__FRAME_NATIVE_CALL;
    if (d > 0 && d <= CLRHOST__KIND_CAPACITY && clrhost__frame_kind(t, d - 1) == wanted)
        clrhost__pop_frame(m, t, d, wanted);
    else
        clrhost__close_unusual(m, t, managed);
}

/* LeaveRuntime with a hook, timing or a deep stack. */
static CLRHOST__NOINLINE HRESULT clrhost__leave_full(clrhost_task_manager *m, clrhost_task *t, SIZE_T target)
{
    if (m->hooks.leave_runtime) {
        HRESULT hr = clrhost__call_leave_hook(m, t, target);
        if (FAILED(hr)) { /* a veto: the CLR throws and sends no EnterRuntime */
            clrhost__count(&t->counts.leave_runtime_vetoed, 1);
            return hr;
        }
    }
    clrhost__count(&t->counts.leave_runtime, 1);
    clrhost__push_frame(m, t, CLRHOST__FRAME_NATIVE_CALL, target);
    return S_OK;
}

static CLRHOST__NOINLINE HRESULT clrhost__reverse_enter_full(clrhost_task_manager *m, clrhost_task *t)
{
    HRESULT hr = S_OK;
    if (m->hooks.reverse_enter_runtime) {
        hr = clrhost__call_reverse_enter_hook(m, t);
        if (FAILED(hr)) { /* managed code does not run, and no ReverseLeaveRuntime follows */
            clrhost__count(&t->counts.reverse_enter_vetoed, 1);
            return hr;
        }
    }
    clrhost__count(&t->counts.reverse_enter_runtime, 1);
    clrhost__push_frame(m, t, CLRHOST__FRAME_MANAGED, 0);
    return CLRHOST__BROKEN(2) ? hr : S_OK; /* exactly S_OK: the CLR treats even S_FALSE as a refusal */
}

/* EnterRuntime (managed = 0) and ReverseLeaveRuntime (managed = 1) when
   timing is on or the innermost frame is not simply the expected one. */
static CLRHOST__NOINLINE HRESULT clrhost__close_full(clrhost_task_manager *m, clrhost_task *t, int managed)
{
    clrhost__close(m, t, managed);
    return S_OK;
}

/* LeaveRuntime(0) is no call: the CLR's AppDomain-unload helper says it
   once, at its start, and never sends the EnterRuntime ("ADUnload helper
   thread is critical. We do not want it to share scheduler with other
   tasks", vm/appdomain.cpp), inside a try block whose failure stops the
   helper from starting. So it is never vetoed and the hook is not asked
   (its veto would stop the unload); no frame is pushed, so nothing counts
   as time outside the runtime and the thread's later transitions nest as
   if it had not come; the task is marked as off the host's scheduler for
   good (clrhost_task_off_scheduler). */
static CLRHOST__COLD HRESULT clrhost__leave_scheduler(clrhost_task_manager *m, clrhost_task *t)
{
    if (!clrhost__relaxed_load(&t->off_scheduler)) {
        clrhost__relaxed_store(&t->off_scheduler, 1);
        clrhost__log(m, CLRHOST_TASK_LOG_INFO, t, "LeaveRuntime(0): the thread leaves the host's scheduler for good");
    }
    return S_OK;
}

/* ------------------------------------------------------------------------
   >>waiting  Sleep and Join. An alert is a flag plus the OS doorbell, so
   one that comes just before the wait is not lost, and a doorbell rung by
   someone else (any APC) or left over from a consumed alert only makes the
   wait go round again. [INF] The documentation asks only that the task
   wake "now or at its next" alertable wait.
   ------------------------------------------------------------------------ */

static HRESULT clrhost__wait_loop(clrhost_task *self, clrhost__os_thread *target, DWORD ms, DWORD option);

/* Sleep and Join: the live view shows the task waiting meanwhile. */
static HRESULT clrhost__wait(clrhost_task *self, clrhost__os_thread *target, DWORD ms, DWORD option)
{
    HRESULT hr;
    if (!self)
        return clrhost__wait_loop(NULL, target, ms, option);
    clrhost__view_waits(self, 1);
    hr = clrhost__wait_loop(self, target, ms, option);
    clrhost__view_waits(self, -1);
    return hr;
}

static HRESULT clrhost__wait_loop(clrhost_task *self, clrhost__os_thread *target, DWORD ms, DWORD option)
{
    int alertable = (option & WAIT_ALERTABLE) != 0;
    /* Not in a thread-exit callback: dispatching window messages there is
       no use, and finding user32 (CLRHOST_TASK_NO_USER32) is a loader call. */
    int pump = (option & WAIT_MSGPUMP) != 0 && !clrhost__slot_ending(clrhost__os_slot_get());
    ULONGLONG deadline = ms == INFINITE ? 0 : clrhost__os_now_ms() + ms;
    HRESULT timed_out = target ? HOST_E_TIMEOUT : S_OK; /* a sleep that runs out just slept */
    DWORD left = ms;
    for (;;) {
        HRESULT error = S_OK;
        int r;
        if (alertable && self && clrhost__atomic_xchg(&self->alert_pending, 0))
            return HOST_E_INTERRUPTED;
        r = clrhost__os_wait(self ? &self->thread : NULL, target, left, alertable, pump, &error);
        if (r == CLRHOST__WAIT_DONE)
            return S_OK;
        if (r == CLRHOST__WAIT_TIMEOUT)
            return timed_out;
        if (r == CLRHOST__WAIT_FAILED)
            return error;
        if (ms != INFINITE) { /* woken early: wait again for what is left, perhaps nothing */
            ULONGLONG now = clrhost__os_now_ms();
            left = now >= deadline ? 0 : (DWORD)(deadline - now);
        }
    }
}

/* ------------------------------------------------------------------------
   >>refcount  Task references (biased: the owning thread's need no locked
   instruction), and freeing a task
   ------------------------------------------------------------------------ */

static clrhost_task *clrhost__task_from(clrhost__IHostTask *iface)
{
    return CLRHOST__CONTAINER(iface, clrhost_task, iface);
}

static clrhost_task_manager *clrhost__manager_from(clrhost__IHostTaskManager *iface)
{
    return CLRHOST__CONTAINER(iface, clrhost_task_manager, iface);
}

static void clrhost__manager_addref(clrhost_task_manager *m) { clrhost__atomic_inc(&m->ref); }
static ULONG clrhost__manager_release(clrhost_task_manager *m);

/* Returns a task's memory, handle and hold on its manager. An ICLRTask is
   normally gone by now (the task ended); one set after the end is dropped. */
static CLRHOST__COLD void clrhost__task_free(clrhost_task *t)
{
    clrhost_task_manager *m = t->manager;
    clrhost__ICLRTask *clr = (clrhost__ICLRTask *)clrhost__atomic_xchg_ptr(&t->clr_task, NULL);
    if (clr)
        clr->lpVtbl->Release(clr);
    clrhost__os_thread_close(&t->thread);
    clrhost__os_mutex_destroy(&t->clr_lock);
    clrhost__sched_task_freed(t);
    clrhost__profile_task_freed(t);
    clrhost__free(m, t);
    clrhost__manager_release(m);
}

/* Task references. While a thread owns its task (from the moment the task
   is linked into that thread's slot until it ends), the references that
   thread takes count in owner_refs, which only the owner writes: so
   GetCurrentTask + Release on a known thread need no locked instruction.
   Every other reference counts atomically in shared_refs, which also holds
   CLRHOST__OWNER_BIAS for the owner's whole share (its own reference among
   it) while there is an owner, so it cannot reach zero then, and
   CLRHOST__UNSTARTED while a created task's thread has not been started.
   When the ownership ends (clrhost__task_disown), the owner's share becomes
   plain shared references and the last Release frees the task: biased
   reference counting, as in Choi, Shull and Torrellas (PACT 2018).
   After a decrement of shared_refs another thread may free the task at
   any moment, so only the decrement's own result is used. */
#define CLRHOST__OWNER_BIAS ((LONG)0x40000000)
#define CLRHOST__UNSTARTED ((LONG)0x10000000)

static int clrhost__owned_here(const clrhost_task *t)
{
    return clrhost__find_task(clrhost__os_slot_get(), t->manager) == t;
}

/* The count AddRef and Release report (COM leaves it for diagnostics),
   from shared_refs and owner_refs as the caller read them. */
static ULONG clrhost__task_total(LONG shared, LONG owned)
{
    if (shared >= CLRHOST__OWNER_BIAS + CLRHOST__UNSTARTED / 2)
        shared -= CLRHOST__UNSTARTED;
    if (shared >= CLRHOST__OWNER_BIAS / 2) /* owned: the owner's reference plus its others */
        shared += 1 - CLRHOST__OWNER_BIAS + owned;
    return (ULONG)shared;
}

/* On the owning thread only. */
static void clrhost__task_addref_owned(clrhost_task *t)
{
    clrhost__relaxed_store(&t->owner_refs, clrhost__relaxed_load(&t->owner_refs) + 1);
}

/* The atomic side of AddRef and Release: references of other threads, or
   of a task no thread owns. Out of line, so that the owner's side has no
   locked instruction in it at all. */
static CLRHOST__NOINLINE ULONG clrhost__task_addref_shared(clrhost_task *t)
{
    LONG shared = clrhost__atomic_inc(&t->shared_refs);
    return clrhost__task_total(shared, clrhost__relaxed_load(&t->owner_refs));
}

static ULONG clrhost__task_addref(clrhost_task *t)
{
    if (!clrhost__owned_here(t))
        return clrhost__task_addref_shared(t);
    clrhost__task_addref_owned(t);
    return clrhost__task_total(clrhost__relaxed_load(&t->shared_refs), clrhost__relaxed_load(&t->owner_refs));
}

/* The CLR let go of a task it never started; what is left is the suspended
   thread's own reference, and nothing else can reach the task. Let the
   thread run, only to end. */
static CLRHOST__COLD void clrhost__task_cancel(clrhost_task *t)
{
    clrhost__atomic_store(&t->state, CLRHOST__TASK_CANCELLED);
    (void)clrhost__atomic_add(&t->shared_refs, -CLRHOST__UNSTARTED);
    if (FAILED(clrhost__os_thread_resume(&t->thread)))
        clrhost__log(t->manager, CLRHOST_TASK_LOG_ERROR, t,
                     "could not resume a cancelled task's thread: the thread and the task leak");
}

static CLRHOST__NOINLINE ULONG clrhost__task_release_shared(clrhost_task *t, LONG owned)
{
    LONG shared = clrhost__atomic_dec(&t->shared_refs);
    if (shared == 0) {
        clrhost__atomic_add64(&t->manager->freed, 1); /* while the task still holds its manager */
        clrhost__task_free(t);
    }
    else if (shared == CLRHOST__OWNER_BIAS + CLRHOST__UNSTARTED)
        clrhost__task_cancel(t);
    return clrhost__task_total(shared, owned);
}

static ULONG clrhost__task_release(clrhost_task *t)
{
    LONG owned = clrhost__relaxed_load(&t->owner_refs);
    if (owned <= 0 || !clrhost__owned_here(t))
        return clrhost__task_release_shared(t, owned);
    clrhost__relaxed_store(&t->owner_refs, owned - 1);
    return clrhost__task_total(clrhost__relaxed_load(&t->shared_refs), owned - 1);
}

/* Ownership ends (on the owning thread, once the task is out of its slot):
   the owner's references, its own among them, become shared ones. */
static void clrhost__task_disown(clrhost_task *t)
{
    LONG owned = clrhost__relaxed_load(&t->owner_refs);
    clrhost__relaxed_store(&t->owner_refs, 0);
    (void)clrhost__atomic_add(&t->shared_refs, owned + 1 - CLRHOST__OWNER_BIAS);
}

/* ------------------------------------------------------------------------
   >>controls  The CLR's side of a task: its kind, and the host's calls on
   its ICLRTask (clrhost_task_abort and the others, in task_view; the
   scheduler's question, in scheduler). A call holds a reference on the
   ICLRTask, taken under the task's clr_lock, and counts in clr_calls; the
   task's end takes the ICLRTask away under that lock and waits for the
   calls under way before its ExitTask, so none comes after it. [SRC] The
   CLR's Thread never goes while a reference is held (its Release only
   counts, vm/threads.h).
   ------------------------------------------------------------------------ */

/* Asks the CLR what the calling thread, the task's own, is. The CLR's
   ICLRTaskManager is one static object (vm/corhost.cpp), valid until the
   process ends; GetCurrentTaskType only reads the thread's type flags. */
static CLRHOST__COLD void clrhost__learn_kind(clrhost_task *t)
{
    clrhost__ICLRTaskManager *clr = (clrhost__ICLRTaskManager *)clrhost__load_ptr(&t->manager->clr_task_manager);
    int type = CLRHOST__TT_UNKNOWN;
    if (clr && SUCCEEDED(clr->lpVtbl->GetCurrentTaskType(clr, &type)))
        clrhost__relaxed_store(&t->clr_type, (LONG)type);
}

/* For the task's end: no host call on its ICLRTask starts from now, and
   those under way (each a short call into the CLR) are waited for.
   Returns our reference. */
static clrhost__ICLRTask *clrhost__clr_close(clrhost_task *t)
{
    clrhost__ICLRTask *clr;
    clrhost__os_mutex_lock(&t->clr_lock);
    t->clr_closed = 1;
    clr = (clrhost__ICLRTask *)clrhost__atomic_xchg_ptr(&t->clr_task, NULL);
    while (t->clr_calls > 0) {
        clrhost__os_mutex_unlock(&t->clr_lock);
        clrhost__os_yield();
        clrhost__os_mutex_lock(&t->clr_lock);
    }
    clrhost__os_mutex_unlock(&t->clr_lock);
    return clr;
}

#ifndef CLRHOST_TASK_NO_TASK_VIEW /* the controls' calls, and the scheduler's question */
/* A host call on the task's ICLRTask begins: S_OK with a reference in
   *clr (give it back to clrhost__clr_end), HOST_E_INVALIDOPERATION once the
   task ends, HOST_E_CLRNOTAVAILABLE before the CLR gave one. */
static HRESULT clrhost__clr_begin(clrhost_task *t, clrhost__ICLRTask **clr)
{
    HRESULT hr = S_OK;
    *clr = NULL;
    clrhost__os_mutex_lock(&t->clr_lock);
    if (t->clr_closed || clrhost__atomic_load(&t->state) >= CLRHOST__TASK_CANCELLED)
        hr = HOST_E_INVALIDOPERATION;
    else if ((*clr = (clrhost__ICLRTask *)clrhost__load_ptr(&t->clr_task)) == NULL)
        hr = HOST_E_CLRNOTAVAILABLE;
    else {
        (*clr)->lpVtbl->AddRef(*clr);
        t->clr_calls += 1;
    }
    clrhost__os_mutex_unlock(&t->clr_lock);
    return hr;
}

static void clrhost__clr_end(clrhost_task *t, clrhost__ICLRTask *clr)
{
    clr->lpVtbl->Release(clr);
    clrhost__os_mutex_lock(&t->clr_lock);
    t->clr_calls -= 1;
    clrhost__os_mutex_unlock(&t->clr_lock);
}
#endif

/* ------------------------------------------------------------------------
   >>ihosttask  IHostTask, the CLR's handle on a task
   ------------------------------------------------------------------------ */

static HRESULT STDMETHODCALLTYPE clrhost__task_QueryInterface(clrhost__IHostTask *This, REFIID riid, void **ppv)
{
    const GUID *iid = clrhost__iid(riid);
    if (!ppv)
        return E_POINTER;
    *ppv = NULL;
    if (!iid)
        return E_POINTER;
    if (!clrhost__iid_equal(iid, &clrhost__IID_IUnknown) && !clrhost__iid_equal(iid, &clrhost__IID_IHostTask))
        return E_NOINTERFACE;
    clrhost__task_addref(clrhost__task_from(This));
    *ppv = This;
    return S_OK;
}

static ULONG STDMETHODCALLTYPE clrhost__task_AddRef(clrhost__IHostTask *This)
{
    return clrhost__task_addref(clrhost__task_from(This));
}

static ULONG STDMETHODCALLTYPE clrhost__task_Release(clrhost__IHostTask *This)
{
    return clrhost__task_release(clrhost__task_from(This));
}

static HRESULT STDMETHODCALLTYPE clrhost__task_Start(clrhost__IHostTask *This)
{
    clrhost_task *t = clrhost__task_from(This);
    HRESULT hr;
    if (clrhost__atomic_cas(&t->state, CLRHOST__TASK_CREATED, CLRHOST__TASK_RUNNING) != CLRHOST__TASK_CREATED)
        return HOST_E_INVALIDOPERATION; /* started twice, or an adopted thread */
    (void)clrhost__atomic_add(&t->shared_refs, -CLRHOST__UNSTARTED);
    hr = clrhost__os_thread_resume(&t->thread);
    if (FAILED(hr)) {
        (void)clrhost__atomic_add(&t->shared_refs, CLRHOST__UNSTARTED);
        clrhost__atomic_store(&t->state, CLRHOST__TASK_CREATED);
        clrhost__log(t->manager, CLRHOST_TASK_LOG_ERROR, t, "could not resume a task's thread");
    }
    return hr;
}

static HRESULT STDMETHODCALLTYPE clrhost__task_Alert(clrhost__IHostTask *This)
{
    clrhost_task *t = clrhost__task_from(This);
    if (CLRHOST__BROKEN(3))
        return S_OK;
    /* From another thread: the one counter it writes; once the task's
       counters are in the ended totals, there. */
    clrhost__os_mutex_lock(&t->clr_lock);
    if (t->counted_out)
        clrhost__atomic_add64(&t->manager->late_alerts[clrhost__task_kind(t)], 1);
    else
        clrhost__atomic_add64(&t->counts.alerts, 1);
    clrhost__os_mutex_unlock(&t->clr_lock);
    clrhost__atomic_store(&t->alert_pending, 1);
    clrhost__os_thread_alert(&t->thread);
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE clrhost__task_Join(clrhost__IHostTask *This, DWORD ms, DWORD option)
{
    clrhost_task *t = clrhost__task_from(This);
    clrhost_task *self = clrhost__current_task(t->manager);
    HRESULT hr;
    int paused;
    /* A thread never ends while it waits for itself. [INF] */
    if (self)
        clrhost__count(&self->counts.joins, 1);
    else
        clrhost__atomic_add64(&t->manager->taskless.joins, 1);
    if (self == t && !(option & WAIT_NOTINDEADLOCK))
        return HOST_E_DEADLOCK;
    paused = clrhost__sched_pause(t->manager, self); /* joining lends the slot */
    hr = clrhost__wait(self, &t->thread, ms, option);
    clrhost__sched_resume(t->manager, self, paused);
    return hr;
}

static HRESULT STDMETHODCALLTYPE clrhost__task_SetPriority(clrhost__IHostTask *This, int priority)
{
    return clrhost__os_thread_set_priority(&clrhost__task_from(This)->thread, priority);
}

static HRESULT STDMETHODCALLTYPE clrhost__task_GetPriority(clrhost__IHostTask *This, int *pPriority)
{
    if (!pPriority)
        return E_POINTER;
    *pPriority = THREAD_PRIORITY_NORMAL;
    return clrhost__os_thread_get_priority(&clrhost__task_from(This)->thread, pPriority);
}

/* The CLR calls it on the task's own thread, once that thread enters the
   runtime (Thread::SetupThreadForHost, vm/threads.cpp, asserts it), and
   never with NULL; the CLR's GetCurrentTaskType gives the thread's kind
   right there [SRC]. A call from another thread (no CLR does it) keeps
   the kind as it was. Once the task is ending, a new ICLRTask is kept
   only to be released when the task goes. */
static HRESULT STDMETHODCALLTYPE clrhost__task_SetCLRTask(clrhost__IHostTask *This, clrhost__ICLRTask *clr)
{
    clrhost_task *t = clrhost__task_from(This);
    clrhost__ICLRTask *old;
    int ending;
    if (clr)
        clr->lpVtbl->AddRef(clr);
    clrhost__os_mutex_lock(&t->clr_lock);
    old = (clrhost__ICLRTask *)clrhost__atomic_xchg_ptr(&t->clr_task, clr);
    ending = t->clr_closed;
    clrhost__os_mutex_unlock(&t->clr_lock);
    if (old)
        old->lpVtbl->Release(old);
    if (clr && !ending && clrhost__owned_here(t)) { /* an ending task is off the scheduler for good */
        clrhost__learn_kind(t);
        clrhost__sched_join(t->manager, t);
    }
    return S_OK;
}

static const clrhost__IHostTaskVtbl clrhost__task_vtbl = {
    clrhost__task_QueryInterface, clrhost__task_AddRef, clrhost__task_Release,
    clrhost__task_Start, clrhost__task_Alert, clrhost__task_Join,
    clrhost__task_SetPriority, clrhost__task_GetPriority, clrhost__task_SetCLRTask};

/* ------------------------------------------------------------------------
   >>task_life  A task's life: made by CreateTask or adopted (a foreign
   thread's first GetCurrentTask), run, and ended on its own thread
   ------------------------------------------------------------------------ */

/* A task, not yet registered, holding a reference on its manager: its
   thread's reference (as the owner bias; `unstarted` for a created task)
   and `others` shared ones. */
static clrhost_task *clrhost__task_new(clrhost_task_manager *m, LONG others, int unstarted)
{
    clrhost_task *t = (clrhost_task *)clrhost__alloc(m, sizeof *t);
    if (!t)
        return NULL;
    memset(t, 0, sizeof *t);
    if (!clrhost__profile_task_made(t, m)) {
        clrhost__free(m, t);
        return NULL;
    }
    t->iface.lpVtbl = &clrhost__task_vtbl;
    t->shared_refs = CLRHOST__OWNER_BIAS + (unstarted ? CLRHOST__UNSTARTED : 0) + others;
    t->state = CLRHOST__TASK_CREATED;
    t->clr_type = CLRHOST__TT_UNKNOWN;
    t->manager = m;
    clrhost__os_mutex_init(&t->clr_lock);
    clrhost__sched_task_made(t);
    clrhost__manager_addref(m);
    return t;
}

/* S_OK with *out, S_FALSE when admit_thread refused the thread. The
   caller keeps the thread's last-error value. */
static CLRHOST__COLD HRESULT clrhost__task_adopt(clrhost_task_manager *m, clrhost_task **out)
{
    DWORD id = clrhost__os_current_thread_id();
    clrhost_task *t;
    HRESULT hr;
    *out = NULL;
    if (m->admit_thread && !m->admit_thread(m->hooks.user, id)) {
        clrhost__atomic_add64(&m->refused, 1);
        return S_FALSE;
    }
    t = clrhost__task_new(m, 0, 0); /* only the thread's own reference */
    if (!t)
        return E_OUTOFMEMORY;
    hr = clrhost__os_thread_adopt(&t->thread, &m->allocator);
    if (FAILED(hr)) {
        clrhost__log(m, CLRHOST_TASK_LOG_ERROR, NULL, "could not adopt a foreign thread (no handle or no memory)");
        clrhost__task_free(t);
        return hr;
    }
    t->adopted = 1;
    t->state = CLRHOST__TASK_RUNNING;
    t->thread_id = (LONG)id;
    hr = clrhost__thread_link(t);
    if (FAILED(hr)) { /* no exit callback would come: adopt nothing */
        clrhost__thread_unlink(t);
        clrhost__os_thread_finish(&t->thread); /* the thread is done with it at once */
        clrhost__log(m, CLRHOST_TASK_LOG_ERROR, NULL, "no storage for a foreign thread's slot: not adopted");
        clrhost__task_free(t);
        return hr;
    }
    clrhost__learn_kind(t); /* the CLR's own thread-pool threads say so already */
    clrhost__view_task_begins(m, t);
    clrhost__registry_add(m, t);
    clrhost__call_task_hook(m, m->hooks.task_begin, t);
    *out = t;
    return S_OK;
}

/* Ends a task on its own thread: the CLR's clean-up, then ours. */
static void clrhost__task_end(clrhost_task *t)
{
    clrhost_task_manager *m = t->manager;
    /* Our reference moves out first, so that it outlives the call even if
       the CLR calls SetCLRTask(NULL) from inside ExitTask; no host call on
       it starts from now, and those under way end before ExitTask. */
    clrhost__ICLRTask *clr = clrhost__clr_close(t);
    clrhost__sched_retire(m, t); /* its slot goes before the CLR's teardown, which runs no managed code */
    if (clr && !CLRHOST__BROKEN(1)) {
        /* When a task manager is present the CLR keeps its thread object at
           thread exit: "the host will call ExitTask" (vm/threads.cpp,
           DestroyThread). The task stays current: ExitTask may call back. */
        if (FAILED(clr->lpVtbl->ExitTask(clr)))
            clrhost__log(m, CLRHOST_TASK_LOG_WARNING, t, "ICLRTask::ExitTask failed");
    }
    clrhost__call_task_hook(m, m->hooks.task_end, t);
    clrhost__thread_unlink(t);
    clrhost__task_disown(t);
    if (clr)
        clr->lpVtbl->Release(clr);
    clrhost__registry_remove(m, t);
    clrhost__atomic_store(&t->state, CLRHOST__TASK_ENDED);
}

/* Runs on a thread CreateTask made, once Start (or a cancel) resumed it. */
static DWORD clrhost__task_thread_main(void *task)
{
    clrhost_task *t = (clrhost_task *)task;
    clrhost_task_manager *m = t->manager;
    DWORD rc = 0;
    clrhost__relaxed_store(&t->thread_id, (LONG)clrhost__os_current_thread_id());
    if (clrhost__atomic_load(&t->state) == CLRHOST__TASK_CANCELLED) {
        clrhost__task_disown(t); /* never owned: only the thread's own reference */
        clrhost__registry_remove(m, t);
        clrhost__atomic_store(&t->state, CLRHOST__TASK_ENDED);
    } else {
        /* Without the slot's value the exit callback would not come; the
           task still ends here, when the start routine returns. */
        if (FAILED(clrhost__thread_link(t)))
            clrhost__log(m, CLRHOST_TASK_LOG_WARNING, t,
                         "no storage for the thread's slot: if the start routine ends its thread "
                         "itself (ExitThread), the task leaks");
        clrhost__view_task_begins(m, t); /* in managed code from now */
        clrhost__call_task_hook(m, m->hooks.task_begin, t);
        rc = t->start(t->parameter);
        clrhost__task_end(t);
        clrhost__thread_mark_ending(); /* the thread only exits from here */
    }
    clrhost__task_release(t); /* the thread's reference */
    return rc;
}

/* Thread-exit callback of the slot: ends adopted tasks (and created ones
   whose start routine never returned, e.g. it called ExitThread). [INF]
   The CLR's source says only that the host calls ExitTask; doing it for
   foreign threads at thread exit is our reading of it. */
static void clrhost__on_thread_exit(void *slot_value)
{
    clrhost_task *t = clrhost__slot_tasks(slot_value);
    if (!t)
        return;
    /* Inside ExitProcess every other thread is gone, maybe holding our
       locks or the CLR's: nothing is called, nothing freed. The CLR does
       its own clean-up at DLL_PROCESS_DETACH (vm/ceemain.cpp). */
    if (clrhost__os_process_exiting()) /* cppcheck-suppress knownConditionTrueFalse ; always 0 on POSIX only */
        return;
    /* The slot may already read NULL here (POSIX clears it first): make the
       tasks reachable while they end, and refuse new ones from now on. */
    (void)clrhost__os_slot_set(clrhost__slot_make(t, 1));
    while ((t = clrhost__slot_tasks(clrhost__os_slot_get())) != NULL) {
        clrhost__os_thread thread = t->thread;
        clrhost__task_end(t);
        clrhost__task_release(t); /* the thread's reference */
        clrhost__os_thread_finish(&thread);
    }
}

/* ------------------------------------------------------------------------
   >>ihosttaskmanager  IHostTaskManager, but CallNeedsHostHook (policy)
   and the scheduled methods (scheduler)
   ------------------------------------------------------------------------ */

/* The manager's block and what the quantum's monitor uses, once neither
   the manager nor the monitor needs them (memory_refs). */
static void clrhost__manager_free(clrhost_task_manager *m)
{
    clrhost__allocator a = m->allocator;
    clrhost__sched_manager_freed(m);
    a.free_fn(a.user, m);
}

static void clrhost__manager_destroy(clrhost_task_manager *m)
{
    clrhost__ICLRTaskManager *clr = (clrhost__ICLRTaskManager *)clrhost__atomic_xchg_ptr(&m->clr_task_manager, NULL);
    clrhost__allocator a = m->allocator;
    CLRHOST_TASK_ASSERT(m->live == NULL);
    clrhost__sched_manager_ended(m);
    if (clr)
        clr->lpVtbl->Release(clr);
    clrhost__os_mutex_destroy(&m->lock);
    if (m->module_names)
        a.free_fn(a.user, m->module_names);
    while (m->answers) {
        clrhost__answer_table *tab = (clrhost__answer_table *)m->answers;
        m->answers = tab->older;
        a.free_fn(a.user, tab);
    }
    clrhost__os_mutex_destroy(&m->answers_lock);
    clrhost__profile_manager_ended(m);
    if (clrhost__atomic_dec(&m->memory_refs) == 0)
        clrhost__manager_free(m);
}

static ULONG clrhost__manager_release(clrhost_task_manager *m)
{
    LONG r = clrhost__atomic_dec(&m->ref);
    if (r == 0)
        clrhost__manager_destroy(m);
    return (ULONG)r;
}

static HRESULT STDMETHODCALLTYPE clrhost__mgr_QueryInterface(clrhost__IHostTaskManager *This, REFIID riid, void **ppv)
{
    const GUID *iid = clrhost__iid(riid);
    if (!ppv)
        return E_POINTER;
    *ppv = NULL;
    if (!iid)
        return E_POINTER;
    if (!clrhost__iid_equal(iid, &clrhost__IID_IUnknown) && !clrhost__iid_equal(iid, &clrhost__IID_IHostTaskManager))
        return E_NOINTERFACE;
    clrhost__manager_addref(clrhost__manager_from(This));
    *ppv = This;
    return S_OK;
}

static ULONG STDMETHODCALLTYPE clrhost__mgr_AddRef(clrhost__IHostTaskManager *This)
{
    return (ULONG)clrhost__atomic_inc(&clrhost__manager_from(This)->ref);
}

static ULONG STDMETHODCALLTYPE clrhost__mgr_Release(clrhost__IHostTaskManager *This)
{
    return clrhost__manager_release(clrhost__manager_from(This));
}

/* A foreign thread's first ask from inside a DllMain (or a TLS callback)
   is refused as an exiting thread's: at DLL_THREAD_DETACH its exit
   callbacks have already run, so its task would never end, and in the
   other notifications the CLR itself forbids managed code under the
   loader lock (its LoaderLock MDA). */
static CLRHOST__COLD HRESULT clrhost__refuse_in_loader_callout(clrhost_task_manager *m)
{
    clrhost__log(m, CLRHOST_TASK_LOG_WARNING, NULL,
                 "GetCurrentTask on a foreign thread inside a DllMain (the loader lock is held): no task, "
                 "since at DLL_THREAD_DETACH its exit callback has already run");
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE clrhost__mgr_GetCurrentTask(clrhost__IHostTaskManager *This, clrhost__IHostTask **pTask)
{
    clrhost_task_manager *m = clrhost__manager_from(This);
    void *slot;
    clrhost_task *t;
    if (!pTask)
        return E_POINTER;
    *pTask = NULL;
    slot = clrhost__os_slot_get();
    t = clrhost__find_task(slot, m);
    if (!t) {
        HRESULT hr;
        if (clrhost__slot_ending(slot))
            return S_OK; /* the thread is exiting: no new task */
        if (clrhost__os_in_loader_callout()) /* cppcheck-suppress knownConditionTrueFalse ; always 0 on POSIX only */
            return clrhost__refuse_in_loader_callout(m);
        CLRHOST__KEEPING_LAST_ERROR(hr = clrhost__task_adopt(m, &t));
        if (hr != S_OK) /* S_FALSE: refused. "The host can also set the pTask parameter
                           to null to prevent a task that it did not initiate from
                           entering the CLR" (IHostTaskManager::GetCurrentTask docs) */
            return hr == S_FALSE ? S_OK : hr;
    }
    clrhost__task_addref_owned(t); /* found in this thread's own slot */
    *pTask = &t->iface;
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE clrhost__mgr_CreateTask(clrhost__IHostTaskManager *This, DWORD dwStackSize,
                                                         LPTHREAD_START_ROUTINE pStartAddress, PVOID pParameter,
                                                         clrhost__IHostTask **ppTask)
{
    clrhost_task_manager *m = clrhost__manager_from(This);
    clrhost_task *t;
    HRESULT hr;
    if (!ppTask)
        return E_POINTER;
    *ppTask = NULL;
    if (!pStartAddress)
        return E_POINTER;
    t = clrhost__task_new(m, 1, 1); /* the new thread's reference, and the CLR's */
    if (!t)
        return E_OUTOFMEMORY;
    t->start = pStartAddress;
    t->parameter = pParameter;
    hr = clrhost__os_thread_create(&t->thread, dwStackSize, t, &m->allocator);
    if (FAILED(hr)) {
        clrhost__log(m, CLRHOST_TASK_LOG_ERROR, NULL, "could not create a thread for CreateTask");
        clrhost__task_free(t);
        return hr;
    }
    clrhost__registry_add(m, t);
    *ppTask = &t->iface;
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE clrhost__mgr_Sleep(clrhost__IHostTaskManager *This, DWORD ms, DWORD option)
{
    clrhost_task_manager *m = clrhost__manager_from(This);
    clrhost_task *t = clrhost__current_task(m);
    ULONGLONG start;
    HRESULT hr;
    if (!t) {
        clrhost__atomic_add64(&m->taskless.sleeps, 1);
        return clrhost__wait(NULL, NULL, ms, option);
    }
    clrhost__count(&t->counts.sleeps, 1);
    if (!(m->flags & CLRHOST_TASK_TIMING))
        return clrhost__wait(t, NULL, ms, option);
    start = clrhost__ticks(m);
    hr = clrhost__wait(t, NULL, ms, option);
    clrhost__count(&t->counts.sleep_ns, clrhost__elapsed(start, clrhost__ticks(m)));
    return hr;
}

CLRHOST__INLINE void clrhost__count_switch(clrhost_task *t)
{
    clrhost__count(&t->counts.switches, 1);
    clrhost__view_yield_taken(t);
}

/* The CLR's zero-delay back-off, and where a task yields after YieldTask
   (the CLR redirects it to call SwitchToTask(0) at a safe point, vm/
   threads.cpp): a pending forced yield is answered by this call. */
static HRESULT STDMETHODCALLTYPE clrhost__mgr_SwitchToTask(clrhost__IHostTaskManager *This, DWORD option)
{
    clrhost_task_manager *m = clrhost__manager_from(This);
    clrhost_task *t = clrhost__current_task(m);
    (void)option;
    if (!t)
        clrhost__atomic_add64(&m->taskless.switches, 1); /* the server GC threads have no task */
    else
        clrhost__count_switch(t);
    clrhost__os_yield();
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE clrhost__mgr_SetUILocale(clrhost__IHostTaskManager *This, LCID lcid)
{
    /* Anything but S_OK makes the CurrentUICulture setter throw
       (vm/comsynchronizable.cpp, the UI culture setter's native half);
       the CLR keeps the UI culture itself. */
    (void)This;
    (void)lcid;
    return CLRHOST__BROKEN(4) ? E_NOTIMPL : S_OK;
}

static HRESULT STDMETHODCALLTYPE clrhost__mgr_SetLocale(clrhost__IHostTaskManager *This, LCID lcid)
{
    (void)This;
    return clrhost__os_set_locale(lcid);
}

/* The openings' whole job once the task is known; the scheduled methods
   share them. */
CLRHOST__INLINE HRESULT clrhost__leave_runtime(clrhost_task_manager *m, clrhost_task *t, SIZE_T target)
{
    if (!target)
        return clrhost__leave_scheduler(m, t);
    if (!clrhost__push_is_plain(m, t, m->hooks.leave_runtime != NULL))
        return clrhost__leave_full(m, t, target);
    clrhost__count(&t->counts.leave_runtime, 1);
    clrhost__push_plain(t, CLRHOST__FRAME_NATIVE_CALL, target);
    return S_OK;
}

CLRHOST__INLINE HRESULT clrhost__reverse_enter_runtime(clrhost_task_manager *m, clrhost_task *t)
{
    if (!clrhost__push_is_plain(m, t, m->hooks.reverse_enter_runtime != NULL))
        return clrhost__reverse_enter_full(m, t);
    clrhost__count(&t->counts.reverse_enter_runtime, 1);
    clrhost__push_plain(t, CLRHOST__FRAME_MANAGED, 0);
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE clrhost__mgr_LeaveRuntime(clrhost__IHostTaskManager *This, SIZE_T target)
{
    clrhost_task_manager *m = clrhost__manager_from(This);
    clrhost_task *t = clrhost__current_task(m);
    if (!t)
        return clrhost__taskless_call(m, "LeaveRuntime on a thread without a task");
    return clrhost__leave_runtime(m, t, target);
}

static HRESULT STDMETHODCALLTYPE clrhost__mgr_EnterRuntime(clrhost__IHostTaskManager *This)
{
    clrhost_task_manager *m = clrhost__manager_from(This);
    clrhost_task *t = clrhost__current_task(m);
    if (!t)
        return clrhost__taskless_call(m, "EnterRuntime on a thread without a task");
    if (!clrhost__pop_plain(m, t, CLRHOST__FRAME_NATIVE_CALL))
        return clrhost__close_full(m, t, 0);
    clrhost__count(&t->counts.enter_runtime, 1);
    if (m->hooks.enter_runtime)
        return clrhost__run_pop_hook(m, t, m->hooks.enter_runtime, CLRHOST__FRAME_NATIVE_CALL);
    return S_OK; /* always: a failure here corrupts the CLR's unwinding */
}

static HRESULT STDMETHODCALLTYPE clrhost__mgr_ReverseEnterRuntime(clrhost__IHostTaskManager *This)
{
    clrhost_task_manager *m = clrhost__manager_from(This);
    clrhost_task *t = clrhost__current_task(m);
    if (!t)
        return clrhost__taskless_call(m, "ReverseEnterRuntime on a thread without a task");
    return clrhost__reverse_enter_runtime(m, t);
}

static HRESULT STDMETHODCALLTYPE clrhost__mgr_ReverseLeaveRuntime(clrhost__IHostTaskManager *This)
{
    clrhost_task_manager *m = clrhost__manager_from(This);
    clrhost_task *t = clrhost__current_task(m);
    if (!t)
        return clrhost__taskless_call(m, "ReverseLeaveRuntime on a thread without a task");
    if (!clrhost__pop_plain(m, t, CLRHOST__FRAME_MANAGED))
        return clrhost__close_full(m, t, 1);
    clrhost__count(&t->counts.reverse_leave_runtime, 1);
    if (m->hooks.reverse_leave_runtime)
        return clrhost__run_pop_hook(m, t, m->hooks.reverse_leave_runtime, CLRHOST__FRAME_MANAGED);
    return S_OK; /* always: a failure is thrown after the managed code ran */
}

/* With CLRHOST_TASK_TIMING and no scheduler the manager's vtable holds
   these: the common case (no hook on the opening side, a frame within
   CLRHOST_TASK_MAX_DEPTH, the expected frame on top) reads the clock and
   books the frame inline, with no call but a closing hook; everything
   else takes the plain methods' full paths, which time too. Apart, so
   that the plain methods carry none of timing's code. */
static HRESULT STDMETHODCALLTYPE clrhost__mgr_LeaveRuntime_timed(clrhost__IHostTaskManager *This, SIZE_T target)
{
    clrhost_task_manager *m = clrhost__manager_from(This);
    clrhost_task *t = clrhost__current_task(m);
    if (!t)
        return clrhost__taskless_call(m, "LeaveRuntime on a thread without a task");
    if (!target || m->hooks.leave_runtime || clrhost__depth(t) >= CLRHOST_TASK_MAX_DEPTH)
        return clrhost__leave_runtime(m, t, target);
    clrhost__count(&t->counts.leave_runtime, 1);
    clrhost__push_timed(m, t, CLRHOST__FRAME_NATIVE_CALL, target);
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE clrhost__mgr_EnterRuntime_timed(clrhost__IHostTaskManager *This)
{
    clrhost_task_manager *m = clrhost__manager_from(This);
    clrhost_task *t = clrhost__current_task(m);
    if (!t)
        return clrhost__taskless_call(m, "EnterRuntime on a thread without a task");
    if (!clrhost__pop_timed(m, t, CLRHOST__FRAME_NATIVE_CALL))
        return clrhost__close_full(m, t, 0);
    clrhost__count(&t->counts.enter_runtime, 1);
    if (m->hooks.enter_runtime)
        return clrhost__run_pop_hook(m, t, m->hooks.enter_runtime, CLRHOST__FRAME_NATIVE_CALL);
    return S_OK; /* always, as the plain method */
}

static HRESULT STDMETHODCALLTYPE clrhost__mgr_ReverseEnterRuntime_timed(clrhost__IHostTaskManager *This)
{
    clrhost_task_manager *m = clrhost__manager_from(This);
    clrhost_task *t = clrhost__current_task(m);
    if (!t)
        return clrhost__taskless_call(m, "ReverseEnterRuntime on a thread without a task");
    if (m->hooks.reverse_enter_runtime || clrhost__depth(t) >= CLRHOST_TASK_MAX_DEPTH)
        return clrhost__reverse_enter_runtime(m, t);
    clrhost__count(&t->counts.reverse_enter_runtime, 1);
    clrhost__push_timed(m, t, CLRHOST__FRAME_MANAGED, 0);
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE clrhost__mgr_ReverseLeaveRuntime_timed(clrhost__IHostTaskManager *This)
{
    clrhost_task_manager *m = clrhost__manager_from(This);
    clrhost_task *t = clrhost__current_task(m);
    if (!t)
        return clrhost__taskless_call(m, "ReverseLeaveRuntime on a thread without a task");
    if (!clrhost__pop_timed(m, t, CLRHOST__FRAME_MANAGED))
        return clrhost__close_full(m, t, 1);
    clrhost__count(&t->counts.reverse_leave_runtime, 1);
    if (m->hooks.reverse_leave_runtime)
        return clrhost__run_pop_hook(m, t, m->hooks.reverse_leave_runtime, CLRHOST__FRAME_MANAGED);
    return S_OK; /* always, as the plain method */
}

/* Begin/EndDelayAbort: never called by the CLR 4.x source; the documented
   rule is that a second Begin without an End gives E_UNEXPECTED. */
static HRESULT clrhost__delay_abort(clrhost__IHostTaskManager *This, int begin)
{
    clrhost_task *t = clrhost__current_task(clrhost__manager_from(This));
    if (!t)
        return HOST_E_INVALIDOPERATION;
    if (t->delay_abort == begin)
        return E_UNEXPECTED;
    t->delay_abort = begin;
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE clrhost__mgr_BeginDelayAbort(clrhost__IHostTaskManager *This)
{
    return clrhost__delay_abort(This, 1);
}

static HRESULT STDMETHODCALLTYPE clrhost__mgr_EndDelayAbort(clrhost__IHostTaskManager *This)
{
    return clrhost__delay_abort(This, 0);
}

/* One task per thread: nothing to pin, only the nesting to keep for the
   live view. An End without a Begin is the CLR's to answer for. */
static HRESULT STDMETHODCALLTYPE clrhost__mgr_BeginThreadAffinity(clrhost__IHostTaskManager *This)
{
    clrhost_task_manager *m = clrhost__manager_from(This);
    clrhost_task *t = clrhost__current_task(m);
    if (!t) {
        clrhost__atomic_add64(&m->taskless.thread_affinity, 1);
        return S_OK;
    }
    clrhost__count(&t->counts.thread_affinity, 1);
    clrhost__relaxed_store(&t->affinity, clrhost__relaxed_load(&t->affinity) + 1);
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE clrhost__mgr_EndThreadAffinity(clrhost__IHostTaskManager *This)
{
    clrhost_task *t = clrhost__current_task(clrhost__manager_from(This));
    if (t && clrhost__relaxed_load(&t->affinity) > 0)
        clrhost__relaxed_store(&t->affinity, clrhost__relaxed_load(&t->affinity) - 1);
    return S_OK;
}

/* E_NOTIMPL makes the CLR call SetThreadStackGuarantee itself; S_OK would
   disable guarantees, any other failure breaks start-up. */
static HRESULT STDMETHODCALLTYPE clrhost__mgr_SetStackGuarantee(clrhost__IHostTaskManager *This, ULONG guarantee)
{
    (void)This;
    (void)guarantee;
    return E_NOTIMPL;
}

static HRESULT STDMETHODCALLTYPE clrhost__mgr_GetStackGuarantee(clrhost__IHostTaskManager *This, ULONG *pGuarantee)
{
    (void)This;
    if (!pGuarantee)
        return E_POINTER;
    *pGuarantee = 0;
    return E_NOTIMPL;
}

static HRESULT STDMETHODCALLTYPE clrhost__mgr_SetCLRTaskManager(clrhost__IHostTaskManager *This,
                                                                clrhost__ICLRTaskManager *pManager)
{
    clrhost_task_manager *m = clrhost__manager_from(This);
    clrhost__ICLRTaskManager *old;
    if (pManager)
        pManager->lpVtbl->AddRef(pManager);
    old = (clrhost__ICLRTaskManager *)clrhost__atomic_xchg_ptr(&m->clr_task_manager, pManager);
    if (old)
        old->lpVtbl->Release(old);
    return S_OK;
}

/* ------------------------------------------------------------------------
   >>policy  The CallNeedsHostHook policy: the module policy's cached
   answers, the predicate, the constant answers, the manager's vtables
   (one per constant answer), and the choice among them
   ------------------------------------------------------------------------ */

static int clrhost__module_name_matches(const char *module, const char *wanted)
{
    const char *w = wanted;
    for (; *w; ++module, ++w) {
        char a = *module, b = *w;
        if (a >= 'A' && a <= 'Z')
            a = (char)(a - 'A' + 'a');
        if (b >= 'A' && b <= 'Z')
            b = (char)(b - 'A' + 'a');
        if (a != b)
            return 0;
    }
    /* "user32.dll" must match all of the name; "user32" any extension */
    return *module == 0 || (*module == '.' && strchr(wanted, '.') == NULL);
}

/* A stamp never 0 (0: no answer yet), from the low 29 bits of a
   generation: only 2^29 load or unload events between an answer and its
   next use could make a stale one look current. */
CLRHOST__INLINE LONG clrhost__answer_stamp(LONG generation, BOOL hooked)
{
    return (LONG)(((generation & 0x1FFFFFFF) + 1) << 1 | (hooked ? 1 : 0));
}


/* Where the table holds `target`, or where it would go (a free slot);
   NULL when neither is within CLRHOST__ANSWER_PROBES slots. */
CLRHOST__INLINE clrhost__answer *clrhost__answer_slot(clrhost__answer_table *tab, SIZE_T target)
{
    SIZE_T i = clrhost__target_hash(target) & tab->mask;
    int n;
    for (n = 0; n < CLRHOST__ANSWER_PROBES; ++n, i = (i + 1) & tab->mask) {
        SIZE_T there = clrhost__load_size(&tab->slot[i].target);
        if (there == target || there == 0)
            return &tab->slot[i];
    }
    return NULL;
}

static clrhost__answer_table *clrhost__answer_table_new(const clrhost_task_manager *m, SIZE_T slots)
{
    size_t bytes = offsetof(clrhost__answer_table, slot) + slots * sizeof(clrhost__answer);
    clrhost__answer_table *tab = (clrhost__answer_table *)clrhost__alloc(m, bytes);
    if (tab) {
        memset(tab, 0, bytes);
        tab->mask = slots - 1;
    }
    return tab;
}

/* Under answers_lock. 0 when the table must grow first: no slot within
   reach, or more than half of it used (probes stay short). */
static int clrhost__answer_put(clrhost__answer_table *tab, SIZE_T target, LONG stamp)
{
    clrhost__answer *a = clrhost__answer_slot(tab, target);
    if (!a)
        return 0;
    if (a->target == 0) {
        if ((tab->used + 1) * 2 > tab->mask + 1)
            return 0;
        tab->used += 1;
        clrhost__relaxed_store(&a->stamp, stamp);
        clrhost__store_size(&a->target, target); /* readers that see it see its stamp */
        return 1;
    }
    clrhost__atomic_store(&a->stamp, stamp);
    return 1;
}

/* Under answers_lock: a table twice as large (or more, until every answer
   fits), published for readers; NULL when out of memory or at the most. */
static CLRHOST__COLD clrhost__answer_table *clrhost__answer_grow(clrhost_task_manager *m, clrhost__answer_table *old)
{
    SIZE_T slots = old->mask + 1, i;
    for (;;) {
        clrhost__answer_table *tab;
        slots *= 2;
        if (slots > CLRHOST__ANSWER_MAX_SLOTS || !(tab = clrhost__answer_table_new(m, slots)))
            return NULL;
        for (i = 0; i <= old->mask; ++i)
            if (old->slot[i].target && !clrhost__answer_put(tab, old->slot[i].target, old->slot[i].stamp))
                break;
        if (i > old->mask) {
            tab->older = old;
            clrhost__store_ptr(&m->answers, tab);
            return tab;
        }
        clrhost__free(m, tab); /* crowded: try larger */
    }
}

static CLRHOST__COLD void clrhost__answer_remember(clrhost_task_manager *m, SIZE_T target, LONG stamp)
{
    clrhost__answer_table *tab;
    clrhost__os_mutex_lock(&m->answers_lock);
    tab = (clrhost__answer_table *)m->answers;
    while (tab && !clrhost__answer_put(tab, target, stamp))
        tab = clrhost__answer_grow(m, tab); /* NULL: this target is not cached */
    clrhost__os_mutex_unlock(&m->answers_lock);
}

/* A target with no current answer: looked up without our lock held (the
   OS takes the loader lock, and a thread holding the loader lock may be
   asking us at the same time), then remembered under the generation read
   before the look-up, so that a change during it makes the answer stale. */
static CLRHOST__COLD BOOL clrhost__module_answer(clrhost_task_manager *m, SIZE_T target, LONG generation)
{
    char name[CLRHOST__FILE_NAME_MAX];
    BOOL hooked = FALSE;
    unsigned k;
    int found;
    /* 0 is in no module (and marks a free slot). No loader calls from the
       thread-exit callback (see the manual). */
    if (target == 0 || clrhost__slot_ending(clrhost__os_slot_get()))
        return FALSE;
    CLRHOST__KEEPING_LAST_ERROR(found = clrhost__os_module_name(target, name, sizeof name));
    for (k = 0; found && k < m->module_count && !hooked; ++k)
        hooked = clrhost__module_name_matches(name, m->module_names[k]) ? TRUE : FALSE;
    if (generation >= 0) /* else nothing can tell when it goes stale */
        clrhost__answer_remember(m, target, clrhost__answer_stamp(generation, hooked));
    return hooked;
}

/* After a target's first answer: a generation read, a hash, at most
   CLRHOST__ANSWER_PROBES probes; no lock of ours, no loader call, whatever
   the number of modules and targets (and on POSIX glibc's loader lock for
   the generation, see clrhost__os_modules_generation). */
static BOOL clrhost__module_policy(clrhost_task_manager *m, SIZE_T target)
{
    clrhost__answer_table *tab = (clrhost__answer_table *)clrhost__load_ptr(&m->answers);
    LONG generation = clrhost__os_modules_generation();
    clrhost__answer *a = tab && generation >= 0 ? clrhost__answer_slot(tab, target) : NULL;
    if (a && clrhost__load_size(&a->target) == target) {
        LONG stamp = clrhost__atomic_load(&a->stamp);
        if ((stamp | 1) == (clrhost__answer_stamp(generation, FALSE) | 1))
            return (stamp & 1) ? TRUE : FALSE;
    }
    return clrhost__module_answer(m, target, generation);
}

static CLRHOST__COLD BOOL clrhost__ask_predicate(clrhost_task_manager *m, SIZE_T target)
{
    BOOL answer;
    CLRHOST__KEEPING_LAST_ERROR(answer = m->hooks.needs_hook(m->hooks.user, target) ? TRUE : FALSE);
    return answer;
}

static CLRHOST__COLD void clrhost__count_taskless_ask(clrhost_task_manager *m, BOOL answer)
{
    clrhost__atomic_add64(&m->taskless.needs_hook_asks, 1);
    if (answer)
        clrhost__atomic_add64(&m->taskless.needs_hook_true, 1);
}

/* On 64-bit the CLR asks on every P/Invoke, COM call and calli ("We ask the
   host on every call", vm/frames.cpp). A constant policy (the default, and
   HOOK_ALL_CALLS) answers without looking at the thread, as cheaply as an
   empty method: a manager with one gets a vtable whose CallNeedsHostHook is
   one of these two. Any per-call count would cost more than that (a counter
   written on every call is a dependency from one call to the next), so the
   questions are counted only under the module and predicate policies, or
   with CLRHOST_TASK_COUNT_ASKS (which keeps the general method below). */
static HRESULT STDMETHODCALLTYPE clrhost__mgr_CallNeedsHostHook_never(clrhost__IHostTaskManager *This, SIZE_T target,
                                                                      BOOL *pbCallNeedsHostHook)
{
    (void)This;
    (void)target;
    if (!pbCallNeedsHostHook)
        return E_POINTER;
    *pbCallNeedsHostHook = FALSE;
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE clrhost__mgr_CallNeedsHostHook_always(clrhost__IHostTaskManager *This, SIZE_T target,
                                                                       BOOL *pbCallNeedsHostHook)
{
    (void)This;
    (void)target;
    if (!pbCallNeedsHostHook)
        return E_POINTER;
    *pbCallNeedsHostHook = TRUE;
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE clrhost__mgr_CallNeedsHostHook(clrhost__IHostTaskManager *This, SIZE_T target,
                                                                BOOL *pbCallNeedsHostHook)
{
    clrhost_task_manager *m = clrhost__manager_from(This);
    clrhost_task *t;
    BOOL answer;
    if (!pbCallNeedsHostHook)
        return E_POINTER;
    if (m->policy == CLRHOST__POLICY_CONSTANT) { /* and counted: CLRHOST_TASK_COUNT_ASKS */
        answer = m->constant_answer;
        *pbCallNeedsHostHook = answer;
    } else {
        answer = m->policy == CLRHOST__POLICY_PREDICATE ? clrhost__ask_predicate(m, target)
                                                        : clrhost__module_policy(m, target);
        *pbCallNeedsHostHook = answer;
    }
    t = clrhost__current_task(m);
    if (!t) {
        clrhost__count_taskless_ask(m, answer);
        return S_OK;
    }
    clrhost__count(&t->counts.needs_hook_asks, 1);
    if (answer)
        clrhost__count(&t->counts.needs_hook_true, 1);
    return S_OK;
}

/* The vtables: three that differ only in CallNeedsHostHook (slot 9), the
   general one and one for each constant answer, and two with the timed
   transitions (_timed), whose constant answer can only be TRUE. The
   scheduler makes two more with its own waits and transitions (the
   suffix _scheduled of Sleep and SwitchToTask, and of the four). */
#define CLRHOST__MANAGER_VTBL(name, call_needs_host_hook, waits, transitions)                          \
    static const clrhost__IHostTaskManagerVtbl name = {                                                \
        clrhost__mgr_QueryInterface, clrhost__mgr_AddRef, clrhost__mgr_Release,                         \
        clrhost__mgr_GetCurrentTask, clrhost__mgr_CreateTask, clrhost__mgr_Sleep##waits,                \
        clrhost__mgr_SwitchToTask##waits, clrhost__mgr_SetUILocale, clrhost__mgr_SetLocale,             \
        call_needs_host_hook, clrhost__mgr_LeaveRuntime##transitions, clrhost__mgr_EnterRuntime##transitions, \
        clrhost__mgr_ReverseLeaveRuntime##transitions, clrhost__mgr_ReverseEnterRuntime##transitions,   \
        clrhost__mgr_BeginDelayAbort, clrhost__mgr_EndDelayAbort,                              \
        clrhost__mgr_BeginThreadAffinity, clrhost__mgr_EndThreadAffinity,                      \
        clrhost__mgr_SetStackGuarantee, clrhost__mgr_GetStackGuarantee,                        \
        clrhost__mgr_SetCLRTaskManager}
/* The suffix _plain names the plain methods (a macro argument cannot be
   empty in C89). */
#define clrhost__mgr_Sleep_plain clrhost__mgr_Sleep
#define clrhost__mgr_SwitchToTask_plain clrhost__mgr_SwitchToTask
#define clrhost__mgr_LeaveRuntime_plain clrhost__mgr_LeaveRuntime
#define clrhost__mgr_EnterRuntime_plain clrhost__mgr_EnterRuntime
#define clrhost__mgr_ReverseLeaveRuntime_plain clrhost__mgr_ReverseLeaveRuntime
#define clrhost__mgr_ReverseEnterRuntime_plain clrhost__mgr_ReverseEnterRuntime
CLRHOST__MANAGER_VTBL(clrhost__manager_vtbl, clrhost__mgr_CallNeedsHostHook, _plain, _plain);
CLRHOST__MANAGER_VTBL(clrhost__manager_vtbl_never, clrhost__mgr_CallNeedsHostHook_never, _plain, _plain);
CLRHOST__MANAGER_VTBL(clrhost__manager_vtbl_always, clrhost__mgr_CallNeedsHostHook_always, _plain, _plain);
CLRHOST__MANAGER_VTBL(clrhost__manager_vtbl_timed, clrhost__mgr_CallNeedsHostHook, _plain, _timed);
CLRHOST__MANAGER_VTBL(clrhost__manager_vtbl_timed_always, clrhost__mgr_CallNeedsHostHook_always, _plain, _timed);

/* The policy the configuration (copied into m: hooks, flags, module names)
   asks for, first match wins as the manual lists them, and the vtable that
   answers it. The module policy's first table is made here, so that
   running out of memory is told by clrhost_task_manager_create (later
   growth that fails only leaves targets uncached). S_OK or E_OUTOFMEMORY.
   Always inline, in its one caller: out of line, it changes how GCC
   spends its inlining budget across the file, cold paths included, and
   with that the instruction counts make bench reports. */
CLRHOST__INLINE HRESULT clrhost__choose_policy(clrhost_task_manager *m)
{
    if (m->hooks.needs_hook) {
        m->policy = CLRHOST__POLICY_PREDICATE;
    } else if (m->module_count) {
        m->policy = CLRHOST__POLICY_MODULES;
        m->answers = clrhost__answer_table_new(m, CLRHOST__ANSWER_FIRST_SLOTS);
        if (!m->answers)
            return E_OUTOFMEMORY;
    } else /* the scheduler needs every native call's LeaveRuntime, to give the slot up */
        m->constant_answer = (m->hooks.leave_runtime || m->hooks.enter_runtime || clrhost__sched_on(m) ||
                              (m->flags & (CLRHOST_TASK_TIMING | CLRHOST_TASK_HOOK_ALL_CALLS)))
                                 ? TRUE
                                 : FALSE;
    if (m->policy == CLRHOST__POLICY_CONSTANT && !(m->flags & CLRHOST_TASK_COUNT_ASKS))
        m->iface.lpVtbl = m->constant_answer ? &clrhost__manager_vtbl_always : &clrhost__manager_vtbl_never;
    if (CLRHOST__BROKEN(5))
        m->iface.lpVtbl = &clrhost__manager_vtbl_always;
    if (!clrhost__sched_choose_vtable(m) && (m->flags & CLRHOST_TASK_TIMING))
        m->iface.lpVtbl = m->iface.lpVtbl == &clrhost__manager_vtbl_always ? &clrhost__manager_vtbl_timed_always
                                                                          : &clrhost__manager_vtbl_timed;
    return S_OK;
}

/* ------------------------------------------------------------------------
   >>ihostcontrol  IHostControl: our task manager, the host's own managers
   ------------------------------------------------------------------------ */

static clrhost__host_control *clrhost__host_control_from(clrhost__IHostControl *iface)
{
    return CLRHOST__CONTAINER(iface, clrhost__host_control, iface);
}

static HRESULT STDMETHODCALLTYPE clrhost__hc_QueryInterface(clrhost__IHostControl *This, REFIID riid, void **ppv)
{
    const GUID *iid = clrhost__iid(riid);
    if (!ppv)
        return E_POINTER;
    *ppv = NULL;
    if (!iid)
        return E_POINTER;
    if (!clrhost__iid_equal(iid, &clrhost__IID_IUnknown) && !clrhost__iid_equal(iid, &clrhost__IID_IHostControl))
        return E_NOINTERFACE;
    clrhost__atomic_inc(&clrhost__host_control_from(This)->ref);
    *ppv = This;
    return S_OK;
}

static ULONG STDMETHODCALLTYPE clrhost__hc_AddRef(clrhost__IHostControl *This)
{
    return (ULONG)clrhost__atomic_inc(&clrhost__host_control_from(This)->ref);
}

static ULONG STDMETHODCALLTYPE clrhost__hc_Release(clrhost__IHostControl *This)
{
    clrhost__host_control *hc = clrhost__host_control_from(This);
    LONG r = clrhost__atomic_dec(&hc->ref);
    if (r == 0) {
        clrhost_task_manager *m = hc->manager;
        if (hc->inner)
            hc->inner->lpVtbl->Release(hc->inner);
        clrhost__free(m, hc);
        clrhost__manager_release(m);
    }
    return (ULONG)r;
}

static HRESULT STDMETHODCALLTYPE clrhost__hc_GetHostManager(clrhost__IHostControl *This, REFIID riid, void **ppObject)
{
    clrhost__host_control *hc = clrhost__host_control_from(This);
    const GUID *iid = clrhost__iid(riid);
    HRESULT hr;
    if (!ppObject)
        return E_POINTER;
    *ppObject = NULL;
    if (!iid)
        return E_POINTER;
    if (clrhost__iid_equal(iid, &clrhost__IID_IHostTaskManager)) {
        clrhost__manager_addref(hc->manager);
        *ppObject = &hc->manager->iface;
        return S_OK;
    }
    if (!hc->inner)
        return E_NOINTERFACE;
    hr = hc->inner->lpVtbl->GetHostManager(hc->inner, riid, ppObject);
    if (hr == S_OK && *ppObject && clrhost__sched_drops_manager(hc->manager, iid, ppObject))
        return E_NOINTERFACE;
    return hr;
}

static HRESULT STDMETHODCALLTYPE clrhost__hc_SetAppDomainManager(clrhost__IHostControl *This, DWORD id,
                                                                 clrhost__IUnknown *manager)
{
    clrhost__host_control *hc = clrhost__host_control_from(This);
    if (hc->inner)
        return hc->inner->lpVtbl->SetAppDomainManager(hc->inner, id, manager);
    return S_OK;
}

static const clrhost__IHostControlVtbl clrhost__host_control_vtbl = {
    clrhost__hc_QueryInterface, clrhost__hc_AddRef, clrhost__hc_Release,
    clrhost__hc_GetHostManager, clrhost__hc_SetAppDomainManager};

/* ------------------------------------------------------------------------
   >>api_impl  The public API's implementation
   ------------------------------------------------------------------------ */

static HRESULT clrhost__copy_module_names(clrhost_task_manager *m, const char *const *names)
{
    size_t count = 0, bytes = 0, i;
    char *text;
    if (!names)
        return S_OK;
    for (; names[count]; ++count)
        bytes += strlen(names[count]) + 1;
    if (count == 0)
        return S_OK;
    m->module_names = (char **)clrhost__alloc(m, count * sizeof(char *) + bytes);
    if (!m->module_names)
        return E_OUTOFMEMORY;
    text = (char *)(m->module_names + count);
    for (i = 0; i < count; ++i) {
        size_t n = strlen(names[i]) + 1;
        memcpy(text, names[i], n);
        m->module_names[i] = text;
        text += n;
    }
    m->module_count = (unsigned)count;
    return S_OK;
}

CLRHOST_TASK_API HRESULT clrhost_task_manager_create(const clrhost_task_config *config,
                                                     clrhost_task_manager **out)
{
    clrhost_task_config defaults;
    clrhost__allocator a;
    clrhost_task_manager *m;
    HRESULT hr;
    if (!out)
        return E_POINTER;
    *out = NULL;
    if (!config) {
        memset(&defaults, 0, sizeof defaults);
        config = &defaults;
    }
    if (!config->alloc_fn != !config->free_fn)
        return E_INVALIDARG;
    hr = clrhost__sched_config_check(config);
    if (SUCCEEDED(hr))
        hr = clrhost__profile_config_check(config);
    if (FAILED(hr))
        return hr;
    hr = clrhost__os_slot_init();
    if (FAILED(hr))
        return hr;
    a.alloc_fn = config->alloc_fn ? config->alloc_fn : clrhost__libc_alloc;
    a.free_fn = config->free_fn ? config->free_fn : clrhost__libc_free;
    a.user = config->alloc_user;
    m = (clrhost_task_manager *)a.alloc_fn(a.user, sizeof *m);
    if (!m)
        return E_OUTOFMEMORY;
    memset(m, 0, sizeof *m);
    m->iface.lpVtbl = &clrhost__manager_vtbl; /* clrhost__choose_policy may pick another */
    m->ref = 1;
    m->hooks = config->hooks;
    m->flags = config->flags;
    if (m->flags & CLRHOST_TASK_PROFILE)
        m->flags |= CLRHOST_TASK_TIMING;
    m->admit_thread = config->admit_thread;
    m->log_fn = config->log_fn;
    m->allocator = a;
    m->memory_refs = 1;
    clrhost__sched_configure(m, &config->schedule);
    hr = clrhost__copy_module_names(m, config->hook_modules);
    if (FAILED(hr)) {
        a.free_fn(a.user, m);
        return hr;
    }
    hr = clrhost__choose_policy(m);
    if (FAILED(hr)) { /* only the module policy can fail: there are names */
        a.free_fn(a.user, m->module_names);
        a.free_fn(a.user, m);
        return hr;
    }
    clrhost__clock_choose(m);
    /* timing sorts the CLR's waits out of native time; the live view says
       which tasks wait in them */
    clrhost__waits_init(m);
    clrhost__os_mutex_init(&m->lock);
    clrhost__os_mutex_init(&m->answers_lock);
    hr = clrhost__sched_manager_made(m);
    if (FAILED(hr)) {
        clrhost__manager_destroy(m);
        return hr;
    }
    hr = clrhost__profile_manager_made(m);
    if (FAILED(hr)) {
        clrhost__manager_destroy(m);
        return hr;
    }
    *out = m;
    return S_OK;
}

CLRHOST_TASK_API IHostTaskManager *clrhost_task_manager_iface(clrhost_task_manager *m)
{
    return m ? (IHostTaskManager *)(void *)&m->iface : NULL;
}

CLRHOST_TASK_API HRESULT clrhost_task_host_control_create(clrhost_task_manager *m, IHostControl *inner,
                                                          IHostControl **out)
{
    clrhost__host_control *hc;
    if (!out)
        return E_POINTER;
    *out = NULL;
    if (!m)
        return E_POINTER;
    hc = (clrhost__host_control *)clrhost__alloc(m, sizeof *hc);
    if (!hc)
        return E_OUTOFMEMORY;
    memset(hc, 0, sizeof *hc);
    hc->iface.lpVtbl = &clrhost__host_control_vtbl;
    hc->ref = 1;
    hc->manager = m;
    clrhost__manager_addref(m);
    hc->inner = (clrhost__IHostControl *)(void *)inner;
    if (hc->inner)
        hc->inner->lpVtbl->AddRef(hc->inner);
    *out = (IHostControl *)(void *)&hc->iface;
    return S_OK;
}

CLRHOST_TASK_API ULONG clrhost_task_manager_addref(clrhost_task_manager *m)
{
    return m ? (ULONG)clrhost__atomic_inc(&m->ref) : 0;
}

CLRHOST_TASK_API ULONG clrhost_task_manager_release(clrhost_task_manager *m)
{
    return m ? clrhost__manager_release(m) : 0;
}

CLRHOST_TASK_API HRESULT clrhost_task_manager_get_stats(clrhost_task_manager *m, clrhost_task_manager_stats *out)
{
    const clrhost_task *t;
    int k;
    if (!out)
        return E_POINTER;
    memset(out, 0, sizeof *out);
    if (!m)
        return E_POINTER;
    clrhost__os_mutex_lock(&m->lock);
    out->tasks_created = m->created;
    out->tasks_adopted = m->adopted;
    out->tasks_live = m->live_count;
    out->tasks_ended = m->ended;
    memcpy(out->by_kind, m->ended_by_kind, sizeof out->by_kind);
    clrhost__sched_stats(m, out);
    for (t = m->live; t; t = t->live_next) {
        clrhost_task_kind_stats *kind = &out->by_kind[clrhost__task_kind(t)];
        kind->tasks += 1;
        kind->live += 1;
        clrhost__counters_add(&kind->counters, &t->counts);
    }
    clrhost__os_mutex_unlock(&m->lock);
    for (k = 0; k < CLRHOST_TASK_KIND_COUNT; ++k) {
        out->by_kind[k].counters.alerts += clrhost__load64(&m->late_alerts[k]);
        clrhost__counters_add(&out->totals, &out->by_kind[k].counters);
        clrhost__counters_finish(&out->by_kind[k].counters, m);
    }
    clrhost__counters_add(&out->totals, &m->taskless);
    out->threads_refused = clrhost__load64(&m->refused);
    out->tasks_freed = clrhost__load64(&m->freed);
    clrhost__counters_finish(&out->totals, m);
    return S_OK;
}

CLRHOST_TASK_API HRESULT clrhost_task_manager_foreach(clrhost_task_manager *m,
                                                      void (*fn)(void *ctx, clrhost_task *task), void *ctx)
{
    clrhost_task *t;
    if (!m || !fn)
        return E_POINTER;
    clrhost__os_mutex_lock(&m->lock);
    for (t = m->live; t; t = t->live_next)
        fn(ctx, t);
    clrhost__os_mutex_unlock(&m->lock);
    return S_OK;
}

CLRHOST_TASK_API clrhost_task *clrhost_task_current(clrhost_task_manager *m)
{
    return m ? clrhost__current_task(m) : NULL;
}

CLRHOST_TASK_API clrhost_task *clrhost_task_from_iface(IHostTask *iface)
{
    clrhost__IHostTask *i = (clrhost__IHostTask *)(void *)iface;
    return i && i->lpVtbl == &clrhost__task_vtbl ? clrhost__task_from(i) : NULL;
}

CLRHOST_TASK_API IHostTask *clrhost_task_iface(clrhost_task *task)
{
    return task ? (IHostTask *)(void *)&task->iface : NULL;
}

CLRHOST_TASK_API clrhost_task_manager *clrhost_task_manager_of(const clrhost_task *task)
{
    return task ? task->manager : NULL;
}

CLRHOST_TASK_API void *clrhost_task_get_user(const clrhost_task *task)
{
    return task ? task->user : NULL;
}

CLRHOST_TASK_API void clrhost_task_set_user(clrhost_task *task, void *user)
{
    if (task)
        task->user = user;
}

CLRHOST_TASK_API DWORD clrhost_task_thread_id(const clrhost_task *task)
{
    return task ? (DWORD)clrhost__relaxed_load(&task->thread_id) : 0;
}

CLRHOST_TASK_API unsigned clrhost_task_depth(const clrhost_task *task)
{
    return task ? (unsigned)clrhost__depth(task) : 0;
}

CLRHOST_TASK_API BOOL clrhost_task_is_adopted(const clrhost_task *task)
{
    return task && task->adopted ? TRUE : FALSE;
}

CLRHOST_TASK_API BOOL clrhost_task_in_native(const clrhost_task *task)
{
    return task && clrhost__in_native(task) ? TRUE : FALSE;
}

CLRHOST_TASK_API BOOL clrhost_task_off_scheduler(const clrhost_task *task)
{
    return task && clrhost__relaxed_load(&task->off_scheduler) ? TRUE : FALSE;
}

CLRHOST_TASK_API void clrhost_task_get_counters(const clrhost_task *task, clrhost_task_counters *out)
{
    if (!out)
        return;
    memset(out, 0, sizeof *out);
    if (!task)
        return;
    clrhost__counters_add(out, &task->counts);
    clrhost__counters_finish(out, task->manager);
}

CLRHOST_TASK_API clrhost_task_kind clrhost_task_get_kind(const clrhost_task *task)
{
    return task ? clrhost__task_kind(task) : CLRHOST_TASK_KIND_UNKNOWN;
}

CLRHOST_TASK_API const char *clrhost_task_kind_name(clrhost_task_kind kind)
{
    static const char *const names[CLRHOST_TASK_KIND_COUNT] = {
        "unknown", "user", "threadpool-worker", "io-completion", "finalizer", "gc", "ad-unload", "other"};
    return (unsigned)kind < CLRHOST_TASK_KIND_COUNT ? names[kind] : "?";
}

CLRHOST_TASK_API LONG clrhost_task_clr_type(const clrhost_task *task)
{
    return task ? clrhost__relaxed_load(&task->clr_type) : CLRHOST__TT_UNKNOWN;
}

CLRHOST_TASK_API size_t clrhost_task_describe_target(SIZE_T target, char *buf, size_t size)
{
    clrhost__name name;
    SIZE_T offset = 0;
    int found;
    if (!buf || size == 0)
        return 0;
    clrhost__name_begin(&name, buf, size);
    found = clrhost__os_describe(target, &name, &offset);
    if (found == 0) {
        clrhost__name_append_hex(&name, target);
    } else if (found == 1 || offset != 0) {
        clrhost__name_append(&name, "+");
        clrhost__name_append_hex(&name, offset);
    }
    return clrhost__name_end(&name);
}

CLRHOST_TASK_API HRESULT clrhost_task_closing_frame(const clrhost_task *task, clrhost_task_frame *out)
{
    const clrhost_task_manager *m;
    LONG d;
    if (!out)
        return E_POINTER;
    memset(out, 0, sizeof *out);
    if (!task)
        return E_POINTER;
    m = task->manager;
    /* closing is the own thread's: read it only there */
    if (clrhost__current_task(m) != task || !task->closing)
        return HOST_E_INVALIDOPERATION;
    d = clrhost__depth(task); /* the pop is done: the closed frame was frame d */
    out->native = task->closing == 1 + CLRHOST__FRAME_NATIVE_CALL ? TRUE : FALSE;
    out->depth = (unsigned)d;
    if (d < CLRHOST_TASK_MAX_DEPTH) {
        const clrhost__frame *f = &task->frames[d];
        if (out->native) {
            out->target = clrhost__view_frame_target(task, d);
            out->wait = clrhost__is_wait(m, out->target) ? TRUE : FALSE;
        }
        if (m->flags & CLRHOST_TASK_TIMING) {
            out->span_ns = clrhost__ticks_to_ns(f->span, m->tick_frequency);
            out->ns = clrhost__ticks_to_ns(clrhost__elapsed(f->nested, f->span), m->tick_frequency);
        }
    }
    return S_OK;
}

CLRHOST_TASK_API HRESULT clrhost_task_manager_clock(clrhost_task_manager *m, clrhost_task_clock *out)
{
    if (!out)
        return E_POINTER;
    memset(out, 0, sizeof *out);
    if (!m)
        return E_POINTER;
    out->tsc = m->tsc ? TRUE : FALSE;
    out->frequency = m->tick_frequency;
    return S_OK;
}

/* ------------------------------------------------------------------------
   >>task_view  The live view (clrhost_task_get_view and the list) and
   the task controls (clrhost_task_abort and the others: the host's calls
   on a task's ICLRTask). Left out by CLRHOST_TASK_NO_TASK_VIEW.

   Another thread reads a task's position and, for it, the innermost open
   native call's target and (with timing) since when the task has been
   there, and must never pair a position with another moment's target or
   time. The target is kept per position value, in targets[position],
   written before the (release) store of the position that shows it: a
   native push writes its own target there, a managed push the one of the
   position it leaves (the native call it is nested in), and a pop writes
   nothing, as the frames below the popped one are unchanged. So whatever a
   reader finds in the slot of the position it read belongs to a moment the
   task was at that position. That costs the untimed LeaveRuntime one
   store. Timed transitions also write `since`, one value for all
   positions, so they write it and the position inside the sequence lock
   seq (clrhost__view_move); the untimed ones never touch seq, and timing
   is fixed for a manager's life.
   ------------------------------------------------------------------------ */

#ifndef CLRHOST_TASK_NO_TASK_VIEW

/* ---- the writer's side: where the core calls it (points) --------------- */

/* A push of `kind` from position `from` to `to` (below
   CLRHOST_TASK_MAX_DEPTH frames): the target for the position it goes to. */
CLRHOST__INLINE void clrhost__view_target(clrhost_task *t, LONG from, LONG to, int kind, SIZE_T target)
{
    clrhost__store_size(&t->view.targets[to],
                        kind == CLRHOST__FRAME_MANAGED ? clrhost__load_size(&t->view.targets[from]) : target);
}

/* The target of the native frame d (below CLRHOST_TASK_MAX_DEPTH): the
   slot of the position that frame made. */
CLRHOST__INLINE SIZE_T clrhost__view_frame_target(const clrhost_task *t, LONG d)
{
    return t->view.targets[CLRHOST__POSITION(d + 1, 1)];
}

/* A timed transition's move to position `to`, which it made at clock
   tick `now`: since and position under the sequence lock. */
CLRHOST__INLINE void clrhost__view_move(clrhost_task *t, LONG to, ULONGLONG now)
{
    LONG seq = clrhost__relaxed_load(&t->view.seq);
    clrhost__relaxed_store(&t->view.seq, seq + 1);
    clrhost__fence_release();
    clrhost__store64(&t->view.since, now);
    clrhost__atomic_store(&t->position, to);
    clrhost__atomic_store(&t->view.seq, seq + 2);
}

/* When the task's last move was (timed transitions only). */
CLRHOST__INLINE ULONGLONG clrhost__view_since(const clrhost_task *t)
{
    return clrhost__load64(&t->view.since);
}

/* The task's thread starts running (in managed code, or native code of
   its own): with timing, it has been there since now. */
static void clrhost__view_task_begins(const clrhost_task_manager *m, clrhost_task *t)
{
    if (m->flags & CLRHOST_TASK_TIMING)
        clrhost__store64(&t->view.since, clrhost__ticks(m));
}

/* Our Sleep or Join begins (1) or ends (-1). */
static void clrhost__view_waits(clrhost_task *t, LONG delta)
{
    clrhost__relaxed_store(&t->view.waiting, clrhost__relaxed_load(&t->view.waiting) + delta);
}

/* A SwitchToTask: it answers the forced yield asked, if any. */
CLRHOST__INLINE void clrhost__view_yield_taken(clrhost_task *t)
{
    if (clrhost__relaxed_load(&t->view.yield_pending) && clrhost__atomic_xchg(&t->view.yield_pending, 0))
        clrhost__count(&t->counts.forced_yields_taken, 1);
}

/* ---- the reader's side, and the controls --------------------------------- */

/* The kinds the CLR keeps for itself: no abort, no forced yield. */
static int clrhost__clr_reserved(const clrhost_task *t)
{
    LONG type = clrhost__relaxed_load(&t->clr_type);
    return type == CLRHOST__TT_GC || type == CLRHOST__TT_DEBUGGERHELPER;
}

CLRHOST_TASK_API HRESULT clrhost_task_get_view(clrhost_task *task, clrhost_task_view *out)
{
    int timed;
    LONG position;
    SIZE_T target;
    ULONGLONG since = 0;
    if (!out)
        return E_POINTER;
    memset(out, 0, sizeof *out);
    if (!task)
        return E_POINTER;
    timed = (task->manager->flags & CLRHOST_TASK_TIMING) != 0;
    for (;;) {
        LONG seq = clrhost__atomic_load(&task->view.seq);
        if (seq & 1) { /* a timed transition is writing: it takes a few instructions */
            clrhost__os_yield();
            continue;
        }
        position = clrhost__atomic_load(&task->position);
        target = position < CLRHOST__VIEW_SLOTS ? clrhost__load_size(&task->view.targets[position]) : 0;
        if (timed)
            since = clrhost__load64(&task->view.since);
        clrhost__fence_acquire();
        if (clrhost__relaxed_load(&task->view.seq) == seq)
            break;
    }
    out->task = task;
    out->thread_id = (DWORD)clrhost__relaxed_load(&task->thread_id);
    out->clr_type = clrhost__relaxed_load(&task->clr_type);
    out->kind = clrhost__kind_of_type(out->clr_type);
    out->adopted = task->adopted ? TRUE : FALSE;
    out->ended = clrhost__atomic_load(&task->state) >= CLRHOST__TASK_CANCELLED ? TRUE : FALSE;
    out->has_clr_task = clrhost__load_ptr(&task->clr_task) != NULL ? TRUE : FALSE;
    out->in_native = (position & CLRHOST__NATIVE_BIT) ? TRUE : FALSE;
    out->off_scheduler = clrhost__relaxed_load(&task->off_scheduler) ? TRUE : FALSE;
    out->depth = (unsigned)(position >> 1);
    out->thread_affinity = (unsigned)clrhost__relaxed_load(&task->affinity);
    out->native_target = target;
    out->waiting = clrhost__relaxed_load(&task->view.waiting) > 0 ? TRUE : FALSE;
    if (out->in_native && clrhost__is_wait(task->manager, target))
        out->waiting = TRUE;
    clrhost__sched_view(task, out);
    if (since && position < CLRHOST__VIEW_SLOTS) {
        ULONGLONG now = clrhost__ticks(task->manager);
        out->state_ns = clrhost__ticks_to_ns(clrhost__elapsed(since, now), task->manager->tick_frequency);
    }
    return S_OK;
}

static int clrhost__view_matches(const clrhost_task_view *v, unsigned which, ULONGLONG min_ms)
{
    unsigned where = which & ~CLRHOST_TASK_LIST_RUNNING;
    if (where == CLRHOST_TASK_LIST_IN_NATIVE && !v->in_native)
        return 0;
    if (where == CLRHOST_TASK_LIST_IN_MANAGED && v->in_native)
        return 0;
    if ((which & CLRHOST_TASK_LIST_RUNNING) && v->waiting)
        return 0;
    return v->state_ns / 1000000u >= min_ms;
}

CLRHOST_TASK_API HRESULT clrhost_task_manager_list(clrhost_task_manager *m, unsigned which, ULONGLONG min_ms,
                                                   clrhost_task_view *views, size_t capacity, size_t *count)
{
    clrhost_task *t;
    size_t n = 0;
    HRESULT hr = S_OK;
    if (count)
        *count = 0;
    if (!m || !count || (!views && capacity))
        return E_POINTER;
    if ((which & ~CLRHOST_TASK_LIST_RUNNING) > CLRHOST_TASK_LIST_IN_MANAGED || (min_ms && !(m->flags & CLRHOST_TASK_TIMING)))
        return E_INVALIDARG;
    clrhost__os_mutex_lock(&m->lock);
    for (t = m->live; t; t = t->live_next) {
        clrhost_task_view v;
        (void)clrhost_task_get_view(t, &v);
        if (!clrhost__view_matches(&v, which, min_ms))
            continue;
        if (n == capacity) {
            hr = S_FALSE;
            break;
        }
        (void)clrhost__task_addref(t); /* live, so not freed before this */
        views[n++] = v;
    }
    clrhost__os_mutex_unlock(&m->lock);
    *count = n;
    return hr;
}

CLRHOST_TASK_API void clrhost_task_views_release(clrhost_task_view *views, size_t count)
{
    size_t i;
    for (i = 0; views && i < count; ++i)
        if (views[i].task) {
            clrhost_task *t = views[i].task;
            views[i].task = NULL;
            (void)clrhost__task_release(t);
        }
}

/* The host's calls on a task's ICLRTask (TASK CONTROLS), all made here:
   what is refused before the CLR is asked, then the call, with a
   reference held (clrhost__clr_begin). `out` and `id` as the call needs. */
#define CLRHOST__CALL_ABORT 0
#define CLRHOST__CALL_RUDE_ABORT 1
#define CLRHOST__CALL_YIELD 2
#define CLRHOST__CALL_LOCKS_HELD 3
#define CLRHOST__CALL_MEM_STATS 4
#define CLRHOST__CALL_SET_ID 5

static HRESULT clrhost__clr_call(clrhost_task *task, int call, void *out, ULONGLONG id)
{
    clrhost__ICLRTask *clr;
    clrhost__gc_thread_stats stats;
    HRESULT hr;
    if (!task)
        return E_POINTER;
    /* [SRC] YieldTask from the task's own thread is HOST_E_INVALIDOPERATION
       (vm/threads.cpp): refused here without asking. */
    if (call == CLRHOST__CALL_YIELD && clrhost__owned_here(task))
        return HOST_E_INVALIDOPERATION;
    hr = clrhost__clr_begin(task, &clr);
    if (FAILED(hr))
        return hr;
    if (call <= CLRHOST__CALL_YIELD && clrhost__clr_reserved(task)) {
        hr = E_ACCESSDENIED;
    } else {
        switch (call) {
        case CLRHOST__CALL_ABORT: hr = clr->lpVtbl->Abort(clr); break;
        case CLRHOST__CALL_RUDE_ABORT: hr = clr->lpVtbl->RudeAbort(clr); break;
        case CLRHOST__CALL_YIELD:
            /* The yield the CLR makes the task take is its next SwitchToTask. */
            hr = clr->lpVtbl->YieldTask(clr);
            if (hr == S_OK) /* a new request; S_FALSE: one was pending already (vm/threads.cpp:12042-12046) */
                clrhost__atomic_add64(&task->counts.forced_yields, 1); /* before the flag: taken <= asked */
            if (SUCCEEDED(hr))
                clrhost__atomic_store(&task->view.yield_pending, 1);
            break;
        case CLRHOST__CALL_LOCKS_HELD: hr = clr->lpVtbl->LocksHeld(clr, (SIZE_T *)out); break;
        case CLRHOST__CALL_MEM_STATS:
            /* [SRC] GetMemStats writes Flags only when it sets one, so the
               struct is zeroed first; from another thread it reads a counter
               the task's thread is updating, which on x86 can tear. */
            memset(&stats, 0, sizeof stats);
            hr = clr->lpVtbl->GetMemStats(clr, &stats);
            if (SUCCEEDED(hr) && out) /* out is never NULL here: the wrapper checked */
                *(ULONGLONG *)out = stats.PerThreadAllocation;
            break;
        default: hr = clr->lpVtbl->SetTaskIdentifier(clr, id); break;
        }
    }
    clrhost__clr_end(task, clr);
    return hr;
}

CLRHOST_TASK_API HRESULT clrhost_task_abort(clrhost_task *task, BOOL rude)
{
    return clrhost__clr_call(task, rude ? CLRHOST__CALL_RUDE_ABORT : CLRHOST__CALL_ABORT, NULL, 0);
}

CLRHOST_TASK_API HRESULT clrhost_task_yield(clrhost_task *task)
{
    return clrhost__clr_call(task, CLRHOST__CALL_YIELD, NULL, 0);
}

CLRHOST_TASK_API HRESULT clrhost_task_locks_held(clrhost_task *task, SIZE_T *out)
{
    if (!out)
        return E_POINTER;
    *out = 0;
    return clrhost__clr_call(task, CLRHOST__CALL_LOCKS_HELD, out, 0);
}

CLRHOST_TASK_API HRESULT clrhost_task_bytes_allocated(clrhost_task *task, ULONGLONG *out)
{
    if (!out)
        return E_POINTER;
    *out = 0;
    return clrhost__clr_call(task, CLRHOST__CALL_MEM_STATS, out, 0);
}

CLRHOST_TASK_API HRESULT clrhost_task_set_debugger_id(clrhost_task *task, ULONGLONG id)
{
    return clrhost__clr_call(task, CLRHOST__CALL_SET_ID, NULL, id);
}

#else /* CLRHOST_TASK_NO_TASK_VIEW */

CLRHOST_TASK_API HRESULT clrhost_task_get_view(clrhost_task *task, clrhost_task_view *out)
{
    (void)task;
    if (!out)
        return E_POINTER;
    memset(out, 0, sizeof *out);
    return E_NOTIMPL;
}

CLRHOST_TASK_API HRESULT clrhost_task_manager_list(clrhost_task_manager *m, unsigned which, ULONGLONG min_ms,
                                                   clrhost_task_view *views, size_t capacity, size_t *count)
{
    (void)m;
    (void)which;
    (void)min_ms;
    (void)views;
    (void)capacity;
    if (count)
        *count = 0;
    return E_NOTIMPL;
}

CLRHOST_TASK_API void clrhost_task_views_release(clrhost_task_view *views, size_t count)
{
    (void)views; /* no view ever holds a task */
    (void)count;
}

CLRHOST_TASK_API HRESULT clrhost_task_abort(clrhost_task *task, BOOL rude)
{
    (void)task;
    (void)rude;
    return E_NOTIMPL;
}

CLRHOST_TASK_API HRESULT clrhost_task_yield(clrhost_task *task)
{
    (void)task;
    return E_NOTIMPL;
}

CLRHOST_TASK_API HRESULT clrhost_task_locks_held(clrhost_task *task, SIZE_T *out)
{
    (void)task;
    if (!out)
        return E_POINTER;
    *out = 0;
    return E_NOTIMPL;
}

CLRHOST_TASK_API HRESULT clrhost_task_bytes_allocated(clrhost_task *task, ULONGLONG *out)
{
    (void)task;
    if (!out)
        return E_POINTER;
    *out = 0;
    return E_NOTIMPL;
}

CLRHOST_TASK_API HRESULT clrhost_task_set_debugger_id(clrhost_task *task, ULONGLONG id)
{
    (void)task;
    (void)id;
    return E_NOTIMPL;
}
#endif /* CLRHOST_TASK_NO_TASK_VIEW */

/* ------------------------------------------------------------------------
   >>profile  The per-target profile (CLRHOST_TASK_PROFILE; PROFILE in
   the manual): each task books its native calls' times in its own table,
   by target, with no lock; a task's end adds its table to the manager's
   (under the manager's lock); a report copies or sums the tables and
   sorts their lines by time. Left out by CLRHOST_TASK_NO_PROFILE.
   ------------------------------------------------------------------------ */

#ifndef CLRHOST_TASK_NO_PROFILE
/* A table of `lines` lines (a power of two), all free; NULL: no memory. */
static clrhost__profile *clrhost__profile_new(const clrhost_task_manager *m, SIZE_T lines)
{
    size_t size = offsetof(clrhost__profile, line) + lines * sizeof(clrhost__profile_line);
    clrhost__profile *p = (clrhost__profile *)clrhost__alloc(m, size);
    if (p) {
        memset(p, 0, size);
        p->mask = lines - 1;
        p->other[1].wait = 1;
    }
    return p;
}

/* The line of `target` in p, made if it has none and there is room within
   CLRHOST__PROFILE_PROBES lines of its hash; else p's overflow line for
   waits or for other calls. Only the table's one writer calls it. */
static clrhost__profile_line *clrhost__profile_line_of(clrhost__profile *p, const clrhost_task_manager *m,
                                                       SIZE_T target)
{
    SIZE_T h = clrhost__target_hash(target), i;
    for (i = 0; i < CLRHOST__PROFILE_PROBES; ++i) {
        clrhost__profile_line *l = &p->line[(h + i) & p->mask];
        if (l->target == target)
            return l;
        if (!l->target) {
            l->wait = clrhost__is_wait(m, target);
            clrhost__store_size(&l->target, target); /* after wait: readers check the target first */
            return l;
        }
    }
    return &p->other[clrhost__is_wait(m, target)];
}

/* Adds to a line; only the table's writer calls it. */
CLRHOST__INLINE void clrhost__profile_add(clrhost__profile_line *l, ULONGLONG calls, ULONGLONG ticks,
                                          ULONGLONG max_ticks)
{
    clrhost__count(&l->calls, calls);
    clrhost__count(&l->ticks, ticks);
    if (max_ticks > l->max_ticks)
        clrhost__store64(&l->max_ticks, max_ticks);
}

/* Books a closing native call in its task's profile: its line is most
   often the one of the task's last call, else it is looked up (and made on
   first use). Returns whether the target is one of the CLR's blocking
   waits (the line knows, so the timing need not ask). */
static int clrhost__profile_book(clrhost_task *t, SIZE_T target, ULONGLONG ticks)
{
    clrhost__profile_line *l = t->profile.last;
    if (!l || l->target != target) {
        l = clrhost__profile_line_of(t->profile.lines, t->manager, target);
        if (l->target) /* not an overflow line, which holds no one target */
            t->profile.last = l;
    }
    clrhost__profile_add(l, 1, ticks, ticks);
    return l->wait;
}

/* Adds line `from` (of a table another thread may be writing: its counts
   are read whole, each a value it had) to `to`, a line of a table the
   caller writes. */
static void clrhost__profile_add_line(clrhost__profile_line *to, const clrhost__profile_line *from)
{
    clrhost__profile_add(to, clrhost__load64(&from->calls), clrhost__load64(&from->ticks),
                         clrhost__load64(&from->max_ticks));
}

/* Adds every line of `from` to the table `to`, which the caller writes. */
static void clrhost__profile_merge(clrhost__profile *to, const clrhost__profile *from, const clrhost_task_manager *m)
{
    SIZE_T i;
    for (i = 0; i <= from->mask; ++i) {
        SIZE_T target = clrhost__load_size(&from->line[i].target);
        if (target)
            clrhost__profile_add_line(clrhost__profile_line_of(to, m, target), &from->line[i]);
    }
    clrhost__profile_add_line(&to->other[0], &from->other[0]);
    clrhost__profile_add_line(&to->other[1], &from->other[1]);
}

/* ---- where the core calls it (points) ----------------------------------- */

/* The ended tasks' table (clrhost_task_manager_create has turned timing
   on with the profile: timing gives it its times). */
static HRESULT clrhost__profile_manager_made(clrhost_task_manager *m)
{
    if (!(m->flags & CLRHOST_TASK_PROFILE))
        return S_OK;
    m->profile.ended = clrhost__profile_new(m, (SIZE_T)4 * CLRHOST_TASK_PROFILE_TARGETS);
    return m->profile.ended ? S_OK : E_OUTOFMEMORY;
}

static void clrhost__profile_manager_ended(clrhost_task_manager *m)
{
    if (m->profile.ended)
        clrhost__free(m, m->profile.ended);
}

/* 0: no memory for the task's table. */
static int clrhost__profile_task_made(clrhost_task *t, const clrhost_task_manager *m)
{
    if (!(m->flags & CLRHOST_TASK_PROFILE))
        return 1;
    t->profile.lines = clrhost__profile_new(m, CLRHOST_TASK_PROFILE_TARGETS);
    return t->profile.lines != NULL;
}

static void clrhost__profile_task_freed(clrhost_task *t)
{
    if (t->profile.lines)
        clrhost__free(t->manager, t->profile.lines);
}

/* Under the manager's lock. */
static void clrhost__profile_task_ends(clrhost_task_manager *m, const clrhost_task *t)
{
    if (t->profile.lines)
        clrhost__profile_merge(m->profile.ended, t->profile.lines, m);
}

/* ---- the report ---------------------------------------------------------- */

/* A copy of one task's table, line for line at the same places: a line
   filled again by its hash could find its cluster laid out otherwise
   (one that wraps past the table's end) and no room within reach. */
static clrhost__profile *clrhost__profile_copy(clrhost_task_manager *m, const clrhost__profile *from)
{
    clrhost__profile *to = clrhost__profile_new(m, from->mask + 1);
    SIZE_T i;
    if (!to)
        return NULL;
    for (i = 0; i <= from->mask; ++i) {
        SIZE_T target = clrhost__load_size(&from->line[i].target);
        if (target) {
            to->line[i].target = target;
            to->line[i].wait = clrhost__is_wait(m, target);
            clrhost__profile_add_line(&to->line[i], &from->line[i]);
        }
    }
    clrhost__profile_add_line(&to->other[0], &from->other[0]);
    clrhost__profile_add_line(&to->other[1], &from->other[1]);
    return to;
}

/* A report's table: a copy of one task's, or the manager's ended tasks'
   and every live task's lines, in a table that holds twice the ended
   tasks' bound (lines that find no room go to the overflow lines). */
static clrhost__profile *clrhost__profile_collect(clrhost_task_manager *m, const clrhost_task *task)
{
    clrhost__profile *sum;
    const clrhost_task *t;
    if (task)
        return clrhost__profile_copy(m, task->profile.lines);
    sum = clrhost__profile_new(m, (SIZE_T)8 * CLRHOST_TASK_PROFILE_TARGETS);
    if (!sum)
        return NULL;
    clrhost__os_mutex_lock(&m->lock);
    clrhost__profile_merge(sum, m->profile.ended, m);
    for (t = m->live; t; t = t->live_next)
        clrhost__profile_merge(sum, t->profile.lines, m);
    clrhost__os_mutex_unlock(&m->lock);
    return sum;
}

static int clrhost__profile_costlier(const void *a, const void *b)
{
    ULONGLONG x = ((const clrhost__profile_line *)a)->ticks;
    ULONGLONG y = ((const clrhost__profile_line *)b)->ticks;
    return x < y ? 1 : x > y ? -1 : 0;
}

CLRHOST_TASK_API HRESULT clrhost_task_manager_profile(clrhost_task_manager *m, clrhost_task *task,
                                                      clrhost_task_profile_entry *entries, size_t capacity,
                                                      size_t *count)
{
    clrhost__profile *sum;
    clrhost__profile_line *order; /* the lines in use, then sorted */
    size_t used = 0, i;
    if (count)
        *count = 0;
    if (!m || !count || (!entries && capacity))
        return E_POINTER;
    if (task && task->manager != m)
        return E_INVALIDARG;
    if (!(m->flags & CLRHOST_TASK_PROFILE))
        return HOST_E_INVALIDOPERATION;
    sum = clrhost__profile_collect(m, task);
    order = sum ? (clrhost__profile_line *)clrhost__alloc(m, (sum->mask + 3) * sizeof(clrhost__profile_line)) : NULL;
    if (!order) {
        if (sum)
            clrhost__free(m, sum);
        return E_OUTOFMEMORY;
    }
    for (i = 0; i <= sum->mask; ++i)
        if (sum->line[i].target)
            order[used++] = sum->line[i];
    for (i = 0; i < 2; ++i)
        if (sum->other[i].calls)
            order[used++] = sum->other[i];
    qsort(order, used, sizeof(clrhost__profile_line), clrhost__profile_costlier);
    for (i = 0; i < used && i < capacity; ++i) {
        const clrhost__profile_line *l = &order[i];
        clrhost_task_profile_entry *e = &entries[i];
        e->target = l->target;
        e->wait = l->wait ? TRUE : FALSE;
        e->calls = l->calls;
        e->ns = clrhost__ticks_to_ns(l->ticks, m->tick_frequency);
        e->max_ns = clrhost__ticks_to_ns(l->max_ticks, m->tick_frequency);
        if (l->target) {
            (void)clrhost_task_describe_target(l->target, e->name, sizeof e->name);
        } else {
            clrhost__name name;
            clrhost__name_begin(&name, e->name, sizeof e->name);
            clrhost__name_append(&name, l->wait ? "(other waits)" : "(other targets)");
            (void)clrhost__name_end(&name);
        }
    }
    *count = i;
    clrhost__free(m, order);
    clrhost__free(m, sum);
    return used > capacity ? S_FALSE : S_OK;
}

#else /* CLRHOST_TASK_NO_PROFILE */

CLRHOST_TASK_API HRESULT clrhost_task_manager_profile(clrhost_task_manager *m, clrhost_task *task,
                                                      clrhost_task_profile_entry *entries, size_t capacity,
                                                      size_t *count)
{
    (void)m;
    (void)task;
    (void)entries;
    (void)capacity;
    if (count)
        *count = 0;
    return E_NOTIMPL;
}
#endif /* CLRHOST_TASK_NO_PROFILE */

/* ------------------------------------------------------------------------
   >>scheduler  SQL Server's scheduler model without fibers (SCHEDULER in
   the manual), under section 5's first rule: a task never waits for a
   slot where the CLR cannot afford it. N slots; a scheduled task holds
   one while it runs managed code, lends it while it calls out or waits,
   and needs one again when it comes back. The slots, their holders and
   the queue are under sched.lock; a task waits for a slot on its own
   condition variable, which lets the lock go, so no lock of ours is held
   across a wait, a hook or a call into the CLR. Without a scheduler none
   of it runs: the manager's vtable then has none of the methods that
   call it.

   Lent slots. A task keeps its slot across its native calls and waits,
   lent: it marks itself out (sched.out) with a plain store, and back in
   with another; neither takes a lock or a locked instruction while
   nobody waits. A task that needs a slot takes a lent one under
   sched.lock: it sets the holder's sched.taken, makes every thread of
   the process run a full barrier (clrhost__os_heavy_barrier: membarrier
   on Linux, FlushProcessWriteBuffers on Windows), then reads the
   holder's sched.out again: still out, the slot is its. The holder,
   coming back, stores sched.out = 0, then reads sched.taken. The barrier
   is the fence the holder does not pay for: at some point of the
   holder's run it orders the holder's store before its read, so either
   the taker sees the holder back (and lets go) or the holder sees its
   slot taken (and asks for one under the lock); never neither. It is
   the CLR's own way of suspending threads for a GC against their plain
   stores of m_fPreemptiveGCDisabled. A holder that goes out while a
   task waits hands its slot over at once; a waiter and a holder that
   miss each other's store as the holder goes out are caught by the
   queue's first, which looks at the holders again every millisecond.

   Where a task may wait. Only where section 5 says the thread is
   preemptive and holds none of the CLR's locks: its BeginThreadAffinity
   nesting is 0 (the CLR brackets every lock it holds with it,
   vm/crst.cpp:464-467, 549-551), and its ICLRTask says it needs no
   priority scheduling (m_fPreemptiveGCDisabled clear, vm/threads.cpp:
   11974-11986), asked only when it would wait; or SetCLRTask, where the
   thread is still unstarted, which a GC skips (vm/threads.cpp:
   6489-6500). A reverse call is always cooperative (vm/amd64/
   UMThunkStub.asm:183-208): it never waits. A task that finds no slot
   where it must not wait runs over the cap: counted (over_cap), shown
   (the view's over_cap), and back under it at its next place to wait.

   Why it cannot deadlock the CLR, case by case (CLR 4.x source; the
   suite's unkind/ tests play each case against a played CLR with GC
   modes, suspension and the CLR's locks):
   - A GC. Its suspension waits, without limit, for every started thread
     in cooperative mode (vm/threadsuspend.cpp:4954-5120, 5161-5420). No
     task waits for a slot in cooperative mode: ReverseEnterRuntime never
     waits, and everywhere else the CLR's mode is asked first. A task
     that waits for a slot is preemptive, which a GC skips. [SRC]
   - The CLR's locks. A task whose BeginThreadAffinity nesting is above 0
     (it holds a Crst, or the thread-store lock) never waits for a slot,
     so a lock's holder always runs on to its release, over the cap if it
     must. A task blocked on a CLR lock keeps its slot (that wait is not
     announced, vm/crst.cpp:208-260, 464-481), but the lock's holder never
     waits for that slot. So a workstation GC that holds the thread-store
     lock across its announced 10 ms waits (vm/threadsuspend.cpp:66-69,
     5272, 8034) and its back-offs (vm/threadsuspend.cpp:427, 3908, 5068)
     comes back from them over the cap when the threads starting meanwhile
     took the slots and block on that lock (vm/threads.cpp:2546-2558)
     [SRC; unkind/chain_b_*, chain_c_*].
   - A reverse call. It is cooperative, so it never waits for a slot: a GC
     that waits for it while every slot's holder waits for a lock the GC's
     thread holds goes on [SRC; unkind/chain_e_*].
   - Thread start. The new thread waits for its slot in SetCLRTask,
     unstarted (a GC skips it) and holding nothing; Thread.Start waits for
     it to pass SetCLRTask and the thread-store lock, preemptive, in
     SwitchToTask(0) back-offs (vm/comsynchronizable.cpp:482, 549-556),
     which hand the creator's own slot over. So a Thread.Start waits while
     every slot is held by tasks that do not call out, as any waiter does
     [SRC].
   - Locks no affinity announces (a Monitor, the GC's spin locks). A
     holder may wait for a slot at an EnterRuntime; its waiters back off
     with SwitchToTask(0) on every round (vm/hosting.cpp:880-960, and a
     1 ms Sleep with it on every round past the 32,768th), which hands a
     waited-for slot on, and a Monitor's waiters then block in announced
     waits (vm/syncblk.cpp:3119), which lend theirs. [SRC; that no such
     lock is held across a slot wait other than these: INF]
   - Thread.Abort and AppDomain unload. An abort of a task waiting for a
     slot fires when it runs managed code again (vm/threadsuspend.cpp:
     1846-1852), once it has a slot; the unload helper is never scheduled
     (LeaveRuntime(0), vm/appdomain.cpp:13347-13353). If every slot is
     held by tasks outside the domain that never call out, without a
     quantum the domain's waiting threads run, take their abort and end
     only once one of those calls out: the unload waits as long (the CLR
     anticipates this and only escalates the abort, vm/appdomain.cpp:
     11426-11431). With a quantum they are made to yield. [SRC;
     unkind/unload_*]
   - Shutdown. SuspendEE for shutdown waits for the cooperative threads
     only (vm/finalizerthread.cpp:1210, vm/threadsuspend.cpp:3432-3495),
     and none waits for a slot in cooperative mode; tasks still waiting
     for one end with the process [SRC; unkind/shutdown_with_tasks_queued].
   - A native call back into managed code on the same thread: the reverse
     call needs a slot with its own lent (it takes it back if nobody took
     it, else runs over the cap), and lends it again at its
     ReverseLeaveRuntime.
   - One slot, and a task waiting for it. The holder hands it over at its
     next call out, wait, Sleep, Join or back-off; only a holder that runs
     managed code and never calls out keeps it, and then the quantum (if
     set) makes it yield; without one the waiter waits, as on SQL Server,
     and a GC still redirects the holder [INF].
   No lock of ours is held across a hook, a call into the CLR or an OS
   wait: the queue's lock is let go while a task waits for its slot, the
   CLR's mode is asked with no lock held, and the monitor calls YieldTask
   with no lock held. [INF], all told: an adopted thread's managed code
   outside a reverse call is not counted; locks no affinity announces
   held across a slot wait (above); that a GC redirects a holder that
   never calls out.
   ------------------------------------------------------------------------ */

#ifndef CLRHOST_TASK_NO_SCHEDULER

/* Whether a task of this kind and origin is scheduled. The CLR's own
   critical threads never are: the kinds are checked when the manager is
   made (GC, finalizer, AD-unload helper, debugger helper and the thread
   pool's wait, gate and timer threads are refused there). */
static int clrhost__sched_wants_task(const clrhost_task_manager *m, const clrhost_task *t)
{
    clrhost_task_kind kind = clrhost__task_kind(t);
    if (t->adopted && !m->sched.foreign)
        return 0;
    return kind != CLRHOST_TASK_KIND_UNKNOWN && (m->sched.kinds & CLRHOST_TASK_KIND_BIT(kind)) != 0;
}

/* Whether the task, where its frames say it is now, runs managed code
   that needs a slot: its innermost frame is managed (a reverse call), or
   it has no frame open and its thread is the CLR's (a created task's
   thread runs managed code at depth 0). An adopted thread at depth 0 is
   in its own native code, or in managed code the host called through the
   hosting API, which no transition announces: not counted. [INF] */
static int clrhost__sched_in_managed(const clrhost_task *t)
{
    LONG position = clrhost__relaxed_load(&t->position);
    if (position & CLRHOST__NATIVE_BIT)
        return 0;
    return !t->adopted || (position >> 1) > 0;
}

/* Whether closing the innermost frame goes back into managed code that
   needs a slot (see clrhost__sched_in_managed). */
CLRHOST__INLINE int clrhost__sched_close_leads_in(const clrhost_task *t)
{
    LONG d = clrhost__depth(t) - 1; /* the frame to close */
    if (d <= 0)
        return d == 0 && !t->adopted;
    return !clrhost__native_below(t, d - 1);
}

/* ---- the fast paths: a lent slot goes out and comes back ---------------- */

static CLRHOST__COLD void clrhost__sched_hand_over(clrhost_task_manager *m, clrhost_task *t);
static CLRHOST__COLD void clrhost__sched_over_ends(clrhost_task_manager *m, clrhost_task *t);

/* The task leaves managed code (a native call, a wait): its slot is lent
   from now, or handed to the queue's first if a task waits. A task over
   the cap is back under it. */
CLRHOST__INLINE void clrhost__sched_out(clrhost_task_manager *m, clrhost_task *t)
{
    if (clrhost__relaxed_load(&t->sched.slot) >= 0) {
        clrhost__relaxed_store(&t->sched.out, 1);
        clrhost__compiler_barrier(); /* the store, then the read (see "lent slots") */
        if (clrhost__relaxed_load(&m->sched.waiters))
            clrhost__sched_hand_over(m, t);
    } else if (clrhost__relaxed_load(&t->sched.over)) {
        clrhost__sched_over_ends(m, t);
    }
}

/* The task comes back into managed code: 1 while its lent slot is still
   its own, 0 when it must ask for one (clrhost__sched_acquire). */
CLRHOST__INLINE int clrhost__sched_in(clrhost_task *t)
{
    if (clrhost__relaxed_load(&t->sched.slot) < 0)
        return 0;
    clrhost__relaxed_store(&t->sched.out, 0);
    clrhost__compiler_barrier(); /* the store, then the read (see "lent slots") */
    return !clrhost__relaxed_load(&t->sched.taken);
}

/* With timing, on the task's own thread: the stretch of managed code
   since sched.mark, to slot_ns (it held a slot) or over_cap_ns, and a new
   stretch from `now`. The transitions' own clock reads give `now`. */
static void clrhost__sched_charge(clrhost_task *t, ULONGLONG now)
{
    ULONGLONG stretch = clrhost__elapsed(t->sched.mark, now);
    if (clrhost__relaxed_load(&t->sched.over))
        clrhost__count(&t->counts.over_cap_ns, stretch);
    else if (clrhost__relaxed_load(&t->sched.slot) >= 0)
        clrhost__count(&t->counts.slot_ns, stretch);
    t->sched.mark = now;
}

/* ---- where a task may wait -------------------------------------------------- */

#define CLRHOST__SCHED_NEVER_WAIT 0 /* ReverseEnterRuntime: cooperative */
#define CLRHOST__SCHED_MAY_WAIT 1   /* SetCLRTask: unstarted, or preemptive with no lock */
#define CLRHOST__SCHED_ASK 2        /* anywhere else: the CLR's mode decides */

/* Asks the CLR only when the task would wait: a call into the CLR, on
   its own thread, with no lock of ours held. */
static CLRHOST__COLD int clrhost__sched_may_wait(clrhost_task *t, int how)
{
    clrhost__ICLRTask *clr;
    BOOL cooperative = TRUE;
    if (how == CLRHOST__SCHED_NEVER_WAIT || clrhost__relaxed_load(&t->affinity) > 0)
        return 0; /* cooperative, or holding one of the CLR's locks */
    if (how == CLRHOST__SCHED_MAY_WAIT)
        return 1;
    if (FAILED(clrhost__clr_begin(t, &clr)))
        return 0;
    if (FAILED(clr->lpVtbl->NeedsPriorityScheduling(clr, &cooperative)))
        cooperative = TRUE;
    clrhost__clr_end(t, clr);
    return !cooperative;
}

/* ---- the slots and the queue, under sched.lock ---------------------------- */

/* A sum of the task's own counters that moves whenever a stretch of its
   managed code ends (a native call, a reverse call's end, a Sleep, a
   Join, a SwitchToTask): read by other threads to tell one stretch, or
   one lending, from the next. */
static ULONGLONG clrhost__sched_epoch(const clrhost_task *t)
{
    return clrhost__load64(&t->counts.leave_runtime) + clrhost__load64(&t->counts.reverse_leave_runtime) +
           clrhost__load64(&t->counts.sleeps) + clrhost__load64(&t->counts.joins) +
           clrhost__load64(&t->counts.switches);
}

/* `t` holds slot s, in managed code. */
static void clrhost__sched_grant(clrhost_task_manager *m, clrhost_task *t, LONG s)
{
    m->sched.holder[s] = t;
    clrhost__relaxed_store(&t->sched.out, 0);
    clrhost__relaxed_store(&t->sched.taken, 0);
    clrhost__relaxed_store(&t->sched.slot, s);
    if (t->sched.over) { /* back under the cap */
        clrhost__relaxed_store(&t->sched.over, 0);
        clrhost__relaxed_store(&m->sched.over, m->sched.over - 1);
    }
}

static void clrhost__sched_enqueue(clrhost_task_manager *m, clrhost_task *t)
{
    t->sched.next = NULL;
    if (m->sched.tail)
        m->sched.tail->sched.next = t;
    else
        m->sched.head = t;
    m->sched.tail = t;
    clrhost__relaxed_store(&t->sched.queued, 1);
    clrhost__relaxed_store(&m->sched.waiters, m->sched.waiters + 1);
}

/* Slot s has no holder now: the queue's first gets it (returns 1), or it
   is free. The new first is woken too: it watches the lent slots. */
static int clrhost__sched_pass(clrhost_task_manager *m, LONG s)
{
    clrhost_task *next = CLRHOST__BROKEN(6) ? NULL : m->sched.head;
    m->sched.holder[s] = NULL;
    if (!next) {
        m->sched.free_slots[m->sched.free_count++] = s;
        return 0;
    }
    m->sched.head = next->sched.next;
    if (!m->sched.head)
        m->sched.tail = NULL;
    next->sched.next = NULL;
    clrhost__relaxed_store(&next->sched.queued, 0);
    clrhost__relaxed_store(&m->sched.waiters, m->sched.waiters - 1);
    clrhost__sched_grant(m, next, s);
    clrhost__os_cond_signal(&next->sched.wake);
    if (m->sched.head)
        clrhost__os_cond_signal(&m->sched.head->sched.wake);
    return 1;
}

/* Takes up to `want` lent slots from their holders (see "lent slots"),
   each passed on (clrhost__sched_pass). Returns how many. Only a holder
   seen out at an earlier look, with no stretch of managed code since
   (clrhost__sched_epoch), is taken from: one in a short native call is
   back before the next look, and hands its slot over itself as it goes
   out again while someone waits, with no barrier at all. The looks come
   as a task asks for a slot (twice, an OS yield apart, if the first
   saw one: *seen) and every millisecond from the queue's first. Every
   holder marked here is one that was out and not taken: a taken holder
   leaves sched.holder at once, and a holder back in meanwhile is
   unmarked. */
static CLRHOST__COLD unsigned clrhost__sched_take_lent(clrhost_task_manager *m, unsigned want, int *seen_lent)
{
    unsigned s, marked = 0, got = 0;
    for (s = 0; s < m->sched.slots && marked < want; ++s) {
        clrhost_task *h = m->sched.holder[s];
        ULONGLONG seen;
        if (!h || !clrhost__relaxed_load(&h->sched.out) || clrhost__relaxed_load(&h->sched.taken))
            continue;
        seen = 1 + clrhost__sched_epoch(h);
        if (h->sched.lent_seen != seen) { /* first seen out in this lending: taken at a later look */
            h->sched.lent_seen = seen;
            if (seen_lent)
                *seen_lent = 1;
            continue;
        }
        clrhost__relaxed_store(&h->sched.taken, 1);
        ++marked;
    }
    if (!marked)
        return 0;
    clrhost__os_heavy_barrier();
    for (s = 0; s < m->sched.slots; ++s) {
        clrhost_task *h = m->sched.holder[s];
        if (!h || !clrhost__relaxed_load(&h->sched.taken))
            continue;
        if (clrhost__relaxed_load(&h->sched.out)) { /* still out: the slot goes; it learns when back */
            clrhost__relaxed_store(&h->sched.slot, -1);
            (void)clrhost__sched_pass(m, (LONG)s);
            ++got;
        } else { /* back in meanwhile: it keeps it */
            clrhost__relaxed_store(&h->sched.taken, 0);
        }
    }
    return got;
}

/* A free slot, or a lent one, for `t` if nobody is queued before it.
   *seen_lent: a lent one was seen, to be taken at a later look. */
static int clrhost__sched_take_available(clrhost_task_manager *m, clrhost_task *t, int *seen_lent)
{
    if (m->sched.head)
        return 0; /* FIFO: the queue first */
    if (!m->sched.free_count && !clrhost__sched_take_lent(m, 1, seen_lent))
        return 0;
    clrhost__sched_grant(m, t, m->sched.free_slots[--m->sched.free_count]);
    return 1;
}

/* Whether `t`, back from out, still holds its lent slot; if it was taken
   meanwhile, that is counted (a hand-over) and forgotten. */
static int clrhost__sched_reclaim(clrhost_task_manager *m, clrhost_task *t)
{
    LONG s = clrhost__relaxed_load(&t->sched.slot);
    if (s >= 0 && m->sched.holder[s] == t) {
        clrhost__relaxed_store(&t->sched.out, 0);
        clrhost__relaxed_store(&t->sched.taken, 0);
        return 1;
    }
    if (clrhost__relaxed_load(&t->sched.taken)) {
        clrhost__relaxed_store(&t->sched.taken, 0);
        clrhost__count(&t->counts.slot_handoffs, 1);
    }
    clrhost__relaxed_store(&t->sched.slot, -1);
    return 0;
}

/* Joins the queue and waits, not alertable (an Alert stays pending for
   its next alertable Sleep or Join), until a slot is handed to it; while
   it is first, it looks at the lent slots every millisecond. Returns
   the ticks it waited. */
static ULONGLONG clrhost__sched_queue_up(clrhost_task_manager *m, clrhost_task *t)
{
    ULONGLONG asked = clrhost__ticks(m);
    clrhost__sched_enqueue(m, t);
    (void)clrhost__sched_take_lent(m, (unsigned)m->sched.waiters, NULL);
    if (m->sched.quantum)
        clrhost__os_cond_signal(&m->sched.monitor_wake); /* someone waits: holders past the quantum must yield */
    while (clrhost__relaxed_load(&t->sched.slot) < 0) {
        clrhost__os_cond_wait(&t->sched.wake, &m->sched.lock, m->sched.head == t ? 1 : INFINITE);
        if (clrhost__relaxed_load(&t->sched.slot) < 0 && m->sched.head == t)
            (void)clrhost__sched_take_lent(m, 1, NULL);
    }
    return clrhost__elapsed(asked, clrhost__ticks(m));
}

/* ---- the slow paths ------------------------------------------------------------ */

/* The task needs a slot to run managed code: it has none, or its lent
   one may have been taken. It gets one at once, or waits for one where
   `how` allows it (clrhost__sched_may_wait), or runs over the cap.
   Returns the ticks it waited for one. */
static CLRHOST__COLD ULONGLONG clrhost__sched_acquire(clrhost_task_manager *m, clrhost_task *t, int how)
{
    ULONGLONG waited = 0;
    int may_wait = -1, over = 0, seen_lent = 0;
    DWORD kept_error = clrhost__os_get_last_error(); /* a timed wait sets it on Windows */
    for (;;) {
        clrhost__os_mutex_lock(&m->sched.lock);
        if (clrhost__sched_reclaim(m, t))
            break; /* still its own */
        if (clrhost__sched_take_available(m, t, &seen_lent)) {
            clrhost__count(&t->counts.slot_takes, 1);
            break;
        }
        if (may_wait >= 0) { /* decided, and still nothing at hand */
            if (may_wait) {
                if (t->sched.over) { /* it stops running managed code to wait */
                    clrhost__relaxed_store(&t->sched.over, 0);
                    clrhost__relaxed_store(&m->sched.over, m->sched.over - 1);
                }
                waited = clrhost__sched_queue_up(m, t);
                clrhost__count(&t->counts.slot_waits, 1);
                clrhost__count(&t->counts.slot_takes, 1);
                clrhost__count(&t->counts.slot_wait_ns, waited);
            } else if (!t->sched.over) {
                clrhost__relaxed_store(&t->sched.over, 1);
                clrhost__relaxed_store(&m->sched.over, m->sched.over + 1);
                over = 1;
            }
            break;
        }
        clrhost__os_mutex_unlock(&m->sched.lock);
        may_wait = clrhost__sched_may_wait(t, how); /* a call into the CLR: no lock held */
        if (seen_lent)
            clrhost__os_yield(); /* a holder seen lent has a moment to come back (take_lent) */
    }
    clrhost__os_mutex_unlock(&m->sched.lock);
    if (over)
        clrhost__count(&t->counts.over_cap, 1);
    clrhost__os_set_last_error(kept_error);
    return waited;
}

/* A task going out hands its slot to the queue's first. */
static CLRHOST__COLD void clrhost__sched_hand_over(clrhost_task_manager *m, clrhost_task *t)
{
    LONG s;
    int handed = 0;
    clrhost__os_mutex_lock(&m->sched.lock);
    s = clrhost__relaxed_load(&t->sched.slot);
    if (s >= 0 && m->sched.holder[s] == t && m->sched.head) {
        clrhost__relaxed_store(&t->sched.slot, -1);
        handed = clrhost__sched_pass(m, s);
    }
    clrhost__os_mutex_unlock(&m->sched.lock);
    if (handed)
        clrhost__count(&t->counts.slot_handoffs, 1);
}

/* A task over the cap leaves managed code. */
static CLRHOST__COLD void clrhost__sched_over_ends(clrhost_task_manager *m, clrhost_task *t)
{
    clrhost__os_mutex_lock(&m->sched.lock);
    if (t->sched.over) {
        clrhost__relaxed_store(&t->sched.over, 0);
        clrhost__relaxed_store(&m->sched.over, m->sched.over - 1);
    }
    clrhost__os_mutex_unlock(&m->sched.lock);
}

/* The slot, if any, goes back (to the queue's first, or free), and the
   task is under the cap: its end, LeaveRuntime(0). */
static CLRHOST__COLD void clrhost__sched_let_go(clrhost_task_manager *m, clrhost_task *t)
{
    LONG s;
    int handed = 0;
    clrhost__os_mutex_lock(&m->sched.lock);
    s = clrhost__relaxed_load(&t->sched.slot);
    if (s >= 0 && m->sched.holder[s] == t)
        handed = clrhost__sched_pass(m, s);
    clrhost__relaxed_store(&t->sched.slot, -1);
    clrhost__relaxed_store(&t->sched.taken, 0);
    clrhost__relaxed_store(&t->sched.out, 0);
    if (t->sched.over) {
        clrhost__relaxed_store(&t->sched.over, 0);
        clrhost__relaxed_store(&m->sched.over, m->sched.over - 1);
    }
    clrhost__os_mutex_unlock(&m->sched.lock);
    if (handed)
        clrhost__count(&t->counts.slot_handoffs, 1);
}

/* With timing, in a slow path: the stretch so far is charged, and a new
   one starts now. */
static void clrhost__sched_charge_now(clrhost_task_manager *m, clrhost_task *t)
{
    if (m->flags & CLRHOST_TASK_TIMING)
        clrhost__sched_charge(t, clrhost__ticks(m));
}

/* After a transition's full path (timing, a repair): the slot follows
   where the task now is. `how`: whether it may wait, if it needs one. */
static CLRHOST__COLD void clrhost__sched_settle(clrhost_task_manager *m, clrhost_task *t, int how)
{
    if (!clrhost__relaxed_load(&t->sched.on))
        return;
    if (clrhost__sched_in_managed(t)) {
        if (!clrhost__sched_in(t))
            (void)clrhost__sched_acquire(m, t, how);
    } else {
        clrhost__sched_out(m, t);
    }
}

/* The CLR gave the task its ICLRTask, on its own thread (the kind is
   known from here): a task of a scheduled kind is scheduled from now
   and, if it is one of the CLR's own threads, takes its slot before it
   runs managed code. It may wait for it: the thread is unstarted, which
   a GC skips, or preemptive, and holds none of the CLR's locks
   (Thread::HasStarted and SetupThread, vm/threads.cpp:964-1012,
   2481-2546). */
static void clrhost__sched_join(clrhost_task_manager *m, clrhost_task *t)
{
    if (!m->sched.slots || clrhost__relaxed_load(&t->sched.on) || clrhost__relaxed_load(&t->off_scheduler) ||
        !clrhost__sched_wants_task(m, t))
        return;
    clrhost__relaxed_store(&t->sched.on, 1);
    t->sched.fresh = 1;
    if (clrhost__sched_in_managed(t))
        (void)clrhost__sched_acquire(m, t, CLRHOST__SCHED_MAY_WAIT);
    if (m->flags & CLRHOST_TASK_TIMING)
        t->sched.mark = clrhost__ticks(m);
}

/* Off scheduling for good (LeaveRuntime(0), or the task's end, before its
   ExitTask: the CLR's thread teardown runs no managed code). */
static void clrhost__sched_retire(clrhost_task_manager *m, clrhost_task *t)
{
    if (!clrhost__relaxed_load(&t->sched.on))
        return;
    clrhost__sched_charge_now(m, t);
    clrhost__sched_let_go(m, t);
    clrhost__relaxed_store(&t->sched.on, 0);
}

/* A wait (Sleep, Join) lends the slot meanwhile; after it, the task needs
   its slot again, and may wait for it only where the CLR allows. */
static int clrhost__sched_pause(clrhost_task_manager *m, clrhost_task *t)
{
    if (!t || !clrhost__relaxed_load(&t->sched.on) || !clrhost__sched_in_managed(t))
        return 0; /* not scheduled, or not in managed code: nothing to lend */
    clrhost__sched_charge_now(m, t);
    clrhost__sched_out(m, t);
    return 1;
}

static void clrhost__sched_resume(clrhost_task_manager *m, clrhost_task *t, int paused)
{
    if (!paused || !clrhost__relaxed_load(&t->sched.on))
        return;
    if (!clrhost__sched_in(t))
        (void)clrhost__sched_acquire(m, t, CLRHOST__SCHED_ASK);
    if (m->flags & CLRHOST_TASK_TIMING)
        t->sched.mark = clrhost__ticks(m);
}

/* Whether a back-off (SwitchToTask, Sleep(0)) moves the slot: the task
   runs managed code and holds a slot someone waits for, or runs over the
   cap. The CLR's SwitchToTask(0) right after SetCLRTask
   (Thread::SetupThreadForHost, vm/threads.cpp) is no back-off: the task
   has just had its turn. */
static int clrhost__sched_wants_switch(const clrhost_task_manager *m, clrhost_task *t)
{
    if (t->sched.fresh) {
        t->sched.fresh = 0;
        return 0;
    }
    if (!clrhost__sched_in_managed(t))
        return 0;
    if (clrhost__relaxed_load(&t->sched.over))
        return 1;
    return clrhost__relaxed_load(&t->sched.slot) >= 0 && clrhost__relaxed_load(&m->sched.waiters) != 0;
}

/* SwitchToTask, and a zero-length Sleep, when a task waits for a slot
   and this one holds one in managed code, or when this one is over the
   cap: it hands its slot to the queue's first and needs one again (at
   the queue's tail where it may wait; over the cap where it may not), or
   being over the cap, it asks for one. Returns whether it waited or
   handed over (no OS yield is needed then). */
static CLRHOST__COLD int clrhost__sched_switch(clrhost_task_manager *m, clrhost_task *t)
{
    int handed = 0;
    ULONGLONG waited;
    clrhost__sched_charge_now(m, t);
    if (!t->sched.over) {
        LONG s;
        clrhost__os_mutex_lock(&m->sched.lock);
        s = clrhost__relaxed_load(&t->sched.slot);
        if (s >= 0 && m->sched.holder[s] == t && m->sched.head) {
            clrhost__relaxed_store(&t->sched.slot, -1);
            handed = clrhost__sched_pass(m, s);
        }
        clrhost__os_mutex_unlock(&m->sched.lock);
        if (!handed)
            return 0; /* the waiter was served meanwhile */
        clrhost__count(&t->counts.slot_handoffs, 1);
    }
    waited = clrhost__sched_acquire(m, t, CLRHOST__SCHED_ASK);
    if (m->flags & CLRHOST_TASK_TIMING)
        t->sched.mark = clrhost__ticks(m);
    return handed || waited;
}

/* EnterRuntime back into managed code without its slot: it may wait for
   one where the CLR allows; a wait is no native time, so with timing it
   counts as nested in the frame this closes. */
static CLRHOST__COLD void clrhost__sched_enter_slow(clrhost_task_manager *m, clrhost_task *t)
{
    ULONGLONG waited = clrhost__sched_acquire(m, t, CLRHOST__SCHED_ASK);
    LONG d = clrhost__depth(t) - 1;
    if ((m->flags & CLRHOST_TASK_TIMING) && d >= 0 && d < CLRHOST_TASK_MAX_DEPTH)
        t->frames[d].nested += waited;
}

/* ---- the quantum's monitor ---------------------------------------------

   A thread of ours, made with the manager when schedule.quantum_ms is
   set. Every half quantum, while a task waits for a slot or runs over
   the cap, it asks each task that has run managed code longer than the
   quantum without a break (holding a slot, or over the cap) to yield
   (clrhost_task_yield: ICLRTask::YieldTask, once per stretch); the CLR
   makes that task call SwitchToTask(0) at its next safe point, where it
   hands its slot over. A stretch is told by the task's own counters of
   the calls that end one (a native call, a reverse call's end, a Sleep,
   a Join, a SwitchToTask): they did not move since the monitor first saw
   it. It holds a reference on the task it asks, none while it sleeps; the
   manager's block stays until both the manager and the monitor are done
   with it (memory_refs). */

/* Whether `t`, in managed code now, has been there past the quantum and
   not been asked yet; the monitor's own fields, under sched.lock. */
static int clrhost__sched_overdue(clrhost_task_manager *m, clrhost_task *t, ULONGLONG now)
{
    ULONGLONG epoch = clrhost__sched_epoch(t);
    if (epoch != t->sched.seen_epoch || !t->sched.seen_at) {
        t->sched.seen_epoch = epoch;
        t->sched.seen_at = now;
        t->sched.yield_asked = 0;
        return 0;
    }
    if (t->sched.yield_asked || clrhost__elapsed(t->sched.seen_at, now) <= m->sched.quantum)
        return 0;
    t->sched.yield_asked = 1;
    return 1;
}

/* Under sched.lock: a holder in managed code past the quantum, not asked
   yet during this stretch, with a reference taken; NULL if none. */
static clrhost_task *clrhost__sched_overdue_holder(clrhost_task_manager *m)
{
    ULONGLONG now = clrhost__ticks(m);
    unsigned s;
    for (s = 0; s < m->sched.slots; ++s) {
        clrhost_task *t = m->sched.holder[s];
        if (t && !clrhost__relaxed_load(&t->sched.out) && clrhost__sched_overdue(m, t, now)) {
            (void)clrhost__task_addref(t); /* a holder is live: not freed before this */
            return t;
        }
    }
    return NULL;
}

/* The same of the tasks over the cap, under the registry's lock alone
   (get_stats takes sched.lock inside it: never the other way). */
static clrhost_task *clrhost__sched_overdue_over_cap(clrhost_task_manager *m)
{
    ULONGLONG now = clrhost__ticks(m);
    clrhost_task *t;
    clrhost__os_mutex_lock(&m->lock);
    for (t = m->live; t; t = t->live_next)
        if (clrhost__relaxed_load(&t->sched.over) && clrhost__sched_overdue(m, t, now)) {
            (void)clrhost__task_addref(t); /* live: not freed before this */
            break;
        }
    clrhost__os_mutex_unlock(&m->lock);
    return t;
}

static void clrhost__manager_free(clrhost_task_manager *m);

static void clrhost__sched_monitor(void *manager)
{
    clrhost_task_manager *m = (clrhost_task_manager *)manager;
    DWORD period = m->sched.quantum_ms / 2 ? m->sched.quantum_ms / 2 : 1;
    int last;
    clrhost__os_mutex_lock(&m->sched.lock);
    m->sched.monitor_thread = clrhost__os_current_thread_id();
    while (!m->sched.monitor_stop) {
        clrhost_task *late = m->sched.waiters || m->sched.over ? clrhost__sched_overdue_holder(m) : NULL;
        if (!late && m->sched.over) {
            clrhost__os_mutex_unlock(&m->sched.lock);
            late = clrhost__sched_overdue_over_cap(m);
            clrhost__os_mutex_lock(&m->sched.lock);
        }
        if (!late) {
            clrhost__os_cond_wait(&m->sched.monitor_wake, &m->sched.lock, period);
            continue;
        }
        clrhost__os_mutex_unlock(&m->sched.lock);
        (void)clrhost_task_yield(late); /* refused for an ending task: it gives its slot up anyway */
        (void)clrhost__task_release(late); /* may end the manager: then monitor_stop is set */
        clrhost__os_mutex_lock(&m->sched.lock);
    }
    /* Its reference goes before the manager's end can see it done: then
       the last one is the manager's, unless the manager ended on this
       thread (it waited for nothing, and went first). */
    last = clrhost__atomic_dec(&m->memory_refs) == 0;
    m->sched.monitor_done = 1;
    clrhost__os_cond_broadcast(&m->sched.monitor_gone);
    clrhost__os_mutex_unlock(&m->sched.lock);
    if (last)
        clrhost__manager_free(m);
}

/* The manager goes: the monitor is told to stop and waited for, so that
   the manager's last block is freed before its release returns. Not where
   the monitor cannot end: on its own thread (its last task reference went
   there), at process exit (ExitProcess ended it already), or in a DllMain
   before it ever ran (a new thread runs only once the loader lock that
   DllMain holds is free). It frees that block itself then, once it runs,
   or the process's end does. */
static void clrhost__sched_monitor_stop(clrhost_task_manager *m)
{
    int wait;
    clrhost__os_mutex_lock(&m->sched.lock);
    m->sched.monitor_stop = 1;
    clrhost__os_cond_signal(&m->sched.monitor_wake);
    wait = m->sched.monitor_thread != clrhost__os_current_thread_id() && !clrhost__os_process_exiting() &&
           !(m->sched.monitor_thread == 0 && clrhost__os_in_loader_callout());
    while (wait && !m->sched.monitor_done)
        clrhost__os_cond_wait(&m->sched.monitor_gone, &m->sched.lock, INFINITE);
    clrhost__os_mutex_unlock(&m->sched.lock);
}

/* ---- the scheduled methods ------------------------------------------------ */

/* A manager with a scheduler has these in its vtable instead: each does
   the plain method's whole job (the same inline steps) and moves the
   task's slot around it (above), so that a manager without one runs
   exactly the plain methods. Opening hooks (leave, reverse_enter) and
   closing hooks (enter, reverse_leave) run on the managed side, holding
   the slot (or over the cap): the slot comes back before a close into
   managed code or a reverse call's open, and is lent after an open of a
   native call or a close back into native code. On the fast path that
   is a plain store and a plain load each way. */

/* A closing call's full path (timing, a repair): the close, then the slot
   follows where the task now is. */
static CLRHOST__NOINLINE HRESULT clrhost__sched_close_full(clrhost_task_manager *m, clrhost_task *t, int managed)
{
    clrhost__close(m, t, managed);
    if (!clrhost__relaxed_load(&t->sched.on))
        return S_OK;
    if (m->flags & CLRHOST_TASK_TIMING) {
        ULONGLONG now = clrhost__view_since(t);
        if (clrhost__sched_in_managed(t))
            t->sched.mark = now;
        else
            clrhost__sched_charge(t, now);
    }
    clrhost__sched_settle(m, t, CLRHOST__SCHED_ASK);
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE clrhost__mgr_LeaveRuntime_scheduled(clrhost__IHostTaskManager *This, SIZE_T target)
{
    clrhost_task_manager *m = clrhost__manager_from(This);
    clrhost_task *t = clrhost__current_task(m);
    HRESULT hr;
    if (!t)
        return clrhost__taskless_call(m, "LeaveRuntime on a thread without a task");
    hr = clrhost__leave_runtime(m, t, target);
    if (clrhost__relaxed_load(&t->sched.on)) {
        if (!target) { /* off the host's scheduler for good (vm/appdomain.cpp) */
            clrhost__sched_retire(m, t);
        } else if (SUCCEEDED(hr)) { /* a veto keeps it in managed code, and its slot */
            if (m->flags & CLRHOST_TASK_TIMING)
                clrhost__sched_charge(t, clrhost__view_since(t));
            clrhost__sched_out(m, t);
        }
    }
    return hr;
}

static HRESULT STDMETHODCALLTYPE clrhost__mgr_EnterRuntime_scheduled(clrhost__IHostTaskManager *This)
{
    clrhost_task_manager *m = clrhost__manager_from(This);
    clrhost_task *t = clrhost__current_task(m);
    if (!t)
        return clrhost__taskless_call(m, "EnterRuntime on a thread without a task");
    if (clrhost__relaxed_load(&t->sched.on) && clrhost__sched_close_leads_in(t) && !clrhost__sched_in(t))
        clrhost__sched_enter_slow(m, t);
    if (!clrhost__pop_plain(m, t, CLRHOST__FRAME_NATIVE_CALL))
        return clrhost__sched_close_full(m, t, 0);
    clrhost__count(&t->counts.enter_runtime, 1);
    if (m->hooks.enter_runtime)
        return clrhost__run_pop_hook(m, t, m->hooks.enter_runtime, CLRHOST__FRAME_NATIVE_CALL);
    return S_OK; /* always: a failure here corrupts the CLR's unwinding */
}

/* Cooperative (vm/amd64/UMThunkStub.asm:183-208): with no slot at hand,
   the reverse call runs over the cap; it never waits. */
static HRESULT STDMETHODCALLTYPE clrhost__mgr_ReverseEnterRuntime_scheduled(clrhost__IHostTaskManager *This)
{
    clrhost_task_manager *m = clrhost__manager_from(This);
    clrhost_task *t = clrhost__current_task(m);
    HRESULT hr;
    if (!t)
        return clrhost__taskless_call(m, "ReverseEnterRuntime on a thread without a task");
    if (clrhost__relaxed_load(&t->sched.on) && !clrhost__sched_in(t))
        (void)clrhost__sched_acquire(m, t, CLRHOST__SCHED_NEVER_WAIT);
    hr = clrhost__reverse_enter_runtime(m, t);
    if (clrhost__relaxed_load(&t->sched.on)) {
        if (FAILED(hr)) /* vetoed: no managed code runs */
            clrhost__sched_out(m, t);
        else if (m->flags & CLRHOST_TASK_TIMING)
            t->sched.mark = clrhost__view_since(t);
    }
    return hr;
}

static HRESULT STDMETHODCALLTYPE clrhost__mgr_ReverseLeaveRuntime_scheduled(clrhost__IHostTaskManager *This)
{
    clrhost_task_manager *m = clrhost__manager_from(This);
    clrhost_task *t = clrhost__current_task(m);
    if (!t)
        return clrhost__taskless_call(m, "ReverseLeaveRuntime on a thread without a task");
    if (!clrhost__pop_plain(m, t, CLRHOST__FRAME_MANAGED))
        return clrhost__sched_close_full(m, t, 1);
    clrhost__count(&t->counts.reverse_leave_runtime, 1);
    if (m->hooks.reverse_leave_runtime)
        (void)clrhost__run_pop_hook(m, t, m->hooks.reverse_leave_runtime, CLRHOST__FRAME_MANAGED);
    if (clrhost__relaxed_load(&t->sched.on) && !clrhost__sched_in_managed(t))
        clrhost__sched_out(m, t); /* back into native code: lent */
    return S_OK; /* always: a failure is thrown after the managed code ran */
}

/* Sleep lends the slot while it sleeps; a zero-length one is a back-off,
   as SwitchToTask. */
static HRESULT STDMETHODCALLTYPE clrhost__mgr_Sleep_scheduled(clrhost__IHostTaskManager *This, DWORD ms, DWORD option)
{
    clrhost_task_manager *m = clrhost__manager_from(This);
    clrhost_task *t = clrhost__current_task(m);
    HRESULT hr;
    int paused;
    if (!t || !clrhost__relaxed_load(&t->sched.on))
        return clrhost__mgr_Sleep(This, ms, option);
    if (ms == 0) {
        if (clrhost__sched_wants_switch(m, t))
            (void)clrhost__sched_switch(m, t);
        return clrhost__mgr_Sleep(This, ms, option);
    }
    paused = clrhost__sched_pause(m, t);
    hr = clrhost__mgr_Sleep(This, ms, option);
    clrhost__sched_resume(m, t, paused);
    return hr;
}

/* SwitchToTask hands the slot to the first task waiting for one, if any
   (then it has waited its turn, or is over the cap, and the OS is not
   asked to switch as well); a task over the cap asks for a slot. This is
   also where a forced yield (YieldTask) is taken. */
static HRESULT STDMETHODCALLTYPE clrhost__mgr_SwitchToTask_scheduled(clrhost__IHostTaskManager *This, DWORD option)
{
    clrhost_task_manager *m = clrhost__manager_from(This);
    clrhost_task *t = clrhost__current_task(m);
    if (!t || !clrhost__relaxed_load(&t->sched.on))
        return clrhost__mgr_SwitchToTask(This, option);
    clrhost__count_switch(t);
    if (!clrhost__sched_wants_switch(m, t) || !clrhost__sched_switch(m, t))
        clrhost__os_yield();
    return S_OK;
}

/* The scheduled vtables: the general one and the always-TRUE one, with
   the scheduled waits and transitions (see the policy's vtables). */
CLRHOST__MANAGER_VTBL(clrhost__manager_vtbl_sched, clrhost__mgr_CallNeedsHostHook, _scheduled, _scheduled);
CLRHOST__MANAGER_VTBL(clrhost__manager_vtbl_sched_always, clrhost__mgr_CallNeedsHostHook_always, _scheduled,
                      _scheduled);

/* With slots, the scheduled vtable that answers CallNeedsHostHook as the
   policy's choice does; 1: it took it. */
static int clrhost__sched_choose_vtable(clrhost_task_manager *m)
{
    if (!m->sched.slots)
        return 0;
    m->iface.lpVtbl = m->iface.lpVtbl == &clrhost__manager_vtbl_always ? &clrhost__manager_vtbl_sched_always
                                                                      : &clrhost__manager_vtbl_sched;
    return 1;
}

/* ---- where the core calls it (points) ----------------------------------- */

/* No slots (off), or 1 to CLRHOST_TASK_MAX_SLOTS of them for the kinds
   that can be scheduled. */
static HRESULT clrhost__sched_config_check(const clrhost_task_config *config)
{
    const clrhost_task_schedule *s = &config->schedule;
    if (s->slots && (s->slots > CLRHOST_TASK_MAX_SLOTS || (s->kinds & ~CLRHOST_TASK_SCHEDULE_DEFAULT_KINDS) != 0))
        return E_INVALIDARG;
    return S_OK;
}

static void clrhost__sched_configure(clrhost_task_manager *m, const clrhost_task_schedule *s)
{
    m->sched.slots = s->slots;
    m->sched.kinds = s->kinds ? s->kinds : CLRHOST_TASK_SCHEDULE_DEFAULT_KINDS;
    m->sched.foreign = s->foreign ? 1 : 0;
    m->sched.quantum_ms = s->slots ? s->quantum_ms : 0;
}

/* The slots (all free), the queue (empty) and, with a quantum, the
   monitor. S_OK, E_OUTOFMEMORY, or the OS error of the monitor thread. */
static HRESULT clrhost__sched_manager_made(clrhost_task_manager *m)
{
    unsigned s;
    HRESULT hr;
    if (!m->sched.slots)
        return S_OK;
    clrhost__os_mutex_init(&m->sched.lock);
    clrhost__os_cond_init(&m->sched.monitor_wake);
    clrhost__os_cond_init(&m->sched.monitor_gone);
    hr = clrhost__os_heavy_barrier_init(); /* taking a lent slot needs it (see "lent slots") */
    if (FAILED(hr))
        return hr;
    m->sched.holder = (clrhost_task **)clrhost__alloc(m, (size_t)m->sched.slots * (sizeof(clrhost_task *) + sizeof(LONG)));
    if (!m->sched.holder)
        return E_OUTOFMEMORY;
    m->sched.free_slots = (LONG *)(void *)(m->sched.holder + m->sched.slots);
    for (s = 0; s < m->sched.slots; ++s) {
        m->sched.holder[s] = NULL;
        m->sched.free_slots[s] = (LONG)(m->sched.slots - 1 - s); /* slot 0 is taken first */
    }
    m->sched.free_count = m->sched.slots;
    if (!m->sched.quantum_ms)
        return S_OK;
    m->sched.quantum = m->tick_frequency / 1000u * m->sched.quantum_ms;
    m->memory_refs = 2; /* the monitor's, dropped when it ends */
    hr = clrhost__os_monitor_start(m);
    if (FAILED(hr)) {
        m->memory_refs = 1;
        m->sched.quantum = 0; /* no monitor to stop */
        clrhost__log(m, CLRHOST_TASK_LOG_ERROR, NULL, "could not start the scheduler's quantum monitor thread");
    }
    return hr;
}

static void clrhost__sched_manager_ended(clrhost_task_manager *m)
{
    if (m->sched.quantum) /* the monitor runs */
        clrhost__sched_monitor_stop(m);
}

/* Once neither the manager nor the monitor needs it (memory_refs). */
static void clrhost__sched_manager_freed(clrhost_task_manager *m)
{
    if (!m->sched.slots)
        return;
    clrhost__os_mutex_destroy(&m->sched.lock);
    clrhost__os_cond_destroy(&m->sched.monitor_wake);
    clrhost__os_cond_destroy(&m->sched.monitor_gone);
    if (m->sched.holder)
        clrhost__free(m, m->sched.holder);
}

static void clrhost__sched_task_made(clrhost_task *t)
{
    t->sched.slot = -1;
    if (t->manager->sched.slots)
        clrhost__os_cond_init(&t->sched.wake);
}

static void clrhost__sched_task_freed(clrhost_task *t)
{
    if (t->manager->sched.slots)
        clrhost__os_cond_destroy(&t->sched.wake);
}

/* An inner IHostControl's sync manager is not given to the CLR: its waits
   would not be announced, and a task blocked in one would keep its slot
   (SCHEDULER, "The CLR's locks and spin-waits"). 1: *object was dropped. */
static int clrhost__sched_drops_manager(clrhost_task_manager *m, const GUID *iid, void **object)
{
    if (!m->sched.slots || !clrhost__iid_equal(iid, &clrhost__IID_IHostSyncManager))
        return 0;
    ((clrhost__IUnknown *)*object)->lpVtbl->Release((clrhost__IUnknown *)*object);
    *object = NULL;
    clrhost__log(m, CLRHOST_TASK_LOG_WARNING, NULL,
                 "the inner IHostControl's IHostSyncManager is not given to the CLR: a scheduler needs the "
                 "CLR's own waits, which it announces");
    return 1;
}

/* Under the manager's lock (the scheduler's lock is taken inside it,
   never the other way). */
static void clrhost__sched_stats(clrhost_task_manager *m, clrhost_task_manager_stats *out)
{
    unsigned s;
    if (!m->sched.slots)
        return;
    clrhost__os_mutex_lock(&m->sched.lock);
    out->slots = m->sched.slots;
    for (s = 0; s < m->sched.slots; ++s)
        if (m->sched.holder[s] && !clrhost__relaxed_load(&m->sched.holder[s]->sched.out))
            out->slots_held += 1;
    out->slot_waiters = (ULONGLONG)m->sched.waiters;
    out->tasks_over_cap = (ULONGLONG)m->sched.over;
    clrhost__os_mutex_unlock(&m->sched.lock);
}

static void clrhost__sched_view(const clrhost_task *t, clrhost_task_view *out)
{
    out->scheduled = clrhost__relaxed_load(&t->sched.on) ? TRUE : FALSE;
    out->slot = clrhost__relaxed_load(&t->sched.out) ? -1 : clrhost__relaxed_load(&t->sched.slot);
    out->slot_waiting = clrhost__relaxed_load(&t->sched.queued) ? TRUE : FALSE;
    out->over_cap = clrhost__relaxed_load(&t->sched.over) ? TRUE : FALSE;
    if (out->slot_waiting)
        out->waiting = TRUE;
}

#endif /* CLRHOST_TASK_NO_SCHEDULER */

/* ------------------------------------------------------------------------
   >>self_check  clrhost_task_self_check: every slot holds its method
   ------------------------------------------------------------------------ */

typedef void (*clrhost__any_fn)(void);

typedef struct clrhost__slot_expectation {
    const void *vtbl;
    unsigned slot;
    clrhost__any_fn method;
    const char *wrong; /* the message when it is not there */
} clrhost__slot_expectation;

#define CLRHOST__EXPECT(vtbl, n, fn, itf, name) \
    {&(vtbl), (n), (clrhost__any_fn)(fn), #itf " slot " #n " is not " #name}

CLRHOST_TASK_API const char *clrhost_task_self_check(void)
{
    static const clrhost__slot_expectation expected[] = {
        CLRHOST__EXPECT(clrhost__manager_vtbl, 0, clrhost__mgr_QueryInterface, IHostTaskManager, QueryInterface),
        CLRHOST__EXPECT(clrhost__manager_vtbl, 1, clrhost__mgr_AddRef, IHostTaskManager, AddRef),
        CLRHOST__EXPECT(clrhost__manager_vtbl, 2, clrhost__mgr_Release, IHostTaskManager, Release),
        CLRHOST__EXPECT(clrhost__manager_vtbl, 3, clrhost__mgr_GetCurrentTask, IHostTaskManager, GetCurrentTask),
        CLRHOST__EXPECT(clrhost__manager_vtbl, 4, clrhost__mgr_CreateTask, IHostTaskManager, CreateTask),
        CLRHOST__EXPECT(clrhost__manager_vtbl, 5, clrhost__mgr_Sleep, IHostTaskManager, Sleep),
        CLRHOST__EXPECT(clrhost__manager_vtbl, 6, clrhost__mgr_SwitchToTask, IHostTaskManager, SwitchToTask),
        CLRHOST__EXPECT(clrhost__manager_vtbl, 7, clrhost__mgr_SetUILocale, IHostTaskManager, SetUILocale),
        CLRHOST__EXPECT(clrhost__manager_vtbl, 8, clrhost__mgr_SetLocale, IHostTaskManager, SetLocale),
        CLRHOST__EXPECT(clrhost__manager_vtbl, 9, clrhost__mgr_CallNeedsHostHook, IHostTaskManager, CallNeedsHostHook),
        CLRHOST__EXPECT(clrhost__manager_vtbl, 10, clrhost__mgr_LeaveRuntime, IHostTaskManager, LeaveRuntime),
        CLRHOST__EXPECT(clrhost__manager_vtbl, 11, clrhost__mgr_EnterRuntime, IHostTaskManager, EnterRuntime),
        CLRHOST__EXPECT(clrhost__manager_vtbl, 12, clrhost__mgr_ReverseLeaveRuntime, IHostTaskManager, ReverseLeaveRuntime),
        CLRHOST__EXPECT(clrhost__manager_vtbl, 13, clrhost__mgr_ReverseEnterRuntime, IHostTaskManager, ReverseEnterRuntime),
        CLRHOST__EXPECT(clrhost__manager_vtbl, 14, clrhost__mgr_BeginDelayAbort, IHostTaskManager, BeginDelayAbort),
        CLRHOST__EXPECT(clrhost__manager_vtbl, 15, clrhost__mgr_EndDelayAbort, IHostTaskManager, EndDelayAbort),
        CLRHOST__EXPECT(clrhost__manager_vtbl, 16, clrhost__mgr_BeginThreadAffinity, IHostTaskManager, BeginThreadAffinity),
        CLRHOST__EXPECT(clrhost__manager_vtbl, 17, clrhost__mgr_EndThreadAffinity, IHostTaskManager, EndThreadAffinity),
        CLRHOST__EXPECT(clrhost__manager_vtbl, 18, clrhost__mgr_SetStackGuarantee, IHostTaskManager, SetStackGuarantee),
        CLRHOST__EXPECT(clrhost__manager_vtbl, 19, clrhost__mgr_GetStackGuarantee, IHostTaskManager, GetStackGuarantee),
        CLRHOST__EXPECT(clrhost__manager_vtbl, 20, clrhost__mgr_SetCLRTaskManager, IHostTaskManager, SetCLRTaskManager),
        CLRHOST__EXPECT(clrhost__task_vtbl, 0, clrhost__task_QueryInterface, IHostTask, QueryInterface),
        CLRHOST__EXPECT(clrhost__task_vtbl, 1, clrhost__task_AddRef, IHostTask, AddRef),
        CLRHOST__EXPECT(clrhost__task_vtbl, 2, clrhost__task_Release, IHostTask, Release),
        CLRHOST__EXPECT(clrhost__task_vtbl, 3, clrhost__task_Start, IHostTask, Start),
        CLRHOST__EXPECT(clrhost__task_vtbl, 4, clrhost__task_Alert, IHostTask, Alert),
        CLRHOST__EXPECT(clrhost__task_vtbl, 5, clrhost__task_Join, IHostTask, Join),
        CLRHOST__EXPECT(clrhost__task_vtbl, 6, clrhost__task_SetPriority, IHostTask, SetPriority),
        CLRHOST__EXPECT(clrhost__task_vtbl, 7, clrhost__task_GetPriority, IHostTask, GetPriority),
        CLRHOST__EXPECT(clrhost__task_vtbl, 8, clrhost__task_SetCLRTask, IHostTask, SetCLRTask),
        CLRHOST__EXPECT(clrhost__host_control_vtbl, 0, clrhost__hc_QueryInterface, IHostControl, QueryInterface),
        CLRHOST__EXPECT(clrhost__host_control_vtbl, 1, clrhost__hc_AddRef, IHostControl, AddRef),
        CLRHOST__EXPECT(clrhost__host_control_vtbl, 2, clrhost__hc_Release, IHostControl, Release),
        CLRHOST__EXPECT(clrhost__host_control_vtbl, 3, clrhost__hc_GetHostManager, IHostControl, GetHostManager),
        CLRHOST__EXPECT(clrhost__host_control_vtbl, 4, clrhost__hc_SetAppDomainManager, IHostControl, SetAppDomainManager)};
    /* The constant-policy vtables: the general one but for slot 9. */
    static const clrhost__slot_expectation variants[] = {
        CLRHOST__EXPECT(clrhost__manager_vtbl_never, 9, clrhost__mgr_CallNeedsHostHook_never, IHostTaskManager, CallNeedsHostHook),
        CLRHOST__EXPECT(clrhost__manager_vtbl_always, 9, clrhost__mgr_CallNeedsHostHook_always, IHostTaskManager, CallNeedsHostHook)};
    /* The scheduler's and timing's vtables: the general one (or the
       always-TRUE one) but for their own slots. */
#ifndef CLRHOST_TASK_NO_SCHEDULER
#define CLRHOST__EXPECT_SCHED(vtbl)                                                                                  \
    CLRHOST__EXPECT(vtbl, 5, clrhost__mgr_Sleep_scheduled, IHostTaskManager, Sleep),                                 \
    CLRHOST__EXPECT(vtbl, 6, clrhost__mgr_SwitchToTask_scheduled, IHostTaskManager, SwitchToTask),                   \
    CLRHOST__EXPECT(vtbl, 10, clrhost__mgr_LeaveRuntime_scheduled, IHostTaskManager, LeaveRuntime),                  \
    CLRHOST__EXPECT(vtbl, 11, clrhost__mgr_EnterRuntime_scheduled, IHostTaskManager, EnterRuntime),                  \
    CLRHOST__EXPECT(vtbl, 12, clrhost__mgr_ReverseLeaveRuntime_scheduled, IHostTaskManager, ReverseLeaveRuntime),    \
    CLRHOST__EXPECT(vtbl, 13, clrhost__mgr_ReverseEnterRuntime_scheduled, IHostTaskManager, ReverseEnterRuntime)
#endif
#define CLRHOST__EXPECT_TIMED(vtbl)                                                                              \
    CLRHOST__EXPECT(vtbl, 10, clrhost__mgr_LeaveRuntime_timed, IHostTaskManager, LeaveRuntime),                  \
    CLRHOST__EXPECT(vtbl, 11, clrhost__mgr_EnterRuntime_timed, IHostTaskManager, EnterRuntime),                  \
    CLRHOST__EXPECT(vtbl, 12, clrhost__mgr_ReverseLeaveRuntime_timed, IHostTaskManager, ReverseLeaveRuntime),    \
    CLRHOST__EXPECT(vtbl, 13, clrhost__mgr_ReverseEnterRuntime_timed, IHostTaskManager, ReverseEnterRuntime)
    static const clrhost__slot_expectation own[] = {
#ifndef CLRHOST_TASK_NO_SCHEDULER
        CLRHOST__EXPECT_SCHED(clrhost__manager_vtbl_sched), CLRHOST__EXPECT_SCHED(clrhost__manager_vtbl_sched_always),
#endif
        CLRHOST__EXPECT_TIMED(clrhost__manager_vtbl_timed), CLRHOST__EXPECT_TIMED(clrhost__manager_vtbl_timed_always)};
    const clrhost__any_fn *general = (const clrhost__any_fn *)(const void *)&clrhost__manager_vtbl;
    size_t i;
    unsigned slot;
    for (i = 0; i < sizeof expected / sizeof expected[0]; ++i) {
        const clrhost__any_fn *slots = (const clrhost__any_fn *)expected[i].vtbl;
        if (slots[expected[i].slot] != expected[i].method)
            return expected[i].wrong;
    }
    for (i = 0; i < sizeof variants / sizeof variants[0]; ++i) {
        const clrhost__any_fn *slots = (const clrhost__any_fn *)variants[i].vtbl;
        for (slot = 0; slot < sizeof clrhost__manager_vtbl / sizeof(clrhost__any_fn); ++slot)
            if (slots[slot] != (slot == variants[i].slot ? variants[i].method : general[slot]))
                return "a constant-policy IHostTaskManager vtable differs from the general one outside slot 9";
    }
    for (i = 0; i < sizeof own / sizeof own[0]; ++i) {
        const clrhost__any_fn *slots = (const clrhost__any_fn *)own[i].vtbl;
        /* its plain one: the always-TRUE vtable, or the general one */
        const clrhost__any_fn *base =
            slots[9] == (clrhost__any_fn)clrhost__mgr_CallNeedsHostHook_always
                ? (const clrhost__any_fn *)(const void *)&clrhost__manager_vtbl_always
                : general;
        size_t j;
        if (slots[own[i].slot] != own[i].method)
            return own[i].wrong;
        for (slot = 0; slot < sizeof clrhost__manager_vtbl / sizeof(clrhost__any_fn); ++slot) {
            int its_own = 0;
            for (j = 0; j < sizeof own / sizeof own[0]; ++j)
                its_own |= own[j].vtbl == own[i].vtbl && own[j].slot == slot;
            if (!its_own && slots[slot] != base[slot])
                return "a scheduler's or timing's IHostTaskManager vtable differs from its plain one outside its "
                       "own slots";
        }
    }
    return NULL;
}

#if defined(_MSC_VER) && !defined(__clang__)
#pragma warning(pop)
#endif
#endif /* CLRHOST_TASK_IMPLEMENTATION_DONE */
#endif /* CLRHOST_TASK_IMPLEMENTATION */

/* >>license
------------------------------------------------------------------------------
This software is available under 2 licenses -- choose whichever you prefer.
------------------------------------------------------------------------------
ALTERNATIVE A - MIT License
Copyright (c) 2026 the clrhost_task.h authors
Permission is hereby granted, free of charge, to any person obtaining a copy of
this software and associated documentation files (the "Software"), to deal in
the Software without restriction, including without limitation the rights to
use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies
of the Software, and to permit persons to whom the Software is furnished to do
so, subject to the following conditions:
The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.
THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
------------------------------------------------------------------------------
ALTERNATIVE B - Public Domain (www.unlicense.org)
This is free and unencumbered software released into the public domain.
Anyone is free to copy, modify, publish, use, compile, sell, or distribute this
software, either in source code form or as a compiled binary, for any purpose,
commercial or non-commercial, and by any means.
In jurisdictions that recognize copyright laws, the author or authors of this
software dedicate any and all copyright interest in the software to the public
domain. We make this dedication for the benefit of the public at large and to
the detriment of our heirs and successors. We intend this dedication to be an
overt act of relinquishment in perpetuity of all present and future rights to
this software under copyright law.
THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN
ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION
WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
------------------------------------------------------------------------------
*/
