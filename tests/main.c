/* Runs every test and ends with the line "N passed, N failed".
   Arguments, if any, select tests whose name contains one of them. */
#include "harness.h"

int main(int argc, char **argv)
{
    const test_case *suites[5];
    int s, passed = 0, failed = 0;
    suites[0] = com_tests;
    suites[1] = driver_tests;
    suites[2] = thread_tests;
    suites[3] = reliability_tests;
    suites[4] = played_clr_tests;
    setvbuf(stdout, NULL, _IONBF, 0);
    test_harness_init();
    for (s = 0; s < 5; ++s)
        test_run_cases(suites[s], argc - 1, argv + 1, &passed, &failed);
    return test_summary(passed, failed);
}
