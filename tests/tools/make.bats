#!/usr/bin/env bats
# The Makefile's package check: installs as root, prints the command otherwise,
# passes quietly when all is there. Stubs stand in for id, dpkg-query,
# apt-get and pkg-config, so the outcome does not depend on this machine
# (`make test` itself only starts once the real check passed).

bats_require_minimum_version 1.5.0
load helpers

setup() {
	root="$SELFLABEL_ROOT"
	stub="$BATS_TEST_TMPDIR/stub"
	mkdir -p "$stub"
	# by default: a non-root user on a machine where no package is installed;
	# apt-get and pkg-config log their arguments to calls.log
	calls="$BATS_TEST_TMPDIR/calls.log"
	: > "$calls"
	printf '#!/bin/sh\necho 1000\n' > "$stub/id"
	printf '#!/bin/sh\nexit 1\n' > "$stub/dpkg-query"
	printf '#!/bin/sh\necho "apt-get $*" >> "%s"\n' "$calls" > "$stub/apt-get"
	printf '#!/bin/sh\necho "pkg-config $*" >> "%s"\n' "$calls" > "$stub/pkg-config"
	chmod +x "$stub"/*
}

# installed: dpkg-query reports every package installed
installed() {
	printf '#!/bin/sh\nprintf "install ok installed"\n' > "$stub/dpkg-query"
}

# as_root: id -u says 0
as_root() {
	printf '#!/bin/sh\necho 0\n' > "$stub/id"
}

@test "make deps as a non-root user prints the exact apt-get command and fails" {
	run env PATH="$stub:$PATH" make -s -C "$root" deps DEBS="pkg-a pkg-b"
	[ "$status" -ne 0 ]
	[[ "$output" == *"sudo apt-get install -y pkg-a pkg-b"* ]]
	[ ! -s "$calls" ]
}

@test "make deps as root installs exactly the missing packages" {
	as_root
	run env PATH="$stub:$PATH" make -s -C "$root" deps DEBS="pkg-a pkg-b"
	[ "$status" -eq 0 ]
	[ "$output" = "installing: pkg-a pkg-b" ]
	grep -qx 'apt-get update -qq' "$calls"
	grep -qx 'apt-get install -y -qq pkg-a pkg-b' "$calls"
}

@test "make deps passes quietly when every package is installed" {
	installed
	for who in user root; do
		if [ $who = root ]; then as_root; fi
		: > "$calls"
		run env PATH="$stub:$PATH" make -s -C "$root" deps DEBS="pkg-a pkg-b"
		[ "$status" -eq 0 ]
		[ -z "$output" ]
		# no apt-get; pkg-config asked for the libraries
		[ "$(cat "$calls")" = "pkg-config --exists openblas zlib libpng" ]
	done
}

@test "make deps fails when pkg-config cannot find a library" {
	installed
	printf '#!/bin/sh\nexit 1\n' > "$stub/pkg-config"
	run env PATH="$stub:$PATH" make -s -C "$root" deps DEBS="pkg-a"
	[ "$status" -ne 0 ]
	[[ "$output" == *"pkg-config cannot find: openblas zlib libpng"* ]]
}

@test "the Makefile's DEBS hold what make test runs: bats and shellcheck" {
	run -0 make -s -C "$root" -p -n deps
	grep -Eq '^DEBS :?= .*\bbats\b' <<<"$output"
	grep -Eq '^DEBS :?= .*\bshellcheck\b' <<<"$output"
}

@test "make deps-hpc installs OpenMPI, Slurm and munge as root, prints the command otherwise; make deps never" {
	run env PATH="$stub:$PATH" make -s -C "$root" deps-hpc
	[ "$status" -ne 0 ]
	[[ "$output" == *"sudo apt-get install -y pkg-config "*" gcc openmpi-bin libopenmpi-dev slurm-wlm munge"* ]]
	[ ! -s "$calls" ]
	as_root
	run env PATH="$stub:$PATH" make -s -C "$root" deps-hpc
	[ "$status" -eq 0 ]
	grep -qx 'apt-get install -y -qq pkg-config .* gcc openmpi-bin libopenmpi-dev slurm-wlm munge' "$calls"
	[[ "$output" == *"make builds bin/unet-train-mpi"* ]]
	run -0 make -s -C "$root" -p -n deps
	run grep -E '^DEBS :?= .*(mpi|slurm|munge)' <<<"$output"
	[ "$status" -eq 1 ]
}

@test ".ci/run calls make test" {
	grep -qx 'make test' "$root/.ci/run"
}

@test "make builds the program for any x86-64 and each kernel set for its own instructions; a -march in CFLAGS never reaches a set" {
	# the dry run: the set's own -march comes after CFLAGS (the last one wins)
	# (SANITIZE= : the plain build's rules, also inside make SANITIZE=1 test)
	run -0 make -s -C "$root" -n -B SANITIZE= CFLAGS='-O3 -march=native' build/isa/generic/kernels.o \
		build/isa/avx2/kernels.o build/isa/avx512/kernels.o build/lib/util.o
	grep -Eq -- '-O3 -march=native +-march=x86-64 -DSL_ISA=generic .* lib/kernels.c$' <<< "$output"
	grep -Eq -- '-O3 -march=native +-march=x86-64-v3 -DSL_ISA=avx2 .* lib/kernels.c$' <<< "$output"
	grep -Eq -- '-O3 -march=native +-march=x86-64-v4 -DSL_ISA=avx512 .* lib/kernels.c$' <<< "$output"
	grep -Eq -- '-O3 -march=native +-MMD .* lib/util.c$' <<< "$output"
	# by default no -march but the sets'
	run -0 make -s -C "$root" -n -B SANITIZE= build/lib/util.o
	if grep -q -- -march <<< "$output"; then false; fi
	# the objects of this build: no AVX (VEX) instruction outside the avx2 and
	# avx512 sets, no AVX-512 register outside the avx512 set
	local b="$root/build" dis
	[ -f "$b/lib/util.o" ] && [ -f "$b/isa/avx512/kernels.o" ] || skip "no build in $b"
	dis=$(objdump -d --no-show-raw-insn "$b"/lib/*.o "$b"/isa/generic/*.o)
	[ -z "$(awk -F'\t' '$2 ~ /^v/' <<< "$dis")" ]
	dis=$(objdump -d --no-show-raw-insn "$b"/isa/avx2/*.o)
	[ -n "$(awk -F'\t' '$2 ~ /^v/' <<< "$dis")" ]
	if grep -Eq '%zmm|%k[0-7]|%[xy]mm(1[6-9]|2[0-9]|3[01])' <<< "$dis"; then false; fi
	grep -q '%zmm' <<< "$(objdump -d --no-show-raw-insn "$b"/isa/avx512/*.o)"
}
