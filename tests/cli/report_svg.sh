#!/bin/sh
# nasc report --svg draws what it says: for a training run and a DARTS run
# the loss and accuracy curves per epoch (a line per curve, a title naming
# the run, ticks with values, accuracy in %); for a table campaign the
# trials as dots and the Pareto front (or, for one objective, the best so
# far) as a staircase, with the objectives' names and units on the axes.
# A chart that cannot be written is an input error (3). The campaign part
# runs on a synthetic table (no ../shared needed).
set -eu
. "$(dirname "$0")/common.inc"

# svg_check FILE SPEC: FILE parses as XML with an <svg> root, has a
# <title> and a visible title starting like it, numeric tick labels, and
# what SPEC (a Python dict literal) asks for:
#   title: the start of the title; texts: texts that must appear;
#   lines: {name: points} polylines by their <title> without a trailing
#   count (points: the vertex count, or -1 for any); stairs: names of polylines that must be
#   staircases; dots: the fewest circles; rising: polylines whose value
#   never falls.
svg_check() {
    "$PY" - "$1" "$2" <<'PY'
import re, sys
import xml.etree.ElementTree as ET
path, spec = sys.argv[1], eval(sys.argv[2])
NS = "{http://www.w3.org/2000/svg}"
root = ET.parse(path).getroot()
assert root.tag == NS + "svg", root.tag
title = root.find(NS + "title")
assert title is not None and title.text.startswith(spec["title"]), \
    "document title %r" % (title.text if title is not None else None)
texts = ["".join(t.itertext()) for t in root.iter(NS + "text")]
assert texts[0] == title.text, "visible title %r" % texts[0]
for t in spec.get("texts", []):
    assert t in texts, "no text %r in %r" % (t, texts)
ticks = [t for t in texts if re.fullmatch(r"-?[0-9]+(\.[0-9]+)?[kMGT]?", t)]
assert len(ticks) >= 6, "tick labels: %r" % ticks
lines = {}
for p in root.iter(NS + "polyline"):
    name = p.find(NS + "title")
    name = name.text if name is not None else ""
    # "Pareto front (12)" answers to "Pareto front".
    name = re.sub(r" \([0-9]+\)$", "", name)
    pts = [tuple(map(float, v.split(","))) for v in p.get("points").split()]
    lines[name] = pts
for name, n in spec.get("lines", {}).items():
    assert name in lines, "no line %r among %r" % (name, list(lines))
    assert n < 0 or len(lines[name]) == n, \
        "line %r has %d points, not %d" % (name, len(lines[name]), n)
assert len(lines) == len(spec.get("lines", {})), "lines %r" % list(lines)
for name in spec.get("stairs", []):
    pts = lines[name]
    assert len(pts) >= 3 and len(pts) % 2 == 1, (name, pts)
    for a, b in zip(pts, pts[1:]):
        assert a[0] == b[0] or a[1] == b[1], "not a step: %r %r" % (a, b)
    assert all(a[0] <= b[0] for a, b in zip(pts, pts[1:])), "x goes back"
for name in spec.get("rising", []):
    ys = [p[1] for p in lines[name]]        # SVG y grows downwards
    assert all(a >= b for a, b in zip(ys, ys[1:])), "%r falls" % name
dots = sum(1 for _ in root.iter(NS + "circle"))
assert dots >= spec.get("dots", 0), "%d dots" % dots
PY
}

if [ -r /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
    make_data data 300 100
    expect 0 train --model mlp --epochs 3 --batch 64 --valid 50 \
        --data-dir data --db x.db --quiet
    expect 0 report 1 --db x.db --svg c.svg
    out_has "run 1: training mlp on fashion-mnist, done: 3/3 epochs"
    out_has "valid accuracy"
    svg_check c.svg '{"title": "run 1: training mlp on fashion-mnist",
        "texts": ["epoch", "loss", "accuracy (%)"],
        "lines": {"train loss": 3, "valid loss": 3, "train accuracy": 3,
                  "valid accuracy": 3}}' || fail "training run chart"
    expect 0 report 1 --db x.db --json
    "$PY" -c '
import json
o = json.loads(open("out").read().splitlines()[-1])
assert o["kind"] == "train" and o["epochs_done"] == 3 and o["epochs"] == 3, o
assert 0 <= o["valid_accuracy"] <= 1 and o["train_loss"] > 0, o
' || fail "report --json of a training run: $(cat out)"
    expect 0 report 1 --db x.db --csv e.csv
    [ "$(wc -l <e.csv)" -eq 4 ] || fail "epoch CSV: $(cat e.csv)"
    head -1 e.csv | grep -q '^epoch,step,lr,train_loss,' ||
        fail "epoch CSV header: $(head -1 e.csv)"
    expect 2 report 1 --db x.db --pareto
    err_has "--pareto is for search campaigns"

    expect 0 darts --data-dir data --valid 64 --train-samples 64 --epochs 2 \
        --batch 16 --nb201-c 4 --nb201-n 1 --pt-epochs 1 --eval 32 \
        --threads 1 --seed 3 --db x.db --quiet
    expect 0 report 2 --db x.db --svg d.svg
    out_has "run 2: DARTS + DARTS-PT on fashion-mnist, done: 8/8 epochs"
    # No validation loss in a DARTS run: three curves, 2 + 6 epochs each.
    svg_check d.svg '{"title": "run 2: DARTS + DARTS-PT on fashion-mnist",
        "texts": ["epoch", "loss", "accuracy (%)", "DARTS-PT"],
        "lines": {"train loss": 8, "train accuracy": 8,
                  "valid accuracy": 8}}' || fail "DARTS run chart"

    # The file cannot be written: an input error, nothing half-done.
    expect 3 report 1 --db x.db --svg nodir/c.svg
    err_has "nodir/c.svg"
    if [ -w /dev/full ]; then
        expect 3 report 1 --db x.db --svg /dev/full
        err_has "write failed"
    fi
else
    echo "$NAME: training and DARTS parts skipped (no fashion-mnist)"
fi

# Campaigns on a synthetic table of every NB201 cell.
"$PY" - "$ROOT/examples/campaigns/nb201_table_nsga2.json" <<'PY'
import itertools, json, sys
ops = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]
with open("table.csv", "w") as f:
    f.write("arch,valid,test\n")
    for k, g in enumerate(itertools.product(range(5), repeat=6)):
        e = [ops[i] for i in g]
        arch = "|%s~0|+|%s~0|%s~1|+|%s~0|%s~1|%s~2|" % tuple(e)
        v = 60 + sum((3, 1, 6, 10, 2)[i] for i in g) / 2 + k % 7 / 7
        f.write("%s,%.4f,%.4f\n" % (arch, v, v - 1))
c = json.load(open(sys.argv[1]))
assert c["objectives"] == ["accuracy", "params"]
c["evaluator"].update(file="table.csv", select="valid", report="test")
c["budget"] = 80
json.dump(c, open("two.json", "w"), indent=1)
c["objectives"] = ["accuracy"]
c["strategy"] = {"kind": "evolution", "population": 10, "sample": 3}
json.dump(c, open("one.json", "w"), indent=1)
PY
expect 0 search --config two.json --db s.db --quiet
expect 0 search --config one.json --db s.db --quiet
expect 0 report 1 --db s.db --svg two.svg --top 0
svg_check two.svg '{"title": "run 1: nsga2 search on nb201 (table evaluator)",
    "texts": ["accuracy (%)", "params", "trials (80)"],
    "lines": {"Pareto front": -1}, "stairs": ["Pareto front"], "dots": 80}' ||
    fail "two-objective campaign chart"
grep -q '>[0-9.]*[kM]</text>' two.svg || fail "params ticks lack k/M"
expect 0 report 2 --db s.db --svg one.svg --top 0
svg_check one.svg '{"title": "run 2: evolution search on nb201",
    "texts": ["accuracy (%)", "trial", "best so far"],
    "lines": {"best so far": -1}, "stairs": ["best so far"],
    "rising": ["best so far"], "dots": 80}' ||
    fail "one-objective campaign chart"
# The text report is unchanged by --svg; without RUN the newest campaign.
expect 0 report --db s.db --top 3
out_has "run 2: search on nb201, done: 80/80 architectures"
out_has "top 3 by accuracy"

finish
