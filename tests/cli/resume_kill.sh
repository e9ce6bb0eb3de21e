#!/bin/sh
# Exact resume: a training run killed with SIGKILL at random moments (during
# data loading, mid-epoch, during a checkpoint write, during a resume, and
# aimed inside an epoch's open commit) and resumed with `nasc resume` ends
# with weights bit-identical to an uninterrupted run with the same seed and
# thread count, and no kill leaves a half-written epoch in the log.
set -eu
. "$(dirname "$0")/common.inc"
. "$ROOT/tests/cli/kill.inc"

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

# The kills: random moments within the uninterrupted run's duration (during
# data loading, mid-epoch, during a checkpoint write, during a resume), and
# kills aimed inside an epoch's commit while its transaction is open. Only
# kills that land in a live process count (kill.inc); at least MIN_LANDED
# must, and at least one inside a commit, or the test fails: a kill sent
# after the run had finished proves nothing.
MIN_LANDED=3
TRIALS=6         # random-kill trials; up to 3 * TRIALS until MIN_LANDED land

# A resume has part of the run left to do: its kills are drawn in half the
# span.
HALF=$(awk -v s="$SPAN" 'BEGIN { printf "%.3f", s / 2 }')

# run_killed SPAN ARGS...: nasc ARGS SIGKILLed after a random delay within
# SPAN (kill_delay).
run_killed() {
    d=$(kill_delay "$1")
    shift
    how="landed"
    kill_at "$d" "$@" || how="too late: the process had ended"
    echo "    kill after ${d}s ($how): nasc $1" >&2
}

# resume_check DB WHAT: resumes run 1 of DB (or starts it afresh if the kill
# came before it was logged) and compares the final weights with REF.
resume_check() {
    if "$NC_BIN" show 1 --db "$1" >/dev/null 2>&1; then
        rc=0
        "$NC_BIN" resume 1 --db "$1" --json >out 2>err </dev/null || rc=$?
        if [ "$rc" -eq 5 ]; then
            # Killed after the run had finished: nothing left to do.
            "$NC_BIN" show 1 --db "$1" --json >out 2>err
            got=$($PY -c 'import json,sys; print(json.loads(open("out").read().splitlines()[-1])["result"]["weights_sha256"])')
        elif [ "$rc" -eq 0 ]; then
            got=$(json_get weights_sha256 out)
        else
            fail "resume after $2: exit $rc"
            return 0
        fi
    else
        # Killed before the run was logged: a fresh start is the recovery.
        expect 0 $TRAIN --db "$1" --json
        got=$(json_get weights_sha256 out)
    fi
    [ "$got" = "$REF" ] || fail "$2: resumed weights $got differ from $REF"
    [ -z "$(log_check "$1")" ] || fail "$2: $(log_check "$1")"
}

k=0
while [ "$k" -lt "$TRIALS" ] ||
      { [ "$KILLS_LANDED" -lt "$MIN_LANDED" ] && [ "$k" -lt $((3 * TRIALS)) ]; }; do
    k=$((k + 1))
    db=k$k.db
    run_killed "$SPAN" $TRAIN --db "$db"
    # The second kill of every other trial lands in a resume.
    if [ $((k % 2)) -eq 0 ] && "$NC_BIN" show 1 --db "$db" >/dev/null 2>&1; then
        run_killed "$HALF" resume 1 --db "$db"
    fi
    resume_check "$db" "trial $k"
done

# Inside a commit: paused in the commit of epoch 2..6 (the previous epoch's
# checkpoint is in the log, the new one in the open transaction), killed,
# then resumed. Tries up to three times should the kill miss the pause.
a=0
while [ "$KILLS_IN_COMMIT" -eq 0 ] && [ "$a" -lt 3 ]; do
    a=$((a + 1))
    db=c$a.db
    e=$(awk -v r="$(rand_below 5)" 'BEGIN { printf "%d", 2 + r }')
    kill_in_commit "$db" "$e" $TRAIN --db "$db" ||
        echo "    kill aimed at the commit of epoch $e missed it" >&2
    resume_check "$db" "kill in commit $e"
done
kills_enough "$MIN_LANDED"
echo "    all resumed runs bit-identical to $REF" >&2
finish
