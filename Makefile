# selflabel: build, test, fuzz, bench, demo.
#
#   make            build every tool into bin/ (installs missing packages first)
#   make test       unit tests (with the fuzz corpus replay), shellcheck of the
#                   shell (tests/lint), bats tests
#   make fuzz       libFuzzer on every reader, FUZZ_SECONDS (60) each (clang;
#                   make test replays the stored corpus without it)
#   make bench      speed figures (prints ratios; never part of make test)
#   make demo       the self-labelling loop on a synthetic dataset
#   make install    copy bin/* to $(PREFIX)/bin
#
# Sources are found, not listed: lib/*.c make libselflabel.a, each tools/X.c
# is the program bin/X, each tests/unit/X.c a unit test, tests/tools/*.bats
# the command-line tests, each tests/fuzz/X.c a fuzz harness (its block below).

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DELETE_ON_ERROR:
.SUFFIXES:

PREFIX ?= /usr/local
CC ?= cc
CFLAGS ?= -O2 -g -march=native
PKGS := openblas zlib libpng
# Debian packages the build and tests need (checked by `make deps`).
DEBS := pkg-config zlib1g-dev libpng-dev libopenblas-dev bats shellcheck make gcc

# pkg-config runs inside recipes, after `deps` may have installed it.
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter -Ilib \
	$(shell pkg-config --cflags $(PKGS)) $(CFLAGS)
LIBS = $(shell pkg-config --libs $(PKGS)) -lm -lpthread

LIB_SRC := $(wildcard lib/*.c)
LIB_OBJ := $(LIB_SRC:lib/%.c=build/lib/%.o)
TOOL_SRC := $(wildcard tools/*.c)
TOOLS := $(TOOL_SRC:tools/%.c=bin/%)
UNIT_SRC := $(wildcard tests/unit/*.c)
UNITS := $(UNIT_SRC:tests/unit/%.c=build/tests/%)
LIBA := build/libselflabel.a

.PHONY: all deps test unit bats lint bench demo install clean
all: deps $(TOOLS) $(UNITS)

# Install what is missing: apt-get as root, otherwise print the command.
deps:
	@missing=""; for p in $(DEBS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing:$$missing"; \
	    DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq$$missing >/dev/null; \
	  else \
	    echo "missing packages; run: sudo apt-get install -y$$missing" >&2; exit 1; \
	  fi; \
	fi
	@pkg-config --exists $(PKGS) || { echo "pkg-config cannot find: $(PKGS)" >&2; exit 1; }

# After deps ran, flags are read again so a first build on a fresh machine works.
build/lib/%.o: lib/%.c | deps
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(LIBA): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

bin/%: tools/%.c $(LIBA)
	@mkdir -p $(@D) build/tools
	$(CC) $(ALL_CFLAGS) -MMD -MP -MF build/tools/$*.d \
	  -o $@ $< $(LIBA) $(LIBS)

build/tests/%: tests/unit/%.c $(LIBA)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP -o $@ $< $(LIBA) $(LIBS)

-include $(LIB_OBJ:.o=.d) $(TOOL_SRC:tools/%.c=build/tools/%.d) $(UNITS:=.d)

# One BLAS thread per tool in tests: bats runs several at once.
# tests/run prints one closing line: "tests: N passed, N failed, N skipped".
test: all
	@OPENBLAS_NUM_THREADS=1 bash tests/run $(UNITS)

unit: all
	@OPENBLAS_NUM_THREADS=1 bash tests/run --unit-only $(UNITS)

bats: all
	@OPENBLAS_NUM_THREADS=1 bash tests/run --bats-only

lint: deps
	@bash tests/lint

bench: all
	@bash tests/bench/run

demo: all
	@bash pipelines/demo

install: all
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 755 $(TOOLS) $(DESTDIR)$(PREFIX)/bin

clean:
	rm -rf build bin

# ---- fuzzing: make fuzz, and the corpus replay inside make test -----------
# tests/fuzz/NAME.c is a libFuzzer harness of one reader (LLVMFuzzerTestOneInput),
# tests/fuzz/corpus/NAME its stored corpus (minimised), tests/fuzz/regress/NAME
# inputs kept as they are (those that once made a reader fail, boundary cases). `make test` runs build/tests/fuzz-NAME: the harness
# linked with tests/fuzz/replay.c by $(CC), like a unit test (no clang needed),
# which feeds it both folders. `make fuzz` builds build/fuzz/NAME with clang
# -fsanitize=fuzzer,address,undefined and runs each harness FUZZ_SECONDS on its
# corpus (tests/fuzz/run): new inputs go to build/fuzz/work/NAME (merged into
# the stored corpus with FUZZ_MERGE=1), crashes to build/fuzz/crash/NAME.
# FUZZ=NAME... picks harnesses. `make fuzz-seeds` remakes the stored corpus
# from the test fixtures (tests/fuzz/seeds), minimised with -merge=1.
FUZZ_SRC := $(filter-out tests/fuzz/replay.c,$(wildcard tests/fuzz/*.c))
FUZZ_NAMES := $(FUZZ_SRC:tests/fuzz/%.c=%)
FUZZ_REPLAYS := $(FUZZ_NAMES:%=build/tests/fuzz-%)
UNITS += $(FUZZ_REPLAYS)
all: $(FUZZ_REPLAYS)

build/tests/fuzz/%.o: tests/fuzz/%.c | deps
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

build/tests/fuzz/replay-%.o: tests/fuzz/replay.c | deps
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -DFUZZ_NAME='"$*"' -MMD -MP -c -o $@ $<

$(FUZZ_REPLAYS): build/tests/fuzz-%: build/tests/fuzz/%.o build/tests/fuzz/replay-%.o $(LIBA)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LIBS)

FUZZ_SECONDS ?= 60
FUZZ_MERGE ?= 0
FUZZ ?= $(FUZZ_NAMES)
FUZZ_CC ?= clang
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS = -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter -Ilib \
	$(shell pkg-config --cflags $(PKGS)) -O1 -g $(FUZZ_SAN)
FUZZ_OBJ := $(LIB_SRC:lib/%.c=build/fuzz/lib/%.o)
FUZZ_BINS := $(FUZZ_NAMES:%=build/fuzz/%)

.PHONY: fuzz fuzz-deps fuzz-seeds
# clang and its runtime libraries (Debian: clang, libclang-rt-dev), as `make deps`.
fuzz-deps:
	@$(MAKE) --no-print-directory deps DEBS="clang libclang-rt-dev"

# A file clang cannot compile (GCC vector builtins: the convolution kernels,
# which no reader uses) is built by $(CC) as usual, without instrumentation.
build/fuzz/lib/%.o: lib/%.c | deps fuzz-deps
	@mkdir -p $(@D)
	@echo "$(FUZZ_CC) ... -c -o $@ $<"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $< 2>/dev/null || \
	{ echo "  (clang cannot compile $<: built by $(CC) without fuzzing instrumentation)"; \
	  $(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<; }

build/fuzz/libselflabel.a: $(FUZZ_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(FUZZ_BINS): build/fuzz/%: tests/fuzz/%.c build/fuzz/libselflabel.a
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -MMD -MP -o $@ $< build/fuzz/libselflabel.a $(LIBS)

fuzz: $(FUZZ:%=build/fuzz/%)
	@nice bash tests/fuzz/run $(FUZZ_SECONDS) $(FUZZ_MERGE) $(FUZZ)

fuzz-seeds: all $(FUZZ:%=build/fuzz/%)
	@bash tests/fuzz/seeds $(FUZZ)

-include $(FUZZ_NAMES:%=build/tests/fuzz/%.d) $(FUZZ_NAMES:%=build/tests/fuzz/replay-%.d) \
	$(FUZZ_OBJ:.o=.d) $(FUZZ_BINS:=.d)
