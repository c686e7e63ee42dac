/* The body of tests/compile/static_a.c and tests/compile/static_b.c: each defines
   STATIC_COPY (its function's name) and includes this after the header,
   so that each translation unit holds its own private copy of the whole
   implementation (CLRHOST_TASK_STATIC). They must link together, and each
   copy must work on its own. */
#define CLRHOST_TASK_STATIC
#define CLRHOST_TASK_IMPLEMENTATION
#include "../../clrhost_task.h"

int STATIC_COPY(void);

/* 0 when this copy's manager works: a task, a transition, a clean end. */
int STATIC_COPY(void)
{
    clrhost_task_manager *m = NULL;
    IHostTaskManager *tm;
    IHostTask *task = NULL;
    clrhost_task_manager_stats st;
    int bad = 0;
    if (clrhost_task_self_check() != NULL)
        return 1;
    if (clrhost_task_manager_create(NULL, &m) != S_OK)
        return 2;
    tm = clrhost_task_manager_iface(m);
#if defined(__cplusplus) && !defined(CINTERFACE)
    bad |= tm->GetCurrentTask(&task) != S_OK || task == NULL;
    bad |= tm->LeaveRuntime(0x1000) != S_OK || tm->EnterRuntime() != S_OK;
    if (task)
        task->Release();
#else
    bad |= tm->lpVtbl->GetCurrentTask(tm, &task) != S_OK || task == NULL;
    bad |= tm->lpVtbl->LeaveRuntime(tm, 0x1000) != S_OK || tm->lpVtbl->EnterRuntime(tm) != S_OK;
    if (task)
        task->lpVtbl->Release(task);
#endif
    bad |= clrhost_task_manager_get_stats(m, &st) != S_OK || st.totals.leave_runtime != 1;
    /* The calling thread keeps its task until it exits; so does the manager. */
    bad |= clrhost_task_manager_release(m) != 1;
    return bad ? 3 : 0;
}
