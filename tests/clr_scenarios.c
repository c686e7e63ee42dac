#include "clr_scenarios.h"

#include <stdlib.h>

/* Keep in step with Scenarios.cs. */
#define PINVOKE_CALLS 10
#define REVERSE_CALLS 5
#define THREADS 4
#define MAX_THREADS 256

/* ---- P/Invokes: the native call the CLR's stub makes, by target ----------- */

typedef struct native_call {
    const scenario_natives *natives;
    int a, b, result;                /* add */
    scenario_callback callback;      /* call_back */
    unsigned ms;                     /* block_ms */
    DWORD thread_id;                 /* current_thread_id */
} native_call;

static void call_add(void *p)
{
    native_call *c = (native_call *)p;
    c->result = c->natives->add(c->a, c->b);
}

static void call_call_back(void *p)
{
    native_call *c = (native_call *)p;
    c->result = c->natives->call_back(c->callback, c->a);
}

static void call_block_ms(void *p)
{
    native_call *c = (native_call *)p;
    c->natives->block_ms(c->ms);
}

static void call_current_thread_id(void *p)
{
    native_call *c = (native_call *)p;
    c->thread_id = c->natives->current_thread_id();
}

#define TARGET(fn) ((SIZE_T)(fn))

/* A call not yet made: result -1 stays when the host refuses it (the CLR
   would have thrown at the call site). */
static native_call native_call_for(const scenario_natives *n)
{
    native_call c;
    memset(&c, 0, sizeof c);
    c.natives = n;
    c.result = -1;
    return c;
}

/* example_add(a, b) from managed code; *result is -1 when the call was
   refused. */
static HRESULT pinvoke_add(clr_sim *clr, const scenario_natives *n, int a, int b, int *result)
{
    native_call c = native_call_for(n);
    HRESULT hr;
    c.a = a;
    c.b = b;
    hr = clr_pinvoke(clr, TARGET(n->add), call_add, &c);
    *result = c.result;
    return hr;
}

static HRESULT pinvoke_call_back(clr_sim *clr, const scenario_natives *n, scenario_callback callback, int times,
                                 int *result)
{
    native_call c = native_call_for(n);
    HRESULT hr;
    c.callback = callback;
    c.a = times;
    hr = clr_pinvoke(clr, TARGET(n->call_back), call_call_back, &c);
    *result = c.result;
    return hr;
}

static DWORD pinvoke_current_thread_id(clr_sim *clr, const scenario_natives *n)
{
    native_call c = native_call_for(n);
    (void)clr_pinvoke(clr, TARGET(n->current_thread_id), call_current_thread_id, &c);
    return c.thread_id;
}

/* ---- reverse P/Invoke: delegates called from native code ------------------
   A delegate's thunk knows its runtime; these know it from here. Only the
   thread that plays a scenario calls them, one scenario at a time. */

static clr_sim *callback_clr;
static const scenario_natives *callback_natives;
static int callback_calls;
static int exception_in_flight;

typedef struct managed_frame {
    int value, result;
} managed_frame;

static int managed_add_one(void *p)
{
    managed_frame *f = (managed_frame *)p;
    pinvoke_add(callback_clr, callback_natives, f->value, 1, &f->result);
    return 0;
}

static int managed_count(void *p)
{
    managed_frame *f = (managed_frame *)p;
    ++callback_calls;
    f->result = f->value;
    return 0;
}

static int managed_throw(void *p)
{
    (void)p;
    return 1; /* throw new InvalidOperationException(...) */
}

static int reverse(int (*managed)(void *), int value)
{
    managed_frame f;
    f.value = value;
    f.result = 0;
    if (clr_reverse_call(callback_clr, managed, &f) != S_OK)
        exception_in_flight = 1; /* it unwinds through the native caller */
    return f.result;
}

static int delegate_add_one(int value) { return reverse(managed_add_one, value); }
static int delegate_count(int value) { return reverse(managed_count, value); }
static int delegate_throw(int value) { return reverse(managed_throw, value); }

static void use_callbacks(clr_sim *clr, const scenario_natives *n)
{
    callback_clr = clr;
    callback_natives = n;
    callback_calls = 0;
    exception_in_flight = 0;
}

/* ---- the scenarios ----------------------------------------------------------- */

static int play_pinvoke(clr_sim *clr, const scenario_natives *n)
{
    int sum = 0, i;
    for (i = 0; i < PINVOKE_CALLS; ++i)
        pinvoke_add(clr, n, sum, i, &sum);
    if (sum != PINVOKE_CALLS * (PINVOKE_CALLS - 1) / 2)
        return 1;
    return pinvoke_current_thread_id(clr, n) != 0 ? 0 : 2;
}

static int play_nested(clr_sim *clr, const scenario_natives *n)
{
    int result;
    use_callbacks(clr, n);
    pinvoke_call_back(clr, n, delegate_add_one, 1, &result);
    return result == 1 ? 0 : 1;
}

static int play_reverse(clr_sim *clr, const scenario_natives *n)
{
    int sum;
    use_callbacks(clr, n);
    pinvoke_call_back(clr, n, delegate_count, REVERSE_CALLS, &sum);
    if (callback_calls != REVERSE_CALLS)
        return 1;
    return sum == REVERSE_CALLS * (REVERSE_CALLS - 1) / 2 ? 0 : 2;
}

static int play_exception(clr_sim *clr, const scenario_natives *n)
{
    int result;
    use_callbacks(clr, n);
    pinvoke_call_back(clr, n, delegate_throw, 1, &result); /* EnterRuntime comes in the unwind */
    return exception_in_flight ? 0 : 1;                     /* caught */
}

/* new Thread(body).Start() ... Join(): the CLR's thread object and the
   reference Thread.Join uses. */
typedef struct managed_thread {
    IHostTask *task;
    fake_clr_task *clr_task;
} managed_thread;

static HRESULT thread_start(clr_sim *clr, managed_thread *t, void (*body)(void *), void *arg)
{
    return clr_create_thread(clr, 0, body, arg, &t->task, &t->clr_task);
}

/* Thread.Join(timeout): alertable, so Thread.Interrupt can wake it. */
static HRESULT thread_join(managed_thread *t, DWORD timeout)
{
    return t->task->lpVtbl->Join(t->task, timeout, WAIT_ALERTABLE | WAIT_NOTINDEADLOCK);
}

/* The managed Thread object is collected: the CLR drops its references.
   By now the thread has ended, so the host must have called its
   ICLRTask::ExitTask exactly once (fake_clr_task_free checks the rest). */
static void thread_collect(managed_thread *t)
{
    CHECK_EQ(T_LOAD(&t->clr_task->exit_calls), 1);
    CHECK_EQ(T_LOAD(&t->clr_task->callback_mismatches), 0);
    t->task->lpVtbl->Release(t->task);
    fake_clr_task_free(t->clr_task);
}

typedef struct add_thread {
    clr_sim *clr;
    const scenario_natives *natives;
    int slot, result;
} add_thread;

static void add_thread_body(void *p)
{
    add_thread *a = (add_thread *)p;
    pinvoke_add(a->clr, a->natives, a->slot, 1, &a->result);
}

static int play_start_and_join(clr_sim *clr, const scenario_natives *n, int count)
{
    managed_thread threads[MAX_THREADS];
    add_thread args[MAX_THREADS];
    int i, started = 0, failed = 0;
    for (i = 0; i < count; ++i) {
        args[i].clr = clr;
        args[i].natives = n;
        args[i].slot = i;
        args[i].result = -1;
        if (thread_start(clr, &threads[i], add_thread_body, &args[i]) != S_OK)
            break; /* Thread.Start throws */
        ++started;
    }
    for (i = 0; i < started; ++i) {
        if (thread_join(&threads[i], INFINITE) != S_OK)
            failed = 1;
        thread_collect(&threads[i]);
    }
    if (started < count || failed)
        return 1;
    for (i = 0; i < count; ++i)
        if (args[i].result != i + 1)
            return 1;
    return 0;
}

typedef struct waiter {
    clr_sim *clr;
    managed_thread *awaited; /* NULL: Thread.Sleep(timeout) */
    DWORD timeout;
    int woken;
} waiter;

/* Thread.Sleep(timeout) or other.Join(), caught ThreadInterruptedException. */
static void waiter_body(void *p)
{
    waiter *w = (waiter *)p;
    HRESULT hr = w->awaited ? thread_join(w->awaited, w->timeout)
                            : w->clr->tm->lpVtbl->Sleep(w->clr->tm, w->timeout, WAIT_ALERTABLE);
    w->woken = hr == HOST_E_INTERRUPTED;
}

/* Thread.Interrupt is IHostTask::Alert; an alert that comes before the
   wait is kept for it, so no waiting for the thread to block is needed. */
static int play_interrupt(clr_sim *clr)
{
    waiter sleeper, long_sleeper, joiner;
    managed_thread sleeper_thread, long_sleeper_thread, joiner_thread;
    int joiner_ended;
    memset(&sleeper, 0, sizeof sleeper);
    sleeper.clr = clr;
    sleeper.timeout = INFINITE;
    if (thread_start(clr, &sleeper_thread, waiter_body, &sleeper) != S_OK)
        return 1;
    sleeper_thread.task->lpVtbl->Alert(sleeper_thread.task);
    if (thread_join(&sleeper_thread, 10000) != S_OK)
        return 1; /* a sleeper nothing wakes is never collected: leave it */
    thread_collect(&sleeper_thread);
    if (!sleeper.woken)
        return 2;

    memset(&long_sleeper, 0, sizeof long_sleeper);
    long_sleeper.clr = clr;
    long_sleeper.timeout = 30000;
    memset(&joiner, 0, sizeof joiner);
    joiner.clr = clr;
    joiner.awaited = &long_sleeper_thread;
    joiner.timeout = INFINITE;
    if (thread_start(clr, &long_sleeper_thread, waiter_body, &long_sleeper) != S_OK)
        return 3;
    if (thread_start(clr, &joiner_thread, waiter_body, &joiner) != S_OK)
        return 3;
    joiner_thread.task->lpVtbl->Alert(joiner_thread.task);
    joiner_ended = thread_join(&joiner_thread, 10000) == S_OK;
    long_sleeper_thread.task->lpVtbl->Alert(long_sleeper_thread.task);
    thread_join(&long_sleeper_thread, INFINITE);
    thread_collect(&long_sleeper_thread);
    if (!joiner_ended)
        return 3;
    thread_collect(&joiner_thread);
    return joiner.woken ? 0 : 4;
}

static int play_culture(clr_sim *clr)
{
    /* The CurrentUICulture setter asks IHostTaskManager::SetUILocale
       (fr-FR is LCID 0x040C) and throws unless it gets S_OK. */
    if (clr->tm->lpVtbl->SetUILocale(clr->tm, 0x040C) != S_OK)
        return 1;
    return 0;
}

static int play_churn(clr_sim *clr, const scenario_natives *n, int count)
{
    int done, result;
    for (done = 0; done < count; done += 8) {
        result = play_start_and_join(clr, n, count - done < 8 ? count - done : 8);
        if (result)
            return result;
    }
    return 0;
}

typedef struct worker {
    clr_sim *clr;
    const scenario_natives *natives;
} worker;

static void wait_20_ms(void *p)
{
    (void)p;
    test_sleep_ms(20); /* WaitHandle.WaitOne(20) on an event nobody sets */
}

static void worker_body(void *p)
{
    worker *w = (worker *)p;
    native_call c = native_call_for(w->natives);
    int j;
    c.ms = 20;
    for (j = 0; j < 5; ++j) {
        clr_pinvoke(w->clr, TARGET(w->natives->block_ms), call_block_ms, &c);
        clr_blocking_wait(w->clr, wait_20_ms, NULL);
    }
}

static int play_work(clr_sim *clr, const scenario_natives *n, int count)
{
    managed_thread threads[MAX_THREADS];
    worker w;
    int i, started = 0;
    w.clr = clr;
    w.natives = n;
    for (i = 0; i < count && thread_start(clr, &threads[i], worker_body, &w) == S_OK; ++i)
        ++started;
    for (i = 0; i < started; ++i) {
        thread_join(&threads[i], INFINITE);
        thread_collect(&threads[i]);
    }
    return started == count ? 0 : 1;
}

static int play_sandbox(clr_sim *clr, const scenario_natives *n)
{
    int result;
    HRESULT hr = pinvoke_add(clr, n, 1, 2, &result);
    if (SUCCEEDED(hr)) {
        printf("managed: example_add was allowed\n");
        return 1;
    }
    printf("managed: example_add was denied: the CLR throws the exception for HRESULT 0x%08lX\n",
           (unsigned long)hr);
    return pinvoke_current_thread_id(clr, n) != 0 ? 0 : 2;
}

int clr_play(clr_sim *clr, const scenario_natives *natives, const char *argument)
{
    static const char *const all[] = {"pinvoke", "nested", "reverse", "exception",
                                      "threads", "interrupt", "culture", NULL};
    char name[32];
    const char *colon = strchr(argument, ':');
    size_t length = colon ? (size_t)(colon - argument) : strlen(argument);
    int count = colon ? atoi(colon + 1) : 0, result, i;
    int violations = test_failures();
    if (length >= sizeof name) {
        printf("managed: unknown scenario '%s'\n", argument);
        return 100;
    }
    memcpy(name, argument, length);
    name[length] = 0;
    if (strcmp(name, "all") == 0) {
        for (i = 0; all[i]; ++i)
            if ((result = clr_play(clr, natives, all[i])) != 0)
                return result;
        return 0;
    }
    if (strcmp(name, "pinvoke") == 0)
        result = play_pinvoke(clr, natives);
    else if (strcmp(name, "nested") == 0)
        result = play_nested(clr, natives);
    else if (strcmp(name, "reverse") == 0)
        result = play_reverse(clr, natives);
    else if (strcmp(name, "exception") == 0)
        result = play_exception(clr, natives);
    else if (strcmp(name, "threads") == 0)
        result = play_start_and_join(clr, natives, THREADS);
    else if (strcmp(name, "interrupt") == 0)
        result = play_interrupt(clr);
    else if (strcmp(name, "culture") == 0)
        result = play_culture(clr);
    else if (strcmp(name, "churn") == 0)
        result = play_churn(clr, natives, count > 0 ? count : 1000);
    else if (strcmp(name, "work") == 0)
        result = play_work(clr, natives, count > 0 && count <= MAX_THREADS ? count : 3);
    else if (strcmp(name, "sandbox") == 0)
        result = play_sandbox(clr, natives);
    else {
        printf("managed: unknown scenario '%s'\n", argument);
        return 100;
    }
    violations = test_failures() - violations;
    if (violations && !result) {
        printf("managed: %-10s FAILED: the played CLR saw %d contract violation(s), printed above\n", name,
               violations);
        result = 200;
    } else if (result)
        printf("managed: %-10s FAILED check %d\n", name, result);
    else
        printf("managed: %-10s ok\n", name);
    fflush(stdout);
    return result;
}
