#!/usr/bin/env bash
# The U-Net engine's speed table in one run: for each shape
# (32x32x1 b32, 96x96x1 b16, 176x144x4 b8), 1 and 2 threads, train step
# (forward, BCE, backward, RMSprop) and inference: our slices/s, PyTorch's
# (channels-last, same threads, batch and RMSprop step) measured right
# after, the ratio, and our useful GFLOP/s (direct-convolution FLOPs: 71.0,
# 639.4, 1780.1 MFLOP per slice per train step, a third of that per
# inference) against OpenBLAS sgemm on a 2048^3 product measured here with
# the same threads (the ceiling). Every figure is the fastest of REPS timed
# blocks (BENCH_REPS, default 3), which a loaded machine disturbs least.
# cpu_ratio is the same ratio by each process's CPU time (slices per
# CPU-second): with 1 thread it shows the work done whatever the load; with
# 2 it also counts idle spinning (PyTorch's OpenMP threads spin).
# PyTorch runs with the same OPENBLAS_NUM_THREADS and OMP_NUM_THREADS as
# ours (its OpenBLAS would otherwise start a thread per core).
# Set BENCH_NCHW=1 to add PyTorch's default (NCHW) layout.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
bench="$root/bin/unet-bench"
py=/usr/bin/python3
reps=${BENCH_REPS:-3}
torch=0
if "$py" -c 'import torch' 2>/dev/null; then torch=1; else
	echo "PyTorch not importable with $py: skipping the PyTorch comparison"; fi
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
# the CPU's vector instructions, the engine's build and the OpenBLAS core in use
# (corrected when OpenBLAS guessed below the CPU: lib/blascore.h)
"$bench" -t cpu | awk -F'\t' '$1 != "cpu" { printf "%s: %s\n", $1, $2 }'
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg) (other jobs distort the figures; ratios are side by side)"

declare -A ceil
for t in 1 2; do
	ceil[$t]=$(OPENBLAS_NUM_THREADS=$t "$bench" -t sgemm -s 2048x2048 -n 2 -r "$reps" | cut -f7)
	echo "sgemm 2048^3, $t thread(s): ${ceil[$t]} GFLOP/s"
done
# the FMA peak of one core (a register-only loop): no code can pass it
peak=$("$bench" -t fma -n 50 -r "$reps" | cut -f7)
echo "FMA peak, one core: $peak GFLOP/s (%peak: of threads x this)"
echo
hdr='%-10s %-4s %-3s %-5s %8s %8s %6s %9s %8s %7s %6s %8s'
[ "${BENCH_NCHW:-0}" = 1 ] && hdr="$hdr %8s %6s"
hdr="$hdr\n"
cols=(shape batch thr what ours/s torch/s ratio cpu_ratio GFLOP/s %sgemm %peak torch_GF)
[ "${BENCH_NCHW:-0}" = 1 ] && cols+=(nchw/s r_nchw)
# shellcheck disable=SC2059
printf "$hdr" "${cols[@]}"
shapes=("32 32 1 32 10 71.0" "96 96 1 16 4 639.4" "176 144 4 8 2 1780.1")
worst=""
for t in 1 2; do
	for s in "${shapes[@]}"; do
		read -r w h c b n mf <<< "$s"
		for what in train infer; do
			steps=$n mflop=$mf
			[ $what = infer ] && steps=$((3 * n)) && mflop=$(awk -v m="$mf" 'BEGIN { print m / 3 }')
			line=$(OPENBLAS_NUM_THREADS=$t "$bench" -t $what -s "${w}x$h" -c "$c" -b "$b" \
				-n $steps -r "$reps" -m "$mflop")
			ours=$(cut -f6 <<< "$line") gf=$(cut -f7 <<< "$line") ocpu=$(cut -f9 <<< "$line")
			pct=$(awk -v a="$gf" -v b="${ceil[$t]}" 'BEGIN { printf "%.0f%%", 100 * a / b }')
			ppk=$(awk -v a="$gf" -v b="$peak" -v t="$t" 'BEGIN { printf "%.0f%%", 100 * a / (t * b) }')
			cl=- r=- rc=- tgf=- nchw=- rn=-
			if [ $torch = 1 ]; then
				inf=-; [ $what = infer ] && inf=infer
				read -r cl ccpu < <(OPENBLAS_NUM_THREADS=$t OMP_NUM_THREADS=$t "$py" "$root/tests/bench/unet_torch.py" bench "$c" "$w" "$h" \
					"$b" $steps $t channels_last $inf "$reps")
				r=$(awk -v a="$ours" -v b="$cl" 'BEGIN { printf "%.2f", a / b }')
				rc=$(awk -v a="$ocpu" -v b="$ccpu" 'BEGIN { printf "%.2f", a / b }')
				tgf=$(awk -v a="$cl" -v m="$mflop" 'BEGIN { printf "%.1f", a * m / 1e3 }')
				worst="$worst $r"
				if [ "${BENCH_NCHW:-0}" = 1 ]; then
					read -r nchw _ < <(OPENBLAS_NUM_THREADS=$t OMP_NUM_THREADS=$t "$py" "$root/tests/bench/unet_torch.py" bench "$c" "$w" \
						"$h" "$b" $steps $t nchw $inf "$reps")
					rn=$(awk -v a="$ours" -v b="$nchw" 'BEGIN { printf "%.2f", a / b }')
				fi
			fi
			vals=("${w}x${h}x$c" "$b" $t $what "$ours" "$cl" "$r" "$rc" "$gf" "$pct" "$ppk" "$tgf")
			[ "${BENCH_NCHW:-0}" = 1 ] && vals+=("$nchw" "$rn")
			# shellcheck disable=SC2059
			printf "$hdr" "${vals[@]}"
		done
	done
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ -n "$worst" ]; then
	awk -v l="$worst" 'BEGIN { n = split(l, a, " "); m = a[1]; for (i = 2; i <= n; i++) if (a[i] + 0 < m + 0) m = a[i];
		printf "lowest ratio ours/PyTorch channels-last: %.2f (target 1.5)\n", m }'
fi
echo
line=$(OPENBLAS_NUM_THREADS=2 "$bench" -t train -s 176x144 -c 4 -b 8 -n 2)
mib=$(cut -f8 <<< "$line")
echo "peak memory (maxrss) of a 176x144x4 batch-8 training run: $mib MiB (limit 1024)"
[ "$mib" -lt 1024 ]
