#!/usr/bin/env bats
# selflabel-setup --annotations given: the loop from the user's own annotated
# slices (label files holding painted slices only), no full ground truth read.

bats_require_minimum_version 1.5.0
load helpers

setup() {
	cd "$BATS_TEST_TMPDIR"
	P=$SELFLABEL_ROOT/pipelines
}

# sparse_dataset DIR: a phantom MSD folder DIR whose label files hold only the
# painted z-slices (seeded, non-central; every third volume two), and
# truth/labels/CASE.slab, the hidden full labels (the run never sees them)
sparse_dataset() {
	local d=$1 f c i=0 a l
	phantom -n 10 -d 32,32,16 -s 5 ph > /dev/null
	msd2slab -f 1,2 -p 100/0/0 ph truth > /dev/null
	mkdir -p "$d/imagesTr" "$d/labelsTr"
	cp ph/imagesTr/* "$d/imagesTr/"
	cp ph/dataset.json "$d/"
	for f in truth/labels/*.slab; do
		c=$(basename "$f" .slab); i=$((i + 1))
		a=$(( (i * 7) % 4 + 2 )); [ $((i % 2)) = 0 ] && a=$((a + 8))
		l=$a; [ $((i % 3)) = 0 ] && l="$a,$(( (a + 7) % 16 ))"
		printf '%s\t%s\n' "$c" "$l" >> painted.tsv
		# 255 off the painted slices -> 0: what a label file of a viewer holds
		slice-extract -k "$l" "$f" | "$PY" -c 'import sys; d = sys.stdin.buffer.read(); h = d.index(b"ENDHDR\n") + 7
sys.stdout.buffer.write(d[:h] + d[h:].replace(b"\xff", b"\x00"))' > p.slab
		slab2nii -o "$d/labelsTr/$c.nii.gz" p.slab
	done
	rm -f p.slab
	rm -rf ph
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

@test "the loop from painted slices: report without test metrics, no full truth read, better than iteration 0" {
	need_python
	sparse_dataset ds
	"$P/selflabel-setup" --annotations given --k 25 --folds 1 --epochs0 100 --epochs 10 --patience 10 \
		--batch 4 --planes 1 --set PATIENCE0=30 --set TRAIN_OPTS=-q ds run > /dev/null
	# train/val only; iteration 0 is every painted slice
	[ -z "$(awk -F'\t' '$2 == "test"' run/data/split.tsv)" ]
	[ "$(awk -F'\t' 'NR > 1 { print $1 "\t" $5 }' run/schedule.tsv)" = \
	  "$(awk -F'\t' '{ n = split($2, a, ","); if (n == 2 && a[1] + 0 > a[2] + 0) $2 = a[2] "," a[1]; print $1 "\t" $2 }' painted.tsv)" ]
	grep -q -- '--val-gt' run/params/finetune
	nice make -s -C run -j1 > make.out 2>&1
	# the report: validation on the annotated slices, pseudo-label statistics, no test table
	grep -q '^## Validation (2 volumes, annotated slices only)' run/report.md
	grep -q '^| 2D self-labelling (final model) | ' run/report.md
	grep -q '^## Pseudo-labels per iteration' run/report.md
	run ! grep -q 'Test set\|full ground truth |' run/report.md
	[ ! -e run/models/full.model ]
	[ "$(head -c 8 run/report/pseudo.png | od -An -tx1 | tr -d ' ')" = 89504e470d0a1a0a ]
	run make -s -C run diagnostics
	[ "$status" -ne 0 ]
	[[ "$output" == *"needs full ground truth"* ]]
	# the painted slices stay as painted in the final labels
	for c in $(cut -f1 painted.tsv); do
		l=$(awk -F'\t' -v c="$c" '$1 == c { print $2 }' painted.tsv)
		cmp <(slice-extract -k "$l" "run/$(sed -n "s/^FL_$c := //p" run/mk/run.mk)" | tail -c +1 | sed '1,/^ENDHDR$/d') \
		    <(slice-extract -k "$l" "run/data/labels/$c.slab" | sed '1,/^ENDHDR$/d')
	done
	# against the hidden full truth: the final model is good, not worse than iteration 0
	for c in $(cut -f1 painted.tsv); do make -s -C run "test/selflabel/$c.slab" "test/central/$c.slab"; done
	dsc() { metrics -s /dev/stdout <(cat run/test/$1/*.slab) <(cat truth/labels/*.slab) 2> /dev/null | awk '$1 == "dsc" { print $2 }'; }
	s=$(dsc selflabel) c=$(dsc central)
	echo "final $s, iteration 0 $c" >&3
	awk -v s="$s" -v c="$c" 'BEGIN { exit !(s > 0.85 && s > c - 0.03) }'
	# poisoned truth changes nothing: the run never read it
	for f in truth/labels/*.slab; do : > "$f"; done
	rm -rf run/report run/report.md
	make -s -C run -j1 > make.out 2>&1
	grep -q '^## Validation' run/report.md
	# make export: NIfTI on the scans' grids (needs slab2nii -g)
	if slab2nii -h 2>&1 | grep -q -- '-g'; then
		make -s -C run export > make.out 2>&1
		[ "$(ls run/out/labelsTr | wc -l)" -eq 10 ]
	fi
}
