#!/bin/sh
# Runs the 64-bit example hosts (built by examples/build.sh) under Wine.
#
#   sh tests/run_examples.sh no-framework DIR
#       with Wine's own mscoree.dll, which cannot load a task-hosting
#       runtime: each host must fail cleanly, exit code 2 and its one-line
#       "no .NET Framework" reason.
#   sh tests/run_examples.sh played DIR
#       DIR also holds the stand-in mscoree.dll (tests/clr/fake_mscoree.c),
#       which plays the CLR's calls for each scenario: every host must run
#       to the end and print what it should, and validate.exe must pass.
#       This checks the examples' own code; it is not a run on the CLR.
#   sh tests/run_examples.sh kit DIR
#       DIR is the validation kit as unpacked from its zip (make kit), the
#       stand-in mscoree.dll in its x64 directory: the played checks on
#       that directory, then the kit's own run.cmd on it under Wine: every
#       step passes, and report.txt names the machine and ends saying what
#       to send back.
#
# Prints one line per check and "N passed, N failed"; exits 1 if any failed.
set -u
mode=$1
slow=${CLRHOST_TEST_SLOW:-1} # the slow-machine factor of tests/run_all.sh
kit=
if [ "$mode" = kit ]; then
    kit=$(cd "$2" && pwd)
    mode=played
    cd "$kit/x64"
else
    cd "$2"
fi
export WINEDEBUG=-all
passed=0
failed=0

check() { # check DESCRIPTION CONDITION...
    what=$1
    shift
    if "$@"; then
        passed=$((passed + 1))
        echo "ok    $what"
    else
        failed=$((failed + 1))
        echo "FAIL  $what"
    fi
}

# run NAME EXE ARGS...: output (stdout and stderr, without CRs) in NAME.out,
# exit code in $rc.
run() {
    name=$1
    shift
    timeout 120 wine "$@" >"$name.out" 2>&1
    rc=$?
    tr -d '\r' <"$name.out" >"$name.txt"
}
has() { grep -qF -- "$2" "$1.txt"; }
is() { [ "$1" = "$2" ]; }

if [ "$mode" = no-framework ]; then
    export WINEDLLOVERRIDES=mscoree=b
    for host in host_hello native_time existing_host_control sandbox watchdog throttle validate; do
        run $host $host.exe
        check "$host.exe exits 2 without a .NET Framework (got $rc)" is $rc 2
        check "$host.exe says why: '$host: no .NET Framework 4: ...'" has $host "$host: no .NET Framework 4"
    done
else
    export WINEDLLOVERRIDES=mscoree=n
    run hello host_hello.exe
    check "host_hello.exe exits 0 (got $rc)" is $rc 0
    for scenario in pinvoke nested reverse exception threads interrupt culture; do
        check "host_hello.exe ran scenario $scenario" grep -qE "^managed: $scenario +ok$" hello.txt
    done
    check "host_hello.exe printed the ended threads" has hello "created ended"
    # The scenarios' 7 threads, the finalizer and the AD-unload helper at
    # least, plus the thread-pool workers of the played CLR's own traffic
    # (how many depends on timing); the host's thread and the pool's gate
    # thread adopted.
    check "host_hello.exe printed the totals" sh -c \
        "sed -n 's/^Run returned 0\. \([0-9]*\) tasks (\([0-9]*\) created by the CLR, 2 adopted).*/\1 \2/p' hello.txt |
         awk '\$2 >= 9 && \$1 == \$2 + 2 { ok = 1 } END { exit !ok }'"
    check "host_hello.exe saw no protocol error" has hello " 0 protocol errors"

    run missing host_hello.exe Missing.dll
    check "a missing assembly: exit 4 (got $rc)" is $rc 4
    check "a missing assembly: says so" has missing "host_hello: assembly not found or not loadable:"
    run type host_hello.exe Scenarios.dll No.Such.Type Run
    check "a missing type: exit 4 (got $rc)" is $rc 4
    check "a missing type: says so" has type "host_hello: No.Such.Type.Run not found in"
    run failing host_hello.exe Scenarios.dll ClrHostTask.Examples.Scenarios Run no-such-scenario
    check "managed code that returns non-zero: exit 5 (got $rc)" is $rc 5
    check "managed code that returns non-zero: says so" has failing "returned 100: a check in the managed code failed"
    run usage host_hello.exe a b
    check "bad arguments: exit 1 (got $rc)" is $rc 1
    check "bad arguments: usage line" has usage "usage: host_hello"

    run time native_time.exe
    check "native_time.exe exits 0 (got $rc)" is $rc 0
    # The three worker threads: about 100 ms in the CLR's waits and 100 ms in native calls each.
    check "native_time.exe: three user threads with ~100 ms of each kind of time" sh -c \
        "awk '\$2 == \"created\" && \$3 == \"ended\" && \$4 == \"user\" && \$5 == 11 && \$6 >= 90 && \$7 >= 90 { n++ } END { exit n != 3 }' time.txt"
    check "native_time.exe: the finalizer, by its kind" sh -c "awk '\$4 == \"finalizer\" { n++ } END { exit n != 1 }' time.txt"
    # The profile: the 15 calls to example_block_ms (3 threads x 5 of 20 ms),
    # by name, as calls; the 15 waits of 20 ms as the CLR's waits.
    check "native_time.exe: the profile names example_block_ms, 15 calls, >= 270 ms" sh -c \
        "awk '\$5 == \"example_native.dll!example_block_ms\" && \$1 == 15 && \$2 >= 270 && \$4 == \"call\" { n++ } END { exit n != 1 }' time.txt"
    check "native_time.exe: the profile's waits, >= 15 of them, >= 270 ms" sh -c \
        "awk '\$4 == \"wait\" && \$1 >= 15 { c += \$1; ms += \$2 } END { exit !(c >= 15 && ms >= 270) }' time.txt"

    # 8 threads, each 5 x (20 ms of managed work, a 20 ms native call), on 2
    # slots: each held a slot for its ~100 ms of managed code and none in
    # its ~100 ms of native calls; they queued for slots; and the managed
    # time of all of them, over the wall time, is at most 2 slots' worth.
    # A thread's native time leaves out its waits for a slot (hundreds of
    # ms here): its bound, 100 ms and 70 ms for a busy machine's sleeps
    # scaled by the slow-machine factor, is well below them.
    run throttle throttle.exe 8 2
    check "throttle.exe exits 0 (got $rc)" is $rc 0
    check "throttle.exe: 8 user threads, each ~100 ms holding a slot and ~100 ms in native calls (the wait for a slot not in it)" sh -c \
        "awk -v most=$((100 + 70 * slow)) '\$2 == \"user\" && \$3 >= 90 && \$5 >= 90 && \$5 < most { n++ } END { exit n != 8 }' throttle.txt"
    check "throttle.exe: the threads waited for slots (8 threads on 2)" sh -c \
        "awk '\$2 == \"user\" { w += \$6; ms += \$4 } END { exit !(w >= 8 && ms > 0) }' throttle.txt"
    check "throttle.exe: at most 2 slots busy, and both used" sh -c \
        "sed -n 's/.* \([0-9.]*\) slots busy on average (at most 2)\$/\1/p' throttle.txt |
         awk '\$1 > 1.0 && \$1 <= 2.01 { ok = 1 } END { exit !ok }'"
    check "throttle.exe: no thread ran over the cap (none had to: no cooperative wait)" sh -c \
        "grep -qE '^over the cap: 0\.0 ms of [0-9.]+ ms of managed code \(0\.0%\)\$' throttle.txt"

    # One thread blocked 4 s in example_block_ms, one spinning in managed
    # code; the watchdog reports the first and aborts the second at 1.5 s.
    run watchdog watchdog.exe 4000 1500
    check "watchdog.exe exits 0 (got $rc)" is $rc 0
    check "watchdog.exe: the blocked thread, by the name of its native call" sh -c \
        "grep -E '^watchdog: thread [0-9]+ \(user\) outside the runtime for [2-9]\.[0-9] s, in example_native\.dll!example_block_ms$' watchdog.txt"
    check "watchdog.exe: the spinner aborted, once" sh -c \
        "[ \$(grep -cE '^watchdog: thread [0-9]+ \(user\) in managed code for [1-9]\.[0-9] s: aborted \(0x00000000\)$' watchdog.txt) -eq 1 ]"
    check "watchdog.exe: the managed code saw the abort" has watchdog "managed: the spinner was aborted"
    check "watchdog.exe: nothing else reported (no thread that only waits)" sh -c \
        "! grep 'outside the runtime' watchdog.txt | grep -v example_block_ms"

    run existing existing_host_control.exe
    check "existing_host_control.exe exits 0 (got $rc)" is $rc 0
    check "existing_host_control.exe: the host's control was never asked for the task manager" \
        grep -qE '^  IHostTaskManager +0 time\(s\)$' existing.txt
    check "existing_host_control.exe: the AppDomainManager reached the host's control" \
        has existing "and got 1 SetAppDomainManager call(s)."
    for manager in IHostMemoryManager IHostThreadpoolManager IHostIoCompletionManager IHostSyncManager \
        IHostAssemblyManager IHostGCManager IHostSecurityManager IHostPolicyManager; do
        check "existing_host_control.exe: $manager went to the host's control" \
            grep -qE "^  $manager +1 time\(s\)$" existing.txt
    done

    run sandbox sandbox.exe
    check "sandbox.exe exits 0 (got $rc)" is $rc 0
    check "sandbox.exe denied the call" has sandbox "sandbox: denied thread"
    check "sandbox.exe: the call failed with E_ACCESSDENIED" has sandbox "HRESULT 0x80070005"
    check "sandbox.exe: one denial, and the managed code went on" has sandbox \
        "sandbox: 1 call(s) denied; the managed code got an exception and went on"

    # 400 churn threads (then 800): the leak checks need N, not 1,000 of
    # them, and Wine makes each thread slow.
    run validate validate.exe 400
    check "validate.exe exits 0 (got $rc)" is $rc 0
    check "validate.exe: no FAIL line" sh -c "! grep -q '^FAIL' validate.txt"
    check "validate.exe: every expectation passed" grep -qE '^[0-9]+ passed, 0 failed \(x64 build\)$' validate.txt
    check "validate.exe: the profile counted example_add's calls by name" grep -qE '^PASS  pinvoke/profile ' validate.txt
    check "validate.exe: its scheduler run (a child process, 8 threads on 2 slots) passed" sh -c \
        "grep -qE '^PASS  scheduler/child ' validate.txt && grep -qE '^[0-9]+ passed, 0 failed \(scheduler run\)$' validate.txt"
    check "validate.exe: the CLR let go of created tasks on its finalizer" \
        grep -qE '^INFO  the CLR let go of created tasks on: FINALIZER [0-9]+, of them' validate.txt
    # tests/bounded.c, which bounds every program of tests/run_win.cmd
    # (tests/run_all.sh builds it into DIR): a program's exit code passes
    # through; one that runs past its bound is ended, with every process
    # it started (validate-control-6.exe hangs in its scheduler child for
    # 20 s before it reports that itself).
    run bounded-pass bounded.exe 60 host_hello.exe Missing.dll
    check "bounded.exe passes the exit code through (4, got $rc)" is $rc 4
    run bounded-hang bounded.exe 14 validate-control-6.exe 16
    check "bounded.exe ends a program past its bound: exit 124 (got $rc)" is $rc 124
    check "bounded.exe says so" has bounded-hang "bounded: validate-control-6.exe 16 did not end within 14 s: ended"
    gone() { # the processes it started end with it (their end is not waited for: polled, up to 60 s)
        for _ in $(seq 60); do
            pgrep -f validate-control-6 >/dev/null || return 0
            sleep 1
        done
        return 1
    }
    check "bounded.exe: validate-control-6.exe and its scheduler child ended with it" gone
    # Each negative control (the header broken on purpose) must report the
    # FAIL it was built to find; 16 churn threads are enough for that.
    for n in 1 2 3 4 5 6; do
        run control-$n validate-control-$n.exe 16
        check "validate-control-$n.exe: its broken promise was caught (exit 0, got $rc)" is $rc 0
        check "validate-control-$n.exe: says so" grep -qE "^negative control $n \(.*\): FAIL [a-z_/]+ reported: caught$" \
            control-$n.txt
    done
fi
if [ -n "$kit" ]; then
    cd "$kit"
    timeout 900 wine cmd /c run.cmd x64 >run-cmd.out 2>&1
    rc=$?
    tr -d '\r' <report.txt >report-lf.txt
    check "the kit's run.cmd x64 exits 0 (got $rc)" is $rc 0
    check "run.cmd: every step passed (13, and each one's checks)" grep -qx '==== 13 steps passed, 0 failed' report-lf.txt
    check "run.cmd: its report names Windows and the processor" sh -c \
        "grep -q '^windows: .' report-lf.txt && grep -q '^processor: .' report-lf.txt"
    check "run.cmd: its report holds every program's output" sh -c \
        "[ \$(grep -c '^---- x64 ' report-lf.txt) -eq 13 ] && grep -q '^PASS  scheduler/native_time' report-lf.txt"
    check "run.cmd: its last line says what to send back" sh -c \
        "tail -n 1 report-lf.txt | grep -q '^Send back this file, report.txt'"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
