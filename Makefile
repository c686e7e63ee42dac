# make test   everything: the suite natively (gcc, ASan+UBSan, TSan, valgrind),
#             the suite built with MinGW-w64 and run under Wine, the i686 build,
#             and the header compiled as C and C++ under strict warnings.
#             Run as root, it first installs what it needs with apt-get
#             (tests/install_tools.sh); otherwise parts whose tools are
#             missing are skipped, listed as such, with the command to fix it.
# make bench  the benchmarks (bench/run.sh): the cost of every hot path as a
#             ratio to baselines run in the same process, natively and under
#             Wine, instructions per operation (callgrind), and the proof that
#             the hot paths hold no locked instruction. Reports; never fails
#             on a timing.
# make demo   see it work here: a program that plays the CLR's part drives
#             the task manager through what the CLR does for
#             examples/managed, and prints what every hook sees
# make examples  every example for Windows (MinGW-w64), x86_64 and i686,
#             into build/examples/x64 and build/examples/x86
# make kit    the validation kit for a Windows machine without a compiler:
#             build/kit/clrhost_task-kit-VERSION.zip (kit/README.txt)
# make soak   make test with longer abuse runs: 1,000,000 fuzz inputs
#             (20,000 under Wine) and 100,000 tasks of each kind in churn
#             (20,000 under Wine), each run allowed 90 minutes instead of
#             10 (a million inputs take about an hour here).
# make clean  removes build/

.PHONY: test bench soak demo examples kit clean

test:
	@sh tests/run_all.sh

bench:
	@sh bench/run.sh

soak:
	@LIMIT=5400 FUZZ_RUNS=1000000 FUZZ_WINE_RUNS=20000 CHURN=100000 CHURN_WINE=20000 sh tests/run_all.sh

# The demo is the played CLR (tests/clr/: the scenarios, the driver and the
# harness's fake CLR objects) driving the suite's build of the implementation.
DEMO_SRC = examples/demo.c tests/clr/clr_scenarios.c tests/clr/clr_driver.c tests/clr/clr_runtime.c tests/clr/harness.c tests/suite/impl.c

demo:
	@mkdir -p build
	@$(CC) -std=c99 -O2 -Wall -Wextra -pthread $(DEMO_SRC) -o build/demo -ldl
	@build/demo

examples:
	sh examples/build.sh x86_64 build/examples/x64
	sh examples/build.sh i686 build/examples/x86

kit:
	sh kit/build.sh build/kit

clean:
	rm -rf build
