/* The host of tests/cmake/consumer: the implementation in this file, a
   manager and its host control made and released, the header's version
   printed (tests/cmake/run.sh compares it with the package's). */
#define CLRHOST_TASK_IMPLEMENTATION
#include "clrhost_task.h"

#include <stdio.h>

int main(void)
{
    clrhost_task_manager *m = NULL;
    IHostControl *hc = NULL;
    if (clrhost_task_manager_create(NULL, &m) != S_OK || clrhost_task_host_control_create(m, NULL, &hc) != S_OK)
        return 1;
    if (hc->lpVtbl->Release(hc) != 0 || clrhost_task_manager_release(m) != 0)
        return 2;
    printf("consumer: clrhost_task %d.%d.%d\n", CLRHOST_TASK_VERSION_MAJOR, CLRHOST_TASK_VERSION_MINOR,
           CLRHOST_TASK_VERSION_PATCH);
    return 0;
}
