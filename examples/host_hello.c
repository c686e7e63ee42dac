/* host_hello.c: the smallest complete host. It starts the .NET Framework 4
   CLR with clrhost_task.h's task manager, runs a managed method, and
   prints for every thread how many transitions it made (calls out: every
   LeaveRuntime, P/Invokes and the CLR's own blocking waits; calls in:
   ReverseEnterRuntime) and how long it spent outside the runtime.

     host_hello [assembly [type method [argument]]]

   By default it runs Scenarios.dll (examples/managed), type
   ClrHostTask.Examples.Scenarios, method Run, argument "all"; the method
   must be `static int Method(string)`. A relative assembly path is taken
   beside host_hello.exe. Exit code 0 when the method returned 0, else one
   of clr_start.h's codes (2: no .NET Framework 4, ..., 5: the managed
   code failed) after a one-line reason.

   Build (Windows, the bitness of the .NET code you run):
     MinGW-w64:  x86_64-w64-mingw32-gcc -O2 -I.. host_hello.c -o host_hello.exe
     MSVC:       cl /nologo /W4 /I.. host_hello.c */
#define CLRHOST_TASK_IMPLEMENTATION
#include "../clrhost_task.h"
#include "clr_start.h"

/* A command-line argument as the wide string the hosting API takes;
   FALSE when it does not fit. */
static BOOL widen(const char *text, wchar_t *wide, int capacity)
{
    return MultiByteToWideChar(CP_ACP, 0, text, -1, wide, capacity) > 0;
}

static void print_task(const char *when, clrhost_task *task)
{
    clrhost_task_counters c;
    clrhost_task_get_counters(task, &c);
    printf("thread %6lu %-7s %-5s %5llu calls out, %5llu calls in, %8.1f ms outside the runtime\n",
           (unsigned long)clrhost_task_thread_id(task), clrhost_task_is_adopted(task) ? "adopted" : "created",
           when, (unsigned long long)c.leave_runtime, (unsigned long long)c.reverse_enter_runtime,
           (double)(c.native_call_ns + c.native_wait_ns) / 1e6);
}

/* Runs on each ending thread, after the CLR's ExitTask: its last word. */
static void on_task_end(void *user, clrhost_task *task)
{
    (void)user;
    print_task("ended", task);
}

static void print_live_task(void *ctx, clrhost_task *task)
{
    (void)ctx;
    print_task("live", task);
}

int main(int argc, char **argv)
{
    wchar_t assembly[MAX_PATH] = L"Scenarios.dll";
    wchar_t type[256] = L"ClrHostTask.Examples.Scenarios";
    wchar_t method[256] = L"Run";
    wchar_t argument[256] = L"all";
    clrhost_task_config cfg;
    clrhost_task_manager *tm = NULL;
    IHostControl *hc = NULL;
    ICLRRuntimeHost *host = NULL;
    clrhost_task_manager_stats st;
    DWORD result = 0;
    HRESULT hr;
    int failure;

    if (argc > 5 || argc == 3 || (argc > 1 && !widen(argv[1], assembly, MAX_PATH)) ||
        (argc > 3 && (!widen(argv[2], type, 256) || !widen(argv[3], method, 256))) ||
        (argc > 4 && !widen(argv[4], argument, 256))) {
        fprintf(stderr, "usage: host_hello [assembly [type method [argument]]]\n");
        return 1;
    }

    memset(&cfg, 0, sizeof cfg);
    cfg.flags = CLRHOST_TASK_TIMING; /* time outside the runtime; hooks every P/Invoke */
    cfg.hooks.task_end = on_task_end;
    hr = clrhost_task_manager_create(&cfg, &tm);
    if (SUCCEEDED(hr))
        hr = clrhost_task_host_control_create(tm, NULL, &hc);
    if (FAILED(hr)) {
        example_fail("host_hello", "could not create the task manager", hr);
        return 1;
    }
    failure = example_clr_start("host_hello", hc, &host);
    if (failure)
        return failure; /* if the CLR was loaded it keeps tm and hc: never release them */
    failure = example_clr_run("host_hello", host, assembly, type, method, argument, &result);
    if (failure && failure != EXAMPLE_EXIT_MANAGED_FAILED)
        return failure; /* nothing ran */

    clrhost_task_manager_foreach(tm, print_live_task, NULL);
    clrhost_task_manager_get_stats(tm, &st);
    printf("%ls returned %lu. %llu tasks (%llu created by the CLR, %llu adopted), "
           "%llu calls out to native code, %llu calls in from native code, %llu protocol errors\n",
           method, (unsigned long)result, (unsigned long long)(st.tasks_created + st.tasks_adopted),
           (unsigned long long)st.tasks_created, (unsigned long long)st.tasks_adopted,
           (unsigned long long)st.totals.leave_runtime, (unsigned long long)st.totals.reverse_enter_runtime,
           (unsigned long long)st.totals.protocol_errors);
    return failure;
}
