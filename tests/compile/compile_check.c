/* Builds the header, implementation included, under each toolchain's
   strictest flags, as C (C89 up) and, with -x c++, as C++ (C++98 up), and
   makes a few calls through the SDK-named interfaces the way a host would:
   lpVtbl in C, virtual calls in C++; abi_checks.h checks slots and codes at
   compile time, clrhost_task_self_check() the vtables at run time. Returns
   0 when every check passed. */
#include "../../clrhost_task.h"
#define CLRHOST_TASK_IMPLEMENTATION
#include "../../clrhost_task.h"
#include "abi_checks.h"

/* IIDs as mscoree.idl gives them: our objects must answer. */
static const GUID check_IID_IUnknown =
    {0x00000000, 0x0000, 0x0000, {0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46}};
static const GUID check_IID_IHostTaskManager =
    {0x997FF24C, 0x43B7, 0x4352, {0x86, 0x67, 0x0D, 0xC0, 0x4F, 0xAF, 0xD3, 0x54}};
static const GUID check_IID_IHostTask =
    {0xC2275828, 0xC4B1, 0x4B55, {0x82, 0xC9, 0x92, 0x13, 0x5F, 0x74, 0xDF, 0x1A}};
static const GUID check_IID_IHostControl =
    {0x02CA073C, 0x7079, 0x4860, {0x88, 0x0A, 0xC2, 0xF7, 0xA4, 0x49, 0xC9, 0x91}};

int main(void)
{
    clrhost_task_config cfg;
    clrhost_task_manager *m = NULL;
    IHostControl *hc = NULL;
    IHostTaskManager *tm = NULL;
    IHostTask *task = NULL;
    void *obtained = NULL, *same = NULL;
    BOOL hooked = TRUE;
    int bad = 0;
    memset(&cfg, 0, sizeof cfg);
    if (clrhost_task_self_check() != NULL) /* every slot holds its method */
        return 4;
    if (clrhost_task_manager_create(&cfg, &m) != S_OK)
        return 1;
    if (clrhost_task_host_control_create(m, NULL, &hc) != S_OK)
        return 2;
#if defined(__cplusplus) && !defined(CINTERFACE)
    bad |= hc->GetHostManager(check_IID_IHostTaskManager, &obtained) != S_OK;
    tm = (IHostTaskManager *)obtained;
    bad |= tm != clrhost_task_manager_iface(m);
    bad |= tm->CallNeedsHostHook(0x1000, &hooked) != S_OK || hooked != FALSE;
    bad |= tm->SetUILocale(0x409) != S_OK;
    bad |= hc->QueryInterface(check_IID_IHostControl, &same) != S_OK || same != (void *)hc;
    bad |= hc->Release() != 1;
    bad |= tm->QueryInterface(check_IID_IUnknown, &same) != S_OK || same != (void *)tm;
    bad |= tm->Release() != 3; /* creator, host control, GetHostManager */
    if (tm->GetCurrentTask(&task) != S_OK || task == NULL) /* adopts this thread */
        return 5;
    bad |= task->QueryInterface(check_IID_IHostTask, &same) != S_OK || same != (void *)task;
    bad |= task->Release() != 2; /* the QueryInterface reference */
    bad |= task->Release() != 1; /* GetCurrentTask's; the thread keeps one */
    bad |= tm->Release() != 3; /* creator, host control, this thread's task */
    bad |= hc->Release() != 0;
#else
    bad |= hc->lpVtbl->GetHostManager(hc, &check_IID_IHostTaskManager, &obtained) != S_OK;
    tm = (IHostTaskManager *)obtained;
    bad |= tm != clrhost_task_manager_iface(m);
    bad |= tm->lpVtbl->CallNeedsHostHook(tm, 0x1000, &hooked) != S_OK || hooked != FALSE;
    bad |= tm->lpVtbl->SetUILocale(tm, 0x409) != S_OK;
    bad |= hc->lpVtbl->QueryInterface(hc, &check_IID_IHostControl, &same) != S_OK || same != (void *)hc;
    bad |= hc->lpVtbl->Release(hc) != 1;
    bad |= tm->lpVtbl->QueryInterface(tm, &check_IID_IUnknown, &same) != S_OK || same != (void *)tm;
    bad |= tm->lpVtbl->Release(tm) != 3; /* creator, host control, GetHostManager */
    if (tm->lpVtbl->GetCurrentTask(tm, &task) != S_OK || task == NULL) /* adopts this thread */
        return 5;
    bad |= task->lpVtbl->QueryInterface(task, &check_IID_IHostTask, &same) != S_OK || same != (void *)task;
    bad |= task->lpVtbl->Release(task) != 2; /* the QueryInterface reference */
    bad |= task->lpVtbl->Release(task) != 1; /* GetCurrentTask's; the thread keeps one */
    bad |= tm->lpVtbl->Release(tm) != 3; /* creator, host control, this thread's task */
    bad |= hc->lpVtbl->Release(hc) != 0;
#endif
    /* This thread keeps its task (and so the manager) until it exits. */
    bad |= clrhost_task_manager_release(m) != 1;
    return bad ? 3 : 0;
}
