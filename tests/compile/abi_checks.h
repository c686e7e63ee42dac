/* Compile-time checks of the interfaces as the including program sees them
   (declared by clrhost_task.h, by MinGW-w64's mscoree.h or by the Windows
   SDK's), against mscoree.idl and corerror.h: the slot of every method in
   the C declarations, and the value of every HOST_E_ code. Included by
   every program of the compile matrix. Slot lists written out once from
   mscoree.idl; the header checks its own private vtables the same way. */
#ifndef CLRHOST_TEST_ABI_CHECKS_H
#define CLRHOST_TEST_ABI_CHECKS_H

#include <stddef.h>

#define ABI_CHECK(name, cond) typedef char abi_check_##name[(cond) ? 1 : -1]

#if !defined(__cplusplus) || defined(CINTERFACE)
/* C declarations: lpVtbl structs whose members must sit at these slots. */
#define ABI_SLOT(itf, method, n) ABI_CHECK(itf##_##method, offsetof(itf##Vtbl, method) == (n) * sizeof(void (*)(void)))
ABI_SLOT(IHostControl, QueryInterface, 0);
ABI_SLOT(IHostControl, AddRef, 1);
ABI_SLOT(IHostControl, Release, 2);
ABI_SLOT(IHostControl, GetHostManager, 3);
ABI_SLOT(IHostControl, SetAppDomainManager, 4);
ABI_CHECK(IHostControl_size, sizeof(IHostControlVtbl) == 5 * sizeof(void (*)(void)));
ABI_SLOT(ICLRTask, QueryInterface, 0);
ABI_SLOT(ICLRTask, AddRef, 1);
ABI_SLOT(ICLRTask, Release, 2);
ABI_SLOT(ICLRTask, SwitchIn, 3);
ABI_SLOT(ICLRTask, SwitchOut, 4);
ABI_SLOT(ICLRTask, GetMemStats, 5);
ABI_SLOT(ICLRTask, Reset, 6);
ABI_SLOT(ICLRTask, ExitTask, 7);
ABI_SLOT(ICLRTask, Abort, 8);
ABI_SLOT(ICLRTask, RudeAbort, 9);
ABI_SLOT(ICLRTask, NeedsPriorityScheduling, 10);
ABI_SLOT(ICLRTask, YieldTask, 11);
ABI_SLOT(ICLRTask, LocksHeld, 12);
ABI_SLOT(ICLRTask, SetTaskIdentifier, 13);
ABI_CHECK(ICLRTask_size, sizeof(ICLRTaskVtbl) == 14 * sizeof(void (*)(void)));
ABI_SLOT(IHostTask, QueryInterface, 0);
ABI_SLOT(IHostTask, AddRef, 1);
ABI_SLOT(IHostTask, Release, 2);
ABI_SLOT(IHostTask, Start, 3);
ABI_SLOT(IHostTask, Alert, 4);
ABI_SLOT(IHostTask, Join, 5);
ABI_SLOT(IHostTask, SetPriority, 6);
ABI_SLOT(IHostTask, GetPriority, 7);
ABI_SLOT(IHostTask, SetCLRTask, 8);
ABI_CHECK(IHostTask_size, sizeof(IHostTaskVtbl) == 9 * sizeof(void (*)(void)));
ABI_SLOT(ICLRTaskManager, QueryInterface, 0);
ABI_SLOT(ICLRTaskManager, AddRef, 1);
ABI_SLOT(ICLRTaskManager, Release, 2);
ABI_SLOT(ICLRTaskManager, CreateTask, 3);
ABI_SLOT(ICLRTaskManager, GetCurrentTask, 4);
ABI_SLOT(ICLRTaskManager, SetUILocale, 5);
ABI_SLOT(ICLRTaskManager, SetLocale, 6);
ABI_SLOT(ICLRTaskManager, GetCurrentTaskType, 7);
ABI_CHECK(ICLRTaskManager_size, sizeof(ICLRTaskManagerVtbl) == 8 * sizeof(void (*)(void)));
ABI_SLOT(IHostTaskManager, QueryInterface, 0);
ABI_SLOT(IHostTaskManager, AddRef, 1);
ABI_SLOT(IHostTaskManager, Release, 2);
ABI_SLOT(IHostTaskManager, GetCurrentTask, 3);
ABI_SLOT(IHostTaskManager, CreateTask, 4);
ABI_SLOT(IHostTaskManager, Sleep, 5);
ABI_SLOT(IHostTaskManager, SwitchToTask, 6);
ABI_SLOT(IHostTaskManager, SetUILocale, 7);
ABI_SLOT(IHostTaskManager, SetLocale, 8);
ABI_SLOT(IHostTaskManager, CallNeedsHostHook, 9);
ABI_SLOT(IHostTaskManager, LeaveRuntime, 10);
ABI_SLOT(IHostTaskManager, EnterRuntime, 11);
ABI_SLOT(IHostTaskManager, ReverseLeaveRuntime, 12);
ABI_SLOT(IHostTaskManager, ReverseEnterRuntime, 13);
ABI_SLOT(IHostTaskManager, BeginDelayAbort, 14);
ABI_SLOT(IHostTaskManager, EndDelayAbort, 15);
ABI_SLOT(IHostTaskManager, BeginThreadAffinity, 16);
ABI_SLOT(IHostTaskManager, EndThreadAffinity, 17);
ABI_SLOT(IHostTaskManager, SetStackGuarantee, 18);
ABI_SLOT(IHostTaskManager, GetStackGuarantee, 19);
ABI_SLOT(IHostTaskManager, SetCLRTaskManager, 20);
ABI_CHECK(IHostTaskManager_size, sizeof(IHostTaskManagerVtbl) == 21 * sizeof(void (*)(void)));
#endif

/* HOST_E_* (facility 0x13), whoever defined them. */
ABI_CHECK(HOST_E_DEADLOCK, HOST_E_DEADLOCK == (HRESULT)0x80131020L);
ABI_CHECK(HOST_E_INTERRUPTED, HOST_E_INTERRUPTED == (HRESULT)0x80131021L);
ABI_CHECK(HOST_E_INVALIDOPERATION, HOST_E_INVALIDOPERATION == (HRESULT)0x80131022L);
ABI_CHECK(HOST_E_CLRNOTAVAILABLE, HOST_E_CLRNOTAVAILABLE == (HRESULT)0x80131023L);
ABI_CHECK(HOST_E_TIMEOUT, HOST_E_TIMEOUT == (HRESULT)0x80131024L);
ABI_CHECK(HOST_E_NOT_OWNER, HOST_E_NOT_OWNER == (HRESULT)0x80131025L);
ABI_CHECK(HOST_E_ABANDONED, HOST_E_ABANDONED == (HRESULT)0x80131026L);
ABI_CHECK(HOST_E_EXITPROCESS_THREADABORT, HOST_E_EXITPROCESS_THREADABORT == (HRESULT)0x80131027L);
ABI_CHECK(HOST_E_EXITPROCESS_ADUNLOAD, HOST_E_EXITPROCESS_ADUNLOAD == (HRESULT)0x80131028L);
ABI_CHECK(HOST_E_EXITPROCESS_TIMEOUT, HOST_E_EXITPROCESS_TIMEOUT == (HRESULT)0x80131029L);
ABI_CHECK(HOST_E_EXITPROCESS_OUTOFMEMORY, HOST_E_EXITPROCESS_OUTOFMEMORY == (HRESULT)0x8013102AL);
ABI_CHECK(HOST_E_EXITPROCESS_STACKOVERFLOW, HOST_E_EXITPROCESS_STACKOVERFLOW == (HRESULT)0x8013102BL);

/* WAIT_OPTION values. */
ABI_CHECK(WAIT_MSGPUMP, WAIT_MSGPUMP == 0x1);
ABI_CHECK(WAIT_ALERTABLE, WAIT_ALERTABLE == 0x2);
ABI_CHECK(WAIT_NOTINDEADLOCK, WAIT_NOTINDEADLOCK == 0x4);

#endif
