# nasc — plain Makefile. Switches:
#   SAN=1     AddressSanitizer + UndefinedBehaviorSanitizer build (objects in build-san/)
#   FUZZ=1    clang build for libFuzzer with ASan + UBSan (objects in build-fuzz/);
#             `make fuzz` builds and runs the fuzz targets, FUZZ_RUNS=N executions
#   NATIVE=1  -march=native (default: -march=x86-64-v3 with run-time picked AVX-512 paths)
#   DEBUG=1   -O0 -g
#   BUILD=dir out-of-tree object directory (default build/, or build-san/ with SAN=1)
#   PREFIX=dir  where `make install` puts nasc (default /usr/local); DESTDIR=dir
#               stages the install under dir (packaging), as usual
CC      ?= cc
SAN     ?= 0
FUZZ    ?= 0
NATIVE  ?= 0
DEBUG   ?= 0

ifeq ($(FUZZ),1)
CC      := clang
BUILD   ?= build-fuzz
endif
ifeq ($(SAN),1)
BUILD   ?= build-san
else
BUILD   ?= build
endif

OPT      := -O3
ifeq ($(DEBUG),1)
OPT      := -O0 -g
endif
ARCH     := -mavx2 -mfma
ifeq ($(NATIVE),1)
ARCH     := -march=native
endif
SANFLAGS :=
ifeq ($(SAN),1)
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
OPT      := -O1 -g
endif
ifeq ($(FUZZ),1)
SANFLAGS := -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
OPT      := -O1 -g
endif

VERSION  := $(shell git describe --always --dirty 2>/dev/null || echo unknown)
CPPFLAGS := -I. -DNC_VERSION=\"$(VERSION)\" -D_GNU_SOURCE
CFLAGS   := -std=c11 $(OPT) $(ARCH) -g -Wall -Wextra -Wno-unused-parameter -pthread $(SANFLAGS) -MMD -MP
LDFLAGS  := -pthread $(SANFLAGS)
LDLIBS   := -lxgboost -llapacke -lopenblas -lsqlite3 -lcjson -lz -lm
CHECKLIBS := $(shell pkg-config --libs check 2>/dev/null || echo -lcheck -lsubunit -lrt)

LIBDIRS  := core core/ops core/kernels data store run models supernet predictors search campaign train export prune
LIBSRC   := $(foreach d,$(LIBDIRS),$(wildcard $(d)/*.c))
LIBOBJ   := $(LIBSRC:%.c=$(BUILD)/%.o)
CLISRC   := $(wildcard cli/*.c)
CLIOBJ   := $(CLISRC:%.c=$(BUILD)/%.o)
TESTSRC  := $(wildcard tests/test_*.c)
TESTBIN  := $(TESTSRC:tests/%.c=$(BUILD)/tests/%)
TESTUTIL := $(BUILD)/tests/util/testutil.o
BENCHSRC := $(wildcard bench/*.c)
BENCHBIN := $(BENCHSRC:bench/%.c=$(BUILD)/bench/%)
BENCHUTIL := $(BUILD)/bench/util/zc_csv.o

LIB      := $(BUILD)/libnasc.a
BIN      := $(BUILD)/nasc

.PHONY: all check check-unit check-cli bench clean fuzz fuzz-run
all: $(BIN) nasc

# A stable path for scripts and the README, whatever BUILD is.
nasc: $(BIN)
	ln -sf $(BIN) nasc

$(LIB): $(LIBOBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(BIN): $(CLIOBJ) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $(CLIOBJ) $(LIB) $(LDLIBS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

# The tests find the reference data (../shared) from the repository's root,
# whatever directory they run in.
$(BUILD)/tests/util/testutil.o: tests/util/testutil.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -DNC_TEST_ROOT='"$(CURDIR)"' $(CFLAGS) -c -o $@ $<

$(BUILD)/tests/%: $(BUILD)/tests/%.o $(TESTUTIL) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $< $(TESTUTIL) $(LIB) $(CHECKLIBS) $(LDLIBS)

$(BUILD)/bench/%: $(BUILD)/bench/%.o $(BENCHUTIL) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $< $(BENCHUTIL) $(LIB) $(LDLIBS)

# Unit and integration tests (Check), then the tests that run the real binary.
check: check-unit check-cli

check-unit: $(TESTBIN)
	@set -e; for t in $(TESTBIN); do echo "== $$t"; NC_BUILD=$(BUILD) $$t; done

check-cli: $(BIN)
	@set -e; for t in tests/cli/*.sh; do echo "== $$t"; NC_BIN=$(BIN) NC_BUILD=$(BUILD) NC_SAN=$(SAN) sh $$t; done

bench: $(BIN) $(BENCHBIN)
	NC_BIN=$(BIN) NC_BUILD=$(BUILD) sh bench/run.sh

# Fuzzing (tests/fuzz/README.md): the reader of every file format nasc
# reads from users, under libFuzzer with ASan and UBSan, from a seed corpus
# the seed writer makes. FUZZ_RUNS executions per target (-runs; seed 1).
FUZZ_RUNS ?= 10000000
FUZZ_TARGETS := mfile

$(BUILD)/tests/fuzz/fuzz_%: $(BUILD)/tests/fuzz/fuzz_%.o $(LIB)
	$(CC) $(LDFLAGS) -fsanitize=fuzzer -o $@ $< $(LIB) $(LDLIBS)

$(BUILD)/tests/fuzz/%_seeds: $(BUILD)/tests/fuzz/%_seeds.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

fuzz:
	$(MAKE) FUZZ=1 fuzz-run

fuzz-run: $(FUZZ_TARGETS:%=$(BUILD)/tests/fuzz/fuzz_%) $(FUZZ_TARGETS:%=$(BUILD)/tests/fuzz/%_seeds)
	@set -e; for t in $(FUZZ_TARGETS); do \
	  c=$(BUILD)/fuzz/$$t; rm -rf $$c; mkdir -p $$c; \
	  $(BUILD)/tests/fuzz/$${t}_seeds $$c; \
	  echo "== fuzz $$t: $(FUZZ_RUNS) runs"; \
	  $(BUILD)/tests/fuzz/fuzz_$$t -runs=$(FUZZ_RUNS) -seed=1 -rss_limit_mb=4096 \
	    -print_final_stats=1 $$c; done

clean:
	rm -rf build build-san build-fuzz nasc

# Installation, as a C tool: the binary, the static library with its public
# headers (under include/nasc/, in their folders, so the headers' own
# "core/net.h" includes resolve with -I$(PREFIX)/include/nasc), a pkg-config
# file and the man page. Static only: a shared library would need every
# object built with -fPIC, a second build of the whole library.
# Private headers (shared only inside one folder) are not installed.
PREFIX   ?= /usr/local
DESTDIR  ?=
BINDIR   := $(PREFIX)/bin
LIBDIR   := $(PREFIX)/lib
INCDIR   := $(PREFIX)/include/nasc
MAN1DIR  := $(PREFIX)/share/man/man1
PCDIR    := $(LIBDIR)/pkgconfig
PRIVHDR  := %_int.h store/sql.h core/ops/% core/kernels/% train/ckpt.h
PUBHDR   := nasc.h $(filter-out $(PRIVHDR),$(foreach d,$(LIBDIRS),$(wildcard $(d)/*.h)))
# The library is static, so its users link what it links; an instrumented
# (SAN=1) library needs the sanitizer runtimes too.
PCLIBS   := -L$${libdir} -lnasc $(LDLIBS) -pthread $(filter -fsanitize=%,$(SANFLAGS))

.PHONY: install uninstall
install: $(BIN) $(LIB)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(PCDIR) $(DESTDIR)$(MAN1DIR)
	install -m 755 $(BIN) $(DESTDIR)$(BINDIR)/nasc
	install -m 644 $(LIB) $(DESTDIR)$(LIBDIR)/libnasc.a
	@set -e; for h in $(PUBHDR); do \
	  install -d $(DESTDIR)$(INCDIR)/$$(dirname $$h); \
	  install -m 644 $$h $(DESTDIR)$(INCDIR)/$$h; \
	done; echo "installed $(words $(PUBHDR)) headers in $(DESTDIR)$(INCDIR)"
	install -m 644 docs/nasc.1 $(DESTDIR)$(MAN1DIR)/nasc.1
	printf '%s\n' 'prefix=$(PREFIX)' 'libdir=$(LIBDIR)' 'includedir=$(PREFIX)/include' '' \
	  'Name: nasc' 'Description: neural architecture search on the CPU: nets, training, search campaigns, run log' \
	  'Version: $(VERSION)' 'Cflags: -I$${includedir}/nasc -pthread' 'Libs: $(PCLIBS)' \
	  > $(DESTDIR)$(PCDIR)/nasc.pc

# Removes the files install puts in place, then the folders of include/nasc
# left empty; the standard folders (bin, lib, ...) stay.
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/nasc $(DESTDIR)$(LIBDIR)/libnasc.a $(DESTDIR)$(PCDIR)/nasc.pc \
	  $(DESTDIR)$(MAN1DIR)/nasc.1 $(addprefix $(DESTDIR)$(INCDIR)/,$(PUBHDR))
	if [ -d $(DESTDIR)$(INCDIR) ]; then find $(DESTDIR)$(INCDIR) -depth -type d -empty -delete; fi

-include $(LIBOBJ:.o=.d) $(CLIOBJ:.o=.d) $(TESTBIN:=.d) $(TESTUTIL:.o=.d) $(BENCHBIN:=.d) $(BENCHUTIL:.o=.d)
