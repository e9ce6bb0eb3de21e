#!/bin/sh
# Zero-cost help in a predictive campaign: the warm-up trials are recorded
# with origin "warmup"; a campaign killed with SIGKILL at random points and
# resumed (its proxy scores recomputed, nothing else given) stores exactly
# the trials of an uninterrupted one; a proxy that needs data is refused.
# Runs on a synthetic table of all 15,625 NB201 cells (no ../shared needed).
set -eu
. "$(dirname "$0")/common.inc"

"$PY" - "$ROOT/examples/campaigns/nb201_table_predictive_zc.json" <<'PY'
import itertools, json, sys
ops = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]
with open("table.csv", "w") as f:
    f.write("arch,valid,test\n")
    for k, g in enumerate(itertools.product(range(5), repeat=6)):
        e = [ops[i] for i in g]
        arch = "|%s~0|+|%s~0|%s~1|+|%s~0|%s~1|%s~2|" % tuple(e)
        # Learnable, with a small irregular part; conv edges score best.
        v = sum((3, 1, 6, 10, 2)[i] for i in g) + (k * 2654435761 % 1000) / 1000
        f.write("%s,%.4f,%.4f\n" % (arch, v, v - 1))
c = json.load(open(sys.argv[1]))
c["evaluator"].update(file="table.csv", select="valid", report="test")
c["dataset"] = "fashion-mnist"          # 1x28x28 nets: cheaper to score
c["strategy"].update(init=8, candidates=40, zc_pool=40, zc_proxy="params")
c["budget"] = 400     # about a second or more: long enough to kill part-way
c["threads"] = 1
json.dump(c, open("zc.json", "w"), indent=1)
c["strategy"]["zc_proxy"] = "snip"
json.dump(c, open("snip.json", "w"), indent=1)
PY

START=$(date +%s.%N)
expect 0 search --config zc.json --db ref.db --json
END=$(date +%s.%N)
[ "$(json_get trials out)" = 400 ] || fail "reference: $(cat out)"
SPAN=$(awk -v a="$START" -v b="$END" 'BEGIN { printf "%.3f", b - a }')
expect 0 report --db ref.db --csv ref.csv --top 0
sed 's/,[^,]*$//' ref.csv >ref.cut
[ "$(grep -c ',warmup,' ref.cut)" -eq 8 ] || fail "not 8 warm-up trials: $(head -3 ref.cut)"
[ "$(grep -c ',predicted,' ref.cut)" -eq 392 ] || fail "not 392 predicted trials"

# Kills 1-3 anywhere (the warm-up scoring included), 4-8 in the second half,
# where the predictor ranks candidates.
HALF=$(awk -v s="$SPAN" 'BEGIN { printf "%.3f", s / 2 }')
MID=0
for k in 1 2 3 4 5 6 7 8; do
    db=k$k.db
    if [ "$k" -le 3 ]; then
        d=$(rand_below "$SPAN")
    else
        d=$(awk -v h="$HALF" -v r="$(rand_below "$HALF")" 'BEGIN { printf "%.3f", h + r }')
    fi
    "$NC_BIN" search --config zc.json --db "$db" --quiet >/dev/null 2>&1 \
        </dev/null &
    pid=$!
    sleep "$d"
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    if ! "$NC_BIN" status 1 --db "$db" --json >st 2>/dev/null; then
        expect 0 search --config zc.json --db "$db" --quiet
    else
        n=$(json_get trials st)
        echo "    kill $k after ${d}s: $n trials stored" >&2
        [ "$n" -gt 0 ] && [ "$n" -lt 400 ] && MID=$((MID + 1))
        rc=0
        "$NC_BIN" resume 1 --db "$db" --quiet >/dev/null 2>err </dev/null ||
            rc=$?
        if [ "$rc" -ne 0 ] && [ "$rc" -ne 5 ]; then
            fail "resume after kill $k: exit $rc"
            continue
        fi
    fi
    expect 0 report 1 --db "$db" --csv got.csv --top 0
    sed 's/,[^,]*$//' got.csv >got.cut
    cmp -s ref.cut got.cut ||
        fail "kill $k: resumed trials differ from the uninterrupted campaign"
done
echo "    $MID of 8 kills landed mid-campaign" >&2
[ "$MID" -gt 0 ] || fail "no kill landed mid-campaign"

expect 2 search --config snip.json --db bad.db
err_has "'snip' needs a batch of data"
finish
