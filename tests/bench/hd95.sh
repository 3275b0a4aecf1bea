#!/usr/bin/env bash
# hd95 speed: a CT-sized pair (512 x 512 x 300, organ-sized and body-sized
# masks) and the 221 hippocampus label volumes, each timed next to scipy's
# distance_transform_edt computing the same numbers (MedPy's definition)
# when python3 with numpy and scipy is there. Target: a CT-sized pair in
# under a second on one core.
set -eu
root=${SELFLABEL_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
data=${SELFLABEL_DATA:-$root/../shared/data}
ref=$root/tests/tools/eval_ref.py
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export OPENBLAS_NUM_THREADS=1

py=0
/usr/bin/python3 -c 'import numpy, scipy' 2>/dev/null && py=1

# secs OUT command... -> "CPU WALL": user+sys and wall seconds; the
# command's stdout goes to OUT. CPU time is the figure for "one core": the
# machine may be shared with other work.
secs() {
	local TIMEFORMAT='%U %S %R' t out=$1
	shift
	t=$( { time "$@" >"$out" 2>/dev/null; } 2>&1 )
	awk -v t="$t" 'BEGIN { split(t, a, " "); printf "%.3f %.3f", a[1] + a[2], a[3] }'
}
cpu() { echo "${1% *}"; }
wall() { echo "${1#* }"; }

${CC:-cc} -O2 -std=c11 -D_GNU_SOURCE -I"$root/lib" -o "$tmp/gen" "$root/tests/bench/hd95_gen.c" \
	"$root/build/libselflabel.a" -lm

for kind in organ body; do
	"$tmp/gen" $kind "$tmp/p.slab" "$tmp/g.slab"
	t=$(secs "$tmp/ours.tsv" hd95 "$tmp/p.slab" "$tmp/g.slab")
	ours=$(cpu "$t")
	v=$(awk -F '\t' 'NR == 2 { print $2 }' "$tmp/ours.tsv")
	s=$(awk -F '\t' 'NR == 2 { print $3 + $4 }' "$tmp/ours.tsv")
	line="hd95 512x512x300 $kind pair ($s surface voxels): ${ours} s CPU ($(wall "$t") s wall), hd95 $v mm"
	if [ $py = 1 ]; then
		r=$(secs "$tmp/ref.tsv" /usr/bin/python3 "$ref" hd "$tmp/p.slab" "$tmp/g.slab" medpy 6)
		rv=$(awk -F '\t' 'NR == 2 { print $2 }' "$tmp/ref.tsv")
		line="$line; scipy $(cpu "$r") s CPU, $rv mm; x$(awk -v a="$ours" -v b="$(cpu "$r")" 'BEGIN { printf "%.0f", b / a }') faster"
	else
		line="$line; scipy reference skipped (no python3 with numpy and scipy)"
	fi
	echo "$line"
	awk -v t="$ours" 'BEGIN { exit !(t < 1) }' && echo "  target < 1 s on one core: met" ||
		echo "  target < 1 s on one core: NOT met"
done

labels=$data/Task04_Hippocampus/labelsTr
if [ ! -d "$labels" ]; then
	echo "hippocampus: skipped (no data at $labels)"
elif ! /usr/bin/python3 -c 'import numpy, scipy, nibabel' 2>/dev/null; then
	echo "hippocampus: skipped (needs python3 with numpy, scipy and nibabel to write the pairs)"
else
	# anterior (label 1) vs posterior (label 2) of each of the 221 volumes
	/usr/bin/python3 "$ref" msd "$labels" "$tmp/hp.slab" "$tmp/hg.slab" 1000
	ours=$(cpu "$(secs "$tmp/ours.tsv" hd95 "$tmp/hp.slab" "$tmp/hg.slab")")
	n=$(($(wc -l <"$tmp/ours.tsv") - 1))
	r=$(cpu "$(secs "$tmp/ref.tsv" /usr/bin/python3 "$ref" hd "$tmp/hp.slab" "$tmp/hg.slab" medpy 6)")
	diff=$(paste "$tmp/ours.tsv" "$tmp/ref.tsv" | awk -F '\t' 'NR > 1 { d = $2 - $7; if (d < 0) d = -d
		if (d > m) m = d } END { printf "%.2g", m }')
	echo "hd95 hippocampus, $n label volumes (label 1 vs 2): ${ours} s CPU; scipy $r s CPU;" \
		"x$(awk -v a="$ours" -v b="$r" 'BEGIN { printf "%.0f", b / a }') faster; largest difference $diff mm" \
		"(hd95 prints 6 digits)"
fi
