#include "clr_driver.h"

#include <stdlib.h>

#define POISON ((void *)(size_t)0xdeadbeef)

void clr_init(clr_sim *clr, clr_pinvoke_style style)
{
    memset(clr, 0, sizeof *clr);
    clr->style = style;
    fake_clr_task_manager_init(&clr->clr_task_manager);
    clr->lock = test_mutex_new();
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
    if (clr->tm) /* once; the result is ignored */
        (void)clr->tm->lpVtbl->SetCLRTaskManager(clr->tm, &clr->clr_task_manager.iface);
    return S_OK;
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
    fake = fake_clr_task_new(clr->tm);
    fake->expected = task;
    /* IsHostedThread / GetCurrentHostTask (vm/threads.cpp) release the task
       at once and keep using the raw pointer. */
    task->lpVtbl->Release(task);
    hr = task->lpVtbl->SetCLRTask(task, &fake->iface);
    if (FAILED(hr)) { /* the CLR throws during thread set-up */
        fake_clr_task_free(fake);
        return hr;
    }
    (void)clr->tm->lpVtbl->SwitchToTask(clr->tm, 0);
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

void clr_shutdown(clr_sim *clr)
{
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
    IHostTask *created;
    fake_clr_task *fake;
    void (*body)(void *);
    void *arg;
} clr_thread_args;

static DWORD WINAPI clr_thread_start(LPVOID p)
{
    clr_thread_args *a = (clr_thread_args *)p;
    IHostTaskManager *tm = a->clr->tm;
    IHostTask *current = (IHostTask *)POISON;
    CHECK_HR(tm->lpVtbl->GetCurrentTask(tm, &current), S_OK);
    CHECK(current == a->created); /* the same object CreateTask returned */
    if (current && current != (IHostTask *)POISON)
        current->lpVtbl->Release(current);
    CHECK_HR(a->created->lpVtbl->SetCLRTask(a->created, &a->fake->iface), S_OK);
    CHECK_HR(tm->lpVtbl->SwitchToTask(tm, 0), S_OK);
    if (a->body)
        a->body(a->arg);
    free(a);
    return 0;
}

HRESULT clr_create_thread(clr_sim *clr, DWORD stack_size, void (*body)(void *), void *arg,
                          IHostTask **join, fake_clr_task **clr_task)
{
    clr_thread_args *a = (clr_thread_args *)calloc(1, sizeof *a);
    IHostTask *task = (IHostTask *)POISON;
    HRESULT hr;
    if (join)
        *join = NULL;
    if (clr_task)
        *clr_task = NULL;
    if (!a)
        return E_OUTOFMEMORY;
    hr = clr->tm->lpVtbl->CreateTask(clr->tm, stack_size, clr_thread_start, a, &task);
    if (hr != S_OK) { /* anything but S_OK fails thread creation */
        if (task != NULL)
            test_fail(__FILE__, __LINE__, "CreateTask failed without clearing its out pointer");
        free(a);
        return hr;
    }
    a->clr = clr;
    a->created = task;
    a->fake = fake_clr_task_new(clr->tm);
    a->fake->expected = task;
    a->fake->owned = task; /* the CLR's thread object holds the CreateTask reference */
    a->body = body;
    a->arg = arg;
    if (clr_task)
        *clr_task = a->fake;
    if (join) {
        task->lpVtbl->AddRef(task);
        *join = task;
    }
    hr = task->lpVtbl->Start(task);
    if (hr != S_OK) {
        fake_clr_task *fake = a->fake;
        a->fake->owned = NULL;
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

static HRESULT clr_wrapped_call(clr_sim *clr, SIZE_T target, void (*native)(void *), void *arg)
{
    DWORD error;
    HRESULT hr = clr->tm->lpVtbl->LeaveRuntime(clr->tm, target);
    if (FAILED(hr))
        return hr; /* a managed exception at the call site; the target is not called */
    native(arg);
    error = test_last_error();
    hr = clr->tm->lpVtbl->EnterRuntime(clr->tm);
    test_set_last_error(error);
    return hr;
}

HRESULT clr_pinvoke(clr_sim *clr, SIZE_T target, void (*native)(void *), void *arg)
{
    BOOL hooked = FALSE; /* the CLR presets FALSE and ignores the HRESULT */
    if (!clr->tm) {
        native(arg);
        return S_OK;
    }
    if (clr->style == CLR_X86)
        hooked = clr_bind(clr, target);
    else
        (void)clr->tm->lpVtbl->CallNeedsHostHook(clr->tm, target, &hooked);
    if (!hooked) {
        native(arg);
        return S_OK;
    }
    return clr_wrapped_call(clr, target, native, arg);
}

HRESULT clr_blocking_wait(clr_sim *clr, void (*wait)(void *), void *arg)
{
    if (!clr->tm) {
        wait(arg);
        return S_OK;
    }
    return clr_wrapped_call(clr, test_clr_wait_target(), wait, arg);
}

HRESULT clr_reverse_call(clr_sim *clr, int (*managed)(void *), void *arg)
{
    HRESULT hr;
    int threw;
    if (!clr->tm)
        return managed(arg) ? CLR_MANAGED_THREW : S_OK;
    hr = clr->tm->lpVtbl->ReverseEnterRuntime(clr->tm);
    if (hr != S_OK)
        return hr; /* managed code does not run */
    threw = managed(arg);
    hr = clr->tm->lpVtbl->ReverseLeaveRuntime(clr->tm); /* also when unwinding an exception */
    if (hr != S_OK)
        return hr;
    return threw ? CLR_MANAGED_THREW : S_OK;
}
