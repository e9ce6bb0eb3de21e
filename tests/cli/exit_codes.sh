#!/bin/sh
# The documented exit codes, for every command that takes --db: a run log
# that is not SQLite, damaged, another program's, edited, read-only, locked
# or missing is a run-log error (exit 4) whose message names the file and
# quotes no SQL; a missing or damaged data file is a data error (exit 3).
# Readers of a read-only or write-locked log still work (exit 0), as
# store/store.h promises: only what needs to write fails there.
set -eu
. "$(dirname "$0")/common.inc"

if [ ! -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
    echo "$NAME: skipped (dataset-fashion-mnist not installed)"
    exit 0
fi
make_data data 200 50

# A table campaign on a synthetic NB201 table (no ../shared needed).
"$PY" - "$ROOT/examples/campaigns/nb201_table_evolution.json" <<'PY'
import itertools, json, os, sys
ops = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]
with open("table.csv", "w") as f:
    f.write("arch,valid,test\n")
    for k, g in enumerate(itertools.product(range(5), repeat=6)):
        e = tuple(ops[i] for i in g)
        v = sum((3, 1, 6, 10, 2)[i] for i in g) + (k * 2654435761 % 1000) / 1000
        f.write("|%s~0|+|%s~0|%s~1|+|%s~0|%s~1|%s~2|,%.4f,%.4f\n" % (e + (v, v - 1)))
c = json.load(open(sys.argv[1]))
c["evaluator"].update(file=os.path.abspath("table.csv"), select="valid",
                      report="test")
c["budget"] = 20
json.dump(c, open("camp.json", "w"))
c["evaluator"]["file"] = os.path.abspath("no-such-table.csv")
json.dump(c, open("notable.json", "w"))
PY

# The commands that take --db, each with arguments that work on good.db:
# run 1 is a training run, run 2 a campaign.
WRITERS="train search darts resume"
READERS="runs show eval status report export"
DARTS="--data-dir data --valid 64 --train-samples 64 --epochs 1 --batch 16 --nb201-c 4 --nb201-n 1 --pt-epochs 1 --eval 32 --threads 1"
args() {
    case $1 in
    train) echo "train --model mlp --epochs 1 --batch 50 --data-dir data --quiet --db $2" ;;
    search) echo "search --config camp.json --quiet --db $2" ;;
    darts) echo "darts $DARTS --quiet --db $2" ;;
    resume) echo "resume 1 --quiet --db $2" ;;
    runs) echo "runs --db $2" ;;
    show) echo "show 1 --db $2" ;;
    eval) echo "eval 1 --db $2" ;;
    status) echo "status 2 --db $2" ;;
    report) echo "report 2 --db $2" ;;
    export) echo "export 1 --out exported.nasc --db $2" ;;
    esac
}

expect 0 $(args train good.db)
expect 0 $(args search good.db)
# Run 1 made resumable: stopped after epoch 1 of 2.
cp good.db part.db
"$PY" - part.db <<'PY'
import json, sqlite3, sys
c = sqlite3.connect(sys.argv[1])
cfg = json.loads(c.execute("SELECT config_json FROM runs WHERE id = 1").fetchone()[0])
cfg["epochs"] = 2
c.execute("UPDATE runs SET config_json = ?, status = 'running' WHERE id = 1",
          (json.dumps(cfg),))
c.commit()
PY
for c in $WRITERS $READERS; do
    cp part.db ok.db
    expect 0 $(args "$c" ok.db)
done

# no_sql: the last stderr quotes no SQL (statements, SQLite's syntax
# errors, constraint texts or its own table names).
no_sql() {
    if grep -qE '\b(SELECT|INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|PRAGMA|BEGIN|COMMIT|ROLLBACK|FROM|WHERE|VALUES)\b|near "|syntax error|constraint failed|sqlite_|SQL logic' "$T/err"; then
        fail "nasc $LAST: SQL in the message"
    fi
}

# bad_log DB CMDS: each command on DB exits 4 naming DB, without SQL.
bad_log() {
    db=$1
    shift
    for c in "$@"; do
        expect 4 $(args "$c" "$db")
        err_has "$db"
        no_sql
    done
}

# Not SQLite at all: text, random bytes.
echo "this is not a database" >text.db
bad_log text.db $WRITERS $READERS
err_has "not a SQLite database"
head -c 65536 /dev/urandom >random.db
bad_log random.db $WRITERS $READERS

# A run log cut short, and one whose table pages were overwritten (the
# schema page intact, so the damage shows only when a table is read).
head -c 6000 good.db >cut.db
bad_log cut.db $WRITERS $READERS
err_has "damaged"
cp part.db pages.db
"$PY" -c '
import sys
with open(sys.argv[1], "r+b") as f:
    f.seek(4096)
    f.write(bytes([0xA5]) * 4096 * 11)' pages.db
bad_log pages.db $WRITERS $READERS
err_has "damaged"

# Only the pages of the checkpoint blobs damaged: the run reads, its
# checkpoint does not, during the work of eval and resume.
cp part.db ckpt.db
"$PY" - ckpt.db <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
name = c.execute("SELECT name FROM dbstat GROUP BY name ORDER BY sum(payload) DESC LIMIT 1").fetchone()[0]
pages = [r[0] for r in c.execute("SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'overflow'", (name,))]
size = c.execute("PRAGMA page_size").fetchone()[0]
c.close()
assert len(pages) > 10, pages
with open(sys.argv[1], "r+b") as f:
    for p in pages:
        f.seek((p - 1) * size)
        f.write(bytes([0x5A]) * size)
PY
bad_log ckpt.db eval resume
err_has "checkpoint"
for c in runs show; do
    expect 0 $(args "$c" ckpt.db)
done

# Another program's SQLite files: one with tables, one that only set its
# application id.
"$PY" -c '
import sqlite3
c = sqlite3.connect("foreign.db")
c.execute("CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url TEXT)")
c.execute("INSERT INTO moz_places (url) VALUES (?)", ("https://example.org",))
c.commit()
c = sqlite3.connect("appid.db")
c.execute("PRAGMA application_id = 1598903374")
c.commit()'
bad_log foreign.db $WRITERS $READERS
err_has "not a nasc run log"
bad_log appid.db $WRITERS $READERS

# A run log edited by another program: the table of the checkpoints gone.
cp part.db edited.db
"$PY" - edited.db <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
name = c.execute("SELECT name FROM dbstat GROUP BY name ORDER BY sum(payload) DESC LIMIT 1").fetchone()[0]
c.execute('DROP TABLE "%s"' % name)
c.commit()
PY
bad_log edited.db eval resume

# Missing: nothing is created by the commands that only read or resume.
bad_log missing.db resume $READERS
[ ! -e missing.db ] || fail "a command created the missing run log"

# Read-only. Root writes to a mode-444 file anyway (CAP_DAC_OVERRIDE), so
# as root the commands run with that capability dropped from every set.
RO=""
if [ "$(id -u)" -eq 0 ]; then
    CAPS=-dac_override,-dac_read_search,-fowner,-linux_immutable
    if setpriv --inh-caps="$CAPS" --bounding-set="$CAPS" true 2>/dev/null; then
        printf '#!/bin/sh\nexec setpriv --inh-caps=%s --bounding-set=%s "%s" "$@"\n' \
            "$CAPS" "$CAPS" "$NC_BIN" >ro-nasc
        chmod +x ro-nasc
        RO=$T/ro-nasc
    else
        echo "$NAME: read-only cases skipped (running as root, and setpriv cannot drop CAP_DAC_OVERRIDE)"
    fi
else
    RO=$NC_BIN
fi
if [ -n "$RO" ]; then
    SAVED=$NC_BIN
    NC_BIN=$RO
    # In a writable folder: reading works, writing fails.
    for c in $WRITERS; do
        cp part.db ro-$c.db
        chmod 444 ro-$c.db
        bad_log ro-$c.db "$c"
        err_has "read-only"
    done
    cp part.db ro.db
    chmod 444 ro.db
    for c in $READERS; do
        expect 0 $(args "$c" ro.db)
    done
    # In a read-only folder as well: not even readable, since a WAL-mode
    # log needs its -shm file beside it.
    mkdir rodir
    cp part.db rodir/r.db
    chmod 444 rodir/r.db
    chmod 555 rodir
    bad_log rodir/r.db $WRITERS $READERS
    NC_BIN=$SAVED
fi

# Locked by another process: one holding a write transaction (writers wait
# out the 10 s busy timeout, readers go on), and one holding the file in
# exclusive locking mode (nobody gets in). The commands run side by side,
# so the waits overlap.
cat >lock.py <<'PY'
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
if sys.argv[2] == "exclusive":
    c.execute("PRAGMA locking_mode = EXCLUSIVE")
    c.execute("BEGIN EXCLUSIVE")
else:
    c.execute("BEGIN IMMEDIATE")
open(sys.argv[1] + ".held", "w").close()
time.sleep(60)
PY
LOCKERS=""
for m in write exclusive; do
    cp part.db $m.db
    "$PY" lock.py $m.db $m &
    LOCKERS="$LOCKERS $!"
done
i=0
while [ ! -e write.db.held ] || [ ! -e exclusive.db.held ]; do
    i=$((i + 1))
    [ "$i" -lt 300 ] || { fail "the lockers did not start"; break; }
    sleep 0.1
done
for m in write exclusive; do
    for c in $WRITERS $READERS; do
        (rc=0; "$NC_BIN" $(args "$c" $m.db) >out.$m.$c 2>err.$m.$c \
            </dev/null || rc=$?; echo "$rc" >rc.$m.$c) &
    done
done
wait_all() {
    for c in $WRITERS $READERS; do
        for m in write exclusive; do
            while [ ! -e rc.$m.$c ]; do sleep 0.2; done
        done
    done
}
wait_all
for p in $LOCKERS; do
    kill "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
done
for m in write exclusive; do
    for c in $WRITERS $READERS; do
        want=4
        [ "$m" = write ] && case " $READERS " in *" $c "*) want=0 ;; esac
        cp err.$m.$c "$T/err"
        LAST="$c on the $m-locked $m.db"
        got=$(cat rc.$m.$c)
        [ "$got" -eq "$want" ] || fail "nasc $LAST: exit $got, expected $want"
        if [ "$want" -eq 4 ]; then
            err_has "$m.db"
            err_has "lock"
            no_sql
        fi
    done
done
: >"$T/err"

# Data errors are 3: a truncated data file for the commands that read
# --data-dir, the run's own data directory damaged for eval and resume, a
# missing table for a campaign.
mkdir trunc
cp data/* trunc/
head -c 5000 data/train-images-idx3-ubyte >trunc/train-images-idx3-ubyte
expect 3 train --model mlp --epochs 1 --data-dir trunc --db d.db
err_has "train-images-idx3-ubyte"
expect 3 darts $(echo "$DARTS" | sed 's/--data-dir data/--data-dir trunc/') --db d.db
err_has "train-images-idx3-ubyte"
mkdir own
cp data/* own/
expect 0 train --model mlp --epochs 1 --batch 50 --data-dir own --db own.db
"$PY" - own.db <<'PY'
import json, sqlite3, sys
c = sqlite3.connect(sys.argv[1])
cfg = json.loads(c.execute("SELECT config_json FROM runs WHERE id = 1").fetchone()[0])
cfg["epochs"] = 2
c.execute("UPDATE runs SET config_json = ?, status = 'running' WHERE id = 1",
          (json.dumps(cfg),))
c.commit()
PY
head -c 3000 data/t10k-images-idx3-ubyte >own/t10k-images-idx3-ubyte
expect 3 eval 1 --db own.db
err_has "t10k-images-idx3-ubyte"
head -c 3000 data/train-images-idx3-ubyte >own/train-images-idx3-ubyte
expect 3 resume 1 --db own.db
err_has "train-images-idx3-ubyte"
expect 3 search --config notable.json --db d.db
err_has "no-such-table.csv"

finish
