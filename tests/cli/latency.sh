#!/bin/sh
# nasc latency-table: builds, calibrates and saves a table, checks it on a
# few random architectures (human and --json output); bad flags are usage
# errors and an unwritable --out an input error. Then the example campaign
# examples/campaigns/mbv_latency_nsga2.json (scratch evaluator, latency
# objective) runs on a tiny data subset with that table.
set -eu
. "$(dirname "$0")/common.inc"

FAST="--repeats 3 --calibrate 2"
expect 0 latency-table $FAST --eval 3 --out lat.csv
out_has "saved to lat.csv"
out_has "90th percentile"
[ "$(grep -c '^mbv:' out)" = 3 ] || fail "expected 3 evaluated architectures"
head -1 lat.csv | grep -q "^# nasc latency table v1 space=mbv" ||
    fail "lat.csv is not a latency table"

expect 0 latency-table $FAST --eval 3 --seed 5 --input 1x28x28 --classes 10 \
    --batch 1 --threads 1 --json --out lat.csv
"$PY" -c '
import json
o = json.loads(open("out").read().splitlines()[-1])
assert o["space"] == "mbv" and o["entries"] > 100 and o["scale"] > 0, o
assert len(o["eval"]) == 3, o
for e in o["eval"]:
    assert e["arch"].startswith("mbv:"), e
    assert e["predicted_ms"] > 0 and e["measured_ms"] > 0, e
assert 0 <= o["median_abs_rel_err"] <= o["p90_abs_rel_err"], o
' || fail "latency-table --json: $(cat out)"
expect 0 latency-table --repeats 1 --calibrate 0 --json --out plain.csv
"$PY" -c '
import json
o = json.loads(open("out").read().splitlines()[-1])
assert o["scale"] == 1 and o["eval"] == [] and o["median_abs_rel_err"] is None, o
' || fail "latency-table without --eval: $(cat out)"

# Bad flags: usage errors naming the flag.
expect 2 latency-table --repeats 3
err_has "--out"
expect 2 latency-table --space nb201 --out x.csv
err_has "only the mbv space"
expect 2 latency-table --space nope --out x.csv
err_has "unknown space"
expect 2 latency-table --input 1x28 --out x.csv
err_has "--input"
expect 2 latency-table --repeats 0 --out x.csv
err_has "--repeats"
expect 2 latency-table --eval -1 --out x.csv
err_has "--eval"
expect 2 latency-table --bogus --out x.csv
err_has "--bogus"
expect 2 latency-table --out ''
expect 3 latency-table --repeats 1 --calibrate 0 --out nodir/lat.csv
err_has "nodir/lat.csv"

# The example campaign on a tiny subset with the table above and a budget
# of 2 (training mbv nets is the slow part; determinism and resume are
# covered by tests/test_eval_scratch.c).
make_data data 40 20
"$PY" - "$ROOT/examples/campaigns/mbv_latency_nsga2.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
assert c["evaluator"]["kind"] == "scratch" and "latency" in c["objectives"]
c["data_dir"] = "data"
c["evaluator"]["valid"] = 10
c["latency_table"] = "lat.csv"
c["budget"] = 2
json.dump(c, open("ex.json", "w"), indent=1)
PY
expect 0 search --config ex.json --db ex.db --json
[ "$(json_get trials out)" = 2 ] || fail "example: $(cat out)"
expect 0 report 1 --db ex.db --csv a.csv --top 0
"$PY" - a.csv <<'PY' || fail "example: no latency in the trials"
import csv, sys
a = list(csv.DictReader(open(sys.argv[1])))
assert len(a) == 2 and all(float(r["latency"]) > 0 for r in a), a
PY
"$PY" -c 'import sqlite3; r = sqlite3.connect("ex.db").execute("SELECT parent, tag FROM runs WHERE id = 2").fetchone(); assert r == (1, "trial 0"), r' ||
    fail "trial 0's training run is not the campaign's child 'trial 0'"
finish
