#!/bin/sh
# Option parsing: bad numbers, unknown options, bad names and architectures
# are usage errors (exit 2) that name the option, and create no run log.
set -eu
. "$(dirname "$0")/common.inc"

# bad OPTION VALUE: nasc train rejects it, naming the option and the value.
bad() {
    expect 2 train --model mlp "$1" "$2" --db bad.db
    err_has "$1"
    err_has "'$2'"
}

for v in abc 12x "" " 3" 0 -1 1.5 99999999999999999999; do
    bad --epochs "$v"
done
err_has "expected an integer in [1, 100000]"
for v in abc -5 0 3.0; do
    bad --batch "$v"
done
for v in abc nan inf -inf 0 -0.1 1e999 0x; do
    bad --lr "$v"
done
for v in -0.1 1 1.5 nan; do
    bad --momentum "$v"
done
bad --weight-decay -1
bad --weight-decay abc
bad --warmup -1
bad --valid -1
bad --valid x
bad --nb201-c 0
bad --nb201-n 0
bad --threads 0
bad --threads two
bad --seed -1
bad --seed 18446744073709551616
bad --seed 1e3

# The message is the documented one, with the range of the field.
expect 2 train --epochs abc
grep -qF "nasc train: --epochs: expected an integer in [1, 100000], got 'abc'" err ||
    fail "wrong message for --epochs abc"

# Unknown options and missing values, for every command.
for c in train resume eval runs show; do
    expect 2 "$c" --no-such-option 1
    err_has "unknown option"
    err_has "--no-such-option"
    err_has "nasc $c"
done
expect 2 train -x
err_has "-x"
expect 2 train --epochs
err_has "--epochs"
err_has "needs a value"
expect 2 train --json=1
err_has "--json"
expect 2 train --n 3
err_has "ambiguous"
expect 2 train stray-argument
err_has "stray-argument"
expect 2 runs stray-argument
err_has "stray-argument"

# RUN operands: missing, not a positive integer, or more than one.
for c in resume eval show; do
    expect 2 "$c" --db any.db
    err_has "missing RUN"
    for v in abc 0 1x ""; do
        expect 2 "$c" "$v" --db any.db
        err_has "RUN"
    done
    expect 2 "$c" -3 --db any.db    # reads as an option, still exit 2
    expect 2 "$c" 1 2 --db any.db
    err_has "'2'"
done

# Names the library does not know: a usage error naming the option.
expect 2 train --model transformer --db bad.db
err_has "--model"
err_has "transformer"
expect 2 train --optimizer lbfgs --db bad.db
err_has "lbfgs"
expect 2 train --schedule wavy --db bad.db
err_has "wavy"
expect 2 train --dataset imagenet --db bad.db
err_has "imagenet"
expect 2 train --model mlp --arch '|skip_connect~0|' --db bad.db
err_has "arch"
expect 2 train --model nb201 --db bad.db
err_has "arch"
expect 2 train --epochs 1000000 --db bad.db
err_has "--epochs"

# None of the above may have created a run log.
[ ! -e bad.db ] || fail "a usage error created the run log"
[ ! -e any.db ] || fail "a usage error created the run log"

# A malformed architecture string is found when the model is built, after
# the data set is read: it is still a usage error, saying what is wrong.
make_data data 100 20
expect 2 train --model nb201 --arch 'garbage' --data-dir data --epochs 1 \
    --db arch.db
err_has "arch"
err_has "garbage"
expect 2 train --arch \
    '|nor_conv_3x3~0|+|nor_conv_9x9~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|' \
    --data-dir data --epochs 1 --db arch.db
err_has "nor_conv_9x9"
expect 2 train --model nb201 \
    --arch '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|' \
    --data-dir data --epochs 1 --db arch.db
err_has "arch"

finish
