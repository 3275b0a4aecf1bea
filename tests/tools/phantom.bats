#!/usr/bin/env bats
# phantom: seeded synthetic MSD datasets.

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
	# the default dataset, made and converted once; the exit statuses in ph.status
	cd "$BATS_FILE_TMPDIR"
	local s1=0 s2=0
	phantom ph >ph.out 2>ph.err || s1=$?
	msd2slab --merge -Z ph phs >>ph.out 2>>ph.err || s2=$?
	echo "$s1 $s2" > ph.status
}

setup() {
	cd "$BATS_TEST_TMPDIR"
	PH="$BATS_FILE_TMPDIR/ph" PHS="$BATS_FILE_TMPDIR/phs"
}


@test "phantom -h prints usage on stdout" {
	run -0 --separate-stderr phantom -h
	[[ "$output" == usage:\ phantom* ]]
	[ -z "$stderr" ]
}

@test "phantom rejects a bad option, bad numbers and a missing folder with exit 2" {
	run -2 --separate-stderr phantom -x out
	run -2 --separate-stderr phantom -d 32,32 out
	[[ "$stderr" == *dims* ]]
	run -2 --separate-stderr phantom -d 32,32,2 out
	run -2 --separate-stderr phantom -n 0 out
	run -2 --separate-stderr phantom -c 0 out
	run -2 --separate-stderr phantom -s -1 out
	run -2 --separate-stderr phantom
	run -2 --separate-stderr phantom a b
	[ ! -e out ]
}

@test "phantom writes 24 cases of 32x32x24 at 1x1x1.5 mm in MSD layout by default" {
	[ ! -s "$BATS_FILE_TMPDIR/ph.err" ] || { cat "$BATS_FILE_TMPDIR/ph.err"; false; }
	[ "$(cat "$BATS_FILE_TMPDIR/ph.status")" = "0 0" ]
	[ "$(ls "$PH"/imagesTr | wc -l)" -eq 24 ]
	[ "$(ls "$PH"/labelsTr | wc -l)" -eq 24 ]
	[ -f "$PH/imagesTr/phantom_024.nii.gz" ]
	grep -q '"numTraining": 24' "$PH/dataset.json"
	grep -q '{"image": "./imagesTr/phantom_007.nii.gz", "label": "./labelsTr/phantom_007.nii.gz"}' "$PH/dataset.json"
	[ "$(ls "$PHS"/images | wc -l)" -eq 24 ]
	[ "$(hval "$PHS/images/phantom_001.slab" DIMS)" = "32 32 24" ]
	[ "$(hval "$PHS/images/phantom_001.slab" SPACING)" = "1 1 1.5" ]
	[ "$(hval "$PHS/labels/phantom_001.slab" TRANSFORM)" = "1 0 0 -16 0 1 0 -16 0 0 1.5 -18" ]
	[ -z "$(find "$PH" -name '*.tmp.*')" ]
}

@test "phantom is deterministic for a seed, different for another, per case" {
	phantom -n 3 -d 12,10,8 -s 5 a
	phantom -n 3 -d 12,10,8 -s 5 b
	phantom -n 3 -d 12,10,8 -s 6 c
	phantom -n 5 -d 12,10,8 -s 5 d
	diff -r a b
	run ! cmp -s a/imagesTr/phantom_001.nii.gz c/imagesTr/phantom_001.nii.gz
	run ! cmp -s a/labelsTr/phantom_002.nii.gz c/labelsTr/phantom_002.nii.gz
	# case k does not depend on how many cases are made
	cmp a/imagesTr/phantom_003.nii.gz d/imagesTr/phantom_003.nii.gz
	cmp a/labelsTr/phantom_003.nii.gz d/labelsTr/phantom_003.nii.gz
}

@test "phantom labels: both labels, spanning most but not all slices, varying by case" {
	# per case: foreground voxels and slices with foreground (32x32 = 1024 per slice)
	for f in "$PHS"/labels/*.slab; do
		samples "$f" u1 | awk -v c="$(basename "$f")" '
			$1 { n++; z[int((NR - 1) / 1024)] = 1 }
			END { k = 0; for (i in z) k++; print c, n, k }'
	done >fg.txt
	cat fg.txt
	# every case: 1..8% of voxels foreground, 14..22 of 24 slices
	awk '{ if ($2 < 245 || $2 > 1966 || $3 < 14 || $3 > 22) bad = 1 } END { exit bad }' fg.txt
	# shapes differ: at least 20 distinct sizes, and slice spans vary
	[ "$(cut -d' ' -f2 fg.txt | sort -u | wc -l)" -ge 20 ]
	[ "$(cut -d' ' -f3 fg.txt | sort -u | wc -l)" -ge 3 ]
	# label 1 (head) and label 2 (tail) both present
	msd2slab -Z -f 1 -i "$PH/imagesTr/phantom_004.nii.gz" -m "$PH/labelsTr/phantom_004.nii.gz" h
	msd2slab -Z -f 2 -i "$PH/imagesTr/phantom_004.nii.gz" -m "$PH/labelsTr/phantom_004.nii.gz" t
	[ "$(samples h/labels/phantom_004.slab u1 | grep -c 1)" -gt 50 ]
	[ "$(samples t/labels/phantom_004.slab u1 | grep -c 1)" -gt 50 ]
}

@test "phantom images: the labelled structure is brighter than its surroundings" {
	for c in 001 013; do
		paste <(samples "$PHS/images/phantom_$c.slab" f4) <(samples "$PHS/labels/phantom_$c.slab" u1) |
			awk '{ s[$2] += $1; q[$2] += $1 * $1; n[$2]++ }
			     END { m0 = s[0] / n[0]; m1 = s[1] / n[1]; sd0 = sqrt(q[0] / n[0] - m0 * m0)
			           print m0, m1, sd0; exit !(m1 > m0 + 2 * sd0) }'
	done
}

@test "phantom -c makes multi-channel (4-D) images" {
	phantom -n 2 -d 16,16,8 -c 3 m
	grep -q '"tensorImageSize": "4D"' m/dataset.json
	grep -q '"2": "synthetic 2"' m/dataset.json
	msd2slab -Z m ms
	[ "$(hval ms/images/phantom_001.slab CHANNELS)" = 3 ]
	[ "$(hval ms/labels/phantom_001.slab CHANNELS)" = 1 ]
	# channel 1 inverts the contrast: the structure is darker there
	paste <(samples ms/images/phantom_001.slab f4 | awk '{ c = int((NR - 1) / 256) % 3; if (c == 1) print }') \
	      <(samples ms/labels/phantom_001.slab u1) |
		awk '{ s[$2] += $1; n[$2]++ } END { exit !(s[1] / n[1] < s[0] / n[0] - 10) }'
}

@test "phantom fails cleanly on an unwritable output folder and writes nothing" {
	touch afile
	run --separate-stderr phantom -n 2 -d 8,8,4 afile/out
	failed_cleanly afile/out
	mkdir -p ro/imagesTr ro/labelsTr
	# a folder in the way of one label file: the run fails and leaves no file
	mkdir ro/labelsTr/phantom_002.nii.gz
	run --separate-stderr phantom -n 2 -d 8,8,4 ro
	failed_cleanly phantom_002.nii.gz
	[ -z "$(find ro -type f)" ]
}

@test "phantom: nibabel reads the files with the expected affine and types" {
	/usr/bin/python3 -c 'import nibabel' 2>/dev/null || skip "nibabel not installed for /usr/bin/python3"
	/usr/bin/python3 - "$PH" <<'EOF'
import sys, numpy as np, nibabel as nib
d = sys.argv[1]
im = nib.load(d + '/imagesTr/phantom_001.nii.gz')
lb = nib.load(d + '/labelsTr/phantom_001.nii.gz')
want = np.array([[1, 0, 0, -16], [0, 1, 0, -16], [0, 0, 1.5, -18], [0, 0, 0, 1]])
assert np.allclose(im.affine, want) and np.allclose(lb.affine, want)
assert im.shape == (32, 32, 24) and im.get_data_dtype() == np.float32
assert lb.get_data_dtype() == np.uint8
assert set(np.unique(np.asarray(lb.dataobj))) == {0, 1, 2}
EOF
}

@test "phantom: dataset.json lists three labels; msd2slab makes 3-class maps whose head and tail touch" {
	grep -q '"labels": {' "$PH/dataset.json"
	msd2slab -Z -p 100/0/0 "$PH" p3 >/dev/null
	[ "$(hval p3/labels/phantom_001.slab CLASSES)" = 3 ]
	[ "$(hval p3/labels/phantom_001.slab CLASS_NAMES)" = "background head tail" ]
	# head (1) and tail (2) share faces in every case: a voxel 1 next to a 2
	# along x, y or z (32x32 per slice)
	for f in p3/labels/*.slab; do
		samples "$f" u1 | awk -v c="$(basename "$f")" '{ v[NR - 1] = $1 }
			END { for (i = 0; i < NR; i++) if (v[i] == 1) {
				x = i % 32; y = int(i / 32) % 32
				if ((x > 0 && v[i - 1] == 2) || (x < 31 && v[i + 1] == 2) ||
				    (y > 0 && v[i - 32] == 2) || (y < 31 && v[i + 32] == 2) ||
				    v[i - 1024] == 2 || v[i + 1024] == 2) n++ }
			      print c, n + 0; exit !(n > 0) }'
	done
}
