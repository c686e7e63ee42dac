/* The CLR's calls for each scenario of examples/managed/Scenarios.cs:
   what the CLR would ask of the task manager while it runs that managed
   code, played through the CLR driver (clr_driver.h). It is what
   `make demo` shows and what the stand-in mscoree.dll
   (tests/clr/fake_mscoree.c) runs for ExecuteInDefaultAppDomain, so the
   example hosts run end to end here. It is not the CLR: it makes the
   calls the CLR 4.x source makes for that code (clr_driver.h cites
   where), in that order, and nothing else. */
#ifndef CLRHOST_TEST_CLR_SCENARIOS_H
#define CLRHOST_TEST_CLR_SCENARIOS_H

#include "clr_driver.h"

/* A managed delegate as native code calls it (Scenarios.cs declares its
   delegates Cdecl). */
typedef int (*scenario_callback)(int value);

/* The native functions the managed code calls, as the CLR resolved them:
   examples/native/example_native.c and kernel32!GetCurrentThreadId, or
   stand-ins with the same behaviour. Their addresses are the targets the
   CLR passes to CallNeedsHostHook and LeaveRuntime. */
typedef struct scenario_natives {
    int (*add)(int a, int b);
    int (*call_back)(scenario_callback callback, int times);
    void (*block_ms)(unsigned ms);
    DWORD(WINAPI *current_thread_id)(void);
} scenario_natives;

/* Stand-ins with the same behaviour, for runs with no example_native.dll
   (make demo, the suite). */
extern const scenario_natives clr_stand_in_natives;

/* Plays Scenarios.Run(argument) on the calling thread, which must have
   entered the runtime (clr_start or clr_thread_enter), once the
   finalizer runs (clr_finalizer_start; clr_traffic_start is up to the
   caller). "settle" is GC.Collect() and GC.WaitForPendingFinalizers()
   three times: every ended scenario thread's task let go of. Prints the lines
   Scenarios.cs prints ("managed: <name> ok") and returns what Run
   returns: 0 when every check held, else the number of the first that
   failed, 100 for an unknown scenario, 150 for one that starts the CLR's
   threads when the host gave no task manager (the played CLR makes its
   threads through CreateTask only; it says so), 200 when the host broke
   the contract in a way the driver checks (each such check prints a
   line). */
int clr_play(clr_sim *clr, const scenario_natives *natives, const char *argument);

#endif
