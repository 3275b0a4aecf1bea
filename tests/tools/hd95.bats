#!/usr/bin/env bats
# hd95: usage, bad input, matching, known answers, empty policies, and
# (optional) agreement with scipy under MedPy's definition.

load helpers
bats_require_minimum_version 1.5.0

setup() {
	cd "$BATS_TEST_TMPDIR"
	# two 10^3 cubes in a 20^3 grid, spacing 0.5 x 1 x 3 mm; b is a shifted
	# 3 voxels along x (c1), y (c2) or z (c3)
	for c in 1 2 3; do
		mkslab a.slab "c$c" "20 20 20" "0.5 1 3" u8 "$(box 2 12 2 12 2 12)"
	done
	mkslab b.slab c1 "20 20 20" "0.5 1 3" u8 "$(box 5 15 2 12 2 12)"
	mkslab b.slab c2 "20 20 20" "0.5 1 3" u8 "$(box 2 12 5 15 2 12)"
	mkslab b.slab c3 "20 20 20" "0.5 1 3" u8 "$(box 2 12 2 12 5 15)"
}

@test "hd95 -h prints usage on stdout" {
	run hd95 -h
	[ "$status" -eq 0 ]
	[[ "$output" == usage:\ hd95* ]]
	[[ "$output" == *--empty* ]]
}

@test "hd95 rejects a bad option, a bad mode and a missing operand with exit 2" {
	run --separate-stderr hd95 -x a.slab b.slab
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	run --separate-stderr hd95 -m median a.slab b.slab
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	[[ "$stderr" == "hd95: -m/--mode: want medpy, max, hd or assd: 'median'" ]]
	run --separate-stderr hd95 -c 8 a.slab b.slab
	[ "$status" -eq 2 ]
	run --separate-stderr hd95 -e -3 a.slab b.slab
	[ "$status" -eq 2 ]
	run --separate-stderr hd95 a.slab
	[ "$status" -eq 2 ]
	[ -z "$output" ]
}

@test "hd95 fails on a missing file with one line and no output" {
	run --separate-stderr hd95 -o out.tsv nosuch.slab b.slab
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "$stderr" == *"cannot open 'nosuch.slab'"* ]]
	[ ! -e out.tsv ]
}

@test "hd95 fails on a truncated or malformed stream and writes nothing" {
	head -c -5 b.slab >short.slab
	run --separate-stderr hd95 -o out.tsv a.slab short.slab
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[ ! -e out.tsv ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	printf 'SLAB 1\nDIMS 2 2\nENDHDR\n' >bad.slab
	run --separate-stderr hd95 a.slab bad.slab
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[ -z "$(ls out.tsv* 2>/dev/null)" ]
}

@test "hd95 fails on mismatched dims, a missing case, or a non-mask" {
	mkslab p.slab c1 "20 20 19" "0.5 1 3" u8 0
	run --separate-stderr hd95 p.slab a.slab
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[[ "$stderr" == *"dims differ"*"'c1'" ]]
	mkslab q.slab c9 "20 20 20" "0.5 1 3" u8 0
	run --separate-stderr hd95 q.slab a.slab
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[[ "$stderr" == *"no prediction for this case: 'c1'" ]]
	cat b.slab q.slab >bq.slab
	run --separate-stderr hd95 bq.slab a.slab
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"no ground truth for this case: 'c9'" ]]
	mkslab v.slab c1 "20 20 20" "0.5 1 3" u8 2
	run --separate-stderr hd95 v.slab a.slab
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"holds 0 or 1, not 2"* ]]
	mkslab s.slab c1 "20 20 20" "0.5 1 2" u8 0
	run --separate-stderr hd95 s.slab a.slab
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"spacing differs"* ]]
}

@test "hd95 gives 3 voxels in the shifted axis' spacing: 1.5, 3 and 9 mm" {
	hd95 b.slab a.slab >out.tsv 2>sum.txt
	near "$(col out.tsv c1 hd95)" 1.5
	near "$(col out.tsv c2 hd95)" 3
	near "$(col out.tsv c3 hd95)" 9
	[ "$(col out.tsv c1 pred_surface)" = 488 ]
	[ "$(col out.tsv c1 empty)" = none ]
	hd95 -m hd b.slab a.slab >hd.tsv 2>/dev/null
	near "$(col hd.tsv c3 hd)" 9
	hd95 -m assd b.slab a.slab >assd.tsv 2>/dev/null
	# from scipy with MedPy's definition
	near "$(col assd.tsv c1 assd)" 0.598361 1e-5
	near "$(col assd.tsv c3 assd)" 2.659836 1e-5
	grep -q $'^hd95\t4.5\t' sum.txt
}

@test "hd95 of two single voxels is their distance in every mode" {
	mkslab p.slab "" "8 6 5" "0.5 2 3" u8 '(x == 1 && y == 1 && z == 1) ? 1 : 0'
	mkslab g.slab "" "8 6 5" "0.5 2 3" u8 '(x == 4 && y == 5 && z == 2) ? 1 : 0'
	for m in medpy max hd assd; do
		run hd95 -m "$m" p.slab g.slab
		[ "$status" -eq 0 ]
		near "$(printf '%s\n' "$output" | awk -F '\t' '$1 == "1" { print $2 }')" \
			"$(awk 'BEGIN { print sqrt(1.5 ^ 2 + 64 + 9) }')"
	done
}

@test "hd95 reads stdin as the same stream as the file" {
	hd95 b.slab a.slab >file.tsv 2>/dev/null
	hd95 - a.slab <b.slab >stdin.tsv 2>/dev/null
	cmp file.tsv stdin.tsv
	hd95 b.slab - <a.slab >stdin2.tsv 2>/dev/null
	cmp file.tsv stdin2.tsv
	run hd95 - - <a.slab
	[ "$status" -eq 1 ]
}

@test "hd95 matches by name in any order, and by position without names" {
	mkslab r.slab c3 "20 20 20" "0.5 1 3" u8 "$(box 2 12 2 12 5 15)"
	mkslab r.slab c1 "20 20 20" "0.5 1 3" u8 "$(box 5 15 2 12 2 12)"
	mkslab r.slab c2 "20 20 20" "0.5 1 3" u8 "$(box 2 12 5 15 2 12)"
	hd95 r.slab a.slab >r.tsv 2>/dev/null
	hd95 b.slab a.slab >b.tsv 2>/dev/null
	cmp r.tsv b.tsv
	mkslab u.slab "" "20 20 20" "0.5 1 3" u8 "$(box 2 12 2 12 5 15)"
	mkslab v.slab "" "20 20 20" "0.5 1 3" u8 "$(box 2 12 2 12 2 12)"
	hd95 u.slab v.slab >u.tsv 2>sum.txt
	near "$(col u.tsv 1 hd95)" 9
	grep -q 'matched by position' sum.txt
}

@test "hd95 states and counts its empty-mask policy" {
	mkslab e.slab c1 "20 20 20" "0.5 1 3" u8 0
	mkslab e.slab c2 "20 20 20" "0.5 1 3" u8 "$(box 2 12 5 15 2 12)"
	mkslab e.slab c3 "20 20 20" "0.5 1 3" u8 "$(box 2 12 2 12 5 15)"
	mkslab z.slab c1 "20 20 20" "0.5 1 3" u8 0
	mkslab z.slab c2 "20 20 20" "0.5 1 3" u8 "$(box 2 12 2 12 2 12)"
	mkslab z.slab c3 "20 20 20" "0.5 1 3" u8 "$(box 2 12 2 12 2 12)"
	hd95 e.slab a.slab >o.tsv 2>sum.txt
	[ "$(col o.tsv c1 hd95)" = inf ]
	[ "$(col o.tsv c1 empty)" = pred ]
	grep -q 'one mask empty -> inf, both empty -> 0' sum.txt
	grep -q $'^hd95\t6\t.*\t2\t3\t.*1 prediction.*1 inf left out of the mean' sum.txt
	hd95 -e nan e.slab a.slab >o.tsv 2>/dev/null
	[ "$(col o.tsv c1 hd95)" = nan ]
	hd95 -e 100 e.slab a.slab >o.tsv 2>/dev/null
	[ "$(col o.tsv c1 hd95)" = 100 ]
	hd95 -e diag e.slab a.slab >o.tsv 2>/dev/null
	near "$(col o.tsv c1 hd95)" "$(awk 'BEGIN { print sqrt(9.5 ^ 2 + 19 ^ 2 + 57 ^ 2) }')" 1e-4
	hd95 e.slab z.slab >o.tsv 2>/dev/null
	[ "$(col o.tsv c1 hd95)" = 0 ]
	[ "$(col o.tsv c1 empty)" = both ]
	run --separate-stderr hd95 -e error -o o2.tsv e.slab a.slab
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[ ! -e o2.tsv ]
	[[ "$stderr" == *"prediction mask is empty"*"'c1'" ]]
}

@test "hd95 refuses unlabelled ground truth unless told to exclude it" {
	mkslab g.slab c1 "20 20 20" "0.5 1 3" u8 "z >= 15 ? 255 : ($(box 2 12 2 12 2 12))"
	mkslab p.slab c1 "20 20 20" "0.5 1 3" u8 "z >= 15 ? 1 : ($(box 2 12 2 12 2 12))"
	run --separate-stderr hd95 p.slab g.slab
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[[ "$stderr" == *"unlabelled voxels (255)"* ]]
	hd95 -U exclude p.slab g.slab >o.tsv 2>/dev/null
	[ "$(col o.tsv c1 hd95)" = 0 ]
}

@test "hd95 thresholds f32 predictions at -t (p >= THR)" {
	mkslab p.slab c1 "20 20 20" "0.5 1 3" f32 \
		"($(box 2 12 2 12 2 12)) ? 1 : (($(box 2 12 2 12 12 15)) ? 0.5 : 0)"
	mkslab g.slab c1 "20 20 20" "0.5 1 3" u8 "$(box 2 12 2 12 2 12)"
	hd95 -t 0.75 p.slab g.slab >o.tsv 2>/dev/null
	[ "$(col o.tsv c1 hd95)" = 0 ]
	hd95 -t 0.5 p.slab g.slab >o.tsv 2>/dev/null
	near "$(col o.tsv c1 hd95)" 9
	hd95 p.slab g.slab >o2.tsv 2>/dev/null
	cmp o.tsv o2.tsv
}

@test "hd95 writes the summary to -s FILE and the rows to -o FILE" {
	run --separate-stderr hd95 -s sum.txt -o rows.tsv b.slab a.slab
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ -z "$stderr" ]
	[ "$(wc -l <rows.tsv)" -eq 4 ]
	grep -q '^# hd95: mode medpy, connectivity 6' sum.txt
}

@test "hd95 agrees with scipy under MedPy's definition (random masks, every mode)" {
	have_python "numpy, scipy" || skip "no python3 with numpy and scipy"
	/usr/bin/python3 "$BATS_TEST_DIRNAME/eval_ref.py" make p.slab g.slab 12
	for m in medpy max hd assd; do
		for c in 6 18 26; do
			hd95 -m $m -c $c p.slab g.slab >ours.tsv 2>/dev/null
			/usr/bin/python3 "$BATS_TEST_DIRNAME/eval_ref.py" hd p.slab g.slab $m $c >ref.tsv
			paste ours.tsv ref.tsv | awk -F '\t' -v m=$m -v c=$c 'NR > 1 {
				d = $2 - $7; if (d < 0) d = -d
				if ($1 != $6 || d > 1e-5 * (1 + $7)) { print m, c, $0; bad = 1 } }
				END { exit bad }'
		done
	done
}

@test "hd95 agrees with scipy on hippocampus labels (anterior vs posterior)" {
	have_python "numpy, scipy, nibabel" || skip "no python3 with numpy, scipy and nibabel"
	[ -d "$SELFLABEL_DATA/Task04_Hippocampus/labelsTr" ] || skip "no hippocampus data"
	/usr/bin/python3 "$BATS_TEST_DIRNAME/eval_ref.py" msd \
		"$SELFLABEL_DATA/Task04_Hippocampus/labelsTr" p.slab g.slab 8
	hd95 p.slab g.slab >ours.tsv 2>/dev/null
	/usr/bin/python3 "$BATS_TEST_DIRNAME/eval_ref.py" hd p.slab g.slab medpy 6 >ref.tsv
	[ "$(wc -l <ours.tsv)" -eq 9 ]
	paste ours.tsv ref.tsv | awk -F '\t' 'NR > 1 { d = $2 - $7; if (d < 0) d = -d
		if ($1 != $6 || d > 1e-5 * (1 + $7)) { print; bad = 1 } } END { exit bad }'
}

@test "hd95 writes -o and -s all or none" {
	mkslab ps.slab s1 "4 4 2" "1 1 1" u8 'x == 1'
	mkslab gs.slab s1 "4 4 2" "1 1 1" u8 'x == 2'
	# -o is a folder: found before -s is renamed into place
	mkdir o.d
	run --separate-stderr hd95 -s sum.txt -o o.d ps.slab gs.slab
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[ -z "$(ls sum.txt* 2>/dev/null)" ]
	[ -z "$(ls o.d)" ]
	hd95 -s sum.txt -o o.tsv ps.slab gs.slab
	[ -s sum.txt ] && [ -s o.tsv ]
}

@test "hd95 and metrics --hd95 bound their work on extreme spacings and refuse what they cannot compute" {
	# the largest anisotropy allowed (1e-6 1e-6 1e6): fast and small (the
	# search asked for 12 million lines along y, beyond the 4 the grid has)
	slab_expr p.slab a "5 4 3" "1e-6 1e-6 1e6" u8 'x > 1'
	slab_expr g.slab a "5 4 3" "1e-6 1e-6 1e6" u8 'x > 2'
	run -0 --separate-stderr mem_limited 400000 timeout 20 hd95 p.slab g.slab
	[ "$(printf '%s\n' "$output" | awk -F'\t' '$1 == "a" { print $2 }')" = 1e-06 ]
	for sp in "1 1 1e14" "1 1 1e200" "1e-300 1 1"; do
		rm -f p.slab g.slab
		slab_expr p.slab a "5 4 3" "$sp" u8 'x > 1'
		slab_expr g.slab a "5 4 3" "$sp" u8 'x > 2'
		run --separate-stderr timeout 20 hd95 -o out.tsv p.slab g.slab
		failed_cleanly "voxel spacing out of the range"
		[ ! -e out.tsv ]
		run --separate-stderr timeout 20 metrics --hd95 -o out.tsv p.slab g.slab
		[ "$status" -eq 1 ]
		[[ "$stderr" == "metrics: a: voxel spacing out of the range"* ]]
	done
}

# ---- multi-class label maps ------------------------------------------------

# lmap NAME NC TYPE BYTES LINE...: one 6x1x1 slab of NC channels on stdout.
lmap() {
	local name=$1 nc=$2 type=$3 bytes=$4
	shift 4
	slab_header "$name" "6 1 1" "$nc" "$type" "$@"
	# shellcheck disable=SC2059
	printf "$bytes"
}

@test "hd95 on 3-class label maps: known distances per class, merged and their mean" {
	# gt 0 1 1 2 2 255, pred 0 1 2 2 0 1, the 255 excluded: class a pred {1} gt {1,2}:
	# distances 0 | 0 1 -> p95 of 0 0 1 = 0.9; b {2,3} {3,4}: 1 0 | 0 1 -> 1;
	# fg {1,2,3} {1,2,3,4}: 0 0 0 | 0 0 0 1 -> 0.7; mean of a and b 0.95
	lmap c3 1 u8 '\x00\x01\x01\x02\x02\xff' "CLASSES 3" "CLASS_NAMES bg a b" >g3.slab
	lmap c3 1 u8 '\x00\x01\x02\x02\x00\x01' "CLASSES 3" "CLASS_NAMES bg a b" >p3.slab
	run -0 --separate-stderr hd95 -U exclude p3.slab g3.slab
	[ "${lines[0]}" = "$(printf 'case\tclass\thd95\tpred_surface\tgt_surface\tempty')" ]
	[ "${lines[1]}" = "$(printf 'c3\ta\t0.9\t1\t2\tnone')" ]
	[ "${lines[2]}" = "$(printf 'c3\tb\t1\t2\t2\tnone')" ]
	[ "${lines[3]}" = "$(printf 'c3\tfg\t0.7\t3\t4\tnone')" ]
	[ "$(awk -F '\t' '$1 == "mean" && $2 == "hd95" { print $3 }' <<<"$stderr")" = 0.95 ]
	[ "$(awk -F '\t' '$1 == "b" && $2 == "hd95" { print $3 }' <<<"$stderr")" = 1 ]
	# a class empty in the prediction: inf, and the case leaves the mean
	lmap c3 1 u8 '\x00\x01\x01\x01\x00\x01' "CLASSES 3" "CLASS_NAMES bg a b" >pa.slab
	run -0 --separate-stderr hd95 -U exclude pa.slab g3.slab
	[ "$(awk -F '\t' '$2 == "b" { print $3, $6 }' <<<"$output")" = "inf pred" ]
	[ "$(awk -F '\t' '$1 == "mean" { print $5, $8 }' <<<"$stderr")" = "0 1 case with an infinite or undefined class distance left out" ]
}

@test "hd95 per class equals hd95 of each class's binary mask; metrics --hd95 the same" {
	phantom -n 2 -d 24,20,10 -s 5 ph >/dev/null
	for c in 1 2; do
		o=$((3 - c))
		for f in 1 2 1,2 -; do
			m="-f $f"; [ $f != - ] || m=
			# shellcheck disable=SC2086
			msd2slab -Z $m -i ph/imagesTr/phantom_00$c.nii.gz -m ph/labelsTr/phantom_00$c.nii.gz -n c$c g$f >/dev/null
			# shellcheck disable=SC2086
			msd2slab -Z $m -i ph/imagesTr/phantom_00$c.nii.gz -m ph/labelsTr/phantom_00$o.nii.gz -n c$c p$f >/dev/null
			cat g$f/labels/c$c.slab >>g$f.slab
			cat p$f/labels/c$c.slab >>p$f.slab
		done
	done
	hd95 -m max p-.slab g-.slab >ours.tsv 2>/dev/null
	[ "$(wc -l <ours.tsv)" -eq 7 ]
	for f in 1 2 1,2; do
		k=$f; [ $f != 1,2 ] || k=fg
		diff <(hd95 -m max p$f.slab g$f.slab 2>/dev/null | tail -n +2) \
		     <(awk -F '\t' -v k=$k '$2 == k' ours.tsv | cut -f 1,3-)
	done
	diff <(cut -f 1-3 ours.tsv | tail -n +2) <(metrics --hd95 -m max p-.slab g-.slab 2>/dev/null | cut -f 1,2,13 | tail -n +2)
}

@test "hd95 refuses mismatched or malformed classes with one line" {
	lmap c3 1 u8 '\x00\x01\x01\x02\x02\x00' "CLASSES 3" >g3.slab
	lmap c3 1 u8 '\x00\x01\x01\x01\x00\x01' >pb.slab
	run --separate-stderr hd95 pb.slab g3.slab
	failed_cleanly "classes differ"
	lmap c3 1 u8 '\x00\x01\x01\x02\x02\x00' "CLASSES 3" "CLASS_VALUES 0 1 5" >pv.slab
	run --separate-stderr hd95 pv.slab g3.slab
	failed_cleanly "classes differ"
	lmap c3 3 f32 "$F5$F25$F0$F125$F5$F0$F5$F75$F25$F0$F0$F1$F0$F0$F75$F875$F5$F0" >qn.slab
	run --separate-stderr hd95 qn.slab g3.slab
	failed_cleanly "without CLASSES"
	lmap c3 1 u8 '\x00\x01\x01\x02\x02\x00' "CLASSES 3" "CLASS_VALUES 0 1 1" >gb.slab
	run --separate-stderr hd95 pv.slab gb.slab
	failed_cleanly "repeats a value"
	lmap c3 1 u8 '\x00\x01\x01\x02\x02\x00' "CLASSES three" >gb.slab
	run --separate-stderr hd95 pv.slab gb.slab
	failed_cleanly "bad CLASSES"
	# a second case of other classes
	cat g3.slab >g2.slab; lmap d3 1 u8 '\x00\x01\x01\x01\x01\x00' >>g2.slab
	cp g2.slab p2.slab
	run --separate-stderr hd95 p2.slab g2.slab
	failed_cleanly "classes differ from the first case's (3): '2' in 'd3'"
}
