#!/bin/sh
# make kit: the validation kit for a Windows machine without a compiler, as
# one zip, built here with MinGW-w64 (and mcs for Scenarios.dll):
#
#   sh kit/build.sh [OUTDIR]        default build/kit
#
# OUTDIR/clrhost_task-kit-VERSION.zip holds clrhost_task-kit-VERSION/ with
# run.cmd, README.txt, and x64/ and x86/, each with everything of one
# bitness (examples/build.sh: validate.exe and its negative controls, the
# examples, example_native.dll, Scenarios.dll, bounded.exe).
set -eu
cd "$(dirname "$0")/.."
out=${1:-build/kit}
version=$(sed -n 's/^#define CLRHOST_TASK_VERSION_[A-Z]* \([0-9]*\)$/\1/p' clrhost_task.h | paste -sd. -)
name=clrhost_task-kit-$version
mkdir -p "$out"
out=$(cd "$out" && pwd)
rm -rf "${out:?}/$name" "$out/$name.zip"
sh examples/build.sh x86_64 "$out/$name/x64"
sh examples/build.sh i686 "$out/$name/x86"
for arch in x64 x86; do
    [ -f "$out/$name/$arch/Scenarios.dll" ] || { echo "kit/build.sh: no Scenarios.dll (install mono-mcs)" >&2; exit 1; }
done
for f in run.cmd README.txt; do # Windows line ends
    sed 's/\r*$/\r/' "kit/$f" >"$out/$name/$f"
done
(cd "$out" && zip -qr "$name.zip" "$name")
echo "kit/build.sh: $out/$name.zip"
