/* throttle.c: cap the managed code a host runs beside its own work. The
   scheduler (clrhost_task_config.schedule) lets at most `slots` of the
   CLR's threads run managed code at once; their native calls and waits do
   not count, so a thread that calls out gives its slot to a waiting one.
   Printed when the managed code is done: each thread's time holding a
   slot (managed code), waiting for one, in native calls, and over the cap
   (managed code without a slot: the scheduler never makes a thread wait
   where the CLR cannot afford it, and lets it run instead), and the
   managed time of all threads against the wall time, which the cap keeps
   at or below `slots`, and the share of it over the cap.

     throttle [threads [slots [quantum_ms]]]

   It runs the "throttle" scenario of Scenarios.dll (examples/managed):
   threads (default 8) each alternate about 20 ms of managed CPU work (a
   loop that calls nothing, of a length measured first) with a 20 ms
   native call (example_native.dll's example_block_ms), five times,
   on `slots` (default 2). With a quantum (default 0: none), a thread that
   keeps its slot longer than that while others wait is made to yield at
   its next safe point (ICLRTask::YieldTask).

   Build (Windows):
     MinGW-w64:  x86_64-w64-mingw32-gcc -O2 -I.. throttle.c -o throttle.exe
     MSVC:       cl /nologo /W4 /I.. throttle.c */
#define CLRHOST_TASK_IMPLEMENTATION
#include "../clrhost_task.h"
#include "clr_start.h"

#include <stdlib.h>

#define MAX_ROWS 256

typedef struct row {
    DWORD thread_id;
    clrhost_task_kind kind;
    clrhost_task_counters c;
} row;

static struct {
    CRITICAL_SECTION lock; /* task_end hooks run on many threads at once */
    row rows[MAX_ROWS];
    int count;
} table;

/* The threads' figures, taken when each ends: the last moment its task
   exists, after it gave its slot up. Only those that were scheduled. */
static void on_task_end(void *user, clrhost_task *task)
{
    row r;
    (void)user;
    clrhost_task_get_counters(task, &r.c);
    if (r.c.slot_takes + r.c.over_cap == 0) /* never scheduled: the finalizer, the thread that started the CLR */
        return;
    r.thread_id = clrhost_task_thread_id(task);
    r.kind = clrhost_task_get_kind(task);
    EnterCriticalSection(&table.lock);
    if (table.count < MAX_ROWS)
        table.rows[table.count++] = r;
    LeaveCriticalSection(&table.lock);
}

static void print_table(unsigned slots, double wall_ms)
{
    double managed_ms = 0, over_ms = 0;
    int i;
    printf("\n%8s  %-17s  %10s  %12s  %10s  %7s  %9s  %12s\n", "thread", "kind (the CLR's)", "managed ms",
           "slot wait ms", "native ms", "waited", "handoffs", "over cap ms");
    for (i = 0; i < table.count; ++i) {
        const row *r = &table.rows[i];
        printf("%8lu  %-17s  %10.1f  %12.1f  %10.1f  %7llu  %9llu  %12.1f\n", (unsigned long)r->thread_id,
               clrhost_task_kind_name(r->kind), (double)r->c.slot_ns / 1e6, (double)r->c.slot_wait_ns / 1e6,
               (double)r->c.native_call_ns / 1e6, (unsigned long long)r->c.slot_waits,
               (unsigned long long)r->c.slot_handoffs, (double)r->c.over_cap_ns / 1e6);
        managed_ms += (double)r->c.slot_ns / 1e6;
        over_ms += (double)r->c.over_cap_ns / 1e6;
    }
    printf("\n%d scheduled threads on %u slots: managed time %.1f ms in %.1f ms of wall time: "
           "%.2f slots busy on average (at most %u)\n",
           table.count, slots, managed_ms, wall_ms, wall_ms > 0 ? managed_ms / wall_ms : 0.0, slots);
    printf("over the cap: %.1f ms of %.1f ms of managed code (%.1f%%)\n", over_ms, managed_ms + over_ms,
           managed_ms + over_ms > 0 ? 100.0 * over_ms / (managed_ms + over_ms) : 0.0);
}

int main(int argc, char **argv)
{
    wchar_t argument[32];
    int threads = argc > 1 ? atoi(argv[1]) : 8;
    int slots = argc > 2 ? atoi(argv[2]) : 2;
    int quantum = argc > 3 ? atoi(argv[3]) : 0;
    clrhost_task_config cfg;
    clrhost_task_manager *tm = NULL;
    IHostControl *hc = NULL;
    ICLRRuntimeHost *host = NULL;
    DWORD result = 0;
    ULONGLONG start;
    HRESULT hr;
    int failure;

    if (argc > 4 || threads < 1 || threads > 256 || slots < 1 || slots > CLRHOST_TASK_MAX_SLOTS || quantum < 0) {
        fprintf(stderr, "usage: throttle [threads, 1 to 256 [slots, 1 to %d [quantum_ms]]]\n", CLRHOST_TASK_MAX_SLOTS);
        return 1;
    }
    swprintf(argument, sizeof argument / sizeof argument[0], L"throttle:%d", threads);
    InitializeCriticalSection(&table.lock);

    memset(&cfg, 0, sizeof cfg);
    cfg.flags = CLRHOST_TASK_TIMING; /* native, slot and over-cap times */
    cfg.hooks.task_end = on_task_end;
    cfg.schedule.slots = (unsigned)slots; /* user threads, thread-pool workers, I/O threads */
    cfg.schedule.quantum_ms = (unsigned)quantum;
    hr = clrhost_task_manager_create(&cfg, &tm);
    if (SUCCEEDED(hr))
        hr = clrhost_task_host_control_create(tm, NULL, &hc);
    if (FAILED(hr)) {
        example_fail("throttle", "could not create the task manager", hr);
        return 1;
    }
    failure = example_clr_start("throttle", hc, &host);
    start = GetTickCount64();
    if (!failure)
        failure = example_clr_run("throttle", host, L"Scenarios.dll", L"ClrHostTask.Examples.Scenarios", L"Run",
                                  argument, &result);
    if (failure)
        return failure; /* if the CLR was loaded it keeps tm and hc: never release them */

    print_table((unsigned)slots, (double)(GetTickCount64() - start));
    return 0;
}
