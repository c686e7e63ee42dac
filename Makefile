# make test   everything: the suite natively (gcc, ASan+UBSan, TSan, valgrind),
#             the suite built with MinGW-w64 and run under Wine, the i686 build,
#             and the header compiled as C and C++ under strict warnings.
#             Parts whose tools are missing are skipped and listed as such.
# make bench  the benchmarks (bench/run.sh): the cost of every hot path as a
#             ratio to baselines run in the same process, natively and under
#             Wine, instructions per operation (callgrind), and the proof that
#             the hot paths hold no locked instruction. Reports; never fails
#             on a timing.
# make clean  removes build/

.PHONY: test bench clean

test:
	@sh tests/run_all.sh

bench:
	@sh bench/run.sh

clean:
	rm -rf build
