/* The implementation, compiled as C, as a C host would build it. */
#include "../clrhost_task.h"
#define CLRHOST_TASK_IMPLEMENTATION
#include "../clrhost_task.h"
