#!/bin/sh
# nasc darts on a slice of Fashion-MNIST: the result JSON, `nasc show`, and
# exact resume — a run SIGKILLed at random moments (search epochs, DARTS-PT
# decisions, tuning epochs, commits, a resume) and inside an epoch's open
# commit, and continued with `nasc resume`, ends with the cells, alpha and
# weights of the uninterrupted run and no half-written epoch in the log.
# Then the error cases and their exit codes.
set -eu
. "$(dirname "$0")/common.inc"
. "$ROOT/tests/cli/kill.inc"

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

# The kills: random moments within the uninterrupted run's duration, one
# into a resume, and kills aimed inside an epoch's commit while its
# transaction is open. Only kills that land in a live process count
# (kill.inc); at least MIN_LANDED must, and at least one inside a commit, or
# the test fails: a kill sent after the run had finished proves nothing.
MIN_LANDED=3
TRIALS=4         # random-kill trials; up to 3 * TRIALS until MIN_LANDED land

# resume_check DB WHAT: resumes run 1 of DB (or starts it afresh if the kill
# came before it was logged) and compares the result with REF.
resume_check() {
    if ! "$NC_BIN" show 1 --db "$1" >/dev/null 2>&1; then
        # Killed before the run was logged: a fresh start is the recovery.
        expect 0 $DARTS --db "$1" --json
        got=$(key out)
    else
        rc=0
        "$NC_BIN" resume 1 --db "$1" --json >out 2>err </dev/null || rc=$?
        if [ "$rc" -eq 5 ]; then
            grep -q "already done" err || fail "$2: exit 5 without 'already done'"
            "$NC_BIN" show 1 --db "$1" --json >out 2>err
        elif [ "$rc" -ne 0 ]; then
            fail "resume after $2: exit $rc ($(head -1 err))"
            return 0
        fi
        got=$(key out)
    fi
    [ "$got" = "$REF" ] || fail "$2: resumed result differs: $got"
    [ "$(epochs "$1")" -eq 8 ] || fail "$2: $(epochs "$1") epochs logged"
    [ -z "$(log_check "$1")" ] || fail "$2: $(log_check "$1")"
}

k=0
while [ "$k" -lt "$TRIALS" ] ||
      { [ "$KILLS_LANDED" -lt "$MIN_LANDED" ] && [ "$k" -lt $((3 * TRIALS)) ]; }; do
    k=$((k + 1))
    db=k$k.db
    d=$(kill_delay "$SPAN")
    how="landed"
    kill_at "$d" $DARTS --db "$db" || how="too late: the process had ended"
    if "$NC_BIN" show 1 --db "$db" >/dev/null 2>&1; then
        echo "    kill $k after ${d}s ($how): $(epochs "$db") epochs logged" >&2
        if [ "$k" -eq 2 ]; then
            # Kill the resume too, within half the span: it has only part
            # of the run left to do.
            d=$(kill_delay "$(awk -v s="$SPAN" 'BEGIN { printf "%.3f", s / 2 }')")
            how="landed"
            kill_at "$d" resume 1 --db "$db" || how="too late: the process had ended"
            echo "    kill of the resume after ${d}s ($how)" >&2
        fi
    else
        echo "    kill $k after ${d}s ($how): before the run was logged" >&2
    fi
    resume_check "$db" "kill $k"
done

# Inside a commit: paused in the commit of epoch 2..5 (search or DARTS-PT
# epochs; the previous checkpoint is in the log, the new one in the open
# transaction), killed, then resumed. Commits pause PAUSE_MS each, so the
# target stays early. Tries up to three times should the kill miss.
a=0
while [ "$KILLS_IN_COMMIT" -eq 0 ] && [ "$a" -lt 3 ]; do
    a=$((a + 1))
    db=c$a.db
    e=$(awk -v r="$(rand_below 4)" 'BEGIN { printf "%d", 2 + r }')
    kill_in_commit "$db" "$e" $DARTS --db "$db" ||
        echo "    kill aimed at the commit of epoch $e missed it" >&2
    resume_check "$db" "kill in commit $e"
done
kills_enough "$MIN_LANDED"
echo "    all resumed runs equal to the uninterrupted one" >&2

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
