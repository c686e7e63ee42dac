// The baselines of bench.cpp, in a translation unit of their own.
//   floor  an IHostTaskManager whose methods only return S_OK
//   floor with hooks  the floor, but its transitions call the hooks ours
//          is given (the fair baseline for a hooked transition)
//   floor+clock  the floor, but its Leave and Enter each read the clock
//          timing reads and it sums the time between them: the least any
//          timing host does (the baseline of timing's own cost)
//   map    the usual hand-written host: the current task looked up in a
//          std::map keyed by thread id, under one lock, on every call
//          (the pattern of the public C++ hosts)
#include "../clrhost_task.h"

#include <map>

#ifdef _WIN32
#include <windows.h>
#else
#include <pthread.h>
#include <sched.h>
#include <time.h>
#endif
#if defined(__x86_64__) || defined(__i386__) || defined(_M_X64) || defined(_M_IX86)
#ifdef _MSC_VER
#include <intrin.h>
#else
#include <x86intrin.h>
#endif
#define HAVE_RDTSC 1
#endif

static unsigned long self_id()
{
#ifdef _WIN32
    return GetCurrentThreadId();
#else
    return (unsigned long)pthread_self();
#endif
}

struct Mutex {
#ifdef _WIN32
    CRITICAL_SECTION cs;
    Mutex() { InitializeCriticalSection(&cs); }
    ~Mutex() { DeleteCriticalSection(&cs); }
    void lock() { EnterCriticalSection(&cs); }
    void unlock() { LeaveCriticalSection(&cs); }
#else
    pthread_mutex_t m;
    Mutex() { pthread_mutex_init(&m, NULL); }
    ~Mutex() { pthread_mutex_destroy(&m); }
    void lock() { pthread_mutex_lock(&m); }
    void unlock() { pthread_mutex_unlock(&m); }
#endif
};

struct FloorTask : IHostTask {
    HRESULT STDMETHODCALLTYPE QueryInterface(REFIID, void **ppv) { *ppv = this; return S_OK; }
    ULONG STDMETHODCALLTYPE AddRef() { return 1; }
    ULONG STDMETHODCALLTYPE Release() { return 1; }
    HRESULT STDMETHODCALLTYPE Start() { return S_OK; }
    HRESULT STDMETHODCALLTYPE Alert() { return S_OK; }
    HRESULT STDMETHODCALLTYPE Join(DWORD, DWORD) { return S_OK; }
    HRESULT STDMETHODCALLTYPE SetPriority(int) { return S_OK; }
    HRESULT STDMETHODCALLTYPE GetPriority(int *p) { *p = 0; return S_OK; }
    HRESULT STDMETHODCALLTYPE SetCLRTask(ICLRTask *) { return S_OK; }
};

struct FloorManager : IHostTaskManager {
    FloorTask task;
    HRESULT STDMETHODCALLTYPE QueryInterface(REFIID, void **ppv) { *ppv = this; return S_OK; }
    ULONG STDMETHODCALLTYPE AddRef() { return 1; }
    ULONG STDMETHODCALLTYPE Release() { return 1; }
    HRESULT STDMETHODCALLTYPE GetCurrentTask(IHostTask **p) { *p = &task; return S_OK; }
    HRESULT STDMETHODCALLTYPE CreateTask(DWORD, LPTHREAD_START_ROUTINE, PVOID, IHostTask **p) { *p = &task; return S_OK; }
    HRESULT STDMETHODCALLTYPE Sleep(DWORD, DWORD) { return S_OK; }
    HRESULT STDMETHODCALLTYPE SwitchToTask(DWORD) { return S_OK; }
    HRESULT STDMETHODCALLTYPE SetUILocale(LCID) { return S_OK; }
    HRESULT STDMETHODCALLTYPE SetLocale(LCID) { return S_OK; }
    HRESULT STDMETHODCALLTYPE CallNeedsHostHook(SIZE_T, BOOL *p) { *p = FALSE; return S_OK; }
    HRESULT STDMETHODCALLTYPE LeaveRuntime(SIZE_T) { return S_OK; }
    HRESULT STDMETHODCALLTYPE EnterRuntime() { return S_OK; }
    HRESULT STDMETHODCALLTYPE ReverseLeaveRuntime() { return S_OK; }
    HRESULT STDMETHODCALLTYPE ReverseEnterRuntime() { return S_OK; }
    HRESULT STDMETHODCALLTYPE BeginDelayAbort() { return S_OK; }
    HRESULT STDMETHODCALLTYPE EndDelayAbort() { return S_OK; }
    HRESULT STDMETHODCALLTYPE BeginThreadAffinity() { return S_OK; }
    HRESULT STDMETHODCALLTYPE EndThreadAffinity() { return S_OK; }
    HRESULT STDMETHODCALLTYPE SetStackGuarantee(ULONG) { return S_OK; }
    HRESULT STDMETHODCALLTYPE GetStackGuarantee(ULONG *p) { *p = 0; return S_OK; }
    HRESULT STDMETHODCALLTYPE SetCLRTaskManager(ICLRTaskManager *) { return S_OK; }
};

// ---- the usual hand-written host: a thread-id map under one lock ---------------

// The trivial methods are the floor's; what differs is the reference count.
struct MapTask : FloorTask {
    virtual ~MapTask() {}
    volatile LONG refs;
    long transitions; // what such hosts keep per thread, under the map's lock
    MapTask() : refs(1), transitions(0) {}
    HRESULT STDMETHODCALLTYPE QueryInterface(REFIID, void **ppv) { *ppv = this; AddRef(); return S_OK; }
#ifdef _WIN32
    ULONG STDMETHODCALLTYPE AddRef() { return (ULONG)InterlockedIncrement(&refs); }
    ULONG STDMETHODCALLTYPE Release() { return (ULONG)InterlockedDecrement(&refs); }
#else
    ULONG STDMETHODCALLTYPE AddRef() { return (ULONG)__atomic_add_fetch(&refs, 1, __ATOMIC_ACQ_REL); }
    ULONG STDMETHODCALLTYPE Release() { return (ULONG)__atomic_sub_fetch(&refs, 1, __ATOMIC_ACQ_REL); }
#endif
};

struct MapManager : FloorManager {
    Mutex lock;
    std::map<unsigned long, MapTask *> tasks;
    ~MapManager()
    {
        for (std::map<unsigned long, MapTask *>::iterator i = tasks.begin(); i != tasks.end(); ++i)
            delete i->second;
    }
    MapTask *current() // with the lock held
    {
        std::map<unsigned long, MapTask *>::iterator i = tasks.find(self_id());
        if (i != tasks.end())
            return i->second;
        MapTask *t = new MapTask;
        tasks[self_id()] = t;
        return t;
    }
    HRESULT transition()
    {
        lock.lock();
        current()->transitions += 1;
        lock.unlock();
        return S_OK;
    }
    HRESULT STDMETHODCALLTYPE GetCurrentTask(IHostTask **p)
    {
        lock.lock();
        MapTask *t = current();
        t->AddRef();
        lock.unlock();
        *p = t;
        return S_OK;
    }
    HRESULT STDMETHODCALLTYPE LeaveRuntime(SIZE_T) { return transition(); }
    HRESULT STDMETHODCALLTYPE EnterRuntime() { return transition(); }
    HRESULT STDMETHODCALLTYPE ReverseLeaveRuntime() { return transition(); }
    HRESULT STDMETHODCALLTYPE ReverseEnterRuntime() { return transition(); }
};

// ---- the floor that calls the hooks -------------------------------------------

// The floor plus the same hooks ours calls, through the same table: what any
// host that calls a hook on each transition must at least do. The hooks get
// a fixed task pointer (the floor keeps no tasks).
struct FloorHookManager : FloorManager {
    clrhost_task_hooks hooks;
    clrhost_task *task() { return (clrhost_task *)(void *)&this->task_; }
    char task_[1];
    HRESULT STDMETHODCALLTYPE LeaveRuntime(SIZE_T target) { return hooks.leave_runtime(hooks.user, task(), target); }
    HRESULT STDMETHODCALLTYPE EnterRuntime() { hooks.enter_runtime(hooks.user, task()); return S_OK; }
    HRESULT STDMETHODCALLTYPE ReverseEnterRuntime() { return hooks.reverse_enter_runtime(hooks.user, task()); }
    HRESULT STDMETHODCALLTYPE ReverseLeaveRuntime() { hooks.reverse_leave_runtime(hooks.user, task()); return S_OK; }
};

// ---- the floor that reads the clock --------------------------------------------

// The clock ours times with (clrhost_task_manager_clock): the time-stamp
// counter, or the OS clock. Leave keeps the start, Enter sums the span.
struct FloorClockManager : FloorManager {
    bool tsc;
    unsigned long long start, total;
    unsigned long long now()
    {
#ifdef HAVE_RDTSC
        if (tsc)
            return __rdtsc();
#endif
#ifdef _WIN32
        LARGE_INTEGER t;
        QueryPerformanceCounter(&t);
        return (unsigned long long)t.QuadPart;
#else
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (unsigned long long)ts.tv_sec * 1000000000u + (unsigned long long)ts.tv_nsec;
#endif
    }
    HRESULT STDMETHODCALLTYPE LeaveRuntime(SIZE_T) { start = now(); return S_OK; }
    HRESULT STDMETHODCALLTYPE EnterRuntime() { total += now() - start; return S_OK; }
};

IHostTaskManager *make_floor_host() { return new FloorManager; }
IHostTaskManager *make_floor_clock_host(bool tsc)
{
    FloorClockManager *f = new FloorClockManager;
    f->tsc = tsc;
    f->start = f->total = 0;
    return f;
}
IHostTaskManager *make_floor_hook_host(const clrhost_task_hooks *hooks)
{
    FloorHookManager *f = new FloorHookManager;
    f->hooks = *hooks;
    return f;
}
IHostTaskManager *make_map_host() { return new MapManager; }
