#!/bin/sh
# A run is worked on by one process at a time (issue 9, point 2): a second
# `nasc resume` of a run another process trains refuses at once with exit 5
# naming that process; an owner killed with SIGKILL does not block the next
# resume; a run whose unit failed is marked failed with its reason, and
# resume continues it once the cause is gone, or, when the failure would
# repeat (divergence), refuses and says why.
set -eu
. "$(dirname "$0")/common.inc"

make_data data 1000 200
TRAIN="train --model mlp --batch 50 --threads 1 --seed 3 --data-dir data"

# db_get DB SQL: one value from the run log, read with Python's sqlite3
# (the sqlite3 tool is not a dependency).
db_get() {
    "$PY" -c 'import sqlite3, sys
r = sqlite3.connect(sys.argv[1], timeout=10).execute(sys.argv[2]).fetchone()
print("" if r is None or r[0] is None else r[0])' "$1" "$2"
}
db_exec() {
    "$PY" -c 'import sqlite3, sys
c = sqlite3.connect(sys.argv[1], timeout=10); c.executescript(sys.argv[2]); c.commit()' "$1" "$2"
}

expect 0 $TRAIN --epochs 30 --db ref.db --json
REF=$(json_get weights_sha256 out)

# The owner: the same run, each commit held open 300 ms, so it is alive
# for seconds.
NC_TEST_COMMIT_PAUSE_MS=300 "$NC_BIN" $TRAIN --epochs 30 --db own.db \
    --quiet >/dev/null 2>&1 </dev/null &
pid=$!
i=0
while [ "$(db_get own.db 'SELECT count(*) FROM epochs' 2>/dev/null || echo 0)" -lt 1 ]; do
    i=$((i + 1))
    [ "$i" -lt 300 ] || { fail "the training run never logged an epoch"; break; }
    sleep 0.1
done
owner=$(db_get own.db 'SELECT owner FROM runs WHERE id = 1')
case "$owner" in
    *:"$pid":*) ;;
    *) fail "owner '$owner' does not name process $pid" ;;
esac
START=$(date +%s.%N)
expect 5 resume 1 --db own.db
END=$(date +%s.%N)
err_has "being worked on by process $pid"
# At once: not after training an epoch of its own.
awk -v a="$START" -v b="$END" 'BEGIN { exit !(b - a < 2) }' ||
    fail "the refusal took $(awk -v a="$START" -v b="$END" 'BEGIN { print b - a }') s"
kill -0 "$pid" 2>/dev/null || fail "the owner ended before the test killed it"
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
# The dead owner is still written in the log, and does not block.
[ -n "$(db_get own.db 'SELECT owner FROM runs WHERE id = 1')" ] ||
    fail "the killed owner left no owner behind (the test proves nothing)"
expect 0 resume 1 --db own.db --json
[ "$(json_get weights_sha256 out)" = "$REF" ] ||
    fail "resumed after the owner was killed: weights differ"
[ "$(db_get own.db "SELECT status || '/' || coalesce(owner, '') FROM runs WHERE id = 1")" = "done/" ] ||
    fail "the resumed run is not done, or still owned"

# A unit that fails for a cause that may pass (here the run log refuses
# epoch 2) marks the run failed with the reason, and the run is released.
expect 0 $TRAIN --epochs 30 --db cut.db --json
db_exec cut.db "CREATE TRIGGER cut BEFORE INSERT ON epochs WHEN NEW.run_id = 2
    AND NEW.epoch = 2 BEGIN SELECT RAISE(ABORT, 'refused'); END;"
expect 4 $TRAIN --epochs 30 --db cut.db
[ "$(db_get cut.db "SELECT status || '/' || reason_status || '/' || coalesce(owner, '') FROM runs WHERE id = 2")" = "failed/db/" ] ||
    fail "a failed unit: run 2 is not failed with a run-log reason and released"
db_get cut.db 'SELECT reason FROM runs WHERE id = 2' | grep -q 'commit epoch 2 of run 2' ||
    fail "the reason does not say what failed: $(db_get cut.db 'SELECT reason FROM runs WHERE id = 2')"
# Still there: the same failure again, the run still resumable.
expect 4 resume 2 --db cut.db
err_has "commit epoch 2 of run 2"
db_exec cut.db "DROP TRIGGER cut;"
expect 0 resume 2 --db cut.db --json
[ "$(json_get weights_sha256 out)" = "$REF" ] ||
    fail "resumed after the cause was gone: weights differ"

# A diverged run is failed for good: resume says why and does not retry.
expect 1 train --model mlp --epochs 1 --batch 16 --data-dir data --lr 100 \
    --momentum 0.99 --db nan.db
[ "$(db_get nan.db "SELECT status || '/' || reason_status FROM runs WHERE id = 1")" = "failed/numeric" ] ||
    fail "a diverged run is not failed with a numeric reason"
expect 5 resume 1 --db nan.db
err_has "failed for good"
err_has "diverged"
err_has "start a new run"
finish
