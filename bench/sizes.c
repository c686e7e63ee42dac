/* make bench's sizes: how large a task and a manager are in this build
   (its compiler and its CLRHOST_TASK_NO_* switches). The header comes
   first, as in any implementation file (it defines _GNU_SOURCE on POSIX). */
#include "../clrhost_task.h"
#define CLRHOST_TASK_IMPLEMENTATION
#include "../clrhost_task.h"
#include <stdio.h>

int main(void)
{
    printf("task %u bytes, manager %u bytes\n", (unsigned)sizeof(struct clrhost_task),
           (unsigned)sizeof(struct clrhost_task_manager));
    return 0;
}
