#!/bin/sh
# make install into a temporary prefix: binary, library, public headers,
# nasc.pc and the man page are in place; every installed header compiles on
# its own and nasc.h includes them all; the man page covers every command
# and option; examples/frontdoor.c builds against the install through
# pkg-config and runs; make uninstall leaves no file behind. Uses the
# objects of the suite's build (NC_BUILD, NC_SAN from make check-cli), so
# nothing is rebuilt.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/cli/common.inc"

: "${NC_BUILD:?set NC_BUILD to the build folder (make check-cli does)}"
NC_SAN=${NC_SAN:-0}
P="$T/prefix"
# The test runs inside make check: the sub-make must not inherit its flags
# (a -j without the jobserver, or the caller's variables).
unset MAKEFLAGS MFLAGS MAKELEVEL || true
mk() {
    make -C "$ROOT" --no-print-directory BUILD="$NC_BUILD" SAN="$NC_SAN" \
        PREFIX="$P" "$@" >"$T/make.out" 2>&1
}

mk install || { sed 's/^/    make: /' "$T/make.out" | tail -20 >&2; fail "make install"; }
if grep -q -- ' -c -o \|^ar ' "$T/make.out"; then
    grep -- ' -c -o ' "$T/make.out" | head -3 | sed 's/^/    make: /' >&2
    fail "make install rebuilt objects"
fi

[ -x "$P/bin/nasc" ] || fail "no bin/nasc"
[ -f "$P/lib/libnasc.a" ] || fail "no lib/libnasc.a"
[ -f "$P/lib/pkgconfig/nasc.pc" ] || fail "no lib/pkgconfig/nasc.pc"
[ -f "$P/share/man/man1/nasc.1" ] || fail "no share/man/man1/nasc.1"
INC="$P/include/nasc"
for h in nasc.h core/ctx.h core/net.h models/models.h train/train.h \
         store/store.h campaign/campaign.h search/strategy.h \
         supernet/space.h predictors/proxy.h data/dataset.h; do
    [ -f "$INC/$h" ] || fail "header $h not installed"
done
for h in store/sql.h predictors/predictor_int.h search/strategy_int.h \
         supernet/supernet_int.h core/ops/ops.h train/ckpt.h; do
    [ ! -e "$INC/$h" ] || fail "private header $h installed"
done
"$P/bin/nasc" --version >/dev/null || fail "installed nasc --version"

# Each public header stands alone (it includes what it uses, and nothing
# private), and the front door includes every one of them.
(cd "$INC" && find . -name '*.h' | sed 's|^\./||' | sort) >"$T/headers"
while read -r h; do
    printf '#include "%s"\n' "$h" >"$T/one.c"
    cc -std=c11 -fsyntax-only -I"$INC" "$T/one.c" 2>"$T/err" ||
        fail "installed header $h does not compile on its own"
    [ "$h" = nasc.h ] || grep -q "^#include \"$h\"" "$INC/nasc.h" ||
        fail "nasc.h does not include $h (include it there, or make it" \
             "private: PRIVHDR in the Makefile)"
done <"$T/headers"

# The man page: roff that formats, naming every command of nasc --help and,
# in each command's section, every option of its --help.
MAN="$P/share/man/man1/nasc.1"
grep -q '^\.TH NASC 1' "$MAN" || fail "nasc.1 has no .TH NASC 1 line"
if command -v groff >/dev/null 2>&1; then
    groff -man -ww -z "$MAN" 2>"$T/err" && [ ! -s "$T/err" ] ||
        fail "nasc.1: groff warnings"
fi
"$P/bin/nasc" --help | awk '/^Commands:/ { on = 1; next } on && NF == 0 { exit }
    on { print $1 }' >"$T/commands"
[ -s "$T/commands" ] || fail "no commands parsed from nasc --help"
sed 's/\\-/-/g' "$MAN" >"$T/man.txt"
while read -r c; do
    awk -v h=".SS \"nasc $c" 'index($0, h " ") == 1 || index($0, h "\"") == 1 {
        on = 1; next } on && /^\.S[SH] / { exit } on' "$T/man.txt" >"$T/section"
    if [ ! -s "$T/section" ]; then
        fail "nasc.1 has no section for command '$c'"
        continue
    fi
    # Up to the exit status table, which every help repeats.
    for o in $("$P/bin/nasc" "$c" --help | sed '/^Exit status/,$d' |
               grep -o -- '--[a-z][a-z0-9-]*' | sort -u); do
        [ "$o" = --help ] && continue
        grep -qE -- "(^|[^a-z-])$o([^a-z0-9-]|\$)" "$T/section" ||
            fail "nasc.1: the section of '$c' does not name $o"
    done
done <"$T/commands"

# The front door, built as a user would, run on a small data set.
PCF=$(PKG_CONFIG_PATH="$P/lib/pkgconfig" pkg-config --cflags --libs nasc) ||
    fail "pkg-config --cflags --libs nasc"
case $PCF in *"-I$INC"*) ;; *) fail "pkg-config Cflags lack -I$INC" ;; esac
cc -std=c11 -Wall -Wextra -o "$T/frontdoor" "$ROOT/examples/frontdoor.c" $PCF \
    2>"$T/err" || fail "examples/frontdoor.c does not build against the install"
make_data data 300 100
if [ -x "$T/frontdoor" ]; then
    "$T/frontdoor" fd.db data >"$T/out" 2>"$T/err" || fail "frontdoor failed"
    out_has "parameters"
    out_has "test accuracy"
    out_has "campaign"
    expect 0 runs --db fd.db --json
    "$PY" -c '
import json
a = json.loads(open("out").read().splitlines()[-1])
kinds = sorted(r["kind"] for r in a)
assert kinds == ["search", "train", "train", "train"], kinds
assert all(r["status"] == "done" for r in a), a
' || fail "frontdoor: run log does not hold 3 training runs and a campaign"
fi

# Uninstall takes away every file install put there.
mk uninstall || fail "make uninstall"
left=$(find "$P" -type f -o -type l | head -5)
[ -z "$left" ] || fail "left after uninstall: $left"
[ ! -e "$INC" ] || fail "include/nasc left after uninstall"

# DESTDIR stages the same tree elsewhere, still configured for PREFIX.
S="$T/stage"
mk install DESTDIR="$S" || fail "make install DESTDIR"
[ -x "$S$P/bin/nasc" ] || fail "DESTDIR: no bin/nasc under the stage"
grep -qx "prefix=$P" "$S$P/lib/pkgconfig/nasc.pc" 2>/dev/null ||
    fail "DESTDIR: nasc.pc prefix is not PREFIX"
[ ! -e "$P/bin/nasc" ] || fail "DESTDIR: installed outside the stage"
mk uninstall DESTDIR="$S" || fail "make uninstall DESTDIR"
left=$(find "$S" -type f -o -type l | head -5)
[ -z "$left" ] || fail "DESTDIR: left after uninstall: $left"

finish
