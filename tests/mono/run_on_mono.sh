#!/bin/sh
# Runs the managed side of the examples (examples/managed/Scenarios.cs) on
# Mono, against example_native.c built for Linux: the scenarios' own logic
# (callbacks, nesting, an exception across a native frame, threads,
# Thread.Interrupt waking Sleep and Join, CurrentUICulture, churn, the
# scheduler's stress: collections, starts and callbacks at once) on a real
# managed runtime. Mono does no task hosting, so no task manager is called:
# this checks the C#, not the header. The sandbox scenario must report its
# call allowed, since nothing here denies it.
#   sh tests/mono/run_on_mono.sh OUTDIR
set -eu
out=$1
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
cd "$out"
cc -std=c99 -D_POSIX_C_SOURCE=200809L -O2 -Wall -Wextra -Werror -shared -fPIC -I"$here" "$here/../../examples/native/example_native.c" \
    -o libexample_native.so
mcs -nologo -warnaserror+ -target:library -out:Scenarios.dll "$here/../../examples/managed/Scenarios.cs"
mcs -nologo -warnaserror+ -r:Scenarios.dll -out:Runner.exe "$here/Runner.cs"
cp "$here/Scenarios.dll.config" .
passed=0
failed=0
for scenario in pinvoke nested reverse exception threads interrupt culture churn:200 work:2 throttle:3 unload:4 schedstress:8 stuck:200; do
    if LD_LIBRARY_PATH=. timeout 60 mono Runner.exe $scenario; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "FAIL  $scenario"
    fi
done
LD_LIBRARY_PATH=. timeout 60 mono Runner.exe sandbox >sandbox.out || true # it must fail: nothing denies
cat sandbox.out
if grep -q '^managed: example_add was allowed$' sandbox.out; then
    passed=$((passed + 1))
else
    failed=$((failed + 1))
    echo "FAIL  sandbox: the undenied call did not go through"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
