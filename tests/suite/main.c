/* The suite: every test in the files linked with it registered itself
   (TEST_CASE, tests/clr/harness.h). Runs them all, or those whose name
   contains one of the arguments, and ends with "N passed, N failed". */
#include "../clr/clr_driver.h"

int main(int argc, char **argv)
{
    static const clr_host_probe probe = CLR_PROBE_OF_THIS_HEADER;
    setvbuf(stdout, NULL, _IONBF, 0);
    test_harness_init();
    clr_probe = &probe; /* this program holds the implementation (impl.c) */
    return test_run_registered(argc - 1, argv + 1);
}
