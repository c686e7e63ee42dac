/* native_time.c: a profiler host. Which threads spend how long outside the
   runtime, split into the CLR's own blocking waits (WaitHandle.WaitOne,
   Monitor.Wait, ... which the CLR reports as LeaveRuntime on its wait
   functions) and other native calls (P/Invoke, COM), printed as a table
   when the managed code is done, with each thread's kind as the CLR gives
   it (user thread, thread-pool worker, finalizer...); then the ten
   costliest native targets, by name (CLRHOST_TASK_PROFILE).

     native_time [threads]

   It runs the "work" scenario of Scenarios.dll (examples/managed): each
   thread spends about 100 ms blocked in a native call and 100 ms in the
   CLR's waits. Threads that ended are kept in the table: their figures are
   taken by the task_end hook, the last moment their task exists.

   Build (Windows):
     MinGW-w64:  x86_64-w64-mingw32-gcc -O2 -I.. native_time.c -o native_time.exe
     MSVC:       cl /nologo /W4 /I.. native_time.c */
#define CLRHOST_TASK_IMPLEMENTATION
#include "../clrhost_task.h"
#include "clr_start.h"

#include <stdlib.h>

#define MAX_ROWS 1024

typedef struct row {
    DWORD thread_id;
    BOOL adopted, ended;
    clrhost_task_kind kind; /* what the CLR says the thread is */
    clrhost_task_counters c;
} row;

static struct {
    CRITICAL_SECTION lock; /* task_end hooks run on many threads at once */
    row rows[MAX_ROWS];
    int count;
    int dropped;
} table;

static void add_row(clrhost_task *task, BOOL ended)
{
    row r;
    r.thread_id = clrhost_task_thread_id(task);
    r.adopted = clrhost_task_is_adopted(task);
    r.ended = ended;
    r.kind = clrhost_task_get_kind(task);
    clrhost_task_get_counters(task, &r.c);
    EnterCriticalSection(&table.lock);
    if (table.count < MAX_ROWS)
        table.rows[table.count++] = r;
    else
        ++table.dropped;
    LeaveCriticalSection(&table.lock);
}

static void on_task_end(void *user, clrhost_task *task)
{
    (void)user;
    add_row(task, TRUE);
}

static void add_live_row(void *ctx, clrhost_task *task)
{
    (void)ctx;
    add_row(task, FALSE);
}

static ULONGLONG outside_ns(const row *r)
{
    return r->c.native_wait_ns + r->c.native_call_ns;
}

static int by_time_outside(const void *a, const void *b)
{
    ULONGLONG x = outside_ns((const row *)a), y = outside_ns((const row *)b);
    return x < y ? 1 : x > y ? -1 : 0; /* most time outside first */
}

static void print_table(void)
{
    int i;
    qsort(table.rows, (size_t)table.count, sizeof table.rows[0], by_time_outside);
    printf("\n%8s  %-15s  %-17s  %9s  %12s  %14s  %12s\n", "thread", "task", "kind (the CLR's)", "calls out",
           "CLR waits ms", "native calls ms", "outside ms");
    for (i = 0; i < table.count; ++i) {
        const row *r = &table.rows[i];
        printf("%8lu  %-7s %-7s  %-17s  %9llu  %12.1f  %14.1f  %12.1f\n", (unsigned long)r->thread_id,
               r->adopted ? "adopted" : "created", r->ended ? "ended" : "live", clrhost_task_kind_name(r->kind),
               (unsigned long long)r->c.leave_runtime, (double)r->c.native_wait_ns / 1e6,
               (double)r->c.native_call_ns / 1e6, (double)outside_ns(r) / 1e6);
    }
    if (table.dropped)
        printf("(%d more threads not shown: the table holds %d)\n", table.dropped, MAX_ROWS);
}

/* The ten targets that kept the threads outside the runtime longest, of
   every task, live or ended; named now, on this thread, never in a hook. */
static void print_costliest(clrhost_task_manager *tm)
{
    clrhost_task_profile_entry top[10];
    clrhost_task_clock clock;
    size_t n = 0, i;
    HRESULT hr = clrhost_task_manager_profile(tm, NULL, top, sizeof top / sizeof top[0], &n);
    if (FAILED(hr)) {
        example_fail("native_time", "no profile", hr);
        return;
    }
    (void)clrhost_task_manager_clock(tm, &clock);
    if (hr == S_FALSE)
        printf("\nthe ten costliest native targets");
    else
        printf("\nevery native target, costliest first");
    printf(" (timed by the %s, %.3f GHz)\n", clock.tsc ? "processor's counter" : "OS clock",
           (double)clock.frequency / 1e9);
    printf("%9s  %12s  %9s  %-5s  %s\n", "calls", "outside ms", "max ms", "kind", "target");
    for (i = 0; i < n; ++i)
        printf("%9llu  %12.1f  %9.1f  %-5s  %s\n", (unsigned long long)top[i].calls, (double)top[i].ns / 1e6,
               (double)top[i].max_ns / 1e6, top[i].wait ? "wait" : "call", top[i].name);
}

int main(int argc, char **argv)
{
    wchar_t argument[32];
    int threads = argc > 1 ? atoi(argv[1]) : 3;
    clrhost_task_config cfg;
    clrhost_task_manager *tm = NULL;
    IHostControl *hc = NULL;
    ICLRRuntimeHost *host = NULL;
    DWORD result = 0;
    HRESULT hr;
    int failure;

    if (argc > 2 || threads < 1 || threads > 256) {
        fprintf(stderr, "usage: native_time [threads, 1 to 256]\n");
        return 1;
    }
    swprintf(argument, sizeof argument / sizeof argument[0], L"work:%d", threads);
    InitializeCriticalSection(&table.lock);

    memset(&cfg, 0, sizeof cfg);
    cfg.flags = CLRHOST_TASK_PROFILE; /* timing (a clock read per transition), and by target */
    cfg.hooks.task_end = on_task_end;
    hr = clrhost_task_manager_create(&cfg, &tm);
    if (SUCCEEDED(hr))
        hr = clrhost_task_host_control_create(tm, NULL, &hc);
    if (FAILED(hr)) {
        example_fail("native_time", "could not create the task manager", hr);
        return 1;
    }
    failure = example_clr_start("native_time", hc, &host);
    if (!failure)
        failure = example_clr_run("native_time", host, L"Scenarios.dll", L"ClrHostTask.Examples.Scenarios",
                                  L"Run", argument, &result);
    if (failure)
        return failure; /* if the CLR was loaded it keeps tm and hc: never release them */

    clrhost_task_manager_foreach(tm, add_live_row, NULL);
    print_table();
    print_costliest(tm);
    return 0;
}
