# selflabel: build, test, fuzz, bench, demo.
#
#   make            build every tool into bin/ (installs missing packages first):
#                   one binary for every x86-64 CPU, its kernels built for
#                   each instruction set and chosen at run time (lib/isa.h)
#   make test       unit tests (with the fuzz corpus replay), shellcheck of the
#                   shell (tests/lint), bats tests
#   make fuzz       libFuzzer on every reader, FUZZ_SECONDS (60) each (clang;
#                   make test replays the stored corpus without it)
#   make bench      speed figures (prints ratios; never part of make test)
#   make demo       the self-labelling loop on a synthetic dataset
#   make install    install into $(DESTDIR)$(PREFIX) (after make; never runs apt-get):
#                   bin/selflabel, libexec/selflabel/TOOL, share/selflabel/,
#                   share/man/man1/selflabel*.1
#   make uninstall  remove what make install put there
#
#   make deps-hpc   install OpenMPI (openmpi-bin libopenmpi-dev), Slurm and
#                   munge (slurm-wlm munge: tests/tools/slurm.bats runs a
#                   single-node Slurm) with what make deps installs (never
#                   part of make or make deps): make then also builds
#                   bin/unet-train-mpi
#
#   make SANITIZE=1 test   the same suite against an ASan+UBSan build
#                   (build-san/, bin-san/; see the SANITIZE block below)
#
# Sources are found, not listed: lib/*.c make libselflabel.a, each tools/X.c
# is the program bin/X, each tests/unit/X.c a unit test, tests/tools/*.bats
# the command-line tests, each tests/fuzz/X.c a fuzz harness (its block below).

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DELETE_ON_ERROR:
.SUFFIXES:

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
LIBEXECDIR ?= $(PREFIX)/libexec/selflabel
DATADIR ?= $(PREFIX)/share/selflabel
MANDIR ?= $(PREFIX)/share/man/man1
CC ?= cc
CFLAGS ?= -O2 -g
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

# ---- one binary, every x86-64 CPU: the kernels per instruction set --------
# The program is built for the baseline (CFLAGS; no -march by default: any
# x86-64). The kernel group ISA_SRC is compiled once per set in ISAS, with
# CFLAGS and then the set's ISA_FLAGS_<set> (the last -march wins, so a
# -march in CFLAGS sets the rest of the program, never a set's kernels),
# into $(B)/isa/<set>/*.o, where its functions are named NAME_<set>
# (lib/isa_names.h); lib/isa.c picks a set once at start-up by cpuid,
# capped by SELFLABEL_ISA. A file whose code depends on the vector width
# (vec.h, __AVX*__, fp-contract) belongs in ISA_SRC.
ISAS := generic avx2 avx512
ISA_FLAGS_generic := -march=x86-64
ISA_FLAGS_avx2 := -march=x86-64-v3
ISA_FLAGS_avx512 := -march=x86-64-v4
ISA_SRC := lib/kernels.c lib/winograd.c lib/winograd_rows.c lib/winograd_avx512.c \
	lib/winograd_avx2.c lib/winograd_generic.c lib/conv_direct.c lib/layers.c lib/isa_ops.c
LIB_OBJ := $(filter-out $(ISA_SRC:lib/%.c=$(B)/lib/%.o),$(LIB_OBJ)) \
	$(foreach s,$(ISAS),$(ISA_SRC:lib/%.c=$(B)/isa/$(s)/%.o))
define ISA_RULE
$(B)/isa/$(1)/%.o: lib/%.c $(B)/cflags | deps
	@mkdir -p $$(@D)
	$$(CC) $$(ALL_CFLAGS) $$(ISA_FLAGS_$(1)) -DSL_ISA=$(1) -MMD -MP -c -o $$@ $$<
endef
$(foreach s,$(ISAS),$(eval $(call ISA_RULE,$(s))))
# ---- end of the per-set kernels --------------------------------------------
TOOL_SRC := $(wildcard tools/*.c)
TOOLS := $(TOOL_SRC:tools/%.c=$(BIN)/%)
UNIT_SRC := $(wildcard tests/unit/*.c)
UNITS := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
LIBA := $(B)/libselflabel.a

.PHONY: all deps test unit bats lint bench demo install uninstall man clean FORCE
all: deps $(TOOLS) $(BIN)/selflabel $(UNITS) man

# ---- MPI (optional): bin/unet-train-mpi ------------------------------------
# When an MPI is installed (OpenMPI or MPICH, found by pkg-config as ompi-c or
# mpich, else its mpicc), make also builds bin/unet-train-mpi: tools/unet-train.c
# and lib/dist.c compiled once more with -DSL_MPI, that dist.o linked before
# libselflabel.a (whose dist.o is the one-rank one: lib/dist.h). Without an
# MPI nothing changes; `make deps-hpc` installs OpenMPI. Never with SANITIZE=1
# (the MPI's own allocations are no project's to check), and not looked for
# by the goals that build nothing (make deps asks pkg-config for nothing else).
NO_MPI_GOALS := deps deps-hpc fuzz-deps lint clean uninstall
ifeq ($(SANITIZE)$(filter-out $(NO_MPI_GOALS),$(or $(MAKECMDGOALS),all)),)
else ifeq ($(SANITIZE),)
MPI_PKG := $(firstword $(foreach p,ompi-c mpich,$(shell \
	pkg-config --exists $(p) 2>/dev/null && echo $(p))))
ifneq ($(MPI_PKG),)
MPI_CC := $(CC)
MPI_CFLAGS := $(shell pkg-config --cflags $(MPI_PKG))
MPI_LIBS := $(shell pkg-config --libs $(MPI_PKG))
else
MPI_CC := $(shell command -v mpicc 2>/dev/null)
endif
endif
MPI_TOOLS := $(if $(MPI_CC),$(BIN)/unet-train-mpi)
.PHONY: deps-hpc
deps-hpc:
	@$(MAKE) --no-print-directory deps DEBS="$(DEBS) openmpi-bin libopenmpi-dev slurm-wlm munge"
	@echo "MPI installed: make builds bin/unet-train-mpi (mpirun -np N bin/unet-train-mpi ...); Slurm and munge for tests/tools/slurm.bats"
ifneq ($(MPI_TOOLS),)
all: $(MPI_TOOLS)
$(B)/mpi/dist.o: lib/dist.c $(B)/cflags | deps
	@mkdir -p $(@D)
	$(MPI_CC) $(ALL_CFLAGS) $(MPI_CFLAGS) -DSL_MPI -MMD -MP -c -o $@ $<
$(BIN)/unet-train-mpi: tools/unet-train.c $(B)/mpi/dist.o $(LIBA)
	@mkdir -p $(@D) $(B)/tools
	$(MPI_CC) $(ALL_CFLAGS) $(MPI_CFLAGS) -DSL_MPI -MMD -MP -MF $(B)/tools/unet-train-mpi.d \
	  -o $@ $< $(B)/mpi/dist.o $(LIBA) $(LIBS) $(MPI_LIBS)
-include $(B)/mpi/dist.d $(B)/tools/unet-train-mpi.d
endif
# ---- end of MPI -------------------------------------------------------------

# make install and uninstall never install system packages: they only say.
NO_APT := $(filter install uninstall,$(MAKECMDGOALS))

# Install what is missing: apt-get as root, otherwise print the command.
deps:
	@missing=""; for p in $(DEBS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && [ -z "$(NO_APT)" ]; then \
	    echo "installing:$$missing"; \
	    DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq$$missing >/dev/null; \
	  else \
	    echo "missing packages; run: sudo apt-get install -y$$missing" >&2; exit 1; \
	  fi; \
	fi
	@pkg-config --exists $(PKGS) || { echo "pkg-config cannot find: $(PKGS)" >&2; exit 1; }

# After deps ran, flags are read again so a first build on a fresh machine works.
$(B)/lib/%.o: lib/%.c $(B)/cflags | deps
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

# The compiler and flags of the last build: a changed CC or CFLAGS (or a
# new pkg-config answer) rebuilds every object; rewritten only when they change.
$(B)/cflags: FORCE | deps
	@mkdir -p $(@D)
	@printf '%s\n' '$(subst ','\'',$(CC) $(ALL_CFLAGS))' > $@.tmp; \
	if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv -f $@.tmp $@; fi

# The version: the VERSION file, "+g<commit>" in a git checkout; rewritten
# only when it changes, so version.o (and the tools) rebuild only then.
$(B)/version.inc: FORCE
	@mkdir -p $(@D)
	@v=$$(cat VERSION); c=$$(git rev-parse --short HEAD 2>/dev/null) && v="$$v+g$$c"; \
	printf '"%s"\n' "$$v" > $@.tmp; \
	if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv -f $@.tmp $@; fi
$(B)/lib/version.o: $(B)/version.inc
$(B)/lib/version.o: ALL_CFLAGS += -I$(B)

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

# The command `selflabel TOOL|COMMAND ...` (pipelines/selflabel.in) finds the
# tools and pipelines relative to itself: beside it in the repository's bin/,
# or through LIBEXECDIR and DATADIR when installed.
$(BIN)/selflabel: pipelines/selflabel.in
	@mkdir -p $(@D)
	sed -e 's|@LIBEXEC@|.|' -e 's|@DATA@|..|' $< > $@.tmp && chmod 755 $@.tmp && mv -f $@.tmp $@

# Manual pages from the --help texts (man/mkman).
MANS := $(TOOLS:$(BIN)/%=$(B)/man/selflabel-%.1) $(B)/man/selflabel.1 \
	$(B)/man/selflabel-setup.1 $(B)/man/selflabel-segment.1
man: $(MANS)
$(B)/man/selflabel-%.1: $(BIN)/% man/mkman VERSION
	@mkdir -p $(@D)
	bash man/mkman "selflabel-$*" $< > $@.tmp && mv -f $@.tmp $@
$(B)/man/selflabel.1: $(BIN)/selflabel man/mkman VERSION $(TOOLS)
	@mkdir -p $(@D)
	bash man/mkman selflabel $< > $@.tmp && mv -f $@.tmp $@
$(B)/man/selflabel-%.1: pipelines/selflabel-% man/mkman VERSION $(TOOLS)
	@mkdir -p $(@D)
	PATH=$(CURDIR)/$(BIN):$$PATH SELFLABEL_BIN=$(CURDIR)/$(BIN) bash man/mkman "selflabel-$*" $< > $@.tmp && mv -f $@.tmp $@

# The installed layout: tools in LIBEXECDIR, pipelines and formats in
# DATADIR (whose bin/ is a relative link to LIBEXECDIR, so a run made from an
# installed copy refers to installed files only), `selflabel` in BINDIR.
rel = $$(realpath -m --relative-to=$(1) $(2))
install: $(TOOLS) $(MPI_TOOLS) $(MANS)
	@if [ "$(SANITIZE)" = 1 ]; then echo "make install: not with SANITIZE=1 (run make, then make install)" >&2; exit 1; fi
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(MANDIR) \
	  $(DESTDIR)$(DATADIR)/pipelines/presets $(DESTDIR)$(DATADIR)/formats
	install -m 755 $(TOOLS) $(MPI_TOOLS) $(DESTDIR)$(LIBEXECDIR)
	install -m 644 pipelines/*.mk pipelines/*.awk $(DESTDIR)$(DATADIR)/pipelines
	install -m 644 pipelines/presets/*.mk $(DESTDIR)$(DATADIR)/pipelines/presets
	install -m 755 $$(find pipelines -maxdepth 1 -type f -perm -u+x) $(DESTDIR)$(DATADIR)/pipelines
	install -m 644 formats/*.md VERSION $(DESTDIR)$(DATADIR)/formats
	mv -f $(DESTDIR)$(DATADIR)/formats/VERSION $(DESTDIR)$(DATADIR)/VERSION
	ln -sfn $(call rel,$(DATADIR),$(LIBEXECDIR)) $(DESTDIR)$(DATADIR)/bin
	sed -e "s|@LIBEXEC@|$(call rel,$(BINDIR),$(LIBEXECDIR))|" \
	  -e "s|@DATA@|$(call rel,$(BINDIR),$(DATADIR))|" pipelines/selflabel.in > $(DESTDIR)$(BINDIR)/selflabel.tmp
	chmod 755 $(DESTDIR)$(BINDIR)/selflabel.tmp
	mv -f $(DESTDIR)$(BINDIR)/selflabel.tmp $(DESTDIR)$(BINDIR)/selflabel
	install -m 644 $(MANS) $(DESTDIR)$(MANDIR)

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/selflabel $(MANS:$(B)/man/%=$(DESTDIR)$(MANDIR)/%)
	rm -rf $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(DATADIR)

clean:
	rm -rf build bin build-san bin-san

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
FUZZ_REPLAYS := $(FUZZ_NAMES:%=$(B)/tests/fuzz-%)
UNITS += $(FUZZ_REPLAYS)
all: $(FUZZ_REPLAYS)

$(B)/tests/fuzz/%.o: tests/fuzz/%.c $(B)/cflags | deps
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(B)/tests/fuzz/replay-%.o: tests/fuzz/replay.c $(B)/cflags | deps
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -DFUZZ_NAME='"$*"' -MMD -MP -c -o $@ $<

$(FUZZ_REPLAYS): $(B)/tests/fuzz-%: $(B)/tests/fuzz/%.o $(B)/tests/fuzz/replay-%.o $(LIBA)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LIBS)

FUZZ_SECONDS ?= 60
FUZZ_MERGE ?= 0
FUZZ ?= $(FUZZ_NAMES)
FUZZ_CC ?= clang
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS = -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter -Ilib \
	$(shell pkg-config --cflags $(PKGS)) -O1 -g $(FUZZ_SAN)
# the kernel group (ISA_SRC), which no reader uses, is the normal build's
FUZZ_OBJ := $(filter-out $(ISA_SRC:lib/%.c=build/fuzz/lib/%.o),$(LIB_SRC:lib/%.c=build/fuzz/lib/%.o)) \
	$(foreach s,$(ISAS),$(ISA_SRC:lib/%.c=$(B)/isa/$(s)/%.o))
build/fuzz/lib/version.o: $(B)/version.inc
build/fuzz/lib/version.o: FUZZ_CFLAGS += -I$(B)
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

-include $(FUZZ_NAMES:%=$(B)/tests/fuzz/%.d) $(FUZZ_NAMES:%=$(B)/tests/fuzz/replay-%.d) \
	$(FUZZ_OBJ:.o=.d) $(FUZZ_BINS:=.d)
