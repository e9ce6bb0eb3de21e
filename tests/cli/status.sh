#!/bin/sh
# What a user sees of every run: nasc status for training and DARTS runs as
# for campaigns (epoch e/E and the last metrics; a DARTS run's phase), nasc
# runs with progress as done/total, the owner of a running run and the
# reason of a failed one in status and show (text and --json), and the
# default thread count: the cores available (taskset counts), recorded with
# the run and kept by resume, which takes no --threads of its own.
set -eu
. "$(dirname "$0")/common.inc"

make_data data 300 100
TRAIN="train --model mlp --epochs 2 --batch 64 --data-dir data"
json_check() {
    "$PY" -c "
import json, sys
o = json.loads(open('out').read().splitlines()[-1])
$1" "$@" || fail "$2"
}

# A training run: status shows its epochs and last metrics.
expect 0 $TRAIN --valid 50 --db r.db --json
expect 0 status 1 --db r.db
out_has "run 1: training mlp on fashion-mnist: done"
out_has "progress: 2/2 units"
out_has "epoch 2/2"
out_has "epoch 2: train loss"
out_has "valid accuracy"
expect 0 status 1 --db r.db --json
json_check '
assert o["kind"] == "train" and o["status"] == "done", o
assert o["units_done"] == 2 and o["units_total"] == 2, o
assert o["epochs_done"] == 2 and o["epochs"] == 2, o
assert o["last"]["epoch"] == 2 and 0 <= o["last"]["valid_accuracy"] <= 1, o
assert o["owner"] == "" and o["owner_alive"] is False, o
assert o["reason"] == "" and o["reason_status"] == "", o
' "status --json of a training run"
# Without RUN: the newest run.
expect 0 status --db r.db
out_has "run 1: training"
expect 0 runs --db r.db
out_has "PROGRESS"
grep -q ' 2/2 ' out || fail "runs: no progress 2/2: $(cat out)"

# A DARTS run: its phase.
expect 0 darts --data-dir data --valid 64 --train-samples 64 --epochs 1 \
    --batch 32 --nb201-c 4 --nb201-n 1 --pt-epochs 1 --eval 32 --threads 1 \
    --db d.db --quiet
expect 0 status 1 --db d.db
out_has "DARTS + DARTS-PT on fashion-mnist: done"
out_has "epoch 7/7"
expect 0 status 1 --db d.db --json
json_check '
assert o["kind"] == "darts" and o["phase"] == "done", o
assert o["units_done"] == o["units_total"] == 13, o   # 7 epochs, 6 decisions
assert o["epochs"] == 7 and o["last"]["epoch"] == 7, o
' "status --json of a DARTS run"
expect 0 runs --db d.db
grep -q ' 13/13 ' out || fail "runs: DARTS progress: $(cat out)"

# A failed run: the reason, in status and show, and that it is final.
expect 1 train --model mlp --epochs 1 --batch 16 --data-dir data --lr 100 \
    --momentum 0.99 --db nan.db
expect 0 status 1 --db nan.db
out_has "failed: "
out_has "diverged"
out_has "final"
expect 0 show 1 --db nan.db
out_has "failed: "
expect 0 show 1 --db nan.db --json
json_check '
assert o["status"] == "failed" and "diverged" in o["reason"], o
assert o["reason_status"] == "numeric", o
' "show --json of a failed run"

# A running run: the process that holds it, while it lives; after a
# SIGKILL, that nobody does and how to continue.
NC_TEST_COMMIT_PAUSE_MS=300 "$NC_BIN" train --model mlp --epochs 30 \
    --batch 64 --data-dir data --db own.db --quiet >/dev/null 2>&1 </dev/null &
pid=$!
i=0
until "$NC_BIN" status 1 --db own.db --json >out 2>/dev/null &&
    grep -q "\"owner_alive\":true" out; do
    i=$((i + 1))
    [ "$i" -lt 300 ] || { fail "the run never showed a live owner"; break; }
    sleep 0.1
done
expect 0 status 1 --db own.db
out_has "being worked on by process $pid on host"
expect 0 show 1 --db own.db
out_has "being worked on by process $pid"
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
expect 0 status 1 --db own.db
out_has "is gone"
out_has "continue with: nasc resume 1 --db own.db"
expect 0 status 1 --db own.db --json
json_check '
assert o["status"] == "running" and o["owner"] != "", o
assert o["owner_alive"] is False, o
' "status --json after the owner was killed"

# The thread count: the cores available by default, recorded with the run;
# resume keeps it and takes no --threads.
CORES=$("$PY" -c 'import os; print(len(os.sched_getaffinity(0)))')
expect 0 $TRAIN --db th.db --json
expect 0 show 1 --db th.db --json
json_check "
assert o['threads'] == $CORES and o['config']['threads'] == $CORES, o
" "default threads are not the $CORES cores available"
expect 2 resume 1 --db th.db --threads 1
err_has "--threads"
expect 0 train --help
out_has "cores available"
if command -v taskset >/dev/null 2>&1 && taskset -c 0 true 2>/dev/null; then
    # Pinned to one core: one thread; killed, then resumed unpinned, the
    # run keeps its one thread and ends as an uninterrupted 1-thread run.
    expect 0 $TRAIN --epochs 6 --threads 1 --db ref.db --json
    REF=$(json_get weights_sha256 out)
    NC_TEST_COMMIT_PAUSE_MS=300 taskset -c 0 "$NC_BIN" $TRAIN --epochs 6 \
        --db pin.db --quiet >/dev/null 2>&1 </dev/null &
    pid=$!
    i=0
    until "$NC_BIN" status 1 --db pin.db --json >out 2>/dev/null &&
        grep -q '"units_done":[1-9]' out; do
        i=$((i + 1))
        [ "$i" -lt 300 ] || { fail "the pinned run never logged an epoch"; break; }
        sleep 0.1
    done
    kill -9 "$pid"
    wait "$pid" 2>/dev/null || true
    expect 0 resume 1 --db pin.db --json
    [ "$(json_get weights_sha256 out)" = "$REF" ] ||
        fail "a resumed run pinned to one core did not keep its one thread"
    expect 0 show 1 --db pin.db --json
    json_check "
assert o['threads'] == 1 and o['config']['threads'] == 1, o
" "the pinned run did not record one thread"
else
    echo "$NAME: taskset not usable, skipping its part"
fi

finish
