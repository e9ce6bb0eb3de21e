#!/usr/bin/env python3
"""The scratch evaluator's per-trial training runs (kind 'train') of two run
logs, in id order: arch, seed, result (test accuracy, loss, weights_sha256;
not train_seconds), every epoch's metrics and every checkpoint's SHA-256.
usage: cmpchild.py A.db B.db [N: compare only the first N]"""
import sqlite3, json, sys
def runs(db):
    c = sqlite3.connect(db)
    out = []
    for rid, cfg, res, seed in c.execute("SELECT id, config_json, result_json, seed FROM runs WHERE kind='train' ORDER BY id"):
        r = json.loads(res); [r.pop(k, None) for k in ("train_seconds", "run")]
        ep = list(c.execute("SELECT epoch, step, lr, train_loss, train_accuracy, valid_loss, valid_accuracy FROM epochs WHERE run_id=? ORDER BY epoch", (rid,)))
        ck = [x[0] for x in c.execute("SELECT sha256 FROM checkpoints WHERE run_id=? ORDER BY epoch", (rid,))]
        out.append((json.loads(cfg).get("arch"), seed, r, ep, ck))
    return out
A, B = runs(sys.argv[1]), runs(sys.argv[2])
n = int(sys.argv[3]) if len(sys.argv) > 3 else min(len(A), len(B))
same = sum(1 for i in range(n) if A[i] == B[i])
print(f"child training runs: {len(A)} vs {len(B)}; of the first {n}: {same} identical (arch, seed, result with weights_sha256, epochs, checkpoint sha256)")
