#!/bin/sh
# make bench: the benchmark table natively and under Wine, instructions per
# operation from callgrind, and the no-locked-instruction proof. Not part of
# `make test`: timings are reported, never asserted.
#
#   native        the POSIX layer: implementation by gcc -O2, harness by g++
#   wine-gcc      the Win32 layer: implementation by MinGW-w64 gcc -O2
#   wine-clang    the Win32 layer: implementation by clang -O2 for MinGW-w64
#                 (the harness is MinGW-w64 g++ in both)
set -u
cd "$(dirname "$0")/.."
B=build
mkdir -p "$B"
export WINEDEBUG=-all
export WINEPREFIX="${WINEPREFIX:-$PWD/$B/wineprefix}"
W="-Wall -Wextra -Werror"

have() { command -v "$1" >/dev/null 2>&1; }

# The module policy's 100 modules (tests/suite/build_modules.sh), per platform.
sh tests/suite/build_modules.sh gcc "$B/bench-modules" || exit 1
export BENCH_MODULES="$B/bench-modules"

echo "== native (gcc -O2)"
gcc -O2 -std=c99 $W -c bench/impl.c -o "$B/bench-impl.o" &&
    g++ -O2 -std=c++11 $W -c bench/bench.cpp -o "$B/bench.o" &&
    g++ -O2 -std=c++11 $W -c bench/hosts.cpp -o "$B/bench-hosts.o" &&
    g++ "$B/bench.o" "$B/bench-hosts.o" "$B/bench-impl.o" -o "$B/bench" -pthread -ldl &&
    "$B/bench"

if have x86_64-w64-mingw32-g++ && have wine; then
    sh tests/suite/build_modules.sh x86_64-w64-mingw32-gcc "$B/bench-modules-w64" || exit 1
    x86_64-w64-mingw32-g++ -O2 -std=c++11 $W -c bench/bench.cpp -o "$B/bench-w64.o" &&
        x86_64-w64-mingw32-g++ -O2 -std=c++11 $W -c bench/hosts.cpp -o "$B/bench-hosts-w64.o" || exit 1
    echo
    echo "== wine-gcc (MinGW-w64 gcc -O2; Wine's timers and TLS calls are not Windows')"
    x86_64-w64-mingw32-gcc -O2 -std=c99 $W -c bench/impl.c -o "$B/bench-impl-w64-gcc.o" &&
        x86_64-w64-mingw32-g++ -static "$B/bench-w64.o" "$B/bench-hosts-w64.o" "$B/bench-impl-w64-gcc.o" \
            -o "$B/bench-gcc.exe" &&
        BENCH_MODULES="$B/bench-modules-w64" wine "$B/bench-gcc.exe" | tr -d '\r'
    if have clang; then
        echo
        echo "== wine-clang (clang -O2 for MinGW-w64: native TLS)"
        clang --target=x86_64-w64-mingw32 -O2 -std=c99 $W -c bench/impl.c -o "$B/bench-impl-w64-clang.o" &&
            x86_64-w64-mingw32-g++ -static "$B/bench-w64.o" "$B/bench-hosts-w64.o" "$B/bench-impl-w64-clang.o" \
                -o "$B/bench-clang.exe" &&
            BENCH_MODULES="$B/bench-modules-w64" wine "$B/bench-clang.exe" | tr -d '\r'
    fi
else
    echo "(MinGW-w64 or Wine not installed: no Win32 figures)"
fi

echo
if have valgrind; then
    echo "== instructions per operation (callgrind, native build, loop included; repeatable)"
    printf '%-24s %10s\n' case "Ir/op"
    n=200000
    out=$(mktemp)
    for c in $("$B/bench" --list); do
        valgrind --tool=callgrind --callgrind-out-file="$out" --toggle-collect='loop_*' \
            "$B/bench" --case "$c" $n >/dev/null 2>&1
        awk -v c="$c" -v n=$n '/^(summary|totals):/ { printf "%-24s %10.1f\n", c, $2 / n; exit }' "$out"
    done
    rm -f "$out"
else
    echo "(valgrind not installed: no instruction counts)"
fi

echo
echo "== size of each build: the implementation's .text (MinGW-w64 x86_64 gcc -O2), a task and a manager"
LEAN="-DCLRHOST_TASK_NO_SCHEDULER -DCLRHOST_TASK_NO_PROFILE -DCLRHOST_TASK_NO_TASK_VIEW"
for build in full "-DCLRHOST_TASK_NO_SCHEDULER" "-DCLRHOST_TASK_NO_PROFILE" \
    "-DCLRHOST_TASK_NO_SCHEDULER -DCLRHOST_TASK_NO_PROFILE" "-DCLRHOST_TASK_NO_SCHEDULER -DCLRHOST_TASK_NO_TASK_VIEW" "$LEAN"; do
    flags=$build
    [ "$build" = full ] && flags=
    printf '%s\n' "${build:-full}"
    if have x86_64-w64-mingw32-gcc; then
        # shellcheck disable=SC2086
        x86_64-w64-mingw32-gcc -O2 -std=c99 $W $flags -c bench/impl.c -o "$B/size-impl.o" &&
            x86_64-w64-mingw32-size -A "$B/size-impl.o" | awk '$1 == ".text" { printf "  Win32 x64: .text %d bytes, ", $2 }' &&
            x86_64-w64-mingw32-gcc -O2 -std=c99 $W $flags bench/sizes.c -o "$B/sizes.exe" && wine "$B/sizes.exe" | tr -d '\r'
    fi
    # shellcheck disable=SC2086
    gcc -O2 -std=c99 $W $flags bench/sizes.c -o "$B/sizes" -pthread -ldl && printf '  POSIX x64: ' && "$B/sizes"
done

echo
echo "== no locked instruction on the hot paths (transitions, CallNeedsHostHook, GetCurrentTask, task AddRef/Release)"
for cc in gcc clang x86_64-w64-mingw32-gcc i686-w64-mingw32-gcc; do
    have "$cc" && printf '%-28s ' "$cc" && sh bench/hot_path_locks.sh "$cc"
done
if have clang; then
    for t in x86_64-w64-mingw32 i686-w64-mingw32; do
        printf '%-28s ' "clang --target=$t" && sh bench/hot_path_locks.sh clang --target=$t
    done
fi
