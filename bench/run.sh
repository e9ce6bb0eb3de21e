#!/bin/sh
# make bench: nasc against PyTorch (Debian's python3-torch) on this machine,
# in one run. For every model and mode, nasc and PyTorch are measured back to
# back (PyTorch at 1 and 2 threads, nasc at 1 and 2), each as the median of
# REPEATS timed repeats, and the whole sweep is done ROUNDS times, alternating
# the order, so that the machine's noise hits both sides alike. The report
# (results/bench.md) takes the median over rounds.
#
#   NC_BUILD=build sh bench/run.sh            # or: make bench
#   ROUNDS=1 MODELS="cnn" sh bench/run.sh     # a quick look
#   FIRST_ROUND=2 ROUNDS=2 sh bench/run.sh    # add a round to earlier ones
set -eu
cd "$(dirname "$0")/.."
B=${NC_BUILD:-build}
ROUNDS=${ROUNDS:-3}
FIRST_ROUND=${FIRST_ROUND:-1}
REPEATS=${REPEATS:-5}
MODELS=${MODELS:-"mlp cnn nb201"}
MODES=${MODES:-"train infer"}
PY=/usr/bin/python3
OUT=results/bench
RAW=$OUT/raw
mkdir -p "$RAW"
[ "$FIRST_ROUND" -gt 1 ] || rm -f "$RAW"/*.json

$PY -c 'import torch' 2>/dev/null || {
    echo "bench: Debian's python3-torch is needed (apt-get install python3-torch)" >&2
    exit 1
}

"$B/bench/sgemm_peak" 2048 7 >"$RAW/sgemm_peak.json"
r=$FIRST_ROUND
while [ "$r" -le "$ROUNDS" ]; do
    for m in $MODELS; do
        for mode in $MODES; do
            # Alternate which side goes first from round to round.
            if [ $((r % 2)) -eq 1 ]; then order="nasc torch"; else order="torch nasc"; fi
            for fw in $order; do
                for t in 1 2; do
                    f="$RAW/${fw}_${m}_${mode}_t${t}_r${r}.json"
                    if [ "$fw" = nasc ]; then
                        "$B/bench/bench_nasc" --model "$m" --mode "$mode" \
                            --threads "$t" --repeats "$REPEATS" >"$f"
                    else
                        $PY bench/torch_bench.py --model "$m" --mode "$mode" \
                            --threads "$t" --repeats "$REPEATS" --json >"$f"
                    fi
                    echo "round $r: $fw $m $mode threads=$t done" >&2
                done
            done
        done
    done
    r=$((r + 1))
done
$PY bench/report.py "$RAW" >"$OUT/../bench.md"
cat results/bench.md
