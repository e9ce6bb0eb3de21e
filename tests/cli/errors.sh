#!/bin/sh
# Data errors exit 3 naming the file or directory; run-log errors exit 4.
set -eu
. "$(dirname "$0")/common.inc"

make_data data 200 50

# Missing data directory: exit 3, with the path in the message.
expect 3 train --model mlp --epochs 1 --data-dir "$T/no/such/dir" --db r.db
err_has "$T/no/such/dir"
[ ! -e r.db ] || fail "a run log created by a failed train was left behind"

# A data directory without the files.
mkdir empty
expect 3 train --model mlp --epochs 1 --data-dir empty --db r.db
err_has "empty/"

# Truncated plain IDX file.
mkdir trunc
cp data/* trunc/
head -c 5000 data/train-images-idx3-ubyte >trunc/train-images-idx3-ubyte
expect 3 train --model mlp --epochs 1 --data-dir trunc --db r.db
err_has "train-images-idx3-ubyte"
err_has "truncated"

# Truncated gzip IDX file (the .gz name is read first).
mkdir truncgz
cp data/* truncgz/
gzip -c data/t10k-labels-idx1-ubyte | head -c 30 >truncgz/t10k-labels-idx1-ubyte.gz
expect 3 train --model mlp --epochs 1 --data-dir truncgz --db r.db
err_has "t10k-labels-idx1-ubyte.gz"
err_has "truncated"

# Wrong magic number.
mkdir badmagic
cp data/* badmagic/
printf 'JUNK' | dd of=badmagic/train-labels-idx1-ubyte conv=notrunc 2>/dev/null
expect 3 train --model mlp --epochs 1 --data-dir badmagic --db r.db
err_has "train-labels-idx1-ubyte"

# --db is a text file, a directory, or (for reading commands) missing.
echo "this is not a database" >text.db
expect 4 train --model mlp --epochs 1 --data-dir data --db text.db
err_has "text.db"
for c in runs; do
    expect 4 "$c" --db text.db
    err_has "text.db"
done
for c in show eval resume; do
    expect 4 "$c" 1 --db text.db
    err_has "text.db"
done
mkdir dir.db
expect 4 train --model mlp --epochs 1 --data-dir data --db dir.db
err_has "dir.db"
expect 4 runs --db missing.db
err_has "missing.db"
[ ! -e missing.db ] || fail "runs created a missing run log"
expect 4 show 1 --db missing.db
expect 4 eval 1 --db missing.db
expect 4 resume 1 --db missing.db

# A run that does not exist, in a run log that does.
expect 0 train --model mlp --epochs 1 --batch 50 --data-dir data --db r.db
for c in show eval resume; do
    expect 4 "$c" 999 --db r.db
    err_has "not found"
    err_has "999"
done

# A run log from a newer nasc, another program's SQLite file, and a
# checkpoint whose bytes were changed on disk: exit 4, saying which.
cp r.db newer.db
"$PY" -c 'import sqlite3; c = sqlite3.connect("newer.db"); c.execute("PRAGMA user_version = 99"); c.commit()'
expect 4 runs --db newer.db
err_has "version"
"$PY" -c 'import sqlite3; c = sqlite3.connect("foreign.db"); c.execute("CREATE TABLE t (x)"); c.commit()'
expect 4 runs --db foreign.db
err_has "not a nasc"
cp r.db corrupt.db
"$PY" -c '
import sqlite3
c = sqlite3.connect("corrupt.db")
(b,) = c.execute("SELECT blob FROM checkpoints").fetchone()
b = bytearray(b); b[len(b) // 2] ^= 0xFF
c.execute("UPDATE checkpoints SET blob = ?", (bytes(b),)); c.commit()'
expect 4 eval 1 --db corrupt.db
err_has "sha256 mismatch"
expect 0 eval 1 --db r.db
# A run without any checkpoint (killed in its first epoch) has nothing to
# evaluate yet: a run-state error.
cp r.db nockpt.db
"$PY" -c 'import sqlite3; c = sqlite3.connect("nockpt.db"); c.execute("DELETE FROM checkpoints"); c.commit()'
expect 5 eval 1 --db nockpt.db
err_has "no checkpoint"

# The run keeps its data directory as an absolute path: eval works from
# elsewhere, and data that has gone since is a data error (exit 3).
mkdir elsewhere
(cd elsewhere && "$NC_BIN" eval 1 --db ../r.db >/dev/null 2>&1) ||
    fail "eval from another directory failed"
rm -r data
expect 3 eval 1 --db r.db
err_has "data"

finish
