/* The played CLR as a whole (tests/clr/clr_scenarios.c over the CLR driver):
   every scenario of examples/managed run the way the stand-in mscoree.dll
   runs it, with the finalizer letting go of dead threads' tasks late and
   on its own thread, and the CLR's own traffic underneath. What must hold
   is what the validation kit checks on the real CLR: every scenario's
   managed checks, no protocol error, every task ended and freed. */
#include "../clr/clr_scenarios.h"

#include <stdlib.h>

/* ---- a host that counts ---------------------------------------------------- */

typedef struct played {
    counting_allocator a;
    clrhost_task_config cfg;
    long ended, logged;
    clrhost_task_manager *m;
    IHostControl *hc;
    clr_sim clr;
    clr_pinvoke_style style;
    int traffic;
    const char *argument;
    int result, settled;
} played;

static void on_end(void *user, clrhost_task *task)
{
    (void)task;
    T_INC(&((played *)user)->ended);
}

static void on_log(void *user, clrhost_task_log_level level, clrhost_task *task, const char *message)
{
    (void)task;
    if (level <= CLRHOST_TASK_LOG_WARNING) {
        T_INC(&((played *)user)->logged);
        printf("    logged: %s\n", message);
    }
}

/* The host's main thread: SetHostControl, Start (the CLR's finalizer and
   its own traffic begin), ExecuteInDefaultAppDomain(argument), then a
   settle, as the validation kit runs them. */
static void host_main(void *arg)
{
    played *p = (played *)arg;
    CHECK_HR(clr_set_host_control(&p->clr, p->hc), S_OK);
    CHECK_HR(clr_start(&p->clr), S_OK);
    CHECK_HR(clr_finalizer_start(&p->clr), S_OK);
    if (p->traffic)
        CHECK_HR(clr_traffic_start(&p->clr), S_OK);
    p->result = clr_play(&p->clr, &clr_stand_in_natives, p->argument);
    p->settled = clr_play(&p->clr, &clr_stand_in_natives, "settle");
}

/* slots: with a scheduler of that many slots and a 50 ms quantum, as the
   validation kit's scheduler run has. flags: the manager's. */
static void run_scenario_with(unsigned flags, clr_pinvoke_style style, int traffic, const char *argument,
                              unsigned slots)
{
    played p;
    clrhost_task_manager_stats st;
    test_thread *host;
    memset(&p, 0, sizeof p);
    test_config(&p.cfg, &p.a);
    p.cfg.flags = flags;
    p.cfg.hooks.user = &p;
    p.cfg.hooks.task_end = on_end;
    p.cfg.log_fn = on_log;
    p.traffic = traffic;
    p.argument = argument;
    p.cfg.schedule.slots = slots;
    p.cfg.schedule.quantum_ms = slots ? 50 : 0;
    CHECK_HR(clrhost_task_manager_create(&p.cfg, &p.m), S_OK);
    CHECK_HR(clrhost_task_host_control_create(p.m, NULL, &p.hc), S_OK);
    clr_init(&p.clr, style);
    host = test_thread_start(host_main, &p);
    test_thread_join(host); /* its task ended with it */
    CHECK_EQ(p.result, 0);
    CHECK_EQ(p.settled, 0);
    /* A settle lets go of every scenario thread, on the finalizer thread. */
    CHECK(T_LOAD(&p.clr.released_by_finalizer) > 0);
    CHECK_EQ(T_LOAD(&p.clr.start_thread->exit_calls), 1);
    if (traffic) /* it ran: the unload helper and workers, the gate adopted */
        CHECK(T_LOAD(&p.clr.background_threads_made) >= 2);
    fake_clr_task_free(p.clr.start_thread);
    clr_shutdown(&p.clr); /* checks every dead thread's objects were freed */
    CHECK_HR(clrhost_task_manager_get_stats(p.m, &st), S_OK);
    CHECK_EQ(st.totals.protocol_errors, 0);
    CHECK_EQ(st.tasks_live, 0);
    CHECK_EQ(st.tasks_adopted, traffic ? 2 : 1); /* the host's thread, and the pool's gate thread */
    CHECK_EQ(st.tasks_ended, T_LOAD(&p.ended));
    CHECK_EQ(st.tasks_freed, st.tasks_ended); /* the CLR let go of every one */
    /* Each thread under the kind the CLR gives it inside SetCLRTask. */
    CHECK_EQ(st.by_kind[CLRHOST_TASK_KIND_FINALIZER].tasks, 1);
    CHECK_EQ(st.by_kind[CLRHOST_TASK_KIND_UNKNOWN].tasks, 0);
    CHECK(st.by_kind[CLRHOST_TASK_KIND_USER].tasks >= 1);
    if (traffic) { /* the unload helper, the gate thread, the pool's workers */
        CHECK_EQ(st.by_kind[CLRHOST_TASK_KIND_AD_UNLOAD].tasks, 1);
        CHECK_EQ(st.by_kind[CLRHOST_TASK_KIND_OTHER].tasks, 1);
        CHECK(st.by_kind[CLRHOST_TASK_KIND_THREADPOOL_WORKER].tasks >= 1);
    }
    CHECK_EQ(T_LOAD(&p.logged), 0);
    CHECK_EQ(T_LOAD(&p.clr.broken), 0);       /* no played GC, start or unload outlasted its bound */
    CHECK_EQ(T_LOAD(&p.clr.unsafe_waits), 0); /* no slot wait in cooperative mode or under a CLR lock */
    CHECK_EQ(p.hc->lpVtbl->Release(p.hc), 0);
    CHECK_EQ(clrhost_task_manager_release(p.m), 0);
    CHECK_EQ(T_LOAD(&p.a.outstanding), 0);
}

static void run_scenario_on(clr_pinvoke_style style, int traffic, const char *argument, unsigned slots)
{
    run_scenario_with(CLRHOST_TASK_TIMING | CLRHOST_TASK_HOOK_ALL_CALLS, style, traffic, argument, slots);
}

static void run_scenario(clr_pinvoke_style style, int traffic, const char *argument)
{
    run_scenario_on(style, traffic, argument, 0);
}

TEST_CASE(test_all_x64, "played/all_x64") { run_scenario(CLR_X64, 0, "all"); }
TEST_CASE(test_all_x86, "played/all_x86") { run_scenario(CLR_X86, 0, "all"); }
TEST_CASE(test_all_under_traffic_x64, "played/all_under_traffic_x64") { run_scenario(CLR_X64, 1, "all"); }
TEST_CASE(test_all_under_traffic_x86, "played/all_under_traffic_x86") { run_scenario(CLR_X86, 1, "all"); }
TEST_CASE(test_churn_under_traffic, "played/churn_under_traffic") { run_scenario(CLR_X64, 1, "churn:200"); }
TEST_CASE(test_work_under_traffic, "played/work_under_traffic") { run_scenario(CLR_X64, 1, "work:4"); }
/* The kit's scheduler stress (collections, starts and reverse calls at
   once, 8 threads on 2 slots) and every scenario, under the scheduler. */
#ifndef CLRHOST_TASK_NO_SCHEDULER
TEST_CASE(test_schedstress_scheduled, "played/schedstress_scheduled") { run_scenario_on(CLR_X64, 1, "schedstress:8", 2); }
TEST_CASE(test_all_scheduled, "played/all_scheduled") { run_scenario_on(CLR_X64, 1, "all", 2); }
#endif
/* No hooks and no flags: CallNeedsHostHook answers FALSE, the P/Invokes
   are not announced, and a managed exception still unwinds to the
   P/Invoke it crossed (the CLR's frame is there, hooked or not). */
TEST_CASE(test_all_unhooked_x64, "played/all_unhooked_x64") { run_scenario_with(0, CLR_X64, 0, "all", 0); }
TEST_CASE(test_all_unhooked_x86, "played/all_unhooked_x86") { run_scenario_with(0, CLR_X86, 0, "all", 0); }

/* A host whose IHostControl gives no task manager (its own, without this
   header): the scenarios on the host's thread run, calls and exceptions
   included; those that start the CLR's threads are refused with a reason
   (150), never a crash: the played CLR makes its threads through the
   host's CreateTask. */
typedef struct unmanaged {
    fake_host_control hc;
    clr_sim clr;
    int on_its_thread[5], threads, all;
} unmanaged;

static void unmanaged_host_main(void *arg)
{
    static const char *const own_thread[5] = {"pinvoke", "nested", "reverse", "exception", "culture"};
    unmanaged *u = (unmanaged *)arg;
    int i;
    CHECK_HR(clr_set_host_control(&u->clr, &u->hc.iface), S_OK);
    CHECK_HR(clr_start(&u->clr), S_OK);
    for (i = 0; i < 5; ++i)
        u->on_its_thread[i] = clr_play(&u->clr, &clr_stand_in_natives, own_thread[i]);
    u->threads = clr_play(&u->clr, &clr_stand_in_natives, "threads");
    u->all = clr_play(&u->clr, &clr_stand_in_natives, "all");
}

TEST_CASE(test_no_task_manager, "played/without_a_task_manager")
{
    unmanaged u;
    int i;
    memset(&u, 0, sizeof u);
    fake_host_control_init(&u.hc);
    clr_init(&u.clr, CLR_X64);
    test_thread_join(test_thread_start(unmanaged_host_main, &u));
    for (i = 0; i < 5; ++i)
        CHECK_EQ(u.on_its_thread[i], 0);
    CHECK_EQ(u.threads, 150);
    CHECK_EQ(u.all, 150);
    CHECK(u.clr.tm == NULL);
    if (u.clr.start_thread)
        fake_clr_task_free(u.clr.start_thread);
    clr_shutdown(&u.clr);
}
