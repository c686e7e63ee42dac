/* The start-up of a program that clang-cl builds in MSVC mode against
   msvcrt.dll, where no MSVC C runtime is installed (the MSVC-mode parts
   of tests/run_all.sh): lld-link is given this as the entry point instead of the
   CRT's. It does what the CRT's start-up does for these programs and no
   more: the arguments, the C and C++ initialisers (.CRT$XC*, where the
   suite's tests register themselves and C++ puts its static constructors),
   the static-TLS directory that __declspec(thread) and __thread need, and
   _fltused, which the compiler asks for when floating point is used.
   Compiled as C in every build. */
#include <windows.h>
#include <stdlib.h>

int main(int argc, char **argv);
/* msvcrt.dll's own argument parser. */
extern int __cdecl __getmainargs(int *argc, char ***argv, char ***env, int expand_wildcards, int *startup_info);

int _fltused = 0x9875;

#if defined(_M_IX86)
/* On x86 the compiler reads static TLS through fs:[__tls_array]: an
   absolute symbol, the TEB's ThreadLocalStoragePointer offset (0x2C),
   which the MSVC CRT defines in assembly. */
__asm__(".globl __tls_array\n.set __tls_array, 0x2C\n");
#endif

/* Initialisers: the linker sorts .CRT$XCA < .CRT$XCU (the compiler's and
   ours) < .CRT$XCZ, so everything between the two markers is run. */
typedef void(__cdecl *crt0_initialiser)(void);
#pragma section(".CRT$XCA", read)
#pragma section(".CRT$XCZ", read)
__declspec(allocate(".CRT$XCA")) const crt0_initialiser crt0_first_initialiser = NULL;
__declspec(allocate(".CRT$XCZ")) const crt0_initialiser crt0_last_initialiser = NULL;

/* Static TLS: the loader copies .tls (from _tls_start to _tls_end) for
   every thread, and finds it through _tls_used, the PE's TLS directory,
   which the linker points at by that name. No TLS callbacks. */
ULONG _tls_index = 0;
#pragma section(".tls", read, write)
#pragma section(".tls$ZZZ", read, write)
__declspec(allocate(".tls")) char _tls_start = 0;
__declspec(allocate(".tls$ZZZ")) char _tls_end = 0;
#pragma section(".CRT$XLA", read)
#pragma section(".CRT$XLZ", read)
__declspec(allocate(".CRT$XLA")) const PIMAGE_TLS_CALLBACK crt0_first_tls_callback = NULL;
__declspec(allocate(".CRT$XLZ")) const PIMAGE_TLS_CALLBACK crt0_last_tls_callback = NULL;
#pragma section(".rdata$T", read)
__declspec(allocate(".rdata$T")) const IMAGE_TLS_DIRECTORY _tls_used = {
    (ULONG_PTR)&_tls_start, (ULONG_PTR)&_tls_end, (ULONG_PTR)&_tls_index,
    (ULONG_PTR)(&crt0_first_tls_callback + 1), 0, 0};

void __cdecl mainCRTStartup(void)
{
    int argc = 0, startup_info = 0;
    char **argv = NULL, **env = NULL;
    const crt0_initialiser *init;
    if (__getmainargs(&argc, &argv, &env, 0, &startup_info) != 0)
        ExitProcess(255);
    for (init = &crt0_first_initialiser + 1; init < &crt0_last_initialiser; ++init)
        if (*init)
            (*init)();
    exit(main(argc, argv)); /* exit: msvcrt's atexit handlers and stdio flush */
}
