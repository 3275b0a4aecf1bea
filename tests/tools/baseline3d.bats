#!/usr/bin/env bats
# The pipeline's 3-D baseline (pipelines/baseline3d.mk): off by default; with
# BASELINE3D=yes a models/full3d.model target (unet-train --dims 3 on every
# training volume's ground truth) and a "3D baseline" report row; and the
# real tools on a small phantom dataset.

bats_require_minimum_version 1.5.0
load helpers

setup() {
	cd "$BATS_TEST_TMPDIR"
	S=$SELFLABEL_ROOT/tests/tools/stand-ins
	P=$SELFLABEL_ROOT/pipelines
	export STANDIN_LOG=$PWD/calls.log
	: > calls.log
}

@test "the 3-D baseline is off by default and adds a report row with BASELINE3D=yes" {
	mkdata ds train:a:10 train:b:7 train:c:20 val:v:8 test:t:6
	"$P/selflabel-setup" --planes 1 --k 20 --folds 2 --set TRAIN="$S/train" --set PREDICT="$S/predict" \
		--set EXTRACT="$S/extract" ds run > /dev/null
	run make -s -C run -n baselines
	[ "$status" -eq 0 ]
	[[ "$output" != *full3d* ]]
	make -s -C run -j2 BASELINE3D=yes FULL3D_EPOCHS=7 > make.out 2>&1
	[ -f run/models/full3d.model ]
	grep -q -- '--dims 3 -e 7 --patience 6 -b 2 ' run/params/full3d
	# the same lists as the 2-D baseline: every training volume, its ground truth
	grep -q 'model from: --dims 3 .* lists/full-train.list lists/full-val.list' run/models/full3d.model
	[ "$(awk -F'\t' '$1 == "train" && $3 == "full3d"' calls.log | wc -l)" -eq 1 ]
	[ "$(awk -F'\t' '$1 == "predict" && $4 ~ /^test\/full3d\//' calls.log | wc -l)" -eq 1 ]
	grep -q '^| 3D baseline | ' run/report.md
	grep -q '^| 3D baseline | 1 | ' run/report.md
	[ "$(head -n 1 run/report/nsi.tsv)" = "$(printf 'nsi\tcentral\tselflabel\tfull\tsparse3d\tfused\tfull3d')" ]
	[ "$(awk -F'\t' '$1 == "full3d"' run/report/summary.tsv | wc -l)" -eq 1 ]
	# done is done; a 3-D parameter retrains the 3-D model only
	: > calls.log
	make -s -C run -j2 BASELINE3D=yes FULL3D_EPOCHS=7 > make.out 2>&1
	[ "$(wc -l < calls.log)" -eq 0 ]
	make -s -C run -j2 BASELINE3D=yes FULL3D_EPOCHS=8 > make.out 2>&1
	[ "$(awk -F'\t' '$1 == "train"' calls.log | wc -l)" -eq 1 ]
	[ "$(awk -F'\t' '$1 == "predict"' calls.log | wc -l)" -eq 1 ]
	# --pos-weight applies to every training, the 3-D one too
	make -s -C run -n BASELINE3D=yes FULL3D_EPOCHS=8 POS_WEIGHT=3 baselines > make.out
	# (a dry run writes no stamp: it prints the line that would)
	grep -q -- "--loss bce --pos-weight 3 .*' > params/full3d.tmp" make.out
	run ! grep -q -- '--pos-weight' run/params/full3d
	grep -q -- '--dims 3 .*--pos-weight 3 ' make.out
}

@test "the 3-D baseline with the real tools on phantoms: a model, whole-volume predictions, scores" {
	phantom -n 7 -d 32,32,11 -s 3 ph > /dev/null
	"$P/selflabel-setup" --set TRAIN_OPTS=-q ph run > /dev/null
	make -s -C run BASELINE3D=yes FULL3D_EPOCHS=2 report/full3d-cases.tsv > make.out 2>&1
	[ "$(head -c 8 run/models/full3d.model)" = SLUNET3D ]
	[ "$(wc -l < run/logs/full3d.tsv)" -eq 3 ]
	for c in $(awk -F'\t' '$2 == "test" { print $1 }' run/data/split.tsv); do
		[ "$(header run/test/full3d/$c.slab DIMS)" = "$(header run/data/images/$c.slab DIMS)" ]
		[ "$(header run/test/full3d/$c.slab TYPE)" = f32 ]
	done
	n=$(awk -F'\t' '$2 == "test"' run/data/split.tsv | wc -l)
	[ "$n" -ge 1 ]
	[ "$(tail -n +2 run/report/full3d-cases.tsv | grep -vc '^#')" -eq "$n" ]
	grep -q '^hd95' run/report/full3d-summary.tsv
}

# values FILE: the distinct f32 samples of a slab, ascending, on one line
values() { slab_f32 "$1" | awk '{ print $1 + 0 }' | sort -g -u | tr '\n' ' '; }

@test "the sparse 3-D model: on the annotated slices, a second teacher in the loop, the fused model, the largest-component choice" {
	mkdata ds train:a:10 train:b:7 train:c:20 val:v:8 test:t:6
	"$P/selflabel-setup" --planes 1 --k 20 --folds 2 --set TRAIN="$S/train" --set PREDICT="$S/predict" \
		--set EXTRACT="$S/extract" ds run > /dev/null
	# the 2-D models predict 0.125 everywhere (a collapsed model), the 3-D
	# one 0.875 on the first half of a slice and 0.25 on the rest
	STANDIN_EMPTY_FROM=0 make -s -C run -j2 > make.out 2>&1
	# trained once, on the annotated slices of the training volumes, validated on the validation volume's
	[ "$(awk -F'\t' '$1 == "train" && $3 == "sparse3d"' calls.log | wc -l)" -eq 1 ]
	grep -q 'model from: --dims 3 -e 150 --patience 6 -b 2 .* lists/sparse3d-train.list lists/sparse3d-val.list' \
		run/models/sparse3d.model
	[ "$(cut -d' ' -f2 run/lists/sparse3d-train.list | tr '\n' ' ')" = "labels/00/a.slab labels/00/b.slab labels/00/c.slab " ]
	[ "$(cat run/lists/sparse3d-val.list)" = "data/images/v.slab labels/00/v.slab" ]
	# the teacher: each iteration's probabilities are the mean of the two
	[ "$(values run/prob/01/c.slab)" = "0.1875 0.5 " ]
	[ "$(values run/test/sparse3d/c.slab)" = "0.25 0.875 " ]
	# the diagnostics score the 2-D models' own probabilities, not that mean
	[ "$(values run/diag/prob/00/v.slab)" = "0.125 " ]
	grep -q '^VP_00 := diag/prob/00/v.slab$' run/diag/plan.mk
	# the choice, measured on the validation volume's annotated slice: the
	# 3-D mask is one component, so keeping the largest changes nothing
	[ "$(head -n 1 run/choice/largest)" = yes ]
	[[ "$(sed -n 2p run/choice/largest)" == "LARGEST=auto: mean DSC on the 1 validation volumes' annotated slices 0.6667 with the largest component only, 0.6667 with every component" ]]
	# the fused model: the mean of the final 2-D model's and the 3-D model's
	[ "$(values run/test/fused/t.slab)" = "0.1875 0.5 " ]
	grep -q '^| 3D U-Net, annotated slices only | ' run/report.md
	grep -q '^| self-labelling + sparse 3D, fused | ' run/report.md
	grep -q "^Largest component only (3D and fused rows): yes; LARGEST=auto: " run/report.md
	grep -q '^| 3D U-Net, annotated slices only | 1 | ' run/report.md
	[ "$(head -n 1 run/report/nsi.tsv)" = "$(printf 'nsi\tcentral\tselflabel\tfull\tsparse3d\tfused')" ]
	# no teacher: every iteration predicts again, from the 2-D model alone
	: > calls.log
	STANDIN_EMPTY_FROM=0 make -s -C run -j2 iterations TEACHER3D=no > make.out 2>&1
	[ "$(awk -F'\t' '$1 == "predict" && $2 == "01"' calls.log | wc -l)" -eq 4 ]
	[ "$(values run/prob/01/c.slab)" = "0.125 " ]
	[ "$(awk -F'\t' '$1 == "train" && $3 == "sparse3d"' calls.log | wc -l)" -eq 0 ]
	# LARGEST=no: the choice, not the 3-D model, again
	: > calls.log
	make -s -C run -j2 test/sparse3d/t.slab LARGEST=no > make.out 2>&1
	[ "$(head -n 1 run/choice/largest)" = no ]
	[ "$(wc -l < calls.log)" -eq 0 ]
	cmp run/test/sparse3d/t.slab run/p3d/t.slab
	# no sparse 3-D model: no row, no teacher, no fusion
	run make -s -C run -n SPARSE3D=no all
	[ "$status" -eq 0 ]
	[[ "$output" != *sparse3d* ]]
	[[ "$output" != *fused* ]]
}

@test "selflabel-largest: the largest component kept unless it lowers the DSC on the annotated slices" {
	# 8x1x3 volumes; annotated slice z = 1 (255 on z = 0 and 2)
	u=$(printf '\\xff%.0s' 1 2 3 4 5 6 7 8)
	# the truth: two separate runs on the annotated slice
	mkdir -p ann
	mkslab v "8 1 3" u8 "$u\x01\x01\x00\x00\x00\x01\x01\x00$u" > ann/v.slab
	mkdir -p pred
	f9='\x66\x66\x66\x3f' f0='\x00\x00\x00\x00'
	row() { local s= b; for b; do if [ "$b" = 1 ]; then s+=$f9; else s+=$f0; fi; done; printf '%s' "$s"; }
	# a prediction that finds both: keeping one component loses the other
	mkslab v "8 1 3" f32 "$(row 0 0 0 0 0 0 0 0)$(row 1 1 0 0 0 1 1 0)$(row 0 0 0 0 0 0 0 0)" > pred/v.slab
	run -0 "$P/selflabel-largest" -m auto -a ann -p pred v
	[ "${lines[0]}" = no ]
	[[ "${lines[1]}" == *" 0.6667 with the largest component only, 1.0000 with every component" ]]
	# one run found, and a stray blob off the annotated slice: a tie, kept to the largest
	mkslab v "8 1 3" f32 "$(row 0 0 0 0 0 0 1 0)$(row 1 1 1 0 0 0 0 0)$(row 1 1 1 0 0 0 0 0)" > pred/v.slab
	run -0 "$P/selflabel-largest" -m auto -a ann -p pred v
	[ "${lines[0]}" = yes ]
	# the stray blob on the annotated slice: the largest component is better
	mkslab v "8 1 3" f32 "$(row 0 0 0 0 0 0 0 0)$(row 1 1 0 0 0 0 0 1)$(row 1 1 0 0 0 0 0 0)" > pred/v.slab
	run -0 "$P/selflabel-largest" -m auto -a ann -p pred v
	[ "${lines[0]}" = yes ]
	[[ "${lines[1]}" == *" 0.6667 with the largest component only, 0.5714 with every component" ]]
	# set by the run; nothing to measure on
	run -0 "$P/selflabel-largest" -m no -a ann -p pred v
	[ "${lines[0]}" = no ]
	run -0 "$P/selflabel-largest" -m auto -a ann -p pred
	[ "${lines[0]}" = no ]
	run -2 "$P/selflabel-largest" -m maybe -a ann -p pred v
	# applying it: the mean, then the largest component when the choice says yes
	printf 'yes\nwhy\n' > ch
	"$P/selflabel-largest" -c ch -o out.slab pred/v.slab
	prob-largest pred/v.slab | cmp - out.slab
	"$P/selflabel-largest" -c ch -o out.slab pred/v.slab pred/v.slab
	prob-mean pred/v.slab pred/v.slab | prob-largest | cmp - out.slab
	printf 'no\n' > ch
	"$P/selflabel-largest" -c ch -o out.slab pred/v.slab
	cmp pred/v.slab out.slab
	printf 'perhaps\n' > ch
	run -1 "$P/selflabel-largest" -c ch -o out2.slab pred/v.slab
	[ ! -e out2.slab ]
	run -1 --separate-stderr "$P/selflabel-largest" -c nochoice -o out2.slab pred/v.slab
	[ "$stderr" = "selflabel-largest: cannot read the choice: 'nochoice'" ]
	[ ! -e out2.slab ]
	run -2 "$P/selflabel-largest" -c ch pred/v.slab
	run -2 "$P/selflabel-largest" -m auto -p pred v
	[ -z "$(ls *.tmp 2>/dev/null)" ]
}
