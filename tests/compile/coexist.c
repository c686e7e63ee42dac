/* A host written against the Windows SDK's names (IHostTaskManager *,
   lpVtbl->LeaveRuntime(...) in C, ->LeaveRuntime(...) in C++) uses the
   objects clrhost_task.h returns, with the toolchain's mscoree.h included
   before or after ours:
     COEXIST_ORDER=1   <mscoree.h> first, then clrhost_task.h
     COEXIST_ORDER=2   clrhost_task.h first, then <mscoree.h>
     COEXIST_ORDER=3   the host's own unguarded typedefs of ICLRTask and
                       ICLRTaskManager, then <mscoree.h>, then ours
   and with MinGW-w64's own mscoree.h (no task interfaces), Wine's
   mscoree.h and metahost.h (with -DCOEXIST_METAHOST: IHostControl,
   ICLRRuntimeHost and the metahost interfaces, no task interfaces), or,
   with -DCOEXIST_SDK, one that widl makes from tests/compile/sdk/mscoree.idl,
   as the Windows SDK's is made by MIDL (all of the task interfaces).
   Windows only. Prints "coexist: ok" and returns 0. */
#include <initguid.h> /* this one-file program defines the DEFINE_GUID IIDs */
#ifdef COEXIST_METAHOST
#define COEXIST_SDK_HEADER <metahost.h> /* includes mscoree.h, as a .NET 4 host's does */
#else
#define COEXIST_SDK_HEADER <mscoree.h>
#endif
#if COEXIST_ORDER == 3
/* A host that forward-declares the CLR's interfaces itself, without the
   SDK's guards (Ant4C does): our header must not typedef them again where
   C forbids it (C89/C99 -pedantic). */
typedef struct ICLRTask ICLRTask;
typedef struct ICLRTaskManager ICLRTaskManager;
#include COEXIST_SDK_HEADER
#include "../../clrhost_task.h"
#elif COEXIST_ORDER == 1
#include COEXIST_SDK_HEADER
#include "../../clrhost_task.h"
#else
#include "../../clrhost_task.h"
#include COEXIST_SDK_HEADER
#endif
#define CLRHOST_TASK_IMPLEMENTATION
#include "../../clrhost_task.h"
#include "abi_checks.h"

#include <stdio.h>

#ifdef COEXIST_SDK
#define TASK_MANAGER_IID IID_IHostTaskManager /* the SDK header's own */
#else
DEFINE_GUID(coexist_IID_IHostTaskManager, 0x997FF24C, 0x43B7, 0x4352, 0x86, 0x67, 0x0D, 0xC0, 0x4F, 0xAF, 0xD3, 0x54);
#define TASK_MANAGER_IID coexist_IID_IHostTaskManager
#endif

static LONG exit_calls, clr_task_refs, leaves, thread_ran;
static int failures;
#define EXPECT(cond) do { if (!(cond)) { ++failures; printf("coexist.c:%d: %s\n", __LINE__, #cond); } } while (0)

static HRESULT on_leave(void *user, clrhost_task *task, SIZE_T target)
{
    (void)user; (void)task; (void)target;
    InterlockedIncrement(&leaves);
    return S_OK;
}

/* The CLR's side of a task, as a host's own test double would write it. */
#if defined(__cplusplus) && !defined(CINTERFACE)
struct clr_task_impl : public ICLRTask {
    HRESULT STDMETHODCALLTYPE QueryInterface(REFIID, void **ppv) { *ppv = 0; return E_NOINTERFACE; }
    ULONG STDMETHODCALLTYPE AddRef() { return (ULONG)InterlockedIncrement(&clr_task_refs); }
    ULONG STDMETHODCALLTYPE Release() { return (ULONG)InterlockedDecrement(&clr_task_refs); }
    HRESULT STDMETHODCALLTYPE SwitchIn(HANDLE) { return E_NOTIMPL; }
    HRESULT STDMETHODCALLTYPE SwitchOut() { return E_NOTIMPL; }
    HRESULT STDMETHODCALLTYPE GetMemStats(COR_GC_THREAD_STATS *) { return E_NOTIMPL; }
    HRESULT STDMETHODCALLTYPE Reset(BOOL) { return E_NOTIMPL; }
    HRESULT STDMETHODCALLTYPE ExitTask() { InterlockedIncrement(&exit_calls); return S_OK; }
    HRESULT STDMETHODCALLTYPE Abort() { return E_NOTIMPL; }
    HRESULT STDMETHODCALLTYPE RudeAbort() { return E_NOTIMPL; }
    HRESULT STDMETHODCALLTYPE NeedsPriorityScheduling(BOOL *) { return E_NOTIMPL; }
    HRESULT STDMETHODCALLTYPE YieldTask() { return E_NOTIMPL; }
    HRESULT STDMETHODCALLTYPE LocksHeld(SIZE_T *) { return E_NOTIMPL; }
    HRESULT STDMETHODCALLTYPE SetTaskIdentifier(TASKID) { return E_NOTIMPL; }
};
static clr_task_impl the_clr_task;
#else
static HRESULT STDMETHODCALLTYPE ct_QueryInterface(struct ICLRTask *This, REFIID riid, void **ppv) { (void)This; (void)riid; *ppv = NULL; return E_NOINTERFACE; }
static ULONG STDMETHODCALLTYPE ct_AddRef(struct ICLRTask *This) { (void)This; return (ULONG)InterlockedIncrement(&clr_task_refs); }
static ULONG STDMETHODCALLTYPE ct_Release(struct ICLRTask *This) { (void)This; return (ULONG)InterlockedDecrement(&clr_task_refs); }
static HRESULT STDMETHODCALLTYPE ct_SwitchIn(struct ICLRTask *This, HANDLE h) { (void)This; (void)h; return E_NOTIMPL; }
static HRESULT STDMETHODCALLTYPE ct_NoArgs(struct ICLRTask *This) { (void)This; return E_NOTIMPL; }
static HRESULT STDMETHODCALLTYPE ct_GetMemStats(struct ICLRTask *This, COR_GC_THREAD_STATS *s) { (void)This; (void)s; return E_NOTIMPL; }
static HRESULT STDMETHODCALLTYPE ct_Reset(struct ICLRTask *This, BOOL full) { (void)This; (void)full; return E_NOTIMPL; }
static HRESULT STDMETHODCALLTYPE ct_ExitTask(struct ICLRTask *This) { (void)This; InterlockedIncrement(&exit_calls); return S_OK; }
static HRESULT STDMETHODCALLTYPE ct_Bool(struct ICLRTask *This, BOOL *b) { (void)This; (void)b; return E_NOTIMPL; }
static HRESULT STDMETHODCALLTYPE ct_LocksHeld(struct ICLRTask *This, SIZE_T *n) { (void)This; (void)n; return E_NOTIMPL; }
static HRESULT STDMETHODCALLTYPE ct_SetTaskIdentifier(struct ICLRTask *This, TASKID id) { (void)This; (void)id; return E_NOTIMPL; }
static ICLRTaskVtbl clr_task_vtbl = {
    ct_QueryInterface, ct_AddRef, ct_Release, ct_SwitchIn, ct_NoArgs, ct_GetMemStats, ct_Reset,
    ct_ExitTask, ct_NoArgs, ct_NoArgs, ct_Bool, ct_NoArgs, ct_LocksHeld, ct_SetTaskIdentifier};
/* C89/C99 see the CLR's interfaces as structs only (the header's rule). */
static struct ICLRTask the_clr_task = {&clr_task_vtbl};
#endif

/* A foreign thread entering the runtime, as the CLR drives it. */
static DWORD WINAPI foreign_thread(LPVOID p)
{
    IHostTaskManager *tm = (IHostTaskManager *)p;
    IHostTask *task = NULL;
#if defined(__cplusplus) && !defined(CINTERFACE)
    EXPECT(tm->GetCurrentTask(&task) == S_OK && task != NULL);
    EXPECT(task->SetCLRTask(&the_clr_task) == S_OK);
    EXPECT(tm->LeaveRuntime(0x1234) == S_OK);
    EXPECT(tm->EnterRuntime() == S_OK);
    EXPECT(tm->ReverseEnterRuntime() == S_OK);
    EXPECT(tm->ReverseLeaveRuntime() == S_OK);
    EXPECT(task->Release() == 1);
#else
    EXPECT(tm->lpVtbl->GetCurrentTask(tm, &task) == S_OK && task != NULL);
    EXPECT(task->lpVtbl->SetCLRTask(task, &the_clr_task) == S_OK);
    EXPECT(tm->lpVtbl->LeaveRuntime(tm, 0x1234) == S_OK);
    EXPECT(tm->lpVtbl->EnterRuntime(tm) == S_OK);
    EXPECT(tm->lpVtbl->ReverseEnterRuntime(tm) == S_OK);
    EXPECT(tm->lpVtbl->ReverseLeaveRuntime(tm) == S_OK);
    EXPECT(task->lpVtbl->Release(task) == 1);
#endif
    return 0;
}

#ifndef COEXIST_SDK /* our IDL declares only the task-hosting interfaces and IHostControl */
/* How a host hands our object to the CLR: the SDK's ICLRRuntimeHost takes
   it as it is, without a cast. Compiled, never run: there is no CLR here. */
static HRESULT hand_to_runtime(ICLRRuntimeHost *host, IHostControl *hc)
{
#if defined(__cplusplus) && !defined(CINTERFACE)
    return host->SetHostControl(hc);
#else
    return host->lpVtbl->SetHostControl(host, hc);
#endif
}
#endif

static DWORD WINAPI created_thread(LPVOID p)
{
    (void)p;
    InterlockedIncrement(&thread_ran);
    return 0;
}

int main(void)
{
    clrhost_task_config cfg;
    clrhost_task_manager *m = NULL;
    IHostControl *hc = NULL;
    IHostTaskManager *tm = NULL;
    IHostTask *task = NULL;
    void *obtained = NULL;
    HANDLE thread;
#ifndef COEXIST_SDK
    ICLRRuntimeHost *volatile no_runtime = NULL;
#endif
    const char *wrong = clrhost_task_self_check();
    EXPECT(wrong == NULL);
    memset(&cfg, 0, sizeof cfg);
    cfg.hooks.leave_runtime = on_leave;
    EXPECT(clrhost_task_manager_create(&cfg, &m) == S_OK);
    EXPECT(clrhost_task_host_control_create(m, NULL, &hc) == S_OK);
#if defined(__cplusplus) && !defined(CINTERFACE)
    EXPECT(hc->GetHostManager(TASK_MANAGER_IID, &obtained) == S_OK);
#else
    EXPECT(hc->lpVtbl->GetHostManager(hc, &TASK_MANAGER_IID, &obtained) == S_OK);
#endif
    tm = (IHostTaskManager *)obtained;
    EXPECT(tm == clrhost_task_manager_iface(m));
    /* The SDK header's IID_IHostControl is the one our object answers to. */
#if defined(__cplusplus) && !defined(CINTERFACE)
    EXPECT(hc->QueryInterface(IID_IHostControl, &obtained) == S_OK && obtained == (void *)hc);
    EXPECT(hc->Release() == 1);
#else
    EXPECT(hc->lpVtbl->QueryInterface(hc, &IID_IHostControl, &obtained) == S_OK && obtained == (void *)hc);
    EXPECT(hc->lpVtbl->Release(hc) == 1);
#endif
#ifndef COEXIST_SDK
    if (no_runtime != NULL)
        EXPECT(hand_to_runtime(no_runtime, hc) == S_OK);
#endif
#ifdef COEXIST_METAHOST
    /* The metahost header is the real one: its IIDs as metahost.idl and
       mscoree.idl give them. */
    EXPECT(CLSID_CLRMetaHost.Data1 == 0x9280188d && IID_ICLRMetaHost.Data1 == 0xd332db9e);
    EXPECT(IID_ICLRRuntimeHost.Data1 == 0x90f1a06c);
#endif

    thread = CreateThread(NULL, 0, foreign_thread, tm, 0, NULL);
    WaitForSingleObject(thread, INFINITE);
    CloseHandle(thread);
    EXPECT(exit_calls == 1); /* at the foreign thread's exit */
    EXPECT(clr_task_refs == 0);
    EXPECT(leaves == 1);

#if defined(__cplusplus) && !defined(CINTERFACE)
    EXPECT(tm->CreateTask(0, created_thread, NULL, &task) == S_OK);
    EXPECT(task->Start() == S_OK);
    EXPECT(task->Join(INFINITE, WAIT_NOTINDEADLOCK) == S_OK);
    EXPECT(task->Release() == 0);
    EXPECT(tm->Release() == 2);
    EXPECT(hc->Release() == 0);
#else
    EXPECT(tm->lpVtbl->CreateTask(tm, 0, created_thread, NULL, &task) == S_OK);
    EXPECT(task->lpVtbl->Start(task) == S_OK);
    EXPECT(task->lpVtbl->Join(task, INFINITE, WAIT_NOTINDEADLOCK) == S_OK);
    EXPECT(task->lpVtbl->Release(task) == 0);
    EXPECT(tm->lpVtbl->Release(tm) == 2);
    EXPECT(hc->lpVtbl->Release(hc) == 0);
#endif
    EXPECT(thread_ran == 1);
    EXPECT(clrhost_task_manager_release(m) == 0);
    printf(failures ? "coexist: FAILED\n" : "coexist: ok\n");
    return failures ? 1 : 0;
}
