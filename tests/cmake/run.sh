#!/bin/sh
# The CMake package (CMakeLists.txt), each way a user takes it, with
# MinGW-w64 (tests/cmake/mingw-w64-x86_64.cmake) and the consumer of
# tests/cmake/consumer run under Wine:
#   package        cmake --install into a prefix, then find_package(...
#                  MAJOR.MINOR CONFIG) with the header's version; the minor
#                  versions either side must not be found (0.x: same minor)
#   subdirectory   add_subdirectory of this repository
#   fetchcontent   FetchContent of a release archive of it
#   sh tests/cmake/run.sh OUT-DIR        from the repository's root
set -u
repo=$(pwd)
out=$1
toolchain=$repo/tests/cmake/mingw-w64-x86_64.cmake
version=$(sed -n 's/^#define CLRHOST_TASK_VERSION_[A-Z]* \([0-9]*\)$/\1/p' clrhost_task.h | paste -sd. -)
major=${version%%.*}
minor=${version#*.}
minor=${minor%%.*}
want=$major.$minor
newer=$major.$((minor + 1))
older=$major.$((minor - 1))
failed=0
rm -rf "$out" && mkdir -p "$out" && out=$(cd "$out" && pwd) # CMake resolves relative paths elsewhere

check() { # check DESCRIPTION COMMAND...
    what=$1
    shift
    if "$@" >>"$out/log" 2>&1; then
        echo "ok    $what"
    else
        echo "FAIL  $what (see $out/log)"
        failed=$((failed + 1))
    fi
}
configure() { # configure NAME ARGS...: the consumer, into OUT/NAME
    name=$1
    shift
    cmake -S "$repo/tests/cmake/consumer" -B "$out/$name" -DCMAKE_TOOLCHAIN_FILE="$toolchain" "$@"
}
runs() { # runs NAME: the consumer built in OUT/NAME prints this header's version
    cmake --build "$out/$1" && wine "$out/$1/consumer.exe" >"$out/$1.out" 2>&1 &&
        tr -d '\r' <"$out/$1.out" | grep -qx "consumer: clrhost_task $version"
}

check "the package installs (version $version)" sh -c "cmake -S . -B '$out/package-build' \
    -DCMAKE_TOOLCHAIN_FILE='$toolchain' -DCMAKE_INSTALL_PREFIX='$out/prefix' && \
    cmake --build '$out/package-build' && cmake --install '$out/package-build'"
check "the header is installed" test -f "$out/prefix/include/clrhost_task.h"
check "the exported target links user32" grep -q 'INTERFACE_LINK_LIBRARIES "user32"' \
    "$out/prefix/share/cmake/clrhost_task/clrhost_task-targets.cmake"
check "find_package(clrhost_task $want CONFIG): configures" configure package -DHOW=package -DWANT="$want" \
    -DCMAKE_PREFIX_PATH="$out/prefix"
check "find_package(clrhost_task $want CONFIG): builds and runs" runs package
check "find_package(clrhost_task $newer CONFIG) is refused" sh -c "! cmake -S '$repo/tests/cmake/consumer' \
    -B '$out/want-newer' -DCMAKE_TOOLCHAIN_FILE='$toolchain' -DHOW=package -DWANT=$newer -DCMAKE_PREFIX_PATH='$out/prefix'"
check "find_package(clrhost_task $older CONFIG) is refused" sh -c "! cmake -S '$repo/tests/cmake/consumer' \
    -B '$out/want-older' -DCMAKE_TOOLCHAIN_FILE='$toolchain' -DHOW=package -DWANT=$older -DCMAKE_PREFIX_PATH='$out/prefix'"
check "add_subdirectory: configures" configure subdirectory -DHOW=subdirectory -DCLRHOST_TASK_SOURCE="$repo"
check "add_subdirectory: builds and runs" runs subdirectory
check "a release archive is made" sh -c "mkdir -p '$out/archive/clrhost_task-$version' && \
    cp CMakeLists.txt clrhost_task.h LICENSE '$out/archive/clrhost_task-$version/' && \
    tar -C '$out/archive' -czf '$out/clrhost_task-$version.tar.gz' 'clrhost_task-$version'"
check "FetchContent: configures" configure fetchcontent -DHOW=fetchcontent \
    -DCLRHOST_TASK_ARCHIVE="$out/clrhost_task-$version.tar.gz"
check "FetchContent: builds and runs" runs fetchcontent
echo "$(($(grep -c '^check "' "$0") - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
