#!/usr/bin/env bats
# unet-train-mpi: data-parallel training over MPI ranks against unet-train,
# the reference (skipped visibly without the MPI build or mpirun: `make
# deps-hpc`, then `make`). The bound: after 10 epochs of plain SGD (whose step
# is proportional to the gradient, so a wrongly normalised gradient shows),
# 2 ranks' weights differ from 1 rank's by at most 1e-5 of the largest weight
# (measured: 2e-8 to 2e-7; rounding of the summation order only).

bats_require_minimum_version 1.5.0
load helpers
load classes_helpers

setup() {
	cd "$BATS_TEST_TMPDIR"
	if [ -n "${SELFLABEL_SANITIZE-}" ]; then skip "make SANITIZE=1 builds no unet-train-mpi"; fi
	command -v unet-train-mpi > /dev/null ||
		skip "no unet-train-mpi: built only with an MPI (make deps-hpc, then make)"
	command -v mpirun > /dev/null || skip "no mpirun (make deps-hpc installs OpenMPI)"
	# OpenMPI: as root, and more ranks than cores (MPICH ignores these)
	export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
	export OMPI_MCA_rmaps_base_oversubscribe=1
	# containers often forbid the cross-memory attach of OpenMPI's shared memory
	export OMPI_MCA_btl_vader_single_copy_mechanism=none
}

# ranks N ARG...: unet-train-mpi -q with the small options over N ranks.
ranks() {
	local n=$1
	shift
	mpirun -np "$n" unet-train-mpi -q --filters 4 --depth 2 "$@"
}

# mkset3: tr3.list, 4 volumes of 5..8 slices (2 of them labelled on one
# slice only): padded to 8, the volumes' labelled counts differ.
mkset3() {
	local i k z=5
	: > tr3.list
	for i in a bb ccc dddd; do
		k=mask
		[ ${#i} -ne 2 ] || k=mask255
		[ ${#i} -ne 4 ] || k=mask255
		slab_square "i3_$i.slab" "case$i" 16 16 "$z" 1 img
		slab_square "m3_$i.slab" "case$i" 16 16 "$z" 1 "$k"
		echo "i3_$i.slab m3_$i.slab" >> tr3.list
		z=$((z + 1))
	done
}

# within A.model B.model BOUND [HEADER]: the largest |a - b| over the
# parameters (after HEADER bytes, default 32; 36 for a model of 3 or more
# classes) is at most BOUND times the largest |a|; says the figures.
within() {
	local h=${4:-32}
	paste <(od -An -v -tf4 -j"$h" -w4 "$1") <(od -An -v -tf4 -j"$h" -w4 "$2") |
		awk -v bound="$3" '{ d = $1 - $2; if (d < 0) d = -d; if (d > m) m = d
			a = $1 < 0 ? -$1 : $1; if (a > w) w = a }
			END { printf "%d parameters, max |a-b| %g, max |a| %g, ratio %g\n", NR, m, w, m / w
				exit !(NR > 0 && w > 0 && m <= bound * w) }'
}

@test "unet-train-mpi on 1 rank writes unet-train's bytes (2-D, 3-D) and log" {
	mkset
	unet-train -q --filters 4 --depth 2 -b 5 -e 3 --augment --loss bcedice --ema 0.9 \
		--log p.log -o p.model tr.list va.list
	ranks 1 -b 5 -e 3 --augment --loss bcedice --ema 0.9 --log m.log -o m.model tr.list va.list
	cmp p.model m.model
	# every column but the times
	diff <(cut -f 1-5,8 p.log) <(cut -f 1-5,8 m.log)
	mkset3
	unet-train -q --filters 4 --depth 2 --dims 3 -b 3 -e 3 -o p3.model tr3.list va.list
	ranks 1 --dims 3 -b 3 -e 3 -o m3.model tr3.list va.list
	cmp p3.model m3.model
}

@test "unet-train-mpi on 2 ranks: unet-train's model to rounding (2-D, uneven shares)" {
	mkset
	# -b 5: shares of 2 and 3 slices; --augment: rotations leave pixels unlabelled
	local a=(-b 5 -e 10 --patience 100 --optimizer sgd --lr 0.5 --augment --loss bcedice)
	unet-train -q --filters 4 --depth 2 "${a[@]}" -o p.model tr.list va.list
	ranks 2 "${a[@]}" -o m.model tr.list va.list
	within p.model m.model 1e-5
	# -b 1: the second rank's share is empty at every step
	unet-train -q --filters 4 --depth 2 -b 1 -e 1 --optimizer sgd --lr 0.1 -o p1.model tr.list
	ranks 2 -b 1 -e 1 --optimizer sgd --lr 0.1 -o m1.model tr.list
	within p1.model m1.model 1e-5
}

@test "unet-train-mpi on 2 ranks: unet-train's 3-D model to rounding (volumes of unequal labels)" {
	mkset3
	mkset
	local a=(--dims 3 -b 3 -e 10 --patience 100 --optimizer sgd --lr 0.5)
	unet-train -q --filters 4 --depth 2 "${a[@]}" -o p.model tr3.list va.list
	ranks 2 "${a[@]}" -o m.model tr3.list va.list
	within p.model m.model 1e-5
	unet-train -q --filters 4 --depth 2 "${a[@]}" --loss bcedice -o pd.model tr3.list va.list
	ranks 2 "${a[@]}" --loss bcedice -o md.model tr3.list va.list
	within pd.model md.model 1e-5
}

@test "unet-train-mpi: the same number of ranks gives the same bytes twice" {
	mkset
	ranks 2 -b 5 -e 4 --augment --weights gaussian -o a.model tr.list va.list
	ranks 2 -b 5 -e 4 --augment --weights gaussian -o b.model tr.list va.list
	cmp a.model b.model
	ranks 2 -b 5 -e 4 --augment --weights gaussian -o - tr.list va.list > c.model
	cmp a.model c.model
}

@test "unet-train-mpi: rank 0 alone writes the model, the log and the progress" {
	mkset
	mkdir out
	run --separate-stderr mpirun -np 2 unet-train-mpi --filters 4 --depth 2 -b 8 -e 3 \
		--log out/t.log -o out/m.model tr.list va.list
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	# one rank's progress: one line an epoch, one summary
	[ "$(grep -c ': epoch ' <<< "$stderr")" -eq 3 ]
	[ "$(grep -c 'training slices from' <<< "$stderr")" -eq 1 ]
	[ "$(ls out)" = "$(printf 'm.model\nt.log')" ]
	[ "$(grep -c . out/t.log)" -eq 4 ]
	# -o -: one model on stdout, the file's bytes
	ranks 2 -b 8 -e 3 -o - tr.list va.list > s.model
	cmp s.model out/m.model
}

@test "unet-train-mpi: bad input fails on every rank, nothing written" {
	mkset
	run mpirun -np 2 unet-train-mpi -q -o m.model missing.list
	[ "$status" -ne 0 ]
	[[ "$output" == *"unet-train-mpi: "*"missing.list"* ]]
	[ ! -e m.model ]
	# a truncated image
	head -c 500 img_a.slab > cut.slab
	echo "cut.slab msk_a.slab" > cut.list
	run mpirun -np 2 unet-train-mpi -q -o m.model cut.list
	[ "$status" -ne 0 ]
	[[ "$output" == *"unet-train-mpi: "*"cut.slab"* ]]
	[ ! -e m.model ]
	# ranks that read different sets (e.g. no shared folder): an error, not a hang
	head -n 3 tr.list > tr1.list
	cp tr.list tr0.list
	run timeout 60 mpirun -np 2 bash -c 'exec unet-train-mpi -q --filters 4 --depth 2 -b 8 -e 2 \
		-o m.model "tr${OMPI_COMM_WORLD_RANK:-$PMI_RANK}.list"'
	[ "$status" -ne 0 ]
	[[ "$output" == *"unet-train-mpi: the ranks' training sets or starting models differ"* ]]
	[ ! -e m.model ]
	run --separate-stderr mpirun -np 2 unet-train-mpi -h
	[ "$status" -eq 0 ]
	[[ "$output" == usage:\ unet-train-mpi* ]]
}

@test "unet-train-mpi on 2 ranks: unet-train's 3-class model to rounding (2-D and 3-D)" {
	mkclasses
	# 1 rank: the same bytes
	local a=(-b 5 -e 10 --patience 100 --optimizer sgd --lr 0.5 --augment --loss bcedice
		--class-weights 0.5,2,1)
	unet-train -q --filters 4 --depth 2 "${a[@]}" -o p.model tr.list va.list
	ranks 1 "${a[@]}" -o m1.model tr.list va.list
	cmp p.model m1.model
	# 2 ranks (shares of 2 and 3 slices): within the bound of the binary runs
	ranks 2 "${a[@]}" -o m.model tr.list va.list
	within p.model m.model 1e-5 36
	local b=(--dims 3 -b 3 -e 10 --patience 100 --optimizer sgd --lr 0.5 --loss bcedice)
	unet-train -q --filters 4 --depth 2 "${b[@]}" -o p3.model tr.list va.list
	ranks 2 "${b[@]}" -o m3.model tr.list va.list
	within p3.model m3.model 1e-5 36
	# the check can fail: another class weighting is not within the bound
	ranks 2 "${a[@]/0.5,2,1/1,1,1}" -o w.model tr.list va.list
	run within p.model w.model 1e-5 36
	[ "$status" -eq 1 ]
}
