#!/usr/bin/env bash
# Training over MPI ranks: the time of one optimiser step of unet-train (one
# thread) and of unet-train-mpi on 1 and 2 ranks (one core and one OpenBLAS
# thread a rank, mpirun's binding), at 96x96x1 (batch 16) and 176x144x4
# (batch 8), the default network; and what 2 ranks cost over half the
# one-thread step (the all-reduce of 485,673 or 485,889 gradients, and the
# work that does not split: the optimiser step, reading). A step's time is
# (wall time of 4 epochs - of 1 epoch) / the steps between, so the start-up
# and the writing of the model cancel out; a phantom volume of 32 slices is
# the training set (no validation). Skipped, saying so, without the MPI build.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
export PATH="$root/bin:$PATH"
if ! command -v unet-train-mpi > /dev/null || ! command -v mpirun > /dev/null; then
	echo "skipped: no unet-train-mpi or mpirun (make deps-hpc, then make)"
	exit 0
fi
# Open MPI as root, and in containers that forbid cross-memory attach
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none OPENBLAS_NUM_THREADS=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# secs CMD...: the wall time of CMD in seconds
secs() {
	local t0 t1
	t0=$(date +%s.%N)
	"$@" > /dev/null 2>&1
	t1=$(date +%s.%N)
	echo "$t1 - $t0" | bc -l
}
# step_ms LIST BATCH TRAINER...: milliseconds per optimiser step
step_ms() {
	local list=$1 b=$2 a c
	shift 2
	a=$(secs "$@" -q -b "$b" -e 1 -o "$tmp/m.model" "$list")
	c=$(secs "$@" -q -b "$b" -e 4 -o "$tmp/m.model" "$list")
	echo "($c - $a) * 1000 / (3 * ((32 + $b - 1) / $b))" | bc
}

echo "machine: $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg) (other jobs distort the figures)"
printf '%-12s %5s %12s %8s %8s %14s %14s\n' shape batch unet-train '1 rank' '2 ranks' 'ideal 2 ranks' '2-rank overhead'
for s in 96x96x1:16 176x144x4:8; do
	IFS=x: read -r x y c b <<< "$s"
	phantom -n 1 -d "$x,$y,32" -c "$c" -s 1 "$tmp/$x" > /dev/null
	msd2slab --merge -p 100/0/0 "$tmp/$x" "$tmp/$x/s" > /dev/null
	echo "$tmp/$x/s/images/phantom_001.slab $tmp/$x/s/labels/phantom_001.slab" > "$tmp/$x.list"
	p=$(step_ms "$tmp/$x.list" "$b" unet-train)
	r1=$(step_ms "$tmp/$x.list" "$b" mpirun -np 1 unet-train-mpi)
	r2=$(step_ms "$tmp/$x.list" "$b" mpirun -np 2 unet-train-mpi)
	printf '%-12s %5s %9s ms %5s ms %5s ms %11s ms %11s ms\n' "${x}x${y}x$c" "$b" "$p" "$r1" "$r2" \
		"$((p / 2))" "$((r2 - p / 2))"
done
