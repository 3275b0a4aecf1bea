#!/usr/bin/env bash
# msd2slab on the 221 hippocampus cases against zcat of the same files
# (decompression is the floor), in the same run. Best of 3 runs each, wall
# clock and CPU (user + system) time; aim: wall ratio <= 1.5.
set -eu
data="$SELFLABEL_DATA/Task04_Hippocampus"
if [ ! -f "$data/dataset.json" ]; then
	echo "skip: no data at $data"
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
files=("$data"/imagesTr/*.nii.gz "$data"/labelsTr/*.nii.gz)

best() { # "wall cpu": the best of 3 runs of "$@"
	local i
	for i in 1 2 3; do
		rm -rf "$tmp/out"
		TIMEFORMAT='%R %U %S'
		{ time "$@" >/dev/null 2>&1; } 2>"$tmp/t"
		tail -n 1 "$tmp/t"
	done | awk 'NR == 1 || $1 < w { w = $1 } NR == 1 || $2 + $3 < c { c = $2 + $3 }
	            END { print w, c }'
}

read -r zw zc <<<"$(best zcat "${files[@]}")"
read -r mw mc <<<"$(best msd2slab "$data" "$tmp/out")"
read -r rw rc <<<"$(best msd2slab -Z -c 32x48 "$data" "$tmp/out")"
printf 'cases %d (%d files, %s MB compressed)\n' "$(ls "$data"/imagesTr | wc -l)" "${#files[@]}" \
	"$(du -sm "$data" | cut -f1)"
printf '%-24s %6s %6s   %s\n' '' wall cpu 'ratio to zcat (wall, cpu)'
printf '%-24s %6.2f %6.2f\n' zcat "$zw" "$zc"
line() { printf '%-24s %6.2f %6.2f   %.2f %.2f\n' "$1" "$2" "$3" \
	"$(awk -v a="$2" -v b="$zw" 'BEGIN { print a / b }')" "$(awk -v a="$3" -v b="$zc" 'BEGIN { print a / b }')"; }
line msd2slab "$mw" "$mc"
line 'msd2slab -Z -c 32x48' "$rw" "$rc"
echo "aim: msd2slab within 1.5x of zcat (wall)"
