#!/usr/bin/env bats
# The OpenBLAS core: the tools never run on a guess of OpenBLAS's below what
# the CPU supports, unless SELFLABEL_BLAS=keep; a user's OPENBLAS_CORETYPE
# wins. SELFLABEL_BLAS_GUESS=NAME stands in for a wrong guess (this CPU's
# OpenBLAS guesses right).

bats_require_minimum_version 1.5.0
load helpers

setup() { cd "$BATS_TEST_TMPDIR"; }

# cpu_value KEY: unet-bench -t cpu's value of KEY
cpu_value() { unet-bench -t cpu 2> /dev/null | awk -F'\t' -v k="$1" '$1 == k { print $2 }'; }

@test "unet-bench -t cpu names the CPU, its vector instructions, the engine's and OpenBLAS's core" {
	run -0 --separate-stderr unet-bench -t cpu
	[ "$(printf '%s\n' "$output" | cut -f1 | tr '\n' ' ')" = "cpu isa engine blas_core blas_best blas_corrected_from " ]
	isa=$(cpu_value isa) best=$(cpu_value blas_best)
	case $isa in
	avx512) [ "$best" = SkylakeX ] ;;
	avx2) [ "$best" = Haswell ] || [ "$best" = Zen ] ;;
	generic) [ "$best" = - ] ;;
	*) false ;;
	esac
	grep -q "^flags.* $( [ "$isa" = avx512 ] && echo avx512f || echo sse2 ) " /proc/cpuinfo
}

@test "a wrong guess of OpenBLAS's is corrected once and said; SELFLABEL_BLAS=keep and the user's OPENBLAS_CORETYPE win" {
	best=$(cpu_value blas_best)
	[ "$best" != - ] || skip "this CPU has no AVX2: no core to correct to"
	run -0 --separate-stderr env SELFLABEL_BLAS_GUESS=Prescott unet-bench -t cpu
	[[ "$output" == *"blas_core	$best"* ]]
	[[ "$output" == *"blas_corrected_from	Prescott"* ]]
	[ "$stderr" = "unet-bench: OpenBLAS chose its Prescott kernels on this $(cpu_value isa) CPU; running with $best (SELFLABEL_BLAS=keep keeps OpenBLAS's choice)" ]
	# kept on request: nothing corrected, nothing said
	run -0 --separate-stderr env SELFLABEL_BLAS=keep SELFLABEL_BLAS_GUESS=Prescott unet-bench -t cpu
	[[ "$output" == *"blas_corrected_from	-"* ]]
	[ -z "$stderr" ]
	# the user's own OPENBLAS_CORETYPE wins, even an old one
	run -0 --separate-stderr env OPENBLAS_CORETYPE=Prescott unet-bench -t cpu
	[[ "$output" == *"blas_core	Prescott"* ]]
	[[ "$output" == *"blas_corrected_from	-"* ]]
	[ -z "$stderr" ]
	# a guess that fits the CPU is left alone
	run -0 --separate-stderr env SELFLABEL_BLAS_GUESS="$best" unet-bench -t cpu
	[[ "$output" == *"blas_corrected_from	-"* ]]
	[ -z "$stderr" ]
}

@test "unet-train after a correction trains as on the right core, and says so unless -q" {
	best=$(cpu_value blas_best)
	[ "$best" != - ] || skip "this CPU has no AVX2: no core to correct to"
	mkset
	run -0 --separate-stderr env SELFLABEL_BLAS_GUESS=Prescott unet-train --filters 4 --depth 2 -b 8 -e 2 -o a.model tr.list
	[[ "$stderr" == *"unet-train: OpenBLAS chose its Prescott kernels"* ]]
	OPENBLAS_CORETYPE="$best" tiny_train -e 2 -o b.model tr.list
	cmp a.model b.model
	run -0 --separate-stderr env SELFLABEL_BLAS_GUESS=Prescott unet-train -q --filters 4 --depth 2 -b 8 -e 2 -o c.model tr.list
	[ -z "$stderr" ]
}

@test "unet-bench -t fma: one core's multiply-add peak, in the engine's vector width" {
	run -0 --separate-stderr unet-bench -t fma -n 1
	[ "$(cut -f1,2,4 <<< "$output")" = "fma	$(cpu_value engine)	1" ]
	awk -F'\t' '{ exit !($7 > 1) }' <<< "$output"
}

# isa_sets: the engine's instruction sets this CPU runs, best first
isa_sets() {
	case $(cpu_value isa) in
	avx512) echo avx512 avx2 generic ;;
	avx2) echo avx2 generic ;;
	*) echo generic ;;
	esac
}

@test "SELFLABEL_ISA caps the engine's instruction set: unet-bench -t cpu names the one chosen" {
	unset SELFLABEL_ISA SELFLABEL_ISA_CPU   # (a caller's own, e.g. SELFLABEL_ISA=avx2 make test)
	best=$(cpu_value isa)
	[ "$(cpu_value engine)" = "$best" ]
	[ "$(SELFLABEL_ISA=auto cpu_value engine)" = "$best" ]
	[ "$(SELFLABEL_ISA= cpu_value engine)" = "$best" ]
	for s in $(isa_sets); do
		run -0 --separate-stderr env SELFLABEL_ISA="$s" unet-bench -t cpu
		[[ "$output" == *"engine	$s"* ]]
		[[ "$output" == *"isa	$best"* ]]   # the CPU's own set, still
		[ -z "$stderr" ]
	done
	# SELFLABEL_ISA_CPU stands in for a CPU with fewer sets
	run -0 --separate-stderr env SELFLABEL_ISA_CPU=generic unet-bench -t cpu
	[[ "$output" == *"isa	generic"* ]]
	[[ "$output" == *"engine	generic"* ]]
}

@test "a SELFLABEL_ISA above the CPU's set or no set's name is refused, nothing written" {
	unset SELFLABEL_ISA SELFLABEL_ISA_CPU   # (a caller's own, e.g. SELFLABEL_ISA=avx2 make test)
	mkset
	run -2 --separate-stderr env SELFLABEL_ISA_CPU=generic SELFLABEL_ISA=avx2 unet-bench -t cpu
	[ -z "$output" ]
	[ "$stderr" = "unet-bench: SELFLABEL_ISA: this CPU runs at most generic: 'avx2'" ]
	run -2 --separate-stderr env SELFLABEL_ISA=sse unet-bench -t cpu
	[ -z "$output" ]
	[ "$stderr" = "unet-bench: SELFLABEL_ISA: want generic, avx2, avx512 or auto: 'sse'" ]
	run -2 --separate-stderr env SELFLABEL_ISA_CPU=generic SELFLABEL_ISA=avx512 unet-train --filters 4 --depth 2 -b 8 -e 1 -o m.model tr.list
	[ "$stderr" = "unet-train: SELFLABEL_ISA: this CPU runs at most generic: 'avx512'" ]
	[ ! -e m.model ]
	tiny_train -e 1 -o m.model tr.list
	run -2 --separate-stderr env SELFLABEL_ISA=AVX2 unet-predict -m m.model -o p.slab img_a.slab
	[ "$stderr" = "unet-predict: SELFLABEL_ISA: want generic, avx2, avx512 or auto: 'AVX2'" ]
	[ ! -e p.slab ]
}

@test "a forced instruction set trains the model that set trains where it is the CPU's best; each set its own bytes" {
	unset SELFLABEL_ISA SELFLABEL_ISA_CPU   # (a caller's own, e.g. SELFLABEL_ISA=avx2 make test)
	mkset
	sets=$(isa_sets)
	for s in $sets; do
		SELFLABEL_ISA=$s tiny_train -e 2 -o "forced-$s.model" tr.list va.list
		# what a CPU whose best set is s chooses by itself (stand-in)
		SELFLABEL_ISA_CPU=$s tiny_train -e 2 -o "own-$s.model" tr.list va.list
		cmp "forced-$s.model" "own-$s.model"
	done
	tiny_train -e 2 -o auto.model tr.list va.list
	cmp auto.model "forced-${sets%% *}.model"
	# the sets round differently: forcing one is not a no-op
	for s in $sets; do
		for t in $sets; do
			if [ "$s" != "$t" ]; then run ! cmp -s "forced-$s.model" "forced-$t.model"; fi
		done
	done
}
