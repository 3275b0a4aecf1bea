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
	[ "$(head -n 1 run/report/nsi.tsv)" = "$(printf 'nsi\tcentral\tselflabel\tfull\tfull3d')" ]
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
