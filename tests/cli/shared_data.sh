#!/bin/sh
# How the shell tests find the reference data (shared_file in common.inc):
# from the repository, whatever the working directory; a missing table skips
# with a line naming where it looked, but fails under NC_REQUIRE_DATA=1; a
# wrong NC_SHARED_DATA or an unreadable table fails. Runs a small script
# that uses common.inc from a copy of tests/cli/ in a fake repository.
set -eu
. "$(dirname "$0")/common.inc"

mkdir -p with/repo/tests/cli without/repo/tests/cli with/shared/data/nb201 cwd
for d in with without; do
    cp "$ROOT/tests/cli/common.inc" $d/repo/tests/cli/
    cat >$d/repo/tests/cli/probe.sh <<'PROBE'
set -eu
. "$(dirname "$0")/common.inc"
shared_file nb201/nb201.csv
echo "probe: found $SHARED"
PROBE
done
echo "arch,x" >with/shared/data/nb201/nb201.csv

# probe WANT DIR [VAR=VALUE...]: runs DIR's probe.sh from cwd/ (neither the
# repository nor its parent) with only the given variables of the two, and
# checks its exit status; its output in $T/out.
probe() {
    want=$1
    script=$T/$2/repo/tests/cli/probe.sh
    shift 2
    rc=0
    (cd cwd && env -u NC_SHARED_DATA -u NC_REQUIRE_DATA "$@" \
        sh "$script" >"$T/out" 2>&1) || rc=$?
    if [ "$rc" -ne "$want" ]; then
        fail "probe.sh of $script with '$*': exit $rc, expected $want"
        sed 's/^/    /' "$T/out" >&2
    fi
}

probe 0 with
out_has "probe: found $T/with/repo/../shared/data/nb201/nb201.csv"
probe 0 with NC_REQUIRE_DATA=1
probe 0 without
out_has "skipped: no $T/without/repo/../shared/data/nb201/nb201.csv"
probe 1 without NC_REQUIRE_DATA=1
out_has "NC_REQUIRE_DATA=1"
probe 1 without NC_REQUIRE_DATA=yes
# A wrong NC_SHARED_DATA fails even where the default place has the table.
probe 1 with NC_SHARED_DATA=/nonexistent
out_has "/nonexistent/nb201/nb201.csv"
probe 1 with NC_SHARED_DATA=
# A right one is used (relative to where the script was started).
probe 0 without NC_SHARED_DATA=../with/shared/data NC_REQUIRE_DATA=1
out_has "probe: found $T/cwd/../with/shared/data/nb201/nb201.csv"
# Present but not readable as a table: empty, or a folder.
: >with/shared/data/nb201/nb201.csv
probe 1 with
out_has "not a readable, non-empty file"
rm with/shared/data/nb201/nb201.csv
mkdir with/shared/data/nb201/nb201.csv
probe 1 with

finish
