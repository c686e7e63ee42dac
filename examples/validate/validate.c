/* validate.c: the validation kit. It runs every scenario of Scenarios.dll
   (examples/managed) under clrhost_task.h's task manager on the real .NET
   Framework CLR and prints PASS or FAIL for each expectation of the
   task-hosting contract, with where the expectation comes from:
     [SRC] the CLR's source, [DOC] its documentation, [INF] inferred,
     [HDR] a promise of clrhost_task.h itself.
   Our tests play the CLR's part; this is the check that the CLR agrees.
   It must be run on Windows with the .NET Framework 4.x, once as an x86
   build and once as an x64 build (they make different calls): see
   README.md beside this file.

     validate [churn-threads]     (default 1000)

   Between the CLR and the header sits an observer (clr_observer.h) that
   counts what the CLR itself calls, so the kit reports CLR facts, not
   only the header's bookkeeping; lines marked INFO are such facts, to be
   sent back, never failures.

   Strict mode: every warning or error the manager logs is printed and
   fails the run, and so does any protocol error it counted.

   Negative controls: built with -DCLRHOST_TASK_NEGATIVE_CONTROL=N (1 to
   5, see the header), the header is broken on purpose and the kit must
   report the FAIL that negative_controls[N] names; its last line says
   whether it did.

   Exit code 0 when every expectation passed (for a negative control: when
   its FAIL was reported), 1 otherwise, or one of clr_start.h's codes when
   the CLR could not be started. */
#define CLRHOST_TASK_IMPLEMENTATION
#include "../../clrhost_task.h"
#include "../clr_start.h"

#include <stdlib.h>
#include <tlhelp32.h>

#include "clr_observer.h"

/* What Scenarios.cs does; keep in step with its constants. */
#define PINVOKE_CALLS 10
#define REVERSE_CALLS 5
#define THREADS 4
#define CHURN_WARM_UP 64
#define SETTLE_ROUNDS 5 /* settles before giving up on freed == ended */

#define OUR_DLL L"example_native.dll"
#define MAX_EVENTS 64
#define MAX_DEPTH_TRACKED 64
#define MAX_FOREIGN_TARGETS 32

/* What the hooks saw, in counters that only grow. */
typedef struct observed {
    LONG ours_leave;     /* LeaveRuntime into example_native.dll */
    LONG ours_enter;     /* the EnterRuntime that closed one of those */
    LONG ours_asks;      /* CallNeedsHostHook for a target in example_native.dll */
    LONG kernel32_leave; /* LeaveRuntime into kernel32!GetCurrentThreadId */
    LONG main_reverse_enter, main_reverse_leave; /* on the thread that runs the scenarios */
    LONG ended_with_ours;  /* tasks that ended after calling example_native.dll */
    LONG switched_out;     /* ... and that the CLR no longer knew in task_end: ExitTask came */
    LONG log_lines;        /* warnings and errors the manager logged */
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

/* LeaveRuntime targets outside our DLL: the CLR's own calls, reported. */
static struct {
    SIZE_T target;
    LONG calls;
} foreign_targets[MAX_FOREIGN_TARGETS];
static LONG foreign_other; /* past the table's end */
static CRITICAL_SECTION foreign_lock;

/* The tasks scenario: the kinds of the tasks calling our DLL, and what a
   monitor thread of the kit's own reads of and does to the tasks. */
static volatile LONG recording_kinds;
static volatile LONG kinds_calling; /* bit k: a task of clrhost_task_kind k called our DLL */
static struct {
    HANDLE stop;
    SIZE_T block_target;  /* example_native.dll!example_block_ms */
    clrhost_task *blocked; /* the first user task seen blocked there: compared, never used */
    ULONGLONG bytes_min, bytes_max;
    long bytes_samples;
    long aborts;
    HRESULT abort_result;    /* always S_OK: the CLR's Abort swallows every failure (vm/threads.cpp:11924-11946) */
    clrhost_task *aborted;   /* the sleeper aborted, with a reference (IHostTask::AddRef) */
    ULONGLONG aborted_at_ms, aborted_ended_ms; /* when asked, and when its thread had ended (0: not yet) */
} kit;

/* ---- negative controls ------------------------------------------------------ */

/* What each broken build of the header (CLRHOST_TASK_NEGATIVE_CONTROL)
   breaks, and the check that must fail for it. */
static const struct {
    const char *broken, *caught_by;
} negative_controls[7] = {
    {NULL, NULL},
    {"ICLRTask::ExitTask is never called", "threads/exit_task_seen"},
    {"ReverseEnterRuntime passes the hook's S_FALSE through", "reverse/run"},
    {"IHostTask::Alert does nothing", "interrupt/run"},
    {"SetUILocale answers E_NOTIMPL", "culture/run"},
    {"CallNeedsHostHook answers TRUE without asking the policy", "pinvoke/asks_first_run"},
    {"a slot is never handed to a task that waits for one", "scheduler/deadlock"},
};
static BOOL control_caught; /* the check named for this build failed */

static int passed, failed;

/* One expectation: "PASS  scenario/key  what: got (expected want) source".
   The key names the check for scripts (and the negative controls). */
static void expect(BOOL ok, const char *key, const char *what, long got, long want, const char *source)
{
    printf("%s  %-28s %s: %ld (expected %ld) %s\n", ok ? "PASS" : "FAIL", key, what, got, want, source);
    if (ok)
        ++passed;
    else
        ++failed;
    if (!ok && CLRHOST_TASK_NEGATIVE_CONTROL &&
        strcmp(key, negative_controls[CLRHOST_TASK_NEGATIVE_CONTROL].caught_by) == 0)
        control_caught = TRUE;
}

static void expect_eq(const char *key, const char *what, long got, long want, const char *source)
{
    expect(got == want, key, what, got, want, source);
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

static void record_foreign_target(SIZE_T target)
{
    int i;
    EnterCriticalSection(&foreign_lock);
    for (i = 0; i < MAX_FOREIGN_TARGETS && foreign_targets[i].calls && foreign_targets[i].target != target; ++i) {
    }
    if (i == MAX_FOREIGN_TARGETS) {
        ++foreign_other;
    } else {
        foreign_targets[i].target = target;
        ++foreign_targets[i].calls;
    }
    LeaveCriticalSection(&foreign_lock);
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
    BOOL ours = in_our_dll(target);
    (void)user;
    if (target == get_current_thread_id_target)
        InterlockedIncrement(&seen.kernel32_leave);
    else if (!ours)
        record_foreign_target(target);
    if (!r || depth >= MAX_DEPTH_TRACKED)
        return S_OK;
    r->ours_frames &= ~(1ULL << depth);
    if (ours && recording_kinds) /* a plain read of what the CLR said: fine in a hook */
        InterlockedOr(&kinds_calling, 1L << clrhost_task_get_kind(task));
    if (ours) {
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

/* S_FALSE, a success code: the header must hand the CLR exactly S_OK,
   since the CLR treats anything else as a refusal [HDR, SRC]. */
static HRESULT on_reverse_enter(void *user, clrhost_task *task)
{
    (void)user;
    (void)task;
    if (GetCurrentThreadId() == main_thread)
        InterlockedIncrement(&seen.main_reverse_enter);
    record_event('R');
    return S_FALSE;
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

/* After the CLR's ExitTask, which the header calls just before: the CLR
   has switched the thread out, so its own ICLRTaskManager::GetCurrentTask
   gives NULL here [SRC: CLRTaskManager::GetCurrentTask is GetThread(),
   vm/corhost.cpp; Thread::ExitTask ends in InternalSwitchOut, "and then
   GetThread()=NULL", vm/threads.cpp ~11872]. Without ExitTask the CLR
   would still know the thread. */
static void on_task_end(void *user, clrhost_task *task)
{
    task_record *r = (task_record *)clrhost_task_get_user(task);
    struct ICLRTaskManager *clr = observed_clr_task_manager;
    struct ICLRTask *still = NULL;
    HRESULT asked = clr ? clr->lpVtbl->GetCurrentTask(clr, &still) : E_POINTER;
    (void)user;
    if (r && r->our_calls > 0) {
        InterlockedIncrement(&seen.ended_with_ours);
        if (asked == S_OK && !still) /* a failed question proves nothing */
            InterlockedIncrement(&seen.switched_out);
    }
    observed_task_ended(clrhost_task_iface(task));
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
    clr_calls calls;
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

/* The process's handles. Some systems (Wine 8) answer
   GetProcessHandleCount with 0; there every handle value is asked about
   instead, up to 0x40000. */
static DWORD handle_count(void)
{
    DWORD n = 0, flags;
    ULONG_PTR v;
    if (GetProcessHandleCount(GetCurrentProcess(), &n) && n)
        return n;
    for (v = 4; v < 0x40000; v += 4)
        if (GetHandleInformation((HANDLE)v, &flags))
            ++n;
    return n;
}

/* The counters, between scenarios. Handles and OS threads are counted
   only when settled (measure_process): probing every handle value takes
   seconds under Wine. */
static void take(clrhost_task_manager *tm, snapshot *s)
{
    s->seen = seen; /* the scenario's threads have all been joined */
    s->calls = observed_calls;
    clrhost_task_manager_get_stats(tm, &s->stats);
    s->handles = 0;
    s->threads = 0;
}

static void measure_process(snapshot *s)
{
    s->handles = handle_count();
    s->threads = thread_count();
}

static ICLRRuntimeHost *host;
static clrhost_task_manager *tm;

/* The calls the manager's profile counts for the target named `name`
   (module!export), over every task so far; 0 before its first call. */
static long profile_calls(const char *name)
{
    static clrhost_task_profile_entry lines[4 * CLRHOST_TASK_PROFILE_TARGETS * 8 + 2];
    size_t n = 0, i;
    if (FAILED(clrhost_task_manager_profile(tm, NULL, lines, sizeof lines / sizeof lines[0], &n)))
        return -1;
    for (i = 0; i < n; ++i)
        if (strcmp(lines[i].name, name) == 0)
            return (long)lines[i].calls;
    return 0;
}

/* Runs one scenario between two snapshots; expects it to return 0. */
static BOOL run(const char *key, const wchar_t *argument, snapshot *before, snapshot *after)
{
    DWORD result = 0;
    int failure;
    take(tm, before);
    event_count = 0;
    failure = example_clr_run("validate", host, L"Scenarios.dll", L"ClrHostTask.Examples.Scenarios", L"Run",
                              argument, &result);
    take(tm, after);
    expect_eq(key, "the managed checks (Run's result; 0 = all held)", failure ? -1 : (long)result, 0, "");
    return !failure && result == 0;
}

/* Notes when the aborted sleeper's thread had ended (its task's view). */
static void note_aborted_end(void)
{
    clrhost_task_view v;
    if (kit.aborted && !kit.aborted_ended_ms && SUCCEEDED(clrhost_task_get_view(kit.aborted, &v)) && v.ended)
        kit.aborted_ended_ms = GetTickCount64();
}

/* The kit's monitor during the tasks scenario, a thread the CLR never
   sees: every 20 ms it reads the bytes allocated of the user task blocked
   in example_block_ms (before and after its allocation), and aborts, once,
   the user thread that has been asleep in managed code for 300 ms. */
static DWORD WINAPI task_monitor(LPVOID unused)
{
    (void)unused;
    while (WaitForSingleObject(kit.stop, 20) == WAIT_TIMEOUT) {
        clrhost_task_view views[32];
        size_t n = 0, i;
        if (SUCCEEDED(clrhost_task_manager_list(tm, CLRHOST_TASK_LIST_IN_NATIVE | CLRHOST_TASK_LIST_RUNNING, 0, views,
                                                32, &n))) {
            for (i = 0; i < n; ++i) {
                ULONGLONG bytes = 0;
                if (views[i].native_target != kit.block_target || views[i].kind != CLRHOST_TASK_KIND_USER ||
                    (kit.blocked && views[i].task != kit.blocked) ||
                    FAILED(clrhost_task_bytes_allocated(views[i].task, &bytes)))
                    continue;
                if (!kit.blocked) {
                    kit.blocked = views[i].task;
                    kit.bytes_min = kit.bytes_max = bytes;
                }
                kit.bytes_min = bytes < kit.bytes_min ? bytes : kit.bytes_min;
                kit.bytes_max = bytes > kit.bytes_max ? bytes : kit.bytes_max;
                ++kit.bytes_samples;
            }
            clrhost_task_views_release(views, n);
        }
        if (!kit.aborts && SUCCEEDED(clrhost_task_manager_list(tm, CLRHOST_TASK_LIST_IN_MANAGED, 300, views, 32, &n))) {
            for (i = 0; i < n; ++i)
                if (views[i].waiting && views[i].kind == CLRHOST_TASK_KIND_USER && !views[i].adopted) {
                    kit.abort_result = clrhost_task_abort(views[i].task, FALSE);
                    ++kit.aborts;
                    kit.aborted = views[i].task;
                    clrhost_task_iface(kit.aborted)->lpVtbl->AddRef(clrhost_task_iface(kit.aborted));
                    kit.aborted_at_ms = GetTickCount64();
                    break;
                }
            clrhost_task_views_release(views, n);
        }
        note_aborted_end();
    }
    return 0;
}

static void run_tasks_scenario(snapshot *before, snapshot *after)
{
    HANDLE monitor;
    ULONGLONG grew;
    LONG kinds;
    kit.stop = CreateEventW(NULL, TRUE, FALSE, NULL);
    kit.block_target = our_dll ? (SIZE_T)GetProcAddress(our_dll, "example_block_ms") : 0;
    monitor = kit.stop ? CreateThread(NULL, 0, task_monitor, NULL, 0, NULL) : NULL;
    InterlockedExchange(&recording_kinds, 1);
    (void)run("tasks/run", L"tasks", before, after);
    InterlockedExchange(&recording_kinds, 0);
    if (monitor) {
        SetEvent(kit.stop);
        WaitForSingleObject(monitor, INFINITE);
        CloseHandle(monitor);
    }
    if (kit.stop)
        CloseHandle(kit.stop);
    /* The run returns as soon as its Join of the sleeper does, maybe
       before the monitor's next look: the end is looked for until 10 s
       after the abort. */
    while (kit.aborted && !kit.aborted_ended_ms && GetTickCount64() - kit.aborted_at_ms < 10000) {
        note_aborted_end();
        if (!kit.aborted_ended_ms)
            Sleep(10);
    }
    kinds = kinds_calling;
    expect_eq("tasks/kind_user", "a new Thread's task is a user task (GetCurrentTaskType)",
              (kinds >> CLRHOST_TASK_KIND_USER) & 1, 1, "[SRC]");
    expect_eq("tasks/kind_threadpool_worker", "a thread-pool work item's task is a worker's",
              (kinds >> CLRHOST_TASK_KIND_THREADPOOL_WORKER) & 1, 1, "[SRC]");
    expect_eq("tasks/kind_finalizer", "a finalizer's task is the finalizer's", (kinds >> CLRHOST_TASK_KIND_FINALIZER) & 1,
              1, "[SRC]");
    expect_eq("tasks/kind_unknown", "calls from tasks of unknown kind", (kinds >> CLRHOST_TASK_KIND_UNKNOWN) & 1, 0,
              "[SRC]");
    grew = kit.bytes_max - kit.bytes_min;
    expect(grew >= (4u << 20), "tasks/bytes_allocated",
           "KB the blocked thread allocated between its two calls (GetMemStats from the kit's thread)",
           (long)(grew / 1024u), 4096, "[SRC] (at least)");
    /* The CLR answers S_OK to every Abort: what counts is that the abort
       reached the thread (an Alert woke its Thread.Sleep(20000)) and its
       thread ended well before its sleep would have. */
    expect(kit.aborts == 1 && kit.aborted_ended_ms && kit.aborted_ended_ms - kit.aborted_at_ms < 10000,
           "tasks/abort_sleeper", "ms from the abort of the thread asleep in managed code to its thread's end",
           kit.aborted_ended_ms ? (long)(kit.aborted_ended_ms - kit.aborted_at_ms) : -1, 10000, "[SRC] (less than)");
    if (kit.aborted)
        clrhost_task_iface(kit.aborted)->lpVtbl->Release(clrhost_task_iface(kit.aborted));
    expect_eq("tasks/protocol_errors", "protocol errors",
              (long)(after->stats.totals.protocol_errors - before->stats.totals.protocol_errors), 0, "[HDR]");
    printf("INFO  tasks: bytes allocated read %ld times, from %lu to %lu; kinds calling: 0x%lx\n", kit.bytes_samples,
           (unsigned long)kit.bytes_min, (unsigned long)kit.bytes_max, (unsigned long)kinds);
}

/* Settles (GC.Collect, WaitForPendingFinalizers) until every ended task
   was let go of and freed, or SETTLE_ROUNDS times; the snapshot after. */
static void settle(snapshot *after)
{
    int round;
    for (round = 0; round < SETTLE_ROUNDS; ++round) {
        DWORD result = 0;
        (void)example_clr_run("validate", host, L"Scenarios.dll", L"ClrHostTask.Examples.Scenarios", L"Run",
                              L"settle", &result);
        take(tm, after);
        if (after->stats.tasks_freed == after->stats.tasks_ended)
            break;
        Sleep(100); /* a thread that just ended may not be detached yet */
    }
    measure_process(after);
}

#define DELTA(field) ((long)(after.seen.field - before.seen.field))
#define CALLS(field) ((long)(after.calls.field - before.calls.field))
#define STAT_DELTA(field) ((long)(after.stats.field - before.stats.field))

/* Joins or Sleeps between two snapshots (of clr_calls.join or .sleep)
   whose option has `bit` (with = TRUE) or lacks it. */
static long options_counted(const LONG *before, const LONG *after, DWORD bit, BOOL with)
{
    long n = 0;
    DWORD option;
    for (option = 0; option < OBSERVED_OPTION_SETS - 1; ++option)
        if (((option & bit) != 0) == with)
            n += after[option] - before[option];
    return n;
}
#define WITH(method, bit) options_counted(before.calls.method, after.calls.method, bit, TRUE)
#define WITHOUT(method, bit) options_counted(before.calls.method, after.calls.method, bit, FALSE)

/* A leak per thread, from three settled measurements: at `base`, after N
   threads (`first`) and after 2N more (`second`). L leaked per thread
   makes the second difference exceed the first by L*N; growth that does
   not depend on the number of threads (the CLR's own tables, its thread
   pool coming and going) cancels. Fails at half a leaked object per
   thread. */
static void leak_check(const char *key, const char *counted, long n, long base, long first, long second)
{
    long growth = (second - first) - (first - base);
    printf("INFO  %s: %ld settled, %+ld after %ld threads, %+ld after %ld more\n", counted, base, first - base, n,
           second - first, 2 * n);
    expect(2 * growth < n, key, "leaked per 100 threads (second difference minus first, per N)", 100 * growth / n, 0,
           "[HDR] (fails at 50 or more)");
}

static void print_options(const char *what, const LONG *before, const LONG *after)
{
    DWORD option;
    printf("INFO  %s", what);
    for (option = 0; option < OBSERVED_OPTION_SETS; ++option) {
        if (after[option] == before[option])
            continue;
        if (option == OBSERVED_OPTION_SETS - 1)
            printf(" other bits");
        else if (option == 0)
            printf(" 0");
        else
            printf(" %s%s%s", option & WAIT_ALERTABLE ? "ALERTABLE|" : "", option & WAIT_MSGPUMP ? "MSGPUMP|" : "",
                   option & WAIT_NOTINDEADLOCK ? "NOTINDEADLOCK|" : "");
        printf(" %ld;", (long)(after[option] - before[option]));
    }
    printf("\n");
}

/* The name of a target, if it is one of the blocking calls the CLR is
   known to notify (vm/threads.cpp, vm/win32threadpool.cpp), else NULL. */
static const char *known_target_name(SIZE_T target)
{
    static const char *const names[] = {"WaitForMultipleObjectsEx", "WaitForSingleObjectEx", "WaitForSingleObject",
                                        "SleepEx", "GetQueuedCompletionStatus", "SignalObjectAndWait",
                                        "MsgWaitForMultipleObjectsEx", "WaitForMultipleObjects"};
    static const wchar_t *const modules[] = {L"kernel32.dll", L"kernelbase.dll", L"user32.dll"};
    size_t m, n;
    for (m = 0; m < sizeof modules / sizeof modules[0]; ++m) {
        HMODULE module = GetModuleHandleW(modules[m]);
        for (n = 0; module && n < sizeof names / sizeof names[0]; ++n)
            if ((SIZE_T)GetProcAddress(module, names[n]) == target)
                return names[n];
    }
    return NULL;
}

/* Prints target as module+0xoffset (or its address, in no module). */
static void print_target(SIZE_T target)
{
    HMODULE module = NULL;
    wchar_t name[MAX_PATH] = L"?";
    const wchar_t *base;
    if (target && GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS | GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
                                     (LPCWSTR)target, &module))
        GetModuleFileNameW(module, name, MAX_PATH);
    base = wcsrchr(name, L'\\');
    printf("%ls+0x%lx", base ? base + 1 : name, (unsigned long)(module ? target - (SIZE_T)module : target));
}

/* The CLR's own LeaveRuntime targets, and beside them the addresses
   GetProcAddress gives for the waits the header counts as the CLR's
   (kernel32's, clrhost__os_blocking_targets; the manual's [INF]: the CLR
   notifies its waits with those addresses), and kernelbase's. */
static void print_foreign_targets(void)
{
    static const char *const waits[] = {"WaitForSingleObject", "WaitForSingleObjectEx", "WaitForMultipleObjects",
                                        "WaitForMultipleObjectsEx", "SignalObjectAndWait", "Sleep", "SleepEx",
                                        "GetQueuedCompletionStatus", "GetQueuedCompletionStatusEx"};
    static const wchar_t *const modules[] = {L"kernel32.dll", L"kernelbase.dll"};
    size_t m, n;
    int i;
    printf("INFO  LeaveRuntime targets outside example_native.dll (the CLR's own calls):\n");
    for (i = 0; i < MAX_FOREIGN_TARGETS && foreign_targets[i].calls; ++i) {
        printf("INFO    ");
        print_target(foreign_targets[i].target);
        printf(" (%s): %ld call(s)\n", known_target_name(foreign_targets[i].target)
                                          ? known_target_name(foreign_targets[i].target)
                                          : "?",
               (long)foreign_targets[i].calls);
    }
    if (foreign_other)
        printf("INFO    and %ld call(s) to further targets\n", (long)foreign_other);
    printf("INFO  GetProcAddress's addresses of the waits the header counts as the CLR's:\n");
    for (n = 0; n < sizeof waits / sizeof waits[0]; ++n)
        for (m = 0; m < sizeof modules / sizeof modules[0]; ++m) {
            HMODULE module = GetModuleHandleW(modules[m]);
            SIZE_T address = module ? (SIZE_T)GetProcAddress(module, waits[n]) : 0;
            if (!address)
                continue;
            printf("INFO    %ls!%s = ", modules[m], waits[n]);
            print_target(address);
            printf("\n");
        }
}

static void print_releases(void)
{
    static const char *const kinds[OBSERVED_TYPES] = {
        "DEBUGGERHELPER", "GC", "FINALIZER", "THREADPOOL_TIMER", "THREADPOOL_GATE", "THREADPOOL_WORKER",
        "THREADPOOL_IOCOMPLETION", "ADUNLOAD", "USER", "THREADPOOL_WAIT", "UNKNOWN (no CLR thread)"};
    int i;
    printf("INFO  the CLR let go of created tasks on:");
    for (i = 0; i < OBSERVED_TYPES; ++i)
        if (observed_calls.released_by_type[i])
            printf(" %s %ld,", kinds[i], (long)observed_calls.released_by_type[i]);
    printf(" of them on the task's own thread %ld\n", (long)observed_calls.released_by_own_thread);
}

/* ---- the scheduler, in a run of its own ---------------------------------

   A process takes one host control, and the scheduler is fixed when the
   manager is made, so its checks run in a child process (validate.exe
   --scheduler), on 2 slots with a 50 ms quantum. The parent waits for it
   at most SCHED_CHILD_BOUND_MS: past that it is a deadlock, and the child
   is made to print its live view (every task: its slot, whether it waits
   for one or runs over the cap, where it is) before it is ended. At every
   transition of a scheduled task its hooks check that it holds a slot or
   runs over the cap (the scheduler never makes a thread wait where the
   CLR cannot afford it: there it runs without one), and that no more
   than 2 tasks hold one. First the throttle scenario: 8 threads,
   each 5 x (about 20 ms of managed CPU work, a 20 ms native call), and
   then each thread's time holding a slot, waiting for one and in native
   code. The managed work is a loop of a length Scenarios.dll measures
   before the threads start, not a timed one, so its slot time is checked
   against 75 ms of the nominal 100 (one that took in the waits for a
   slot would be about four times that). Then the unload scenario, a
   case the CLR's source does not settle (the manual's deadlock argument,
   [INF]): an AppDomain unloaded while its own threads hold both slots
   spinning in managed code and two more wait for one;
   Scenarios.dll fails it if the unload takes 10 s (the spinners would
   spin for 20), and all 4 threads must end; the quantum makes the
   spinners yield. Last what section 5 of the contract makes risky for a
   scheduler, at once (the schedstress scenario): threads that collect
   while others start threads and are called back from native code. */
#define SCHED_SLOTS 2
#define SCHED_THREADS 8
#define SCHED_QUANTUM_MS 50
/* The child's runs take a few seconds; control 6 deadlocks it at once. */
#define SCHED_CHILD_BOUND_MS (CLRHOST_TASK_NEGATIVE_CONTROL == 6 ? 20000 : 180000)

static struct {
    volatile LONG holders_over, hook_without_slot;
    clrhost_task_counters rows[64]; /* of the ended scheduled threads, under sched_lock */
    int count;
} sched;
static CRITICAL_SECTION sched_lock;

/* The manager's own count, read under its lock (views of several tasks
   are not read at one moment: a slot handed over between two reads shows
   in both). */
static void sched_check_holders(void)
{
    clrhost_task_manager_stats st;
    if (SUCCEEDED(clrhost_task_manager_get_stats(tm, &st)) && st.slots_held > SCHED_SLOTS)
        InterlockedIncrement(&sched.holders_over);
}

/* A scheduled task's hook, on the managed side of a transition: it holds
   a slot, or runs over the cap. A LeaveRuntime the CLR makes while the
   task is in native code already (a wait in the CLR's stub of a reverse
   call, before its ReverseEnterRuntime) is on the native side: its slot
   is lent then, and nothing is checked. */
static void sched_check_hook(clrhost_task *task)
{
    clrhost_task_view v;
    if (FAILED(clrhost_task_get_view(task, &v)) || !v.scheduled || v.in_native)
        return;
    if ((v.slot < 0 || v.slot >= SCHED_SLOTS) && !v.over_cap)
        InterlockedIncrement(&sched.hook_without_slot);
    sched_check_holders();
}

static HRESULT on_sched_leave(void *user, clrhost_task *task, SIZE_T target)
{
    (void)user;
    (void)target;
    sched_check_hook(task);
    return S_OK;
}

static void on_sched_enter(void *user, clrhost_task *task)
{
    (void)user;
    sched_check_hook(task);
}

static void on_sched_task_end(void *user, clrhost_task *task)
{
    (void)user;
    EnterCriticalSection(&sched_lock);
    if (sched.count < 64) {
        const clrhost_task_counters *c = &sched.rows[sched.count];
        clrhost_task_get_counters(task, &sched.rows[sched.count]);
        if (c->slot_takes + c->over_cap) /* else never scheduled */
            ++sched.count;
    }
    LeaveCriticalSection(&sched_lock);
}

/* The child's state, printed when its parent finds it has run past its
   bound: every task's view, and the manager's slots. */
static void print_live_view(void)
{
    clrhost_task_manager_stats st;
    clrhost_task_view views[64];
    size_t n = 0, i;
    if (SUCCEEDED(clrhost_task_manager_get_stats(tm, &st)))
        printf("LIVE  slots %lu, held %lu, tasks waiting for one %lu, over the cap %lu\n", (unsigned long)st.slots,
               (unsigned long)st.slots_held, (unsigned long)st.slot_waiters, (unsigned long)st.tasks_over_cap);
    if (FAILED(clrhost_task_manager_list(tm, CLRHOST_TASK_LIST_ALL, 0, views, 64, &n)))
        return;
    for (i = 0; i < n; ++i) {
        const clrhost_task_view *v = &views[i];
        char target[160];
        const char *where = "managed code";
        if (v->in_native) { /* a thread of the kit's own: it may ask the loader */
            (void)clrhost_task_describe_target(v->native_target, target, sizeof target);
            where = target;
        }
        printf("LIVE  thread %lu %-17s %s, %s; in %s, depth %u, %.1f s there%s\n", (unsigned long)v->thread_id,
               clrhost_task_kind_name(v->kind), !v->scheduled ? "not scheduled"
                                                : v->slot_waiting ? "WAITS FOR A SLOT"
                                                : v->over_cap ? "over the cap"
                                                : v->slot >= 0 ? "holds a slot"
                                                               : "no slot",
               v->thread_affinity ? "holds a CLR lock (affinity)" : "no CLR lock", where, v->depth,
               (double)v->state_ns / 1e9, v->waiting ? ", waiting" : "");
    }
    clrhost_task_views_release(views, n);
    fflush(stdout);
}

/* The event a parent sets to have its child print its live view: named by
   the child's process id. */
static void dump_event_name(wchar_t *name, size_t size, DWORD pid)
{
    swprintf(name, size, L"Local\\clrhost_task-validate-dump-%lu", (unsigned long)pid);
}

static DWORD WINAPI dump_watcher(LPVOID event)
{
    if (WaitForSingleObject((HANDLE)event, INFINITE) == WAIT_OBJECT_0)
        print_live_view();
    return 0;
}

static int sched_ended(void)
{
    int count;
    EnterCriticalSection(&sched_lock);
    count = sched.count;
    LeaveCriticalSection(&sched_lock);
    return count;
}

/* The longest of ten 20 ms native sleeps here, in ms: Windows' default
   timer tick (15.6 ms) makes each 20 to about 36 ms, so the throttle
   threads' native time (five such calls each) is judged against what this
   machine does in the same run, not against a fixed bound. */
static double longest_20_ms_sleep(void)
{
    LARGE_INTEGER frequency, a, b;
    double longest = 0;
    int i;
    QueryPerformanceFrequency(&frequency);
    for (i = 0; i < 10; ++i) {
        double ms;
        QueryPerformanceCounter(&a);
        Sleep(20);
        QueryPerformanceCounter(&b);
        ms = (double)(b.QuadPart - a.QuadPart) * 1000.0 / (double)frequency.QuadPart;
        if (ms > longest)
            longest = ms;
    }
    return longest;
}

static int scheduler_run(void)
{
    clrhost_task_config cfg;
    IHostControl *hc = NULL;
    snapshot before, after;
    ULONGLONG start, wall_ms, managed_ns = 0, min_slot_ns = ~(ULONGLONG)0, waits = 0;
    long native_off = 0, native_most_ms;
    double sleep_ms;
    int i, unloaded_before, ended;
    ULONGLONG yields, over, over_ns, slot_ns;
    wchar_t dump_name[64];
    HANDLE dump;
    InitializeCriticalSection(&sched_lock);
    memset(&cfg, 0, sizeof cfg);
    cfg.flags = CLRHOST_TASK_TIMING;
    cfg.hooks.leave_runtime = on_sched_leave;
    cfg.hooks.enter_runtime = on_sched_enter;
    cfg.hooks.task_end = on_sched_task_end;
    cfg.schedule.slots = SCHED_SLOTS;
    cfg.schedule.quantum_ms = SCHED_QUANTUM_MS;
    dump_event_name(dump_name, sizeof dump_name / sizeof dump_name[0], GetCurrentProcessId());
    dump = CreateEventW(NULL, TRUE, FALSE, dump_name);
    if (dump)
        CloseHandle(CreateThread(NULL, 0, dump_watcher, dump, 0, NULL));
    if (FAILED(clrhost_task_manager_create(&cfg, &tm)) || FAILED(clrhost_task_host_control_create(tm, NULL, &hc)) ||
        example_clr_start("validate", hc, &host) != 0) {
        printf("FAIL  scheduler/start                the CLR did not start with a scheduler\n");
        return 1;
    }
    /* Five native sleeps of at most the longest seen, and 50 ms for the
       transitions on a busy machine: a wait for a slot counted too would
       add the hundreds of ms each thread waits. */
    sleep_ms = longest_20_ms_sleep();
    native_most_ms = (long)(5 * sleep_ms) + 50;
    printf("INFO  scheduler: a 20 ms native sleep took at most %.1f ms here (10 tries): each thread's native "
           "time is expected from 90 to %ld ms\n",
           sleep_ms, native_most_ms);
    start = GetTickCount64();
    run("scheduler/run", L"throttle:8", &before, &after);
    wall_ms = GetTickCount64() - start;
    for (i = 0; i < sched.count; ++i) {
        const clrhost_task_counters *c = &sched.rows[i];
        managed_ns += c->slot_ns;
        waits += c->slot_waits;
        if (c->slot_ns < min_slot_ns)
            min_slot_ns = c->slot_ns;
        if (c->native_call_ns < 90000000u || c->native_call_ns >= (ULONGLONG)native_most_ms * 1000000u)
            ++native_off;
    }
    expect_eq("scheduler/threads", "scheduled threads that ended (user threads)", sched.count, SCHED_THREADS,
              "[SRC]");
    expect(sched.count > 0 && min_slot_ns >= 75000000u, "scheduler/managed_time",
           "least time a thread held a slot, ms (its about 100 ms of managed work)",
           sched.count ? (long)(min_slot_ns / 1000000u) : 0, 75, "[HDR]");
    expect_eq("scheduler/native_time",
              "threads whose native time was not 90 ms to five of this machine's 20 ms sleeps (no slot wait in it)",
              native_off, 0, "[HDR]");
    expect(waits >= SCHED_THREADS, "scheduler/waited", "waits for a slot (8 threads on 2)", (long)waits,
           SCHED_THREADS, "[HDR]");
    expect(wall_ms > 0 && managed_ns / 10000u / wall_ms <= 201, "scheduler/busy",
           "slots busy on average x100 (managed time over wall time; at most 2)",
           wall_ms ? (long)(managed_ns / 10000u / wall_ms) : 0, 200, "[HDR]");
    unloaded_before = sched.count;
    run("scheduler/unload", L"unload:4", &before, &after);
    for (i = 0; i < 500 && sched_ended() - unloaded_before < 4; ++i)
        Sleep(10); /* the unload waits for its threads to leave the domain, not to end */
    ended = sched_ended(); /* the rows up to here are final: read without the lock */
    expect_eq("scheduler/unload_threads", "threads of the unloaded domain that ended, each after holding a slot",
              ended - unloaded_before, 4, "[INF]");
    for (i = unloaded_before, waits = 0, yields = 0; i < ended; ++i) {
        waits += sched.rows[i].slot_waits;
        yields += sched.rows[i].forced_yields_taken;
    }
    expect(waits >= 2, "scheduler/unload_waited",
           "waits for a slot among the domain's threads (2 spin, 2 queue)", (long)waits, 2, "[HDR]");
    expect(yields >= 1, "scheduler/quantum",
           "forced yields the domain's spinners took (YieldTask past the 50 ms quantum, then SwitchToTask)",
           (long)yields, 1, "[INF]");
    run("scheduler/stress", L"schedstress:8", &before, &after);
    expect((long)(after.stats.totals.reverse_enter_runtime - before.stats.totals.reverse_enter_runtime) >= 8 * 8 * 2,
           "scheduler/stress_callbacks", "reverse calls during the stress (8 threads x 8 rounds x 2)",
           (long)(after.stats.totals.reverse_enter_runtime - before.stats.totals.reverse_enter_runtime), 8 * 8 * 2,
           "[SRC]");
    expect(after.stats.tasks_ended - before.stats.tasks_ended >= 72, "scheduler/stress_threads",
           "tasks that ended during the stress (8 threads and their 64 children)",
           (long)(after.stats.tasks_ended - before.stats.tasks_ended), 72, "[SRC]");
    over = after.stats.totals.over_cap - before.stats.totals.over_cap;
    over_ns = after.stats.totals.over_cap_ns - before.stats.totals.over_cap_ns;
    slot_ns = after.stats.totals.slot_ns - before.stats.totals.slot_ns;
    printf("INFO  scheduler: over the cap %lu times in the stress, %.1f ms of %.1f ms of managed code (%.1f%%)\n",
           (unsigned long)over, (double)over_ns / 1e6, (double)(over_ns + slot_ns) / 1e6,
           over_ns + slot_ns ? 100.0 * (double)over_ns / (double)(over_ns + slot_ns) : 0.0);
    expect_eq("scheduler/holders", "transitions at which more than 2 tasks held a slot", (long)sched.holders_over, 0,
              "[HDR]");
    expect_eq("scheduler/hooks_hold_slot", "hooks of a scheduled task that ran without its slot",
              (long)sched.hook_without_slot, 0, "[HDR]");
    printf("%d passed, %d failed (scheduler run)\n", passed, failed);
    return failed;
}

/* The scheduler's run, as a child process with its own CLR: its lines go
   to our output; its exit code is how many of its checks failed. */
static void scheduler_child(void)
{
    wchar_t path[MAX_PATH], command[MAX_PATH + 32];
    STARTUPINFOW si;
    PROCESS_INFORMATION pi;
    DWORD code = (DWORD)-1;
    memset(&si, 0, sizeof si);
    si.cb = sizeof si;
    si.dwFlags = STARTF_USESTDHANDLES;
    si.hStdInput = GetStdHandle(STD_INPUT_HANDLE);
    si.hStdOutput = GetStdHandle(STD_OUTPUT_HANDLE);
    si.hStdError = GetStdHandle(STD_ERROR_HANDLE);
    fflush(stdout);
    if (GetModuleFileNameW(NULL, path, MAX_PATH) && swprintf(command, MAX_PATH + 32, L"\"%ls\" --scheduler", path) > 0 &&
        CreateProcessW(path, command, NULL, NULL, TRUE, 0, NULL, NULL, &si, &pi)) {
        if (WaitForSingleObject(pi.hProcess, SCHED_CHILD_BOUND_MS) == WAIT_TIMEOUT) {
            wchar_t name[64];
            HANDLE dump;
            dump_event_name(name, sizeof name / sizeof name[0], pi.dwProcessId);
            expect(FALSE, "scheduler/deadlock",
                   "seconds the scheduler's run took (its live view follows; then it is ended)",
                   SCHED_CHILD_BOUND_MS / 1000, SCHED_CHILD_BOUND_MS / 1000, "(less than) [HDR]");
            fflush(stdout);
            dump = OpenEventW(EVENT_MODIFY_STATE, FALSE, name);
            if (dump) {
                SetEvent(dump);
                CloseHandle(dump);
            }
            WaitForSingleObject(pi.hProcess, 5000);
            TerminateProcess(pi.hProcess, 99);
            WaitForSingleObject(pi.hProcess, INFINITE);
        }
        GetExitCodeProcess(pi.hProcess, &code);
        CloseHandle(pi.hThread);
        CloseHandle(pi.hProcess);
    }
    expect_eq("scheduler/child", "FAIL lines of the scheduler's run (validate.exe --scheduler)", (long)code, 0,
              "[HDR]");
}

int main(int argc, char **argv)
{
    const BOOL x86 = sizeof(void *) == 4;
    const long churn = argc > 1 ? atol(argv[1]) : 1000;
    clrhost_task_config cfg;
    IHostControl *hc = NULL;
    snapshot before, after, start, settled, first, second;
    wchar_t argument[32];
    const char *bad_slot;
    HRESULT hr;
    int failure, round;

    if (argc == 2 && strcmp(argv[1], "--scheduler") == 0)
        return scheduler_run();
    if (argc > 2 || churn < 1) {
        fprintf(stderr, "usage: validate [churn-threads | --scheduler]\n");
        return 1;
    }
    printf("clrhost_task.h validation on the real CLR, %s build%s\n", x86 ? "x86" : "x64",
           CLRHOST_TASK_NEGATIVE_CONTROL ? " (a NEGATIVE CONTROL: the header is broken on purpose)" : "");
    main_thread = GetCurrentThreadId();
    get_current_thread_id_target = (SIZE_T)GetProcAddress(GetModuleHandleW(L"kernel32.dll"), "GetCurrentThreadId");
    InitializeCriticalSection(&foreign_lock);
    observed_main_thread = main_thread;

    bad_slot = clrhost_task_self_check();
    expect(bad_slot == NULL, "build/vtable_slots", "vtable slots as mscoree.idl orders them", bad_slot != NULL, 0,
           "[HDR]");
    if (bad_slot)
        printf("      %s\n", bad_slot);

    memset(&cfg, 0, sizeof cfg);
    cfg.flags = CLRHOST_TASK_PROFILE; /* timing, and by target */
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
    failure = example_clr_start("validate", clr_observer_create(hc), &host);
    if (failure)
        return failure;
    take(tm, &start);
    expect(clrhost_task_current(tm) != NULL, "start/adopted", "Start adopted the thread that called it",
           clrhost_task_current(tm) != NULL, 1, "[SRC]");
    expect(start.calls.create_task >= 1, "start/create_task", "the CLR made its own threads through CreateTask",
           (long)start.calls.create_task, 1, "[SRC] (at least)");
    expect(observed_clr_task_manager != NULL, "start/clr_task_manager", "the CLR gave its ICLRTaskManager",
           observed_clr_task_manager != NULL, 1, "[SRC]");
    printf("INFO  CreateTask calls during Start: %ld\n", (long)start.calls.create_task);

    /* x86 asks once per target, when the stub is bound; x64 on every call:
       the second run tells them apart. */
    for (round = 1; round <= 2; ++round) {
        const char *key = round == 1 ? "pinvoke/asks_first_run" : "pinvoke/asks_second_run";
        long profiled = profile_calls("example_native.dll!example_add");
        (void)run(round == 1 ? "pinvoke/first_run" : "pinvoke/second_run", L"pinvoke", &before, &after);
        expect_eq(round == 1 ? "pinvoke/profile" : "pinvoke/profile_again",
                  "calls to example_native.dll!example_add in the per-target profile, by name",
                  profile_calls("example_native.dll!example_add") - profiled, PINVOKE_CALLS, "[HDR]");
        expect_eq(round == 1 ? "pinvoke/leave" : "pinvoke/leave_again", "LeaveRuntime into example_native.dll",
                  DELTA(ours_leave), PINVOKE_CALLS, "[SRC]");
        expect_eq(round == 1 ? "pinvoke/enter" : "pinvoke/enter_again", "EnterRuntime after them",
                  DELTA(ours_enter), PINVOKE_CALLS, "[SRC]");
        expect_eq(key,
                  x86 ? "CallNeedsHostHook, asked once per target when bound (x86)"
                      : "CallNeedsHostHook, asked on every call (x64)",
                  DELTA(ours_asks), x86 ? (round == 1 ? 1 : 0) : PINVOKE_CALLS, "[SRC]");
        expect_eq(round == 1 ? "pinvoke/kernel32" : "pinvoke/kernel32_again",
                  "LeaveRuntime into kernel32!GetCurrentThreadId", DELTA(kernel32_leave), 1, "[SRC]");
    }
    (void)run("nested/run", L"nested", &before, &after);
    events[event_count] = 0;
    expect(strcmp(events, "LRLErE") == 0, "nested/order",
           "the documentation's order: Leave, ReverseEnter, Leave, Enter, ReverseLeave, Enter (1 = yes)",
           strcmp(events, "LRLErE") == 0, 1, "[DOC]");
    if (strcmp(events, "LRLErE") != 0)
        printf("      seen: %s (L Leave, E Enter, R ReverseEnter, r ReverseLeave)\n", events);
    (void)run("reverse/run", L"reverse", &before, &after);
    expect_eq("reverse/enter", "ReverseEnterRuntime (the hook answers S_FALSE; the CLR must get S_OK)",
              DELTA(main_reverse_enter), REVERSE_CALLS, "[SRC] [HDR]");
    expect_eq("reverse/leave", "ReverseLeaveRuntime", DELTA(main_reverse_leave), REVERSE_CALLS, "[SRC]");
    expect_eq("reverse/outer_call", "LeaveRuntime into example_native.dll", DELTA(ours_leave), 1, "[SRC]");
    (void)run("exception/run", L"exception", &before, &after);
    expect_eq("exception/reverse_enter", "ReverseEnterRuntime", DELTA(main_reverse_enter), 1, "[SRC]");
    expect_eq("exception/reverse_leave", "ReverseLeaveRuntime, called by the unwind", DELTA(main_reverse_leave),
              1, "[SRC]");
    expect_eq("exception/enter", "EnterRuntime for the call the exception left", DELTA(ours_enter), 1, "[SRC]");
    expect_eq("exception/protocol_errors", "protocol errors", STAT_DELTA(totals.protocol_errors), 0, "[HDR]");
    (void)run("threads/run", L"threads", &before, &after);
    expect_eq("threads/create_task", "CreateTask calls from the thread that called Thread.Start",
              CALLS(create_task_on_main), THREADS, "[SRC]");
    expect_eq("threads/ended", "threads ended (task_end, after ExitTask) once Join returned",
              DELTA(ended_with_ours), THREADS, "[SRC]");
    expect_eq("threads/exit_task_seen", "of them, unknown to the CLR in task_end (ExitTask detached them)",
              DELTA(switched_out), THREADS, "[SRC]");
    expect_eq("threads/exit_task_calls", "ExitTask calls on the CLR's user threads", CALLS(exit_task_user),
              DELTA(ended_with_ours), "[HDR]");
    expect_eq("threads/exit_task_results", "ExitTask calls the CLR answered other than S_OK", CALLS(exit_task_failed),
              0, "[SRC]");
    expect_eq("threads/leave", "LeaveRuntime into example_native.dll", DELTA(ours_leave), THREADS, "[SRC]");
    printf("INFO  CreateTask calls during the scenario, all threads: %ld\n", CALLS(create_task));
    /* What the CLR passed is checked even when the managed checks failed. */
    (void)run("interrupt/run", L"interrupt", &before, &after);
    expect(CALLS(alert) >= 2, "interrupt/alerts", "IHostTask::Alert calls (Interrupt of a thread in Sleep or Join)",
           CALLS(alert), 2, "[SRC] (at least)");
    expect_eq("interrupt/join_alertable", "Joins without WAIT_ALERTABLE (Thread.Join is alertable)",
              WITHOUT(join, WAIT_ALERTABLE), 0, "[SRC]");
    expect_eq("interrupt/join_not_deadlock", "Joins with WAIT_NOTINDEADLOCK (Thread.Join waits InDeadlock)",
              WITH(join, WAIT_NOTINDEADLOCK), 0, "[SRC]");
    expect(WITH(join, WAIT_MSGPUMP) >= 1, "interrupt/join_pumps", "Joins with WAIT_MSGPUMP (the STA thread's)",
           WITH(join, WAIT_MSGPUMP), 1, "[SRC] (at least)");
    expect(WITH(sleep, WAIT_ALERTABLE) >= 2, "interrupt/sleep_alertable", "Sleeps with WAIT_ALERTABLE (Thread.Sleep)",
           WITH(sleep, WAIT_ALERTABLE), 2, "[SRC] (at least)");
    expect_eq("interrupt/sleep_no_pump", "Sleeps with WAIT_MSGPUMP (the CLR's Sleep never pumps)",
              WITH(sleep, WAIT_MSGPUMP), 0, "[SRC]");
    printf("INFO  Alerts during the scenario: %ld\n", CALLS(alert));
    print_options("Join options in the scenario (option calls;):", before.calls.join, after.calls.join);
    print_options("Sleep options in the scenario (option calls;):", before.calls.sleep, after.calls.sleep);
    run("culture/run", L"culture", &before, &after); /* the CurrentUICulture setter did not throw */
    run_tasks_scenario(&before, &after); /* kinds, bytes allocated, an abort */

    /* Churn: after a warm-up (the CLR's own tables may grow with the first
       threads), N threads and then 2N, each measured once the process has
       settled: every ended thread cleaned up by the finalizer, its task let
       go of and freed. A leak of L handles per thread shows as L*N more in
       the second difference than in the first; constant growth cancels. */
    swprintf(argument, sizeof argument / sizeof argument[0], L"churn:%d", CHURN_WARM_UP);
    if (run("churn/warm_up", argument, &before, &after)) {
        settle(&settled);
        expect_eq("churn/freed_before", "tasks ended but not freed once settled (before the churn)",
                  (long)(settled.stats.tasks_ended - settled.stats.tasks_freed), 0, "[SRC] [HDR]");
        swprintf(argument, sizeof argument / sizeof argument[0], L"churn:%ld", churn);
        if (run("churn/first_run", argument, &before, &after)) {
            expect_eq("churn/ended", "threads ended (task_end, after ExitTask)", DELTA(ended_with_ours), churn,
                      "[SRC]");
            expect_eq("churn/exit_task_seen", "of them, unknown to the CLR in task_end (ExitTask detached them)",
                      DELTA(switched_out), churn, "[SRC]");
            expect_eq("churn/exit_task_calls", "ExitTask calls on the CLR's user threads", CALLS(exit_task_user),
                      churn, "[HDR]");
            expect_eq("churn/exit_task_results", "ExitTask calls the CLR answered other than S_OK",
                      CALLS(exit_task_failed), 0, "[SRC]");
            settle(&first);
            expect_eq("churn/freed", "tasks ended but not freed once settled (after N threads)",
                      (long)(first.stats.tasks_ended - first.stats.tasks_freed), 0, "[SRC] [HDR]");
            swprintf(argument, sizeof argument / sizeof argument[0], L"churn:%ld", 2 * churn);
            if (run("churn/second_run", argument, &before, &after)) {
                settle(&second);
                expect_eq("churn/freed_again", "tasks ended but not freed once settled (after 2N more)",
                          (long)(second.stats.tasks_ended - second.stats.tasks_freed), 0, "[SRC] [HDR]");
                leak_check("churn/task_leak", "live tasks", churn, (long)settled.stats.tasks_live,
                           (long)first.stats.tasks_live, (long)second.stats.tasks_live);
                leak_check("churn/handle_leak", "process handles", churn, (long)settled.handles, (long)first.handles,
                           (long)second.handles);
                leak_check("churn/thread_leak", "OS threads", churn, settled.threads, first.threads, second.threads);
            }
        }
    }

    /* Controls 1 to 5 break the main run's promises; 6 is the scheduler's. */
    if (!CLRHOST_TASK_NEGATIVE_CONTROL || CLRHOST_TASK_NEGATIVE_CONTROL == 6)
        scheduler_child();

    take(tm, &after);
    expect_eq("all/protocol_errors", "protocol errors counted over the whole run",
              (long)after.stats.totals.protocol_errors, 0, "[HDR]");
    expect_eq("all/logged", "warnings and errors logged (strict mode)", seen.log_lines, 0, "[HDR]");
    printf("INFO  over the whole run: CreateTask %ld, GetCurrentTask %ld, SwitchToTask %ld, ExitTask %ld (%ld not "
           "S_OK), tasks freed %lu of %lu ended\n",
           (long)observed_calls.create_task, (long)observed_calls.get_current_task,
           (long)observed_calls.switch_to_task, (long)observed_calls.exit_task, (long)observed_calls.exit_task_failed,
           (unsigned long)after.stats.tasks_freed, (unsigned long)after.stats.tasks_ended);
    print_options("Sleep options over the run (option calls;):", start.calls.sleep, observed_calls.sleep);
    print_releases();
    print_foreign_targets();
    printf("%d passed, %d failed (%s build)\n", passed, failed, x86 ? "x86" : "x64");
    if (CLRHOST_TASK_NEGATIVE_CONTROL) { /* exit 0 only when the broken promise was caught */
        printf("negative control %d (%s): FAIL %s %s\n", CLRHOST_TASK_NEGATIVE_CONTROL,
               negative_controls[CLRHOST_TASK_NEGATIVE_CONTROL].broken,
               negative_controls[CLRHOST_TASK_NEGATIVE_CONTROL].caught_by,
               control_caught ? "reported: caught" : "NOT reported: the kit missed it");
        return control_caught ? 0 : 1;
    }
    return failed ? 1 : 0;
}
