#!/bin/sh
# Exact resume: a training run killed with SIGKILL at random moments (during
# data loading, mid-epoch, during a checkpoint write, during a resume) and
# resumed with `nasc resume` ends with weights bit-identical to an
# uninterrupted run with the same seed and thread count.
set -eu
. "$(dirname "$0")/common.inc"

make_data data 800 200
TRAIN="train --model cnn --epochs 6 --batch 50 --threads 2 --seed 11 --data-dir data --valid 100 --augment"

expect 0 $TRAIN --db ref.db --json
REF=$(json_get weights_sha256 out)
# How long an uninterrupted run takes: kill points are drawn inside it.
START=$(date +%s.%N)
expect 0 $TRAIN --db timing.db --json
END=$(date +%s.%N)
[ "$(json_get weights_sha256 out)" = "$REF" ] || fail "two identical runs differ"
SPAN=$(awk -v a="$START" -v b="$END" 'BEGIN { printf "%.3f", b - a }')

# run_killed DB ARGS...: starts nasc ARGS in the background and SIGKILLs it
# after a random delay within the uninterrupted run's duration.
run_killed() {
    d=$(rand_below "$SPAN")
    "$NC_BIN" "$@" >/dev/null 2>&1 </dev/null &
    pid=$!
    sleep "$d"
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    echo "    killed after ${d}s: nasc $1" >&2
}

KILLS=0
for k in 1 2 3 4 5 6; do
    db=k$k.db
    run_killed $TRAIN --db "$db"
    KILLS=$((KILLS + 1))
    # The second kill of every other trial lands in a resume.
    if [ $((k % 2)) -eq 0 ] && "$NC_BIN" show 1 --db "$db" >/dev/null 2>&1; then
        run_killed resume 1 --db "$db"
        KILLS=$((KILLS + 1))
    fi
    if "$NC_BIN" show 1 --db "$db" >/dev/null 2>&1; then
        rc=0
        "$NC_BIN" resume 1 --db "$db" --json >out 2>err </dev/null || rc=$?
        if [ "$rc" -eq 5 ]; then
            # Killed after the run had finished: nothing left to do.
            "$NC_BIN" show 1 --db "$db" --json >out 2>err
            got=$($PY -c 'import json,sys; print(json.loads(open("out").read().splitlines()[-1])["result"]["weights_sha256"])')
        elif [ "$rc" -eq 0 ]; then
            got=$(json_get weights_sha256 out)
        else
            fail "resume after kill $k: exit $rc"
            continue
        fi
    else
        # Killed before the run was logged: a fresh start is the recovery.
        expect 0 $TRAIN --db "$db" --json
        got=$(json_get weights_sha256 out)
    fi
    [ "$got" = "$REF" ] || fail "trial $k: resumed weights $got differ from $REF"
done
echo "    $KILLS kills, all resumed runs bit-identical to $REF" >&2
finish
