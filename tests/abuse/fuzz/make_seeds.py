#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_calls.c into corpus/: one input per
scenario worth starting from. An input is: config byte, behaviour byte,
worker-count byte, then 4-byte calls (op, a, b, c); op % 20 picks the call
and op // 20 % workers the thread (see run_op in fuzz_calls.c)."""
import os

TIMING, COUNT_ASKS, HOOK_ALL, HOOKS, MODULES, PREDICATE, ADMIT, INNER = 1, 2, 4, 8, 16, 32, 64, 128
(GET, RELEASE, ADDREF, LEAVE, ENTER, REV_ENTER, REV_LEAVE, ASK, SLEEP, SWITCH, LOCALE, DELAY,
 GUARANTEE, CREATE, ALERT_JOIN, SET_CLR, TASK_QI, HOST_CONTROL, QI, STATS) = range(20)

def call(op, worker=0, a=0, b=0, c=0):
    return bytes([worker * 20 + op, a, b, c])

def seed(name, config, behaviour, workers, calls):
    with open(os.path.join(os.path.dirname(__file__), "corpus", name), "wb") as f:
        f.write(bytes([config, behaviour, workers - 1]) + b"".join(calls))

seed("all-hooks-one-thread", HOOKS | TIMING | COUNT_ASKS | INNER, 0, 1, [
    call(GET), call(LEAVE, a=1), call(ENTER), call(REV_ENTER), call(REV_LEAVE), call(ASK, a=3),
    call(CREATE, b=3), call(SET_CLR, a=0), call(STATS), call(HOST_CONTROL, a=4), call(QI, a=1, b=3)])
seed("vetoes-and-failing-answers", HOOKS, 4 | 1 | (2 << 3), 1, [
    call(GET), call(LEAVE, a=1), call(LEAVE, a=2), call(ENTER), call(REV_ENTER), call(REV_LEAVE), call(STATS)])
seed("unbalanced-and-deep", HOOKS | TIMING, 0, 1,
    [call(GET), call(ENTER), call(REV_LEAVE), call(LEAVE), call(REV_ENTER), call(ENTER)]
    + [call(LEAVE if i % 2 == 0 else REV_ENTER, a=i) for i in range(40)]
    + [call(ENTER if i % 2 == 0 else REV_LEAVE) for i in range(39, -1, -1)])
seed("tasks-across-threads", HOOKS, 0, 3, [
    call(GET, worker=0), call(ADDREF, worker=1, a=0), call(ALERT_JOIN, worker=1, a=0, b=2, c=2),
    call(SLEEP, worker=0, a=2, b=2), call(RELEASE, worker=2, a=1), call(SET_CLR, worker=2, a=0),
    call(CREATE, worker=1, b=1), call(ALERT_JOIN, worker=2, a=1, b=3), call(TASK_QI, worker=0, a=1, b=2)])
seed("policies", MODULES | COUNT_ASKS, 0, 2, [
    call(GET, worker=0), call(GET, worker=1), call(ASK, worker=0, a=0x10), call(ASK, worker=1, c=1),
    call(ASK, worker=0, a=0xff, b=0xff)])
seed("predicate", PREDICATE | HOOKS, 0, 1, [call(GET), call(ASK, a=1), call(ASK, a=2), call(LEAVE, a=3), call(ENTER)])
seed("refused-threads", ADMIT | HOOKS, 0, 3, [
    call(GET, worker=0), call(GET, worker=1), call(LEAVE, worker=1), call(ENTER, worker=1),
    call(DELAY, worker=1, a=1), call(GET, worker=2), call(DELAY, worker=2, a=1), call(DELAY, worker=2, a=1)])
seed("allocation-failures", HOOKS | MODULES, 0x80 | (2 << 5), 2, [
    call(GET, worker=0), call(GET, worker=1), call(CREATE, b=1), call(ASK, a=5), call(HOST_CONTROL, a=1)])
seed("created-and-cancelled", 0, 0, 2, [
    call(CREATE, a=1), call(CREATE, a=2, b=1), call(CREATE, worker=1, b=3, c=2), call(RELEASE, a=0),
    call(GUARANTEE, a=1), call(LOCALE, a=1), call(SWITCH)])
seed("null-pointers", HOOKS, 0, 1, [
    call(GET, a=1), call(ASK, c=1), call(GUARANTEE, a=1), call(CREATE, b=16), call(CREATE, c=8),
    call(GET), call(TASK_QI, c=1), call(HOST_CONTROL, b=1), call(ALERT_JOIN, c=1)])
