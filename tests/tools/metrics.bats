#!/usr/bin/env bats
# metrics: usage, bad input, matching, known answers, undefined ratios,
# unlabelled voxels, NSI bins, and (optional) counts against numpy.

load helpers
bats_require_minimum_version 1.5.0

setup() {
	cd "$BATS_TEST_TMPDIR"
	# 4 voxels: pred 1 1 0 0, gt 1 0 1 255 -> tp 1, fp 1, fn 1, tn 0, ignored 1
	mkslab p.slab k1 "4 1 1" "1 1 1" u8 'x < 2 ? 1 : 0'
	mkslab g.slab k1 "4 1 1" "1 1 1" u8 'x == 0 || x == 2 ? 1 : (x == 3 ? 255 : 0)'
	# 8 voxels: pred = gt = 1 1 0 0 0 0 0 0 -> all right
	mkslab p.slab k2 "2 2 2" "1 1 1" u8 'y == 0 && z == 0 ? 1 : 0'
	mkslab g.slab k2 "2 2 2" "1 1 1" u8 'y == 0 && z == 0 ? 1 : 0'
}

@test "metrics -h prints usage on stdout" {
	run metrics -h
	[ "$status" -eq 0 ]
	[[ "$output" == usage:\ metrics* ]]
	[[ "$output" == *--nsi-bins* ]]
}

@test "metrics rejects a bad option or operand count with exit 2" {
	run --separate-stderr metrics --bogus p.slab g.slab
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	[[ "$stderr" == "metrics: unknown option: '--bogus'" ]]
	run --separate-stderr metrics p.slab
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	run --separate-stderr metrics -t 1.5 p.slab g.slab
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	run --separate-stderr metrics -u maybe p.slab g.slab
	[ "$status" -eq 2 ]
	run --separate-stderr metrics --nsi-bins 4 p.slab g.slab
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"go together"* ]]
}

@test "metrics fails on a missing file with one line and no output" {
	run --separate-stderr metrics -o out.tsv p.slab nosuch.slab
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "$stderr" == *"cannot open 'nosuch.slab'"* ]]
	[ -z "$(ls out.tsv* 2>/dev/null)" ]
}

@test "metrics fails on a truncated or malformed stream and writes nothing" {
	head -c -1 p.slab >short.slab
	run --separate-stderr metrics -o out.tsv -s sum.txt short.slab g.slab
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[ -z "$(ls out.tsv* sum.txt* 2>/dev/null)" ]
	printf 'SLAB 1\nDIMS 4 1 1\nCHANNELS 1\nTYPE u9\nSPACING 1 1 1\nENDHDR\n' >bad.slab
	run --separate-stderr metrics bad.slab g.slab
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	: >empty.slab
	run --separate-stderr metrics empty.slab g.slab
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"no slab in the prediction"* ]]
}

@test "metrics fails on mismatched dims, names or counts, and on bad values" {
	mkslab d.slab k1 "4 1 2" "1 1 1" u8 0
	run --separate-stderr metrics d.slab g.slab
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[[ "$stderr" == *"dims differ: prediction 4x1x2, ground truth 4x1x1: 'k1'" ]]
	mkslab n.slab k1 "4 1 1" "1 1 1" u8 0
	run --separate-stderr metrics n.slab g.slab
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"no prediction for this case: 'k2'" ]]
	mkslab u1.slab "" "4 1 1" "1 1 1" u8 0
	mkslab u2.slab "" "4 1 1" "1 1 1" u8 0
	mkslab u2.slab "" "4 1 1" "1 1 1" u8 0
	run --separate-stderr metrics u1.slab u2.slab
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"more slabs"* ]]
	mkslab v.slab "" "4 1 1" "1 1 1" u8 'x == 1 ? 7 : 0'
	run --separate-stderr metrics u1.slab v.slab
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"holds 0, 1 or 255, not 7"* ]]
	mkslab f.slab "" "4 1 1" "1 1 1" f32 'x == 1 ? 2 : 0'
	run --separate-stderr metrics f.slab u1.slab
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"probability out of [0,1]"* ]]
}

@test "metrics gives the known counts and ratios, leaving 255 out" {
	metrics p.slab g.slab >o.tsv 2>sum.txt
	[ "$(head -n 1 o.tsv)" = "$(printf 'case\tdsc\tiou\ttpr\ttnr\tprecision\ttp\tfp\tfn\ttn\tignored')" ]
	[ "$(sed -n 2p o.tsv)" = "$(printf 'k1\t0.5\t0.333333\t0.5\t0\t0.5\t1\t1\t1\t0\t1')" ]
	[ "$(sed -n 3p o.tsv)" = "$(printf 'k2\t1\t1\t1\t1\t1\t2\t0\t0\t6\t0')" ]
	# mean and sample sd of 0.5 and 1
	grep -q $'^dsc\t0.75\t0.353553\t2\t2\t0.750 \xc2\xb1 0.354\t$' sum.txt
	grep -q '1 unlabelled ground-truth voxels (255) left out' sum.txt
}

@test "metrics counts both-empty cases as 1 by default and says so" {
	mkslab pe.slab e1 "3 3 1" "1 1 1" u8 0
	mkslab ge.slab e1 "3 3 1" "1 1 1" u8 0
	mkslab pe.slab e2 "3 3 1" "1 1 1" u8 'x == 0 ? 1 : 0'
	mkslab ge.slab e2 "3 3 1" "1 1 1" u8 'x == 1 ? 1 : 0'
	metrics pe.slab ge.slab >o.tsv 2>sum.txt
	[ "$(col o.tsv e1 dsc)" = 1 ]
	[ "$(col o.tsv e2 dsc)" = 0 ]
	grep -q $'^dsc\t0.5\t.*\t2\t2\t.*1 case 0/0 (both masks empty) counted as 1$' sum.txt
	grep -q $'^tpr\t0.5\t.*1 case 0/0 (no foreground in ground truth) counted as 1$' sum.txt
	metrics -u nan pe.slab ge.slab >o.tsv 2>sum.txt
	[ "$(col o.tsv e1 dsc)" = nan ]
	grep -q $'^dsc\t0\t.*\t1\t2\t.*1 case 0/0 (both masks empty) left out as nan$' sum.txt
	metrics -u 0 pe.slab ge.slab >o.tsv 2>/dev/null
	[ "$(col o.tsv e1 dsc)" = 0 ]
}

@test "metrics thresholds f32 predictions at -t (p >= THR)" {
	mkslab pf.slab k1 "4 1 1" "1 1 1" f32 'x == 0 ? 1 : (x == 1 ? 0.5 : (x == 2 ? 0.25 : 0))'
	mkslab pf.slab k2 "2 2 2" "1 1 1" f32 'y == 0 && z == 0 ? 0.75 : 0'
	metrics pf.slab g.slab >o.tsv 2>sum.txt
	[ "$(col o.tsv k1 tp)" = 1 ]
	[ "$(col o.tsv k1 fp)" = 1 ]
	grep -q '2 f32 predictions thresholded at p >= 0.5' sum.txt
	metrics -t 0.25 pf.slab g.slab >o.tsv 2>/dev/null
	[ "$(col o.tsv k1 tp)" = 2 ]
	[ "$(col o.tsv k1 fn)" = 0 ]
	metrics -t 0.8 pf.slab g.slab >o.tsv 2>/dev/null
	[ "$(col o.tsv k2 tp)" = 0 ]
	[ "$(col o.tsv k2 fn)" = 2 ]
}

@test "metrics reads stdin as the same stream as the file" {
	metrics p.slab g.slab >file.tsv 2>/dev/null
	metrics - g.slab <p.slab >stdin.tsv 2>/dev/null
	cmp file.tsv stdin.tsv
	metrics p.slab - <g.slab >stdin2.tsv 2>/dev/null
	cmp file.tsv stdin2.tsv
}

@test "metrics matches by name in any order and writes rows in ground-truth order" {
	mkslab r.slab k2 "2 2 2" "1 1 1" u8 'y == 0 && z == 0 ? 1 : 0'
	mkslab r.slab k1 "4 1 1" "1 1 1" u8 'x < 2 ? 1 : 0'
	metrics r.slab g.slab >r.tsv 2>sum.txt
	metrics p.slab g.slab >p.tsv 2>/dev/null
	cmp r.tsv p.tsv
	grep -q 'matched by name' sum.txt
}

@test "metrics --hd95 adds the boundary distance, as hd95 computes it" {
	mkslab a.slab c1 "20 20 20" "0.5 1 3" u8 "$(box 2 12 2 12 2 12)"
	mkslab b.slab c1 "20 20 20" "0.5 1 3" u8 "$(box 2 12 2 12 5 15)"
	metrics --hd95 b.slab a.slab >o.tsv 2>sum.txt
	near "$(col o.tsv c1 hd95)" 9
	[ "$(col o.tsv c1 hd_empty)" = none ]
	grep -q $'^hd95\t9\t' sum.txt
	metrics --hd95 -m hd -c 26 b.slab a.slab >o.tsv 2>/dev/null
	hd95 -m hd -c 26 b.slab a.slab >h.tsv 2>/dev/null
	[ "$(col o.tsv c1 hd)" = "$(col h.tsv c1 hd)" ]
	run --separate-stderr metrics --hd95 p.slab g.slab
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[[ "$stderr" == *"unlabelled voxels (255)"* ]]
	metrics --hd95 -U exclude p.slab g.slab >o.tsv 2>/dev/null
	[ "$(col o.tsv k2 hd95)" = 0 ]
}

@test "metrics --nsi-bins writes DSC per normalised slice index" {
	# 3 slices: nsi 0, 0.5, 1; slice 0 right, slice 1 half right, slice 2 wrong
	mkslab ps.slab s1 "2 1 3" "1 1 1" u8 'z == 0 ? 1 : (z == 1 ? (x == 0) : (x == 1))'
	mkslab gs.slab s1 "2 1 3" "1 1 1" u8 'z == 2 ? (x == 0) : 1'
	metrics --nsi-bins 2 --nsi-out nsi.tsv ps.slab gs.slab >o.tsv 2>/dev/null
	[ "$(sed -n 1p nsi.tsv)" = "$(printf 'bin\tnsi_lo\tnsi_hi\tcases\tslices\tdsc_mean\tdsc_sd\tdsc_pooled\tundefined')" ]
	[ "$(sed -n 2p nsi.tsv)" = "$(printf '0\t0\t0.5\t1\t1\t1\tnan\t1\t0')" ]
	# bin 1 holds slices 1 and 2: tp 1, fp 1, fn 2 -> 2/5
	[ "$(sed -n 3p nsi.tsv)" = "$(printf '1\t0.5\t1\t1\t2\t0.4\tnan\t0.4\t0')" ]
	# a slice that is all 255 counts nowhere
	mkslab gu.slab s1 "2 1 3" "1 1 1" u8 'z == 0 ? 255 : (z == 2 ? (x == 0) : 1)'
	metrics --nsi-bins 2 --nsi-out nsi2.tsv ps.slab gu.slab >o.tsv 2>/dev/null
	[ "$(sed -n 2p nsi2.tsv | cut -f 4,5)" = "$(printf '0\t0')" ]
}

@test "metrics --slices-out writes the counts of every slice" {
	# slice 0 right, slice 1 half right, slice 2 wrong; gt 255 on slice 0, x 1
	mkslab ps.slab s1 "2 1 3" "1 1 1" u8 'z == 0 ? 1 : (z == 1 ? (x == 0) : (x == 1))'
	mkslab gs.slab s1 "2 1 3" "1 1 1" u8 'z == 2 ? (x == 0) : (z == 0 && x == 1 ? 255 : 1)'
	metrics --slices-out sl.tsv -o o.tsv ps.slab gs.slab 2>/dev/null
	[ "$(cat sl.tsv)" = "$(printf 'case\tz\ttp\tfp\tfn\ttn\tignored\ns1\t0\t1\t0\t0\t0\t1\ns1\t1\t1\t0\t1\t0\t0\ns1\t2\t0\t1\t1\t0\t0')" ]
	# the slices add up to the case's row; a second case follows in gt order
	mkslab ps.slab s2 "2 1 1" "1 1 1" u8 0
	mkslab gs.slab s2 "2 1 1" "1 1 1" u8 1
	metrics --slices-out sl.tsv -o o.tsv ps.slab gs.slab 2>/dev/null
	[ "$(awk -F'\t' '$1 == "s1" { for (i = 3; i <= 7; i++) t[i] += $i }
		END { print t[3], t[4], t[5], t[6], t[7] }' sl.tsv)" = "$(awk -F'\t' '$1 == "s1" { print $7, $8, $9, $10, $11 }' o.tsv)" ]
	[ "$(tail -n 1 sl.tsv)" = "$(printf 's2\t0\t0\t0\t2\t0\t0')" ]
	# a failed run writes no slice file
	run --separate-stderr metrics --slices-out sl2.tsv -o o2.tsv ps.slab nosuch.slab
	[ "$status" -eq 1 ]
	[ -z "$(ls sl2.tsv* o2.tsv* 2>/dev/null)" ]
}

@test "metrics writes -o, -s, --slices-out and --nsi-out all or none" {
	mkslab ps.slab s1 "2 1 3" "1 1 1" u8 'z == 0'
	mkslab gs.slab s1 "2 1 3" "1 1 1" u8 1
	# the last output cannot be created: none of the others may appear
	run --separate-stderr metrics --slices-out sl.tsv --nsi-bins 2 --nsi-out nodir/nsi.tsv \
		-s sum.txt -o o.tsv ps.slab gs.slab
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "$stderr" == *"nodir/nsi.tsv"* ]]
	[ -z "$(ls sl.tsv* sum.txt* o.tsv* 2>/dev/null)" ]
	# an output that is a folder: found before any file is renamed into place
	mkdir sum.d
	run --separate-stderr metrics --slices-out sl.tsv --nsi-bins 2 --nsi-out nsi.tsv \
		-s sum.d -o o.tsv ps.slab gs.slab
	[ "$status" -eq 1 ]
	[ -z "$(ls sl.tsv* nsi.tsv* o.tsv* 2>/dev/null)" ]
	# with everything writable, all four appear
	metrics --slices-out sl.tsv --nsi-bins 2 --nsi-out nsi.tsv -s sum.txt -o o.tsv ps.slab gs.slab
	[ -s sl.tsv ] && [ -s nsi.tsv ] && [ -s sum.txt ] && [ -s o.tsv ]
}

@test "metrics counts agree with numpy on random masks" {
	have_python "numpy, scipy" || skip "no python3 with numpy and scipy"
	/usr/bin/python3 "$BATS_TEST_DIRNAME/eval_ref.py" make pr.slab gr.slab 10
	metrics pr.slab gr.slab 2>/dev/null | cut -f 1,7-10 >ours.tsv
	/usr/bin/python3 "$BATS_TEST_DIRNAME/eval_ref.py" overlap pr.slab gr.slab >ref.tsv
	cmp ours.tsv ref.tsv
}

@test "metrics on real hippocampus labels: label 1 against labels 1+2 gives cases.tsv's counts" {
	d=$SELFLABEL_DATA/Task04_Hippocampus
	[ -f "$d/cases.tsv" ] || skip "no hippocampus data"
	command -v msd2slab >/dev/null || skip "msd2slab is not built"
	for c in hippocampus_001 hippocampus_003 hippocampus_004; do
		msd2slab -i "$d/imagesTr/$c.nii.gz" -m "$d/labelsTr/$c.nii.gz" -n $c -f 1 a
		msd2slab -i "$d/imagesTr/$c.nii.gz" -m "$d/labelsTr/$c.nii.gz" -n $c --merge b
		cat a/labels/$c.slab >>hp.slab
		cat b/labels/$c.slab >>hg.slab
	done
	metrics --hd95 hp.slab hg.slab >o.tsv 2>/dev/null
	[ "$(wc -l <o.tsv)" -eq 4 ]
	for c in hippocampus_001 hippocampus_003 hippocampus_004; do
		n1=$(awk -F '\t' -v c=$c '$1 == c { print $10 }' "$d/cases.tsv")
		n2=$(awk -F '\t' -v c=$c '$1 == c { print $11 }' "$d/cases.tsv")
		[ "$(col o.tsv $c tp)" = "$n1" ]
		[ "$(col o.tsv $c fn)" = "$n2" ]
		[ "$(col o.tsv $c fp)" = 0 ]
		[ "$(col o.tsv $c precision)" = 1 ]
		near "$(col o.tsv $c tpr)" "$(awk -v a=$n1 -v b=$n2 'BEGIN { print a / (a + b) }')" 1e-5
		awk -v h="$(col o.tsv $c hd95)" 'BEGIN { exit !(h > 0 && h < 50) }'
	done
	# the ground truth against itself: perfect, distance 0
	metrics --hd95 hg.slab hg.slab >s.tsv 2>/dev/null
	[ "$(tail -n +2 s.tsv | cut -f 2,12 | sort -u)" = "$(printf '1\t0')" ]
}

@test "outputs through symbolic links, /dev/stdout and a FIFO are written through, never replaced" {
	mkslab ps.slab s1 "2 1 3" "1 1 1" u8 'z == 0'
	mkslab gs.slab s1 "2 1 3" "1 1 1" u8 1
	mkdir real
	echo old > real/rows.tsv
	ln -s real/rows.tsv rows.tsv
	ln -s real/sum.txt sum.txt          # dangling: the file appears at its target
	metrics -o rows.tsv -s sum.txt ps.slab gs.slab
	[ -L rows.tsv ]
	[ -L sum.txt ]
	[ "$(head -1 real/rows.tsv | cut -f1,2)" = "case	dsc" ]
	grep -q '^dsc	' real/sum.txt
	# a chain of two links, through another tool's writer (outfile_open)
	ln -s rows.tsv chain.tsv
	hd95 -U exclude -o chain.tsv ps.slab gs.slab 2> /dev/null
	[ -L chain.tsv ]
	[ -L rows.tsv ]
	[ "$(head -1 real/rows.tsv | cut -f1,2)" = "case	hd95" ]
	ln -s real/cut.slab cut.slab
	slice-extract -o cut.slab gs.slab
	[ -L cut.slab ]
	[ "$(header real/cut.slab NAME)" = s1 ]
	# /dev/stdout redirected to a file: the summary and the rows both land there
	metrics -s /dev/stdout ps.slab gs.slab > both.txt
	grep -q '^dsc	' both.txt
	grep -q '^s1	' both.txt
	# a FIFO: written in place
	mkfifo fifo
	cat fifo > got.tsv &
	metrics -o fifo ps.slab gs.slab 2> /dev/null
	wait
	[ "$(head -1 got.tsv | cut -f1,2)" = "case	dsc" ]
	# -s at a FIFO, -o at /dev/stdout (redirected to a file), -s at a link
	cat fifo > gotsum.txt &
	metrics -s fifo -o /dev/stdout ps.slab gs.slab > rows2.tsv
	wait
	[ -p fifo ]
	grep -q '^dsc	' gotsum.txt
	[ "$(head -1 rows2.tsv | cut -f1,2)" = "case	dsc" ]
	[ -z "$(ls -a | grep '\.tmp\.')" ]
	[ -z "$(ls -a real | grep '\.tmp\.')" ]
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

# 6 voxels of classes bg a b: gt 0 1 1 2 2 255, pred 0 1 2 2 0 1; the same
# pred as probabilities, voxels 0 and 4 ties (0.5 0.5 0, 0.5 0 0.5) -> 0
mk3() {
	lmap c3 1 u8 '\x00\x01\x01\x02\x02\xff' "CLASSES 3" "CLASS_NAMES bg a b" >g3.slab
	lmap c3 1 u8 '\x00\x01\x02\x02\x00\x01' "CLASSES 3" "CLASS_NAMES bg a b" >p3.slab
	lmap c3 3 f32 "$F5$F25$F0$F125$F5$F0$F5$F75$F25$F0$F0$F1$F0$F0$F75$F875$F5$F0" \
		"CLASSES 3" "CLASS_NAMES bg a b" >q3.slab
}

@test "metrics on 3-class label maps: known counts per class and merged, the mean over classes" {
	mk3
	run -0 --separate-stderr metrics p3.slab g3.slab
	[ "${lines[0]}" = "$(printf 'case\tclass\tdsc\tiou\ttpr\ttnr\tprecision\ttp\tfp\tfn\ttn\tignored')" ]
	[ "${lines[1]}" = "$(printf 'c3\ta\t0.666667\t0.5\t0.5\t1\t1\t1\t0\t1\t3\t1')" ]
	[ "${lines[2]}" = "$(printf 'c3\tb\t0.5\t0.333333\t0.5\t0.666667\t0.5\t1\t1\t1\t2\t1')" ]
	[ "${lines[3]}" = "$(printf 'c3\tfg\t0.857143\t0.75\t0.75\t1\t1\t3\t0\t1\t1\t1')" ]
	[ "${#lines[@]}" -eq 4 ]
	# the summary: a class column, each class, fg, the mean over classes a and b
	[[ "$stderr" == *"$(printf 'class\tmetric\tmean')"* ]]
	[ "$(awk -F '\t' '$1 == "mean" && $2 == "dsc" { print $3 }' <<<"$stderr")" = 0.583333 ]
	[ "$(awk -F '\t' '$1 == "mean" && $2 == "tnr" { print $3 }' <<<"$stderr")" = 0.833333 ]
	[ "$(awk -F '\t' '$1 == "fg" && $2 == "iou" { print $3 }' <<<"$stderr")" = 0.75 ]
	[ "$(awk -F '\t' '$1 == "b" && $2 == "precision" { print $3 }' <<<"$stderr")" = 0.5 ]
	# a script picks a class by name
	[ "$(metrics p3.slab g3.slab 2>/dev/null | awk -F '\t' '$2 == "b" { print $3 }')" = 0.5 ]
}

@test "metrics: C-channel probabilities are taken by argmax, ties to the lower class" {
	mk3
	metrics p3.slab g3.slab >u8.tsv 2>u8.sum
	metrics q3.slab g3.slab >f32.tsv 2>f32.sum
	cmp u8.tsv f32.tsv
	grep -q '1 f32 predictions taken by argmax' f32.sum
	# -U exclude and --hd95 per class; a 255 without -U exclude is an error
	run --separate-stderr metrics --hd95 p3.slab g3.slab
	failed_cleanly unlabelled
	run -0 --separate-stderr metrics --hd95 -U exclude q3.slab g3.slab
	[ "$(cut -f 2,13,14 <<<"$output" | tail -n +2 | tr '\t\n' ' ')" = "a 0.9 none b 1 none fg 0.7 none " ]
}

@test "metrics on 3-class maps: counts and hd95 per class agree with a brute-force count and scipy" {
	phantom -n 3 -d 24,20,10 -s 3 ph >/dev/null
	for c in 001 002 003; do
		# the prediction: another case's labels under this case's name
		o=$(( 10#$c % 3 + 1 ))
		msd2slab -Z -i ph/imagesTr/phantom_$c.nii.gz -m ph/labelsTr/phantom_$c.nii.gz -n c$c g >/dev/null
		msd2slab -Z -i ph/imagesTr/phantom_$c.nii.gz -m ph/labelsTr/phantom_00$o.nii.gz -n c$c p >/dev/null
		cat g/labels/c$c.slab >>lg.slab
		cat p/labels/c$c.slab >>lp.slab
		# brute force: every voxel of pred and gt side by side
		paste <(samples p/labels/c$c.slab u1) <(samples g/labels/c$c.slab u1) | awk -v c=c$c '
			{ for (k = 1; k <= 3; k++) {
				a = k == 3 ? $1 >= 1 : $1 == k; b = k == 3 ? $2 >= 1 : $2 == k
				n[k, a, b]++ } }
			END { for (k = 1; k <= 3; k++)
				print c "\t" (k == 3 ? "fg" : k) "\t" n[k,1,1]+0 "\t" n[k,1,0]+0 "\t" n[k,0,1]+0 "\t" n[k,0,0]+0 }'
	done >brute.tsv
	[ "$(header lg.slab CLASSES)" = 3 ]
	metrics --hd95 lp.slab lg.slab 2>/dev/null >ours.tsv
	[ "$(wc -l <ours.tsv)" -eq 10 ]
	diff <(tail -n +2 ours.tsv | cut -f 1,2,8-11) brute.tsv
	# the per-class rows are the binary rows of that class's mask, fg the merged mask's
	for c in 001 002 003; do
		o=$(( 10#$c % 3 + 1 ))
		for f in 1 2 1,2; do
			msd2slab -Z -f $f -i ph/imagesTr/phantom_$c.nii.gz -m ph/labelsTr/phantom_$c.nii.gz -n c$c bg$f >/dev/null
			msd2slab -Z -f $f -i ph/imagesTr/phantom_$c.nii.gz -m ph/labelsTr/phantom_00$o.nii.gz -n c$c bp$f >/dev/null
			cat bg$f/labels/c$c.slab >>bg$f.slab
			cat bp$f/labels/c$c.slab >>bp$f.slab
		done
	done
	for f in 1 2 1,2; do
		k=$f; [ $f != 1,2 ] || k=fg
		diff <(metrics --hd95 bp$f.slab bg$f.slab 2>/dev/null | tail -n +2) \
		     <(awk -F '\t' -v k=$k '$2 == k' ours.tsv | cut -f 1,3-)
	done
	# --slices-out and --nsi-bins count the merged foreground
	metrics --slices-out s3.tsv --nsi-bins 3 --nsi-out n3.tsv lp.slab lg.slab >/dev/null 2>&1
	metrics --slices-out s2.tsv --nsi-bins 3 --nsi-out n2.tsv bp1,2.slab bg1,2.slab >/dev/null 2>&1
	cmp s3.tsv s2.tsv
	cmp n3.tsv n2.tsv
	have_python "numpy, scipy" || skip "no python3 with numpy and scipy (brute force done)"
	/usr/bin/python3 "$BATS_TEST_DIRNAME/eval_ref.py" classes lp.slab lg.slab >ref.tsv
	paste <(cut -f 1,2,8-11,13 ours.tsv) ref.tsv | awk -F '\t' 'NR > 1 { d = $7 - $14; if (d < 0) d = -d
		if ($1 != $8 || $3 != $10 || $4 != $11 || $5 != $12 || $6 != $13 || d > 1e-5 * (1 + $14)) { print; bad = 1 } }
		END { exit bad }'
}

@test "metrics on random 3-class maps agrees with numpy and scipy per class" {
	have_python "numpy, scipy" || skip "no python3 with numpy and scipy"
	/usr/bin/python3 "$BATS_TEST_DIRNAME/eval_ref.py" make3 rp.slab rg.slab 10
	metrics --hd95 rp.slab rg.slab 2>/dev/null | cut -f 1,2,8-11,13 >ours.tsv
	/usr/bin/python3 "$BATS_TEST_DIRNAME/eval_ref.py" classes rp.slab rg.slab >ref.tsv
	[ "$(wc -l <ours.tsv)" -eq 31 ]
	paste ours.tsv ref.tsv | awk -F '\t' 'NR > 1 { d = $7 - $14; if (d < 0) d = -d
		if ($1 != $8 || $2 != $9 || $3 != $10 || $4 != $11 || $5 != $12 || $6 != $13 ||
		    !($7 == $14 || d <= 1e-5 * (1 + $14))) { print; bad = 1 } } END { exit bad }'
}

@test "metrics refuses mismatched or malformed classes with one line" {
	mk3
	# binary prediction, 3-class ground truth
	lmap c3 1 u8 '\x00\x01\x01\x01\x00\x01' >pbin.slab
	run --separate-stderr metrics pbin.slab g3.slab
	failed_cleanly "classes differ"
	# other names
	lmap c3 1 u8 '\x00\x01\x02\x02\x00\x01' "CLASSES 3" "CLASS_NAMES bg x y" >pn.slab
	run --separate-stderr metrics pn.slab g3.slab
	failed_cleanly "classes differ"
	# C channels without CLASSES
	lmap c3 3 f32 "$F5$F25$F0$F125$F5$F0$F5$F75$F25$F0$F0$F1$F0$F0$F75$F875$F5$F0" >qn.slab
	run --separate-stderr metrics qn.slab g3.slab
	failed_cleanly "without CLASSES"
	# malformed keys, in either stream
	lmap c3 1 u8 '\x00\x01\x01\x02\x02\xff' "CLASSES 1" >gb.slab
	run --separate-stderr metrics p3.slab gb.slab
	failed_cleanly "bad CLASSES"
	lmap c3 1 u8 '\x00\x01\x02\x02\x00\x01' "CLASSES 3" "CLASS_NAMES bg a" >pb.slab
	run --separate-stderr metrics pb.slab g3.slab
	failed_cleanly "bad CLASS_NAMES"
	lmap c3 1 u8 '\x00\x01\x02\x02\x00\x01' "CLASS_VALUES 0 1 2" >pv.slab
	run --separate-stderr metrics pv.slab g3.slab
	failed_cleanly "without CLASSES"
	# a value outside 0..C-1 in a label map
	lmap c3 1 u8 '\x00\x01\x03\x02\x00\x01' "CLASSES 3" "CLASS_NAMES bg a b" >p4.slab
	run --separate-stderr metrics p4.slab g3.slab
	failed_cleanly "not 3"
	lmap c3 1 u8 '\x00\x01\x07\x02\x02\xff' "CLASSES 3" "CLASS_NAMES bg a b" >g4.slab
	run --separate-stderr metrics p3.slab g4.slab
	failed_cleanly "label 7"
	# a second case of other classes
	cat g3.slab >g2.slab; lmap d3 1 u8 '\x00\x01\x01\x01\x01\x00' >>g2.slab
	cat p3.slab >p2.slab; lmap d3 1 u8 '\x00\x01\x01\x01\x01\x00' >>p2.slab
	run --separate-stderr metrics p2.slab g2.slab
	failed_cleanly "classes differ from the first case's (3 named bg a b): '2' in 'd3'"
}
