#!/usr/bin/env bash
# The U-Net engine's speed: train steps (forward, BCE, backward, RMSprop) and
# inference, slices per second and GFLOP/s, at three shapes with 1 and 2
# threads, against OpenBLAS sgemm (the ceiling) and, when PyTorch imports,
# the identical network in PyTorch measured in the same run.
# Train-step work per slice as the issue counts it: 71.0, 639.4, 1780.1 MFLOP
# (a forward pass is a third of that).
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
bench="$root/bin/unet-bench"
py=/usr/bin/python3
torch=0
if "$py" -c 'import torch' 2>/dev/null; then torch=1; else
	echo "PyTorch not importable with $py: skipping the PyTorch comparison"; fi
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); load average $(cut -d' ' -f1-3 /proc/loadavg) (other jobs distort the figures)"

for t in 1 2; do
	OPENBLAS_NUM_THREADS=$t "$bench" -t sgemm -s 2048x2048 -n 4 |
		awk -v t=$t -F'\t' '{ printf "sgemm 2048^3, %d thread(s): %.1f GFLOP/s (the ceiling)\n", t, $7 }'
done
echo
printf '%-12s %-3s %-5s %9s %8s %10s %10s %8s %8s\n' shape thr what ours GFLOP/s torch_CL torch_NCHW ours/CL ours/NCHW
shapes=("32 32 1 32 10 71.0" "96 96 1 16 5 639.4" "176 144 4 8 3 1780.1")
for t in 1 2; do
	for s in "${shapes[@]}"; do
		read -r w h c b n mf <<< "$s"
		for what in train infer; do
			steps=$n mflop=$mf
			[ $what = infer ] && steps=$((3 * n)) && mflop=$(awk -v m=$mf 'BEGIN { print m / 3 }')
			line=$(OPENBLAS_NUM_THREADS=$t "$bench" -t $what -s ${w}x$h -c $c -b $b -n $steps -m "$mflop")
			ours=$(cut -f6 <<< "$line") gf=$(cut -f7 <<< "$line")
			cl=- nchw=- r1=- r2=-
			if [ $torch = 1 ]; then
				inf=""; [ $what = infer ] && inf=infer
				cl=$("$py" "$root/tests/bench/unet_torch.py" bench $c $w $h $b $steps $t channels_last $inf)
				nchw=$("$py" "$root/tests/bench/unet_torch.py" bench $c $w $h $b $steps $t nchw $inf)
				r1=$(awk -v a="$ours" -v b="$cl" 'BEGIN { printf "%.2f", a / b }')
				r2=$(awk -v a="$ours" -v b="$nchw" 'BEGIN { printf "%.2f", a / b }')
			fi
			printf '%-12s %-3s %-5s %9s %8s %10s %10s %8s %8s\n' "${w}x${h}x$c" $t $what "$ours" "$gf" "$cl" "$nchw" "$r1" "$r2"
		done
	done
done
echo
line=$(OPENBLAS_NUM_THREADS=2 "$bench" -t train -s 176x144 -c 4 -b 8 -n 2)
mib=$(cut -f8 <<< "$line")
echo "peak memory (maxrss) of a 176x144x4 batch-8 training run: $mib MiB (limit 1024)"
[ "$mib" -lt 1024 ]
