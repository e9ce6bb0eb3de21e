#!/bin/sh
# nasc search / status / report / resume of a campaign: the example table
# campaign runs; the same campaign killed with SIGKILL at random points and
# resumed stores exactly the trials of an uninterrupted one (none lost, none
# twice); bad campaign files and resuming a finished campaign are refused
# with the documented exit codes.
set -eu
. "$(dirname "$0")/common.inc"

shared_file nb201/nb201.csv
CSV=$SHARED

# The example, with its table path made absolute (we run in a temp dir).
"$PY" - "$ROOT/examples/campaigns/nb201_table_evolution.json" "$CSV" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["evaluator"]["file"] = sys.argv[2]
json.dump(c, open("example.json", "w"), indent=1)
c["budget"] = 3000   # long enough (about a second) to kill part-way
json.dump(c, open("big.json", "w"), indent=1)
PY

expect 0 search --config example.json --db ex.db --json
[ "$(json_get unique out)" = 150 ] || fail "example: $(cat out)"
# Evolution proposes some architectures twice; those are answered from the
# cache, stored as trials that spend no budget.
[ "$(json_get trials out)" -ge 150 ] || fail "example: $(cat out)"
expect 0 status --db ex.db --json
[ "$(json_get status out)" = done ] || fail "status: $(cat out)"
expect 0 report 1 --db ex.db --top 5 --pareto
out_has "top 5 by accuracy"
out_has "pareto front (1 trials)"
expect 0 report 1 --db ex.db --svg plot.svg --top 0
"$PY" -c 'import xml.etree.ElementTree as E, sys; r = E.parse("plot.svg").getroot(); sys.exit(0 if sum(1 for e in r.iter() if e.tag.endswith("circle")) >= 150 else 1)' ||
    fail "plot.svg is not an SVG with a dot per trial"
expect 5 resume 1 --db ex.db
err_has "run 1 is already done"

# The reference: the uninterrupted campaign, timed for the kill points.
START=$(date +%s.%N)
expect 0 search --config big.json --db ref.db --quiet
END=$(date +%s.%N)
SPAN=$(awk -v a="$START" -v b="$END" 'BEGIN { printf "%.3f", b - a }')
expect 0 report --db ref.db --csv ref.csv --top 0
# Every column but the last (seconds, the only timing column).
sed 's/,[^,]*$//' ref.csv >ref.cut
[ "$(wc -l <ref.cut)" -gt 3000 ] || fail "reference has $(wc -l <ref.cut) lines"

MID=0
for k in 1 2 3 4 5 6 7 8 9 10; do
    db=k$k.db
    d=$(rand_below "$SPAN")
    "$NC_BIN" search --config big.json --db "$db" --quiet >/dev/null 2>&1 \
        </dev/null &
    pid=$!
    sleep "$d"
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    if ! "$NC_BIN" status 1 --db "$db" --json >st 2>/dev/null; then
        # Killed before the run existed: nothing to resume.
        expect 0 search --config big.json --db "$db" --quiet
    else
        n=$(json_get unique st)
        echo "    kill $k after ${d}s: $n architectures stored" >&2
        [ "$n" -gt 0 ] && [ "$n" -lt 3000 ] && MID=$((MID + 1))
        rc=0
        "$NC_BIN" resume 1 --db "$db" --quiet >/dev/null 2>err </dev/null ||
            rc=$?
        if [ "$rc" -ne 0 ] && [ "$rc" -ne 5 ]; then
            fail "resume after kill $k: exit $rc"
            continue
        fi
    fi
    expect 0 status 1 --db "$db" --json
    [ "$(json_get status out)" = done ] || fail "kill $k: not done"
    expect 0 report 1 --db "$db" --csv got.csv --top 0
    sed 's/,[^,]*$//' got.csv >got.cut
    cmp -s ref.cut got.cut ||
        fail "kill $k: resumed trials differ from the uninterrupted campaign"
done
echo "    $MID of 10 kills landed mid-campaign" >&2
[ "$MID" -gt 0 ] || fail "no kill landed mid-campaign"

# Bad campaign files: exit 2 naming what is wrong; a missing file exit 3.
"$PY" - <<'PY'
import json
c = json.load(open("example.json"))
c["strategy"]["kind"] = "annealing"
json.dump(c, open("badstrat.json", "w"))
c = json.load(open("example.json"))
del c["budget"]
json.dump(c, open("nobudget.json", "w"))
c = json.load(open("example.json"))
c["evaluator"] = {"kind": "inherited"}
c["supernet"] = {"kind": "spos"}
c["space"] = "mlp"

json.dump(c, open("inherited.json", "w"))
PY
expect 2 search --config badstrat.json --db bad.db
err_has "annealing"
expect 2 search --config nobudget.json --db bad.db
err_has "budget"
expect 3 search --config missing.json --db bad.db
err_has "missing.json"
expect 2 search --config inherited.json --db bad.db
err_has "needs a space with a supernet"
expect 2 search --db bad.db
err_has "--config"
expect 4 status 7 --db ex.db
expect 5 resume 1 --db ref.db
finish
