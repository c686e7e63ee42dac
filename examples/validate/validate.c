/* validate.c: the validation kit. It runs every scenario of Scenarios.dll
   (examples/managed) under clrhost_task.h's task manager on the real .NET
   Framework CLR and prints PASS or FAIL for each expectation that
   clr-contract.md states, with where the expectation comes from:
     [SRC] the CLR's source, [DOC] its documentation, [INF] inferred,
     [HDR] a promise of clrhost_task.h itself.
   Our tests play the CLR's part; this is the check that the CLR agrees.
   It must be run on Windows with the .NET Framework 4.x, once as an x86
   build and once as an x64 build (they make different calls): see
   README.md beside this file.

     validate [churn-threads]     (default 1000)

   Strict mode: every warning or error the manager logs is printed and
   fails the run, and so does any protocol error it counted.

   Exit code 0 when every expectation passed, 1 when one failed, or one of
   clr_start.h's codes when the CLR could not be started. */
#define CLRHOST_TASK_IMPLEMENTATION
#include "../../clrhost_task.h"
#include "../clr_start.h"

#include <stdlib.h>
#include <tlhelp32.h>

/* What Scenarios.cs does; keep in step with its constants. */
#define PINVOKE_CALLS 10
#define REVERSE_CALLS 5
#define THREADS 4
#define CHURN_WARM_UP 64
/* Handles a churn of N threads may add: a leak of one handle (or more)
   per thread shows as N or more. */
#define CHURN_HANDLE_SLACK 100
#define CHURN_THREAD_SLACK 2

#define OUR_DLL L"example_native.dll"
#define MAX_EVENTS 64
#define MAX_DEPTH_TRACKED 64

/* What the hooks saw, in counters that only grow. */
typedef struct observed {
    LONG ours_leave;   /* LeaveRuntime into example_native.dll */
    LONG ours_enter;   /* the EnterRuntime that closed one of those */
    LONG ours_asks;    /* CallNeedsHostHook for a target in example_native.dll */
    LONG kernel32_leave; /* LeaveRuntime into kernel32!GetCurrentThreadId */
    LONG main_reverse_enter, main_reverse_leave; /* on the thread that runs the scenarios */
    LONG ended_with_ours; /* tasks that ended after calling example_native.dll */
    LONG log_lines;       /* warnings and errors the manager logged */
} observed;

/* Per task (clrhost_task_set_user): which open native frames are calls
   into our DLL, by depth, so that the closing EnterRuntime can be told. */
typedef struct task_record {
    unsigned long long ours_frames; /* bit d: the native frame opened at depth d */
    LONG our_calls;
} task_record;

static observed seen;
static DWORD main_thread;
static SIZE_T get_current_thread_id_target;
static volatile HMODULE our_dll; /* found once the CLR loaded it */

/* The main thread's transitions, as letters: L a call into our DLL, E its
   return, R a reverse call in, r its return. */
static char events[MAX_EVENTS + 1];
static int event_count;

static int passed, failed;

static void expect(BOOL ok, const char *scenario, const char *what, long got, long want, const char *source)
{
    printf("%s  %-10s %s: %ld (expected %ld) %s\n", ok ? "PASS" : "FAIL", scenario, what, got, want, source);
    if (ok)
        ++passed;
    else
        ++failed;
}

static void expect_eq(const char *scenario, const char *what, long got, long want, const char *source)
{
    expect(got == want, scenario, what, got, want, source);
}

static BOOL in_our_dll(SIZE_T target)
{
    HMODULE module = NULL, dll = our_dll;
    if (!dll) {
        dll = GetModuleHandleW(OUR_DLL);
        if (!dll)
            return FALSE;
        our_dll = dll;
    }
    if (!GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS | GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
                            (LPCWSTR)target, &module))
        return FALSE;
    return module == dll;
}

static void record_event(char kind)
{
    if (GetCurrentThreadId() == main_thread && event_count < MAX_EVENTS)
        events[event_count++] = kind;
}

/* ---- hooks ------------------------------------------------------------------ */

static BOOL on_needs_hook(void *user, SIZE_T target)
{
    (void)user;
    if (in_our_dll(target))
        InterlockedIncrement(&seen.ours_asks);
    return TRUE; /* hear of every call */
}

static HRESULT on_leave(void *user, clrhost_task *task, SIZE_T target)
{
    task_record *r = (task_record *)clrhost_task_get_user(task);
    unsigned depth = clrhost_task_depth(task); /* before the push */
    (void)user;
    if (target == get_current_thread_id_target)
        InterlockedIncrement(&seen.kernel32_leave);
    if (!r || depth >= MAX_DEPTH_TRACKED)
        return S_OK;
    r->ours_frames &= ~(1ULL << depth);
    if (in_our_dll(target)) {
        r->ours_frames |= 1ULL << depth;
        ++r->our_calls;
        InterlockedIncrement(&seen.ours_leave);
        record_event('L');
    }
    return S_OK;
}

static void on_enter(void *user, clrhost_task *task)
{
    task_record *r = (task_record *)clrhost_task_get_user(task);
    unsigned depth = clrhost_task_depth(task); /* after the pop: the frame's own depth */
    (void)user;
    if (r && depth < MAX_DEPTH_TRACKED && (r->ours_frames >> depth & 1)) {
        InterlockedIncrement(&seen.ours_enter);
        record_event('E');
    }
}

static HRESULT on_reverse_enter(void *user, clrhost_task *task)
{
    (void)user;
    (void)task;
    if (GetCurrentThreadId() == main_thread)
        InterlockedIncrement(&seen.main_reverse_enter);
    record_event('R');
    return S_OK;
}

static void on_reverse_leave(void *user, clrhost_task *task)
{
    (void)user;
    (void)task;
    if (GetCurrentThreadId() == main_thread)
        InterlockedIncrement(&seen.main_reverse_leave);
    record_event('r');
}

static void on_task_begin(void *user, clrhost_task *task)
{
    task_record *r = (task_record *)calloc(1, sizeof *r);
    (void)user;
    clrhost_task_set_user(task, r); /* NULL if out of memory: that task is not tracked */
}

/* After the CLR's ExitTask, which the header calls just before. */
static void on_task_end(void *user, clrhost_task *task)
{
    task_record *r = (task_record *)clrhost_task_get_user(task);
    (void)user;
    if (r && r->our_calls > 0)
        InterlockedIncrement(&seen.ended_with_ours);
    clrhost_task_set_user(task, NULL);
    free(r);
}

static void on_log(void *user, clrhost_task_log_level level, clrhost_task *task, const char *message)
{
    (void)user;
    if (level > CLRHOST_TASK_LOG_WARNING)
        return;
    InterlockedIncrement(&seen.log_lines);
    printf("LOG   thread %lu: %s: %s\n", task ? (unsigned long)clrhost_task_thread_id(task) : 0UL,
           level == CLRHOST_TASK_LOG_ERROR ? "error" : "warning", message);
}

/* ---- running scenarios ------------------------------------------------------ */

typedef struct snapshot {
    observed seen;
    clrhost_task_manager_stats stats;
    DWORD handles;
    long threads;
} snapshot;

static long thread_count(void)
{
    HANDLE all = CreateToolhelp32Snapshot(TH32CS_SNAPTHREAD, 0);
    THREADENTRY32 entry;
    long n = 0;
    if (all == INVALID_HANDLE_VALUE)
        return -1;
    entry.dwSize = sizeof entry;
    if (Thread32First(all, &entry))
        do {
            if (entry.th32OwnerProcessID == GetCurrentProcessId())
                ++n;
        } while (Thread32Next(all, &entry));
    CloseHandle(all);
    return n;
}

static void take(clrhost_task_manager *tm, snapshot *s)
{
    s->seen = seen; /* the scenario's threads have all been joined */
    clrhost_task_manager_get_stats(tm, &s->stats);
    s->handles = 0;
    GetProcessHandleCount(GetCurrentProcess(), &s->handles);
    s->threads = thread_count();
}

static ICLRRuntimeHost *host;
static clrhost_task_manager *tm;

/* Runs one scenario between two snapshots; expects it to return 0. */
static BOOL run(const char *name, const wchar_t *argument, snapshot *before, snapshot *after)
{
    DWORD result = 0;
    int failure;
    take(tm, before);
    event_count = 0;
    failure = example_clr_run("validate", host, L"Scenarios.dll", L"ClrHostTask.Examples.Scenarios", L"Run",
                              argument, &result);
    take(tm, after);
    expect_eq(name, "the managed checks (Run's result; 0 = all held)", failure ? -1 : (long)result, 0, "");
    return !failure && result == 0;
}

#define DELTA(field) ((long)(after.seen.field - before.seen.field))
#define STAT_DELTA(field) ((long)(after.stats.field - before.stats.field))

int main(int argc, char **argv)
{
    const BOOL x86 = sizeof(void *) == 4;
    const long churn = argc > 1 ? atol(argv[1]) : 1000;
    clrhost_task_config cfg;
    IHostControl *hc = NULL;
    snapshot before, after, start;
    wchar_t argument[32];
    const char *bad_slot;
    HRESULT hr;
    int failure;

    if (argc > 2 || churn < 1) {
        fprintf(stderr, "usage: validate [churn-threads]\n");
        return 1;
    }
    printf("clrhost_task.h validation on the real CLR, %s build\n", x86 ? "x86" : "x64");
    main_thread = GetCurrentThreadId();
    get_current_thread_id_target = (SIZE_T)GetProcAddress(GetModuleHandleW(L"kernel32.dll"), "GetCurrentThreadId");

    bad_slot = clrhost_task_self_check();
    expect(bad_slot == NULL, "build", "vtable slots as mscoree.idl orders them", bad_slot != NULL, 0, "[HDR]");
    if (bad_slot)
        printf("      %s\n", bad_slot);

    memset(&cfg, 0, sizeof cfg);
    cfg.flags = CLRHOST_TASK_TIMING;
    cfg.hooks.needs_hook = on_needs_hook;
    cfg.hooks.leave_runtime = on_leave;
    cfg.hooks.enter_runtime = on_enter;
    cfg.hooks.reverse_enter_runtime = on_reverse_enter;
    cfg.hooks.reverse_leave_runtime = on_reverse_leave;
    cfg.hooks.task_begin = on_task_begin;
    cfg.hooks.task_end = on_task_end;
    cfg.log_fn = on_log;
    hr = clrhost_task_manager_create(&cfg, &tm);
    if (SUCCEEDED(hr))
        hr = clrhost_task_host_control_create(tm, NULL, &hc);
    if (FAILED(hr)) {
        example_fail("validate", "could not create the task manager", hr);
        return 1;
    }
    failure = example_clr_start("validate", hc, &host);
    if (failure)
        return failure;
    take(tm, &start);
    expect(clrhost_task_current(tm) != NULL, "start", "Start adopted the thread that called it (GetCurrentTask)",
           clrhost_task_current(tm) != NULL, 1, "[SRC]");
    expect(start.stats.tasks_created >= 1, "start", "the CLR created its threads through CreateTask (at least)",
           (long)start.stats.tasks_created, 1, "[SRC]");

    if (run("pinvoke", L"pinvoke", &before, &after)) {
        expect_eq("pinvoke", "LeaveRuntime into example_native.dll", DELTA(ours_leave), PINVOKE_CALLS, "[SRC]");
        expect_eq("pinvoke", "EnterRuntime after them", DELTA(ours_enter), PINVOKE_CALLS, "[SRC]");
        expect_eq("pinvoke", x86 ? "CallNeedsHostHook, asked once per target on x86"
                                 : "CallNeedsHostHook, asked on every call on x64",
                  DELTA(ours_asks), x86 ? 1 : PINVOKE_CALLS, "[SRC]");
        expect_eq("pinvoke", "LeaveRuntime into kernel32!GetCurrentThreadId", DELTA(kernel32_leave), 1, "[SRC]");
    }
    if (run("nested", L"nested", &before, &after)) {
        events[event_count] = 0;
        expect(strcmp(events, "LRLErE") == 0, "nested",
               "the documentation's order: Leave, ReverseEnter, Leave, Enter, ReverseLeave, Enter (1 = yes)",
               strcmp(events, "LRLErE") == 0, 1, "[DOC]");
        if (strcmp(events, "LRLErE") != 0)
            printf("      seen: %s (L Leave, E Enter, R ReverseEnter, r ReverseLeave)\n", events);
    }
    if (run("reverse", L"reverse", &before, &after)) {
        expect_eq("reverse", "ReverseEnterRuntime", DELTA(main_reverse_enter), REVERSE_CALLS, "[SRC]");
        expect_eq("reverse", "ReverseLeaveRuntime", DELTA(main_reverse_leave), REVERSE_CALLS, "[SRC]");
        expect_eq("reverse", "LeaveRuntime into example_native.dll", DELTA(ours_leave), 1, "[SRC]");
    }
    if (run("exception", L"exception", &before, &after)) {
        expect_eq("exception", "ReverseEnterRuntime", DELTA(main_reverse_enter), 1, "[SRC]");
        expect_eq("exception", "ReverseLeaveRuntime, called by the unwind", DELTA(main_reverse_leave), 1, "[SRC]");
        expect_eq("exception", "EnterRuntime for the call the exception left", DELTA(ours_enter), 1, "[SRC]");
        expect_eq("exception", "protocol errors", STAT_DELTA(totals.protocol_errors), 0, "[HDR]");
    }
    if (run("threads", L"threads", &before, &after)) {
        expect(STAT_DELTA(tasks_created) >= THREADS, "threads", "tasks made by CreateTask (at least)",
               STAT_DELTA(tasks_created), THREADS, "[SRC]");
        expect_eq("threads", "threads ended (task_end, which follows ExitTask) once Join returned",
                  DELTA(ended_with_ours), THREADS, "[SRC]");
        expect_eq("threads", "LeaveRuntime into example_native.dll", DELTA(ours_leave), THREADS, "[SRC]");
    }
    run("interrupt", L"interrupt", &before, &after); /* Interrupt woke Sleep and Join: checked in managed code */
    run("culture", L"culture", &before, &after);     /* the CurrentUICulture setter did not throw */

    /* The first threads may grow the CLR's own tables; count from after them. */
    swprintf(argument, sizeof argument / sizeof argument[0], L"churn:%d", CHURN_WARM_UP);
    if (run("warm-up", argument, &before, &after)) {
        swprintf(argument, sizeof argument / sizeof argument[0], L"churn:%ld", churn);
        if (run("churn", argument, &before, &after)) {
            expect_eq("churn", "threads ended (task_end, which follows ExitTask)", DELTA(ended_with_ours), churn,
                      "[SRC]");
            expect_eq("churn", "live tasks, after minus before", STAT_DELTA(tasks_live), 0, "[HDR]");
            expect(after.handles < before.handles + CHURN_HANDLE_SLACK, "churn", "process handles, after minus before",
                   (long)after.handles - (long)before.handles, 0, "[HDR] (fails at 100 or more)");
            expect(after.threads <= before.threads + CHURN_THREAD_SLACK, "churn", "OS threads, after minus before",
                   after.threads - before.threads, 0, "[HDR] (fails above 2)");
        }
    }

    take(tm, &after);
    expect_eq("all", "protocol errors counted over the whole run", (long)after.stats.totals.protocol_errors, 0,
              "[HDR]");
    expect_eq("all", "warnings and errors logged (strict mode)", seen.log_lines, 0, "[HDR]");
    printf("%d passed, %d failed (%s build)\n", passed, failed, x86 ? "x86" : "x64");
    return failed ? 1 : 0;
}
