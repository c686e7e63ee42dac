/* The implementation inside a DLL of its own, its API exported, as a host
   that builds its CLR hosting as a module DLL has it (tests/suite/win32_lifetime.c
   frees it while threads it served still run). */
#define CLRHOST_TASK_API __declspec(dllexport)
#define CLRHOST_TASK_IMPLEMENTATION
#include "../../clrhost_task.h"
