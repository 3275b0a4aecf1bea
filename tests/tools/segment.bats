#!/usr/bin/env bats
# selflabel-segment and make bundle: a small real run (crop 32x32 and resize
# 16x16 of 36x30 phantoms, the default preset: 3 planes and the sparse 3-D
# model fused, a few epochs), its export and bundle, and new scans segmented
# with it on their own grid. The run keeps the largest component (LARGEST=yes)
# at thresholds low enough for the untrained models' probabilities (THR 0.15
# for the 3-D model's own, SL_THR 0.2 for the fused masks): both steps change
# the probabilities of the scans compared below.

bats_require_minimum_version 1.5.0
load helpers

P=$SELFLABEL_ROOT/pipelines

setup_file() {
	cd "$BATS_FILE_TMPDIR"
	phantom -n 8 -d 36,30,12 -s 4 ph > /dev/null
	"$P/selflabel-setup" --preset default --crop 32x32 --resize 16x16 --k 50 --folds 2 \
		--epochs0 4 --epochs 2 --full-epochs 3 --batch 8 --set TRAIN_OPTS=-q \
		--set THR=0.15 --set SL_THR=0.2 --set LARGEST=yes ph run > setup.out 2>&1
	make -s -C run -j2 export test/planes/phantom_006.slab > make.out 2>&1
}

setup() {
	cd "$BATS_FILE_TMPDIR"
	[ -f run/out/model/bundle.tsv ] || { cat setup.out make.out >&2; false; }
}

@test "make bundle records the run's preprocessing, its three 2-D models, the 3-D model and largest" {
	b=run/out/model
	[ "$(sed -n 1p $b/bundle.tsv)" = "selflabel-bundle	1" ]
	grep -qx "crop	32x32" $b/bundle.tsv
	grep -qx "resize	16x16" $b/bundle.tsv
	grep -qx "channels	1" $b/bundle.tsv
	grep -qx "standardise	zscore" $b/bundle.tsv
	grep -qx "threshold	0.2" $b/bundle.tsv
	grep -qx "model	cor	cor.model	xzy	16,16" $b/bundle.tsv
	grep -qx "model	sag	sag.model	zyx	16,16" $b/bundle.tsv
	grep -qx "model	sparse3d	sparse3d.model	3d" $b/bundle.tsv
	grep -qx "largest	yes" $b/bundle.tsv
	grep -qx "largest-threshold	0.2" $b/bundle.tsv
	grep -qx "largest-threshold-3d	0.15" $b/bundle.tsv
	[ "$(sed -n 1p run/choice/largest)" = yes ]
	cmp $b/axial.model "run/$(sed -n 's/^FINAL := //p' run/mk/run.mk)"
	cmp $b/cor.model run/models/plane-cor.model
	cmp $b/sag.model run/models/plane-sag.model
	cmp $b/sparse3d.model run/models/sparse3d.model
}

@test "make bundle again after the export model changed: the bundle follows (params/bundle)" {
	cp -a run run2
	make -s -C run2 bundle FUSE3D=no > make.out 2>&1
	grep -qx "model	axial	axial.model" run2/out/model/bundle.tsv
	run ! grep -q sparse3d run2/out/model/bundle.tsv
	run ! grep -q '^largest' run2/out/model/bundle.tsv
	grep -qx "planes" run2/params/bundle
	make -s -C run2 bundle > make.out 2>&1
	grep -qx "model	sparse3d	sparse3d.model	3d" run2/out/model/bundle.tsv
	grep -qx "fused yes" run/params/bundle
	rm -rf run2
}

# the f32 samples of z-plane K of a one-channel slab, one per line
zplane() {
	local off n
	off=$(($(grep -abo -m 1 '^ENDHDR$' "$1" | cut -d: -f1) + 7))
	read -r nx ny _ <<< "$(header "$1" DIMS)"
	n=$((nx * ny * 4))
	od -An -v -tf4 -w4 -j $((off + $2 * n)) -N $n "$1"
}

@test "selflabel-segment reproduces the run's own fused prediction and exported masks on the scan's grid" {
	scan=ph/imagesTr/phantom_006.nii.gz
	run -0 "$P/selflabel-segment" -m run/out/model -o seg --prob "$scan"
	[ "$output" = "selflabel-segment: phantom_006 -> seg/phantom_006.nii.gz" ]
	# the run's final prediction (test/fused: the mean of the 3 planes' mean
	# and the 3-D model's, each largest step as the run did it), put back by hand
	slab2nii -g "$scan" -o ref_prob.nii.gz run/test/fused/phantom_006.slab
	slab2nii -g "$scan" -t 0.2 -o ref.nii.gz run/test/fused/phantom_006.slab
	cmp ref_prob.nii.gz seg/phantom_006_prob.nii.gz
	cmp ref.nii.gz seg/phantom_006.nii.gz
	# the run's exported mask of this (test) volume: no annotated plane
	cmp run/out/labelsTr/phantom_006.nii.gz seg/phantom_006.nii.gz
	# not a vacuous match: both largest steps change the probabilities here,
	# the probabilities vary, the mask is not empty
	if cmp -s run/p3d/phantom_006.slab run/test/sparse3d/phantom_006.slab; then false; fi
	prob-mean -o m.slab run/test/planes/phantom_006.slab run/test/sparse3d/phantom_006.slab
	if cmp -s m.slab run/test/fused/phantom_006.slab; then false; fi
	msd2slab -Z -i seg/phantom_006_prob.nii.gz -n p pr > /dev/null
	[ "$(slab-info pr/images/p.slab | awk '$1 == "min" { lo = $2 } $1 == "max" { hi = $2 } END { print (lo < hi) }')" = 1 ]
	msd2slab -Z -i seg/phantom_006.nii.gz -n m pm > /dev/null
	[ "$(slab-info pm/images/m.slab | awk '$1 == "max" { print $2 }')" = 1 ]
	# a training volume: its exported mask, the annotated plane (z = 6,
	# overlaid by export) aside, voxel for voxel
	[ "$(awk -F'\t' '$1 == "phantom_001" { print $5 }' run/schedule.tsv)" = 6 ]
	"$P/selflabel-segment" -m run/out/model -o seg ph/imagesTr/phantom_001.nii.gz > /dev/null
	msd2slab -Z -i seg/phantom_001.nii.gz -n s s1 > /dev/null
	msd2slab -Z -i run/out/labelsTr/phantom_001.nii.gz -n s e1 > /dev/null
	[ "$(header s1/images/s.slab DIMS)" = "36 30 12" ]
	ones=0
	for z in 0 1 2 3 4 5 7 8 9 10 11; do
		cmp <(zplane s1/images/s.slab $z) <(zplane e1/images/s.slab $z)
		ones=$((ones + $(zplane s1/images/s.slab $z | awk '$1 == 1' | wc -l)))
	done
	[ "$ones" -gt 0 ]
	# (the plane itself is the painted label)
	if cmp -s <(zplane s1/images/s.slab 6) <(zplane e1/images/s.slab 6); then false; fi
	# the output is on the scan's grid: dims and transform as the scan's
	msd2slab -Z -i "$scan" -n s sc > /dev/null
	msd2slab -Z -i seg/phantom_006.nii.gz -n s so > /dev/null
	[ "$(header sc/images/s.slab DIMS)" = "36 30 12" ]
	[ "$(header so/images/s.slab DIMS)" = "36 30 12" ]
	[ "$(header so/images/s.slab TRANSFORM)" = "$(header sc/images/s.slab TRANSFORM)" ]
}

# seg_prob BUNDLE: phantom_006's probabilities on its grid (bo/p.nii.gz)
seg_prob() {
	rm -rf bo
	"$P/selflabel-segment" -m "$1" -o bo --prob ph/imagesTr/phantom_006.nii.gz > /dev/null
	mv bo/phantom_006_prob.nii.gz bo/p.nii.gz
}
# ref_prob SLAB: it on phantom_006's grid (ref.nii.gz)
ref_prob() { slab2nii -g ph/imagesTr/phantom_006.nii.gz -o ref.nii.gz "$1"; }

@test "selflabel-segment: bundles without a 3-D model or largest, a 3-D model alone, largest no" {
	r=run/test
	# an old bundle (no 3-D line, no largest): the 3 planes' mean (at its
	# threshold 0.15 a largest step would change it)
	mkdir -p old
	cp run/out/model/{axial,cor,sag}.model old/
	grep -v -e sparse3d -e '^largest' run/out/model/bundle.tsv | sed 's/^threshold\t.*/threshold\t0.15/' > old/bundle.tsv
	seg_prob old
	ref_prob $r/planes/phantom_006.slab
	cmp ref.nii.gz bo/p.nii.gz
	# ... with largest yes: the 3 planes' mean kept to its largest component
	# of p >= largest-threshold (not the masks' threshold)
	cp -r old old-l && sed -i 's/^threshold\t.*/threshold\t0.3/' old-l/bundle.tsv
	printf 'largest\tyes\nlargest-threshold\t0.15\n' >> old-l/bundle.tsv
	seg_prob old-l
	prob-largest -t 0.15 -o l.slab $r/planes/phantom_006.slab
	if cmp -s l.slab $r/planes/phantom_006.slab; then false; fi
	ref_prob l.slab
	cmp ref.nii.gz bo/p.nii.gz
	# the 3-D model alone: its probabilities kept to its largest component (THR)
	mkdir -p only3d
	cp run/out/model/sparse3d.model only3d/
	grep -v -e axial -e cor -e sag run/out/model/bundle.tsv > only3d/bundle.tsv
	seg_prob only3d
	ref_prob $r/sparse3d/phantom_006.slab
	cmp ref.nii.gz bo/p.nii.gz
	# the default's bundle with largest no: the plain mean of the 2-D mean and the 3-D model's
	cp -r run/out/model nol && sed -i 's/^largest\tyes$/largest\tno/' nol/bundle.tsv
	seg_prob nol
	prob-mean -o m.slab $r/planes/phantom_006.slab run/p3d/phantom_006.slab
	ref_prob m.slab
	cmp ref.nii.gz bo/p.nii.gz
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
	# the 3-D model and largest: a bad largest value or threshold, a 3-D line
	# naming a 2-D model or a missing file, a 2-D line naming the 3-D model,
	# two 3-D lines, a 3-D line with a padding
	for i in 0 1 2 3 4 5 6 7 8 9 10; do mkdir -p bb$i && cp run/out/model/* bb$i/; done
	sed -i 's/^largest\tyes$/largest\tmaybe/' bb0/bundle.tsv
	sed -i 's/^largest-threshold\t.*/largest-threshold\t0/' bb1/bundle.tsv
	sed -i 's/^largest-threshold-3d\t.*/largest-threshold-3d\t1.5/' bb2/bundle.tsv
	sed -i 's/\tsparse3d.model\t3d$/\taxial.model\t3d/' bb3/bundle.tsv
	rm bb4/sparse3d.model
	sed -i 's/^model\tcor\tcor.model/model\tcor\tsparse3d.model/' bb5/bundle.tsv
	printf 'model\ts2\tsparse3d.model\t3d\n' >> bb6/bundle.tsv
	sed -i 's/\tsparse3d.model\t3d$/&\t16,16/' bb7/bundle.tsv
	printf 'largest-classes\teach\n' >> bb8/bundle.tsv
	# the classes line: a name with a path in it, a missing file
	printf 'classes\t../classes.slab\n' >> bb9/bundle.tsv
	printf 'classes\tclasses.slab\n' >> bb10/bundle.tsv
	for i in 0 1 2 3 5 6 7 8 9 10; do if cmp -s bb$i/bundle.tsv run/out/model/bundle.tsv; then false; fi; done
	run --separate-stderr "$P/selflabel-segment" -m bb0 -o ob "$scan"
	[ "$stderr" = "selflabel-segment: bb0/bundle.tsv: bad largest (want yes or no): 'maybe'" ]
	run --separate-stderr "$P/selflabel-segment" -m bb3 -o ob "$scan"
	[ "$stderr" = "selflabel-segment: bb3: model sparse3d: not a 3-D model file: 'axial.model'" ]
	run --separate-stderr "$P/selflabel-segment" -m bb8 -o ob "$scan"
	[ "$stderr" = "selflabel-segment: bb8/bundle.tsv: bad largest-classes (want merged or per-class): 'each'" ]
	run --separate-stderr "$P/selflabel-segment" -m bb9 -o ob "$scan"
	[ "$stderr" = "selflabel-segment: bb9/bundle.tsv: bad classes file name: '../classes.slab'" ]
	run --separate-stderr "$P/selflabel-segment" -m bb10 -o ob "$scan"
	[ "$stderr" = "selflabel-segment: bb10: classes file missing: 'classes.slab'" ]
	for b in nothere b1 b2 b3 b4 bb0 bb1 bb2 bb3 bb4 bb5 bb6 bb7 bb8 bb9 bb10; do
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
