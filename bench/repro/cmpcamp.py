#!/usr/bin/env python3
"""Compares a campaign run by the old and the new binary, trial by trial:
the rows of `nasc report RUN --csv FILE --top 0` (every column but seconds)
and each trial's metrics_json from the run log. A new-run repeat carries
"cached_from" in its metrics; it is taken out before comparing and checked
separately.   usage: cmpcamp.py OLD.csv NEW.csv OLD.db NEW.db"""
import csv, json, sqlite3, sys
oc, nc, od, nd = sys.argv[1:5]
def load(p, db):
    with open(p) as f:
        R = list(csv.DictReader(f))
    M = [json.loads(m) for (m,) in sqlite3.connect(db).execute(
        "SELECT metrics_json FROM trials WHERE run_id=1 ORDER BY trial")]
    assert len(R) == len(M)
    for x, m in zip(R, M):
        x.pop("seconds")
        m = dict(m)
        x["cached_from"] = m.pop("cached_from", None)
        x["metrics"] = m
    return R
O, N = load(oc, od), load(nc, nd)
assert all(x["cached_from"] is None for x in O)
cols = [k for k in O[0] if k not in ("trial", "cached_from")]
vals = [k for k in cols if k not in ("origin", "parent1", "parent2")]
def eq(a, b, ks=cols): return all(a[k] == b[k] for k in ks)
def first_repeat(R):
    seen = set()
    for i, x in enumerate(R):
        if x["arch"] in seen: return i
        seen.add(x["arch"])
    return len(R)
def distinct(R):
    seen, out = set(), []
    for x in R:
        if x["arch"] not in seen: seen.add(x["arch"]); out.append(x)
    return out
def prefix(A, B, ks):
    p = 0
    while p < min(len(A), len(B)) and eq(A[p], B[p], ks): p += 1
    return p
fo = first_repeat(O)
uo, un = distinct(O), [x for x in N if x["cached_from"] is None]
nc_ = len(N) - len(un)
arch_div = prefix(O, N, ["arch"])
print(f"old: {len(O)} trials, {len(uo)} distinct, first repeat at trial {fo if fo < len(O) else 'none'}")
print(f"new: {len(N)} trials, {len(un)} distinct, {nc_} answered from the cache")
print(f"A  trials before old's first repeat (0..{fo-1}) identical in every column and metrics: {len(N) >= fo and prefix(O, N, cols) >= fo}")
print(f"B  old trial list = prefix of new trial list (every column, repeats included) for {prefix(O, N, cols)} of {len(O)}")
print(f"C  distinct architectures in order of first appearance equal (arch, status, objectives, select/report, metrics) for {prefix(uo, un, vals)} of old's {len(uo)}")
print(f"D  proposals (arch sequence) equal for the first {arch_div} trials" + ("" if arch_div < min(len(O), len(N)) else " (all of old's)"))
bad = [x for x in N if x["cached_from"] is not None and not eq(N[int(x['cached_from'])], x, vals)]
print(f"E  every cached trial equals its first trial (arch, objectives, metrics) and names it: {not bad}")
first, same, diff = {}, 0, 0
for i, x in enumerate(O):
    if x["arch"] in first:
        if eq(O[first[x["arch"]]], x, vals): same += 1
        else: diff += 1
    else: first[x["arch"]] = i
print(f"F  old repeats re-evaluated to the same values: {same}, to other values: {diff}")
