#!/usr/bin/env python3
"""The feature blocks stay blocks: in the implementation part of
clrhost_task.h, the names of the scheduler, the profile and the live view
appear only inside their own guards (#ifndef CLRHOST_TASK_NO_SCHEDULER,
_NO_PROFILE, _NO_TASK_VIEW) or, outside them, as the named points the
points section declares. Comments and strings do not count.

    check_blocks.py [HEADER]          the check; exits 1 on a stray name
    check_blocks.py --sizes [HEADER]  lines per block and per guarded
                                      region outside it, for the notes
"""
import re
import sys

FEATURES = {
    "SCHEDULER": {
        "section": "scheduler",
        "names": [r"\bclrhost__sched_\w+", r"->sched\b", r"\.sched\.", r"\bCLRHOST__SCHED_\w+",
                  r"\bclrhost__mgr_\w+_scheduled\b", r"\bclrhost__manager_vtbl_sched\w*",
                  r"\bclrhost__os_heavy_barrier\w*", r"\bclrhost__\w*monitor\w*", r"\bclrhost__os_cond_\w+"],
        "points": ["on", "config_check", "configure", "manager_made", "manager_ended", "manager_freed",
                   "task_made", "task_freed", "join", "retire", "pause", "resume", "choose_vtable",
                   "drops_manager", "stats", "view"],
        "prefix": "clrhost__sched_",
    },
    "PROFILE": {
        "section": "profile",
        "names": [r"\bclrhost__profile\w*", r"->profile\b", r"\.profile\b", r"\bCLRHOST__PROFILE_\w+"],
        "points": ["on", "config_check", "manager_made", "manager_ended", "task_made", "task_freed", "book",
                   "task_ends"],
        "prefix": "clrhost__profile_",
    },
    "TASK_VIEW": {
        "section": "task_view",
        "names": [r"\bclrhost__view\w*", r"->view\b", r"\.view\.", r"\bCLRHOST__VIEW_\w+", r"\bclrhost__fence_\w+",
                  r"\bclrhost__clr_call\b", r"\bclrhost__clr_reserved\b", r"\bCLRHOST__CALL_\w+"],
        "points": ["target", "frame_target", "move", "since", "task_begins", "waits", "yield_taken"],
        "prefix": "clrhost__view_",
    },
}


def strip_comments_and_strings(text):
    """The text with comments and literals blanked, newlines kept."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            out.append(c + " " * (min(j, n) - i - 1) + (c if j < n else ""))
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def guarded_lines(lines):
    """For each line, the set of features whose #ifndef CLRHOST_TASK_NO_X
    branch it is in."""
    stack = []  # per open conditional: the features of its current branch
    result = []
    for line in lines:
        d = line.strip()
        m = re.match(r"#\s*(ifndef|ifdef|if|elif|else|endif)\b(.*)", d)
        if m:
            kind, rest = m.group(1), m.group(2)
            if kind in ("ifndef", "ifdef", "if"):
                feats = set()
                if kind == "ifndef":
                    f = re.match(r"\s*CLRHOST_TASK_NO_(\w+)", rest)
                    if f:
                        feats.add(f.group(1))
                elif kind == "if":
                    feats = set(re.findall(r"!\s*defined\s*\(\s*CLRHOST_TASK_NO_(\w+)\s*\)", rest))
                stack.append(feats)
            elif kind in ("else", "elif") and stack:
                stack[-1] = set()
            elif kind == "endif" and stack:
                stack.pop()
            result.append(set().union(*stack) if stack else set())
            continue
        result.append(set().union(*stack) if stack else set())
    return result


def sections(lines):
    """(name, first line, last line) of each >> section, 1-based."""
    starts = []
    for i, line in enumerate(lines):
        m = re.match(r"^(?:/\*)? *>>([a-z0-9_]+)", line)
        if m:
            starts.append((m.group(1), i + 1))
    out = []
    for k, (name, first) in enumerate(starts):
        last = starts[k + 1][1] - 2 if k + 1 < len(starts) else len(lines)
        out.append((name, first - 1, last))  # the banner opens a line above
    return out


def main(argv):
    sizes = "--sizes" in argv
    args = [a for a in argv[1:] if a != "--sizes"]
    path = args[0] if args else "clrhost_task.h"
    raw = open(path, encoding="utf-8").read().split("\n")
    code = strip_comments_and_strings("\n".join(raw)).split("\n")
    start = next(i for i, l in enumerate(raw) if re.match(r"^ *>>implementation\b", l))
    guards = guarded_lines(code)
    secs = {name: (a, b) for name, a, b in sections(raw)}
    stray = 0
    for feat, spec in FEATURES.items():
        pattern = re.compile("|".join(spec["names"]))
        allowed = {spec["prefix"] + p for p in spec["points"]}
        for i in range(start, len(code)):
            if feat in guards[i]:
                continue
            for m in pattern.finditer(code[i]):
                if m.group(0) in allowed:
                    continue
                print("%s:%d: %s outside CLRHOST_TASK_NO_%s's guards and not one of its points: %s"
                      % (path, i + 1, m.group(0), feat, raw[i].strip()))
                stray += 1
    if sizes:
        for feat, spec in FEATURES.items():
            a, b = secs[spec["section"]]
            print("%-10s block >>%s: %d lines (%d-%d)" % (feat, spec["section"], b - a + 1, a, b))
            i = start
            while i < len(code):
                if feat in guards[i] and not (a <= i + 1 <= b):
                    j = i
                    while j + 1 < len(code) and feat in guards[j + 1]:
                        j += 1
                    where = [n for n, (x, y) in secs.items() if x <= i + 1 <= y]
                    print("           guarded outside it: %d lines (%d-%d, in >>%s)"
                          % (j - i + 1, i + 1, j + 1, where[0] if where else "?"))
                    i = j + 1
                else:
                    i += 1
    if stray:
        print("%d stray feature name(s)" % stray)
        return 1
    print("feature blocks: every name of the scheduler, the profile and the live view is inside its guards "
          "or one of its points")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
