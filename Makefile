# selflabel: build, test, bench, demo.
#
#   make            build every tool into bin/ (installs missing packages first):
#                   one binary for every x86-64 CPU, its kernels built for
#                   each instruction set and chosen at run time (lib/isa.h)
#   make test       unit tests, shellcheck of the shell (tests/lint), bats tests
#   make bench      speed figures (prints ratios; never part of make test)
#   make demo       the self-labelling loop on a synthetic dataset
#   make install    copy bin/* to $(PREFIX)/bin
#
# Sources are found, not listed: lib/*.c make libselflabel.a, each tools/X.c
# is the program bin/X, each tests/unit/X.c a unit test, tests/tools/*.bats
# the command-line tests.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DELETE_ON_ERROR:
.SUFFIXES:

PREFIX ?= /usr/local
CC ?= cc
CFLAGS ?= -O2 -g
PKGS := openblas zlib libpng
# Debian packages the build and tests need (checked by `make deps`).
DEBS := pkg-config zlib1g-dev libpng-dev libopenblas-dev bats shellcheck make gcc

# pkg-config runs inside recipes, after `deps` may have installed it.
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter -Ilib \
	$(shell pkg-config --cflags $(PKGS)) $(CFLAGS)
LIBS = $(shell pkg-config --libs $(PKGS)) -lm -lpthread

LIB_SRC := $(wildcard lib/*.c)
LIB_OBJ := $(LIB_SRC:lib/%.c=build/lib/%.o)

# ---- one binary, every x86-64 CPU: the kernels per instruction set --------
# The program is built for the baseline (CFLAGS; no -march by default: any
# x86-64). The kernel group ISA_SRC is compiled once per set in ISAS, with
# CFLAGS and then the set's ISA_FLAGS_<set> (the last -march wins, so a
# -march in CFLAGS sets the rest of the program, never a set's kernels),
# into build/isa/<set>/*.o, where its functions are named NAME_<set>
# (lib/isa_names.h); lib/isa.c picks a set once at start-up by cpuid,
# capped by SELFLABEL_ISA. A file whose code depends on the vector width
# (vec.h, __AVX*__, fp-contract) belongs in ISA_SRC.
ISAS := generic avx2 avx512
ISA_FLAGS_generic := -march=x86-64
ISA_FLAGS_avx2 := -march=x86-64-v3
ISA_FLAGS_avx512 := -march=x86-64-v4
ISA_SRC := lib/kernels.c lib/winograd.c lib/winograd_rows.c lib/winograd_avx512.c \
	lib/winograd_avx2.c lib/winograd_generic.c lib/conv_direct.c lib/layers.c lib/isa_ops.c
LIB_OBJ := $(filter-out $(ISA_SRC:lib/%.c=build/lib/%.o),$(LIB_OBJ)) \
	$(foreach s,$(ISAS),$(ISA_SRC:lib/%.c=build/isa/$(s)/%.o))
define ISA_RULE
build/isa/$(1)/%.o: lib/%.c | deps
	@mkdir -p $$(@D)
	$$(CC) $$(ALL_CFLAGS) $$(ISA_FLAGS_$(1)) -DSL_ISA=$(1) -MMD -MP -c -o $$@ $$<
endef
$(foreach s,$(ISAS),$(eval $(call ISA_RULE,$(s))))
# ---- end of the per-set kernels --------------------------------------------
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
