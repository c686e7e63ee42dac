/* watchdog.c: a monitor thread beside the CLR. Every second it lists the
   tasks stuck outside the runtime for more than 2 s, with the module and
   export of the native code they are in (named on the monitor thread,
   never on theirs), and, when asked, aborts the managed threads that have
   been running managed code for longer than a limit.

     watchdog [stuck_ms [abort_after_ms]]

   It runs the "stuck" scenario of Scenarios.dll (examples/managed): one
   thread blocked for stuck_ms (default 3000) in example_native.dll's
   example_block_ms, one spinning in managed code for up to twice that.
   abort_after_ms (default 0: never) aborts the spinner (Thread.Abort, as
   the CLR's ICLRTask::Abort requests it) once it has spun that long. Only
   tasks that run are looked at: a task in one of the CLR's own waits, in
   Thread.Sleep or in Thread.Join is waiting, not stuck.

   Build (Windows):
     MinGW-w64:  x86_64-w64-mingw32-gcc -O2 -I.. watchdog.c -o watchdog.exe
     MSVC:       cl /nologo /W4 /I.. watchdog.c */
#define CLRHOST_TASK_IMPLEMENTATION
#include "../clrhost_task.h"
#include "clr_start.h"

#include <stdlib.h>

#define STUCK_MS 2000 /* outside the runtime this long: reported */
#define MAX_VIEWS 64
#define MAX_ABORTED 64

static struct {
    clrhost_task_manager *tm;
    ULONGLONG abort_after_ms;
    HANDLE stop; /* set when the managed code is done */
    long reports, aborts;
    DWORD aborted[MAX_ABORTED]; /* each thread is aborted once */
    int aborted_count;
} dog;

static BOOL aborted_before(DWORD thread_id)
{
    int i;
    for (i = 0; i < dog.aborted_count; ++i)
        if (dog.aborted[i] == thread_id)
            return TRUE;
    return FALSE;
}

static void report_stuck(void)
{
    clrhost_task_view views[MAX_VIEWS];
    size_t n = 0, i;
    /* With timing on, the list knows how long each task has been there. */
    if (FAILED(clrhost_task_manager_list(dog.tm, CLRHOST_TASK_LIST_IN_NATIVE | CLRHOST_TASK_LIST_RUNNING, STUCK_MS,
                                         views, MAX_VIEWS, &n)))
        return;
    for (i = 0; i < n; ++i) {
        char where[300];
        clrhost_task_describe_target(views[i].native_target, where, sizeof where);
        printf("watchdog: thread %lu (%s) outside the runtime for %.1f s, in %s\n",
               (unsigned long)views[i].thread_id, clrhost_task_kind_name(views[i].kind),
               (double)views[i].state_ns / 1e9, where);
        ++dog.reports;
    }
    clrhost_task_views_release(views, n);
}

static void abort_spinners(void)
{
    clrhost_task_view views[MAX_VIEWS];
    size_t n = 0, i;
    if (!dog.abort_after_ms ||
        FAILED(clrhost_task_manager_list(dog.tm, CLRHOST_TASK_LIST_IN_MANAGED | CLRHOST_TASK_LIST_RUNNING,
                                         dog.abort_after_ms, views, MAX_VIEWS, &n)))
        return;
    for (i = 0; i < n; ++i) {
        HRESULT hr;
        /* Only the threads managed code started: never the host's own
           threads (adopted), never the CLR's (the finalizer and the like). */
        if (views[i].kind != CLRHOST_TASK_KIND_USER || views[i].adopted || aborted_before(views[i].thread_id))
            continue;
        hr = clrhost_task_abort(views[i].task, FALSE);
        printf("watchdog: thread %lu (%s) in managed code for %.1f s: aborted (0x%08lX)\n",
               (unsigned long)views[i].thread_id, clrhost_task_kind_name(views[i].kind),
               (double)views[i].state_ns / 1e9, (unsigned long)hr);
        if (SUCCEEDED(hr) && dog.aborted_count < MAX_ABORTED) {
            dog.aborted[dog.aborted_count++] = views[i].thread_id;
            ++dog.aborts;
        }
    }
    clrhost_task_views_release(views, n);
}

/* The monitor: a plain thread of the host's, which the CLR never sees. */
static DWORD WINAPI monitor(LPVOID unused)
{
    (void)unused;
    while (WaitForSingleObject(dog.stop, 1000) == WAIT_TIMEOUT) {
        report_stuck();
        abort_spinners();
        fflush(stdout);
    }
    return 0;
}

int main(int argc, char **argv)
{
    wchar_t argument[32];
    int stuck_ms = argc > 1 ? atoi(argv[1]) : 3000;
    int abort_after_ms = argc > 2 ? atoi(argv[2]) : 0;
    clrhost_task_config cfg;
    IHostControl *hc = NULL;
    ICLRRuntimeHost *host = NULL;
    HANDLE thread;
    DWORD result = 0;
    HRESULT hr;
    int failure;

    if (argc > 3 || stuck_ms < 1 || stuck_ms > 600000 || abort_after_ms < 0) {
        fprintf(stderr, "usage: watchdog [stuck_ms, 1 to 600000 [abort_after_ms]]\n");
        return 1;
    }
    setvbuf(stdout, NULL, _IONBF, 0);
    swprintf(argument, sizeof argument / sizeof argument[0], L"stuck:%d", stuck_ms);
    dog.abort_after_ms = (ULONGLONG)abort_after_ms;

    memset(&cfg, 0, sizeof cfg);
    cfg.flags = CLRHOST_TASK_TIMING; /* for how long each task has been where it is */
    hr = clrhost_task_manager_create(&cfg, &dog.tm);
    if (SUCCEEDED(hr))
        hr = clrhost_task_host_control_create(dog.tm, NULL, &hc);
    if (FAILED(hr)) {
        example_fail("watchdog", "could not create the task manager", hr);
        return 1;
    }
    failure = example_clr_start("watchdog", hc, &host);
    if (failure)
        return failure; /* if the CLR was loaded it keeps tm and hc: never release them */
    dog.stop = CreateEventW(NULL, TRUE, FALSE, NULL);
    thread = dog.stop ? CreateThread(NULL, 0, monitor, NULL, 0, NULL) : NULL;
    if (!thread) {
        example_fail("watchdog", "could not start the monitor thread", HRESULT_FROM_WIN32(GetLastError()));
        return 1;
    }
    failure = example_clr_run("watchdog", host, L"Scenarios.dll", L"ClrHostTask.Examples.Scenarios", L"Run",
                              argument, &result);
    SetEvent(dog.stop);
    WaitForSingleObject(thread, INFINITE);
    CloseHandle(thread);
    CloseHandle(dog.stop);
    printf("watchdog: %ld report(s), %ld abort(s)\n", dog.reports, dog.aborts);
    return failure;
}
