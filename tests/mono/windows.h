/* Just enough of <windows.h> to build examples/native/example_native.c as
   a Linux shared library, for run_on_mono.sh. */
#include <time.h>
#define __declspec(x) __attribute__((visibility("default")))
#define __cdecl
static void Sleep(unsigned ms)
{
    struct timespec t;
    t.tv_sec = ms / 1000;
    t.tv_nsec = (long)(ms % 1000) * 1000000L;
    nanosleep(&t, NULL);
}
