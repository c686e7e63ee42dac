/* The implementation in a file whose precompiled header (stdafx.h, pch.h)
   already included clrhost_task.h for the declarations: the define comes
   after it, and a second include brings the implementation only. */
#include "../../clrhost_task.h" /* what the precompiled header holds */

#define CLRHOST_TASK_IMPLEMENTATION
#include "../../clrhost_task.h"

int main(void)
{
    clrhost_task_manager *m = NULL;
    if (clrhost_task_manager_create(NULL, &m) != S_OK)
        return 1;
    return clrhost_task_manager_release(m) == 0 ? 0 : 2;
}
