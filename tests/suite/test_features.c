/* A build that leaves features out (CLRHOST_TASK_NO_SCHEDULER, _NO_PROFILE,
   _NO_TASK_VIEW): the public API is all there, a function of a feature
   left out answers E_NOTIMPL (and clears what it writes), and a
   configuration asking for one is refused with E_INVALIDARG and a log
   line that names the switch. The part suite/lean-* builds the suite
   with all three; in a full build this file has no tests. */
#include "../clr/harness.h"

#include <string.h>

#if defined(CLRHOST_TASK_NO_SCHEDULER) || defined(CLRHOST_TASK_NO_PROFILE) || defined(CLRHOST_TASK_NO_TASK_VIEW)

typedef struct log_seen {
    int lines;
    char last[256];
} log_seen;

static void remember_log(void *user, clrhost_task_log_level level, clrhost_task *task, const char *message)
{
    log_seen *seen = (log_seen *)user;
    (void)level;
    (void)task;
    seen->lines += 1;
    strncpy(seen->last, message, sizeof seen->last - 1);
    seen->last[sizeof seen->last - 1] = 0;
}

/* A configuration that logs to `seen`, with `a` as its allocator. */
static void logging_config(clrhost_task_config *cfg, counting_allocator *a, log_seen *seen)
{
    test_config(cfg, a);
    memset(seen, 0, sizeof *seen);
    cfg->log_fn = remember_log;
    cfg->hooks.user = seen;
}

/* Refused: E_INVALIDARG, no manager, nothing allocated, one log line
   naming `switch_name`. */
static void check_refused(const clrhost_task_config *cfg, const counting_allocator *a, const log_seen *seen,
                          const char *switch_name)
{
    clrhost_task_manager *m = (clrhost_task_manager *)POISON;
    CHECK_HR(clrhost_task_manager_create(cfg, &m), E_INVALIDARG);
    CHECK(m == NULL);
    CHECK_EQ(T_LOAD(&a->calls), 0);
    CHECK_EQ(seen->lines, 1);
    CHECK(strstr(seen->last, switch_name) != NULL);
}
#endif

#ifdef CLRHOST_TASK_NO_SCHEDULER
TEST_CASE(test_no_scheduler, "features/no_scheduler")
{
    counting_allocator a = {0};
    clrhost_task_config cfg;
    log_seen seen;
    clrhost_task_manager *m = NULL;
    clrhost_task_manager_stats st;
    logging_config(&cfg, &a, &seen);
    cfg.schedule.slots = 1;
    check_refused(&cfg, &a, &seen, "CLRHOST_TASK_NO_SCHEDULER");
    cfg.schedule.slots = 0; /* the rest of schedule is read only with slots */
    cfg.schedule.quantum_ms = 10;
    seen.lines = 0;
    CHECK_HR(clrhost_task_manager_create(&cfg, &m), S_OK);
    CHECK_HR(clrhost_task_manager_get_stats(m, &st), S_OK);
    CHECK_EQ(st.slots, 0);
    CHECK_EQ(seen.lines, 0);
    CHECK_EQ(clrhost_task_manager_release(m), 0);
    CHECK_EQ(T_LOAD(&a.outstanding), 0);
}
#endif

#ifdef CLRHOST_TASK_NO_PROFILE
TEST_CASE(test_no_profile, "features/no_profile")
{
    counting_allocator a = {0};
    clrhost_task_config cfg;
    log_seen seen;
    clrhost_task_manager *m = NULL;
    clrhost_task_profile_entry e[2];
    size_t n = 5;
    logging_config(&cfg, &a, &seen);
    cfg.flags = CLRHOST_TASK_TIMING | CLRHOST_TASK_PROFILE;
    check_refused(&cfg, &a, &seen, "CLRHOST_TASK_NO_PROFILE");
    cfg.flags = CLRHOST_TASK_TIMING; /* timing stays */
    CHECK_HR(clrhost_task_manager_create(&cfg, &m), S_OK);
    CHECK_HR(clrhost_task_manager_profile(m, NULL, e, 2, &n), E_NOTIMPL);
    CHECK_EQ(n, 0);
    CHECK_HR(clrhost_task_manager_profile(m, NULL, e, 2, NULL), E_NOTIMPL);
    CHECK_EQ(clrhost_task_manager_release(m), 0);
    CHECK_EQ(T_LOAD(&a.outstanding), 0);
}
#endif

#ifdef CLRHOST_TASK_NO_TASK_VIEW
/* On a thread of its own: the task it adopts ends with the thread. */
static void view_answers(void *p)
{
    clrhost_task_manager *m = (clrhost_task_manager *)p;
    IHostTaskManager *tm = clrhost_task_manager_iface(m);
    IHostTask *it = NULL;
    clrhost_task *t;
    clrhost_task_view v, views[2];
    size_t n = 5;
    SIZE_T locks = 5;
    ULONGLONG bytes = 5;
    CHECK_HR(tm->lpVtbl->GetCurrentTask(tm, &it), S_OK);
    t = clrhost_task_from_iface(it);
    CHECK(t != NULL);
    memset(&v, 0xAB, sizeof v);
    CHECK_HR(clrhost_task_get_view(t, &v), E_NOTIMPL);
    CHECK(v.task == NULL && v.depth == 0 && v.native_target == 0);
    CHECK_HR(clrhost_task_get_view(t, NULL), E_POINTER);
    CHECK_HR(clrhost_task_manager_list(m, CLRHOST_TASK_LIST_ALL, 0, views, 2, &n), E_NOTIMPL);
    CHECK_EQ(n, 0);
    clrhost_task_views_release(views, 0);
    CHECK_HR(clrhost_task_abort(t, FALSE), E_NOTIMPL);
    CHECK_HR(clrhost_task_abort(t, TRUE), E_NOTIMPL);
    CHECK_HR(clrhost_task_yield(t), E_NOTIMPL);
    CHECK_HR(clrhost_task_set_debugger_id(t, 7), E_NOTIMPL);
    CHECK_HR(clrhost_task_locks_held(t, &locks), E_NOTIMPL);
    CHECK_EQ(locks, 0);
    CHECK_HR(clrhost_task_locks_held(t, NULL), E_POINTER);
    CHECK_HR(clrhost_task_bytes_allocated(t, &bytes), E_NOTIMPL);
    CHECK_EQ(bytes, 0);
    CHECK_HR(clrhost_task_bytes_allocated(t, NULL), E_POINTER);
    /* The core's view of a task stays: its depth and side. */
    CHECK_HR(tm->lpVtbl->LeaveRuntime(tm, (SIZE_T)0x1234), S_OK);
    CHECK_EQ(clrhost_task_depth(t), 1);
    CHECK(clrhost_task_in_native(t));
    CHECK_HR(tm->lpVtbl->EnterRuntime(tm), S_OK);
    CHECK_EQ(clrhost_task_depth(t), 0);
    it->lpVtbl->Release(it);
}

TEST_CASE(test_no_task_view, "features/no_task_view")
{
    counting_allocator a = {0};
    clrhost_task_config cfg;
    clrhost_task_manager *m = NULL;
    test_config(&cfg, &a);
    CHECK_HR(clrhost_task_manager_create(&cfg, &m), S_OK);
    test_run_on_thread(view_answers, m);
    CHECK_EQ(clrhost_task_manager_release(m), 0);
    CHECK_EQ(T_LOAD(&a.outstanding), 0);
}
#endif
