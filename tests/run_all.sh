#!/bin/sh
# Everything `make test` runs, part by part. A part whose tools are missing
# is skipped and says so; .ci/run installs every tool, so CI skips nothing.
# Ends with a summary; exits non-zero if any part failed.
set -u
cd "$(dirname "$0")/.."

B=build
mkdir -p "$B"
SUMMARY="$B/summary.txt"
: > "$SUMMARY"
FAILED=0
WARN="-Wall -Wextra -Werror"
SRC="tests/impl.c tests/harness.c tests/clr_driver.c tests/test_com.c tests/test_driver.c tests/test_threads.c tests/main.c"
export WINEDEBUG=-all
export WINEPREFIX="${WINEPREFIX:-$PWD/$B/wineprefix}"

have() {
    for tool in "$@"; do
        command -v "$tool" >/dev/null 2>&1 || return 1
    done
}

# part NAME TOOLS... -- COMMAND...
# Runs COMMAND (output in build/NAME.log) and records its result; the last
# "N passed, N failed" line of the log, if any, goes into the summary.
part() {
    name=$1
    shift
    tools=""
    while [ "$1" != "--" ]; do
        tools="$tools $1"
        shift
    done
    shift
    log="$B/$name.log"
    # shellcheck disable=SC2086
    if ! have $tools; then
        printf '%-28s skip  (not installed:%s)\n' "$name" "$tools" | tee -a "$SUMMARY"
        return 0
    fi
    printf '== %s\n' "$name"
    if "$@" >"$log" 2>&1; then
        status=pass
    else
        status=FAIL
        FAILED=1
        tail -n 30 "$log"
    fi
    counts=$(tr -d '\r' < "$log" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -n 1)
    printf '%-28s %-5s %s\n' "$name" "$status" "$counts" | tee -a "$SUMMARY"
}

# Build then run, so that a failed build is a failed part. A run that hangs
# (a broken wait never returns) fails after LIMIT seconds instead.
LIMIT=600
build_and_run() {
    out=$1
    shift
    "$@" -o "$out" && timeout $LIMIT "$out"
}

wine_run() {
    out=$1
    shift
    "$@" -o "$out" && timeout $LIMIT wine "$out"
}

# -- the test suite on the POSIX layer ---------------------------------------
part suite-gcc gcc -- \
    build_and_run "$B/tests-gcc" gcc -std=c99 -O2 -g $WARN -pthread $SRC -ldl
part suite-asan-ubsan clang -- \
    build_and_run "$B/tests-asan" clang -std=c99 -O1 -g $WARN -pthread \
        -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer $SRC -ldl
part suite-tsan clang -- \
    build_and_run "$B/tests-tsan" clang -std=c99 -O1 -g $WARN -pthread -fsanitize=thread $SRC -ldl
part suite-valgrind gcc valgrind -- \
    sh -c "gcc -std=c99 -O1 -g $WARN -pthread $SRC -o $B/tests-vg -ldl && \
           timeout $LIMIT valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect $B/tests-vg"

# -- the test suite on the Win32 layer (the product), under Wine ---------------
part suite-mingw64-wine x86_64-w64-mingw32-gcc wine -- \
    wine_run "$B/tests-x64.exe" x86_64-w64-mingw32-gcc -std=c99 -O2 -g $WARN $SRC
part suite-mingw32-build i686-w64-mingw32-gcc -- \
    i686-w64-mingw32-gcc -std=c99 -O2 $WARN $SRC -o "$B/tests-x86.exe"

# -- the header alone, implementation included, warnings as errors --------------
CHECK=tests/compile_check.c
part header-gcc-c89 gcc -- \
    build_and_run "$B/cc-gcc-c89" gcc -std=c89 -pedantic -Wdeclaration-after-statement $WARN -pthread $CHECK
part header-gcc-c99 gcc -- build_and_run "$B/cc-gcc-c99" gcc -std=c99 -pedantic $WARN -pthread $CHECK
part header-gcc-c11 gcc -- build_and_run "$B/cc-gcc-c11" gcc -std=c11 -pedantic $WARN -pthread $CHECK
part header-g++-c++98 g++ -- build_and_run "$B/cc-gxx-98" g++ -x c++ -std=c++98 -pedantic $WARN -pthread $CHECK
part header-g++-c++11 g++ -- build_and_run "$B/cc-gxx-11" g++ -x c++ -std=c++11 -pedantic $WARN -pthread $CHECK
part header-g++-c++17 g++ -- build_and_run "$B/cc-gxx-17" g++ -x c++ -std=c++17 -pedantic $WARN -pthread $CHECK
part header-clang-c89 clang -- \
    build_and_run "$B/cc-clang-c89" clang -std=c89 -pedantic -Wdeclaration-after-statement $WARN -pthread $CHECK
part header-clang++-c++17 clang++ -- \
    build_and_run "$B/cc-clangxx-17" clang++ -x c++ -std=c++17 -pedantic $WARN -pthread $CHECK
part header-mingw64-c89 x86_64-w64-mingw32-gcc wine -- \
    wine_run "$B/cc-mingw64-c89.exe" x86_64-w64-mingw32-gcc -std=c89 -pedantic $WARN $CHECK
part header-mingw64-c++11 x86_64-w64-mingw32-g++ wine -- \
    wine_run "$B/cc-mingw64-cxx11.exe" x86_64-w64-mingw32-g++ -x c++ -std=c++11 $WARN $CHECK
part header-mingw32-c99 i686-w64-mingw32-gcc -- \
    i686-w64-mingw32-gcc -std=c99 -pedantic $WARN $CHECK -o "$B/cc-mingw32-c99.exe"
part header-mingw32-c++98 i686-w64-mingw32-g++ -- \
    i686-w64-mingw32-g++ -x c++ -std=c++98 $WARN $CHECK -o "$B/cc-mingw32-cxx98.exe"

echo
echo "== summary (make test)"
cat "$SUMMARY"
if [ "$FAILED" -ne 0 ]; then
    echo "RESULT: FAILED"
    exit 1
fi
echo "RESULT: all parts passed (skipped parts are listed above)"
