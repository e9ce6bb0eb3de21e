#!/bin/sh
# A table campaign whose table is damaged (cut mid-row, a short row, an empty
# row in the middle, a non-numeric or repeated value, no arch column) is
# refused by `nasc search` at once, with exit 3 and the file and line named,
# before any run is logged; the whole table runs. Needs no reference data:
# the table is a synthetic one of every NB201 architecture.
set -eu
. "$(dirname "$0")/common.inc"

# good.csv: all 15625 NB201 cells, in no particular order, with made-up
# metrics; campaign.json: a short evolution campaign on table FILE.
"$PY" - <<'PY'
import itertools, json
ops = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]
with open("good.csv", "w") as f:
    f.write("index,arch,valid,test,note\n")
    for i, g in enumerate(itertools.product(range(5), repeat=6)):
        o = [ops[x] for x in g]
        arch = "|%s~0|+|%s~0|%s~1|+|%s~0|%s~1|%s~2|" % tuple(o)
        v = 50 + sum(g) * 2 + (i * 7919 % 100) / 100
        f.write("%d,%s,%.4f,%.4f,x\n" % (i, arch, v, v - 1))
c = {"space": "nb201", "dataset": "cifar10",
     "strategy": {"kind": "evolution", "population": 10, "sample": 3,
                  "crossover": 0},
     "evaluator": {"kind": "table", "file": "FILE", "select": "valid",
                   "report": "test"},
     "objectives": ["accuracy"], "budget": 30, "seed": "1", "threads": 1}
json.dump(c, open("campaign.json", "w"))
PY

# config CSV: campaign.json with its table set to CSV, as c.json.
config() {
    sed "s|\"FILE\"|\"$1\"|" campaign.json >c.json
}

n_runs() {
    "$NC_BIN" runs --db runs.db --json | "$PY" -c 'import json, sys; print(len(json.load(sys.stdin)))'
}

config good.csv
expect 0 search --config c.json --db runs.db --quiet
[ "$(n_runs)" = 1 ] || fail "the whole table: $(n_runs) runs logged, expected 1"

# refused CSV WANT_EXIT NEEDLE: the search on CSV fails with WANT_EXIT at
# once (no evaluation: well under the time of one), names CSV and NEEDLE,
# and logs no run.
refused() {
    config "$1"
    s=$(date +%s)
    expect "$2" search --config c.json --db runs.db --quiet
    e=$(date +%s)
    err_has "$1"
    err_has "$3"
    [ $((e - s)) -le 10 ] || fail "$1: refused only after $((e - s)) s"
    [ "$(n_runs)" = 1 ] || fail "$1: a run was logged ($(n_runs) runs)"
}

# Cut mid-row, as a copy that ran out of space leaves it: half the bytes,
# ending inside row 7814 or so.
LINES=$(wc -l <good.csv)
head -c $(($(wc -c <good.csv) / 2)) good.csv >cut.csv
CUT_LINE=$(($(wc -l <cut.csv) + 1))
[ "$(tail -c 1 cut.csv | od -An -c | tr -d ' ')" != '\n' ] || fail "cut.csv ends a row"
refused cut.csv 3 "line $CUT_LINE has no line end"

# The last row cut inside its last field: "…,x" lost its newline.
head -c $(($(wc -c <good.csv) - 1)) good.csv >cutlast.csv
refused cutlast.csv 3 "line $LINES has no line end"

# A row short of its last field (not a column the campaign reads).
sed '100s/,x$//' good.csv >short.csv
refused short.csv 3 "line 100 has 4 fields"

# An empty row in the middle; empty rows at the end are fine.
sed '5000s/^.*$//' good.csv >gap.csv
refused gap.csv 3 "line 5000 is empty"

# Non-numeric values in a column the campaign reads, NaN included.
sed '321s/,[^,]*,x$/,abc,x/' good.csv >nonnum.csv
refused nonnum.csv 3 "line 321, column test"
sed '77s/^\([^,]*,[^,]*\),[^,]*,/\1,nan,/' good.csv >nan.csv
refused nan.csv 3 "line 77, column valid"

# One architecture twice.
{ cat good.csv; sed -n 2p good.csv; } >dup.csv
refused dup.csv 3 "line $((LINES + 1))"

# No arch column.
sed '1s/^index,arch,/index,cell,/' good.csv >noarch.csv
refused noarch.csv 3 "no column 'arch'"

# A metric column the campaign names but the table lacks is the campaign's
# mistake (a usage error), refused as early.
sed '1s/,valid,/,valid_acc,/' good.csv >nometric.csv
refused nometric.csv 2 "no column 'valid'"

# Empty lines at the end of the table are not damage.
{ cat good.csv; printf '\n\n'; } >trail.csv
config trail.csv
expect 0 search --config c.json --db runs.db --quiet
[ "$(n_runs)" = 2 ] || fail "trail.csv: $(n_runs) runs logged, expected 2"
finish
