/* The profiler's parts: what a closing hook learns of the frame it closes
   (clrhost_task_closing_frame), the per-target profile (calls and time
   outside the runtime by native target, bounded, merged across tasks,
   named at report time), and the clock timing reads (the processor's
   counter against the OS clock). Run under TSan too. */
#if !defined(_WIN32) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE 1 /* clock_gettime under -std=c99, as in harness.c */
#endif
#include "../clr/harness.h"

#include <stdlib.h>

#ifdef _WIN32
#include <windows.h>
#else
#include <time.h>
#endif

#if (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
#include <cpuid.h>
#define TEST_KNOWS_CPUID 1
static int cpu_has_invariant_tsc(void)
{
    unsigned a, b, c, d;
    return __get_cpuid(0x80000007u, &a, &b, &c, &d) && (d & 0x100u) != 0;
}
#elif defined(_MSC_VER) && (defined(_M_X64) || defined(_M_IX86))
#include <intrin.h>
#define TEST_KNOWS_CPUID 1
static int cpu_has_invariant_tsc(void)
{
    int r[4];
    __cpuid(r, (int)0x80000000u);
    if ((unsigned)r[0] < 0x80000007u)
        return 0;
    __cpuid(r, (int)0x80000007u);
    return ((unsigned)r[3] & 0x100u) != 0;
}
#else
#define TEST_KNOWS_CPUID 0
#endif

/* The OS clock, in ns: what the header's own clock is checked against. */
static unsigned long long os_now_ns(void)
{
#ifdef _WIN32
    LARGE_INTEGER f, now;
    QueryPerformanceFrequency(&f);
    QueryPerformanceCounter(&now);
    return (unsigned long long)((double)now.QuadPart * 1e9 / (double)f.QuadPart);
#else
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (unsigned long long)ts.tv_sec * 1000000000u + (unsigned long long)ts.tv_nsec;
#endif
}

typedef struct manager {
    counting_allocator a;
    clrhost_task_manager *m;
    IHostTaskManager *tm;
} manager;

static void manager_open(manager *mg, unsigned flags, const clrhost_task_hooks *hooks)
{
    clrhost_task_config cfg;
    memset(mg, 0, sizeof *mg);
    test_config(&cfg, &mg->a);
    if (hooks)
        cfg.hooks = *hooks;
    cfg.flags = flags;
    CHECK_HR(clrhost_task_manager_create(&cfg, &mg->m), S_OK);
    mg->tm = clrhost_task_manager_iface(mg->m);
}

static void manager_close(manager *mg)
{
    clrhost_task_manager_stats st;
    CHECK_HR(clrhost_task_manager_get_stats(mg->m, &st), S_OK);
    CHECK_EQ(st.tasks_live, 0);
    CHECK_EQ(st.totals.protocol_errors, 0);
    CHECK_EQ(clrhost_task_manager_release(mg->m), 0);
    CHECK_EQ(T_LOAD(&mg->a.outstanding), 0);
}

/* Makes the calling thread one of the manager's tasks (a foreign thread's
   first GetCurrentTask); the thread's own reference keeps it. */
static void adopt(manager *mg)
{
    IHostTask *task = NULL;
    CHECK_HR(mg->tm->lpVtbl->GetCurrentTask(mg->tm, &task), S_OK);
    if (task)
        task->lpVtbl->Release(task);
}

/* ---- closing hooks see their frame ------------------------------------------ */

#define MAX_SEEN 8

typedef struct frames_seen {
    manager mg;
    clrhost_task_frame seen[MAX_SEEN];
    int count;
    HRESULT in_leave_hook; /* clrhost_task_closing_frame from a leave hook */
} frames_seen;

static void record_frame(void *user, clrhost_task *task)
{
    frames_seen *fs = (frames_seen *)user;
    if (fs->count < MAX_SEEN)
        CHECK_HR(clrhost_task_closing_frame(task, &fs->seen[fs->count]), S_OK);
    fs->count += 1;
}

static HRESULT leave_asks(void *user, clrhost_task *task, SIZE_T target)
{
    frames_seen *fs = (frames_seen *)user;
    clrhost_task_frame f;
    (void)target;
    fs->in_leave_hook = clrhost_task_closing_frame(task, &f);
    return S_OK;
}

typedef struct other_thread_ask {
    clrhost_task *task;
    HRESULT hr;
} other_thread_ask;

static void ask_from_other_thread(void *p)
{
    other_thread_ask *o = (other_thread_ask *)p;
    clrhost_task_frame f;
    o->hr = clrhost_task_closing_frame(o->task, &f);
}

#define A_TARGET ((SIZE_T)0xA0)
#define B_TARGET ((SIZE_T)0xB0)

/* The documentation's nesting, with sleeps that make each frame's time:
   LeaveRuntime(A) 30 ms, ReverseEnter 20 ms, LeaveRuntime(B) 40 ms,
   EnterRuntime, ReverseLeave, EnterRuntime; then one of the CLR's waits. */
static void nested_frames(void *p)
{
    frames_seen *fs = (frames_seen *)p;
    IHostTaskManager *tm = fs->mg.tm;
    IHostTask *task = NULL;
    clrhost_task_frame f;
    other_thread_ask other;
    CHECK_HR(tm->lpVtbl->GetCurrentTask(tm, &task), S_OK);
    CHECK_HR(clrhost_task_closing_frame(clrhost_task_from_iface(task), &f), HOST_E_INVALIDOPERATION);
    CHECK_HR(clrhost_task_closing_frame(NULL, &f), E_POINTER);
    CHECK_HR(clrhost_task_closing_frame(clrhost_task_from_iface(task), NULL), E_POINTER);
    CHECK_HR(tm->lpVtbl->LeaveRuntime(tm, A_TARGET), S_OK);
    test_sleep_ms(30);
    CHECK_HR(tm->lpVtbl->ReverseEnterRuntime(tm), S_OK);
    test_sleep_ms(20);
    CHECK_HR(tm->lpVtbl->LeaveRuntime(tm, B_TARGET), S_OK);
    test_sleep_ms(40);
    CHECK_HR(tm->lpVtbl->EnterRuntime(tm), S_OK);
    CHECK_HR(tm->lpVtbl->ReverseLeaveRuntime(tm), S_OK);
    CHECK_HR(tm->lpVtbl->EnterRuntime(tm), S_OK);
    CHECK_HR(tm->lpVtbl->LeaveRuntime(tm, test_clr_wait_target()), S_OK);
    CHECK_HR(tm->lpVtbl->EnterRuntime(tm), S_OK);
    other.task = clrhost_task_from_iface(task);
    test_run_on_thread(ask_from_other_thread, &other);
    CHECK_HR(other.hr, HOST_E_INVALIDOPERATION);
    task->lpVtbl->Release(task);
}

static void check_frame(const clrhost_task_frame *f, BOOL native, SIZE_T target, unsigned depth, BOOL wait)
{
    CHECK_EQ(f->native, native);
    CHECK_EQ(f->target, target);
    CHECK_EQ(f->depth, depth);
    CHECK_EQ(f->wait, wait);
}

/* ns within [expected ms, expected ms + slack]: a sleep is never short,
   and may be long on a busy machine or under valgrind. */
static void check_ms(ULONGLONG ns, unsigned expected_ms)
{
    if (ns < (ULONGLONG)expected_ms * 1000000u * 99 / 100 || ns > (ULONGLONG)(expected_ms + 2000) * 1000000u) {
        printf("     %llu ns, expected about %u ms\n", (unsigned long long)ns, expected_ms);
        CHECK(0);
    }
}

static void closing_frames(unsigned flags)
{
    frames_seen fs;
    clrhost_task_hooks hooks;
    const clrhost_task_frame *b, *r, *a;
    memset(&fs, 0, sizeof fs);
    memset(&hooks, 0, sizeof hooks);
    hooks.user = &fs;
    hooks.enter_runtime = record_frame;
    hooks.reverse_leave_runtime = record_frame;
    hooks.leave_runtime = leave_asks;
    manager_open(&fs.mg, flags, &hooks);
    test_run_on_thread(nested_frames, &fs);
    CHECK_EQ(fs.count, 4);
    CHECK_HR(fs.in_leave_hook, HOST_E_INVALIDOPERATION);
    b = &fs.seen[0], r = &fs.seen[1], a = &fs.seen[2];
    check_frame(b, TRUE, B_TARGET, 2, FALSE);
    check_frame(r, FALSE, 0, 1, FALSE);
    check_frame(a, TRUE, A_TARGET, 0, FALSE);
    check_frame(&fs.seen[3], TRUE, test_clr_wait_target(), 0, TRUE);
    if (flags & CLRHOST_TASK_TIMING) {
        check_ms(b->ns, 40);
        CHECK(b->span_ns >= b->ns && b->span_ns - b->ns < 1000); /* nothing nested in B */
        check_ms(r->ns, 20); /* managed time: B's 40 ms are not in it */
        CHECK(r->span_ns >= r->ns + b->span_ns - 2 && r->span_ns <= r->ns + b->span_ns + 2);
        check_ms(a->ns, 30); /* outside the runtime: the reverse call's 60 ms are not in it */
        CHECK(a->span_ns >= a->ns + r->span_ns - 2 && a->span_ns <= a->ns + r->span_ns + 2);
        check_ms(a->span_ns, 90);
    } else {
        CHECK(b->ns == 0 && b->span_ns == 0 && a->ns == 0 && r->span_ns == 0);
    }
    manager_close(&fs.mg);
}

TEST_CASE(test_closing_frame, "profile/closing_frame")
{
    closing_frames(0);
    closing_frames(CLRHOST_TASK_TIMING);
    closing_frames(CLRHOST_TASK_TIMING | CLRHOST_TASK_OS_CLOCK);
}

#ifndef CLRHOST_TASK_NO_PROFILE /* the profile's own tests */
/* ---- the per-target profile ---------------------------------------------------- */

/* n native calls to target, each `ms` long (0: none), with a reverse call
   of nested_ms inside when nested_ms > 0. */
/* The times one call took as the test saw them, in ms: the whole call,
   and the reverse call inside it. */
typedef struct call_times {
    unsigned long long whole_ms, nested_ms;
} call_times;

/* One native call to target of `ms` ms, with a reverse call of nested_ms
   inside it if nested_ms; its times into *seen if not NULL. */
static void call_once(IHostTaskManager *tm, SIZE_T target, unsigned ms, unsigned nested_ms, call_times *seen)
{
    unsigned long long start = test_now_ms(), nested_start;
    CHECK_HR(tm->lpVtbl->LeaveRuntime(tm, target), S_OK);
    if (ms)
        test_sleep_ms(ms);
    if (nested_ms) {
        CHECK_HR(tm->lpVtbl->ReverseEnterRuntime(tm), S_OK);
        nested_start = test_now_ms();
        test_sleep_ms(nested_ms);
        if (seen)
            seen->nested_ms = test_now_ms() - nested_start;
        CHECK_HR(tm->lpVtbl->ReverseLeaveRuntime(tm), S_OK);
    }
    CHECK_HR(tm->lpVtbl->EnterRuntime(tm), S_OK);
    if (seen)
        seen->whole_ms = test_now_ms() - start;
}

static void calls(IHostTaskManager *tm, SIZE_T target, int n, unsigned ms, unsigned nested_ms)
{
    int i;
    for (i = 0; i < n; ++i)
        call_once(tm, target, ms, nested_ms, NULL);
}

typedef struct profile_run {
    manager mg;
    SIZE_T known;        /* a real function, to be named */
    long ready, go_on, second_done;
    clrhost_task *first; /* live while the report is made */
    call_times b;        /* the call to B */
} profile_run;

static const clrhost_task_profile_entry *find_entry(const clrhost_task_profile_entry *e, size_t n, SIZE_T target)
{
    size_t i;
    for (i = 0; i < n; ++i)
        if (e[i].target == target)
            return &e[i];
    return NULL;
}

/* The first task: 3 calls to the known function (10 ms each), 1 to B with
   a 30 ms reverse call inside (5 ms outside), 2 of the CLR's waits of 5 ms.
   It stays live until the reports are made. */
static void profile_first(void *p)
{
    profile_run *r = (profile_run *)p;
    IHostTaskManager *tm = r->mg.tm;
    IHostTask *task = NULL;
    CHECK_HR(tm->lpVtbl->GetCurrentTask(tm, &task), S_OK);
    r->first = clrhost_task_from_iface(task);
    calls(tm, r->known, 3, 10, 0);
    call_once(tm, B_TARGET, 5, 30, &r->b);
    calls(tm, test_clr_wait_target(), 2, 5, 0);
    T_STORE(&r->ready, 1);
    test_wait_for(&r->go_on, 1);
    task->lpVtbl->Release(task);
}

/* The second task: 2 calls to the known function, then it ends. */
static void profile_second(void *p)
{
    profile_run *r = (profile_run *)p;
    adopt(&r->mg);
    calls(r->mg.tm, r->known, 2, 1, 0);
}

static void check_sorted(const clrhost_task_profile_entry *e, size_t n)
{
    size_t i;
    for (i = 1; i < n; ++i)
        CHECK(e[i - 1].ns >= e[i].ns);
}

TEST_CASE(test_profile_targets, "profile/targets")
{
    profile_run r;
    test_thread *first;
    clrhost_task_profile_entry e[8];
    const clrhost_task_profile_entry *known, *b, *wait;
    clrhost_task_manager_stats st;
    clrhost_task_counters c;
    size_t n, i;
    ULONGLONG waits_ns = 0, calls_ns = 0;
    manager plain;
    memset(&r, 0, sizeof r);
    r.known = test_system_function();
    manager_open(&r.mg, CLRHOST_TASK_PROFILE, NULL);
    first = test_thread_start(profile_first, &r);
    test_run_on_thread(profile_second, &r);
    test_wait_for(&r.ready, 1);

    /* the whole manager: the live task's lines and the ended one's */
    CHECK_HR(clrhost_task_manager_profile(r.mg.m, NULL, e, 8, &n), S_OK);
    CHECK_EQ(n, 3);
    check_sorted(e, n);
    known = find_entry(e, n, r.known);
    b = find_entry(e, n, B_TARGET);
    wait = find_entry(e, n, test_clr_wait_target());
    CHECK(known && b && wait);
    if (!known || !b || !wait) { /* let the first task end, and stop here */
        T_STORE(&r.go_on, 1);
        test_thread_join(first);
        manager_close(&r.mg);
        return;
    }
    printf("     (%s: %llu calls, %.1f ms; %s: %llu, %.1f ms)\n", known->name, (unsigned long long)known->calls,
           (double)known->ns / 1e6, wait->name, (unsigned long long)wait->calls, (double)wait->ns / 1e6);
    CHECK_EQ(known->calls, 5);
    CHECK(strstr(known->name, "!") != NULL); /* module!export, named at report time */
    CHECK(!known->wait && !b->wait && wait->wait);
    CHECK(known->ns >= 32000000u);
    CHECK(known->max_ns >= 10000000u && known->max_ns <= known->ns);
    CHECK_EQ(b->calls, 1);
    check_ms(b->ns, 5);
    /* the 30 ms reverse call inside is not native time: B's fits in the
       whole call without it (each ms reading may lose up to 1 ms) */
    CHECK(b->ns < (r.b.whole_ms - r.b.nested_ms + 2) * 1000000u);
    CHECK_EQ(b->max_ns, b->ns);
    CHECK(strcmp(b->name, "0xb0") == 0);
    CHECK_EQ(wait->calls, 2);
    /* the profile and the counters book the same time */
    for (i = 0; i < n; ++i)
        *(e[i].wait ? &waits_ns : &calls_ns) += e[i].ns;
    CHECK_HR(clrhost_task_manager_get_stats(r.mg.m, &st), S_OK);
    CHECK(st.totals.native_wait_ns + n >= waits_ns && st.totals.native_wait_ns <= waits_ns + n);
    CHECK(st.totals.native_call_ns + n >= calls_ns && st.totals.native_call_ns <= calls_ns + n);

    /* one task: the live one's own lines */
    CHECK_HR(clrhost_task_manager_profile(r.mg.m, r.first, e, 8, &n), S_OK);
    CHECK_EQ(n, 3);
    known = find_entry(e, n, r.known);
    CHECK(known && known->calls == 3);
    clrhost_task_get_counters(r.first, &c);
    CHECK_EQ(c.enter_runtime, 6);

    /* no room for every line: the costliest, and S_FALSE */
    CHECK_HR(clrhost_task_manager_profile(r.mg.m, NULL, e, 2, &n), S_FALSE);
    CHECK_EQ(n, 2);
    CHECK(e[0].ns >= e[1].ns);
    CHECK_HR(clrhost_task_manager_profile(r.mg.m, NULL, NULL, 0, &n), S_FALSE);
    CHECK_EQ(n, 0);

    /* bad arguments, and a manager without the profile */
    CHECK_HR(clrhost_task_manager_profile(r.mg.m, NULL, e, 8, NULL), E_POINTER);
    CHECK_HR(clrhost_task_manager_profile(NULL, NULL, e, 8, &n), E_POINTER);
    CHECK_HR(clrhost_task_manager_profile(r.mg.m, NULL, NULL, 8, &n), E_POINTER);
    manager_open(&plain, CLRHOST_TASK_TIMING, NULL);
    CHECK_HR(clrhost_task_manager_profile(plain.m, NULL, e, 8, &n), HOST_E_INVALIDOPERATION);
    CHECK_HR(clrhost_task_manager_profile(plain.m, r.first, e, 8, &n), E_INVALIDARG);
    manager_close(&plain);

    T_STORE(&r.go_on, 1);
    test_thread_join(first);
    /* both ended: the manager's lines of ended tasks hold it all */
    CHECK_HR(clrhost_task_manager_profile(r.mg.m, NULL, e, 8, &n), S_OK);
    CHECK_EQ(n, 3);
    known = find_entry(e, n, r.known);
    CHECK(known && known->calls == 5);
    manager_close(&r.mg);
}

/* ---- its bounds ---------------------------------------------------------------- */

#define DISTINCT_PER_TASK 100 /* more than CLRHOST_TASK_PROFILE_TARGETS (64) */
#define BOUND_TASKS 5         /* 500 targets: more than the ended tasks' 256 lines */
#define BOUND_TARGET(task, i) ((SIZE_T)0x100000 + (SIZE_T)(task) * 0x10000 + (SIZE_T)(i) * 0x40)

typedef struct bound_run {
    manager mg;
    int index;
    size_t lines; /* the task's own, counted before it ends */
    ULONGLONG calls;
} bound_run;

static ULONGLONG sum_calls(const clrhost_task_profile_entry *e, size_t n, int *overflow_lines)
{
    ULONGLONG sum = 0;
    size_t i;
    *overflow_lines = 0;
    for (i = 0; i < n; ++i) {
        sum += e[i].calls;
        if (!e[i].target) {
            *overflow_lines += 1;
            CHECK(strcmp(e[i].name, "(other targets)") == 0);
        }
    }
    return sum;
}

static void bound_task(void *p)
{
    bound_run *r = (bound_run *)p;
    IHostTaskManager *tm = r->mg.tm;
    static clrhost_task_profile_entry e[4 * 64 * 8 + 2];
    int i, overflow;
    size_t n;
    adopt(&r->mg);
    for (i = 0; i < DISTINCT_PER_TASK; ++i)
        calls(tm, BOUND_TARGET(r->index, i), 1 + i % 3, 0, 0);
    CHECK_HR(clrhost_task_manager_profile(r->mg.m, clrhost_task_current(r->mg.m), e, sizeof e / sizeof e[0], &n),
             S_OK);
    r->lines = n;
    r->calls = sum_calls(e, n, &overflow);
    CHECK_EQ(overflow, 1);
}

TEST_CASE(test_profile_bound, "profile/bound")
{
    bound_run r;
    static clrhost_task_profile_entry e[4 * 64 * 8 + 2];
    ULONGLONG per_task = 0;
    int i, overflow;
    size_t n;
    for (i = 0; i < DISTINCT_PER_TASK; ++i)
        per_task += (ULONGLONG)(1 + i % 3);
    memset(&r, 0, sizeof r);
    manager_open(&r.mg, CLRHOST_TASK_PROFILE, NULL);
    for (r.index = 0; r.index < BOUND_TASKS; ++r.index) {
        test_run_on_thread(bound_task, &r);
        /* a task keeps at most its bound of lines, and loses no call */
        CHECK(r.lines <= 64 + 1);
        CHECK(r.lines >= 32);
        CHECK_EQ(r.calls, per_task);
    }
    CHECK_HR(clrhost_task_manager_profile(r.mg.m, NULL, e, sizeof e / sizeof e[0], &n), S_OK);
    printf("     (%lu lines for %d tasks' %d targets)\n", (unsigned long)n, BOUND_TASKS,
           BOUND_TASKS * DISTINCT_PER_TASK);
    CHECK(n <= 4 * 64 + 1);
    CHECK_EQ(sum_calls(e, n, &overflow), per_task * BOUND_TASKS);
    CHECK_EQ(overflow, 1);
    manager_close(&r.mg);
}

/* A task's own report holds every line its table holds, even where a
   cluster of lines wraps past the table's end: nine targets, two whose
   home line is the last (63) and seven whose home is the first (0), fit
   the task's 64 lines within the 8-line probe bound (63, 0, then 1 to 7).
   A report table of the task's size, filled again in line order, took
   the first target at line 0 back to its home line 63 and found no room
   for the other within 8 lines of it. */

/* The implementation's target hash (clrhost__target_hash). The test
   proves it the same first: nine targets with one home line overflow a
   task's table (8 lines within reach of it), which they would not if
   their homes differed. */
static SIZE_T home_line(SIZE_T target, SIZE_T lines)
{
    SIZE_T h = target >> 4;
    h ^= h >> 15;
    h *= (SIZE_T)0x2C1B3C6Du;
    return (h ^ (h >> 12)) & (lines - 1);
}

#define CLUSTER 9
#define TASK_LINES 64 /* CLRHOST_TASK_PROFILE_TARGETS, by default */

typedef struct wrap_run {
    manager mg;
    SIZE_T target[CLUSTER]; /* called in this order */
    size_t lines;           /* of the task's own report */
    int found, other;
} wrap_run;

/* `last` targets whose home is a task table's last line, then the rest
   of the cluster with home line 0. */
static void find_cluster(wrap_run *r, int last)
{
    SIZE_T t;
    int n_last = 0, n_first = 0;
    for (t = 0x200000; n_last + n_first < CLUSTER; t += 0x10) {
        SIZE_T home = home_line(t, TASK_LINES);
        if (home == TASK_LINES - 1 && n_last < last)
            r->target[n_last++] = t;
        else if (home == 0 && n_first < CLUSTER - last)
            r->target[last + n_first++] = t;
    }
}

static int found_all(const wrap_run *r, const clrhost_task_profile_entry *e, size_t n, int *other)
{
    int i, found = 0;
    *other = 0;
    for (i = 0; i < (int)n; ++i)
        *other += !e[i].target;
    for (i = 0; i < CLUSTER; ++i)
        found += find_entry(e, n, r->target[i]) != NULL;
    return found;
}

static void cluster_task(void *p)
{
    wrap_run *r = (wrap_run *)p;
    clrhost_task_profile_entry e[CLUSTER + 2];
    int i;
    adopt(&r->mg);
    for (i = 0; i < CLUSTER; ++i)
        calls(r->mg.tm, r->target[i], 1, 0, 0);
    CHECK_HR(clrhost_task_manager_profile(r->mg.m, clrhost_task_current(r->mg.m), e, sizeof e / sizeof e[0],
                                          &r->lines),
             S_OK);
    r->found = found_all(r, e, r->lines, &r->other);
}

/* Runs one task that calls the cluster; returns what the manager's
   report of it found (*other: its overflow lines). */
static int run_cluster(wrap_run *r, int last, int *other)
{
    clrhost_task_profile_entry e[CLUSTER + 2];
    size_t n;
    int found;
    find_cluster(r, last);
    manager_open(&r->mg, CLRHOST_TASK_PROFILE, NULL);
    test_run_on_thread(cluster_task, r);
    CHECK_HR(clrhost_task_manager_profile(r->mg.m, NULL, e, sizeof e / sizeof e[0], &n), S_OK);
    found = found_all(r, e, n, other);
    manager_close(&r->mg);
    return found;
}

TEST_CASE(test_profile_wrapping_cluster, "profile/wrapping_cluster")
{
    wrap_run r;
    int other, found;
    memset(&r, 0, sizeof r);
    /* nine with home 0: one finds no room in the task's table */
    found = run_cluster(&r, 0, &other);
    CHECK_EQ(r.found, CLUSTER - 1);
    CHECK_EQ(r.other, 1);
    CHECK_EQ(found, CLUSTER - 1);
    CHECK_EQ(other, 1);
    /* two with home 63, seven with home 0: all fit, and both reports show them */
    found = run_cluster(&r, 2, &other);
    CHECK_EQ(r.lines, CLUSTER);
    CHECK_EQ(r.found, CLUSTER);
    CHECK_EQ(r.other, 0);
    CHECK_EQ(found, CLUSTER);
    CHECK_EQ(other, 0);
}

/* ---- read while tasks count ---------------------------------------------------- */

#define COUNTERS 3
#define COUNTED_TARGETS 5
#define READS 100

typedef struct counting_run {
    manager mg;
    long stop;
    long made[COUNTERS]; /* each task's calls, i % COUNTED_TARGETS the i-th's target */
} counting_run;

typedef struct counter_arg {
    counting_run *r;
    int index;
} counter_arg;

static void counting_task(void *p)
{
    counter_arg *a = (counter_arg *)p;
    counting_run *r = a->r;
    long i;
    adopt(&r->mg);
    for (i = 0; !T_LOAD(&r->stop) || i < 1000; ++i) {
        CHECK_HR(r->mg.tm->lpVtbl->LeaveRuntime(r->mg.tm, BOUND_TARGET(0, i % COUNTED_TARGETS)), S_OK);
        CHECK_HR(r->mg.tm->lpVtbl->EnterRuntime(r->mg.tm), S_OK);
    }
    T_STORE(&r->made[a->index], i);
}

/* Calls to target `index` the tasks made, or, while they count, at most make. */
static ULONGLONG calls_to(const counting_run *r, SIZE_T index)
{
    ULONGLONG n = 0;
    int k;
    for (k = 0; k < COUNTERS; ++k)
        n += (ULONGLONG)(r->made[k] + COUNTED_TARGETS - 1 - (long)index) / COUNTED_TARGETS;
    return n;
}

TEST_CASE(test_profile_while_counting, "profile/while_counting")
{
    counting_run r;
    counter_arg args[COUNTERS];
    test_thread *t[COUNTERS];
    clrhost_task_profile_entry e[COUNTED_TARGETS + 2];
    ULONGLONG last[COUNTED_TARGETS], sum = 0;
    long reads;
    size_t n, i;
    int k;
    memset(&r, 0, sizeof r);
    memset(last, 0, sizeof last);
    manager_open(&r.mg, CLRHOST_TASK_PROFILE, NULL);
    for (k = 0; k < COUNTERS; ++k) {
        args[k].r = &r;
        args[k].index = k;
        t[k] = test_thread_start(counting_task, &args[k]);
    }
    /* every read: calls per target never go back */
    for (reads = 0; reads < READS; ++reads) {
        CHECK_HR(clrhost_task_manager_profile(r.mg.m, NULL, e, COUNTED_TARGETS + 2, &n), S_OK);
        CHECK(n <= COUNTED_TARGETS);
        for (i = 0; i < n; ++i) {
            SIZE_T index = (e[i].target - BOUND_TARGET(0, 0)) / 0x40;
            CHECK(index < COUNTED_TARGETS);
            if (index >= COUNTED_TARGETS)
                continue;
            CHECK(e[i].calls >= last[index]);
            last[index] = e[i].calls;
        }
        test_sleep_ms(1);
    }
    T_STORE(&r.stop, 1);
    for (k = 0; k < COUNTERS; ++k)
        test_thread_join(t[k]);
    /* and at the end, every call, on its target's line */
    CHECK_HR(clrhost_task_manager_profile(r.mg.m, NULL, e, COUNTED_TARGETS + 2, &n), S_OK);
    CHECK_EQ(n, COUNTED_TARGETS);
    for (i = 0; i < n; ++i) {
        SIZE_T index = (e[i].target - BOUND_TARGET(0, 0)) / 0x40;
        CHECK(index < COUNTED_TARGETS && e[i].calls >= last[index]);
        CHECK_EQ(e[i].calls, calls_to(&r, index));
        sum += e[i].calls;
    }
    printf("     (%ld reads while %d tasks made %llu calls)\n", reads, COUNTERS, (unsigned long long)sum);
    manager_close(&r.mg);
}

#endif

/* ---- the clock ------------------------------------------------------------------ */

typedef struct clock_run {
    manager mg;
    unsigned long long os_ns;
    clrhost_task_counters c;
} clock_run;

/* 200 ms outside the runtime, timed by the manager's clock and, inside
   that call, by the OS clock. */
static void clock_task(void *p)
{
    clock_run *r = (clock_run *)p;
    IHostTaskManager *tm = r->mg.tm;
    unsigned long long t0;
    adopt(&r->mg);
    CHECK_HR(tm->lpVtbl->LeaveRuntime(tm, B_TARGET), S_OK);
    t0 = os_now_ns();
    test_sleep_ms(200);
    r->os_ns = os_now_ns() - t0;
    CHECK_HR(tm->lpVtbl->EnterRuntime(tm), S_OK);
    clrhost_task_get_counters(clrhost_task_current(r->mg.m), &r->c);
}

static void clock_agrees(unsigned flags, int expect_tsc)
{
    clock_run r;
    clrhost_task_clock clk;
    double ratio;
    memset(&r, 0, sizeof r);
    manager_open(&r.mg, flags, NULL);
    CHECK_HR(clrhost_task_manager_clock(r.mg.m, &clk), S_OK);
    if (expect_tsc >= 0)
        CHECK_EQ(clk.tsc, (BOOL)expect_tsc);
    CHECK(clk.frequency >= 1000000u);
    test_run_on_thread(clock_task, &r);
    ratio = (double)r.c.native_call_ns / (double)r.os_ns;
    printf("     (%s clock, %.6f GHz: 200 ms slept, %.3f ms by the OS clock, %.3f ms by ours: %.4f)\n",
           clk.tsc ? "counter" : "OS", (double)clk.frequency / 1e9, (double)r.os_ns / 1e6,
           (double)r.c.native_call_ns / 1e6, ratio);
    CHECK(ratio >= 0.98 && ratio <= 1.02);
    manager_close(&r.mg);
}

TEST_CASE(test_clock, "profile/clock")
{
    manager mg;
    clrhost_task_clock clk;
#if TEST_KNOWS_CPUID
    int invariant = cpu_has_invariant_tsc();
#else
    int invariant = 0; /* no counter this header reads */
#endif
    clock_agrees(CLRHOST_TASK_TIMING, invariant);
#ifndef CLRHOST_TASK_NO_PROFILE
    clock_agrees(CLRHOST_TASK_PROFILE, invariant);
#endif
    clock_agrees(CLRHOST_TASK_TIMING | CLRHOST_TASK_OS_CLOCK, 0);
    manager_open(&mg, 0, NULL); /* nothing timed: the OS clock is what it says */
    CHECK_HR(clrhost_task_manager_clock(mg.m, &clk), S_OK);
    CHECK(!clk.tsc && clk.frequency > 0);
    CHECK_HR(clrhost_task_manager_clock(mg.m, NULL), E_POINTER);
    CHECK_HR(clrhost_task_manager_clock(NULL, &clk), E_POINTER);
    manager_close(&mg);
}

#ifndef CLRHOST_TASK_NO_PROFILE /* the profile's own tests */
/* ---- out of memory ------------------------------------------------------------- */

typedef struct oom_run {
    manager mg;
    HRESULT adopt, report;
} oom_run;

static void oom_task(void *p)
{
    oom_run *r = (oom_run *)p;
    IHostTask *task = NULL;
    clrhost_task_profile_entry e[4];
    size_t n = 0;
    r->adopt = r->mg.tm->lpVtbl->GetCurrentTask(r->mg.tm, &task);
    if (!task)
        return;
    calls(r->mg.tm, B_TARGET, 2, 0, 0);
    r->report = clrhost_task_manager_profile(r->mg.m, NULL, e, 4, &n);
    CHECK(r->report != S_OK || (n == 1 && e[0].calls == 2));
    task->lpVtbl->Release(task);
}

/* Every allocation of the profile's life fails once in turn: the manager's
   table, a task's, a report's. Each failure is E_OUTOFMEMORY where it
   happens, and nothing is left. */
TEST_CASE(test_profile_out_of_memory, "profile/out_of_memory")
{
    long n;
    int complete = 0;
    for (n = 1; !complete && n < 50; ++n) {
        oom_run r;
        clrhost_task_config cfg;
        HRESULT hr;
        memset(&r, 0, sizeof r);
        test_config(&cfg, &r.mg.a);
        cfg.flags = CLRHOST_TASK_PROFILE;
        r.mg.a.fail_at = n;
        hr = clrhost_task_manager_create(&cfg, &r.mg.m);
        if (hr != S_OK) {
            CHECK_HR(hr, E_OUTOFMEMORY);
            CHECK_EQ(T_LOAD(&r.mg.a.outstanding), 0);
            continue;
        }
        r.mg.tm = clrhost_task_manager_iface(r.mg.m);
        r.report = E_FAIL;
        test_run_on_thread(oom_task, &r);
        CHECK(r.adopt == S_OK || r.adopt == E_OUTOFMEMORY);
        CHECK(r.adopt != S_OK || r.report == S_OK || r.report == E_OUTOFMEMORY);
        complete = r.adopt == S_OK && r.report == S_OK && r.mg.a.calls < n;
        manager_close(&r.mg);
    }
    printf("     (failed each of %ld allocations in turn)\n", n - 2);
    CHECK(complete);
}
#endif
