#!/bin/sh
# Builds the modules of tests/suite/module_policy.c (and the module-policy
# benchmarks) into DIR: fixed_a and fixed_b (one fixed image base on
# Windows, so that one loads where the other was), and mod_000 to mod_099,
# copies of one module; and names, the module of the names tests
# (module_names_lib.c).
#   tests/suite/build_modules.sh CC DIR        CC: gcc, clang, x86_64-w64-mingw32-gcc...
set -eu
cc=$1 dir=$2
here=$(dirname "$0")
mkdir -p "$dir"
case "$cc" in
*mingw32*)
    ext=dll
    "$cc" -std=c99 -O2 -Wall -Wextra -Werror -shared "$here/module_policy_lib.c" -o "$dir/mod_000.$ext"
    "$cc" -std=c99 -O2 -Wall -Wextra -Werror -shared -Wl,--image-base=0x6f000000 -Wl,--disable-dynamicbase \
        "$here/module_policy_lib.c" -o "$dir/fixed_a.$ext"
    "$cc" -std=c99 -O2 -Wall -Wextra -Werror -shared "$here/module_names_lib.c" -o "$dir/names.$ext"
    ;;
*)
    ext=so
    "$cc" -std=c99 -O2 -Wall -Wextra -Werror -shared -fPIC "$here/module_policy_lib.c" -o "$dir/mod_000.$ext"
    cp "$dir/mod_000.$ext" "$dir/fixed_a.$ext"
    "$cc" -std=c99 -O2 -Wall -Wextra -Werror -shared -fPIC "$here/module_names_lib.c" -o "$dir/names.$ext"
    ;;
esac
cp "$dir/fixed_a.$ext" "$dir/fixed_b.$ext"
i=1
while [ $i -lt 100 ]; do
    cp "$dir/mod_000.$ext" "$dir/mod_$(printf %03d $i).$ext"
    i=$((i + 1))
done
