/* A file that only calls the API, built for Windows XP, as a host that
   still targets XP builds the files that do not hold the implementation:
   the declarations need nothing newer (tests/run_all.sh also checks that
   the implementation, built so, stops with its own #error). */
#ifndef _WIN32_WINNT
#define _WIN32_WINNT 0x0501
#endif
#include "../../clrhost_task.h"

int uses_the_api(IHostControl **out);
int uses_the_api(IHostControl **out)
{
    clrhost_task_config cfg;
    clrhost_task_manager *m = NULL;
    memset(&cfg, 0, sizeof cfg);
    cfg.flags = CLRHOST_TASK_TIMING;
    if (FAILED(clrhost_task_manager_create(&cfg, &m)))
        return 1;
    return FAILED(clrhost_task_host_control_create(m, NULL, out));
}
