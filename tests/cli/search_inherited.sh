#!/bin/sh
# A campaign with a weight-sharing supernet (nb201, SPOS, inherited-weight
# evaluator) on a slice of Fashion-MNIST: killed with SIGKILL at 10 random
# points — during supernet training, mid-trial, between trials, during a DB
# write — and resumed each time, it stores exactly the trials and metrics of
# the uninterrupted campaign; the supernet's epochs are logged once each.
. "$(dirname "$0")/common.inc"

if [ ! -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
    echo "search_inherited: skipped (dataset-fashion-mnist not installed)"
    exit 0
fi
make_data data 400 50
"$PY" - <<'PY'
import json
c = {
    "space": "nb201", "dataset": "fashion-mnist", "data_dir": "data",
    "supernet": {"kind": "spos", "epochs": 3, "batch": 32, "lr": 0.05,
                 "momentum": 0.9, "weight_decay": 0.0001, "nb201_c": 4,
                 "nb201_n": 1, "valid": 100, "recal_samples": 64,
                 "eval_samples": 0},
    "strategy": {"kind": "evolution", "population": 4, "sample": 2},
    "evaluator": {"kind": "inherited", "select": "valid_acc",
                  "report": "test_acc"},
    "objectives": ["accuracy"], "budget": 12, "seed": "5", "threads": 1,
}
json.dump(c, open("inh.json", "w"))
PY

START=$(date +%s.%N)
expect 0 search --config inh.json --db ref.db --quiet
END=$(date +%s.%N)
SPAN=$(awk -v a="$START" -v b="$END" 'BEGIN { printf "%.3f", b - a }')
expect 0 report --db ref.db --csv ref.csv --top 0
sed 's/,[^,]*$//' ref.csv >ref.cut
[ "$(wc -l <ref.cut)" -eq 13 ] || fail "reference has $(wc -l <ref.cut) lines"
epochs() {
    "$PY" -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM epochs WHERE run_id = 1").fetchone()[0])' "$1"
}
[ "$(epochs ref.db)" -eq 3 ] || fail "reference logged $(epochs ref.db) supernet epochs"

IN_SUPERNET=0
MID=0
for k in 1 2 3 4 5 6 7 8 9 10; do
    db=k$k.db
    d=$(rand_below "$SPAN")
    "$NC_BIN" search --config inh.json --db "$db" --quiet >/dev/null 2>&1 \
        </dev/null &
    pid=$!
    sleep "$d"
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    if ! "$NC_BIN" status 1 --db "$db" --json >st 2>/dev/null; then
        expect 0 search --config inh.json --db "$db" --quiet
    else
        n=$(json_get trials st)
        e=$(epochs "$db")
        echo "    kill $k after ${d}s: $e supernet epochs, $n trials stored" >&2
        [ "$n" -eq 0 ] && IN_SUPERNET=$((IN_SUPERNET + 1))
        [ "$(json_get supernet_epochs_done st)" -eq "$e" ] ||
            fail "kill $k: status --json lacks supernet epoch $e"
        if [ "$n" -eq 0 ] && [ "$e" -lt 3 ]; then
            "$NC_BIN" status 1 --db "$db" >st.txt 2>/dev/null
            grep -q "supernet epoch $e/3" st.txt ||
                fail "kill $k: status does not say 'supernet epoch $e/3'"
        fi
        [ "$n" -gt 0 ] && [ "$n" -lt 12 ] && MID=$((MID + 1))
        rc=0
        "$NC_BIN" resume 1 --db "$db" --quiet >/dev/null 2>err </dev/null ||
            rc=$?
        if [ "$rc" -ne 0 ] && [ "$rc" -ne 5 ]; then
            fail "resume after kill $k: exit $rc ($(head -1 err))"
            continue
        fi
    fi
    expect 0 status 1 --db "$db" --json
    [ "$(json_get status out)" = done ] || fail "kill $k: not done"
    [ "$(epochs "$db")" -eq 3 ] || fail "kill $k: $(epochs "$db") supernet epochs"
    expect 0 report 1 --db "$db" --csv got.csv --top 0
    sed 's/,[^,]*$//' got.csv >got.cut
    cmp -s ref.cut got.cut ||
        fail "kill $k: resumed trials differ from the uninterrupted campaign"
done
echo "    $IN_SUPERNET kills during supernet training, $MID between or in trials" >&2
[ $((IN_SUPERNET + MID)) -gt 0 ] || fail "no kill landed inside the campaign"
finish
