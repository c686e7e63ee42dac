/* demo.c: see clrhost_task.h work with nothing installed but a C compiler.

     make demo

   No CLR that task-hosts runs outside Windows, so this program PLAYS THE
   CLR'S PART: it makes the COM calls that the .NET Framework CLR (64-bit)
   makes on the task manager while it runs Scenarios.Run("all") from
   examples/managed (tests/clr/clr_scenarios.c, through the test suite's CLR
   driver), and its "native functions" are stand-ins for
   example_native.dll's. The task manager and the hooks are the real ones.
   Every hook prints what it sees: the thread, the depth of its transition
   stack, for LeaveRuntime the target, and at a task's end its kind; the
   statistics come at the end. */
#include "../tests/clr/clr_scenarios.h"

#include <stdlib.h>

/* ---- the native functions the managed code calls ------------------------------ */

static const scenario_natives *const natives = &clr_stand_in_natives;

static const char *target_name(SIZE_T target)
{
    if (target == (SIZE_T)natives->add)
        return "example_add";
    if (target == (SIZE_T)natives->call_back)
        return "example_call_back";
    if (target == (SIZE_T)natives->block_ms)
        return "example_block_ms";
    if (target == (SIZE_T)natives->current_thread_id)
        return "GetCurrentThreadId";
    if (target == test_clr_wait_target())
        return "the CLR's own wait (WaitForMultipleObjectsEx)";
    return "?";
}

/* ---- the hooks ----------------------------------------------------------------- */

static long threads_seen; /* names threads 1, 2, ... in the order they got a task */

static void say(clrhost_task *task, const char *what, const char *detail)
{
    printf("  thread %-2ld depth %u  %-22s %s\n", (long)(size_t)clrhost_task_get_user(task),
           clrhost_task_depth(task), what, detail);
}

static void on_task_begin(void *user, clrhost_task *task)
{
    (void)user;
    clrhost_task_set_user(task, (void *)(size_t)T_INC(&threads_seen));
    say(task, "task_begin", clrhost_task_is_adopted(task) ? "(a thread from outside, adopted)"
                                                          : "(a thread the CLR created)");
}

static void on_task_end(void *user, clrhost_task *task)
{
    char detail[80];
    (void)user;
    /* The kind is the CLR's answer when it gave the task its ICLRTask. */
    sprintf(detail, "(%s, after the CLR's ExitTask)", clrhost_task_kind_name(clrhost_task_get_kind(task)));
    say(task, "task_end", detail);
}

static HRESULT on_leave(void *user, clrhost_task *task, SIZE_T target)
{
    (void)user;
    say(task, "LeaveRuntime", target_name(target));
    return S_OK;
}

static void on_enter(void *user, clrhost_task *task)
{
    (void)user;
    say(task, "EnterRuntime", "");
}

static HRESULT on_reverse_enter(void *user, clrhost_task *task)
{
    (void)user;
    say(task, "ReverseEnterRuntime", "");
    return S_OK;
}

static void on_reverse_leave(void *user, clrhost_task *task)
{
    (void)user;
    say(task, "ReverseLeaveRuntime", "");
}

int main(void)
{
    static const clr_host_probe probe = CLR_PROBE_OF_THIS_HEADER;
    clrhost_task_config cfg;
    clrhost_task_manager *tm = NULL;
    IHostControl *hc = NULL;
    clrhost_task_manager_stats st;
    clr_sim clr;
    int result, kind;

    setvbuf(stdout, NULL, _IOLBF, 0);
    test_harness_init();
    clr_probe = &probe; /* this program holds the implementation */
    printf("clrhost_task.h demo. This program plays the CLR's part: it makes the calls\n"
           "the .NET Framework CLR (64-bit) makes on a task manager while it runs\n"
           "Scenarios.Run(\"all\") (examples/managed). The task manager and hooks are real.\n\n");

    memset(&cfg, 0, sizeof cfg);
    cfg.hooks.leave_runtime = on_leave;
    cfg.hooks.enter_runtime = on_enter;
    cfg.hooks.reverse_enter_runtime = on_reverse_enter;
    cfg.hooks.reverse_leave_runtime = on_reverse_leave;
    cfg.hooks.task_begin = on_task_begin;
    cfg.hooks.task_end = on_task_end;
    if (FAILED(clrhost_task_manager_create(&cfg, &tm)) || FAILED(clrhost_task_host_control_create(tm, NULL, &hc))) {
        fprintf(stderr, "demo: could not create the task manager\n");
        return 1;
    }

    printf("ICLRRuntimeHost::SetHostControl and Start:\n");
    clr_init(&clr, CLR_X64);
    if (clr_set_host_control(&clr, hc) != S_OK || clr_start(&clr) != S_OK || clr_finalizer_start(&clr) != S_OK) {
        fprintf(stderr, "demo: the played CLR did not start\n");
        return 1;
    }
    printf("\nExecuteInDefaultAppDomain(\"Scenarios.dll\", ..., \"Run\", \"all\"):\n");
    result = clr_play(&clr, natives, "all");

    clrhost_task_manager_get_stats(tm, &st);
    printf("\nStatistics (clrhost_task_manager_get_stats):\n"
           "  tasks: %llu created by the CLR, %llu adopted, %llu ended, %llu live\n"
           "  LeaveRuntime %llu, EnterRuntime %llu, ReverseEnterRuntime %llu, ReverseLeaveRuntime %llu\n"
           "  protocol errors %llu\n",
           (unsigned long long)st.tasks_created, (unsigned long long)st.tasks_adopted,
           (unsigned long long)st.tasks_ended, (unsigned long long)st.tasks_live,
           (unsigned long long)st.totals.leave_runtime, (unsigned long long)st.totals.enter_runtime,
           (unsigned long long)st.totals.reverse_enter_runtime, (unsigned long long)st.totals.reverse_leave_runtime,
           (unsigned long long)st.totals.protocol_errors);
    printf("  tasks by kind:");
    for (kind = 0; kind < CLRHOST_TASK_KIND_COUNT; ++kind)
        if (st.by_kind[kind].tasks)
            printf(" %s %llu", clrhost_task_kind_name((clrhost_task_kind)kind),
                   (unsigned long long)st.by_kind[kind].tasks);
    printf("\n");
    /* A real host stops here: the CLR keeps its references until the
       process ends. The played CLR gives them back. */
    return result == 0 && test_failures() == 0 ? 0 : 1;
}
