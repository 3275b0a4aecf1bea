# selflabel: build, test, bench, demo.
#
#   make            build every tool into bin/ (installs missing packages first)
#   make test       unit tests, shellcheck of the shell (tests/lint), bats tests
#   make bench      speed figures (prints ratios; never part of make test)
#   make demo       the self-labelling loop on a synthetic dataset
#   make install    copy bin/* to $(PREFIX)/bin
#
#   make SANITIZE=1 test   the same suite against an ASan+UBSan build
#                   (build-san/, bin-san/; see the SANITIZE block below)
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
CFLAGS ?= -O2 -g -march=native
PKGS := openblas zlib libpng
# Debian packages the build and tests need (checked by `make deps`).
DEBS := pkg-config zlib1g-dev libpng-dev libopenblas-dev bats shellcheck make gcc

# pkg-config runs inside recipes, after `deps` may have installed it.
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter -Ilib \
	$(shell pkg-config --cflags $(PKGS)) $(CFLAGS)
LIBS = $(shell pkg-config --libs $(PKGS)) -lm -lpthread

# ---- SANITIZE=1: AddressSanitizer + UndefinedBehaviorSanitizer -------------
# `make SANITIZE=1 test` builds every object, tool and unit test with
# -fsanitize=address,undefined into build-san/ and bin-san/ (B and BIN), never
# mixed with the normal build/ and bin/, and runs the whole suite against them:
# tests/run, the bats fixtures and the pipelines take the tools' folder from
# SELFLABEL_BIN (default: bin/). Any ASan, UBSan or LeakSanitizer report makes
# the program exit 99 and is written to build-san/reports/ (log_path), where
# tests/run counts each report file as one more failure, so a report fails the
# run even where a test only checks for a non-zero exit. The style: lib/ frees
# on its error returns and a tool's main frees what it holds before returning
# an error status (no deliberate exit-without-free, no suppression of ours);
# tests/lsan.supp holds only reports from outside the project, each with its
# reason. Memory caps (ulimit -v cannot work beside ASan's shadow) become
# ASan's hard_rss_limit_mb in the bats tests (SELFLABEL_SANITIZE=1 is
# exported) and an allocation hook in test_nifti.
SANITIZE ?=
ifeq ($(SANITIZE),1)
B := build-san
BIN := bin-san
ALL_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined
export SELFLABEL_BIN := $(CURDIR)/$(BIN)
export SELFLABEL_SANITIZE := 1
export SELFLABEL_SAN_REPORTS := $(CURDIR)/$(B)/reports
SAN_COMMON := halt_on_error=1:abort_on_error=0:exitcode=99:log_path=$(SELFLABEL_SAN_REPORTS)/report
export ASAN_OPTIONS := $(SAN_COMMON):detect_leaks=1:detect_stack_use_after_return=1:strict_string_checks=1
export UBSAN_OPTIONS := $(SAN_COMMON):print_stacktrace=1
export LSAN_OPTIONS := suppressions=$(CURDIR)/tests/lsan.supp
# (gcc's libubsan.so ignores log_path beside libasan.so: tests/ubsan-report-path.c)
SAN_OBJ := $(B)/ubsan-report-path.o
LIBS += $(SAN_OBJ) -ldl
else ifneq ($(SANITIZE),)
$(error SANITIZE is 1 or empty: '$(SANITIZE)')
else
B := build
BIN := bin
endif

LIB_SRC := $(wildcard lib/*.c)
LIB_OBJ := $(LIB_SRC:lib/%.c=$(B)/lib/%.o)
TOOL_SRC := $(wildcard tools/*.c)
TOOLS := $(TOOL_SRC:tools/%.c=$(BIN)/%)
UNIT_SRC := $(wildcard tests/unit/*.c)
UNITS := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
LIBA := $(B)/libselflabel.a

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
$(B)/lib/%.o: lib/%.c | deps
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(LIBA): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BIN)/%: tools/%.c $(LIBA)
	@mkdir -p $(@D) $(B)/tools
	$(CC) $(ALL_CFLAGS) -MMD -MP -MF $(B)/tools/$*.d \
	  -o $@ $< $(LIBA) $(LIBS)

$(B)/tests/%: tests/unit/%.c $(LIBA)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP -o $@ $< $(LIBA) $(LIBS)

-include $(LIB_OBJ:.o=.d) $(TOOL_SRC:tools/%.c=$(B)/tools/%.d) $(UNITS:=.d)

# SANITIZE=1 (the block above): every program links the UBSan report-path hook.
ifeq ($(SANITIZE),1)
$(TOOLS) $(UNITS): $(SAN_OBJ)
$(SAN_OBJ): tests/ubsan-report-path.c | deps
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<
endif

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
	rm -rf build bin build-san bin-san
