/* Transition stacks deeper than the frame-kind storage and than
   CLRHOST_TASK_MAX_DEPTH, for whatever value of CLRHOST_TASK_MAX_DEPTH
   this program is built with (make test builds it with the default, 1,
   1100 and 2048, under ASan and UBSan). Each run nests 1,100 frames of
   both kinds, with and without timing and hooks, closes them, and checks
   the depth, the balance of the counts and the protocol errors the manual
   promises: one for nesting past CLRHOST_TASK_MAX_DEPTH (no longer
   timed), one for nesting past the frames whose kind is kept. Ends with
   "N passed, N failed". */
#include "../clr/harness.h"

#ifndef CLRHOST_TASK_MAX_DEPTH
#define CLRHOST_TASK_MAX_DEPTH 32 /* the header's default */
#endif

#define NESTED 1100
#define KINDS_KEPT (CLRHOST_TASK_MAX_DEPTH > 1024 ? CLRHOST_TASK_MAX_DEPTH : 1024)

static long hook_calls;

static HRESULT count_leave(void *user, clrhost_task *task, SIZE_T target)
{
    (void)user; (void)task; (void)target;
    ++hook_calls;
    return S_OK;
}
static void count_close(void *user, clrhost_task *task)
{
    (void)user; (void)task;
    ++hook_calls;
}
static HRESULT count_reverse(void *user, clrhost_task *task)
{
    (void)user; (void)task;
    ++hook_calls;
    return S_OK;
}

/* Frame i is managed (a reverse call) when i % 3 == 1, else native. */
static int managed_at(int i) { return i % 3 == 1; }

typedef struct deep_run {
    clrhost_task_manager *m;
    unsigned flags;
    int hooks;
} deep_run;

/* On a thread of its own, so that its task ends with it. */
static void nest_and_unwind(void *p)
{
    deep_run *r = (deep_run *)p;
    clrhost_task_manager *m = r->m;
    IHostTaskManager *tm = clrhost_task_manager_iface(m);
    IHostTask *task = NULL;
    clrhost_task_counters c;
    unsigned long long managed = 0, expected_errors = 0;
    int i;
    CHECK_HR(tm->lpVtbl->GetCurrentTask(tm, &task), S_OK);
    for (i = 0; i < NESTED; ++i) {
        if (managed_at(i)) {
            ++managed;
            CHECK_HR(tm->lpVtbl->ReverseEnterRuntime(tm), S_OK);
        } else {
            CHECK_HR(tm->lpVtbl->LeaveRuntime(tm, (SIZE_T)0x1000 + (SIZE_T)i), S_OK);
        }
    }
    CHECK_EQ(clrhost_task_depth(clrhost_task_current(m)), NESTED);
    CHECK(clrhost_task_in_native(clrhost_task_current(m)) == !managed_at(NESTED - 1));
    for (i = NESTED - 1; i >= 0; --i) {
        CHECK_HR(managed_at(i) ? tm->lpVtbl->ReverseLeaveRuntime(tm) : tm->lpVtbl->EnterRuntime(tm), S_OK);
        CHECK_EQ(clrhost_task_depth(clrhost_task_current(m)), i);
        if (i > 0 && i - 1 < KINDS_KEPT) /* deeper, the manual says its kind is not known */
            CHECK(clrhost_task_in_native(clrhost_task_current(m)) == !managed_at(i - 1));
    }
    clrhost_task_get_counters(clrhost_task_current(m), &c);
    CHECK_EQ(c.leave_runtime, NESTED - managed);
    CHECK_EQ(c.enter_runtime, NESTED - managed);
    CHECK_EQ(c.reverse_enter_runtime, managed);
    CHECK_EQ(c.reverse_leave_runtime, managed);
    if (NESTED > CLRHOST_TASK_MAX_DEPTH)
        ++expected_errors; /* deeper frames are not timed */
    if (NESTED > KINDS_KEPT)
        ++expected_errors; /* deeper frames keep no kind */
    CHECK_EQ(c.protocol_errors, expected_errors);
    CHECK_EQ(hook_calls, r->hooks ? 2 * NESTED : 0);
    if (r->flags & CLRHOST_TASK_TIMING)
        CHECK(c.native_call_ns > 0);
    CHECK_EQ(task->lpVtbl->Release(task), 1); /* the thread's own is left */
}

static void run_deep(unsigned flags, int hooks)
{
    counting_allocator a = {0};
    clrhost_task_config cfg;
    deep_run r;
    test_config(&cfg, &a);
    cfg.flags = flags;
    if (hooks) {
        cfg.hooks.leave_runtime = count_leave;
        cfg.hooks.enter_runtime = count_close;
        cfg.hooks.reverse_enter_runtime = count_reverse;
        cfg.hooks.reverse_leave_runtime = count_close;
    }
    hook_calls = 0;
    r.flags = flags;
    r.hooks = hooks;
    CHECK_HR(clrhost_task_manager_create(&cfg, &r.m), S_OK);
    test_run_on_thread(nest_and_unwind, &r);
    CHECK_EQ(clrhost_task_manager_release(r.m), 0);
    CHECK_EQ(T_LOAD(&a.outstanding), 0);
}

TEST_CASE(test_plain, "deep/plain") { run_deep(0, 0); }
TEST_CASE(test_plain_hooks, "deep/plain+hooks") { run_deep(0, 1); }
TEST_CASE(test_timing, "deep/timing") { run_deep(CLRHOST_TASK_TIMING, 0); }
TEST_CASE(test_timing_hooks, "deep/timing+hooks") { run_deep(CLRHOST_TASK_TIMING, 1); }

int main(void)
{
    test_harness_init();
    printf("CLRHOST_TASK_MAX_DEPTH %d, %d nested frames\n", CLRHOST_TASK_MAX_DEPTH, NESTED);
    return test_run_registered(0, NULL);
}
