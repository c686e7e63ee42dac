/* example_native.c: the native DLL the managed examples call (P/Invoke)
   and that calls back into managed code (reverse P/Invoke).

   Build it beside the host, for the host's bitness:
     MinGW-w64:  x86_64-w64-mingw32-gcc -shared -O2 -o example_native.dll example_native.c
     MSVC:       cl /nologo /W4 /LD example_native.c

   Every function is __cdecl; the managed side says so in its DllImport and
   delegate attributes, so the same code is right on x86 and x64. */
#include <windows.h>

#define EXAMPLE_NATIVE_API __declspec(dllexport)

/* A managed delegate, as native code sees it. */
typedef int(__cdecl *example_callback)(int value);

/* Plain native work: a P/Invoke target. */
EXAMPLE_NATIVE_API int __cdecl example_add(int a, int b)
{
    return a + b;
}

/* Calls managed code `times` times (a reverse P/Invoke each time) and
   returns the sum of what it returned. Called from managed code, this is
   the nesting of the CLR documentation's example: managed -> native ->
   managed -> native. An exception thrown by the callback unwinds through
   this frame. */
EXAMPLE_NATIVE_API int __cdecl example_call_back(example_callback callback, int times)
{
    int sum = 0;
    int i;
    if (!callback)
        return -1;
    for (i = 0; i < times; ++i)
        sum += callback(i);
    return sum;
}

/* Blocks in native code for `ms` milliseconds: time the profiler example
   counts as "other native calls", not as the CLR's own waits. */
EXAMPLE_NATIVE_API void __cdecl example_block_ms(unsigned ms)
{
    Sleep(ms);
}
