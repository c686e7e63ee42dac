/* Runs every test and ends with the line "N passed, N failed".
   Arguments, if any, select tests whose name contains one of them. */
#include "harness.h"

#include <stdlib.h>

static int selected(const char *name, int argc, char **argv)
{
    int i;
    if (argc < 2)
        return 1;
    for (i = 1; i < argc; ++i)
        if (strstr(name, argv[i]))
            return 1;
    return 0;
}

int main(int argc, char **argv)
{
    const test_case *suites[4];
    int s, passed = 0, failed = 0;
    suites[0] = com_tests;
    suites[1] = driver_tests;
    suites[2] = thread_tests;
    suites[3] = reliability_tests;
    setvbuf(stdout, NULL, _IONBF, 0);
    test_harness_init();
    for (s = 0; s < 4; ++s) {
        const test_case *t;
        for (t = suites[s]; t->name; ++t) {
            int before;
            if (!selected(t->name, argc, argv))
                continue;
            before = test_failures();
            t->run();
            if (test_failures() == before) {
                ++passed;
                printf("ok   %s\n", t->name);
            } else {
                ++failed;
                printf("FAIL %s\n", t->name);
            }
        }
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
