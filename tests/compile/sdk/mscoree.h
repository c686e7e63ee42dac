/* Stand-in for the Windows SDK's MIDL-generated mscoree.h, written for the
   coexistence tests (tests/compile/coexist.c): the same include guard, the same
   per-interface guard macros and names, MIDL_INTERFACE abstract classes in
   C++ and lpVtbl structs in C, DEFINE_GUID IIDs, and TASKID, WAIT_OPTION and
   ETaskType at file scope, as the SDK has them. Only the task-hosting part
   is here, written out once from the slot lists of mscoree.idl; it is
   not the SDK's text. */
#ifndef __mscoree_h__
#define __mscoree_h__

#include <windows.h>
#include <ole2.h>
#include "gchost.h"

/* Forward Declarations */

#ifndef __IHostControl_FWD_DEFINED__
#define __IHostControl_FWD_DEFINED__
typedef interface IHostControl IHostControl;
#endif

#ifndef __ICLRTask_FWD_DEFINED__
#define __ICLRTask_FWD_DEFINED__
typedef interface ICLRTask ICLRTask;
#endif

#ifndef __IHostTask_FWD_DEFINED__
#define __IHostTask_FWD_DEFINED__
typedef interface IHostTask IHostTask;
#endif

#ifndef __ICLRTaskManager_FWD_DEFINED__
#define __ICLRTaskManager_FWD_DEFINED__
typedef interface ICLRTaskManager ICLRTaskManager;
#endif

#ifndef __IHostTaskManager_FWD_DEFINED__
#define __IHostTaskManager_FWD_DEFINED__
typedef interface IHostTaskManager IHostTaskManager;
#endif

#ifdef __cplusplus
extern "C" {
#endif

DEFINE_GUID(IID_IHostControl, 0x02CA073C, 0x7079, 0x4860, 0x88, 0x0A, 0xC2, 0xF7, 0xA4, 0x49, 0xC9, 0x91);
DEFINE_GUID(IID_ICLRTask, 0x28E66A4A, 0x9906, 0x4225, 0xB2, 0x31, 0x91, 0x87, 0xC3, 0xEB, 0x86, 0x11);
DEFINE_GUID(IID_IHostTask, 0xC2275828, 0xC4B1, 0x4B55, 0x82, 0xC9, 0x92, 0x13, 0x5F, 0x74, 0xDF, 0x1A);
DEFINE_GUID(IID_ICLRTaskManager, 0x4862EFBE, 0x3AE5, 0x44F8, 0x8F, 0xEB, 0x34, 0x61, 0x90, 0xEE, 0x8A, 0x34);
DEFINE_GUID(IID_IHostTaskManager, 0x997FF24C, 0x43B7, 0x4352, 0x86, 0x67, 0x0D, 0xC0, 0x4F, 0xAF, 0xD3, 0x54);

typedef UINT64 TASKID;
typedef DWORD CONNID;

typedef enum {
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
    TT_UNKNOWN = (int)0x80000000
} ETaskType;

#ifndef __IHostControl_INTERFACE_DEFINED__
#define __IHostControl_INTERFACE_DEFINED__

#if defined(__cplusplus) && !defined(CINTERFACE)

MIDL_INTERFACE("02CA073C-7079-4860-880A-C2F7A449C991")
IHostControl : public IUnknown
{
public:
    virtual HRESULT STDMETHODCALLTYPE GetHostManager(REFIID riid, void **ppObject) = 0;
    virtual HRESULT STDMETHODCALLTYPE SetAppDomainManager(DWORD dwAppDomainID, IUnknown *pUnkAppDomainManager) = 0;
};

#else /* C style interface */

typedef struct IHostControlVtbl
{
    BEGIN_INTERFACE
    HRESULT (STDMETHODCALLTYPE *QueryInterface)(IHostControl *This, REFIID riid, void **ppvObject);
    ULONG (STDMETHODCALLTYPE *AddRef)(IHostControl *This);
    ULONG (STDMETHODCALLTYPE *Release)(IHostControl *This);
    HRESULT (STDMETHODCALLTYPE *GetHostManager)(IHostControl *This, REFIID riid, void **ppObject);
    HRESULT (STDMETHODCALLTYPE *SetAppDomainManager)(IHostControl *This, DWORD dwAppDomainID, IUnknown *pUnkAppDomainManager);
    END_INTERFACE
} IHostControlVtbl;

interface IHostControl
{
    CONST_VTBL struct IHostControlVtbl *lpVtbl;
};

#ifdef COBJMACROS
#define IHostControl_QueryInterface(This, riid, ppvObject) ((This)->lpVtbl->QueryInterface(This, riid, ppvObject))
#define IHostControl_AddRef(This) ((This)->lpVtbl->AddRef(This))
#define IHostControl_Release(This) ((This)->lpVtbl->Release(This))
#define IHostControl_GetHostManager(This, riid, ppObject) ((This)->lpVtbl->GetHostManager(This, riid, ppObject))
#define IHostControl_SetAppDomainManager(This, dwAppDomainID, pUnkAppDomainManager) ((This)->lpVtbl->SetAppDomainManager(This, dwAppDomainID, pUnkAppDomainManager))
#endif /* COBJMACROS */

#endif /* C style interface */

#endif /* __IHostControl_INTERFACE_DEFINED__ */

#ifndef __ICLRTask_INTERFACE_DEFINED__
#define __ICLRTask_INTERFACE_DEFINED__

#if defined(__cplusplus) && !defined(CINTERFACE)

MIDL_INTERFACE("28E66A4A-9906-4225-B231-9187C3EB8611")
ICLRTask : public IUnknown
{
public:
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

#else /* C style interface */

typedef struct ICLRTaskVtbl
{
    BEGIN_INTERFACE
    HRESULT (STDMETHODCALLTYPE *QueryInterface)(ICLRTask *This, REFIID riid, void **ppvObject);
    ULONG (STDMETHODCALLTYPE *AddRef)(ICLRTask *This);
    ULONG (STDMETHODCALLTYPE *Release)(ICLRTask *This);
    HRESULT (STDMETHODCALLTYPE *SwitchIn)(ICLRTask *This, HANDLE threadHandle);
    HRESULT (STDMETHODCALLTYPE *SwitchOut)(ICLRTask *This);
    HRESULT (STDMETHODCALLTYPE *GetMemStats)(ICLRTask *This, COR_GC_THREAD_STATS *memUsage);
    HRESULT (STDMETHODCALLTYPE *Reset)(ICLRTask *This, BOOL fFull);
    HRESULT (STDMETHODCALLTYPE *ExitTask)(ICLRTask *This);
    HRESULT (STDMETHODCALLTYPE *Abort)(ICLRTask *This);
    HRESULT (STDMETHODCALLTYPE *RudeAbort)(ICLRTask *This);
    HRESULT (STDMETHODCALLTYPE *NeedsPriorityScheduling)(ICLRTask *This, BOOL *pbNeedsPriorityScheduling);
    HRESULT (STDMETHODCALLTYPE *YieldTask)(ICLRTask *This);
    HRESULT (STDMETHODCALLTYPE *LocksHeld)(ICLRTask *This, SIZE_T *pLockCount);
    HRESULT (STDMETHODCALLTYPE *SetTaskIdentifier)(ICLRTask *This, TASKID asked);
    END_INTERFACE
} ICLRTaskVtbl;

interface ICLRTask
{
    CONST_VTBL struct ICLRTaskVtbl *lpVtbl;
};

#ifdef COBJMACROS
#define ICLRTask_QueryInterface(This, riid, ppvObject) ((This)->lpVtbl->QueryInterface(This, riid, ppvObject))
#define ICLRTask_AddRef(This) ((This)->lpVtbl->AddRef(This))
#define ICLRTask_Release(This) ((This)->lpVtbl->Release(This))
#define ICLRTask_SwitchIn(This, threadHandle) ((This)->lpVtbl->SwitchIn(This, threadHandle))
#define ICLRTask_SwitchOut(This) ((This)->lpVtbl->SwitchOut(This))
#define ICLRTask_GetMemStats(This, memUsage) ((This)->lpVtbl->GetMemStats(This, memUsage))
#define ICLRTask_Reset(This, fFull) ((This)->lpVtbl->Reset(This, fFull))
#define ICLRTask_ExitTask(This) ((This)->lpVtbl->ExitTask(This))
#define ICLRTask_Abort(This) ((This)->lpVtbl->Abort(This))
#define ICLRTask_RudeAbort(This) ((This)->lpVtbl->RudeAbort(This))
#define ICLRTask_NeedsPriorityScheduling(This, pbNeedsPriorityScheduling) ((This)->lpVtbl->NeedsPriorityScheduling(This, pbNeedsPriorityScheduling))
#define ICLRTask_YieldTask(This) ((This)->lpVtbl->YieldTask(This))
#define ICLRTask_LocksHeld(This, pLockCount) ((This)->lpVtbl->LocksHeld(This, pLockCount))
#define ICLRTask_SetTaskIdentifier(This, asked) ((This)->lpVtbl->SetTaskIdentifier(This, asked))
#endif /* COBJMACROS */

#endif /* C style interface */

#endif /* __ICLRTask_INTERFACE_DEFINED__ */

#ifndef __IHostTask_INTERFACE_DEFINED__
#define __IHostTask_INTERFACE_DEFINED__

#if defined(__cplusplus) && !defined(CINTERFACE)

MIDL_INTERFACE("C2275828-C4B1-4B55-82C9-92135F74DF1A")
IHostTask : public IUnknown
{
public:
    virtual HRESULT STDMETHODCALLTYPE Start(void) = 0;
    virtual HRESULT STDMETHODCALLTYPE Alert(void) = 0;
    virtual HRESULT STDMETHODCALLTYPE Join(DWORD dwMilliseconds, DWORD option) = 0;
    virtual HRESULT STDMETHODCALLTYPE SetPriority(int newPriority) = 0;
    virtual HRESULT STDMETHODCALLTYPE GetPriority(int *pPriority) = 0;
    virtual HRESULT STDMETHODCALLTYPE SetCLRTask(ICLRTask *pCLRTask) = 0;
};

#else /* C style interface */

typedef struct IHostTaskVtbl
{
    BEGIN_INTERFACE
    HRESULT (STDMETHODCALLTYPE *QueryInterface)(IHostTask *This, REFIID riid, void **ppvObject);
    ULONG (STDMETHODCALLTYPE *AddRef)(IHostTask *This);
    ULONG (STDMETHODCALLTYPE *Release)(IHostTask *This);
    HRESULT (STDMETHODCALLTYPE *Start)(IHostTask *This);
    HRESULT (STDMETHODCALLTYPE *Alert)(IHostTask *This);
    HRESULT (STDMETHODCALLTYPE *Join)(IHostTask *This, DWORD dwMilliseconds, DWORD option);
    HRESULT (STDMETHODCALLTYPE *SetPriority)(IHostTask *This, int newPriority);
    HRESULT (STDMETHODCALLTYPE *GetPriority)(IHostTask *This, int *pPriority);
    HRESULT (STDMETHODCALLTYPE *SetCLRTask)(IHostTask *This, ICLRTask *pCLRTask);
    END_INTERFACE
} IHostTaskVtbl;

interface IHostTask
{
    CONST_VTBL struct IHostTaskVtbl *lpVtbl;
};

#ifdef COBJMACROS
#define IHostTask_QueryInterface(This, riid, ppvObject) ((This)->lpVtbl->QueryInterface(This, riid, ppvObject))
#define IHostTask_AddRef(This) ((This)->lpVtbl->AddRef(This))
#define IHostTask_Release(This) ((This)->lpVtbl->Release(This))
#define IHostTask_Start(This) ((This)->lpVtbl->Start(This))
#define IHostTask_Alert(This) ((This)->lpVtbl->Alert(This))
#define IHostTask_Join(This, dwMilliseconds, option) ((This)->lpVtbl->Join(This, dwMilliseconds, option))
#define IHostTask_SetPriority(This, newPriority) ((This)->lpVtbl->SetPriority(This, newPriority))
#define IHostTask_GetPriority(This, pPriority) ((This)->lpVtbl->GetPriority(This, pPriority))
#define IHostTask_SetCLRTask(This, pCLRTask) ((This)->lpVtbl->SetCLRTask(This, pCLRTask))
#endif /* COBJMACROS */

#endif /* C style interface */

#endif /* __IHostTask_INTERFACE_DEFINED__ */

#ifndef __ICLRTaskManager_INTERFACE_DEFINED__
#define __ICLRTaskManager_INTERFACE_DEFINED__

#if defined(__cplusplus) && !defined(CINTERFACE)

MIDL_INTERFACE("4862EFBE-3AE5-44F8-8FEB-346190EE8A34")
ICLRTaskManager : public IUnknown
{
public:
    virtual HRESULT STDMETHODCALLTYPE CreateTask(ICLRTask **pTask) = 0;
    virtual HRESULT STDMETHODCALLTYPE GetCurrentTask(ICLRTask **pTask) = 0;
    virtual HRESULT STDMETHODCALLTYPE SetUILocale(LCID lcid) = 0;
    virtual HRESULT STDMETHODCALLTYPE SetLocale(LCID lcid) = 0;
    virtual HRESULT STDMETHODCALLTYPE GetCurrentTaskType(ETaskType *pTaskType) = 0;
};

#else /* C style interface */

typedef struct ICLRTaskManagerVtbl
{
    BEGIN_INTERFACE
    HRESULT (STDMETHODCALLTYPE *QueryInterface)(ICLRTaskManager *This, REFIID riid, void **ppvObject);
    ULONG (STDMETHODCALLTYPE *AddRef)(ICLRTaskManager *This);
    ULONG (STDMETHODCALLTYPE *Release)(ICLRTaskManager *This);
    HRESULT (STDMETHODCALLTYPE *CreateTask)(ICLRTaskManager *This, ICLRTask **pTask);
    HRESULT (STDMETHODCALLTYPE *GetCurrentTask)(ICLRTaskManager *This, ICLRTask **pTask);
    HRESULT (STDMETHODCALLTYPE *SetUILocale)(ICLRTaskManager *This, LCID lcid);
    HRESULT (STDMETHODCALLTYPE *SetLocale)(ICLRTaskManager *This, LCID lcid);
    HRESULT (STDMETHODCALLTYPE *GetCurrentTaskType)(ICLRTaskManager *This, ETaskType *pTaskType);
    END_INTERFACE
} ICLRTaskManagerVtbl;

interface ICLRTaskManager
{
    CONST_VTBL struct ICLRTaskManagerVtbl *lpVtbl;
};

#ifdef COBJMACROS
#define ICLRTaskManager_QueryInterface(This, riid, ppvObject) ((This)->lpVtbl->QueryInterface(This, riid, ppvObject))
#define ICLRTaskManager_AddRef(This) ((This)->lpVtbl->AddRef(This))
#define ICLRTaskManager_Release(This) ((This)->lpVtbl->Release(This))
#define ICLRTaskManager_CreateTask(This, pTask) ((This)->lpVtbl->CreateTask(This, pTask))
#define ICLRTaskManager_GetCurrentTask(This, pTask) ((This)->lpVtbl->GetCurrentTask(This, pTask))
#define ICLRTaskManager_SetUILocale(This, lcid) ((This)->lpVtbl->SetUILocale(This, lcid))
#define ICLRTaskManager_SetLocale(This, lcid) ((This)->lpVtbl->SetLocale(This, lcid))
#define ICLRTaskManager_GetCurrentTaskType(This, pTaskType) ((This)->lpVtbl->GetCurrentTaskType(This, pTaskType))
#endif /* COBJMACROS */

#endif /* C style interface */

#endif /* __ICLRTaskManager_INTERFACE_DEFINED__ */

#ifndef __IHostTaskManager_INTERFACE_DEFINED__
#define __IHostTaskManager_INTERFACE_DEFINED__

#if defined(__cplusplus) && !defined(CINTERFACE)

MIDL_INTERFACE("997FF24C-43B7-4352-8667-0DC04FAFD354")
IHostTaskManager : public IUnknown
{
public:
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

#else /* C style interface */

typedef struct IHostTaskManagerVtbl
{
    BEGIN_INTERFACE
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
    HRESULT (STDMETHODCALLTYPE *SetCLRTaskManager)(IHostTaskManager *This, ICLRTaskManager *ppManager);
    END_INTERFACE
} IHostTaskManagerVtbl;

interface IHostTaskManager
{
    CONST_VTBL struct IHostTaskManagerVtbl *lpVtbl;
};

#ifdef COBJMACROS
#define IHostTaskManager_QueryInterface(This, riid, ppvObject) ((This)->lpVtbl->QueryInterface(This, riid, ppvObject))
#define IHostTaskManager_AddRef(This) ((This)->lpVtbl->AddRef(This))
#define IHostTaskManager_Release(This) ((This)->lpVtbl->Release(This))
#define IHostTaskManager_GetCurrentTask(This, pTask) ((This)->lpVtbl->GetCurrentTask(This, pTask))
#define IHostTaskManager_CreateTask(This, dwStackSize, pStartAddress, pParameter, ppTask) ((This)->lpVtbl->CreateTask(This, dwStackSize, pStartAddress, pParameter, ppTask))
#define IHostTaskManager_Sleep(This, dwMilliseconds, option) ((This)->lpVtbl->Sleep(This, dwMilliseconds, option))
#define IHostTaskManager_SwitchToTask(This, option) ((This)->lpVtbl->SwitchToTask(This, option))
#define IHostTaskManager_SetUILocale(This, lcid) ((This)->lpVtbl->SetUILocale(This, lcid))
#define IHostTaskManager_SetLocale(This, lcid) ((This)->lpVtbl->SetLocale(This, lcid))
#define IHostTaskManager_CallNeedsHostHook(This, target, pbCallNeedsHostHook) ((This)->lpVtbl->CallNeedsHostHook(This, target, pbCallNeedsHostHook))
#define IHostTaskManager_LeaveRuntime(This, target) ((This)->lpVtbl->LeaveRuntime(This, target))
#define IHostTaskManager_EnterRuntime(This) ((This)->lpVtbl->EnterRuntime(This))
#define IHostTaskManager_ReverseLeaveRuntime(This) ((This)->lpVtbl->ReverseLeaveRuntime(This))
#define IHostTaskManager_ReverseEnterRuntime(This) ((This)->lpVtbl->ReverseEnterRuntime(This))
#define IHostTaskManager_BeginDelayAbort(This) ((This)->lpVtbl->BeginDelayAbort(This))
#define IHostTaskManager_EndDelayAbort(This) ((This)->lpVtbl->EndDelayAbort(This))
#define IHostTaskManager_BeginThreadAffinity(This) ((This)->lpVtbl->BeginThreadAffinity(This))
#define IHostTaskManager_EndThreadAffinity(This) ((This)->lpVtbl->EndThreadAffinity(This))
#define IHostTaskManager_SetStackGuarantee(This, guarantee) ((This)->lpVtbl->SetStackGuarantee(This, guarantee))
#define IHostTaskManager_GetStackGuarantee(This, pGuarantee) ((This)->lpVtbl->GetStackGuarantee(This, pGuarantee))
#define IHostTaskManager_SetCLRTaskManager(This, ppManager) ((This)->lpVtbl->SetCLRTaskManager(This, ppManager))
#endif /* COBJMACROS */

#endif /* C style interface */

#endif /* __IHostTaskManager_INTERFACE_DEFINED__ */

#ifdef __cplusplus
}
#endif

#endif /* __mscoree_h__ */
