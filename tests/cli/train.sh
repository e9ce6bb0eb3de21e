#!/bin/sh
# A tiny real training run, then runs/show/eval/resume on it.
set -eu
. "$(dirname "$0")/common.inc"

make_data data 300 100
TRAIN="train --model mlp --epochs 2 --batch 64 --data-dir data"

# Human output: the summary on stdout, nothing on stderr when not a TTY.
expect 0 $TRAIN --db r.db
out_has "test accuracy"
out_has "weights sha256"
[ ! -s err ] || fail "train wrote to stderr without a terminal"
[ -s r.db ] || fail "no run log written"

# --json: the last stdout line is one object with the documented fields.
expect 0 $TRAIN --valid 50 --json --db r.db
for k in run test_accuracy test_loss train_seconds weights_sha256 epochs; do
    json_get "$k" out >/dev/null || fail "train --json: no field $k"
done
[ "$(json_get run out)" = 2 ] || fail "second run is not run 2"
[ "$(json_get epochs out)" = 2 ] || fail "epochs is not 2"
"$PY" -c '
import json, sys
o = json.loads(open("out").read().splitlines()[-1])
assert 0 <= o["test_accuracy"] <= 1, o
assert len(o["weights_sha256"]) == 64, o
assert o["test_loss"] > 0 and o["train_seconds"] >= 0, o
' || fail "train --json values out of range"
SHA=$(json_get weights_sha256 out)

# The same configuration and seed give the same weights.
expect 0 $TRAIN --valid 50 --json --db r.db
[ "$(json_get weights_sha256 out)" = "$SHA" ] ||
    fail "same seed, different weights"
expect 0 $TRAIN --valid 50 --seed 2 --json --db r.db
[ "$(json_get weights_sha256 out)" != "$SHA" ] ||
    fail "different seed, same weights"

# runs: a table with a header and one line per run; --json an array.
expect 0 runs --db r.db
out_has "ID"
out_has "STATUS"
[ "$(grep -c ' done ' out)" = 4 ] || fail "runs: expected 4 done runs"
grep -q '2/2' out || fail "runs: no epochs done/total column"
expect 0 runs --db r.db --json
"$PY" -c '
import json
a = json.loads(open("out").read().splitlines()[-1])
assert isinstance(a, list) and len(a) == 4, a
assert [r["id"] for r in a] == [1, 2, 3, 4], a
assert all(r["status"] == "done" and r["model"] == "mlp" for r in a), a
assert all(r["epochs_done"] == 2 and r["epochs"] == 2 for r in a), a
' || fail "runs --json"

# show: configuration, epoch table, result.
expect 0 show 2 --db r.db
out_has "status"
out_has "done"
out_has "mlp"
out_has "VALID_ACC"
out_has "weights_sha256"
expect 0 show 2 --db r.db --json
"$PY" -c '
import json, sys
o = json.loads(open("out").read().splitlines()[-1])
assert o["id"] == 2 and o["status"] == "done", o
assert o["config"]["model"] == "mlp", o
assert len(o["epochs"]) == 2 and o["epochs"][0]["epoch"] == 1, o
assert o["epochs"][1]["valid_accuracy"] is not None, o
assert o["result"]["weights_sha256"] == sys.argv[1], o
' "$SHA" || fail "show --json"
expect 0 show 1 --db r.db --json
"$PY" -c '
import json
o = json.loads(open("out").read().splitlines()[-1])
assert o["epochs"][0]["valid_accuracy"] is None, o
' || fail "show --json: a run without validation has null valid_accuracy"

# eval: the newest checkpoint gives the test accuracy the run reported.
expect 0 $TRAIN --valid 50 --json --db r.db
ACC=$(json_get test_accuracy out)
RUN=$(json_get run out)
expect 0 eval "$RUN" --db r.db --json
[ "$(json_get accuracy out)" = "$ACC" ] || fail "eval accuracy != train's"
[ "$(json_get split out)" = test ] || fail "eval split is not test"
expect 0 eval "$RUN" --valid --db r.db --json
[ "$(json_get split out)" = valid ] || fail "eval --valid split"
expect 0 eval "$RUN" --db r.db
out_has "accuracy"
# --valid on a run without a validation split is a usage error.
expect 2 eval 1 --valid --db r.db
err_has "validation"

# Resuming a finished run: exit 5.
expect 5 resume 1 --db r.db
err_has "done"
expect 5 resume 1 --db r.db --json

# On a terminal (when util-linux script(1) can provide one): the run id with
# the resume command, a progress line and per-epoch summaries on stderr.
if command -v script >/dev/null 2>&1 &&
    script -qec true /dev/null >/dev/null 2>&1; then
    rc=0
    script -qec "'$NC_BIN' $TRAIN --valid 50 --db tty.db" /dev/null \
        >tty.out 2>&1 </dev/null || rc=$?
    [ "$rc" -eq 0 ] || fail "train on a terminal: exit $rc"
    for w in "run 1:" "nasc resume 1 --db tty.db" "step " "samples/s" \
             "epoch 1/2" "epoch 2/2" "valid" "test accuracy"; do
        grep -qF -- "$w" tty.out || fail "terminal output lacks '$w'"
    done
    script -qec "'$NC_BIN' $TRAIN --quiet --db tty.db" /dev/null \
        >tty.out 2>&1 </dev/null || fail "train --quiet on a terminal"
    ! grep -qF "samples/s" tty.out || fail "--quiet still shows progress"
fi

# --arch alone selects nb201; a small cell network trains end to end.
ARCH='|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_1x1~1|avg_pool_3x3~2|'
expect 0 train --arch "$ARCH" --nb201-c 4 --nb201-n 1 --epochs 1 --batch 100 \
    --data-dir data --json --db nb.db
expect 0 show 1 --db nb.db --json
"$PY" -c '
import json, sys
o = json.loads(open("out").read().splitlines()[-1])
assert o["config"]["model"] == "nb201" and o["config"]["arch"] == sys.argv[1]
' "$ARCH" || fail "--arch without --model: not an nb201 run"

# Divergence is a runtime failure (exit 1), and the run is marked failed.
expect 1 train --model mlp --epochs 1 --batch 16 --data-dir data --lr 100 \
    --momentum 0.99 --db nan.db
grep -qiE 'diverg|nan|inf' err || fail "divergence message: $(cat err)"
expect 0 runs --db nan.db
out_has "failed"
# A failed run is final: resuming it would only diverge again.
expect 5 resume 1 --db nan.db
err_has "failed"

finish
