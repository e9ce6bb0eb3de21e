#!/bin/sh
# nasc proxies: CSV layout (official index, arch, one column per proxy,
# degenerate nets as -inf and named in flags), the ensembles, results that do
# not depend on --workers, noise and (if installed) Fashion-MNIST batches on
# small NB201 nets, a data set whose images do not fit the net, and bad flags.
set -eu
. "$(dirname "$0")/common.inc"

# A handful of cells, by official index and by string; the all-none cell is
# degenerate (no path from input to logits).
NONE='|none~0|+|none~0|none~1|+|none~0|none~1|none~2|'
cat >archs.txt <<EOT
# comment
1
9889

$NONE
|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|
EOT
SMALL="--nb201-c 4 --nb201-n 1"

expect 0 proxies --proxy synflow,params,flops --archs archs.txt --out a.csv
out_has "scored 4 architectures"
out_has "synflow: 1 degenerate"
"$PY" - a.csv "$NONE" <<'PY' || fail "data-free CSV: $(cat a.csv)"
import csv, math, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert list(rows[0].keys()) == ["index", "arch", "synflow", "params", "flops",
                                "flags"], rows[0].keys()
assert [r["index"] for r in rows][:2] == ["1", "9889"], rows
assert rows[0]["arch"].startswith("|nor_conv_3x3~0|+|nor_conv_3x3~0|"), rows[0]
none = rows[2]
assert none["arch"] == sys.argv[2] and none["synflow"] == "-inf", none
assert none["flags"] == "degenerate:synflow", none
# params are the benchmark's: index 1 has 0.802426 M.
assert abs(float(rows[0]["params"]) - 802426) < 1, rows[0]
assert all(math.isfinite(float(r["synflow"])) for r in rows if r is not none)
assert all(r["flags"] == "" for r in rows if r is not none)
PY

# Ensembles and data-dependent proxies on noise; the same CSV with 1 and 3
# workers (every score is a function of arch, seed and batch).
P=synflow,snip,jacob_cov,naswot,grad_norm,vote,mean_rank
expect 0 proxies --proxy $P --dataset noise --batch 8 $SMALL --sample 6 \
    --seed 3 --workers 1 --out w1.csv
expect 0 proxies --proxy $P --dataset noise --batch 8 $SMALL --sample 6 \
    --seed 3 --workers 3 --out w3.csv --json
cmp -s w1.csv w3.csv || fail "--workers 1 and 3 give different CSVs"
"$PY" - out w1.csv <<'PY' || fail "ensembles / --json: $(cat out)"
import csv, json, sys
o = json.loads(open(sys.argv[1]).read().splitlines()[-1])
assert o["archs"] == 6 and o["workers"] == 3 and o["dataset"] == "noise", o
assert o["columns"] == ["synflow", "snip", "jacob_cov", "naswot", "grad_norm",
                        "vote", "mean_rank"], o
assert o["batch"] == 8 and o["seconds"] >= 0, o
rows = list(csv.DictReader(open(sys.argv[2])))
assert len(rows) == 6
v = sorted(float(r["vote"]) for r in rows)
assert sum(v) == 6 * 5 / 2, v          # every pair hands out one point
m = [float(r["mean_rank"]) for r in rows]
assert abs(sum(m) - 6 * 7 / 2) < 1e-9, m
PY
# --sample 6 extends --sample 3 with the same seed.
expect 0 proxies --proxy params --sample 3 --seed 3 --out s3.csv
head -4 w1.csv | cut -d, -f1 >i6
cut -d, -f1 s3.csv | cmp -s - i6 || fail "--sample 3 is not a prefix of --sample 6"

# vote alone scores its members too.
expect 0 proxies --proxy vote --dataset noise --batch 4 $SMALL --archs archs.txt \
    --out v.csv
head -1 v.csv | grep -q '^index,arch,synflow,jacob_cov,snip,vote,flags$' ||
    fail "vote columns: $(head -1 v.csv)"
grep -F "$NONE" v.csv | grep -q 'degenerate:synflow;jacob_cov;snip' ||
    fail "degenerate flags: $(grep -F "$NONE" v.csv)"

# Fashion-MNIST batches (a tiny copy of the installed set).
if [ -d /usr/share/datasets/fashion-mnist ]; then
    make_data fm 20 10
    expect 0 proxies --proxy snip,fisher,gradsign --data-dir fm --batch 6 \
        $SMALL --sample 3 --out fm.csv --json
    [ "$(json_get dataset out)" = fashion-mnist ] || fail "fm: $(cat out)"
    [ "$(wc -l <fm.csv)" = 4 ] || fail "fm.csv: $(cat fm.csv)"
    expect 2 proxies --proxy snip --data-dir fm --batch 21 --sample 1 --out x.csv
    err_has "fewer than 21"
else
    echo "$NAME: Fashion-MNIST not installed, skipping its part"
fi

# A data set whose images are larger than the net's input: 40x40 IDX.
mkdir -p big
"$PY" - big <<'PY'
import struct, sys
d = sys.argv[1]
open(d + "/train-images-idx3-ubyte", "wb").write(
    struct.pack(">IIII", 0x803, 2, 40, 40) + bytes(2 * 1600))
open(d + "/train-labels-idx1-ubyte", "wb").write(
    struct.pack(">II", 0x801, 2) + bytes([1, 2]))
PY
expect 2 proxies --proxy snip --data-dir big --batch 2 --sample 1 --out x.csv
err_has "do not fit"
[ ! -e x.csv ] || fail "a failed run left x.csv behind"

# Bad flags.
expect 2 proxies --proxy synflow,bogus --sample 2 --out x.csv
err_has "unknown proxy 'bogus'"
err_has "gradsign"
err_has "mean_rank"
expect 2 proxies --proxy synflow,synflow --sample 2 --out x.csv
err_has "twice"
expect 2 proxies --sample 2 --out x.csv
err_has "--proxy"
expect 2 proxies --proxy synflow --sample 2
err_has "--out"
expect 2 proxies --proxy synflow --out x.csv
err_has "exactly one of"
expect 2 proxies --proxy synflow --all --sample 2 --out x.csv
err_has "exactly one of"
expect 2 proxies --proxy synflow --sample 0 --out x.csv
err_has "--sample"
expect 2 proxies --proxy synflow --sample 15626 --out x.csv
err_has "15625"
expect 2 proxies --proxy synflow --sample 2 --workers 0 --out x.csv
err_has "--workers"
expect 2 proxies --proxy snip --sample 2 --batch 0 --out x.csv
err_has "--batch"
expect 2 proxies --proxy snip --sample 2 --dataset cifar11 --out x.csv
err_has "unknown data set"
expect 2 proxies --proxy synflow --space nope --sample 2 --out x.csv
err_has "unknown space"
expect 2 proxies --proxy params --space mbv --all --out x.csv
err_has "cannot be enumerated"
expect 2 proxies --proxy params --space mbv --nb201-c 8 --sample 1 --out x.csv
err_has "nb201 only"
expect 2 proxies --proxy synflow --mean-rank-of synflow --sample 2 --out x.csv
err_has "without mean_rank"
expect 2 proxies --proxy synflow,mean_rank --mean-rank-of snip --sample 2 --out x.csv
err_has "'snip'"
expect 2 proxies --proxy synflow --sample 2 --bogus --out x.csv
err_has "--bogus"
expect 3 proxies --proxy synflow --archs missing.txt --out x.csv
err_has "missing.txt"
printf '1\n|nor_conv_3x3~0|+|oops|\n' >bad.txt
expect 3 proxies --proxy synflow --archs bad.txt --out x.csv
err_has "bad.txt:2"
printf '15625\n' >bad.txt
expect 3 proxies --proxy synflow --archs bad.txt --out x.csv
err_has "bad.txt:1"
expect 3 proxies --proxy synflow --sample 1 --out nodir/x.csv
err_has "nodir/x.csv"
expect 0 proxies --help
out_has "--workers"
finish
