/* A DLL whose DLL_THREAD_DETACH calls back into its host, the way a
   mixed-mode DLL's detach could enter the runtime (tests/suite/win32_lifetime.c). */
#include <windows.h>

typedef void (*detach_hook_fn)(void);
static detach_hook_fn detach_hook;

__declspec(dllexport) void detach_hook_set(detach_hook_fn fn);
void detach_hook_set(detach_hook_fn fn) { detach_hook = fn; }

BOOL WINAPI DllMain(HINSTANCE dll, DWORD reason, LPVOID reserved)
{
    (void)dll;
    (void)reserved;
    if (reason == DLL_THREAD_DETACH && detach_hook)
        detach_hook();
    return TRUE;
}
