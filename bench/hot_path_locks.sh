#!/bin/sh
# Proves that the hot paths contain no locked instruction (with the
# scheduler on, too: a lent slot goes out and comes back with plain
# stores and loads; and with timing): compiles the
# implementation to assembly (-O2), follows every call and tail call from
# the hot entry points, and fails if any function reached holds a `lock`
# prefix or an xchg with memory (locked without the prefix).
#
#   bench/hot_path_locks.sh CC [FLAGS...]     e.g. gcc, x86_64-w64-mingw32-gcc
#
# Assembly, not a disassembled object: every function keeps its label there
# and every call its target's name, in ELF and in PE alike (objdump labels
# a PE object's unnamed static functions after their neighbours).
# Not followed (they are where locked instructions belong): the functions
# the header marks CLRHOST__COLD (errors, adoption, freeing, repairs, the
# module look-up), cold blocks split off by GCC (name.cold), calls into the
# OS, and the shared-count side of task AddRef/Release (the references of
# other threads), which must be atomic.
set -eu
here=$(dirname "$0")
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$@" -O2 -std=c99 -fno-reorder-blocks-and-partition -S "$here/impl.c" -o "$out" 2>/dev/null ||
    "$@" -O2 -std=c99 -S "$here/impl.c" -o "$out" # clang: no -fno-reorder-blocks-and-partition

entries="clrhost__mgr_LeaveRuntime clrhost__mgr_EnterRuntime clrhost__mgr_ReverseEnterRuntime
clrhost__mgr_ReverseLeaveRuntime clrhost__mgr_CallNeedsHostHook clrhost__mgr_CallNeedsHostHook_never
clrhost__mgr_CallNeedsHostHook_always clrhost__mgr_GetCurrentTask clrhost__task_AddRef clrhost__task_Release
clrhost__mgr_LeaveRuntime_scheduled clrhost__mgr_EnterRuntime_scheduled
clrhost__mgr_ReverseEnterRuntime_scheduled clrhost__mgr_ReverseLeaveRuntime_scheduled
clrhost__mgr_LeaveRuntime_timed clrhost__mgr_EnterRuntime_timed
clrhost__mgr_ReverseEnterRuntime_timed clrhost__mgr_ReverseLeaveRuntime_timed"
not_followed="clrhost__task_addref_shared clrhost__task_release_shared
$(grep -o 'CLRHOST__COLD [A-Za-z_ *]*clrhost__[a-z_0-9]*(' "$here/../clrhost_task.h" | grep -o 'clrhost__[a-z_0-9]*')"

awk -v entries="$entries" -v skip="$not_followed" '
function base(name) { sub(/^_/, "", name); sub(/@[0-9]+$/, "", name); return name } # i686: _name@bytes
BEGIN {
    n = split(entries, e, /[ \n]+/)
    for (i = 1; i <= n; ++i) if (e[i] != "") queue[++tail] = e[i]
    m = split(skip, s, /[ \n]+/)
    for (i = 1; i <= m; ++i) if (s[i] != "") skipped[s[i]] = 1
}
/^\.?L[A-Za-z_]*[0-9][0-9_]*:/ { next }   # local labels: .L12 (ELF), L12, LFB3, LBB4_2 (i686 COFF)
/^[A-Za-z_$@][A-Za-z0-9_.$@]*:/ {         # a function
    cur = $0; sub(/:.*/, "", cur); cur = base(cur)
    defined[cur] = 1
    next
}
cur == "" || /^[ \t]*[.#]/ { next }       # directives and comments
/(^|[ \t])lock([ \t]|$)/ || /xchg[a-z]*[ \t].*\(/ { locked[cur] = locked[cur] "\n   " $0 }
/^[ \t]*(call|jmp)[a-z]*[ \t]+[A-Za-z_$@]/ {
    t = $2; sub(/\(.*$/, "", t); t = base(t)
    if (t != cur && t !~ /^\.?L[A-Za-z_]*[0-9][0-9_]*$/ && t !~ /@PLT$/) edges[cur] = edges[cur] " " t
}
END {
    head = 1; bad = 0; count = 0
    while (head <= tail) {
        f = queue[head++]
        if (f in seen) continue
        seen[f] = 1
        if (!(f in defined)) { print "missing hot function: " f; bad = 1; continue }
        ++count
        if (f in locked) { print "locked instruction in " f ":" locked[f]; bad = 1 }
        k = split(edges[f], to, " ")
        for (i = 1; i <= k; ++i) {
            g = to[i]; b = g; sub(/\..*$/, "", b)
            if (g ~ /\.cold$/ || (b in skipped) || !(g in defined)) continue
            queue[++tail] = g
        }
    }
    printf "hot paths: %d functions reached from %d entry points, %s\n", count, n, bad ? "LOCKED INSTRUCTIONS FOUND" : "no locked instruction"
    exit bad
}' "$out"
