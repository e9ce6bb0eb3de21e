#!/bin/sh
# Help texts, version, and the usage errors of the top-level dispatcher.
set -eu
. "$(dirname "$0")/common.inc"

expect 0 --help
for c in train resume eval runs show; do
    out_has "$c"
done
out_has "Exit status"
expect 0 -h
expect 0 help
expect 0 --version
out_has "nasc "

for c in train resume eval runs show; do
    expect 0 "$c" --help
    out_has "Usage: nasc $c"
    out_has "--db"
    out_has "--json"
    out_has "Exit status"
    expect 0 "$c" -h
    expect 0 help "$c"
    out_has "Usage: nasc $c"
done

# Every train option is described, with its default.
expect 0 train --help
for o in --model --arch --dataset --data-dir --epochs --batch --lr \
         --momentum --weight-decay --no-nesterov --optimizer --schedule \
         --warmup --valid --augment --nb201-c --nb201-n --seed --threads \
         --db --json --quiet --help; do
    out_has "$o"
done
out_has "default 10"
out_has "default runs.db"
expect 0 eval --help
out_has "--valid"

# No command, unknown command, unknown top-level option, bad help topic.
expect 2
err_has "Usage"
expect 2 frobnicate
err_has "unknown command"
err_has "frobnicate"
expect 2 --frobnicate
err_has "unknown option"
expect 2 help frobnicate
err_has "frobnicate"

# A help request must not touch the run log.
[ ! -e runs.db ] || fail "--help created runs.db"

finish
