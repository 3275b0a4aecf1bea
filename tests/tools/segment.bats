#!/usr/bin/env bats
# selflabel-segment and make bundle: a small real run (crop 32x32 and resize
# 16x16 of 36x30 phantoms, 3 planes fused, a few epochs), its bundle, and new
# scans segmented with it on their own grid.

bats_require_minimum_version 1.5.0
load helpers

P=$SELFLABEL_ROOT/pipelines

setup_file() {
	cd "$BATS_FILE_TMPDIR"
	phantom -n 8 -d 36,30,12 -s 4 ph > /dev/null
	"$P/selflabel-setup" --preset default --crop 32x32 --resize 16x16 --k 50 --folds 2 \
		--epochs0 4 --epochs 2 --full-epochs 3 --batch 8 --set TRAIN_OPTS=-q ph run > setup.out 2>&1
	make -s -C run -j2 bundle test/planes/phantom_006.slab > make.out 2>&1
}

setup() {
	cd "$BATS_FILE_TMPDIR"
	[ -f run/out/model/bundle.tsv ] || { cat setup.out make.out >&2; false; }
}

@test "make bundle records the run's preprocessing and its three models" {
	b=run/out/model
	[ "$(sed -n 1p $b/bundle.tsv)" = "selflabel-bundle	1" ]
	grep -qx "crop	32x32" $b/bundle.tsv
	grep -qx "resize	16x16" $b/bundle.tsv
	grep -qx "channels	1" $b/bundle.tsv
	grep -qx "standardise	zscore" $b/bundle.tsv
	grep -qx "model	cor	cor.model	xzy	16,16" $b/bundle.tsv
	grep -qx "model	sag	sag.model	zyx	16,16" $b/bundle.tsv
	cmp $b/axial.model "run/$(sed -n 's/^FINAL := //p' run/mk/run.mk)"
	cmp $b/cor.model run/models/plane-cor.model
	cmp $b/sag.model run/models/plane-sag.model
}

@test "selflabel-segment reproduces the run's own fused test prediction on the scan's grid" {
	scan=ph/imagesTr/phantom_006.nii.gz
	run -0 "$P/selflabel-segment" -m run/out/model -o seg --prob "$scan"
	[ "$output" = "selflabel-segment: phantom_006 -> seg/phantom_006.nii.gz" ]
	# the run's test prediction (test/planes: axial + coronal + sagittal), put back by hand
	slab2nii -g "$scan" -o ref_prob.nii.gz run/test/planes/phantom_006.slab
	slab2nii -g "$scan" -t 0.5 -o ref.nii.gz run/test/planes/phantom_006.slab
	cmp ref_prob.nii.gz seg/phantom_006_prob.nii.gz
	cmp ref.nii.gz seg/phantom_006.nii.gz
	# not a vacuous match: the probabilities vary
	msd2slab -Z -i seg/phantom_006_prob.nii.gz -n p pr > /dev/null
	[ "$(slab-info pr/images/p.slab | awk '$1 == "min" { lo = $2 } $1 == "max" { hi = $2 } END { print (lo < hi) }')" = 1 ]
	# the output is on the scan's grid: dims and transform as the scan's
	msd2slab -Z -i "$scan" -n s sc > /dev/null
	msd2slab -Z -i seg/phantom_006.nii.gz -n s so > /dev/null
	[ "$(header sc/images/s.slab DIMS)" = "36 30 12" ]
	[ "$(header so/images/s.slab DIMS)" = "36 30 12" ]
	[ "$(header so/images/s.slab TRANSFORM)" = "$(header sc/images/s.slab TRANSFORM)" ]
}

@test "selflabel-segment output: nibabel sees the scan's shape, affine and a u8 mask" {
	have_python "numpy, nibabel" || skip "nibabel not installed for /usr/bin/python3"
	"$P/selflabel-segment" -m run/out/model -o seg2 ph/imagesTr/phantom_002.nii.gz > /dev/null
	/usr/bin/python3 - <<'EOF'
import nibabel as nib, numpy as np
a = nib.load("seg2/phantom_002.nii.gz"); s = nib.load("ph/imagesTr/phantom_002.nii.gz")
assert a.shape == s.shape, (a.shape, s.shape)
assert np.array_equal(a.affine, s.affine), (a.affine, s.affine)
assert a.get_data_dtype() == np.uint8
assert set(np.unique(np.asarray(a.dataobj))) <= {0, 1}
assert int(a.header["sform_code"]) == int(s.header["sform_code"])
assert int(a.header["qform_code"]) == int(s.header["qform_code"])
EOF
}

@test "selflabel-segment takes a folder and a dataset's imagesTs, names cases without _0000" {
	mkdir -p ds/imagesTs dir
	cp ph/dataset.json ds/
	cp ph/imagesTr/phantom_003.nii.gz ds/imagesTs/new_0000.nii.gz
	cp ph/imagesTr/phantom_003.nii.gz ph/imagesTr/phantom_004.nii.gz dir/
	run -0 "$P/selflabel-segment" -m run/out/model -o out ds dir
	[ "${#lines[@]}" -eq 3 ]
	[ -f out/new.nii.gz ]
	[ -f out/phantom_003.nii.gz ]
	[ -f out/phantom_004.nii.gz ]
	# the same voxels (the header's descrip names the case)
	cmp <(zcat out/new.nii.gz | tail -c +353) <(zcat out/phantom_003.nii.gz | tail -c +353)
}

@test "selflabel-segment refuses a 2-channel scan for a 1-channel model, writing nothing" {
	phantom -n 1 -d 36,30,12 -c 2 -s 9 two > /dev/null
	run --separate-stderr "$P/selflabel-segment" -m run/out/model -o out2 two/imagesTr/phantom_001.nii.gz
	[ "$status" -eq 1 ]
	[ "$stderr" = "selflabel-segment: two/imagesTr/phantom_001.nii.gz: 2 channels, the model takes 1" ]
	[ -z "$(ls out2)" ]
}

@test "selflabel-segment fails cleanly on bad options, bundles and scans" {
	scan=ph/imagesTr/phantom_001.nii.gz
	run -0 "$P/selflabel-segment" -h
	[[ "$output" == usage:* ]]
	for args in "-o o $scan" "-m run/out/model $scan" "-m run/out/model -o o" "-x" \
	            "-m run/out/model -o o -t 1.5 $scan"; do
		# shellcheck disable=SC2086
		run --separate-stderr "$P/selflabel-segment" $args
		echo "$args: $status $stderr"
		[ "$status" -eq 2 ]
		[ "${#stderr_lines[@]}" -eq 1 ]
		[[ "$stderr" == "selflabel-segment: "* ]]
	done
	# bundles: none, another version, a missing model file, a bad key
	mkdir -p b1 b2 b3 b4
	cp run/out/model/* b2/ && sed -i '1s/1$/2/' b2/bundle.tsv
	cp run/out/model/bundle.tsv b3/
	cp run/out/model/* b4/ && sed -i 's/^standardise.*/standardise\tmaybe/' b4/bundle.tsv
	for b in nothere b1 b2 b3 b4; do
		run --separate-stderr "$P/selflabel-segment" -m $b -o ob "$scan"
		echo "$b: $status $stderr"
		[ "$status" -eq 1 ]
		[ "${#stderr_lines[@]}" -eq 1 ]
		[[ "$stderr" == "selflabel-segment: "* ]]
	done
	[ ! -e ob ]
	# scans: missing, truncated, not NIfTI
	head -c 300 "$scan" > trunc.nii.gz
	echo junk > junk.nii
	for s in nothere.nii.gz trunc.nii.gz junk.nii; do
		run --separate-stderr "$P/selflabel-segment" -m run/out/model -o os $s
		echo "$s: $status $stderr"
		[ "$status" -eq 1 ]
		[ -z "$(ls os 2>/dev/null)" ]
	done
}

@test "selflabel-plane-dims: the scan's own size rounded up to 16, never below the training padding" {
	{ slab_header s "36 30 41" 1 f32; } > h.slab
	[ "$("$P/selflabel-plane-dims" xzy 16,16 h.slab)" = "48,48" ]   # x 36 -> 48, z 41 -> 48
	[ "$("$P/selflabel-plane-dims" zyx 16,64 h.slab)" = "48,64" ]   # z 41 -> 48, y 30 -> 32 < 64
	[ "$("$P/selflabel-plane-dims" xzy 64,16 h.slab)" = "64,48" ]
	run -2 "$P/selflabel-plane-dims" xyz 16,16 h.slab
	run -2 "$P/selflabel-plane-dims" xzy 16x16 h.slab
	run -2 "$P/selflabel-plane-dims" xzy 16,16
	run -1 "$P/selflabel-plane-dims" xzy 16,16 nothere.slab
}
