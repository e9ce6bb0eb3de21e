#!/bin/sh
# nasc darts on a slice of Fashion-MNIST: the result JSON, `nasc show`, and
# exact resume — a run SIGKILLed at random moments (search epochs, DARTS-PT
# decisions, tuning epochs, commits, a resume) and continued with
# `nasc resume` ends with the cells, alpha and weights of the uninterrupted
# run. Then the error cases and their exit codes.
set -eu
. "$(dirname "$0")/common.inc"

if [ ! -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
    echo "darts: skipped (dataset-fashion-mnist not installed)"
    exit 0
fi
make_data data 200 20
DARTS="darts --data-dir data --valid 64 --train-samples 64 --epochs 2 --batch 16 --nb201-c 4 --nb201-n 1 --pt-epochs 1 --eval 32 --threads 1 --seed 3"

# key FILE: the fields that must match, from the result JSON on the last
# line of FILE (a `nasc darts --json` line or a `nasc show --json` object).
key() {
    "$PY" -c '
import json, sys
o = json.loads(open(sys.argv[1]).read().splitlines()[-1])
o = o.get("result", o)
print(o["darts"], o["pt"], o["weights_sha256"], o["epochs"],
      ",".join(repr(a) for a in o["alpha"]))' "$1"
}

START=$(date +%s.%N)
expect 0 $DARTS --db ref.db --json
END=$(date +%s.%N)
SPAN=$(awk -v a="$START" -v b="$END" 'BEGIN { printf "%.3f", b - a }')
REF=$(key out)
"$PY" - out <<'PY' || fail "result JSON incomplete"
import json, sys
o = json.loads(open(sys.argv[1]).read().splitlines()[-1])
assert o["darts"].startswith("|") and o["pt"].startswith("|")
assert len(o["alpha"]) == 30 and len(o["softmax"]) == 30
assert sorted(o["pt_order"]) == list(range(6)) and len(o["pt_drop"]) == 30
assert len(o["alpha_history"]) == 8 and o["epochs"] == 8
assert 0 <= o["supernet_accuracy"] <= 1 and o["seconds"] >= 0
PY
expect 0 show 1 --db ref.db
out_has "DARTS-PT decisions"
out_has "op weights per epoch"
out_has "pt_epochs"
expect 0 show 1 --db ref.db --json
[ "$(key out)" = "$REF" ] || fail "show --json result differs from darts --json"

epochs() {
    "$PY" -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM epochs WHERE run_id = 1").fetchone()[0])' "$1"
}

KILLS=0
for k in 1 2 3 4; do
    db=k$k.db
    d=$(rand_below "$SPAN")
    "$NC_BIN" $DARTS --db "$db" >/dev/null 2>&1 </dev/null &
    pid=$!
    sleep "$d"
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    KILLS=$((KILLS + 1))
    if ! "$NC_BIN" show 1 --db "$db" >/dev/null 2>&1; then
        # Killed before the run was logged: a fresh start is the recovery.
        expect 0 $DARTS --db "$db" --json
        got=$(key out)
    else
        echo "    kill $k after ${d}s: $(epochs "$db") epochs logged" >&2
        if [ "$k" -eq 2 ]; then
            # Kill the resume too.
            d=$(rand_below "$SPAN")
            "$NC_BIN" resume 1 --db "$db" >/dev/null 2>&1 </dev/null &
            pid=$!
            sleep "$d"
            kill -9 "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
            KILLS=$((KILLS + 1))
        fi
        rc=0
        "$NC_BIN" resume 1 --db "$db" --json >out 2>err </dev/null || rc=$?
        if [ "$rc" -eq 5 ]; then
            grep -q "already done" err || fail "kill $k: exit 5 without 'already done'"
            "$NC_BIN" show 1 --db "$db" --json >out 2>err
        elif [ "$rc" -ne 0 ]; then
            fail "resume after kill $k: exit $rc ($(head -1 err))"
            continue
        fi
        got=$(key out)
    fi
    [ "$got" = "$REF" ] || fail "kill $k: resumed result differs: $got"
    [ "$(epochs "$db")" -eq 8 ] || fail "kill $k: $(epochs "$db") epochs logged"
done
echo "    $KILLS kills, all resumed runs equal to the uninterrupted one" >&2

# Errors: options, data, run state.
expect 2 darts --order 3 --db e.db
err_has "--order"
expect 2 darts --bogus --db e.db
err_has "unknown option"
expect 2 darts --pt-epochs -2 --db e.db
err_has "--pt-epochs"
expect 2 darts --epochs x --db e.db
expect 2 darts extra --db e.db
err_has "unexpected argument"
expect 3 $DARTS --data-dir nowhere --db e.db
err_has "nowhere"
[ ! -e e.db ] || fail "a failed darts left e.db behind"
expect 5 resume 1 --db ref.db
err_has "already done"
expect 4 resume 7 --db ref.db
err_has "not found"
expect 0 darts --help
out_has "--pt-epochs"
finish
