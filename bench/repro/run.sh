#!/bin/bash
# bench/repro/run.sh OLD NEW OUT: do two nasc binaries give the same results?
#
# Meant for refactorings that must change no result (issue 9): build the
# old commit in a worktree, then
#
#   git worktree add /tmp/old 71bdbfb && make -C /tmp/old -j2
#   bench/repro/run.sh /tmp/old/nasc ./nasc /tmp/repro
#
# It cuts Fashion-MNIST to 2,000 training and 500 test samples (in OUT/data)
# and runs with each binary: training runs (mlp, cnn, nb201; 1 and 2
# threads; Adam, step schedule, augmentation, warm-up), DARTS runs (first
# and second order, with and without DARTS-PT), and campaigns (table,
# inherited and scratch evaluators; evolution, NSGA-II, predictive with and
# without zero-cost warm-up; the latency objective). Training and DARTS runs
# are compared on their --json result and `nasc show --json` without timing
# fields and without the fields a newer run log adds (owner, reason,
# progress, parent, tag); campaigns trial by trial (cmpcamp.py), with their
# supernet epochs and checkpoints, and a scratch campaign's training runs
# (cmpchild.py). One line per case; a line with DIFF is a changed result.
# The table campaigns need ../shared/data/nb201/nb201.csv (or
# NC_SHARED_DATA); without it they are skipped with a line that says so.
set -u
[ $# -eq 3 ] || { echo "usage: $0 OLD_NASC NEW_NASC OUT" >&2; exit 2; }
OLD=$(realpath "$1"); NEW=$(realpath "$2"); OUT=$3
HERE=$(cd "$(dirname "$0")" && pwd); ROOT=$(cd "$HERE/../.." && pwd)
PY=/usr/bin/python3
mkdir -p "$OUT"/train "$OUT"/darts "$OUT"/camp && OUT=$(realpath "$OUT")
D=$OUT/data
TABLE=${NC_SHARED_DATA:-$ROOT/../shared/data}/nb201/nb201.csv

mkdir -p "$D"
"$PY" - "$D" 2000 500 <<'PY'
import gzip, struct, sys
src = "/usr/share/datasets/fashion-mnist/"
out, ntrain, ntest = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def cut(name, n):
    with gzip.open(src + name + ".gz") as f:
        head = f.read(4)
        nd = struct.unpack(">I", head)[0] & 0xff
        dims = list(struct.unpack(">%dI" % nd, f.read(4 * nd)))
        rec = 1
        for x in dims[1:]:
            rec *= x
        body = f.read(n * rec)
    dims[0] = n
    with open(out + "/" + name, "wb") as f:
        f.write(head + struct.pack(">%dI" % nd, *dims) + body)
for name, n in (("train-images-idx3-ubyte", ntrain), ("train-labels-idx1-ubyte", ntrain),
                ("t10k-images-idx3-ubyte", ntest), ("t10k-labels-idx1-ubyte", ntest)):
    cut(name, n)
PY

norm() { "$PY" "$HERE/norm.py" "$1"; }
bin() { [ "$1" = old ] && echo "$OLD" || echo "$NEW"; }

# same KIND NAME ARGS: one command (train or darts) with both binaries.
same() {
    local kind=$1 name=$2 dir=$OUT/$1; shift 2
    for v in old new; do
        rm -f "$dir/$name.$v.db"
        "$(bin $v)" "$kind" --data-dir "$D" "$@" --db "$dir/$name.$v.db" \
            --json --quiet > "$dir/$name.$v.json" 2> "$dir/$name.$v.err" ||
            echo "$kind $name: $v exited $?"
        "$(bin $v)" show 1 --db "$dir/$name.$v.db" --json > "$dir/$name.$v.show"
    done
    local r=same s=same
    cmp -s <(norm "$dir/$name.old.json") <(norm "$dir/$name.new.json") || r=DIFF
    cmp -s <(norm "$dir/$name.old.show") <(norm "$dir/$name.new.show") || s=DIFF
    echo "$kind $name: result $r, show $s"
}

NB="|nor_conv_3x3~0|+|skip_connect~0|nor_conv_1x1~1|+|avg_pool_3x3~0|none~1|nor_conv_3x3~2|"
same train mlp_t1 --model mlp --epochs 4 --threads 1
same train mlp_t2 --model mlp --epochs 4 --threads 2
same train mlp_adam_step --model mlp --epochs 3 --optimizer adam --lr 0.002 \
    --schedule step --step-epochs 1 --step-gamma 0.5 --valid 300 \
    --train-samples 1000 --threads 2 --seed 7
same train cnn_t1 --model cnn --epochs 3 --threads 1
same train cnn_t2 --model cnn --epochs 3 --threads 2
same train cnn_aug_warm --model cnn --epochs 3 --augment --warmup 1 \
    --valid 200 --threads 2 --seed 3
same train nb201_t1 --arch "$NB" --nb201-c 4 --nb201-n 1 --epochs 2 \
    --train-samples 500 --threads 1
same train nb201_t2 --arch "$NB" --nb201-c 4 --nb201-n 1 --epochs 2 \
    --train-samples 500 --threads 2

DC="--valid 200 --train-samples 400 --eval 200 --nb201-c 4 --nb201-n 1 --batch 32"
same darts o1_pt1 $DC --epochs 2 --pt-epochs 1 --threads 2
same darts o2_pt0 $DC --epochs 2 --order 2 --pt-epochs 0 --threads 1 --seed 5
same darts o1_ptoff $DC --epochs 1 --pt-epochs -1 --threads 2 --seed 9 \
    --a-lr 0.003 --w-lr 0.05

C=$OUT/camp
# The four table campaigns are the examples, with the table's path made
# absolute.
for ex in nb201_table_evolution nb201_table_nsga2 nb201_table_predictive \
          nb201_table_predictive_zc; do
    "$PY" -c 'import json, sys
c = json.load(open(sys.argv[1])); c["evaluator"]["file"] = sys.argv[2]
json.dump(c, open(sys.argv[3], "w"), indent=1)' \
        "$ROOT/examples/campaigns/$ex.json" "$TABLE" "$C/$ex.json"
done
cat > "$C/inh_nb201_evo.json" <<EOF
{"space": "nb201", "dataset": "fashion-mnist", "data_dir": "$D",
 "supernet": {"kind": "spos", "epochs": 2, "batch": 64, "nb201_c": 4, "nb201_n": 1,
              "train_samples": 1200, "valid": 400, "recal_samples": 100, "eval_samples": 300},
 "strategy": {"kind": "evolution", "population": 10, "sample": 3},
 "evaluator": {"kind": "inherited", "select": "valid_acc", "report": "test_acc"},
 "objectives": ["accuracy"], "budget": 60, "seed": "1", "threads": 2}
EOF
cat > "$C/inh_mbv_nsga2.json" <<EOF
{"space": "mbv", "dataset": "fashion-mnist", "data_dir": "$D",
 "supernet": {"kind": "spos", "epochs": 1, "batch": 64, "train_samples": 400, "valid": 300,
              "recal_samples": 64, "eval_samples": 200},
 "strategy": {"kind": "nsga2", "population": 6, "crossover": 0.9},
 "evaluator": {"kind": "inherited", "select": "valid_acc", "report": "test_acc"},
 "objectives": ["accuracy", "latency"], "latency_table": "$ROOT/results/latency_mbv_table.csv",
 "budget": 24, "seed": "1", "threads": 2}
EOF
cat > "$C/scratch_mlp_evo.json" <<EOF
{"space": "mlp", "dataset": "fashion-mnist", "data_dir": "$D",
 "strategy": {"kind": "evolution", "population": 6, "sample": 3},
 "evaluator": {"kind": "scratch", "epochs": 1, "batch": 64, "valid": 300},
 "objectives": ["accuracy", "params"], "budget": 40, "seed": "3", "threads": 2}
EOF
cat > "$C/scratch_nb201_evo.json" <<EOF
{"space": "nb201", "dataset": "fashion-mnist", "data_dir": "$D",
 "strategy": {"kind": "evolution", "population": 4, "sample": 2},
 "evaluator": {"kind": "scratch", "epochs": 1, "batch": 128, "valid": 1500},
 "objectives": ["accuracy"], "budget": 8, "seed": "1", "threads": 2}
EOF

for f in "$C"/*.json; do
    b=${f%.json}; name=$(basename "$b")
    case $name in *.old|*.new) continue ;; esac
    case $name in nb201_table_*)
        [ -r "$TABLE" ] || { echo "campaign $name: skipped, no $TABLE"; continue; } ;;
    esac
    for v in old new; do
        rm -f "$b.$v.db"
        "$(bin $v)" search --config "$f" --db "$b.$v.db" --json --quiet \
            > "$b.$v.json" 2> "$b.$v.err" || echo "campaign $name: $v exited $?"
        "$(bin $v)" report 1 --db "$b.$v.db" --csv "$b.$v.csv" --top 0 > /dev/null
        "$(bin $v)" show 1 --db "$b.$v.db" --json > "$b.$v.show"
    done
    echo "campaign $name:"
    "$PY" "$HERE/cmpcamp.py" "$b.old.csv" "$b.new.csv" "$b.old.db" "$b.new.db" | sed 's/^/  /'
    ep=same ck=same
    cmp -s <("$PY" "$HERE/norm.py" "$b.old.show" epochs) \
           <("$PY" "$HERE/norm.py" "$b.new.show" epochs) || ep=DIFF
    [ "$(sqlite3 "$b.old.db" 'SELECT epoch, sha256 FROM checkpoints WHERE run_id = 1')" = \
      "$(sqlite3 "$b.new.db" 'SELECT epoch, sha256 FROM checkpoints WHERE run_id = 1')" ] || ck=DIFF
    echo "  supernet epochs $ep, supernet checkpoints $ck"
    case $name in scratch_*)
        "$PY" "$HERE/cmpchild.py" "$b.old.db" "$b.new.db" | sed 's/^/  /' ;;
    esac
done
