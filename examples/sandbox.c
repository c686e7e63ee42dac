/* sandbox.c: a host that denies managed code every P/Invoke into one DLL
   (here example_native.dll) while everything else keeps working. The
   leave_runtime hook vetoes the call: the CLR does not call the target,
   sends no EnterRuntime, and raises a managed exception at the call site
   (the P/Invoke stub throws a failed LeaveRuntime's HRESULT:
   Thread::LeaveRuntimeThrowComplus, vm/threads.cpp).

     sandbox [dll-name]

   Two settings do it:
   - hook_modules names the DLL, so CallNeedsHostHook answers TRUE for
     calls into it and FALSE for every other P/Invoke, which then costs
     nothing (on x86 the CLR asks once per target, on x64 on every call);
   - leave_runtime refuses the calls whose target is inside that DLL. It
     checks the target itself because the CLR also reports its own
     blocking waits through LeaveRuntime, without asking first.

   The veto is E_ACCESSDENIED, which the CLR turns into a managed exception
   for that HRESULT (System.UnauthorizedAccessException: [INF] from the
   CLR's HRESULT-to-exception mapping; the "sandbox" scenario of
   Scenarios.dll prints the type it caught). Avoid E_FAIL, which the CLR
   documents as "the CLR is no longer usable".

   Build (Windows):
     MinGW-w64:  x86_64-w64-mingw32-gcc -O2 -I.. sandbox.c -o sandbox.exe
     MSVC:       cl /nologo /W4 /I.. sandbox.c */
#define CLRHOST_TASK_IMPLEMENTATION
#include "../clrhost_task.h"
#include "clr_start.h"

/* A command-line argument as the wide string the hosting API takes;
   FALSE when it does not fit. */
static BOOL widen(const char *text, wchar_t *wide, int capacity)
{
    return MultiByteToWideChar(CP_ACP, 0, text, -1, wide, capacity) > 0;
}

static wchar_t denied_dll[MAX_PATH] = L"example_native.dll";
static LONG denials;

/* The module that contains `address`, without taking a reference on it. */
static HMODULE module_of(SIZE_T address)
{
    HMODULE module = NULL;
    if (!GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS | GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
                            (LPCWSTR)address, &module))
        return NULL;
    return module;
}

/* Runs on the calling thread, before the native call. The header keeps
   the thread's last-error value as it was, whatever these calls do to it. */
static HRESULT deny_calls_into_dll(void *user, clrhost_task *task, SIZE_T target)
{
    HMODULE denied = GetModuleHandleW(denied_dll); /* loaded by the CLR before the call binds */
    (void)user;
    if (!denied || module_of(target) != denied)
        return S_OK;
    InterlockedIncrement(&denials);
    printf("sandbox: denied thread %lu a call into %ls (target %p)\n", (unsigned long)clrhost_task_thread_id(task),
           denied_dll, (void *)target);
    return E_ACCESSDENIED;
}

int main(int argc, char **argv)
{
    char dll_name[MAX_PATH] = "example_native.dll";
    const char *hook_modules[2];
    clrhost_task_config cfg;
    clrhost_task_manager *tm = NULL;
    IHostControl *hc = NULL;
    ICLRRuntimeHost *host = NULL;
    DWORD result = 0;
    HRESULT hr;
    int failure;

    if (argc > 2 || (argc == 2 && (strlen(argv[1]) >= sizeof dll_name || !widen(argv[1], denied_dll, MAX_PATH)))) {
        fprintf(stderr, "usage: sandbox [dll-name]\n");
        return 1;
    }
    if (argc == 2)
        memcpy(dll_name, argv[1], strlen(argv[1]) + 1);
    hook_modules[0] = dll_name;
    hook_modules[1] = NULL;

    memset(&cfg, 0, sizeof cfg);
    cfg.hook_modules = hook_modules; /* copied by clrhost_task_manager_create */
    cfg.hooks.leave_runtime = deny_calls_into_dll;
    hr = clrhost_task_manager_create(&cfg, &tm);
    if (SUCCEEDED(hr))
        hr = clrhost_task_host_control_create(tm, NULL, &hc);
    if (FAILED(hr)) {
        example_fail("sandbox", "could not create the task manager", hr);
        return 1;
    }
    failure = example_clr_start("sandbox", hc, &host);
    if (failure)
        return failure; /* if the CLR was loaded it keeps tm and hc: never release them */
    failure = example_clr_run("sandbox", host, L"Scenarios.dll", L"ClrHostTask.Examples.Scenarios", L"Run",
                              L"sandbox", &result);
    printf("sandbox: %ld call(s) denied; the managed code %s\n", (long)denials,
           failure ? "was NOT stopped as it should have been" : "got an exception and went on");
    return failure;
}
