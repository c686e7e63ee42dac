#include "clr_driver.h"

#include <setjmp.h>
#include <stdlib.h>


/* Where an exception thrown by managed code on this thread unwinds to:
   the innermost P/Invoke still open (clr_wrapped_call). */
typedef struct clr_unwind_frame {
    jmp_buf to;
    struct clr_unwind_frame *outer;
} clr_unwind_frame;

/* Per thread: the CLR's GetThread(), and the innermost P/Invoke frame.
   On Win32 in plain TLS slots rather than __thread, which MinGW-w64
   emulates with per-thread state of its own runtime: with __thread,
   tests/abuse/churn.c under Wine ended with one handle more than it began
   (22 against 21), with TlsAlloc 21 against 21. Reads and writes keep the
   last error, which TlsGetValue resets. */
enum { SLOT_CURRENT_THREAD, SLOT_INNERMOST_FRAME, SLOT_THREAD_TYPE, SLOTS };
#ifdef _WIN32
static DWORD slot_index[SLOTS] = {TLS_OUT_OF_INDEXES, TLS_OUT_OF_INDEXES, TLS_OUT_OF_INDEXES};
static void slots_init(void)
{
    int i;
    for (i = 0; i < SLOTS; ++i)
        if (slot_index[i] == TLS_OUT_OF_INDEXES && (slot_index[i] = TlsAlloc()) == TLS_OUT_OF_INDEXES)
            abort();
}
static void *slot_get(int i)
{
    DWORD error = GetLastError();
    void *value = TlsGetValue(slot_index[i]);
    SetLastError(error);
    return value;
}
static void slot_set(int i, void *value)
{
    DWORD error = GetLastError();
    TlsSetValue(slot_index[i], value);
    SetLastError(error);
}
#else
static __thread void *slot_value[SLOTS];
static void slots_init(void) {}
static void *slot_get(int i) { return slot_value[i]; }
static void slot_set(int i, void *value) { slot_value[i] = value; }
#endif

fake_clr_task *clr_current_thread(void) { return (fake_clr_task *)slot_get(SLOT_CURRENT_THREAD); }
static void set_current_thread(fake_clr_task *t) { slot_set(SLOT_CURRENT_THREAD, t); }
static long current_thread_type(void) { return (long)(size_t)slot_get(SLOT_THREAD_TYPE); }
void clr_set_thread_type(long type) { slot_set(SLOT_THREAD_TYPE, (void *)(size_t)type); }
static clr_unwind_frame *innermost_frame(void) { return (clr_unwind_frame *)slot_get(SLOT_INNERMOST_FRAME); }
static void set_innermost_frame(clr_unwind_frame *f) { slot_set(SLOT_INNERMOST_FRAME, f); }

void clr_init(clr_sim *clr, clr_pinvoke_style style)
{
    memset(clr, 0, sizeof *clr);
    clr->style = style;
    slots_init();
    fake_clr_task_manager_init(&clr->clr_task_manager);
    clr->clr_task_manager.current = clr_current_thread;
    clr->clr_task_manager.thread_type = current_thread_type;
    clr->lock = test_mutex_new();
    clr_runtime_init(clr);
}

/* The order of CorHost2::SetHostControl (vm/corhost.cpp). */
static const GUID *const clr_manager_order[9] = {
    &test_IID_IHostMemoryManager, &test_IID_IHostTaskManager, &test_IID_IHostThreadpoolManager,
    &test_IID_IHostIoCompletionManager, &test_IID_IHostSyncManager, &test_IID_IHostAssemblyManager,
    &test_IID_IHostGCManager, &test_IID_IHostSecurityManager, &test_IID_IHostPolicyManager};

HRESULT clr_set_host_control(clr_sim *clr, IHostControl *hc)
{
    int i;
    hc->lpVtbl->AddRef(hc);
    clr->host_control = hc;
    for (i = 0; i < 9; ++i) {
        void *manager = POISON;
        HRESULT hr = hc->lpVtbl->GetHostManager(hc, clr_manager_order[i], &manager);
        clr->manager_results[i] = hr;
        if (FAILED(hr) && manager != NULL)
            test_fail(__FILE__, __LINE__, "GetHostManager failed without clearing its out pointer");
        if (hr != S_OK || manager == NULL)
            continue; /* a manager counts only for exactly S_OK and a pointer */
        if (i == 1)
            clr->tm = (IHostTaskManager *)manager; /* kept; the CLR adds no reference */
        else /* the real CLR would use these; the simulation has no use for them */
            ((IUnknown *)manager)->lpVtbl->Release((IUnknown *)manager);
    }
    if (clr->tm) { /* once; the result is ignored */
        (void)clr->tm->lpVtbl->SetCLRTaskManager(clr->tm, &clr->clr_task_manager.iface);
        clr_runtime_start(clr);
    }
    return S_OK;
}

/* The played CLR's side of a new thread: which played CLR, its name for a
   report, its AppDomain. */
static fake_clr_task *new_played_thread(clr_sim *clr, long task_type, const char *name)
{
    fake_clr_task *fake = fake_clr_task_new(clr->tm);
    fake->sim = clr;
    fake->task_type = task_type;
    fake->name = name;
    fake->domain = clr->next_domain;
    T_STORE(&fake->sim_id, clr->id); /* last: another thread that reads it sees the rest */
    return fake;
}

const clr_host_probe *clr_probe;

/* A report shows this header's slots once it has seen one of its tasks. */
static void note_host_manager(clr_sim *clr, IHostTask *task)
{
    clrhost_task *ours = clr_probe ? clr_probe->from_iface(task) : NULL;
    test_mutex_lock(clr->lock);
    if (ours && !clr->host_manager)
        clr->host_manager = clr_probe->manager_of(ours);
    test_mutex_unlock(clr->lock);
}

HRESULT clr_thread_enter(clr_sim *clr, fake_clr_task **out)
{
    IHostTask *task = (IHostTask *)POISON;
    fake_clr_task *fake;
    HRESULT hr;
    *out = NULL;
    hr = clr->tm->lpVtbl->GetCurrentTask(clr->tm, &task);
    if (hr != S_OK)
        return hr;
    if (!task)
        return S_OK; /* refused: the CLR runs no managed code on this thread */
    /* A thread with a CLR Thread object and no type flags is a user thread. */
    fake = new_played_thread(clr, current_thread_type() ? current_thread_type() : TT_USER, "foreign");
    fake->expected = task;
    fake->home_thread = test_thread_id();
    note_host_manager(clr, task);
    /* IsHostedThread / GetCurrentHostTask (vm/threads.cpp) release the task
       at once and keep using the raw pointer. */
    task->lpVtbl->Release(task);
    /* SetupThread: started, and in the thread store (the thread-store
       lock, preemptive), then the Thread is made current (SetThread) and
       SetupThreadForHost calls SetCLRTask (vm/threads.cpp ~1000-1012). */
    set_current_thread(fake);
    if (!clr_store_started(clr, fake)) { /* the played CLR broke: no managed code on it */
        set_current_thread(NULL);
        fake_clr_task_free(fake);
        return E_FAIL;
    }
    hr = task->lpVtbl->SetCLRTask(task, &fake->iface);
    if (FAILED(hr)) { /* the CLR throws during thread set-up */
        T_STORE(&fake->detached, 1);
        set_current_thread(NULL);
        fake_clr_task_free(fake);
        return hr;
    }
    clr_switch(clr);
    *out = fake;
    return S_OK;
}

HRESULT clr_start(clr_sim *clr)
{
    ULONG guarantee = 0xdeadbeef;
    HRESULT hr;
    if (!clr->tm)
        return S_OK;
    (void)clr->tm->lpVtbl->BeginThreadAffinity(clr->tm);
    hr = clr->tm->lpVtbl->GetStackGuarantee(clr->tm, &guarantee);
    if (hr == S_OK)
        hr = clr->tm->lpVtbl->SetStackGuarantee(clr->tm, guarantee);
    if (hr == E_NOTIMPL) /* the CLR calls SetThreadStackGuarantee itself */
        hr = S_OK;
    if (SUCCEEDED(hr)) {
        hr = clr_thread_enter(clr, &clr->start_thread);
        if (hr == S_OK && !clr->start_thread)
            hr = HOST_E_INVALIDOPERATION; /* start-up needs a task on this thread */
    }
    (void)clr->tm->lpVtbl->EndThreadAffinity(clr->tm);
    return hr;
}

static void stop_traffic(clr_sim *clr);
static void stop_finalizer(clr_sim *clr);

void clr_shutdown(clr_sim *clr)
{
    if (clr->traffic)
        stop_traffic(clr);
    if (clr->finalizer)
        stop_finalizer(clr);
    clr_runtime_stop(clr);
    if (clr->tm)
        clr->tm->lpVtbl->Release(clr->tm);
    if (clr->host_control)
        clr->host_control->lpVtbl->Release(clr->host_control);
    clr->tm = NULL;
    clr->host_control = NULL;
    test_mutex_free(clr->lock);
    clr->lock = NULL;
}

typedef struct clr_thread_args {
    clr_sim *clr;
    clr_thread_kind kind;
    long task_type; /* its ETaskType */
    IHostTask *created;
    fake_clr_task *fake;
    void (*body)(void *);
    void *arg;
} clr_thread_args;

/* The name a report gives a thread of this type. */
static const char *thread_name(long task_type)
{
    switch (task_type) {
    case TT_FINALIZER: return "finalizer";
    case TT_ADUNLOAD: return "ad-unload helper";
    case TT_THREADPOOL_WORKER: return "pool worker";
    case TT_THREADPOOL_GATE: return "pool gate";
    default: return "user";
    }
}

static DWORD WINAPI clr_thread_start(LPVOID p)
{
    clr_thread_args *a = (clr_thread_args *)p;
    clr_sim *clr = a->clr;
    fake_clr_task *self = a->fake;
    IHostTaskManager *tm = clr->tm;
    int started = 1;
    /* Its type flags first (FinalizerThreadStart, vm/finalizerthread.cpp
       ~765; the pool's workers, vm/win32threadpool.cpp ~2224). */
    clr_set_thread_type(a->task_type);
    self->home_thread = test_thread_id();
    set_current_thread(self);
    note_host_manager(clr, a->created);
    if (a->kind == CLR_THREAD_POOL) {
        /* SetupThread makes the Thread object here and asks, then adds it
           to the store, preemptive, before SetCLRTask (vm/threads.cpp ~964-1012). */
        IHostTask *current = (IHostTask *)POISON;
        CHECK_HR(tm->lpVtbl->GetCurrentTask(tm, &current), S_OK);
        CHECK(current == a->created); /* the same object CreateTask returned */
        if (current && current != (IHostTask *)POISON)
            current->lpVtbl->Release(current);
        started = clr_store_started(clr, self);
        CHECK_HR(a->created->lpVtbl->SetCLRTask(a->created, &self->iface), S_OK);
        clr_switch(clr);
    } else {
        if (T_LOAD(&clr->starts_held)) { /* not scheduled by the OS yet */
            T_INC(&clr->starts_at_gate);
            test_hold_until(&clr->starts_held, 0);
            T_DEC(&clr->starts_at_gate);
        }
        /* HasStarted: cooperative, though unstarted, which the GC skips;
           SetThread, then SetupThreadForHost (SetCLRTask and
           SwitchToTask(0)), then TransferStartedThread under the
           thread-store lock (vm/threads.cpp ~2481, 2532-2558, 12890-12925). */
        T_STORE(&self->coop, 1);
        CHECK_HR(a->created->lpVtbl->SetCLRTask(a->created, &self->iface), S_OK);
        clr_switch(clr);
        started = clr_store_started(clr, self);
    }
    if (started) {
        clr_go_coop(clr, self); /* its managed code (KickOffThread, or the pool's work) */
        if (a->body)
            a->body(a->arg);
    }
    clr_go_preemptive(self); /* the thread leaves the runtime: its end is the host's */
    free(a); /* the current thread stays set until the thread ends: ExitTask detaches it */
    return 0;
}

HRESULT clr_create_thread(clr_sim *clr, clr_thread_kind kind, DWORD stack_size, void (*body)(void *), void *arg,
                          IHostTask **join, fake_clr_task **clr_task)
{
    return clr_create_thread_as(clr, kind, kind == CLR_THREAD_POOL ? TT_THREADPOOL_WORKER : TT_USER, stack_size, body,
                                arg, join, clr_task);
}

/* made_before: Thread.Start of a Thread whose new Thread(...) came earlier. */
static HRESULT create_thread(clr_sim *clr, clr_thread_kind kind, long task_type, DWORD stack_size,
                             void (*body)(void *), void *arg, IHostTask **join, fake_clr_task **clr_task,
                             int made_before)
{
    clr_thread_args *a = (clr_thread_args *)calloc(1, sizeof *a);
    IHostTask *task = (IHostTask *)POISON;
    fake_clr_task *fake;
    HRESULT hr;
    if (join)
        *join = NULL;
    if (clr_task)
        *clr_task = NULL;
    if (!a)
        return E_OUTOFMEMORY;
    if (kind == CLR_THREAD_USER && !made_before)
        clr_store_unstarted(clr); /* new Thread(...), on a managed thread */
    hr = clr->tm->lpVtbl->CreateTask(clr->tm, stack_size, clr_thread_start, a, &task);
    if (hr != S_OK) { /* anything but S_OK fails thread creation */
        if (task != NULL)
            test_fail(__FILE__, __LINE__, "CreateTask failed without clearing its out pointer");
        free(a);
        return hr;
    }
    a->clr = clr;
    a->kind = kind;
    a->created = task;
    a->fake = new_played_thread(clr, task_type, thread_name(task_type));
    a->fake->expected = task;
    a->fake->owned = task; /* the CLR's thread object holds the CreateTask reference */
    a->fake->release_late = clr->finalizer != NULL; /* ... until the finalizer lets it go */
    a->task_type = task_type;
    a->body = body;
    a->arg = arg;
    if (clr_task)
        *clr_task = a->fake;
    if (join) {
        task->lpVtbl->AddRef(task);
        *join = task;
    }
    fake = a->fake; /* the thread frees `a` */
    hr = task->lpVtbl->Start(task);
    if (hr == S_OK && kind == CLR_THREAD_USER)
        clr_wait_started(clr, fake); /* Thread.Start returns once it has started */
    if (hr != S_OK) {
        fake->owned = NULL;
        free(a);
        if (join) {
            task->lpVtbl->Release(task);
            *join = NULL;
        }
        if (clr_task)
            *clr_task = NULL;
        task->lpVtbl->Release(task);
        fake_clr_task_free(fake);
    }
    return hr;
}

HRESULT clr_create_thread_as(clr_sim *clr, clr_thread_kind kind, long task_type, DWORD stack_size,
                             void (*body)(void *), void *arg, IHostTask **join, fake_clr_task **clr_task)
{
    return create_thread(clr, kind, task_type, stack_size, body, arg, join, clr_task, 0);
}

HRESULT clr_start_thread(clr_sim *clr, void (*body)(void *), void *arg, IHostTask **join, fake_clr_task **clr_task)
{
    return create_thread(clr, CLR_THREAD_USER, TT_USER, 0, body, arg, join, clr_task, 1);
}

HRESULT clr_ad_unload_helper_begins(clr_sim *clr)
{
    return clr->tm ? clr->tm->lpVtbl->LeaveRuntime(clr->tm, 0) : S_OK;
}

static BOOL clr_bind(clr_sim *clr, SIZE_T target)
{
    BOOL hooked = FALSE;
    int i;
    test_mutex_lock(clr->lock);
    for (i = 0; i < clr->bound && clr->bound_target[i] != target; ++i) {
    }
    if (i < clr->bound) {
        hooked = clr->bound_hooked[i];
    } else {
        (void)clr->tm->lpVtbl->CallNeedsHostHook(clr->tm, target, &hooked); /* result ignored */
        if (clr->bound < CLR_MAX_BOUND_TARGETS) {
            clr->bound_target[clr->bound] = target;
            clr->bound_hooked[clr->bound] = hooked;
            clr->bound += 1;
        }
    }
    test_mutex_unlock(clr->lock);
    return hooked;
}

/* The calling thread's played CLR thread, and whether it ran managed
   code (cooperative) before a call out, which goes preemptive; the mode
   comes back after it (waiting out a GC, taking a pending yield). */
typedef struct clr_mode {
    fake_clr_task *self;
    long was_coop;
} clr_mode;

static clr_mode go_out(clr_sim *clr)
{
    clr_mode m;
    m.self = clr_current_thread();
    if (m.self && m.self->sim != clr)
        m.self = NULL;
    m.was_coop = m.self ? T_LOAD(&m.self->coop) : 0;
    clr_go_preemptive(m.self);
    return m;
}

static void come_back(clr_sim *clr, clr_mode m)
{
    if (m.was_coop)
        clr_go_coop(clr, m.self);
}

/* A call into native code in the CLR's frame for it, which a managed
   exception thrown by a callback inside unwinds to, whether the host is
   told of the call or not: the native code in between runs no further,
   and CLR_MANAGED_THREW goes to the managed caller. `announced`: with the
   host's LeaveRuntime before and its EnterRuntime after (from the
   P/Invoke's holder on the unwind too). */
static HRESULT clr_native_frame(clr_sim *clr, SIZE_T target, int announced, void (*native)(void *), void *arg)
{
    clr_unwind_frame frame;
    DWORD error;
    HRESULT hr;
    if (announced && FAILED(hr = clr->tm->lpVtbl->LeaveRuntime(clr->tm, target)))
        return hr; /* a managed exception at the call site; the target is not called */
    frame.outer = innermost_frame();
    set_innermost_frame(&frame);
    if (setjmp(frame.to) != 0) {
        set_innermost_frame(frame.outer);
        if (announced)
            (void)clr->tm->lpVtbl->EnterRuntime(clr->tm);
        return CLR_MANAGED_THREW;
    }
    native(arg);
    set_innermost_frame(frame.outer); /* keeps the native code's last error */
    if (!announced)
        return S_OK;
    error = test_last_error();
    hr = clr->tm->lpVtbl->EnterRuntime(clr->tm);
    test_set_last_error(error);
    return hr;
}

static HRESULT clr_wrapped_call(clr_sim *clr, SIZE_T target, void (*native)(void *), void *arg)
{
    return clr_native_frame(clr, target, 1, native, arg);
}

/* The IL stub goes preemptive before the host is asked and called
   (PInvokeStubForHostWorker, vm/frames.cpp:1993-2066), and cooperative
   again after EnterRuntime, where a GC in progress or a pending yield
   stops the thread (RareDisablePreemptiveGC). */
HRESULT clr_pinvoke(clr_sim *clr, SIZE_T target, void (*native)(void *), void *arg)
{
    BOOL hooked = FALSE; /* the CLR presets FALSE and ignores the HRESULT */
    clr_mode mode;
    HRESULT hr;
    DWORD error;
    if (!clr->tm) /* no task manager: nobody to tell */
        return clr_native_frame(clr, target, 0, native, arg);
    (void)clr_poll(clr); /* managed code, at a call */
    mode = go_out(clr);
    if (clr->style == CLR_X86)
        hooked = clr_bind(clr, target);
    else
        (void)clr->tm->lpVtbl->CallNeedsHostHook(clr->tm, target, &hooked);
    hr = clr_native_frame(clr, target, hooked, native, arg);
    error = test_last_error();
    come_back(clr, mode);
    test_set_last_error(error);
    return hr;
}

/* A managed wait (DoAppropriateWait): preemptive (vm/threads.cpp:4429-4447). */
HRESULT clr_blocking_wait(clr_sim *clr, void (*wait)(void *), void *arg)
{
    clr_mode mode;
    HRESULT hr;
    if (!clr->tm) {
        wait(arg);
        return S_OK;
    }
    mode = go_out(clr);
    hr = clr_wrapped_call(clr, test_clr_wait_target(), wait, arg);
    come_back(clr, mode);
    return hr;
}

/* Cooperative before ReverseEnterRuntime (after waiting out a GC),
   preemptive before ReverseLeaveRuntime (vm/amd64/UMThunkStub.asm:183-208,
   347-380). */
HRESULT clr_reverse_call(clr_sim *clr, int (*managed)(void *), void *arg)
{
    fake_clr_task *self = clr_current_thread();
    clr_host_call call;
    long was_coop;
    HRESULT hr;
    int threw;
    if (!clr->tm) {
        if (managed(arg) && innermost_frame())
            longjmp(innermost_frame()->to, 1); /* to the P/Invoke it came through */
        return S_OK;
    }
    if (self && self->sim != clr)
        self = NULL;
    was_coop = self ? T_LOAD(&self->coop) : 0;
    clr_go_coop(clr, self);
    clr_enter_clr(self);
    call = clr_host_call_begin(self, "ReverseEnterRuntime");
    hr = clr->tm->lpVtbl->ReverseEnterRuntime(clr->tm);
    clr_host_call_end(clr, call);
    clr_leave_clr(self);
    if (hr != S_OK) {
        if (!was_coop)
            clr_go_preemptive(self);
        return hr; /* managed code does not run */
    }
    threw = managed(arg);
    /* On the normal path, or from the unwind handler of this frame, the
       innermost one, before any frame further out. */
    clr_go_preemptive(self);
    clr_enter_clr(self);
    hr = clr->tm->lpVtbl->ReverseLeaveRuntime(clr->tm);
    clr_leave_clr(self);
    if (threw && innermost_frame())
        longjmp(innermost_frame()->to, 1); /* every frame pushed inside `managed` is closed by now */
    if (was_coop)
        clr_go_coop(clr, self);
    if (hr != S_OK)
        return hr;
    return threw ? CLR_MANAGED_THREW : S_OK;
}

/* ---- waits, interrupts ----------------------------------------------------- */

/* Thread::UserSleep and DoAppropriateWait around one host wait: `task`
   NULL is Sleep, else a Join on it. */
static HRESULT interruptible_wait(clr_sim *clr, IHostTask *task, DWORD ms, DWORD option)
{
    fake_clr_task *self = clr_current_thread();
    clr_mode mode = go_out(clr); /* Thread.Sleep and Join wait preemptive */
    HRESULT hr;
    if (self) {
        T_STORE(&self->interruptible, 1); /* before looking for a request: see clr_interrupt */
        if (T_LOAD(&self->interrupt_requested)) {
            T_STORE(&self->interrupt_requested, 0);
            T_STORE(&self->interruptible, 0);
            come_back(clr, mode);
            return HOST_E_INTERRUPTED; /* HandleThreadInterrupt throws; no wait at all */
        }
    }
    for (;;) {
        hr = task ? task->lpVtbl->Join(task, ms, option) : clr->tm->lpVtbl->Sleep(clr->tm, ms, option);
        if (hr != HOST_E_INTERRUPTED || !self)
            break;
        if (T_LOAD(&self->interrupt_requested)) {
            T_STORE(&self->interrupt_requested, 0);
            break;
        }
        if (T_LOAD(&self->abort_delivered)) {
            T_STORE(&self->abort_fired, 1);
            hr = CLR_THREAD_ABORTED; /* the abort Alert woke it for: a ThreadAbortException */
            break;
        }
        /* woken by an alert with no interrupt behind it: wait again */
    }
    if (self)
        T_STORE(&self->interruptible, 0);
    come_back(clr, mode);
    return hr;
}

/* The IHostTask the CLR's thread object knows: the reference it holds for a
   thread it created, the raw pointer it kept for a foreign one. */
static IHostTask *host_task_of(const fake_clr_task *t)
{
    IHostTask *owned = (IHostTask *)(size_t)T_LOAD(&t->owned); /* ExitTask clears it on the thread */
    return owned ? owned : t->expected;
}

HRESULT clr_join(clr_sim *clr, fake_clr_task *t, DWORD timeout)
{
    IHostTask *task = host_task_of(t);
    DWORD option = WAIT_ALERTABLE;
    HRESULT hr;
    if (clr_current_thread() && clr_current_thread()->in_sta)
        option |= WAIT_MSGPUMP;
    task->lpVtbl->AddRef(task);
    hr = interruptible_wait(clr, task, timeout, option);
    task->lpVtbl->Release(task);
    return hr;
}

HRESULT clr_sleep(clr_sim *clr, DWORD ms)
{
    return interruptible_wait(clr, NULL, ms, WAIT_ALERTABLE);
}

BOOL clr_interrupt(fake_clr_task *t)
{
    IHostTask *task = host_task_of(t);
    T_STORE(&t->interrupt_requested, 1);
    if (!T_LOAD(&t->interruptible))
        return FALSE; /* kept for the thread's next interruptible wait */
    task->lpVtbl->AddRef(task);
    (void)task->lpVtbl->Alert(task);
    task->lpVtbl->Release(task);
    return TRUE;
}

BOOL clr_in_interruptible_wait(fake_clr_task *t) { return T_LOAD(&t->interruptible) != 0; }

/* ---- the finalizer ---------------------------------------------------------- */

typedef struct collection_wait {
    clr_sim *clr;
    long until;
} collection_wait;

/* WaitForFinalizerEvent: until a collection is asked for, or the end. */
static void wait_for_work(void *p)
{
    clr_sim *clr = (clr_sim *)p;
    while (T_LOAD(&clr->gc_requested) == T_LOAD(&clr->gc_done) && !T_LOAD(&clr->finalizer_stop))
        test_sleep_ms(1);
}

/* One pass over the dead threads, on the finalizer thread, under the
   thread store lock (here clr->lock). A thread not yet detached (its
   ExitTask not yet over) waits for a later pass; so does the deletion of
   a CLR thread object the host still holds a reference to. */
static void finalize_dead_threads(clr_sim *clr)
{
    int i, kept = 0;
    test_mutex_lock(clr->lock);
    for (i = 0; i < clr->garbage_count; ++i) {
        fake_clr_task *t = clr->garbage[i];
        if (!T_LOAD(&t->detached)) {
            clr->garbage[kept++] = t;
            continue;
        }
        if (t->owned) { /* DecExternalCount reaches 0: ReleaseHostTask */
            IHostTask *owned = t->owned;
            T_STORE(&t->owned, 0);
            T_INC(&clr->released_by_finalizer);
            owned->lpVtbl->Release(owned);
        }
        if (T_LOAD(&t->refs) != 0) { /* m_UnmanagedRefCount: not deleted yet */
            clr->garbage[kept++] = t;
            continue;
        }
        CHECK_EQ(T_LOAD(&t->exit_calls), 1);
        CHECK_EQ(T_LOAD(&t->callback_mismatches), 0);
        fake_clr_task_free(t);
    }
    clr->garbage_count = kept;
    test_mutex_unlock(clr->lock);
}

/* A managed object's finalizer, once, on this thread. */
static void run_finalizer_method(clr_sim *clr)
{
    void (*method)(void *);
    void *arg;
    test_mutex_lock(clr->lock);
    method = clr->finalizer_method;
    arg = clr->finalizer_method_arg;
    clr->finalizer_method = NULL;
    test_mutex_unlock(clr->lock);
    if (method)
        method(arg);
}

void clr_finalize_at_next_collection(clr_sim *clr, void (*method)(void *), void *arg)
{
    test_mutex_lock(clr->lock);
    clr->finalizer_method = method;
    clr->finalizer_method_arg = arg;
    test_mutex_unlock(clr->lock);
}

static void finalizer_body(void *p)
{
    clr_sim *clr = (clr_sim *)p;
    for (;;) {
        long requested;
        (void)clr_blocking_wait(clr, wait_for_work, clr);
        requested = T_LOAD(&clr->gc_requested);
        finalize_dead_threads(clr);
        run_finalizer_method(clr);
        T_STORE(&clr->gc_done, requested);
        if (T_LOAD(&clr->finalizer_stop) && T_LOAD(&clr->gc_requested) == requested)
            return;
    }
}

HRESULT clr_finalizer_start(clr_sim *clr)
{
    fake_clr_task *finalizer = NULL;
    HRESULT hr;
    if (!clr->tm || clr->finalizer)
        return S_OK;
    hr = clr_create_thread_as(clr, CLR_THREAD_USER, TT_FINALIZER, 0, finalizer_body, clr, &clr->finalizer_join,
                              &finalizer);
    clr->finalizer = finalizer; /* from now on the threads made wait for it to be let go of */
    return hr;
}

void clr_thread_unreachable(clr_sim *clr, fake_clr_task *t)
{
    test_mutex_lock(clr->lock);
    if (clr->garbage_count == clr->garbage_capacity) {
        int capacity = clr->garbage_capacity ? clr->garbage_capacity * 2 : 64;
        fake_clr_task **grown = (fake_clr_task **)realloc(clr->garbage, (size_t)capacity * sizeof *grown);
        if (!grown)
            abort();
        clr->garbage = grown;
        clr->garbage_capacity = capacity;
    }
    clr->garbage[clr->garbage_count++] = t;
    test_mutex_unlock(clr->lock);
}

static void wait_for_collection(void *p)
{
    collection_wait *w = (collection_wait *)p;
    while (T_LOAD(&w->clr->gc_done) < w->until)
        test_sleep_ms(1);
}

void clr_collect(clr_sim *clr)
{
    collection_wait w;
    (void)clr_gc(clr); /* on a managed thread: the GC itself, on it */
    if (!clr->finalizer)
        return;
    w.clr = clr;
    w.until = T_INC(&clr->gc_requested);
    if (clr_current_thread()) /* WaitForPendingFinalizers: one of the CLR's notified waits */
        (void)clr_blocking_wait(clr, wait_for_collection, &w);
    else
        wait_for_collection(&w);
}

static int garbage_left(clr_sim *clr)
{
    int n;
    test_mutex_lock(clr->lock);
    n = clr->garbage_count;
    test_mutex_unlock(clr->lock);
    return n;
}

/* For the tests: the last collections, then the finalizer ends (the real
   one parks in Sleep(INFINITE, 0) until the process ends). Every dead
   thread's objects must be gone by then. */
static void stop_finalizer(clr_sim *clr)
{
    fake_clr_task *finalizer = clr->finalizer;
    int round;
    for (round = 0; round < 1000 && garbage_left(clr) > 0; ++round) {
        clr_collect(clr);
        if (garbage_left(clr) > 0)
            test_sleep_ms(5);
    }
    if (garbage_left(clr) > 0)
        test_fail_eq(__FILE__, __LINE__,
                     "dead threads whose CLR objects the host never let go of (no ExitTask, or an ICLRTask "
                     "reference kept)", (unsigned long long)garbage_left(clr), 0);
    T_STORE(&clr->finalizer_stop, 1);
    CHECK_HR(clr->finalizer_join->lpVtbl->Join(clr->finalizer_join, INFINITE, 0), S_OK);
    clr->finalizer_join->lpVtbl->Release(clr->finalizer_join);
    clr->finalizer_join = NULL;
    fake_clr_task_free(finalizer);
    clr->finalizer = NULL;
    free(clr->garbage);
    clr->garbage = NULL;
    clr->garbage_count = clr->garbage_capacity = 0;
}

/* ---- the CLR's own traffic -------------------------------------------------- */

#define TRAFFIC_WORKERS 2         /* thread-pool workers alive at a time */
#define TRAFFIC_WORKER_ROUNDS 50  /* rounds of calls before a worker retires */
/* A round's wait: often enough to run through every scenario, seldom
   enough not to swamp Wine's server, which every wait goes through. */
#define TRAFFIC_ROUND_MS 10

struct clr_traffic {
    clr_sim *clr;
    long stop;
    long workers_live;       /* started and not yet past their last call */
    long helper_live;
    long gate_running;       /* the gate thread was adopted and made its first worker */
    test_thread *gate, *server_gc;
};

static void wait_a_round(void *p)
{
    (void)p;
    test_sleep_ms(TRAFFIC_ROUND_MS);
}

/* What a thread-pool worker and the JIT do between work items: a
   notified wait for work (vm/win32threadpool.cpp, WaitForMultipleObjectsEx
   through the CLR's wait), the back-offs Sleep(0, 0) and SwitchToTask(0)
   (vm/threads.cpp, vm/gc*.cpp spin loops). */
static void background_round(clr_sim *clr)
{
    CHECK_HR(clr_blocking_wait(clr, wait_a_round, NULL), S_OK);
    clr_backoff_sleep(clr, 0);
    clr_switch(clr);
}

static void worker_body(void *p)
{
    clr_traffic *traffic = (clr_traffic *)p;
    int round;
    for (round = 0; round < TRAFFIC_WORKER_ROUNDS && !T_LOAD(&traffic->stop); ++round)
        background_round(traffic->clr);
    /* A retiring worker's Thread object is unreferenced once it is gone. */
    clr_thread_unreachable(traffic->clr, clr_current_thread());
    T_DEC(&traffic->workers_live);
}

/* The thread pool's gate thread, a thread the CLR makes with plain
   CreateThread: it reaches the host as a foreign thread through
   GetCurrentTask, and from it the pool starts workers mid-run. */
static void gate_body(void *p)
{
    clr_traffic *traffic = (clr_traffic *)p;
    clr_sim *clr = traffic->clr;
    fake_clr_task *self = NULL;
    clr_set_thread_type(TT_THREADPOOL_GATE); /* GateThreadStart, first (vm/win32threadpool.cpp) */
    CHECK_HR(clr_thread_enter(clr, &self), S_OK);
    if (!self) {
        T_STORE(&traffic->gate_running, 1);
        return; /* a host may refuse it; the CLR runs the pool without it */
    }
    while (!T_LOAD(&traffic->stop)) {
        if (T_LOAD(&traffic->workers_live) < TRAFFIC_WORKERS) {
            T_INC(&traffic->workers_live);
            if (clr_create_thread(clr, CLR_THREAD_POOL, 0, worker_body, traffic, NULL, NULL) == S_OK)
                T_INC(&clr->background_threads_made);
            else
                T_DEC(&traffic->workers_live);
        }
        T_STORE(&traffic->gate_running, 1);
        background_round(clr);
    }
    clr_thread_unreachable(clr, self); /* ExitTask comes from the host's thread-exit callback */
}

/* A server GC thread: plain CreateThread, no CLR Thread object, no task,
   and still SwitchToTask(0) in its spin loops (vm/gc.cpp). */
static void server_gc_body(void *p)
{
    clr_traffic *traffic = (clr_traffic *)p;
    while (!T_LOAD(&traffic->stop)) {
        clr_switch(traffic->clr);
        test_sleep_ms(TRAFFIC_ROUND_MS);
    }
}

/* The AppDomain-unload helper: off the host's scheduler for good with
   LeaveRuntime(0), then waiting for work in the CLR's waits. */
static void unload_helper_body(void *p)
{
    clr_traffic *traffic = (clr_traffic *)p;
    CHECK_HR(clr_ad_unload_helper_begins(traffic->clr), S_OK);
    while (!T_LOAD(&traffic->stop))
        CHECK_HR(clr_blocking_wait(traffic->clr, wait_a_round, NULL), S_OK);
    clr_thread_unreachable(traffic->clr, clr_current_thread());
    T_DEC(&traffic->helper_live);
}

HRESULT clr_traffic_start(clr_sim *clr)
{
    clr_traffic *traffic;
    fake_clr_task *helper = NULL;
    HRESULT hr;
    if (!clr->tm || clr->traffic || !clr->finalizer)
        return clr->tm && !clr->finalizer ? E_UNEXPECTED : S_OK;
    traffic = (clr_traffic *)calloc(1, sizeof *traffic);
    if (!traffic)
        return E_OUTOFMEMORY;
    traffic->clr = clr;
    clr->traffic = traffic;
    traffic->helper_live = 1;
    hr = clr_create_thread_as(clr, CLR_THREAD_USER, TT_ADUNLOAD, 0, unload_helper_body, traffic, NULL, &helper);
    if (hr == S_OK)
        T_INC(&clr->background_threads_made);
    else
        traffic->helper_live = 0;
    traffic->gate = test_thread_start(gate_body, traffic);
    traffic->server_gc = test_thread_start(server_gc_body, traffic);
    while (!T_LOAD(&traffic->gate_running)) /* so that every run has some */
        test_sleep_ms(1);
    return hr;
}

static void stop_traffic(clr_sim *clr)
{
    clr_traffic *traffic = clr->traffic;
    T_STORE(&traffic->stop, 1);
    test_thread_join(traffic->gate); /* no more workers made after this */
    test_thread_join(traffic->server_gc);
    while (T_LOAD(&traffic->workers_live) > 0 || T_LOAD(&traffic->helper_live) > 0)
        test_sleep_ms(1);
    clr->traffic = NULL;
    free(traffic);
}
