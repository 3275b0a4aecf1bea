#!/usr/bin/env bash
# The 3-D U-Net's speed: train steps (forward, BCE, backward, RMSprop) and
# inference on a 32x32x32 single-channel batch of 2, in voxels/s and
# GFLOP/s, against OpenBLAS sgemm 2048^3 measured in the same program (the
# ceiling), with 1 and 2 threads; then the same at the hippocampus size
# 32x32x48 (the depth padding of 31..43 slices). Train-step work: 3x the
# forward pass, 2 x 0.940 GFLOP per 32^3 volume.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
${CC:-cc} -O2 -std=c11 -D_GNU_SOURCE -I"$root/lib" $(pkg-config --cflags openblas) \
	-o "$tmp/bench" "$root/tests/bench/unet3d_bench.c" "$root/build/libselflabel.a" \
	$(pkg-config --libs openblas zlib libpng) -lm -lpthread
echo "machine: $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg) (other jobs distort the figures)"
for t in 1 2; do
	echo "-- $t thread(s)"
	OPENBLAS_NUM_THREADS=$t "$tmp/bench" 32 32 32 2 4
done
echo "-- 1 thread, the hippocampus size"
OPENBLAS_NUM_THREADS=1 "$tmp/bench" 48 32 32 2 2
