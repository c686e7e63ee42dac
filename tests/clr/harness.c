#if !defined(_WIN32) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE 1
#endif
#include "harness.h"

#include <stddef.h>
#include <stdlib.h>

#ifdef _WIN32
#include <windows.h>
#else
#include <pthread.h>
#include <errno.h>
#include <time.h>
#include <sched.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <dlfcn.h>
#endif

/* ---- runner ---------------------------------------------------------- */

static long failures;

void test_fail(const char *file, int line, const char *what)
{
    T_INC(&failures);
    fprintf(stderr, "%s:%d: check failed: %s\n", file, line, what);
}

void test_fail_hr(const char *file, int line, const char *what, HRESULT got, HRESULT expected)
{
    T_INC(&failures);
    fprintf(stderr, "%s:%d: %s gave 0x%08lX, expected 0x%08lX\n", file, line, what,
            (unsigned long)(ULONG)got, (unsigned long)(ULONG)expected);
}

void test_fail_eq(const char *file, int line, const char *what, unsigned long long got,
                  unsigned long long expected)
{
    T_INC(&failures);
    fprintf(stderr, "%s:%d: %s: got %llu, expected %llu\n", file, line, what, got, expected);
}

int test_failures(void) { return (int)T_LOAD(&failures); }

static int test_selected(const char *name, int count, char **filters)
{
    int i;
    for (i = 0; i < count; ++i)
        if (strstr(name, filters[i]))
            return 1;
    return count == 0;
}

static test_case *registered;
static int registered_count;

/* Before main: one thread, so no lock. */
void test_register(test_case *t)
{
    t->next = registered;
    registered = t;
    ++registered_count;
}

/* By file, then line: the order a reader sees, whatever order the
   constructors ran in (it differs between ELF and PE). */
static int test_order(const void *a, const void *b)
{
    const test_case *x = *(const test_case *const *)a, *y = *(const test_case *const *)b;
    int by_file = strcmp(x->file, y->file);
    return by_file ? by_file : (x->line > y->line) - (x->line < y->line);
}

/* The test under way, for the hang watchdog: its name (an index into the
   run's order) and when it began. */
static long running_index = -1;
static long long running_since_ms;
static long watchdog_stop;
static test_case **running_order;
void (*test_on_hang)(void);
static void sleep_raw(unsigned ms);

/* A test that runs past TEST_HANG_S x test_slow() seconds is a hang: a
   report, then the process ends (a hung thread cannot be made to return). */
#define TEST_HANG_S 120
static void hang_watchdog(void *p)
{
    (void)p;
    while (!T_LOAD(&watchdog_stop)) {
        long index = (long)T_LOAD(&running_index);
        long long since = (long long)T_LOAD(&running_since_ms);
        sleep_raw(100); /* no safe point: this thread is the harness's */
        if (index >= 0 && index == (long)T_LOAD(&running_index) &&
            (long long)test_now_ms() - since > (long long)TEST_HANG_S * 1000 * (long long)test_slow()) {
            fprintf(stderr, "FAIL %s: still running after %u s: a hang\n", running_order[index]->name,
                    TEST_HANG_S * test_slow());
            if (test_on_hang)
                test_on_hang();
            fflush(stdout);
            fflush(stderr);
            _exit(3);
        }
    }
}

int test_run_registered(int count, char **filters)
{
    test_case **order = (test_case **)calloc((size_t)registered_count + 1, sizeof *order);
    test_case *t;
    test_thread *watchdog;
    int i = 0, passed = 0, failed = 0;
    if (!order)
        abort();
    for (t = registered; t; t = t->next)
        order[i++] = t;
    qsort(order, (size_t)registered_count, sizeof *order, test_order);
    running_order = order;
    watchdog = test_thread_start(hang_watchdog, NULL);
    for (i = 0; i < registered_count; ++i) {
        int before;
        t = order[i];
        if (!test_selected(t->name, count, filters))
            continue;
        before = test_failures();
        T_STORE(&running_since_ms, (long long)test_now_ms());
        T_STORE(&running_index, (long)i);
        t->run();
        T_STORE(&running_index, -1L);
        if (test_failures() == before) {
            ++passed;
            printf("ok   %s\n", t->name);
        } else {
            ++failed;
            printf("FAIL %s\n", t->name);
        }
    }
    T_STORE(&watchdog_stop, 1);
    test_thread_join(watchdog);
    free(order);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}

/* ---- IIDs (mscoree.idl) ------------------------------------------------ */

const GUID test_IID_IUnknown = {0x00000000, 0x0000, 0x0000, {0xC0, 0, 0, 0, 0, 0, 0, 0x46}};
const GUID test_IID_IHostTaskManager = {0x997FF24C, 0x43B7, 0x4352, {0x86, 0x67, 0x0D, 0xC0, 0x4F, 0xAF, 0xD3, 0x54}};
const GUID test_IID_IHostTask = {0xC2275828, 0xC4B1, 0x4B55, {0x82, 0xC9, 0x92, 0x13, 0x5F, 0x74, 0xDF, 0x1A}};
const GUID test_IID_IHostControl = {0x02CA073C, 0x7079, 0x4860, {0x88, 0x0A, 0xC2, 0xF7, 0xA4, 0x49, 0xC9, 0x91}};
const GUID test_IID_ICLRTask = {0x28E66A4A, 0x9906, 0x4225, {0xB2, 0x31, 0x91, 0x87, 0xC3, 0xEB, 0x86, 0x11}};
/* The other host managers the CLR asks for in SetHostControl. Checked
   against the Windows SDK's MIDL output of mscoree.idl (as published in
   winsiderss/systeminformer, tools/peview/metahost/mscoree.h). */
const GUID test_IID_IHostMemoryManager = {0x7BC698D1, 0xF9E3, 0x4460, {0x9C, 0xDE, 0xD0, 0x42, 0x48, 0xE9, 0xFA, 0x25}};
const GUID test_IID_IHostThreadpoolManager = {0x983D50E2, 0xCB15, 0x466B, {0x80, 0xFC, 0x84, 0x5D, 0xC6, 0xE8, 0xC5, 0xFD}};
const GUID test_IID_IHostIoCompletionManager = {0x8BDE9D80, 0xEC06, 0x41D6, {0x83, 0xE6, 0x22, 0x58, 0x0E, 0xFF, 0xCC, 0x20}};
const GUID test_IID_IHostSyncManager = {0x234330C7, 0x5F10, 0x4F20, {0x96, 0x15, 0x51, 0x22, 0xDA, 0xB7, 0xA0, 0xAC}};
const GUID test_IID_IHostAssemblyManager = {0x613DABD7, 0x62B2, 0x493E, {0x9E, 0x65, 0xC1, 0xE3, 0x2A, 0x1E, 0x0C, 0x5E}};
const GUID test_IID_IHostGCManager = {0x5D4EC34E, 0xF248, 0x457B, {0xB6, 0x03, 0x25, 0x5F, 0xAA, 0xBA, 0x0D, 0x21}};
const GUID test_IID_IHostSecurityManager = {0x75AD2468, 0xA349, 0x4D02, {0xA7, 0x64, 0x76, 0xA6, 0x8A, 0xEE, 0x0C, 0x4F}};
const GUID test_IID_IHostPolicyManager = {0x7AE49844, 0xB1E3, 0x4683, {0xBA, 0x7C, 0x1E, 0x82, 0x12, 0xEA, 0x3B, 0x79}};

static int iid_equal(const GUID *a, const GUID *b) { return memcmp(a, b, sizeof *a) == 0; }

/* ---- counting allocator ------------------------------------------------ */

typedef union alloc_header {
    size_t size;
    double align_d;
    void *align_p;
    long double align_ld;
} alloc_header;

void *counting_alloc(void *user, size_t size)
{
    counting_allocator *a = (counting_allocator *)user;
    long call = T_INC(&a->calls);
    alloc_header *h;
    if (a->fail_at && call == T_LOAD(&a->fail_at))
        return NULL;
    h = (alloc_header *)malloc(sizeof *h + size);
    if (!h)
        return NULL;
    h->size = size;
    T_INC(&a->allocations);
    T_INC(&a->outstanding);
    T_ADD(&a->bytes, (long long)size);
    return h + 1;
}

void counting_free(void *user, void *p)
{
    counting_allocator *a = (counting_allocator *)user;
    alloc_header *h;
    if (!p)
        return;
    h = (alloc_header *)p - 1;
    T_INC(&a->frees);
    T_ADD(&a->bytes, -(long long)h->size);
    /* Last: a test that waits for outstanding to reach 0 may end, and its
       allocator (on its stack) with it, the moment this is seen. */
    T_DEC(&a->outstanding);
    free(h);
}

void test_config(clrhost_task_config *cfg, counting_allocator *a)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->alloc_fn = counting_alloc;
    cfg->free_fn = counting_free;
    cfg->alloc_user = a;
}

/* ---- fault injection ---------------------------------------------------- */

fault_injection test_faults;

int test_fault(const char *what)
{
    long ask = T_INC(&test_faults.asks);
    (void)what; /* one kind so far: "slot write" */
    return ask == T_LOAD(&test_faults.fail_at);
}

/* ---- threads, time, last error ---------------------------------------- */

struct test_thread {
    void (*fn)(void *);
    void *arg;
#ifdef _WIN32
    HANDLE handle;
#else
    pthread_t thread;
#endif
};

#ifdef _WIN32
static DWORD WINAPI test_thread_entry(LPVOID p)
{
    test_thread *t = (test_thread *)p;
    t->fn(t->arg);
    return 0;
}
#else
static void *test_thread_entry(void *p)
{
    test_thread *t = (test_thread *)p;
    t->fn(t->arg);
    return NULL;
}
#endif

test_thread *test_thread_start(void (*fn)(void *), void *arg)
{
    test_thread *t = (test_thread *)calloc(1, sizeof *t);
    if (!t)
        abort();
    t->fn = fn;
    t->arg = arg;
#ifdef _WIN32
    t->handle = CreateThread(NULL, 0, test_thread_entry, t, 0, NULL);
    if (!t->handle)
        abort();
#else
    if (pthread_create(&t->thread, NULL, test_thread_entry, t) != 0)
        abort();
#endif
    return t;
}

void test_run_on_thread(void (*fn)(void *), void *arg)
{
    test_thread_join(test_thread_start(fn, arg));
}

void test_thread_join(test_thread *t)
{
#ifdef _WIN32
    WaitForSingleObject(t->handle, INFINITE);
    CloseHandle(t->handle);
#else
    pthread_join(t->thread, NULL);
#endif
    free(t);
}

DWORD test_thread_id(void)
{
#ifdef _WIN32
    return GetCurrentThreadId();
#else
    return (DWORD)syscall(SYS_gettid);
#endif
}

int (*test_managed_poll)(void);

static void sleep_raw(unsigned ms)
{
#ifdef _WIN32
    Sleep(ms);
#else
    struct timespec ts;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (long)(ms % 1000) * 1000000L;
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
#endif
}

void test_sleep_ms(unsigned ms)
{
    unsigned long long until;
    if (!test_managed_poll || !test_managed_poll()) { /* not managed code: no safe points */
        sleep_raw(ms);
        return;
    }
    for (until = test_now_ms() + ms; test_now_ms() < until; (void)test_managed_poll())
        sleep_raw(1);
}

unsigned test_slow(void)
{
    static long factor;
    long f = T_LOAD(&factor);
    if (f == 0) {
        const char *text = getenv("CLRHOST_TEST_SLOW");
        f = text ? atol(text) : 1;
        if (f < 1)
            f = 1;
        T_STORE(&factor, f);
    }
    return (unsigned)f;
}

void test_wait_for(long *flag, long value)
{
    unsigned long long until = test_now_ms() + 20000u * test_slow();
    while (T_LOAD(flag) != value && test_now_ms() < until)
        test_sleep_ms(1);
    CHECK_EQ(T_LOAD(flag), value);
}

void test_hold_until(long *flag, long value)
{
    unsigned long long until = test_now_ms() + 20000u * test_slow();
    while (T_LOAD(flag) != value && test_now_ms() < until)
        sleep_raw(1);
    CHECK_EQ(T_LOAD(flag), value);
}

void test_yield(void)
{
    if (test_managed_poll)
        (void)test_managed_poll();
#ifdef _WIN32
    SwitchToThread();
#else
    sched_yield();
#endif
}

unsigned long long test_now_ms(void)
{
#ifdef _WIN32
    LARGE_INTEGER now, frequency;
    QueryPerformanceCounter(&now);
    QueryPerformanceFrequency(&frequency);
    return (unsigned long long)now.QuadPart / ((unsigned long long)frequency.QuadPart / 1000u);
#else
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (unsigned long long)ts.tv_sec * 1000u + (unsigned long long)ts.tv_nsec / 1000000u;
#endif
}

DWORD test_last_error(void)
{
#ifdef _WIN32
    return GetLastError();
#else
    return (DWORD)errno;
#endif
}

void test_set_last_error(DWORD e)
{
#ifdef _WIN32
    SetLastError(e);
#else
    errno = (int)e;
#endif
}

/* Looked up once, before any test runs: GetProcAddress and dlopen take the
   loader lock, which a thread-exit callback must never wait for (under Wine
   that deadlocks against threads starting up; see the header's notes). */
static SIZE_T clr_wait_target, system_function;

static SIZE_T lookup_clr_wait_target(void)
{
#ifdef _WIN32
    return (SIZE_T)GetProcAddress(GetModuleHandleW(L"kernel32.dll"), "WaitForMultipleObjectsEx");
#else
    return (SIZE_T)&pthread_cond_timedwait;
#endif
}

SIZE_T test_clr_wait_target(void) { return clr_wait_target; }

size_t test_current_stack_size(void)
{
#ifdef _WIN32
    /* Windows 8's, found at run time: Wine's headers do not declare it. */
    typedef VOID(WINAPI * stack_limits_fn)(PULONG_PTR low, PULONG_PTR high);
    stack_limits_fn limits = (stack_limits_fn)(void (*)(void))GetProcAddress(GetModuleHandleW(L"kernel32.dll"),
                                                                               "GetCurrentThreadStackLimits");
    ULONG_PTR low = 0, high = 0;
    if (!limits)
        return 0;
    limits(&low, &high);
    return (size_t)(high - low);
#else
    pthread_attr_t attr;
    void *base = NULL;
    size_t size = 0;
    if (pthread_getattr_np(pthread_self(), &attr) != 0)
        return 0;
    pthread_attr_getstack(&attr, &base, &size);
    pthread_attr_destroy(&attr);
    return size;
#endif
}

static SIZE_T lookup_system_function(void)
{
#ifdef _WIN32
    return (SIZE_T)GetProcAddress(GetModuleHandleW(L"kernel32.dll"), "GetTickCount");
#else
    /* Asked of libc itself: with a sanitizer runtime, &getpid in this
       program would be the sanitizer's interceptor, not libc's function. */
    SIZE_T f = 0;
    void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
    if (libc) {
        f = (SIZE_T)dlsym(libc, "getpid");
        dlclose(libc);
    }
    return f;
#endif
}

SIZE_T test_system_function(void) { return system_function; }

static test_mutex *all_fakes_lock;

void test_harness_init(void)
{
    if (!all_fakes_lock)
        all_fakes_lock = test_mutex_new();
    clr_wait_target = lookup_clr_wait_target();
    system_function = lookup_system_function();
}

const char *test_system_module(void)
{
#ifdef _WIN32
    return "KERNEL32"; /* any case, any extension */
#else
    return "libc";     /* libc.so.6 */
#endif
}

struct test_mutex {
#ifdef _WIN32
    CRITICAL_SECTION cs;
#else
    pthread_mutex_t m;
#endif
};

test_mutex *test_mutex_new(void)
{
    test_mutex *m = (test_mutex *)calloc(1, sizeof *m);
    if (!m)
        abort();
#ifdef _WIN32
    InitializeCriticalSection(&m->cs);
#else
    pthread_mutex_init(&m->m, NULL);
#endif
    return m;
}

void test_mutex_free(test_mutex *m)
{
#ifdef _WIN32
    DeleteCriticalSection(&m->cs);
#else
    pthread_mutex_destroy(&m->m);
#endif
    free(m);
}

void test_mutex_lock(test_mutex *m)
{
#ifdef _WIN32
    EnterCriticalSection(&m->cs);
#else
    pthread_mutex_lock(&m->m);
#endif
}

void test_mutex_unlock(test_mutex *m)
{
#ifdef _WIN32
    LeaveCriticalSection(&m->cs);
#else
    pthread_mutex_unlock(&m->m);
#endif
}

struct test_count {
    long value;
#ifdef _WIN32
    CRITICAL_SECTION cs;
    CONDITION_VARIABLE changed;
#else
    pthread_mutex_t m;
    pthread_cond_t changed;
#endif
};

test_count *test_count_new(void)
{
    test_count *c = (test_count *)calloc(1, sizeof *c);
    if (!c)
        abort();
#ifdef _WIN32
    InitializeCriticalSection(&c->cs);
    InitializeConditionVariable(&c->changed);
#else
    pthread_mutex_init(&c->m, NULL);
    pthread_cond_init(&c->changed, NULL);
#endif
    return c;
}

void test_count_free(test_count *c)
{
#ifdef _WIN32
    DeleteCriticalSection(&c->cs);
#else
    pthread_cond_destroy(&c->changed);
    pthread_mutex_destroy(&c->m);
#endif
    free(c);
}

long test_count_get(test_count *c)
{
    long v;
#ifdef _WIN32
    EnterCriticalSection(&c->cs);
    v = c->value;
    LeaveCriticalSection(&c->cs);
#else
    pthread_mutex_lock(&c->m);
    v = c->value;
    pthread_mutex_unlock(&c->m);
#endif
    return v;
}

void test_count_set(test_count *c, long value)
{
#ifdef _WIN32
    EnterCriticalSection(&c->cs);
    c->value = value;
    LeaveCriticalSection(&c->cs);
    WakeAllConditionVariable(&c->changed);
#else
    pthread_mutex_lock(&c->m);
    c->value = value;
    pthread_cond_broadcast(&c->changed);
    pthread_mutex_unlock(&c->m);
#endif
}

long test_count_wait_change(test_count *c, long from)
{
    long v;
#ifdef _WIN32
    EnterCriticalSection(&c->cs);
    while ((v = c->value) == from)
        SleepConditionVariableCS(&c->changed, &c->cs, INFINITE);
    LeaveCriticalSection(&c->cs);
#else
    pthread_mutex_lock(&c->m);
    while ((v = c->value) == from)
        pthread_cond_wait(&c->changed, &c->m);
    pthread_mutex_unlock(&c->m);
#endif
    return v;
}

/* ---- fake ICLRTask ------------------------------------------------------ */

static fake_clr_task *fake_task_from(ICLRTask *This) { return (fake_clr_task *)(void *)This; }

static HRESULT STDMETHODCALLTYPE fct_QueryInterface(ICLRTask *This, REFIID riid, void **ppv)
{
    if (!ppv)
        return E_POINTER;
    *ppv = NULL;
    if (iid_equal(riid, &test_IID_IUnknown) || iid_equal(riid, &test_IID_ICLRTask)) {
        T_INC(&fake_task_from(This)->refs);
        *ppv = This;
        return S_OK;
    }
    return E_NOINTERFACE;
}
static ULONG STDMETHODCALLTYPE fct_AddRef(ICLRTask *This) { return (ULONG)T_INC(&fake_task_from(This)->refs); }
static ULONG STDMETHODCALLTYPE fct_Release(ICLRTask *This)
{
    long r = T_DEC(&fake_task_from(This)->refs);
    if (r < 0)
        test_fail(__FILE__, __LINE__, "ICLRTask released more often than referenced");
    return (ULONG)r;
}
static HRESULT STDMETHODCALLTYPE fct_SwitchIn(ICLRTask *This, HANDLE h) { (void)This; (void)h; return E_NOTIMPL; }
static HRESULT STDMETHODCALLTYPE fct_SwitchOut(ICLRTask *This) { (void)This; return E_NOTIMPL; }
/* The host's calls: counted, their thread kept, and a call the CLR does
   not allow (after ExitTask began) counted as a broken rule. */
static fake_clr_task *fct_host_call(ICLRTask *This, long *calls)
{
    fake_clr_task *t = fake_task_from(This);
    T_INC(&t->calls_under_way);
    T_INC(calls);
    T_STORE(&t->last_caller, test_thread_id());
    if (T_LOAD(&t->exit_calls) != 0)
        T_INC(&t->rule_breaks);
    return t;
}
static void fct_host_call_done(fake_clr_task *t) { T_DEC(&t->calls_under_way); }

/* GetMemStats writes Flags only when it sets one (vm/threads.cpp): the
   caller must have zeroed it. */
static HRESULT STDMETHODCALLTYPE fct_GetMemStats(ICLRTask *This, COR_GC_THREAD_STATS *s)
{
    fake_clr_task *t = fake_task_from(This);
    fct_host_call(This, &t->memstats_calls);
    if (s)
        s->PerThreadAllocation = (ULONGLONG)T_LOAD(&t->allocated);
    fct_host_call_done(t);
    return s ? S_OK : E_POINTER;
}
static HRESULT STDMETHODCALLTYPE fct_Reset(ICLRTask *This, BOOL full) { (void)This; (void)full; return E_NOTIMPL; }

static HRESULT STDMETHODCALLTYPE fct_ExitTask(ICLRTask *This)
{
    fake_clr_task *t = fake_task_from(This);
    T_INC(&t->exit_calls);
    t->exit_thread = test_thread_id();
    if (t->tm) {
        /* The CLR's thread teardown runs on the thread and may call back. */
        IHostTask *current = (IHostTask *)(void *)0xdeadbeef;
        HRESULT hr = t->tm->lpVtbl->GetCurrentTask(t->tm, &current);
        if (hr != S_OK || current != t->expected)
            T_INC(&t->callback_mismatches);
        if (current && hr == S_OK)
            current->lpVtbl->Release(current);
        if (t->tm->lpVtbl->LeaveRuntime(t->tm, test_clr_wait_target()) != S_OK ||
            t->tm->lpVtbl->EnterRuntime(t->tm) != S_OK)
            T_INC(&t->callback_mismatches);
    }
    if (t->set_at_exit && t->expected)
        (void)t->expected->lpVtbl->SetCLRTask(t->expected, t->set_at_exit);
    if (t->owned && !t->release_late) { /* the CLR's thread object dies and lets go of its IHostTask */
        IHostTask *owned = t->owned;
        T_STORE(&t->owned, 0); /* other threads read it (Thread.Join's GetHostTaskWithAddRef) */
        owned->lpVtbl->Release(owned);
    }
    T_STORE(&t->detached, 1);
    return S_OK;
}
/* Abort and RudeAbort: any thread, always S_OK, and from the host only a
   mark (UAC_Host, vm/threadsuspend.cpp:1846-1852; vm/threads.cpp:11924-11945):
   the played CLR's abort helper alerts or redirects the thread later, as
   the AppDomain-unload helper's ThreadAbortWatchDog does every 5 ms
   (tests/clr/clr_runtime.c). */
static HRESULT STDMETHODCALLTYPE fct_Abort(ICLRTask *This)
{
    fake_clr_task *t = fake_task_from(This);
    fct_host_call(This, &t->aborts);
    T_STORE(&t->abort_requested, 1);
    fct_host_call_done(t);
    return S_OK;
}
static HRESULT STDMETHODCALLTYPE fct_RudeAbort(ICLRTask *This)
{
    fake_clr_task *t = fake_task_from(This);
    fct_host_call(This, &t->rude_aborts);
    T_STORE(&t->abort_requested, 1);
    fct_host_call_done(t);
    return S_OK;
}
/* TRUE in cooperative mode (a GC waits for the thread) and for the
   finalizer: m_fPreemptiveGCDisabled || the finalizer (vm/threads.cpp:11974-11986). */
static HRESULT STDMETHODCALLTYPE fct_NeedsPriorityScheduling(ICLRTask *This, BOOL *p)
{
    fake_clr_task *t = fake_task_from(This);
    if (!p)
        return E_POINTER;
    *p = T_LOAD(&t->coop) || T_LOAD(&t->task_type) == TT_FINALIZER ? TRUE : FALSE;
    return S_OK;
}
HRESULT (*fake_clr_yield_hook)(fake_clr_task *t);
/* YieldTask: another thread only (HOST_E_INVALIDOPERATION on its own);
   S_FALSE while one is pending; S_OK for a thread not started yet
   (vm/threads.cpp:12010-12075). The rest (suspending the target,
   redirecting it) is the played CLR's (fake_clr_yield_hook). */
static HRESULT STDMETHODCALLTYPE fct_YieldTask(ICLRTask *This)
{
    fake_clr_task *t = fake_task_from(This);
    HRESULT hr = S_OK;
    fct_host_call(This, &t->yields);
    if (t->home_thread && test_thread_id() == t->home_thread) {
        T_INC(&t->rule_breaks);
        hr = HOST_E_INVALIDOPERATION;
    } else if (t->sim && !T_LOAD(&t->started)) {
        hr = S_OK; /* TS_Unstarted: the host is in control of it */
    } else if (T_XCHG(&t->yield_requested, 1) != 0) {
        hr = S_FALSE;
    } else if (fake_clr_yield_hook && t->sim) {
        hr = fake_clr_yield_hook(t);
    }
    fct_host_call_done(t);
    return hr;
}
static HRESULT STDMETHODCALLTYPE fct_LocksHeld(ICLRTask *This, SIZE_T *p)
{
    fake_clr_task *t = fake_task_from(This);
    fct_host_call(This, &t->locks_calls);
    if (p)
        *p = (SIZE_T)T_LOAD(&t->locks);
    fct_host_call_done(t);
    return p ? S_OK : E_POINTER;
}
static HRESULT STDMETHODCALLTYPE fct_SetTaskIdentifier(ICLRTask *This, TASKID id)
{
    fake_clr_task *t = fake_task_from(This);
    fct_host_call(This, &t->id_calls);
    T_STORE(&t->task_id, id);
    fct_host_call_done(t);
    return S_OK;
}

static const ICLRTaskVtbl fake_clr_task_vtbl = {
    fct_QueryInterface, fct_AddRef, fct_Release, fct_SwitchIn, fct_SwitchOut, fct_GetMemStats,
    fct_Reset, fct_ExitTask, fct_Abort, fct_RudeAbort, fct_NeedsPriorityScheduling,
    fct_YieldTask, fct_LocksHeld, fct_SetTaskIdentifier};

/* Every fake alive, for the played CLR's GC and its reports (the lock is
   made by test_harness_init). */
static fake_clr_task *all_fakes;
static long last_fake_id;

fake_clr_task *fake_clr_task_new(IHostTaskManager *tm)
{
    fake_clr_task *t = (fake_clr_task *)calloc(1, sizeof *t);
    if (!t)
        abort();
    t->iface.lpVtbl = &fake_clr_task_vtbl;
    t->tm = tm;
    t->id = T_INC(&last_fake_id);
    t->name = "thread";
    t->doing = "";
    test_mutex_lock(all_fakes_lock);
    t->all_next = all_fakes;
    if (all_fakes)
        all_fakes->all_prev = t;
    all_fakes = t;
    test_mutex_unlock(all_fakes_lock);
    return t;
}

void fake_clr_task_each(void (*fn)(fake_clr_task *t, void *ctx), void *ctx)
{
    fake_clr_task *t;
    test_mutex_lock(all_fakes_lock);
    for (t = all_fakes; t; t = t->all_next)
        fn(t, ctx);
    test_mutex_unlock(all_fakes_lock);
}

void fake_clr_task_free(fake_clr_task *t)
{
    test_mutex_lock(all_fakes_lock);
    if (t->all_prev)
        t->all_prev->all_next = t->all_next;
    else
        all_fakes = t->all_next;
    if (t->all_next)
        t->all_next->all_prev = t->all_prev;
    test_mutex_unlock(all_fakes_lock);
    if (T_LOAD(&t->rule_breaks) != 0)
        test_fail_eq(__FILE__, __LINE__, "host calls on an ICLRTask that the CLR forbids (after ExitTask, "
                     "or YieldTask on its own thread)", (unsigned long long)t->rule_breaks, 0);
    if (T_LOAD(&t->refs) != 0)
        test_fail_eq(__FILE__, __LINE__, "references left on an ICLRTask", (unsigned long long)t->refs, 0);
    if (t->owned)
        test_fail(__FILE__, __LINE__, "ICLRTask still owns its IHostTask: ExitTask never came");
    free(t);
}

/* ---- fake ICLRTaskManager --------------------------------------------- */

static fake_clr_task_manager *fake_tm_from(ICLRTaskManager *This) { return (fake_clr_task_manager *)(void *)This; }
static HRESULT STDMETHODCALLTYPE fctm_QueryInterface(ICLRTaskManager *This, REFIID riid, void **ppv)
{
    (void)This; (void)riid;
    if (ppv)
        *ppv = NULL;
    return E_NOINTERFACE;
}
static ULONG STDMETHODCALLTYPE fctm_AddRef(ICLRTaskManager *This) { return (ULONG)T_INC(&fake_tm_from(This)->refs); }
static ULONG STDMETHODCALLTYPE fctm_Release(ICLRTaskManager *This) { return (ULONG)T_DEC(&fake_tm_from(This)->refs); }
static HRESULT STDMETHODCALLTYPE fctm_CreateTask(ICLRTaskManager *This, ICLRTask **p) { (void)This; if (p) *p = NULL; return E_NOTIMPL; }
/* The calling thread's CLR task, while it is attached. */
static fake_clr_task *fctm_attached(ICLRTaskManager *This)
{
    fake_clr_task *t = fake_tm_from(This)->current ? fake_tm_from(This)->current() : NULL;
    return t && !T_LOAD(&t->detached) ? t : NULL;
}
static HRESULT STDMETHODCALLTYPE fctm_GetCurrentTask(ICLRTaskManager *This, ICLRTask **p)
{
    fake_clr_task *t = fctm_attached(This);
    if (!p)
        return E_POINTER;
    *p = t ? &t->iface : NULL; /* no AddRef, as the CLR's */
    return S_OK;
}
static HRESULT STDMETHODCALLTYPE fctm_SetUILocale(ICLRTaskManager *This, LCID l) { (void)This; (void)l; return S_OK; }
static HRESULT STDMETHODCALLTYPE fctm_SetLocale(ICLRTaskManager *This, LCID l) { (void)This; (void)l; return S_OK; }
static HRESULT STDMETHODCALLTYPE fctm_GetCurrentTaskType(ICLRTaskManager *This, ETaskType *p)
{
    fake_clr_task *t = fctm_attached(This);
    long flags = fake_tm_from(This)->thread_type ? fake_tm_from(This)->thread_type() : 0;
    if (!p)
        return E_POINTER;
    *p = t ? (ETaskType)T_LOAD(&t->task_type) : flags ? (ETaskType)flags : TT_UNKNOWN;
    return S_OK;
}

static const ICLRTaskManagerVtbl fake_clr_task_manager_vtbl = {
    fctm_QueryInterface, fctm_AddRef, fctm_Release, fctm_CreateTask, fctm_GetCurrentTask,
    fctm_SetUILocale, fctm_SetLocale, fctm_GetCurrentTaskType};

void fake_clr_task_manager_init(fake_clr_task_manager *m)
{
    memset(m, 0, sizeof *m);
    m->iface.lpVtbl = &fake_clr_task_manager_vtbl;
}

/* ---- fake host IHostControl -------------------------------------------- */

static fake_host_control *fake_hc_from(IHostControl *This) { return (fake_host_control *)(void *)This; }
static fake_host_control *fake_hc_from_memory(IUnknown *This)
{
    return (fake_host_control *)(void *)((char *)This - offsetof(fake_host_control, memory_manager));
}

static HRESULT STDMETHODCALLTYPE fmm_QueryInterface(IUnknown *This, REFIID riid, void **ppv)
{
    (void)This; (void)riid;
    if (ppv)
        *ppv = NULL;
    return E_NOINTERFACE;
}
static ULONG STDMETHODCALLTYPE fmm_AddRef(IUnknown *This) { return (ULONG)T_INC(&fake_hc_from_memory(This)->memory_manager_refs); }
static ULONG STDMETHODCALLTYPE fmm_Release(IUnknown *This) { return (ULONG)T_DEC(&fake_hc_from_memory(This)->memory_manager_refs); }
static const IUnknownVtbl fake_memory_manager_vtbl = {fmm_QueryInterface, fmm_AddRef, fmm_Release};

static HRESULT STDMETHODCALLTYPE fhc_QueryInterface(IHostControl *This, REFIID riid, void **ppv)
{
    if (!ppv)
        return E_POINTER;
    *ppv = NULL;
    if (iid_equal(riid, &test_IID_IUnknown) || iid_equal(riid, &test_IID_IHostControl)) {
        T_INC(&fake_hc_from(This)->refs);
        *ppv = This;
        return S_OK;
    }
    return E_NOINTERFACE;
}
static ULONG STDMETHODCALLTYPE fhc_AddRef(IHostControl *This) { return (ULONG)T_INC(&fake_hc_from(This)->refs); }
static ULONG STDMETHODCALLTYPE fhc_Release(IHostControl *This) { return (ULONG)T_DEC(&fake_hc_from(This)->refs); }
static HRESULT STDMETHODCALLTYPE fhc_GetHostManager(IHostControl *This, REFIID riid, void **ppv)
{
    fake_host_control *hc = fake_hc_from(This);
    T_INC(&hc->get_host_manager_calls);
    if (!ppv)
        return E_POINTER;
    *ppv = NULL;
    if (iid_equal(riid, &test_IID_IHostMemoryManager) ||
        (hc->offers_sync_manager && iid_equal(riid, &test_IID_IHostSyncManager))) {
        T_INC(&hc->memory_manager_refs);
        *ppv = &hc->memory_manager;
        return S_OK;
    }
    return E_NOINTERFACE;
}
static HRESULT STDMETHODCALLTYPE fhc_SetAppDomainManager(IHostControl *This, DWORD id, IUnknown *unk)
{
    fake_host_control *hc = fake_hc_from(This);
    (void)unk;
    T_INC(&hc->set_app_domain_manager_calls);
    hc->last_app_domain = id;
    return S_OK;
}
static const IHostControlVtbl fake_host_control_vtbl = {
    fhc_QueryInterface, fhc_AddRef, fhc_Release, fhc_GetHostManager, fhc_SetAppDomainManager};

void fake_host_control_init(fake_host_control *hc)
{
    memset(hc, 0, sizeof *hc);
    hc->iface.lpVtbl = &fake_host_control_vtbl;
    hc->memory_manager.lpVtbl = &fake_memory_manager_vtbl;
}
