# make test   everything: the suite natively (gcc, ASan+UBSan, TSan, valgrind),
#             the suite built with MinGW-w64 and run under Wine, the i686 build,
#             and the header compiled as C and C++ under strict warnings.
#             Parts whose tools are missing are skipped and listed as such.
# make bench  the benchmarks (bench/run.sh): the cost of every hot path as a
#             ratio to baselines run in the same process, natively and under
#             Wine, instructions per operation (callgrind), and the proof that
#             the hot paths hold no locked instruction. Reports; never fails
#             on a timing.
# make soak   make test with longer abuse runs: 1,000,000 fuzz inputs
#             (20,000 under Wine) and 100,000 tasks of each kind in churn.
# make clean  removes build/

.PHONY: test bench soak clean

test:
	@sh tests/run_all.sh

bench:
	@sh bench/run.sh

soak:
	@FUZZ_RUNS=1000000 FUZZ_WINE_RUNS=20000 CHURN=100000 sh tests/run_all.sh

clean:
	rm -rf build
