#!/bin/sh
# Builds every example for Windows with MinGW-w64, warnings as errors:
#
#   sh examples/build.sh x86_64|i686 OUTDIR
#
# OUTDIR gets host_hello.exe, native_time.exe, existing_host_control.exe, throttle.exe,
# sandbox.exe, watchdog.exe, validate.exe, the kit's negative controls
# validate-control-1.exe to -6.exe, example_native.dll, bounded.exe
# (tests/bounded.c, which the kit's run.cmd runs each under), and Scenarios.dll when
# mcs (Debian's mono-mcs) is installed: everything a Windows machine with
# the .NET Framework 4.x needs to run them, side by side. (`make examples`
# builds both into build/examples/.)
set -eu
arch=$1
out=$2
mkdir -p "$out"
out=$(cd "$out" && pwd)
cd "$(dirname "$0")"
cc=$arch-w64-mingw32-gcc
flags="-std=c99 -O2 -Wall -Wextra -Werror -pedantic -static"
for host in host_hello native_time existing_host_control sandbox watchdog throttle; do
    $cc $flags $host.c -o "$out/$host.exe"
done
$cc $flags validate/validate.c -o "$out/validate.exe"
# The kit's negative controls: the header broken on purpose, one promise
# each; each must report the FAIL it was built to find (validate/README.md).
for n in 1 2 3 4 5 6; do
    $cc $flags -DCLRHOST_TASK_NEGATIVE_CONTROL=$n validate/validate.c -o "$out/validate-control-$n.exe"
done
$cc $flags -shared native/example_native.c -o "$out/example_native.dll"
$cc $flags ../tests/bounded.c -o "$out/bounded.exe"
if command -v mcs >/dev/null 2>&1; then
    # mscorlib 4.0.0.0, runtime v4.0.30319: the .NET Framework 4.x
    mcs -nologo -warnaserror+ -target:library -out:"$out/Scenarios.dll" managed/Scenarios.cs
else
    echo "examples/build.sh: mcs not installed: Scenarios.dll not built" >&2
fi
