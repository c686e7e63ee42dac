/* The test suite's own runner, checks and helpers: a counting allocator,
   portable threads, and fake CLR-side objects (ICLRTask, ICLRTaskManager)
   plus a fake host IHostControl. Shared by every test file. */
#ifndef CLRHOST_TEST_HARNESS_H
#define CLRHOST_TEST_HARNESS_H

/* The fakes below have static const vtables (as Wine's do). */
#ifndef CONST_VTABLE
#define CONST_VTABLE
#endif
#include "../../clrhost_task.h"

/* In C89/C99 the header names the CLR's own interfaces as structs only;
   the tests typedef them the way the header asks a host to. */
#ifndef __ICLRTask_FWD_DEFINED__
#define __ICLRTask_FWD_DEFINED__
typedef struct ICLRTask ICLRTask;
#endif
#ifndef __ICLRTaskManager_FWD_DEFINED__
#define __ICLRTaskManager_FWD_DEFINED__
typedef struct ICLRTaskManager ICLRTaskManager;
#endif

#include <stdio.h>
#include <string.h>

/* ---- runner ----------------------------------------------------------
   A test is written
       TEST_CASE(test_something, "group/something") { ...checks... }
   and registers itself before main runs (a constructor with GCC and
   Clang, a .CRT$XCU entry with MSVC): there is no list of tests to keep. */

typedef struct test_case {
    const char *name;
    void (*run)(void);
    const char *file;
    int line;
    struct test_case *next; /* the registry's */
} test_case;

void test_register(test_case *t);
void test_harness_init(void); /* once, before any test */
/* Runs the registered tests whose name contains one of the `count`
   filters, or all of them when count is 0, in the order of their files'
   names and then of their lines; prints "ok" or "FAIL" and the name of
   each, then "N passed, N failed". Returns the exit status. */
int test_run_registered(int count, char **filters);

#if defined(_MSC_VER) && !defined(__clang__) || defined(CLRHOST_TEST_MSVC_REGISTRY)
/* A pointer in .CRT$XCU, which the C runtime calls before main; kept by
   the linker through /include (x86 names carry a leading underscore). */
#ifdef _WIN64
#define TEST_SYMBOL_PREFIX ""
#else
#define TEST_SYMBOL_PREFIX "_"
#endif
#define TEST_AT_START(f) \
    static void __cdecl f(void); \
    __pragma(section(".CRT$XCU", read)) __declspec(allocate(".CRT$XCU")) void(__cdecl * f##_at_start)(void) = f; \
    __pragma(comment(linker, "/include:" TEST_SYMBOL_PREFIX #f "_at_start")) \
    static void __cdecl f(void)
#else
#define TEST_AT_START(f) \
    static void f(void) __attribute__((constructor)); \
    static void f(void)
#endif

#define TEST_CASE(fn, test_name) \
    static void fn(void); \
    static test_case fn##_case = {test_name, fn, __FILE__, __LINE__, NULL}; \
    TEST_AT_START(fn##_register) { test_register(&fn##_case); } \
    static void fn(void)

/* Called, if set, when a test has run so long that it counts as hung,
   before the process ends (the played CLR prints its threads). */
extern void (*test_on_hang)(void);

/* Runs fn(arg) on a new thread and waits for it to be gone. */
void test_run_on_thread(void (*fn)(void *), void *arg);
void test_fail(const char *file, int line, const char *what);
int test_failures(void); /* failed checks so far, all threads */

#define CHECK(cond) \
    do { if (!(cond)) test_fail(__FILE__, __LINE__, #cond); } while (0)
#define CHECK_HR(expr, expected) \
    do { HRESULT hr_ = (expr); if (hr_ != (HRESULT)(expected)) test_fail_hr(__FILE__, __LINE__, #expr, hr_, (HRESULT)(expected)); } while (0)
#define CHECK_EQ(a, b) \
    do { unsigned long long a_ = (unsigned long long)(a), b_ = (unsigned long long)(b); \
         if (a_ != b_) test_fail_eq(__FILE__, __LINE__, #a " == " #b, a_, b_); } while (0)
void test_fail_hr(const char *file, int line, const char *what, HRESULT got, HRESULT expected);
void test_fail_eq(const char *file, int line, const char *what, unsigned long long got, unsigned long long expected);

/* ---- IIDs as mscoree.idl gives them (not the header's) ----------------- */

extern const GUID test_IID_IUnknown;
extern const GUID test_IID_IHostTaskManager;
extern const GUID test_IID_IHostTask;
extern const GUID test_IID_IHostControl;
extern const GUID test_IID_ICLRTask;
extern const GUID test_IID_IHostMemoryManager;
extern const GUID test_IID_IHostThreadpoolManager;
extern const GUID test_IID_IHostIoCompletionManager;
extern const GUID test_IID_IHostSyncManager;
extern const GUID test_IID_IHostAssemblyManager;
extern const GUID test_IID_IHostGCManager;
extern const GUID test_IID_IHostSecurityManager;
extern const GUID test_IID_IHostPolicyManager;

#ifdef __cplusplus
#define TEST_IID(x) (x)
#else
#define TEST_IID(x) (&(x))
#endif

/* What an out pointer holds before a call that must set it (to NULL on a
   failure). */
#define POISON ((void *)(size_t)0xdeadbeef)

/* ---- atomics for the tests ---------------------------------------------
   Sequentially consistent, on 32-bit and 64-bit integers: GCC and Clang
   builtins, or MSVC's _Interlocked intrinsics (one for each size, picked
   by sizeof; values come back as __int64 there). CLRHOST_TEST_MSVC_ATOMICS
   picks the second with another compiler, to test it. */

#if defined(_MSC_VER) && !defined(__clang__) || defined(CLRHOST_TEST_MSVC_ATOMICS)
#include <intrin.h>
#ifdef _MSC_VER
#define T_INLINE __inline
#else
#define T_INLINE inline
#endif
static T_INLINE __int64 t_add(volatile void *p, size_t size, __int64 v)
{
    return size == 8 ? _InterlockedExchangeAdd64((volatile __int64 *)p, v) + v
                     : (__int64)_InterlockedExchangeAdd((volatile long *)p, (long)v) + v;
}
/* A compare-exchange of 0 with 0: it stores only the value already there. */
static T_INLINE __int64 t_load(const volatile void *p, size_t size)
{
    return size == 8 ? _InterlockedCompareExchange64((volatile __int64 *)(size_t)p, 0, 0)
                     : (__int64)_InterlockedCompareExchange((volatile long *)(size_t)p, 0, 0);
}
static T_INLINE void t_store(volatile void *p, size_t size, __int64 v)
{
    if (size == 8)
        (void)_InterlockedExchange64((volatile __int64 *)p, v);
    else
        (void)_InterlockedExchange((volatile long *)p, (long)v);
}
static T_INLINE __int64 t_xchg(volatile void *p, size_t size, __int64 v)
{
    return size == 8 ? _InterlockedExchange64((volatile __int64 *)p, v)
                     : (__int64)_InterlockedExchange((volatile long *)p, (long)v);
}
#define T_XCHG(p, v) t_xchg((p), sizeof(*(p)), (__int64)(v))
#define T_ADD(p, v) t_add((p), sizeof(*(p)), (__int64)(v))
#define T_INC(p) T_ADD(p, 1)
#define T_DEC(p) T_ADD(p, -1)
#define T_LOAD(p) t_load((p), sizeof(*(p)))
#define T_STORE(p, v) t_store((p), sizeof(*(p)), (__int64)(v))
#else
#define T_XCHG(p, v) __atomic_exchange_n((p), (v), __ATOMIC_SEQ_CST)
#define T_ADD(p, v) __atomic_add_fetch((p), (v), __ATOMIC_SEQ_CST)
#define T_INC(p) __atomic_add_fetch((p), 1, __ATOMIC_SEQ_CST)
#define T_DEC(p) __atomic_sub_fetch((p), 1, __ATOMIC_SEQ_CST)
#define T_LOAD(p) __atomic_load_n((p), __ATOMIC_SEQ_CST)
#define T_STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_SEQ_CST)
#endif

/* ---- counting allocator ------------------------------------------------ */

typedef struct counting_allocator {
    long allocations;   /* successful */
    long frees;
    long outstanding;   /* blocks not yet freed */
    long long bytes;    /* bytes not yet freed */
    long calls;         /* allocation calls, failed ones included */
    long fail_at;       /* fail the fail_at-th call (1-based); 0: never */
} counting_allocator;

void *counting_alloc(void *user, size_t size);
void counting_free(void *user, void *p);
/* A config that uses `a` (and nothing else set). */
void test_config(clrhost_task_config *cfg, counting_allocator *a);

/* ---- fault injection ---------------------------------------------------- */

/* The implementation asks test_fault(what) before the OS calls it can be
   made to fail (CLRHOST_TASK_TEST_FAULT, tests/suite/impl.c). It answers nonzero
   for the fail_at-th ask (1-based; 0: never); every ask is counted. */
typedef struct fault_injection {
    long asks;
    long fail_at;
} fault_injection;
extern fault_injection test_faults;
int test_fault(const char *what);

/* ---- threads, time, last error ---------------------------------------- */

typedef struct test_thread test_thread;
test_thread *test_thread_start(void (*fn)(void *), void *arg);
void test_thread_join(test_thread *t); /* waits for the OS thread to be gone */
DWORD test_thread_id(void);
/* Sleeps; on a played thread in managed code, reaching a safe point
   (test_managed_poll) every millisecond meanwhile, as managed code that
   does not call out still lets a GC or a redirect stop it. */
void test_sleep_ms(unsigned ms);
/* Waits (sleeping, 1 ms at a time) until *flag is value, at most
   20 s x test_slow(); a check fails if it never is. */
void test_wait_for(long *flag, long value);
void test_yield(void);
/* Waits (1 ms at a time) until *flag is value, at most 20 s x test_slow(),
   and never reaches a safe point meanwhile: managed code whose next safe
   point is far away, or the CLR's own code. A check fails if it never is. */
void test_hold_until(long *flag, long value);
/* Managed code's safe points (set by the played CLR, tests/clr/clr_runtime.c):
   returns nonzero on a played thread that runs managed code, after
   letting a GC, a redirect or an abort take it there; 0 anywhere else.
   NULL: no played CLR. test_sleep_ms, test_wait_for and test_yield call it. */
extern int (*test_managed_poll)(void);
/* The slow-machine factor every timed bound is scaled by: the environment
   variable CLRHOST_TEST_SLOW (a whole number, 1 by default), which
   tests/run_all.sh sets (1 unless its environment says more, 10 times
   that under valgrind). A test asserts orderings and counts where it can;
   a bound on time it cannot avoid goes through this. */
unsigned test_slow(void);
unsigned long long test_now_ms(void);
DWORD test_last_error(void);
void test_set_last_error(DWORD e);
/* The address the CLR passes to LeaveRuntime for its own blocking waits
   (WaitForMultipleObjectsEx on Windows; pthread_cond_timedwait here). */
SIZE_T test_clr_wait_target(void);
/* Size of the calling thread's stack as the OS reserved it. */
size_t test_current_stack_size(void);
/* A function inside a shared system module, and that module's name. */
SIZE_T test_system_function(void);
const char *test_system_module(void);

typedef struct test_mutex test_mutex;
test_mutex *test_mutex_new(void);
void test_mutex_free(test_mutex *m);
void test_mutex_lock(test_mutex *m);
void test_mutex_unlock(test_mutex *m);

/* A value threads wait on without spinning (a worker for its next job, a
   dispatcher for its end): a wait that yields in a loop gives a busy
   machine's other work a time slice per turn, and slowed the fuzzer a
   hundredfold beside two busy loops. */
typedef struct test_count test_count;
test_count *test_count_new(void);
void test_count_free(test_count *c);
long test_count_get(test_count *c);
void test_count_set(test_count *c, long value); /* wakes its waiters */
long test_count_wait_change(test_count *c, long from); /* until it is not `from`; returns it */

/* ---- fake CLR objects ---------------------------------------------------- */

/* The CLR's per-thread object, as the host sees it: an ICLRTask. When the
   host calls ExitTask it does what the CLR's thread teardown does: asks for
   the current task again, makes one of the CLR's blocking waits, and drops
   the IHostTask reference its thread object held (if it held one and
   release_late is not set). */
typedef struct fake_clr_task {
    ICLRTask iface;
    long refs;
    long exit_calls;
    long detached;          /* ExitTask has finished: the thread is detached */
    DWORD exit_thread;
    IHostTaskManager *tm;   /* for the calls back during ExitTask; NULL: none */
    IHostTask *expected;    /* what GetCurrentTask must give during ExitTask */
    IHostTask *owned;       /* a reference the thread object holds, dropped at ExitTask */
    int release_late;       /* keep `owned` past ExitTask: the played finalizer drops it */
    ICLRTask *set_at_exit;  /* given to the host's SetCLRTask from inside ExitTask (no CLR
                               does; a host keeps it only to release it) */
    long callback_mismatches;
    /* The played CLR's per-thread state (tests/clr/clr_driver.c). */
    long interruptible;       /* in an interruptible wait (TS_Interruptible) */
    long interrupt_requested; /* Thread.Interrupt came (m_UserInterrupt) */
    int in_sta;               /* the thread's apartment is an STA */
    long task_type;           /* its ETaskType, for ICLRTaskManager::GetCurrentTaskType */
    /* The host's calls on it (Abort, RudeAbort, YieldTask, LocksHeld,
       GetMemStats, SetTaskIdentifier), with the rules of the CLR's Thread
       (vm/threads.cpp): any thread; YieldTask not on its own
       (HOST_E_INVALIDOPERATION; a rule broken); none once ExitTask began. */
    DWORD home_thread;        /* its thread: set when it becomes that thread's CLR task */
    long aborts, rude_aborts, yields, locks_calls, memstats_calls, id_calls;
    long rule_breaks;         /* calls the CLR forbids, made anyway */
    DWORD last_caller;        /* the thread of the last of those calls */
    long yield_requested;     /* YieldTask came: the thread takes it at its next safe point */
    SIZE_T locks;             /* what LocksHeld answers */
    ULONGLONG allocated;      /* what GetMemStats answers */
    ULONGLONG task_id;        /* what SetTaskIdentifier was given */
    long calls_under_way;     /* host calls inside one of the methods above */
    /* The played CLR's inside (tests/clr/clr_runtime.c; contract section 5).
       A fake made outside a played CLR keeps all of it 0. */
    void *sim;                /* the clr_sim it belongs to (for its own thread) */
    long sim_id;              /* that clr_sim's id (for other threads: atomic) */
    long id;                  /* nonzero and unique: a played lock's owner */
    long coop;                /* cooperative GC mode (m_fPreemptiveGCDisabled): a GC waits for it */
    long started;             /* in the thread store's started list (no TS_Unstarted) */
    long start_failed;        /* TS_FailStarted: it never ran its body */
    long in_clr;              /* inside the CLR's own code or a host call: not managed code
                                 that a redirect can stop */
    long affinity;            /* the CLR's m_dwThreadAffinityCount (its locks held, mostly) */
    long redirected;          /* a YieldTask redirected it: SwitchToTask(0) at its next safe point */
    long abort_requested;     /* an abort is pending: Abort, RudeAbort, or an AppDomain unload */
    long abort_delivered;     /* the played abort helper has alerted or redirected it */
    long abort_fired;         /* its abort reached managed code (a ThreadAbortException) */
    int domain;               /* its AppDomain (0: the default domain) */
    const char *name;         /* for a report: "user", "finalizer", ... */
    const char *doing;        /* for a report: what it is inside now */
    const void *blocked_on;   /* the played lock it waits for, NULL if none */
    struct fake_clr_task *all_prev, *all_next; /* every fake (fake_clr_task_each) */
} fake_clr_task;

fake_clr_task *fake_clr_task_new(IHostTaskManager *tm);
void fake_clr_task_free(fake_clr_task *t); /* checks that no reference is left */
/* Calls fn for every fake alive, under the list's lock (fn must not make
   or free one). */
void fake_clr_task_each(void (*fn)(fake_clr_task *t, void *ctx), void *ctx);
/* How the played CLR's Thread answers YieldTask from another thread,
   once the rules every fake keeps (own thread, pending, unstarted) let
   it through (tests/clr/clr_runtime.c sets it); NULL: the request is
   only recorded. */
extern HRESULT (*fake_clr_yield_hook)(fake_clr_task *t);

/* The CLR's ICLRTaskManager: GetCurrentTask and GetCurrentTaskType answer
   for the calling thread's CLR task, which `current` (if set) gives:
   NULL, and TT_UNKNOWN (or the thread's type flags), on a thread that has
   none or after its ExitTask (the CLR's GetThread() of a detached thread). */
typedef struct fake_clr_task_manager {
    ICLRTaskManager iface;
    long refs;
    fake_clr_task *(*current)(void);
    /* The calling thread's type flags while it has no CLR task (the CLR's
       ClrFlsSetThreadType, set at the start of its own threads): an
       ETaskType, 0 for none. NULL: none anywhere. */
    long (*thread_type)(void);
} fake_clr_task_manager;
void fake_clr_task_manager_init(fake_clr_task_manager *m);

/* A host's own IHostControl: hands out a memory manager (an IUnknown) and
   records what it was asked. */
typedef struct fake_host_control {
    IHostControl iface;
    long refs;
    long get_host_manager_calls;
    long set_app_domain_manager_calls;
    DWORD last_app_domain;
    IUnknown memory_manager;
    long memory_manager_refs;
    int offers_sync_manager; /* then IID_IHostSyncManager gets memory_manager too (any IUnknown will do) */
} fake_host_control;
void fake_host_control_init(fake_host_control *hc);

#endif
