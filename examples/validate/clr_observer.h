/* clr_observer.h: what the CLR itself calls, seen between the CLR and
   clrhost_task.h. validate.c hands the CLR this IHostControl instead of
   the header's: its task manager and tasks forward every call to the
   header's and count what they pass on, so that the kit can print what
   the CLR did (the option bits of every Join and Sleep, each Alert, each
   CreateTask, which thread let go of each task) apart from what the
   header says it did; and the CLR's ICLRTask reaches the header behind
   one more, which counts the header's ExitTask calls and their results.

   Identity is kept the way the CLR needs it: one observed IHostTask per
   task of the header's, so GetCurrentTask on a thread CreateTask made
   gives the object CreateTask gave. An observed task lives as long as the
   header's task can be reached: the CLR keeps raw pointers of tasks it
   released (vm/threads.cpp IsHostedThread), so each one stays until the
   process ends; a few dozen bytes per thread. The one for a task whose
   last CLR reference went gives up its own reference on the header's, so
   the header frees that task as it would without the observer.

   Include it after clrhost_task.h, in one file. */
#ifndef CLR_OBSERVER_H
#define CLR_OBSERVER_H

/* The CLR's call counts. Only ever incremented. */
#define OBSERVED_OPTION_SETS 9 /* option bits 0..7 (WAIT_MSGPUMP 1, WAIT_ALERTABLE 2, WAIT_NOTINDEADLOCK 4); 8: others */
#define OBSERVED_TYPES 11       /* ETaskType bits 0..9, then TT_UNKNOWN */
typedef struct clr_calls {
    LONG create_task;           /* IHostTaskManager::CreateTask */
    LONG create_task_on_main;   /* ... on observed_main_thread */
    LONG get_current_task;
    LONG alert;                 /* IHostTask::Alert */
    LONG switch_to_task;
    LONG sleep[OBSERVED_OPTION_SETS]; /* IHostTaskManager::Sleep, by option */
    LONG join[OBSERVED_OPTION_SETS];  /* IHostTask::Join, by option */
    LONG released_by_type[OBSERVED_TYPES]; /* a created task's last CLR reference let go
                                   of, by the releasing thread's ETaskType (bit
                                   index: 2 TT_FINALIZER, 8 TT_USER; the last one:
                                   TT_UNKNOWN, no CLR thread) */
    LONG released_by_own_thread; /* ... on the task's own thread */
    LONG exit_task;             /* ICLRTask::ExitTask, as the header called it */
    LONG exit_task_user;        /* ... on TT_USER threads (Thread.Start's) */
    LONG exit_task_failed;      /* ... and it answered other than S_OK */
} clr_calls;

static clr_calls observed_calls;
static DWORD observed_main_thread; /* the host's thread that runs the scenarios */
/* The CLR's ICLRTaskManager, as it gave it to SetCLRTaskManager. */
static struct ICLRTaskManager *volatile observed_clr_task_manager;

static const GUID observer_IID_IUnknown = {0x00000000, 0x0000, 0x0000, {0xc0, 0, 0, 0, 0, 0, 0, 0x46}};
static const GUID observer_IID_IHostControl = {0x02ca073c, 0x7079, 0x4860, {0x88, 0x0a, 0xc2, 0xf7, 0xa4, 0x49, 0xc9, 0x91}};
static const GUID observer_IID_IHostTaskManager = {0x997ff24c, 0x43b7, 0x4352, {0x86, 0x67, 0x0d, 0xc0, 0x4f, 0xaf, 0xd3, 0x54}};
static const GUID observer_IID_IHostTask = {0xc2275828, 0xc4b1, 0x4b55, {0x82, 0xc9, 0x92, 0x13, 0x5f, 0x74, 0xdf, 0x1a}};
static const GUID observer_IID_ICLRTask = {0x28e66a4a, 0x9906, 0x4225, {0xb2, 0x31, 0x91, 0x87, 0xc3, 0xeb, 0x86, 0x11}};

/* QueryInterface for an object that is an IUnknown and one interface:
   S_OK with *out = self (no reference taken: the caller adds one if its
   object counts them), or E_NOINTERFACE. */
static HRESULT observed_query(void *self, REFIID riid, const GUID *iid, void **out)
{
    if (!out)
        return E_POINTER;
    *out = NULL;
    if (!IsEqualGUID(riid, &observer_IID_IUnknown) && !IsEqualGUID(riid, iid))
        return E_NOINTERFACE;
    *out = self;
    return S_OK;
}

static unsigned observed_option_index(DWORD option)
{
    return option < OBSERVED_OPTION_SETS - 1 ? (unsigned)option : OBSERVED_OPTION_SETS - 1;
}

/* The calling thread's kind, as the CLR tells it. */
static ETaskType observed_current_type(void)
{
    ETaskType type = TT_UNKNOWN;
    struct ICLRTaskManager *clr = observed_clr_task_manager;
    if (!clr || FAILED(clr->lpVtbl->GetCurrentTaskType(clr, &type)))
        type = TT_UNKNOWN;
    return type;
}

/* ---- the CLR's tasks, as the header sees them ----------------------------------
   What SetCLRTask hands the header is the CLR's ICLRTask behind one of
   these, so that the kit sees every ExitTask and what it answered. It
   holds one reference to the CLR's object while the header holds it. */

typedef struct observed_clr_task {
    struct ICLRTask iface; /* first */
    LONG refs;
    struct ICLRTask *inner;
} observed_clr_task;

static observed_clr_task *observed_clr_from(struct ICLRTask *self) { return (observed_clr_task *)(void *)self; }
#define CLR_INNER(self) (observed_clr_from(self)->inner)

static HRESULT STDMETHODCALLTYPE oct_QueryInterface(struct ICLRTask *self, REFIID riid, void **out)
{
    HRESULT hr = observed_query(self, riid, &observer_IID_ICLRTask, out);
    if (hr == E_NOINTERFACE) /* ICLRTask2 and the like */
        return CLR_INNER(self)->lpVtbl->QueryInterface(CLR_INNER(self), riid, out);
    if (hr == S_OK)
        self->lpVtbl->AddRef(self);
    return hr;
}
static ULONG STDMETHODCALLTYPE oct_AddRef(struct ICLRTask *self)
{
    return (ULONG)InterlockedIncrement(&observed_clr_from(self)->refs);
}
static ULONG STDMETHODCALLTYPE oct_Release(struct ICLRTask *self)
{
    observed_clr_task *t = observed_clr_from(self);
    LONG left = InterlockedDecrement(&t->refs);
    if (left == 0) {
        t->inner->lpVtbl->Release(t->inner);
        free(t);
    }
    return (ULONG)left;
}
static HRESULT STDMETHODCALLTYPE oct_SwitchIn(struct ICLRTask *self, HANDLE h) { return CLR_INNER(self)->lpVtbl->SwitchIn(CLR_INNER(self), h); }
static HRESULT STDMETHODCALLTYPE oct_SwitchOut(struct ICLRTask *self) { return CLR_INNER(self)->lpVtbl->SwitchOut(CLR_INNER(self)); }
static HRESULT STDMETHODCALLTYPE oct_GetMemStats(struct ICLRTask *self, COR_GC_THREAD_STATS *stats) { return CLR_INNER(self)->lpVtbl->GetMemStats(CLR_INNER(self), stats); }
static HRESULT STDMETHODCALLTYPE oct_Reset(struct ICLRTask *self, BOOL full) { return CLR_INNER(self)->lpVtbl->Reset(CLR_INNER(self), full); }
static HRESULT STDMETHODCALLTYPE oct_ExitTask(struct ICLRTask *self)
{
    ETaskType type = observed_current_type(); /* before: the thread is UNKNOWN once detached */
    HRESULT hr = CLR_INNER(self)->lpVtbl->ExitTask(CLR_INNER(self));
    InterlockedIncrement(&observed_calls.exit_task);
    if (type == TT_USER)
        InterlockedIncrement(&observed_calls.exit_task_user);
    if (hr != S_OK)
        InterlockedIncrement(&observed_calls.exit_task_failed);
    return hr;
}
static HRESULT STDMETHODCALLTYPE oct_Abort(struct ICLRTask *self) { return CLR_INNER(self)->lpVtbl->Abort(CLR_INNER(self)); }
static HRESULT STDMETHODCALLTYPE oct_RudeAbort(struct ICLRTask *self) { return CLR_INNER(self)->lpVtbl->RudeAbort(CLR_INNER(self)); }
static HRESULT STDMETHODCALLTYPE oct_NeedsPriorityScheduling(struct ICLRTask *self, BOOL *out) { return CLR_INNER(self)->lpVtbl->NeedsPriorityScheduling(CLR_INNER(self), out); }
static HRESULT STDMETHODCALLTYPE oct_YieldTask(struct ICLRTask *self) { return CLR_INNER(self)->lpVtbl->YieldTask(CLR_INNER(self)); }
static HRESULT STDMETHODCALLTYPE oct_LocksHeld(struct ICLRTask *self, SIZE_T *out) { return CLR_INNER(self)->lpVtbl->LocksHeld(CLR_INNER(self), out); }
static HRESULT STDMETHODCALLTYPE oct_SetTaskIdentifier(struct ICLRTask *self, TASKID id) { return CLR_INNER(self)->lpVtbl->SetTaskIdentifier(CLR_INNER(self), id); }
#undef CLR_INNER

static CONST_VTBL ICLRTaskVtbl observed_clr_task_vtbl = {
    oct_QueryInterface, oct_AddRef, oct_Release, oct_SwitchIn, oct_SwitchOut, oct_GetMemStats, oct_Reset,
    oct_ExitTask, oct_Abort, oct_RudeAbort, oct_NeedsPriorityScheduling, oct_YieldTask, oct_LocksHeld,
    oct_SetTaskIdentifier};

/* ---- observed tasks ----------------------------------------------------------- */

typedef struct observed_task {
    IHostTask iface;  /* first */
    LONG clr_refs;    /* the CLR's references to this object */
    IHostTask *inner;
    int holds_inner;  /* a reference to inner, while clr_refs > 0 (under observed_lock) */
    int created;      /* made by CreateTask (else a foreign thread's) */
    int ended;        /* its task ended: never handed out again */
    DWORD thread_id;  /* the task's thread, once the CLR set it up */
    struct observed_task *next;
} observed_task;

static CRITICAL_SECTION observed_lock;
static observed_task *observed_tasks;

static observed_task *observed_from(IHostTask *self) { return (observed_task *)(void *)self; }

static void observed_count_release(const observed_task *t)
{
    unsigned long type = (unsigned long)observed_current_type();
    unsigned bit = 0;
    while (bit < OBSERVED_TYPES - 1 && (type & (1UL << bit)) == 0)
        ++bit;
    InterlockedIncrement(&observed_calls.released_by_type[bit]);
    if (t->thread_id == GetCurrentThreadId())
        InterlockedIncrement(&observed_calls.released_by_own_thread);
}

static HRESULT STDMETHODCALLTYPE ot_QueryInterface(IHostTask *self, REFIID riid, void **out)
{
    HRESULT hr = observed_query(self, riid, &observer_IID_IHostTask, out);
    if (hr == S_OK)
        self->lpVtbl->AddRef(self);
    return hr;
}

static ULONG STDMETHODCALLTYPE ot_AddRef(IHostTask *self)
{
    return (ULONG)InterlockedIncrement(&observed_from(self)->clr_refs);
}

static ULONG STDMETHODCALLTYPE ot_Release(IHostTask *self)
{
    observed_task *t = observed_from(self);
    LONG left = InterlockedDecrement(&t->clr_refs);
    if (left == 0) {
        IHostTask *drop = NULL;
        EnterCriticalSection(&observed_lock);
        if (t->clr_refs == 0 && t->holds_inner) {
            /* The CLR's last reference: a foreign thread's at once (the
               CLR keeps the raw pointer), a created thread's when its
               Thread object dies. */
            t->holds_inner = 0;
            drop = t->inner;
            if (t->created)
                observed_count_release(t);
            if (t->created && !t->thread_id)
                t->ended = 1; /* never set up on its thread: the header frees it now, no task_end comes */
        }
        LeaveCriticalSection(&observed_lock);
        if (drop)
            drop->lpVtbl->Release(drop);
    }
    return (ULONG)(left > 0 ? left : 0);
}

static HRESULT STDMETHODCALLTYPE ot_Start(IHostTask *self)
{
    return observed_from(self)->inner->lpVtbl->Start(observed_from(self)->inner);
}

static HRESULT STDMETHODCALLTYPE ot_Alert(IHostTask *self)
{
    InterlockedIncrement(&observed_calls.alert);
    return observed_from(self)->inner->lpVtbl->Alert(observed_from(self)->inner);
}

static HRESULT STDMETHODCALLTYPE ot_Join(IHostTask *self, DWORD ms, DWORD option)
{
    InterlockedIncrement(&observed_calls.join[observed_option_index(option)]);
    return observed_from(self)->inner->lpVtbl->Join(observed_from(self)->inner, ms, option);
}

static HRESULT STDMETHODCALLTYPE ot_SetPriority(IHostTask *self, int priority)
{
    return observed_from(self)->inner->lpVtbl->SetPriority(observed_from(self)->inner, priority);
}

static HRESULT STDMETHODCALLTYPE ot_GetPriority(IHostTask *self, int *priority)
{
    return observed_from(self)->inner->lpVtbl->GetPriority(observed_from(self)->inner, priority);
}

static HRESULT STDMETHODCALLTYPE ot_SetCLRTask(IHostTask *self, struct ICLRTask *clr_task)
{
    observed_task *t = observed_from(self);
    observed_clr_task *seen_by_header;
    HRESULT hr;
    t->thread_id = GetCurrentThreadId(); /* the CLR sets a task up on its own thread */
    if (!clr_task)
        return t->inner->lpVtbl->SetCLRTask(t->inner, clr_task);
    seen_by_header = (observed_clr_task *)calloc(1, sizeof *seen_by_header);
    if (!seen_by_header)
        return E_OUTOFMEMORY;
    seen_by_header->iface.lpVtbl = &observed_clr_task_vtbl;
    seen_by_header->refs = 1; /* ours, for the call */
    seen_by_header->inner = clr_task;
    clr_task->lpVtbl->AddRef(clr_task);
    hr = t->inner->lpVtbl->SetCLRTask(t->inner, &seen_by_header->iface);
    seen_by_header->iface.lpVtbl->Release(&seen_by_header->iface); /* the header keeps its own, if any */
    return hr;
}

static CONST_VTBL IHostTaskVtbl observed_task_vtbl = {ot_QueryInterface, ot_AddRef, ot_Release, ot_Start, ot_Alert,
                                                      ot_Join, ot_SetPriority, ot_GetPriority, ot_SetCLRTask};

/* The observed task for `inner`, made on first sight, with one more CLR
   reference; it takes over the caller's reference to `inner` (or drops
   it, when it holds one already). NULL, with `inner` released, when out
   of memory. */
static IHostTask *observed_wrap(IHostTask *inner, int created)
{
    observed_task *t;
    IHostTask *drop = NULL;
    EnterCriticalSection(&observed_lock);
    /* CreateTask's task is new: no observed task can be its own yet. */
    for (t = created ? NULL : observed_tasks; t && (t->inner != inner || t->ended); t = t->next) {
    }
    if (t) {
        InterlockedIncrement(&t->clr_refs);
        if (t->holds_inner)
            drop = inner;
        else
            t->holds_inner = 1; /* the CLR comes back to a task it had let go of */
    } else {
        t = (observed_task *)calloc(1, sizeof *t);
        if (t) {
            t->iface.lpVtbl = &observed_task_vtbl;
            t->clr_refs = 1;
            t->inner = inner;
            t->holds_inner = 1;
            t->created = created;
            t->next = observed_tasks;
            observed_tasks = t;
        } else {
            drop = inner;
        }
    }
    LeaveCriticalSection(&observed_lock);
    if (drop)
        drop->lpVtbl->Release(drop);
    return t ? &t->iface : NULL;
}

/* A task ended (task_end, on its thread): its observed task is never
   handed out again, since the header may reuse the task's memory once
   the last reference goes. */
static void observed_task_ended(IHostTask *inner)
{
    observed_task *t;
    EnterCriticalSection(&observed_lock);
    for (t = observed_tasks; t; t = t->next)
        if (t->inner == inner)
            t->ended = 1;
    LeaveCriticalSection(&observed_lock);
}

/* ---- the observed task manager ------------------------------------------------- */

static IHostTaskManager *observed_inner_manager; /* the header's, AddRef'd */

#define INNER observed_inner_manager
#define FORWARD(call) INNER->lpVtbl->call

static HRESULT STDMETHODCALLTYPE om_QueryInterface(IHostTaskManager *self, REFIID riid, void **out)
{
    return observed_query(self, riid, &observer_IID_IHostTaskManager, out);
}
static ULONG STDMETHODCALLTYPE om_AddRef(IHostTaskManager *self) { (void)self; return 2; } /* static: kept for good */
static ULONG STDMETHODCALLTYPE om_Release(IHostTaskManager *self) { (void)self; return 1; }

static HRESULT STDMETHODCALLTYPE om_GetCurrentTask(IHostTaskManager *self, IHostTask **out)
{
    IHostTask *inner = NULL;
    HRESULT hr;
    (void)self;
    InterlockedIncrement(&observed_calls.get_current_task);
    if (!out)
        return FORWARD(GetCurrentTask)(INNER, out);
    hr = FORWARD(GetCurrentTask)(INNER, &inner);
    *out = SUCCEEDED(hr) && inner ? observed_wrap(inner, 0) : NULL;
    return SUCCEEDED(hr) && inner && !*out ? E_OUTOFMEMORY : hr;
}

static HRESULT STDMETHODCALLTYPE om_CreateTask(IHostTaskManager *self, DWORD stack, LPTHREAD_START_ROUTINE start,
                                               PVOID arg, IHostTask **out)
{
    IHostTask *inner = NULL;
    HRESULT hr;
    (void)self;
    InterlockedIncrement(&observed_calls.create_task);
    if (GetCurrentThreadId() == observed_main_thread)
        InterlockedIncrement(&observed_calls.create_task_on_main);
    if (!out)
        return FORWARD(CreateTask)(INNER, stack, start, arg, out);
    hr = FORWARD(CreateTask)(INNER, stack, start, arg, &inner);
    *out = hr == S_OK && inner ? observed_wrap(inner, 1) : NULL;
    return hr == S_OK && inner && !*out ? E_OUTOFMEMORY : hr; /* a task never started is let go by its wrap */
}

static HRESULT STDMETHODCALLTYPE om_Sleep(IHostTaskManager *self, DWORD ms, DWORD option)
{
    (void)self;
    InterlockedIncrement(&observed_calls.sleep[observed_option_index(option)]);
    return FORWARD(Sleep)(INNER, ms, option);
}

static HRESULT STDMETHODCALLTYPE om_SwitchToTask(IHostTaskManager *self, DWORD option)
{
    (void)self;
    InterlockedIncrement(&observed_calls.switch_to_task);
    return FORWARD(SwitchToTask)(INNER, option);
}

static HRESULT STDMETHODCALLTYPE om_SetUILocale(IHostTaskManager *self, LCID lcid) { (void)self; return FORWARD(SetUILocale)(INNER, lcid); }
static HRESULT STDMETHODCALLTYPE om_SetLocale(IHostTaskManager *self, LCID lcid) { (void)self; return FORWARD(SetLocale)(INNER, lcid); }
static HRESULT STDMETHODCALLTYPE om_CallNeedsHostHook(IHostTaskManager *self, SIZE_T target, BOOL *out)
{
    (void)self;
    return FORWARD(CallNeedsHostHook)(INNER, target, out);
}
static HRESULT STDMETHODCALLTYPE om_LeaveRuntime(IHostTaskManager *self, SIZE_T target) { (void)self; return FORWARD(LeaveRuntime)(INNER, target); }
static HRESULT STDMETHODCALLTYPE om_EnterRuntime(IHostTaskManager *self) { (void)self; return FORWARD(EnterRuntime)(INNER); }
static HRESULT STDMETHODCALLTYPE om_ReverseLeaveRuntime(IHostTaskManager *self) { (void)self; return FORWARD(ReverseLeaveRuntime)(INNER); }
static HRESULT STDMETHODCALLTYPE om_ReverseEnterRuntime(IHostTaskManager *self) { (void)self; return FORWARD(ReverseEnterRuntime)(INNER); }
static HRESULT STDMETHODCALLTYPE om_BeginDelayAbort(IHostTaskManager *self) { (void)self; return FORWARD(BeginDelayAbort)(INNER); }
static HRESULT STDMETHODCALLTYPE om_EndDelayAbort(IHostTaskManager *self) { (void)self; return FORWARD(EndDelayAbort)(INNER); }
static HRESULT STDMETHODCALLTYPE om_BeginThreadAffinity(IHostTaskManager *self) { (void)self; return FORWARD(BeginThreadAffinity)(INNER); }
static HRESULT STDMETHODCALLTYPE om_EndThreadAffinity(IHostTaskManager *self) { (void)self; return FORWARD(EndThreadAffinity)(INNER); }
static HRESULT STDMETHODCALLTYPE om_SetStackGuarantee(IHostTaskManager *self, ULONG guarantee) { (void)self; return FORWARD(SetStackGuarantee)(INNER, guarantee); }
static HRESULT STDMETHODCALLTYPE om_GetStackGuarantee(IHostTaskManager *self, ULONG *guarantee) { (void)self; return FORWARD(GetStackGuarantee)(INNER, guarantee); }

static HRESULT STDMETHODCALLTYPE om_SetCLRTaskManager(IHostTaskManager *self, struct ICLRTaskManager *clr)
{
    (void)self;
    observed_clr_task_manager = clr; /* static in the CLR: kept without a reference */
    return FORWARD(SetCLRTaskManager)(INNER, clr);
}

#undef FORWARD
#undef INNER

static CONST_VTBL IHostTaskManagerVtbl observed_manager_vtbl = {
    om_QueryInterface, om_AddRef, om_Release, om_GetCurrentTask, om_CreateTask, om_Sleep, om_SwitchToTask,
    om_SetUILocale, om_SetLocale, om_CallNeedsHostHook, om_LeaveRuntime, om_EnterRuntime, om_ReverseLeaveRuntime,
    om_ReverseEnterRuntime, om_BeginDelayAbort, om_EndDelayAbort, om_BeginThreadAffinity, om_EndThreadAffinity,
    om_SetStackGuarantee, om_GetStackGuarantee, om_SetCLRTaskManager};
static IHostTaskManager observed_manager = {&observed_manager_vtbl};

/* ---- the observed host control -------------------------------------------------- */

static IHostControl *observed_inner_control; /* the header's, AddRef'd */

static HRESULT STDMETHODCALLTYPE oc_QueryInterface(IHostControl *self, REFIID riid, void **out)
{
    return observed_query(self, riid, &observer_IID_IHostControl, out);
}
static ULONG STDMETHODCALLTYPE oc_AddRef(IHostControl *self) { (void)self; return 2; }
static ULONG STDMETHODCALLTYPE oc_Release(IHostControl *self) { (void)self; return 1; }

static HRESULT STDMETHODCALLTYPE oc_GetHostManager(IHostControl *self, REFIID riid, void **out)
{
    HRESULT hr;
    (void)self;
    hr = observed_inner_control->lpVtbl->GetHostManager(observed_inner_control, riid, out);
    if (hr == S_OK && out && *out && IsEqualGUID(riid, &observer_IID_IHostTaskManager)) {
        if (!observed_inner_manager)
            observed_inner_manager = (IHostTaskManager *)*out; /* the reference the CLR would keep */
        else
            ((IHostTaskManager *)*out)->lpVtbl->Release((IHostTaskManager *)*out);
        *out = &observed_manager;
    }
    return hr;
}

static HRESULT STDMETHODCALLTYPE oc_SetAppDomainManager(IHostControl *self, DWORD domain, IUnknown *manager)
{
    (void)self;
    return observed_inner_control->lpVtbl->SetAppDomainManager(observed_inner_control, domain, manager);
}

static CONST_VTBL IHostControlVtbl observed_control_vtbl = {oc_QueryInterface, oc_AddRef, oc_Release,
                                                            oc_GetHostManager, oc_SetAppDomainManager};
static IHostControl observed_control = {&observed_control_vtbl};

/* The IHostControl to give the CLR in place of `inner` (the header's). */
static IHostControl *clr_observer_create(IHostControl *inner)
{
    InitializeCriticalSection(&observed_lock);
    inner->lpVtbl->AddRef(inner);
    observed_inner_control = inner;
    return &observed_control;
}

#endif
