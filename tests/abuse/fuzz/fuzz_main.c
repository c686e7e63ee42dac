/* fuzz_calls.c as a plain program, without libFuzzer (for the Win32 build
   under Wine, and for CI runs of a fixed size):
     fuzz_calls FILE...        run each file as one input
     fuzz_calls -n N [-s SEED] run N pseudo-random inputs (a fixed sequence
                               for a given seed), then report the count */
#include "../../clr/harness.h"

#include <stdlib.h>

int fuzz_one_input(const unsigned char *data, size_t size);

static unsigned long long next_random(unsigned long long *state)
{
    /* splitmix64: deterministic, so a failing input can be found again */
    unsigned long long z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

int main(int argc, char **argv)
{
    long n = 0, i;
    unsigned long long seed = 1;
    int a, files = 0;
    test_harness_init();
    for (a = 1; a < argc; ++a) {
        if (strcmp(argv[a], "-n") == 0 && a + 1 < argc) {
            n = atol(argv[++a]);
        } else if (strcmp(argv[a], "-s") == 0 && a + 1 < argc) {
            seed = strtoull(argv[++a], NULL, 10);
        } else {
            unsigned char buf[4096];
            size_t len;
            FILE *f = fopen(argv[a], "rb");
            if (!f) {
                fprintf(stderr, "cannot open %s\n", argv[a]);
                return 2;
            }
            len = fread(buf, 1, sizeof buf, f);
            fclose(f);
            fuzz_one_input(buf, len);
            ++files;
        }
    }
    for (i = 0; i < n; ++i) {
        unsigned char buf[512];
        unsigned long long r = next_random(&seed);
        size_t len = 3 + (size_t)(r % (sizeof buf - 3)), k;
        for (k = 0; k < len; k += 8) {
            unsigned long long v = next_random(&seed);
            size_t j;
            for (j = 0; j < 8 && k + j < len; ++j)
                buf[k + j] = (unsigned char)(v >> (8 * j));
        }
        fuzz_one_input(buf, len);
    }
    printf("fuzz_calls: %ld generated inputs and %d files, no invariant broken\n", n, files);
    return 0;
}
