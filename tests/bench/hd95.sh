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

secs() { # command... -> wall seconds on stdout (output discarded)
	local t0 t1
	t0=$(date +%s.%N)
	"$@" >/dev/null 2>&1
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }'
}

${CC:-cc} -O2 -std=c11 -D_GNU_SOURCE -I"$root/lib" -o "$tmp/gen" "$root/tests/bench/hd95_gen.c" \
	"$root/build/libselflabel.a" -lm

for kind in organ body; do
	"$tmp/gen" $kind "$tmp/p.slab" "$tmp/g.slab"
	hd95 "$tmp/p.slab" "$tmp/g.slab" >"$tmp/ours.tsv" 2>/dev/null
	ours=$(secs hd95 "$tmp/p.slab" "$tmp/g.slab")
	v=$(awk -F '\t' 'NR == 2 { print $2 }' "$tmp/ours.tsv")
	line="hd95 512x512x300 $kind pair: ${ours} s (hd95 $v mm)"
	if [ $py = 1 ]; then
		r=$(secs /usr/bin/python3 "$ref" hd "$tmp/p.slab" "$tmp/g.slab" medpy 6)
		/usr/bin/python3 "$ref" hd "$tmp/p.slab" "$tmp/g.slab" medpy 6 >"$tmp/ref.tsv"
		rv=$(awk -F '\t' 'NR == 2 { print $2 }' "$tmp/ref.tsv")
		line="$line; scipy $r s ($rv mm); x$(awk -v a="$ours" -v b="$r" 'BEGIN { printf "%.1f", b / a }') faster"
	else
		line="$line; scipy reference skipped (no python3 with numpy and scipy)"
	fi
	echo "$line"
	awk -v t="$ours" 'BEGIN { exit !(t < 1) }' && echo "  target < 1 s: met" || echo "  target < 1 s: NOT met"
done

labels=$data/Task04_Hippocampus/labelsTr
if [ ! -d "$labels" ]; then
	echo "hippocampus: skipped (no data at $labels)"
elif ! /usr/bin/python3 -c 'import numpy, scipy, nibabel' 2>/dev/null; then
	echo "hippocampus: skipped (needs python3 with numpy, scipy and nibabel to write the pairs)"
else
	# anterior (label 1) vs posterior (label 2) of each of the 221 volumes
	/usr/bin/python3 "$ref" msd "$labels" "$tmp/hp.slab" "$tmp/hg.slab" 1000
	n=$(grep -c '^SLAB 1' "$tmp/hg.slab" || true)
	hd95 "$tmp/hp.slab" "$tmp/hg.slab" >"$tmp/ours.tsv" 2>/dev/null
	ours=$(secs hd95 "$tmp/hp.slab" "$tmp/hg.slab")
	r=$(secs /usr/bin/python3 "$ref" hd "$tmp/hp.slab" "$tmp/hg.slab" medpy 6)
	/usr/bin/python3 "$ref" hd "$tmp/hp.slab" "$tmp/hg.slab" medpy 6 >"$tmp/ref.tsv"
	diff=$(paste "$tmp/ours.tsv" "$tmp/ref.tsv" | awk -F '\t' 'NR > 1 { d = $2 - $7; if (d < 0) d = -d
		if (d > m) m = d } END { printf "%.2g", m }')
	echo "hd95 hippocampus, $n label volumes (label 1 vs 2): ${ours} s; scipy $r s;" \
		"x$(awk -v a="$ours" -v b="$r" 'BEGIN { printf "%.1f", b / a }') faster; largest difference $diff mm"
fi
