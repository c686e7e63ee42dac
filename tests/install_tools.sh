#!/bin/sh
# Brings what make test uses (tests/packages.txt) onto a Debian machine:
#   sh tests/install_tools.sh           as root with apt-get: installs the
#                                       missing packages, saying so in one
#                                       line; otherwise prints the command
#                                       that would, and the parts that need
#                                       them are skipped
#   sh tests/install_tools.sh --strict  the same, then fails if anything is
#                                       still missing (.ci/run: CI skips
#                                       nothing)
# NO_INSTALL=1 only reports. apt-get's own output goes to build/apt-get.log.
set -u
cd "$(dirname "$0")/.."
strict=no
[ "${1:-}" = --strict ] && strict=yes

# missing_packages: the packages of tests/packages.txt whose command or file
# is not there, each once, in the list's order.
missing_packages() {
    seen=" "
    grep -v '^#' tests/packages.txt | while read -r check package; do
        [ -n "$check" ] || continue
        case $check in
        /*) # shellcheck disable=SC2086 # the * is meant to expand
            set -- $check
            [ -e "$1" ] && continue ;;
        *) command -v "$check" >/dev/null 2>&1 && continue ;;
        esac
        case $seen in *" $package "*) continue ;; esac
        seen="$seen$package "
        printf '%s\n' "$package"
    done | tr '\n' ' ' | sed 's/ $//'
}

missing=$(missing_packages)
[ -z "$missing" ] && exit 0
if [ "${NO_INSTALL:-0}" != 1 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "make test: installing what it needs: apt-get install -y $missing (log: build/apt-get.log)"
    mkdir -p build
    if ! { DEBIAN_FRONTEND=noninteractive apt-get update &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y $missing; } >build/apt-get.log 2>&1; then
        tail -n 5 build/apt-get.log
        echo "make test: apt-get failed; the parts that need those packages will be skipped"
    fi
    missing=$(missing_packages)
    [ -z "$missing" ] && exit 0
else
    echo "make test: missing $missing (not installed: needs root and apt-get, and no NO_INSTALL=1); the parts that need them are skipped; to run them: sudo apt-get install -y $missing"
fi
[ $strict = no ] && exit 0
echo "install_tools: still missing: $missing"
exit 1
