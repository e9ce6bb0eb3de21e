#!/usr/bin/env python3
"""Rank correlation between inherited-weight accuracy and stand-alone training.

Reads a finished nb201 campaign with the inherited evaluator from its run log,
picks N distinct architectures spread evenly over the campaign's inherited
ranking, trains each one stand-alone with `nasc train` (same skeleton, same
validation split seed as the campaign), and prints a Markdown report:
per architecture the inherited validation accuracy and the stand-alone
validation and test accuracies, then Kendall's tau-b between inherited and
stand-alone accuracy. With --best-epochs it also trains the campaign's best
architecture longer and reports its test accuracy.

    bench/inherited_tau.py --db runs.db --run 1 [--n 20] [--epochs 5]
        [--train-samples 10000] [--best-epochs 10] [--threads 2]
        [--random SEED]

With --random SEED the architectures are instead drawn uniformly from the
nb201 space (cells whose output node is cut off from the input by `none`
edges are redrawn: every such net outputs a constant and would agree with
itself trivially) and scored on the campaign's supernet by
build/bench/inherited_eval.
"""
import argparse
import json
import os
import random
import sqlite3
import subprocess
import sys
import time


def kendall_tau_b(x, y):
    """Kendall's tau-b (ties in either list handled), O(n^2)."""
    n = len(x)
    conc = disc = tx = ty = 0
    for i in range(n):
        for j in range(i + 1, n):
            dx = (x[i] > x[j]) - (x[i] < x[j])
            dy = (y[i] > y[j]) - (y[i] < y[j])
            if dx == 0 and dy == 0:
                continue
            if dx == 0:
                tx += 1
            elif dy == 0:
                ty += 1
            elif dx == dy:
                conc += 1
            else:
                disc += 1
    den = ((conc + disc + tx) * (conc + disc + ty)) ** 0.5
    return (conc - disc) / den if den else float("nan")


OPS = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]
EDGES = [(0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3)]


def connected(ops):
    """Node 3 reachable from node 0 over edges that are not `none`."""
    reach = {0}
    for (a, b), op in zip(EDGES, ops):
        if op != "none" and a in reach:
            reach.add(b)
    return 3 in reach


def nb201_string(ops):
    return ("|%s~0|+|%s~0|%s~1|+|%s~0|%s~1|%s~2|" % tuple(ops))


def random_archs(n, seed):
    r = random.Random(seed)
    out = []
    while len(out) < n:
        ops = [r.choice(OPS) for _ in EDGES]
        s = nb201_string(ops)
        if connected(ops) and s not in out:
            out.append(s)
    return out


def inherited_scores(db, run, archs):
    out = subprocess.run(["build/bench/inherited_eval", db, str(run)],
                         input="\n".join(archs) + "\n", check=True,
                         capture_output=True, text=True).stdout
    return {a: float(v) for a, v in (l.split("\t") for l in out.splitlines())}


def train(nasc, db, arch, cfg, epochs, samples, threads):
    sn = cfg["supernet"]
    cmd = [nasc, "train", "--model", "nb201", "--arch", arch,
           "--nb201-c", str(sn["nb201_c"]), "--nb201-n", str(sn["nb201_n"]),
           "--dataset", cfg["dataset"], "--epochs", str(epochs),
           "--valid", str(sn["valid"]), "--seed", cfg["seed"],
           "--threads", str(threads), "--db", db, "--json", "--quiet"]
    if cfg.get("data_dir"):
        cmd += ["--data-dir", cfg["data_dir"]]
    if samples:
        cmd += ["--train-samples", str(samples)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    res = json.loads(out.strip().splitlines()[-1])
    con = sqlite3.connect(db)
    valid = con.execute("SELECT valid_accuracy FROM epochs WHERE run_id=? "
                        "ORDER BY epoch DESC LIMIT 1", (res["run"],)).fetchone()[0]
    con.close()
    return valid, res["test_accuracy"], res["train_seconds"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", required=True)
    ap.add_argument("--run", type=int, required=True)
    ap.add_argument("--n", type=int, default=20)
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--train-samples", type=int, default=10000)
    ap.add_argument("--best-epochs", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--nasc", default="./nasc")
    ap.add_argument("--out-db", default="tau_runs.db")
    ap.add_argument("--random", type=int, default=None)
    a = ap.parse_args()

    con = sqlite3.connect(a.db)
    cfg = json.loads(con.execute("SELECT config_json FROM runs WHERE id=?",
                                 (a.run,)).fetchone()[0])
    rows = con.execute("SELECT trial, arch, metrics_json FROM trials WHERE "
                       "run_id=? AND status='done' ORDER BY trial",
                       (a.run,)).fetchall()
    con.close()
    sel = cfg["evaluator"]["select"]
    best = {}
    for trial, arch, mj in rows:
        v = json.loads(mj).get(sel)
        if v is not None and arch not in best:
            best[arch] = (v, trial)
    ranked = sorted(best.items(), key=lambda kv: kv[1][0])
    if a.random is not None:
        archs = random_archs(a.n, a.random)
        sc = inherited_scores(a.db, a.run, archs)
        n = len(archs)
        picks = sorted(((x, (sc[x], "-")) for x in archs), key=lambda kv: kv[1][0])
    else:
        n = min(a.n, len(ranked))
        picks = [ranked[round(i * (len(ranked) - 1) / (n - 1))] for i in range(n)]
    if os.path.exists(a.out_db):
        os.remove(a.out_db)

    print(f"# Inherited-weight accuracy vs stand-alone training (nb201, "
          f"{cfg['dataset']})\n")
    how = (f"{n} drawn uniformly from the space with seed {a.random} "
           f"(connected cells only) and scored on its supernet"
           if a.random is not None else
           f"{n} picked evenly over the inherited ranking")
    print(f"Campaign run {a.run} of `{a.db}`: {len(rows)} trials, "
          f"{len(ranked)} distinct architectures; {how}. Stand-alone: "
          f"`nasc train --model nb201 "
          f"--nb201-c {cfg['supernet']['nb201_c']} --nb201-n "
          f"{cfg['supernet']['nb201_n']} --epochs {a.epochs} --train-samples "
          f"{a.train_samples} --valid {cfg['supernet']['valid']} --seed "
          f"{cfg['seed']} --threads {a.threads}` (the campaign's validation "
          f"split).\n")
    print("| # | architecture | trial | inherited valid % | stand-alone valid % "
          "| stand-alone test % | s |")
    print("|---|---|---|---|---|---|---|")
    inh, sav, sat = [], [], []
    for i, (arch, (v, trial)) in enumerate(picks):
        va, te, sec = train(a.nasc, a.out_db, arch, cfg, a.epochs,
                            a.train_samples, a.threads)
        inh.append(v)
        sav.append(va)
        sat.append(te)
        cell = arch.replace("|", "\\|")   # a pipe would split the table cell
        print(f"| {i + 1} | `{cell}` | {trial} | {100 * v:.2f} | {100 * va:.2f} "
              f"| {100 * te:.2f} | {sec:.0f} |", flush=True)
    print(f"\nKendall tau-b, inherited vs stand-alone validation accuracy: "
          f"**{kendall_tau_b(inh, sav):.3f}**; vs stand-alone test accuracy: "
          f"{kendall_tau_b(inh, sat):.3f} (n = {n}).\n")
    if a.best_epochs:
        arch, (v, trial) = ranked[-1]
        t0 = time.time()
        va, te, sec = train(a.nasc, a.out_db, arch, cfg, a.best_epochs, 0,
                            a.threads)
        print(f"Best architecture of the campaign (trial {trial}, inherited "
              f"valid {100 * v:.2f}%): `{arch}`; stand-alone, {a.best_epochs} "
              f"epochs on all {60000 - cfg['supernet']['valid']} training "
              f"samples: valid {100 * va:.2f}%, **test {100 * te:.2f}%** "
              f"({sec:.0f} s).")


if __name__ == "__main__":
    sys.exit(main())
