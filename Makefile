# make test   everything: the suite natively (gcc, ASan+UBSan, TSan, valgrind),
#             the suite built with MinGW-w64 and run under Wine, the i686 build,
#             and the header compiled as C and C++ under strict warnings.
#             Parts whose tools are missing are skipped and listed as such.
# make clean  removes build/

.PHONY: test clean

test:
	@sh tests/run_all.sh

clean:
	rm -rf build
