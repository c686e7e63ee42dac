// Benchmarks of clrhost_task.h's hot paths, called through the COM vtables
// as the CLR calls them, each against a baseline measured in the same process:
//   floor    an IHostTaskManager whose methods only return S_OK
//   floor+hook  the floor, its transitions calling the same counting hooks
//   floor+clock the floor, its Leave and Enter reading the clock timing reads
//   timing   ours with CLRHOST_TASK_TIMING, against which the profile is set
//   map      the usual hand-written host: the current task looked up in a
//            std::map keyed by thread id, under one lock, on every call
//   raw      the OS alone (thread create + join, yield)
// Every figure is the median over repeated runs; ratios compare medians.
//
//   bench                      the table (make bench)
//   bench --case NAME N        run one case's loop N times, untimed (for
//                              callgrind: instructions per operation)
//   bench --list               the case names
#include "../clrhost_task.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#ifdef _WIN32
#include <windows.h>
#else
#include <pthread.h>
#include <sched.h>
#include <dlfcn.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#endif

// ---- platform -------------------------------------------------------------

static double now_ns()
{
#ifdef _WIN32
    static LARGE_INTEGER frequency;
    LARGE_INTEGER now;
    if (!frequency.QuadPart)
        QueryPerformanceFrequency(&frequency);
    QueryPerformanceCounter(&now);
    return (double)now.QuadPart * 1e9 / (double)frequency.QuadPart;
#else
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
#endif
}

static void yield_now()
{
#ifdef _WIN32
    SwitchToThread();
#else
    sched_yield();
#endif
}

struct Thread {
    void (*fn)(void *);
    void *arg;
#ifdef _WIN32
    HANDLE h;
    static DWORD WINAPI entry(LPVOID p) { Thread *t = (Thread *)p; t->fn(t->arg); return 0; }
    void start() { h = CreateThread(NULL, 0, entry, this, 0, NULL); }
    void join() { WaitForSingleObject(h, INFINITE); CloseHandle(h); }
#else
    pthread_t t;
    static void *entry(void *p) { Thread *t = (Thread *)p; t->fn(t->arg); return NULL; }
    void start() { pthread_create(&t, NULL, entry, this); }
    void join() { pthread_join(t, NULL); }
#endif
    // Runs fn(arg) on a new thread and waits for it.
    static void run_once(void (*fn)(void *), void *arg)
    {
        Thread th;
        th.fn = fn;
        th.arg = arg;
        th.start();
        th.join();
    }
};

// The raw-thread baseline of a task's life.
#ifdef _WIN32
static DWORD WINAPI empty_thread(LPVOID) { return 0; }
static void raw_thread_life()
{
    HANDLE h = CreateThread(NULL, 0, empty_thread, NULL, 0, NULL);
    WaitForSingleObject(h, INFINITE);
    CloseHandle(h);
}
#else
static void *empty_thread(void *) { return NULL; }
static void raw_thread_life()
{
    pthread_t t;
    pthread_create(&t, NULL, empty_thread, NULL);
    pthread_join(t, NULL);
}
#endif
static DWORD WINAPI empty_task(LPVOID) { return 0; }

// The baselines live in hosts.cpp: out of sight here, so the compiler
// cannot devirtualise calls into them (the CLR calls a host through its
// vtables too).
IHostTaskManager *make_floor_host();
IHostTaskManager *make_floor_hook_host(const clrhost_task_hooks *hooks);
IHostTaskManager *make_floor_clock_host(bool tsc);
IHostTaskManager *make_map_host();

// ---- ours ---------------------------------------------------------------------

static long hook_count;
static HRESULT counting_leave(void *, clrhost_task *, SIZE_T) { ++hook_count; return S_OK; }
static void counting_enter(void *, clrhost_task *) { ++hook_count; }
static HRESULT counting_reverse_enter(void *, clrhost_task *) { ++hook_count; return S_OK; }
static void counting_reverse_leave(void *, clrhost_task *) { ++hook_count; }
static BOOL predicate(void *, SIZE_T target) { return (target & 1) == 0; }

// A counting hook that scales: each task counts in a block of its own.
static void per_task_begin(void *, clrhost_task *t) { clrhost_task_set_user(t, calloc(1, 128)); }
static void per_task_end(void *, clrhost_task *t) { free(clrhost_task_get_user(t)); }
static HRESULT per_task_leave(void *, clrhost_task *t, SIZE_T) { ++*(long *)clrhost_task_get_user(t); return S_OK; }
static void per_task_enter(void *, clrhost_task *t) { ++*(long *)clrhost_task_get_user(t); }

// Counts allocation calls, and the bytes outstanding (kept in a header).
static volatile long allocations;
static volatile long bytes_outstanding;
static void *counting_alloc(void *, size_t n)
{
    size_t *p = (size_t *)malloc(n + 16);
    if (!p)
        return NULL;
    *p = n;
    __sync_fetch_and_add(&allocations, 1);
    __sync_fetch_and_add(&bytes_outstanding, (long)n);
    return (char *)p + 16;
}
static void counting_free(void *, void *q)
{
    size_t *p = (size_t *)((char *)q - 16);
    __sync_fetch_and_sub(&bytes_outstanding, (long)*p);
    free(p);
}

// The module policy's targets: module_probe in each of the 100 modules
// tests/suite/build_modules.sh makes (bench/run.sh passes their directory in
// BENCH_MODULES), and one heap address, in no module.
#define MODULES_LOADED 100
static SIZE_T module_targets[MODULES_LOADED];
static char *heap_target;

static void load_modules()
{
    const char *dir = getenv("BENCH_MODULES");
    char path[1024];
    if (!dir) {
        fprintf(stderr, "BENCH_MODULES: the directory of tests/suite/build_modules.sh's modules\n");
        exit(2);
    }
    for (int i = 0; i < MODULES_LOADED; ++i) {
#ifdef _WIN32
        snprintf(path, sizeof path, "%s/mod_%03d.dll", dir, i);
        HMODULE h = LoadLibraryA(path);
        module_targets[i] = h ? (SIZE_T)GetProcAddress(h, "module_probe") : 0;
#else
        snprintf(path, sizeof path, "%s/mod_%03d.so", dir, i);
        void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        module_targets[i] = h ? (SIZE_T)dlsym(h, "module_probe") : 0;
#endif
        if (!module_targets[i]) {
            fprintf(stderr, "could not load %s\n", path);
            exit(2);
        }
    }
    heap_target = (char *)malloc(64);
}

enum Flavour { PLAIN, COUNTING_HOOKS, PER_TASK_HOOKS, TIMING, TIMING_OS_CLOCK, PROFILE, MODULES, PREDICATE, SLOTS,
               SLOTS_TIMING };

// The CLR's side of a scheduled task, as little as the scheduler needs: an
// ICLRTask to give the task, and an ICLRTaskManager that says each thread
// is a user thread (GetCurrentTaskType, asked when the task gets its
// ICLRTask). Static objects; the rest of their methods are never called.
struct BenchClrTask : public ICLRTask {
    HRESULT STDMETHODCALLTYPE QueryInterface(REFIID, void **p) { *p = NULL; return E_NOINTERFACE; }
    ULONG STDMETHODCALLTYPE AddRef() { return 1; }
    ULONG STDMETHODCALLTYPE Release() { return 1; }
    HRESULT STDMETHODCALLTYPE SwitchIn(HANDLE) { return E_NOTIMPL; }
    HRESULT STDMETHODCALLTYPE SwitchOut() { return E_NOTIMPL; }
    HRESULT STDMETHODCALLTYPE GetMemStats(COR_GC_THREAD_STATS *) { return E_NOTIMPL; }
    HRESULT STDMETHODCALLTYPE Reset(BOOL) { return E_NOTIMPL; }
    HRESULT STDMETHODCALLTYPE ExitTask() { return S_OK; }
    HRESULT STDMETHODCALLTYPE Abort() { return S_OK; }
    HRESULT STDMETHODCALLTYPE RudeAbort() { return S_OK; }
    HRESULT STDMETHODCALLTYPE NeedsPriorityScheduling(BOOL *p) { *p = FALSE; return S_OK; }
    HRESULT STDMETHODCALLTYPE YieldTask() { return S_OK; }
    HRESULT STDMETHODCALLTYPE LocksHeld(SIZE_T *p) { *p = 0; return S_OK; }
    HRESULT STDMETHODCALLTYPE SetTaskIdentifier(TASKID) { return S_OK; }
};
struct BenchClrTaskManager : public ICLRTaskManager {
    HRESULT STDMETHODCALLTYPE QueryInterface(REFIID, void **p) { *p = NULL; return E_NOINTERFACE; }
    ULONG STDMETHODCALLTYPE AddRef() { return 1; }
    ULONG STDMETHODCALLTYPE Release() { return 1; }
    HRESULT STDMETHODCALLTYPE CreateTask(ICLRTask **p) { *p = NULL; return E_NOTIMPL; }
    HRESULT STDMETHODCALLTYPE GetCurrentTask(ICLRTask **p) { *p = NULL; return E_NOTIMPL; }
    HRESULT STDMETHODCALLTYPE SetUILocale(LCID) { return S_OK; }
    HRESULT STDMETHODCALLTYPE SetLocale(LCID) { return S_OK; }
    HRESULT STDMETHODCALLTYPE GetCurrentTaskType(ETaskType *p) { *p = TT_USER; return S_OK; }
};
static BenchClrTask bench_clr_task;
static BenchClrTaskManager bench_clr_task_manager;

// The counting hooks, as ours and the floor with hooks get them.
static clrhost_task_hooks counting_hooks()
{
    clrhost_task_hooks h;
    memset(&h, 0, sizeof h);
    h.leave_runtime = counting_leave;
    h.enter_runtime = counting_enter;
    h.reverse_enter_runtime = counting_reverse_enter;
    h.reverse_leave_runtime = counting_reverse_leave;
    return h;
}

static IHostTaskManager *make_ours(Flavour f, clrhost_task_manager **out)
{
    static const char *modules[] = {"kernel32.dll", "libc.so.6", "mod_099", NULL};
    clrhost_task_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.alloc_fn = counting_alloc;
    cfg.free_fn = counting_free;
    if (f == COUNTING_HOOKS)
        cfg.hooks = counting_hooks();
    if (f == PER_TASK_HOOKS) {
        cfg.hooks.task_begin = per_task_begin;
        cfg.hooks.task_end = per_task_end;
        cfg.hooks.leave_runtime = per_task_leave;
        cfg.hooks.enter_runtime = per_task_enter;
    }
    if (f == TIMING)
        cfg.flags = CLRHOST_TASK_TIMING;
    if (f == TIMING_OS_CLOCK)
        cfg.flags = CLRHOST_TASK_TIMING | CLRHOST_TASK_OS_CLOCK;
    if (f == PROFILE)
        cfg.flags = CLRHOST_TASK_PROFILE;
    if (f == MODULES)
        cfg.hook_modules = modules;
    if (f == PREDICATE)
        cfg.hooks.needs_hook = predicate;
    if (f == SLOTS || f == SLOTS_TIMING) { // one slot; the bench's threads are foreign, scheduled in their reverse calls
        cfg.schedule.slots = 1;
        cfg.schedule.foreign = TRUE;
    }
    if (f == SLOTS_TIMING)
        cfg.flags = CLRHOST_TASK_TIMING;
    if (clrhost_task_manager_create(&cfg, out) != S_OK) {
        fprintf(stderr, "clrhost_task_manager_create failed\n");
        exit(2);
    }
    IHostTaskManager *tm = clrhost_task_manager_iface(*out);
    if (f == SLOTS || f == SLOTS_TIMING)
        tm->SetCLRTaskManager(&bench_clr_task_manager);
    return tm;
}

// Whether timing reads the time-stamp counter here (the floor+clock reads
// the same clock).
static bool timing_reads_tsc()
{
    clrhost_task_manager *m = NULL;
    clrhost_task_clock clock;
    make_ours(TIMING, &m);
    clrhost_task_manager_clock(m, &clock);
    clrhost_task_manager_release(m);
    return clock.tsc != FALSE;
}

// ---- the loops (kept out of line: callgrind collects inside them) --------------

struct Ctx {
    IHostTaskManager *volatile tm; // volatile: no devirtualisation
    SIZE_T target;
};

static volatile long sink;

#if defined(__GNUC__)
#define NOINLINE __attribute__((noinline))
#else
#define NOINLINE
#endif

extern "C" {
NOINLINE void loop_needs_hook(Ctx *c, long n)
{
    IHostTaskManager *tm = c->tm;
    long s = 0;
    for (long i = 0; i < n; ++i) {
        BOOL b = FALSE;
        tm->CallNeedsHostHook(c->target, &b);
        s += b;
    }
    sink = s;
}

// Every module's target once, the 100th last: after this the manager has
// met 100 modules (v0.1 cached 64).
static void meet_every_module(IHostTaskManager *tm)
{
    for (int i = 0; i < MODULES_LOADED; ++i) {
        BOOL b = FALSE;
        tm->CallNeedsHostHook(module_targets[i], &b);
    }
}

NOINLINE void loop_leave_enter(Ctx *c, long n)
{
    IHostTaskManager *tm = c->tm;
    for (long i = 0; i < n; ++i) {
        tm->LeaveRuntime(c->target);
        tm->EnterRuntime();
    }
}

// Leave+Enter as a scheduled task makes them: inside a reverse call (the
// thread is foreign), with the CLR's ICLRTask given, so that each Leave
// gives the slot up and each Enter takes it back. The bracket is two calls
// per loop, not per pair.
NOINLINE void loop_scheduled(Ctx *c, long n)
{
    IHostTaskManager *tm = c->tm;
    IHostTask *t = NULL;
    tm->GetCurrentTask(&t);
    t->SetCLRTask(&bench_clr_task); // scheduled from here (once per thread)
    t->Release();
    tm->ReverseEnterRuntime();
    for (long i = 0; i < n; ++i) {
        tm->LeaveRuntime(c->target);
        tm->EnterRuntime();
    }
    tm->ReverseLeaveRuntime();
}

NOINLINE void loop_reverse(Ctx *c, long n)
{
    IHostTaskManager *tm = c->tm;
    for (long i = 0; i < n; ++i) {
        tm->ReverseEnterRuntime();
        tm->ReverseLeaveRuntime();
    }
}

NOINLINE void loop_get_current(Ctx *c, long n)
{
    IHostTaskManager *tm = c->tm;
    for (long i = 0; i < n; ++i) {
        IHostTask *t = NULL;
        tm->GetCurrentTask(&t);
        t->Release();
    }
}

NOINLINE void loop_switch(Ctx *c, long n)
{
    IHostTaskManager *tm = c->tm;
    for (long i = 0; i < n; ++i)
        tm->SwitchToTask(0);
}

NOINLINE void loop_raw_yield(Ctx *, long n)
{
    for (long i = 0; i < n; ++i)
        yield_now();
}

NOINLINE void loop_task_life(Ctx *c, long n)
{
    IHostTaskManager *tm = c->tm;
    for (long i = 0; i < n; ++i) {
        IHostTask *t = NULL;
        tm->CreateTask(0, empty_task, NULL, &t);
        t->Start();
        t->Join(INFINITE, WAIT_NOTINDEADLOCK);
        t->Release();
    }
}

NOINLINE void loop_raw_thread_life(Ctx *, long n)
{
    for (long i = 0; i < n; ++i)
        raw_thread_life();
}
}

typedef void (*Loop)(Ctx *, long);

// A measurement runs on a fresh thread that belongs to the measured
// manager alone, as every thread of a real host does (a thread that
// belonged to several managers would look each one up in a short list
// first). Ours and its baseline run in alternation, run by run, on that
// thread: on this kind of machine the same code moves between speed states
// over seconds, and only alternation puts both under the same conditions.
// Where the baseline is a manager of ours too (the profile against timing,
// the scheduler against none), the thread is that manager's task as well:
// without one, each of its calls would take the error path of a thread
// with no task, not the path it is there to measure. Its task is made
// last, so it is the first in the thread's list and ours the second: the
// cost of sharing the thread falls on ours.
struct Comparison {
    Loop ours_loop, base_loop;
    Ctx *ours, *base;
    long ours_n, base_n;
    int reps;
    double ours_ns, base_ns;
    static void run(void *p)
    {
        Comparison *c = (Comparison *)p;
        IHostTask *t = NULL;
        c->ours->tm->GetCurrentTask(&t); // a known thread from here on
        t->Release();
        c->base->tm->GetCurrentTask(&t); // and known to the baseline
        t->Release();
        std::vector<double> a, b;
        c->ours_loop(c->ours, c->ours_n / 10 + 1); // warm up
        c->base_loop(c->base, c->base_n / 10 + 1);
        for (int r = 0; r < c->reps; ++r) {
            double t0 = now_ns();
            c->base_loop(c->base, c->base_n);
            double t1 = now_ns();
            c->ours_loop(c->ours, c->ours_n);
            double t2 = now_ns();
            b.push_back((t1 - t0) / (double)c->base_n);
            a.push_back((t2 - t1) / (double)c->ours_n);
        }
        std::sort(a.begin(), a.end());
        std::sort(b.begin(), b.end());
        c->ours_ns = a[a.size() / 2];
        c->base_ns = b[b.size() / 2];
    }
};

static Comparison compare(Loop ours_loop, Ctx *ours, long ours_n, Loop base_loop, Ctx *base, long base_n, int reps)
{
    Comparison c = {ours_loop, base_loop, ours, base, ours_n, base_n, reps, 0, 0};
    Thread::run_once(Comparison::run, &c);
    return c;
}

// Pick n so that one run of the floor takes about 20 ms.
static long calibrate(Loop loop, Ctx *c)
{
    long n = 1000;
    for (;;) {
        double t0 = now_ns();
        loop(c, n);
        if (now_ns() - t0 > 20e6 || n > (1L << 28))
            return n;
        n *= 2;
    }
}

// ---- the table ----------------------------------------------------------------

static int misses;

static void row(const char *name, double ns, const char *base_name, double base_ns, const char *target,
                double limit, bool lower_is_ours)
{
    // lower_is_ours: ratio = ours / baseline must stay <= limit; otherwise
    // ratio = baseline / ours must reach >= limit.
    double ratio = lower_is_ours ? ns / base_ns : base_ns / ns;
    bool ok = limit <= 0 || (lower_is_ours ? ratio <= limit : ratio >= limit);
    if (!ok)
        ++misses;
    printf("%-44s %9.2f  %-10s %9.2f  %7.2fx  %-12s %s\n", name, ns, base_name, base_ns, ratio, target,
           limit <= 0 ? "" : ok ? "met" : "MISSED");
}

// Allocation calls made by the hot paths on a thread already known to the
// managers (its adoption, and the module policy's first look-up, come first).
struct HotPathAllocations {
    Ctx **ctx;
    int count;
    long made;
    static void run(void *p)
    {
        HotPathAllocations *h = (HotPathAllocations *)p;
        for (int i = 0; i < h->count; ++i) {
            IHostTask *t = NULL;
            h->ctx[i]->tm->GetCurrentTask(&t);
            t->Release();
            loop_needs_hook(h->ctx[i], 1);
        }
        long before = allocations;
        for (int r = 0; r < 1000; ++r) {
            loop_leave_enter(h->ctx[0], 1);
            loop_reverse(h->ctx[0], 1);
            loop_needs_hook(h->ctx[1], 1);
            loop_needs_hook(h->ctx[2], 1);
            loop_get_current(h->ctx[2], 1);
        }
        h->made = allocations - before;
    }
};

static long hot_path_allocations(Ctx **ctx, int count)
{
    HotPathAllocations h = {ctx, count, 0};
    Thread::run_once(HotPathAllocations::run, &h);
    return h.made;
}

// What one more task holds: the bytes a foreign thread's adoption allocates.
struct TaskBytes {
    IHostTaskManager *tm;
    long bytes;
    static void run(void *p)
    {
        TaskBytes *b = (TaskBytes *)p;
        long before = bytes_outstanding;
        IHostTask *t = NULL;
        b->tm->GetCurrentTask(&t);
        t->Release();
        b->bytes = bytes_outstanding - before;
    }
};

static long bytes_per_task(IHostTaskManager *tm)
{
    TaskBytes b = {tm, 0};
    Thread::run_once(TaskBytes::run, &b);
    return b.bytes;
}

struct TwoThreads {
    Ctx *c;
    long n;
    Loop loop;
    volatile long *go;
    double elapsed;
    static void run(void *p)
    {
        TwoThreads *t = (TwoThreads *)p;
        IHostTask *task = NULL;
        t->c->tm->GetCurrentTask(&task); // adopt this thread
        task->Release();
        while (!*t->go) {
        }
        double t0 = now_ns();
        t->loop(t->c, t->n);
        t->elapsed = now_ns() - t0;
    }
};

// Transitions per second with `threads` threads at once, each with its task.
static double throughput(Ctx *c, long n, int threads, Loop loop = loop_leave_enter)
{
    volatile long go = 0;
    TwoThreads t[2];
    Thread th[2];
    for (int i = 0; i < threads; ++i) {
        t[i].c = c;
        t[i].n = n;
        t[i].loop = loop;
        t[i].go = &go;
        th[i].fn = TwoThreads::run;
        th[i].arg = &t[i];
        th[i].start();
    }
    double t0 = now_ns();
    go = 1;
    for (int i = 0; i < threads; ++i)
        th[i].join();
    return (double)n * threads / ((now_ns() - t0) / 1e9);
}

static void describe_machine()
{
#ifdef _WIN32
    SYSTEM_INFO si;
    GetSystemInfo(&si);
    const char *wine = GetProcAddress(GetModuleHandleW(L"ntdll.dll"), "wine_get_version") ? " (under Wine)" : "";
    printf("machine: Windows build%s, %lu processors\n", wine, (unsigned long)si.dwNumberOfProcessors);
#else
    struct utsname u;
    uname(&u);
    printf("machine: %s %s %s, %ld processors\n", u.sysname, u.release, u.machine, sysconf(_SC_NPROCESSORS_ONLN));
#endif
}

// Throughput of Leave+Enter on two threads at once against one thread.
static void scaling(const char *name, Ctx *c, Ctx *floor)
{
    long n = calibrate(loop_leave_enter, floor); // about 80 ms of the floor: plenty
    std::vector<double> one, two;
    for (int r = 0; r < 7; ++r) {
        one.push_back(throughput(c, n, 1));
        two.push_back(throughput(c, n, 2));
    }
    std::sort(one.begin(), one.end());
    std::sort(two.begin(), two.end());
    double scale = two[3] / one[3];
    printf("%-44s %9.1f  %-10s %9.1f  %7.2fx  %-12s %s\n", name, two[3] / 1e6, "1 thread", one[3] / 1e6, scale,
           ">= 1.8x", scale >= 1.8 ? "met" : "MISSED");
    if (scale < 1.8)
        ++misses;
}

enum Target { IN_LIBC, IN_NO_MODULE, IN_100TH_MODULE };

struct Case {
    const char *name;
    Loop loop;
    Flavour flavour; // for ours
    int which;       // 0 ours, 1 floor, 2 map, 3 floor with hooks, 4 floor+clock
    Target target;   // where the asked-about target is
};

static const Case cases[] = {
    {"needs-hook-default", loop_needs_hook, PLAIN, 0, IN_LIBC},
    {"needs-hook-modules", loop_needs_hook, MODULES, 0, IN_LIBC},
    {"needs-hook-modules-outside", loop_needs_hook, MODULES, 0, IN_NO_MODULE},
    {"needs-hook-modules-100th", loop_needs_hook, MODULES, 0, IN_100TH_MODULE},
    {"needs-hook-predicate", loop_needs_hook, PREDICATE, 0, IN_LIBC},
    {"needs-hook-floor", loop_needs_hook, PLAIN, 1, IN_LIBC},
    {"leave-enter-plain", loop_leave_enter, PLAIN, 0, IN_LIBC},
    {"leave-enter-hooks", loop_leave_enter, COUNTING_HOOKS, 0, IN_LIBC},
    {"leave-enter-timing", loop_leave_enter, TIMING, 0, IN_LIBC},
    {"leave-enter-timing-os-clock", loop_leave_enter, TIMING_OS_CLOCK, 0, IN_LIBC},
    {"leave-enter-profile", loop_leave_enter, PROFILE, 0, IN_LIBC},
    {"leave-enter-floor", loop_leave_enter, PLAIN, 1, IN_LIBC},
    {"leave-enter-floor-hooks", loop_leave_enter, PLAIN, 3, IN_LIBC},
    {"leave-enter-map", loop_leave_enter, PLAIN, 2, IN_LIBC},
    {"leave-enter-floor-clock", loop_leave_enter, PLAIN, 4, IN_LIBC},
    {"leave-enter-slots", loop_scheduled, SLOTS, 0, IN_LIBC},
    {"leave-enter-slots-timing", loop_scheduled, SLOTS_TIMING, 0, IN_LIBC},
    {"reverse-hooks", loop_reverse, COUNTING_HOOKS, 0, IN_LIBC},
    {"reverse-floor", loop_reverse, PLAIN, 1, IN_LIBC},
    {"reverse-floor-hooks", loop_reverse, PLAIN, 3, IN_LIBC},
    {"reverse-map", loop_reverse, PLAIN, 2, IN_LIBC},
    {"get-current", loop_get_current, PLAIN, 0, IN_LIBC},
    {"get-current-floor", loop_get_current, PLAIN, 1, IN_LIBC},
    {"get-current-map", loop_get_current, PLAIN, 2, IN_LIBC},
    {"switch", loop_switch, PLAIN, 0, IN_LIBC},
    {"switch-floor", loop_switch, PLAIN, 1, IN_LIBC},
};

// One case's loop, untimed, with everything set up as for the table.
static int run_case(const char *name, long n)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
        if (strcmp(cases[i].name, name) != 0)
            continue;
        clrhost_task_manager *m = NULL;
        Ctx c;
        clrhost_task_hooks hooks = counting_hooks();
        c.tm = cases[i].which == 1 ? make_floor_host()
             : cases[i].which == 2 ? make_map_host()
             : cases[i].which == 3 ? make_floor_hook_host(&hooks)
             : cases[i].which == 4 ? make_floor_clock_host(timing_reads_tsc())
                                   : make_ours(cases[i].flavour, &m);
        c.target = cases[i].target == IN_NO_MODULE      ? (SIZE_T)heap_target
                 : cases[i].target == IN_100TH_MODULE ? module_targets[MODULES_LOADED - 1]
                                                      : (SIZE_T)&strlen;
        IHostTask *t = NULL;
        c.tm->GetCurrentTask(&t); // a known thread
        t->Release();
        if (cases[i].which == 0 && cases[i].flavour == MODULES)
            meet_every_module(c.tm); // as for the table's rows
        cases[i].loop(&c, n);
        return 0;
    }
    fprintf(stderr, "no case %s (see --list)\n", name);
    return 2;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "--list") == 0) {
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i)
            printf("%s\n", cases[i].name);
        return 0;
    }
    load_modules();
    if (argc >= 4 && strcmp(argv[1], "--case") == 0)
        return run_case(argv[2], atol(argv[3]));

    const int reps = 15;
    IHostTaskManager *floor = make_floor_host();
    IHostTaskManager *floor_clock = make_floor_clock_host(timing_reads_tsc());
    IHostTaskManager *floor_os_clock = make_floor_clock_host(false);
    clrhost_task_hooks the_counting_hooks = counting_hooks();
    IHostTaskManager *floor_hooks = make_floor_hook_host(&the_counting_hooks);
    IHostTaskManager *map = make_map_host();
    clrhost_task_manager *plain_m, *hooks_m, *per_task_m, *timing_m, *timing_os_m, *profile_m, *modules_m,
        *predicate_m, *slots_m, *slots2_m, *slots_timing_m;
    IHostTaskManager *plain = make_ours(PLAIN, &plain_m);
    IHostTaskManager *hooks = make_ours(COUNTING_HOOKS, &hooks_m);
    IHostTaskManager *per_task = make_ours(PER_TASK_HOOKS, &per_task_m);
    IHostTaskManager *timing = make_ours(TIMING, &timing_m);
    IHostTaskManager *timing_os = make_ours(TIMING_OS_CLOCK, &timing_os_m);
    IHostTaskManager *profile = make_ours(PROFILE, &profile_m);
    IHostTaskManager *modules = make_ours(MODULES, &modules_m);
    IHostTaskManager *pred = make_ours(PREDICATE, &predicate_m);
    IHostTaskManager *slots = make_ours(SLOTS, &slots_m);
    IHostTaskManager *slots2 = make_ours(SLOTS, &slots2_m); // for two threads on its one slot
    IHostTaskManager *slots_timing = make_ours(SLOTS_TIMING, &slots_timing_m);

    Ctx c_floor = {floor, (SIZE_T)&strlen}, c_map = {map, (SIZE_T)&strlen};
    Ctx c_floor_hooks = {floor_hooks, (SIZE_T)&strlen}, c_timing_os = {timing_os, (SIZE_T)&strlen};
    Ctx c_profile = {profile, (SIZE_T)&strlen};
    Ctx c_plain = {plain, (SIZE_T)&strlen}, c_hooks = {hooks, (SIZE_T)&strlen};
    Ctx c_timing = {timing, (SIZE_T)&strlen}, c_modules = {modules, (SIZE_T)&strlen};
    Ctx c_pred = {pred, (SIZE_T)&strlen}, c_per_task = {per_task, (SIZE_T)&strlen};
    Ctx c_slots = {slots, (SIZE_T)&strlen}, c_slots2 = {slots2, (SIZE_T)&strlen};
    Ctx c_slots_timing = {slots_timing, (SIZE_T)&strlen};
    Ctx c_floor_clock = {floor_clock, (SIZE_T)&strlen}, c_floor_os_clock = {floor_os_clock, (SIZE_T)&strlen};

    describe_machine();
    printf("median of %d runs per case, each about 20 ms, ours and its baseline in alternation\n"
           "on one fresh thread; ratio compares medians; the two-thread rows give millions of\n"
           "Leave+Enter pairs per second, not ns\n\n",
           reps);
    printf("%-44s %9s  %-10s %9s  %8s  %-12s %s\n", "case", "ns/op", "baseline", "ns/op", "ratio", "target", "");

    Comparison r;
    long n = calibrate(loop_needs_hook, &c_floor);
    r = compare(loop_needs_hook, &c_plain, n, loop_needs_hook, &c_floor, n, reps);
    row("CallNeedsHostHook, default policy", r.ours_ns, "floor", r.base_ns, "<= 1.3x", 1.3, true);
    // The module policy, once every target has had its first answer and
    // 100 modules have been met: a listed module's target, a target in no
    // module, a target in the 100th module asked about.
    meet_every_module(modules);
    Ctx c_outside = {modules, (SIZE_T)heap_target}, c_100th = {modules, module_targets[MODULES_LOADED - 1]};
    r = compare(loop_needs_hook, &c_modules, n, loop_needs_hook, &c_floor, n, reps);
    row("CallNeedsHostHook, modules: a module target", r.ours_ns, "floor", r.base_ns, "", 0, true);
    r = compare(loop_needs_hook, &c_outside, n, loop_needs_hook, &c_floor, n, reps);
    row("CallNeedsHostHook, modules: in no module", r.ours_ns, "floor", r.base_ns, "", 0, true);
    r = compare(loop_needs_hook, &c_100th, n, loop_needs_hook, &c_floor, n, reps);
    row("CallNeedsHostHook, modules: the 100th module", r.ours_ns, "floor", r.base_ns, "", 0, true);
    r = compare(loop_needs_hook, &c_pred, n, loop_needs_hook, &c_floor, n, reps);
    row("CallNeedsHostHook, user predicate", r.ours_ns, "floor", r.base_ns, "", 0, true);

    n = calibrate(loop_leave_enter, &c_floor);
    long n_map = calibrate(loop_leave_enter, &c_map);
    long n_hooks = calibrate(loop_leave_enter, &c_floor_hooks);
    r = compare(loop_leave_enter, &c_plain, n, loop_leave_enter, &c_floor, n, reps);
    row("Leave+Enter, no hooks", r.ours_ns, "floor", r.base_ns, "<= 1.5x", 1.5, true);
    r = compare(loop_leave_enter, &c_hooks, n_hooks, loop_leave_enter, &c_floor_hooks, n_hooks, reps);
    row("Leave+Enter, counting hook", r.ours_ns, "floor+hook", r.base_ns, "<= 1.5x", 1.5, true);
    r = compare(loop_leave_enter, &c_hooks, n, loop_leave_enter, &c_map, n_map, reps);
    row("Leave+Enter, counting hook", r.ours_ns, "map", r.base_ns, ">= 10x", 10, false);
    // Timing against the least a timing host does: the floor that reads the
    // same clock at each Leave and Enter and sums the spans.
    r = compare(loop_leave_enter, &c_timing, n / 4, loop_leave_enter, &c_floor, n, reps);
    row("Leave+Enter, timing on", r.ours_ns, "floor", r.base_ns, "", 0, true);
    r = compare(loop_leave_enter, &c_timing, n / 4, loop_leave_enter, &c_floor_clock, n / 4, reps);
    row("Leave+Enter, timing on", r.ours_ns, "floor+clock", r.base_ns, "<= 1.3x", 1.3, true);
    r = compare(loop_leave_enter, &c_timing_os, n / 8, loop_leave_enter, &c_floor_os_clock, n / 8, reps);
    row("Leave+Enter, timing on the OS clock", r.ours_ns, "floor+OS clk", r.base_ns, "", 0, true);
    r = compare(loop_leave_enter, &c_profile, n / 4, loop_leave_enter, &c_timing, n / 4, reps);
    row("Leave+Enter, per-target profile on", r.ours_ns, "timing", r.base_ns, "<= 2x", 2, true);
    // The scheduler: a task that lends its slot and takes it back on every
    // pair, alone on one slot, against the same pair with no scheduler (and
    // with timing, against timing alone); then two threads on that one
    // slot, where a Leave hands the slot to the other thread when it waits
    // and an Enter without it waits, against the same two threads with no
    // scheduler.
    r = compare(loop_scheduled, &c_slots, n / 8, loop_leave_enter, &c_plain, n, reps);
    row("Leave+Enter, scheduler on, alone on a slot", r.ours_ns, "slots off", r.base_ns, "<= 2.5x", 2.5, true);
    r = compare(loop_scheduled, &c_slots_timing, n / 8, loop_leave_enter, &c_timing, n / 4, reps);
    row("Leave+Enter, scheduler and timing on", r.ours_ns, "timing", r.base_ns, "", 0, true);
    {
        long n2 = 100000; // long enough that the two threads' runs overlap
        std::vector<double> on, off;
        for (int i = 0; i < 3; ++i) { // each hand-over wakes a thread: few runs
            on.push_back(1e9 / throughput(&c_slots2, n2, 2, loop_scheduled));
            off.push_back(1e9 / throughput(&c_plain, n2 * 10, 2));
        }
        std::sort(on.begin(), on.end());
        std::sort(off.begin(), off.end());
        row("two threads, one slot: Leave+Enter", on[1], "slots off", off[1], "", 0, true);
        clrhost_task_manager_stats st;
        clrhost_task_manager_get_stats(slots2_m, &st);
        printf("  (of its %llu pairs, %llu waited for the slot, each a hand-over from the other thread:\n"
               "   %.2f us per hand-over; %llu ran over the cap)\n",
               (unsigned long long)st.totals.leave_runtime, (unsigned long long)st.totals.slot_waits,
               st.totals.slot_waits ? on[1] * (double)st.totals.leave_runtime / (double)st.totals.slot_waits / 1e3
                                    : 0.0,
               (unsigned long long)st.totals.over_cap);
    }

    n = calibrate(loop_reverse, &c_floor_hooks);
    n_map = calibrate(loop_reverse, &c_map);
    r = compare(loop_reverse, &c_hooks, n, loop_reverse, &c_floor_hooks, n, reps);
    row("ReverseEnter+ReverseLeave, counting hook", r.ours_ns, "floor+hook", r.base_ns, "<= 1.5x", 1.5, true);
    r = compare(loop_reverse, &c_hooks, n, loop_reverse, &c_map, n_map, reps);
    row("ReverseEnter+ReverseLeave, counting hook", r.ours_ns, "map", r.base_ns, ">= 10x", 10, false);

    n = calibrate(loop_get_current, &c_floor);
    n_map = calibrate(loop_get_current, &c_map);
    r = compare(loop_get_current, &c_plain, n, loop_get_current, &c_floor, n, reps);
    row("GetCurrentTask+Release, known thread", r.ours_ns, "floor", r.base_ns, "", 0, true);
    r = compare(loop_get_current, &c_plain, n, loop_get_current, &c_map, n_map, reps);
    row("GetCurrentTask+Release, known thread", r.ours_ns, "map", r.base_ns, ">= 10x", 10, false);

    n = calibrate(loop_raw_yield, &c_floor);
    r = compare(loop_switch, &c_plain, n, loop_raw_yield, &c_floor, n, reps);
    row("SwitchToTask (yields the processor)", r.ours_ns, "raw", r.base_ns, "", 0, true);

    r = compare(loop_task_life, &c_plain, 200, loop_raw_thread_life, &c_floor, 200, 9);
    row("task life: CreateTask+Start+Join+Release", r.ours_ns, "raw", r.base_ns, "<= 1.15x", 1.15, true);

    scaling("two threads: Leave+Enter, no hooks", &c_plain, &c_floor);
    scaling("two threads: Leave+Enter, per-task counting hook", &c_per_task, &c_floor);

    // Memory: what the hot paths allocate, and what one more task holds.
    Ctx *hot[] = {&c_hooks, &c_modules, &c_plain};
    long made = hot_path_allocations(hot, 3);
    printf("\nallocations made by 5000 hot-path calls (transitions, CallNeedsHostHook, GetCurrentTask): %ld\n",
           made);
    if (made)
        ++misses;
    printf("bytes held per task (the task object%s): %ld\n",
#ifdef _WIN32
           "",
#else
           " and the POSIX layer's thread block",
#endif
           bytes_per_task(plain));
    printf("\n%s\n", misses ? "some targets MISSED" : "all targets met");
    (void)predicate_m;
    (void)per_task_m;
    (void)timing_os_m;
    (void)profile_m;
    (void)slots_m;
    (void)slots_timing_m;
    return 0;
}
