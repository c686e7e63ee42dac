/* Builds the header, implementation included, under each toolchain's
   strictest flags, as C (C89 up) and, with -x c++, as C++ (C++98 up), and
   makes a few calls through the SDK-named interfaces the way a host would:
   lpVtbl in C, virtual calls in C++; abi_checks.h checks slots and codes at
   compile time, clrhost_task_self_check() the vtables at run time. Returns
   0 when every check passed. */
#include "../clrhost_task.h"
#define CLRHOST_TASK_IMPLEMENTATION
#include "../clrhost_task.h"
#include "abi_checks.h"

static const GUID check_IID_IHostTaskManager =
    {0x997FF24C, 0x43B7, 0x4352, {0x86, 0x67, 0x0D, 0xC0, 0x4F, 0xAF, 0xD3, 0x54}};

int main(void)
{
    clrhost_task_config cfg;
    clrhost_task_manager *m = NULL;
    IHostControl *hc = NULL;
    IHostTaskManager *tm = NULL;
    void *obtained = NULL;
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
    bad |= tm->Release() != 2;
    bad |= hc->Release() != 0;
#else
    bad |= hc->lpVtbl->GetHostManager(hc, &check_IID_IHostTaskManager, &obtained) != S_OK;
    tm = (IHostTaskManager *)obtained;
    bad |= tm != clrhost_task_manager_iface(m);
    bad |= tm->lpVtbl->CallNeedsHostHook(tm, 0x1000, &hooked) != S_OK || hooked != FALSE;
    bad |= tm->lpVtbl->SetUILocale(tm, 0x409) != S_OK;
    bad |= tm->lpVtbl->Release(tm) != 2;
    bad |= hc->lpVtbl->Release(hc) != 0;
#endif
    bad |= clrhost_task_manager_release(m) != 0;
    return bad ? 3 : 0;
}
