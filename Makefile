# nasc — plain Makefile. Switches:
#   SAN=1     AddressSanitizer + UndefinedBehaviorSanitizer build (objects in build-san/)
#   NATIVE=1  -march=native (default: -march=x86-64-v3 with run-time picked AVX-512 paths)
#   DEBUG=1   -O0 -g
#   BUILD=dir out-of-tree object directory (default build/, or build-san/ with SAN=1)
CC      ?= cc
SAN     ?= 0
NATIVE  ?= 0
DEBUG   ?= 0

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

VERSION  := $(shell git describe --always --dirty 2>/dev/null || echo unknown)
CPPFLAGS := -I. -DNC_VERSION=\"$(VERSION)\" -D_GNU_SOURCE
CFLAGS   := -std=c11 $(OPT) $(ARCH) -g -Wall -Wextra -Wno-unused-parameter -pthread $(SANFLAGS) -MMD -MP
LDFLAGS  := -pthread $(SANFLAGS)
LDLIBS   := -lxgboost -llapacke -lopenblas -lsqlite3 -lcjson -lz -lm
CHECKLIBS := $(shell pkg-config --libs check 2>/dev/null || echo -lcheck -lsubunit -lrt)

LIBDIRS  := core core/ops core/kernels data store models supernet predictors search campaign train
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

.PHONY: all check check-unit check-cli bench clean
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
	@set -e; for t in tests/cli/*.sh; do echo "== $$t"; NC_BIN=$(BIN) sh $$t; done

bench: $(BIN) $(BENCHBIN)
	NC_BIN=$(BIN) NC_BUILD=$(BUILD) sh bench/run.sh

clean:
	rm -rf build build-san nasc

-include $(LIBOBJ:.o=.d) $(CLIOBJ:.o=.d) $(TESTBIN:=.d) $(TESTUTIL:.o=.d) $(BENCHBIN:=.d) $(BENCHUTIL:.o=.d)
