/* The suite: every test in the files linked with it registered itself
   (TEST_CASE, tests/clr/harness.h). Runs them all, or those whose name
   contains one of the arguments, and ends with "N passed, N failed". */
#include "../clr/harness.h"

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    test_harness_init();
    return test_run_registered(argc - 1, argv + 1);
}
