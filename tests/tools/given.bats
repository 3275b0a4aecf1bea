#!/usr/bin/env bats
# selflabel-setup --annotations given: the loop from the user's own annotated
# slices (label files holding painted slices only), no full ground truth read.

bats_require_minimum_version 1.5.0
load helpers

setup() {
	cd "$BATS_TEST_TMPDIR"
	P=$SELFLABEL_ROOT/pipelines
}

# sparse_dataset DIR [X]: a phantom MSD folder DIR (16 volumes of 32x32x24)
# whose label files hold only the painted z-slices, as a viewer saves them (0
# off the painted slices): one slice in the lower third of each volume
# (seeded), every third volume a second one 5 slices up, declared in
# annotations.tsv (a painted slice may be all background); with X, the last
# volume painted along x instead (the plane x = 16), declared too.
# painted.tsv lists the z-painted slices; ph/labelsTr keeps the hidden full
# labels (the run never sees them); two new scans go to imagesTs/.
sparse_dataset() {
	local d=$1 xplane=${2-} f c i=0 a l
	phantom -n 16 -d 32,32,24 -s 5 ph > /dev/null
	msd2slab -f 1,2 -p 100/0/0 ph truth > /dev/null
	mkdir -p "$d/imagesTr" "$d/labelsTr"
	cp ph/imagesTr/* "$d/imagesTr/"
	cp ph/dataset.json "$d/"
	for f in truth/labels/*.slab; do
		c=$(basename "$f" .slab); i=$((i + 1))
		if [ -n "$xplane" ] && [ $i = 16 ]; then
			slab-permute -p zyx "$f" | slice-extract -k 16 | slab-permute -p zyx |
				slab2nii -g "ph/labelsTr/$c.nii.gz" -o "$d/labelsTr/$c.nii.gz"
			printf '%s\tx\t16\n' "$c" >> "$d/annotations.tsv"
			continue
		fi
		a=$(( (i * 7) % 6 + 3 )); l=$a
		if [ $((i % 3)) = 0 ]; then
			l="$a,$((a + 5))"
			printf '%s\tz\t%s\n' "$c" "$l" >> "$d/annotations.tsv"
		fi
		printf '%s\t%s\n' "$c" "$l" >> painted.tsv
		# the painted slices only; slab2nii -g writes the unlabelled 255 as 0
		slice-extract -k "$l" "$f" | slab2nii -g "ph/labelsTr/$c.nii.gz" -o "$d/labelsTr/$c.nii.gz"
	done
	rm -rf truth
	# two new scans in imagesTs/, listed as the dataset's "test" images
	phantom -n 2 -d 32,32,24 -s 9 new > /dev/null
	mkdir -p "$d/imagesTs"
	cp new/imagesTr/phantom_001.nii.gz "$d/imagesTs/new_1.nii.gz"
	cp new/imagesTr/phantom_002.nii.gz "$d/imagesTs/new_2.nii.gz"
	sed -i 's|"test": \[\]|"test": ["./imagesTs/new_1.nii.gz", "./imagesTs/new_2.nii.gz"]|' "$d/dataset.json"
	grep -q new_2 "$d/dataset.json"
}

# sparse_slabs DIR "CASE:NX:NY:NZ:LIST"...: a slab folder whose label slabs
# carry SLICES (g on LIST) and 255 off it; LIST empty: no annotated slice
sparse_slabs() {
	local d=$1 spec c nx ny nz l tok
	shift
	mkdir -p "$d/images" "$d/labels"
	for spec; do
		IFS=: read -r c nx ny nz l <<< "$spec"
		{ slab_header "$c" "$nx $ny $nz" 1 f32; head -c $((4 * nx * ny * nz)) /dev/zero; } > "$d/images/$c.slab"
		tok=$(awk -v nz="$nz" -v l=",$l," 'BEGIN { for (z = 0; z < nz; z++)
			printf "%s%s", (z ? " " : ""), (index(l, "," z ",") ? "g" : "."); print "" }')
		{ slab_header "$c" "$nx $ny $nz" 1 u8 "SLICES $tok"
		  awk -v nx="$nx" -v ny="$ny" -v nz="$nz" -v l=",$l," 'BEGIN { for (z = 0; z < nz; z++)
			for (p = 0; p < nx * ny; p++) printf "%c", (index(l, "," z ",") ? (p == 0) : 255) }'; } > "$d/labels/$c.slab"
	done
}

# native_scores DIR: "DSC HD95" (pooled DSC, mean HD95 in mm) of the masks
# DIR/CASE.nii.gz against the hidden full labels, on the scans' own grids
native_scores() {
	local f c
	rm -rf sc
	for f in "$1"/*.nii.gz; do
		c=$(basename "$f" .nii.gz)
		msd2slab -Z -i "ph/imagesTr/$c.nii.gz" -m "$f" -n "$c" sc/p > /dev/null
		msd2slab --merge -Z -i "ph/imagesTr/$c.nii.gz" -m "ph/labelsTr/$c.nii.gz" -n "$c" sc/t > /dev/null
	done
	cat sc/p/labels/*.slab > sc/p.slab
	cat sc/t/labels/*.slab > sc/t.slab
	echo "$(metrics -s /dev/stdout sc/p.slab sc/t.slab 2> /dev/null | awk '$1 == "dsc" { print $2 }')" \
	     "$(hd95 -e diag -s /dev/stdout sc/p.slab sc/t.slab 2> /dev/null | awk '$1 == "hd95" { print $2 }')"
}

@test "selflabel-schedule -a given: bands from every annotated slice, merged where they meet" {
	printf 'case\tset\tnz\na\ttrain\t10\nb\tval\t12\nc\ttrain\t9\nt\ttest\t4\n' > cases.tsv
	printf 'case\tannotated\na\t2,7\nb\t0\nc\t3-4\n' > ann.tsv
	run -0 "$P/selflabel-schedule" -k 20 -f 1 -a given -A ann.tsv cases.tsv
	[ "$(printf '%s\n' "$output" | cut -f1,5,6,8 | tr '\t\n' '|;')" = \
	  "case|annotated|iterations|slices;a|2,7|2|2 1 0 1 2 2 1 0 1 2;b|0|11|0 1 2 3 4 5 6 7 8 9 10 11;c|3,4|4|3 2 1 0 0 1 2 3 4;t|-|-|-;" ]
	# a volume annotated at 0.2 and 0.8 of its depth fills the middle from both sides
	printf 'case\tset\tnz\na\ttrain\t21\n' > one.tsv
	printf 'case\tannotated\na\t4,16\n' > a2.tsv
	run -0 "$P/selflabel-schedule" -k 20 -f 1 -a given -A a2.tsv one.tsv
	[ "$(printf '%s\n' "$output" | awk -F'\t' 'NR == 2 { print $8 }')" = "2 2 1 1 0 1 1 2 2 3 3 3 2 2 1 1 0 1 1 2 2" ]
	# bad input: one line, exit 1
	printf 'case\tannotated\na\t2\nb\t0\n' > noc.tsv
	run --separate-stderr "$P/selflabel-schedule" -a given -A noc.tsv cases.tsv
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[ "$stderr" = "selflabel-schedule: no annotated slice in volume 'c' (train): 'noc.tsv'" ]
	printf 'case\tannotated\na\t2,10\nb\t0\nc\t1\n' > oor.tsv
	run --separate-stderr "$P/selflabel-schedule" -a given -A oor.tsv cases.tsv
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"annotated slice 10 out of range [0,10) in volume 'a'"* ]]
}

@test "selflabel-annotated: the g slices of SLICES, else the labelled slices; a volume without any is named" {
	sparse_slabs ds a:16:16:6:1,4 b:16:16:5:0 v:16:16:4:2
	printf 'case\tset\na\ttrain\nb\ttrain\nv\tval\n' > ds/split.tsv
	run -0 "$P/selflabel-annotated" ds
	[ "$output" = "$(printf 'case\tannotated\na\t1,4\nb\t0\nv\t2')" ]
	sparse_slabs ds c:16:16:5:
	printf 'c\ttrain\n' >> ds/split.tsv
	run --separate-stderr "$P/selflabel-annotated" -o out.tsv ds
	[ "$status" -eq 1 ]
	[ "$stderr" = "selflabel-annotated: no annotated slice in training volume 'c': 'ds/labels/c.slab'" ]
	[ ! -e out.tsv ]
}

@test "setup refuses out-of-range values, unknown --set variables, a volume without annotation, sizes the network cannot take" {
	sparse_slabs ds a:16:16:6:1,4 b:16:16:5:0 c:16:16:6:3 v:16:16:4:2
	printf 'case\tset\na\ttrain\nb\ttrain\nc\ttrain\nv\tval\n' > ds/split.tsv
	for bad in "--theta 1.7" "--theta 0.3" "--k 0" "--k 101" "--threshold 2" "--ema 1" "--folds 0" \
		"--adaptive 0.9:0.5" "--annotate 0.5,1.5" "--set BOGUS=1" "--lr 0"; do
		run --separate-stderr "$P/selflabel-setup" $bad ds run
		[ "$status" -eq 2 ]
		[ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ]
		[[ "$stderr" == "selflabel-setup: "* ]]
		[ ! -e run ]
	done
	run --separate-stderr "$P/selflabel-setup" --theta 1.7 ds run
	[ "$stderr" = "selflabel-setup: --theta: out of range [0.5, 1]: '1.7'" ]
	run --separate-stderr "$P/selflabel-setup" --set BOGUS=1 ds run
	[[ "$stderr" == *"unknown variable"*"'BOGUS'" ]]
	# known variables pass, M_ and THR_ of a report model too
	run -0 "$P/selflabel-setup" -n --set PATIENCE0=3 --set M_MINE=x.model --set THR_MINE=0.3 ds run
	rm -rf run
	# a training volume with no annotated slice: named, nothing written
	sparse_slabs ds e:16:16:5:
	printf 'e\ttrain\n' >> ds/split.tsv
	run --separate-stderr "$P/selflabel-setup" --annotations given ds run
	[ "$status" -eq 1 ]
	[ "$stderr" = "selflabel-setup: no annotated slice in training volume 'e': '$PWD/ds/labels/e.slab'" ]
	[ ! -e run ]
	# an in-plane size the network cannot take (a slab folder is used as it is)
	sparse_slabs odd a:20:16:6:1
	run --separate-stderr "$P/selflabel-setup" -n --annotations given odd run
	[ "$status" -eq 0 ]
	[[ "$stderr" == "selflabel-setup: warning: in-plane size 20x16 of 'a' is not a multiple of 16"* ]]
	rm -rf run
	run --separate-stderr "$P/selflabel-setup" --resize 40x32 ds run
	[ "$status" -eq 2 ]
	[ ! -e run ]
}

@test "setup pads an MSD folder to multiples of 16 and says so; a crop that cuts foreground needs --force-crop" {
	phantom -n 4 -d 20,24,6 -s 2 ph > /dev/null
	run --separate-stderr "$P/selflabel-setup" -n ph run
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"in-plane size 20x24 (largest 20x24) is not a multiple of 16"*"padding every volume to 32x32"* ]]
	[ "$(sed -n 's/^CROP = //p' run/config.mk)" = 32x32 ]
	rm -rf run
	phantom -n 2 -d 48,48,6 -s 2 ph2 > /dev/null
	run --separate-stderr "$P/selflabel-setup" -n --crop 16x16 ph2 run
	[ "$status" -eq 1 ]
	[[ "$stderr" == "selflabel-setup: --crop 16x16 cuts away labelled foreground of 'phantom_00"*"(give --force-crop to accept): '16x16'" ]]
	[ ! -e run ]
	run -0 "$P/selflabel-setup" -n --force-crop --crop 16x16 ph2 run
	[ "$(sed -n 's/^CROP = //p' run/config.mk)" = 16x16 ]
	# a crop that keeps all foreground passes
	rm -rf run
	run -0 "$P/selflabel-setup" -n --crop 32x32 ph run
}

@test "the loop from painted slices: report without test metrics, no full truth read, export on the scans' grids far above iteration 0" {
	sparse_dataset ds
	"$P/selflabel-setup" --annotations given --k 20 --folds 1 --epochs0 60 --epochs 12 --patience 4 \
		--batch 8 --planes 1 --set PATIENCE0=10 --set TRAIN_OPTS=-q ds run > /dev/null
	# train/val only; iteration 0 is every painted slice
	[ -z "$(awk -F'\t' '$2 == "test"' run/data/split.tsv)" ]
	[ "$(awk -F'\t' 'NR > 1 { print $1 "\t" $5 }' run/schedule.tsv)" = \
	  "$(cat painted.tsv)" ]
	grep -q -- '--val-gt' run/params/finetune
	# the run never reads the full labels: they are out of its reach
	mv ph/labelsTr hidden
	make -s -C run -j2 > make.out 2>&1
	# the report: validation on the annotated slices, pseudo-label statistics, no test table
	grep -q '^## Validation (3 volumes, annotated slices only)' run/report.md
	grep -q '^| 2D self-labelling (final model) | ' run/report.md
	grep -q '^## Pseudo-labels per iteration' run/report.md
	run ! grep -q 'Test set\|full ground truth |' run/report.md
	[ ! -e run/models/full.model ]
	[ "$(head -c 8 run/report/pseudo.png | od -An -tx1 | tr -d ' ')" = 89504e470d0a1a0a ]
	run make -s -C run diagnostics
	[ "$status" -ne 0 ]
	[[ "$output" == *"needs full ground truth"* ]]
	# make export: every scan on its own grid, the painted slices as painted
	make -s -C run export > export.out 2>&1
	[ "$(ls run/out/labelsTr | wc -l)" -eq 16 ]
	[ -f run/out/model/bundle.tsv ]
	for f in ds/imagesTr/*.nii.gz; do
		c=$(basename "$f" .nii.gz)
		msd2slab -Z -i "$f" -m "run/out/labelsTr/$c.nii.gz" -n "$c" chk > /dev/null
		msd2slab -Z -i "run/out/labelsTr/$c.nii.gz" -n "$c" raw > /dev/null
		msd2slab -Z -i "ds/labelsTr/$c.nii.gz" -n "$c" painted > /dev/null
		[ "$(header chk/labels/$c.slab DIMS)" = "32 32 24" ]
		[ "$(header chk/labels/$c.slab TRANSFORM)" = "$(header chk/images/$c.slab TRANSFORM)" ]
		for z in $(awk -F'\t' -v c="$c" '$1 == c { gsub(",", " ", $2); print $2 }' painted.tsv); do
			cmp <(slice-extract -r "$z:$((z + 1))" "raw/images/$c.slab" | sed '1,/^ENDHDR$/d') \
			    <(slice-extract -r "$z:$((z + 1))" "painted/images/$c.slab" | sed '1,/^ENDHDR$/d')
		done
	done
	# the new scans: on their grids, as selflabel-segment segments them with the bundle
	[ "$(ls run/out/labelsTs)" = "$(printf 'new_1.nii.gz\nnew_2.nii.gz')" ]
	"$P/selflabel-segment" -m run/out/model -o seg ds > /dev/null
	for c in new_1 new_2; do
		msd2slab -Z -i "ds/imagesTs/$c.nii.gz" -m "run/out/labelsTs/$c.nii.gz" -n "$c" chk > /dev/null
		[ "$(header chk/labels/$c.slab TRANSFORM)" = "$(header chk/images/$c.slab TRANSFORM)" ]
		cmp <(zcat "run/out/labelsTs/$c.nii.gz" | tail -c +353) <(zcat "seg/$c.nii.gz" | tail -c +353)
		[ "$(slab-info chk/labels/$c.slab | awk '$1 == "label_1" { print $2 }')" -gt 100 ]
	done
	mv hidden ph/labelsTr
	cp -r run/out/labelsTr final
	make -s -C run export EXPORT_MODEL=central > export.out 2>&1
	read -r sd sh < <(native_scores final)
	read -r cd ch < <(native_scores run/out/labelsTr)
	echo "exported masks on the scans' grids: final DSC $sd HD95 $sh mm, iteration 0 DSC $cd HD95 $ch mm" >&3
	# (the phantom's painted-slices model is already good in-plane: the gain is
	# the far slices, where it finds tubes that are not there)
	awk -v sd="$sd" -v sh="$sh" -v cd="$cd" -v ch="$ch" \
		'BEGIN { exit !(sd > 0.85 && sd > cd + 0.01 && sh < ch / 2) }'
}

@test "a volume painted along x: every z-slice it crosses is annotated, and export copies its plane back" {
	sparse_dataset ds x
	"$P/selflabel-setup" --annotations given --planes 1 ds run > /dev/null
	# msd2slab --sparse: the plane x = 16 labelled on all 24 z-slices, 255 elsewhere
	[ "$(header run/data/labels/phantom_016.slab SLICES)" = "$(printf 'g %.0s' $(seq 24) | sed 's/ $//')" ]
	[ "$(slab-info run/data/labels/phantom_016.slab | awk '$1 == "label_255" { print $2 }')" = $((31 * 32 * 24)) ]
	grep -q "^phantom_016	x	16$" ds/annotations.tsv
	# the export plan overlays that plane (and the z-painted ones theirs)
	# (a dry run: the plan from a temporary file, nothing written in the run)
	make -s -C run -n export > plan.out 2>&1
	[ ! -e run/mk/export.mk ]
	[ ! -e run/params/export ]
	grep -q -- "--overlay ds/labelsTr/phantom_016.nii.gz --overlay-planes x:16 \|--overlay [^ ]*/ds/labelsTr/phantom_016.nii.gz --overlay-planes x:16 " plan.out
	grep -q -- "--overlay [^ ]*/ds/labelsTr/phantom_003.nii.gz --overlay-planes z:" plan.out
}
