#!/bin/sh
# The model file from the command line: a training run exported, inspected
# and run by `nasc infer` (the same accuracy and loss as `nasc eval`), and
# each kind of bad model file or argument refused with its exit code.
set -eu
. "$(dirname "$0")/common.inc"

make_data data 600 200
expect 0 train --model cnn --epochs 1 --batch 64 --valid 100 --threads 2 \
    --data-dir data --db r.db --quiet
expect 0 eval 1 --db r.db --json
ACC=$(json_get accuracy out)
LOSS=$(json_get loss out)

# export: a whole file, its SHA-256 the file's, the same bytes every time.
expect 0 export 1 --db r.db --out m.nasc --json
SHA=$(json_get sha256 out)
[ "$(sha256sum m.nasc | cut -d' ' -f1)" = "$SHA" ] ||
    fail "export: sha256 is not the file's"
[ "$(json_get bytes out)" = "$(wc -c < m.nasc)" ] || fail "export: bytes"
expect 0 export 1 --db r.db --out m2.nasc
cmp -s m.nasc m2.nasc || fail "export twice: different bytes"
ls ./*.tmp.* >/dev/null 2>&1 && fail "export left a temporary file"

# inspect: the run's net, its lineage, no zeros in a trained net.
expect 0 inspect m.nasc --json
"$PY" - out <<'PY' || fail "inspect --json fields"
import json, sys
o = json.loads(open(sys.argv[1]).read().splitlines()[-1])
assert o["input"] == [1, 28, 28] and o["classes"] == 10, o["input"]
assert o["lineage"]["source"] == "train" and o["lineage"]["run"] == 1
assert o["lineage"]["config"]["model"] == "cnn"
assert o["params"] == sum(n["params"] for n in o["graph"]) > 400000
assert o["zeros"] == 0 and o["sparsity"] == 0 and o["macs"] > 4e6
assert o["graph"][0]["op"] == "input" and o["graph"][1]["op"] == "conv2d"
assert len(o["mean"]) == 1 and o["std"][0] > 0
PY
expect 0 inspect m.nasc
out_has "conv2d"
out_has "$SHA"

# infer: at the run's batch and threads, the accuracy and loss of eval.
expect 0 infer m.nasc --data-dir data --batch 64 --threads 2 --repeats 3 --json
[ "$(json_get accuracy out)" = "$ACC" ] || fail "infer accuracy != eval's"
[ "$(json_get loss out)" = "$LOSS" ] || fail "infer loss != eval's"
[ "$(json_get samples out)" = 200 ] || fail "infer did not score 200"
"$PY" -c '
import json, sys
o = json.loads(open("out").read().splitlines()[-1])
assert 0 < o["latency_ms_min"] <= o["latency_ms"] <= o["latency_ms_max"], o
assert o["samples_per_s"] > 0 and o["batch"] == 64 and o["threads"] == 2, o
' || fail "infer latency fields"

# A scratch campaign's trial: its own training run, exported.
cat > camp.json <<'EOF'
{"space": "mlp", "dataset": "fashion-mnist", "data_dir": "data",
 "strategy": {"kind": "random"},
 "evaluator": {"kind": "scratch", "epochs": 1, "batch": 64, "valid": 100},
 "objectives": ["accuracy"], "budget": 2, "seed": "3", "threads": 1}
EOF
expect 0 search --config camp.json --db r.db --quiet --json
CAMP=$(json_get run out)
expect 0 export "$CAMP" --trial 1 --db r.db --out t.nasc --json
CHILD=$(json_get run out)
[ "$CHILD" != "$CAMP" ] || fail "export --trial: exported the campaign itself"
expect 0 eval "$CHILD" --db r.db --json
TACC=$(json_get accuracy out)
expect 0 inspect t.nasc --json
"$PY" -c '
import json
o = json.loads(open("out").read().splitlines()[-1])
assert o["lineage"]["config"]["model"] == "mlp", o["lineage"]
' || fail "export --trial: not the trial's mlp"
expect 0 infer t.nasc --data-dir data --batch 64 --threads 1 --repeats 1 --json
[ "$(json_get accuracy out)" = "$TACC" ] || fail "trial model: infer != eval"
expect 5 export "$CAMP" --trial 7 --db r.db --out u.nasc
err_has "no finished trial 7"
expect 2 export 1 --trial 0 --db r.db --out u.nasc
err_has "not a campaign"
expect 5 export "$CAMP" --db r.db --out u.nasc
err_has "--trial"
[ ! -e u.nasc ] || fail "a refused export wrote a file"

# Bad arguments and bad files.
expect 2 export 1 --db r.db
err_has "--out"
expect 4 export 9 --db r.db --out x.nasc
[ ! -e x.nasc ] || fail "a failed export wrote a file"
expect 3 export 1 --db r.db --out nodir/x.nasc
err_has "cannot write"
expect 2 inspect
err_has "missing FILE"
expect 3 inspect none.nasc
err_has "none.nasc"
expect 3 inspect r.db
err_has "not a nasc model file"
head -c 1000 m.nasc > cut.nasc
expect 3 inspect cut.nasc
err_has "cut short"
"$PY" -c '
import sys
b = bytearray(open("m.nasc", "rb").read()); b[8] = 2
open("new.nasc", "wb").write(b)
b = bytearray(open("m.nasc", "rb").read()); b[5000] ^= 1
open("flip.nasc", "wb").write(b)'
expect 3 infer new.nasc --data-dir data
err_has "version 2"
# A graph the builder refuses (conv kernel 255 on 28x28, checksum made
# right): a damaged file too.
"$PY" -c '
import hashlib
b = bytearray(open("m.nasc", "rb").read()); b[56 + 16 + 8 + 112 + 44] = 255
b[24:56] = hashlib.sha256(bytes(b[56:])).digest()
open("kernel.nasc", "wb").write(b)'
expect 3 inspect kernel.nasc
err_has "kernel 255"
expect 3 infer flip.nasc --data-dir data
err_has "damaged"
expect 2 infer m.nasc --batch 0
expect 2 infer m.nasc --dataset imagenet
expect 3 infer m.nasc --data-dir nodata

finish
