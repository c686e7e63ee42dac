/* A DLL with the implementation inside that makes a manager with a
   quantum (so a monitor thread) from its DllMain, as a host DLL may
   (tests/suite/win32_lifetime.c, children quantum_attach and
   quantum_exit). WIN32_QUANTUM_DLL in the environment says when it
   releases it:
     attach   in DLL_PROCESS_ATTACH, right after making it: the monitor
              thread cannot have run yet, as it needs the loader lock
              that DllMain holds;
     exit     in DLL_PROCESS_DETACH at process exit, after ExitProcess
              ended every other thread, the monitor too.
   Either way the release must return. */
#define CLRHOST_TASK_IMPLEMENTATION
#include "../../clrhost_task.h"

static clrhost_task_manager *kept;

static clrhost_task_manager *make_manager(void)
{
    clrhost_task_config cfg;
    clrhost_task_manager *m = NULL;
    memset(&cfg, 0, sizeof cfg);
    cfg.schedule.slots = 1;
    cfg.schedule.quantum_ms = 10;
    return clrhost_task_manager_create(&cfg, &m) == S_OK ? m : NULL;
}

BOOL WINAPI DllMain(HINSTANCE dll, DWORD reason, LPVOID reserved);
BOOL WINAPI DllMain(HINSTANCE dll, DWORD reason, LPVOID reserved)
{
    WCHAR mode[16];
    (void)dll;
    if (reason == DLL_PROCESS_ATTACH) {
        clrhost_task_manager *m = make_manager();
        if (!m || !GetEnvironmentVariableW(L"WIN32_QUANTUM_DLL", mode, 16))
            return FALSE;
        if (lstrcmpW(mode, L"attach") == 0)
            clrhost_task_manager_release(m);
        else
            kept = m;
    } else if (reason == DLL_PROCESS_DETACH && kept && reserved) { /* reserved: the process exits */
        clrhost_task_manager_release(kept);
        kept = NULL;
    }
    return TRUE;
}
