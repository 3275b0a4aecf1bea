#!/usr/bin/env bats
# The method options of selflabel-setup (the remedies against collapse): each
# reaches its stage's command line, and a changed value rebuilds exactly what
# depends on it. Stand-in TRAIN/PREDICT/EXTRACT (tests/tools/stand-ins) log
# their command lines; the filter and the merge are the real tools.

bats_require_minimum_version 1.5.0
load helpers

setup() {
	cd "$BATS_TEST_TMPDIR"
	S=$SELFLABEL_ROOT/tests/tools/stand-ins
	P=$SELFLABEL_ROOT/pipelines
	export STANDIN_LOG=$PWD/calls.log STANDIN_ARGS=$PWD/args.log
	: > calls.log
	: > args.log
	mkdata ds train:a:10 train:b:7 train:c:20 train:d:5 train:e:9 val:v:8 test:t:6
}

setup_run() {
	"$P/selflabel-setup" "$@" --k 20 --folds 2 --set TRAIN="$S/train" --set PREDICT="$S/predict" \
		--set EXTRACT="$S/extract" ds run >/dev/null
}

# calls STAGE [ITER]: how many times a stand-in ran (for one iteration)
calls() { stand_in_calls calls.log "$@"; }

# args OUTPUT: the command line of the stand-in that wrote OUTPUT (run/OUTPUT)
args() { awk -F'\t' -v o="$1.tmp" '$2 == o { a = $3 } END { print a }' args.log; }

# conf VAR [RUNDIR]: a run's value of VAR: its config.mk's, else that of the
# preset config.mk names (pipelines/presets/PRESET.mk)
conf() {
	local f=${2:-run}/config.mk
	if grep -q "^$1 = " "$f"; then sed -n "s/^$1 = //p" "$f"
	else sed -n "s/^$1 ?= *//p" "$P/presets/$(sed -n 's/^PRESET = //p' "$f").mk"; fi
}

@test "presets: default without --preset, paper on request, options after a preset override it" {
	setup_run -n
	[ "$(conf PRESET)" = default ]
	[ "$(conf MODE)" = band ]
	[ "$(conf SELECT_ON)" = gt ]
	[ "$(conf THETA)" = 0.8 ]
	[ "$(conf ANNOTATE)" = central ]
	[ "$(conf FLIP)" = no ]
	# the ablation's choice (examples/hippocampus/results.md); --k 20 given after it wins
	[ "$(conf EMA)" = 0.99 ]
	[ "$(conf ADAPTIVE)" = 0.5:0.99 ]
	[ "$(conf CONFINE)" = 2 ]
	[ "$(conf K)" = 20 ]
	[ "$(conf PLANES)" = 3 ]
	"$P/selflabel-setup" -n ds run2 > /dev/null
	[ "$(conf K run2)" = 10 ]
	"$P/selflabel-setup" -n --preset paper ds run2 > /dev/null
	[ "$(conf K run2)" = 5 ]
	[ -z "$(conf CONFINE run2)" ]
	# config.mk names the preset and holds what the options set, nothing more
	[ "$(cat run2/config.mk | grep -v '^#')" = "$(printf 'DATASET = %s\nDATA_KIND = slabs\nPRESET = paper' "$PWD/ds")" ]
	# an option without --preset overrides the default preset
	setup_run -n --mode binary
	[ "$(conf MODE)" = binary ]
	[ "$(conf SELECT_ON)" = gt ]
	setup_run -n --preset paper
	[ "$(conf PRESET)" = paper ]
	[ "$(conf MODE)" = binary ]
	[ "$(conf SELECT_ON)" = all ]
	[ "$(conf LOSS)" = bce ]
	[ -z "$(conf EMA)" ]
	[ -z "$(conf ADAPTIVE)" ]
	[ "$(conf PLANES)" = 1 ]
	setup_run -n --preset paper --mode band
	[ "$(conf MODE)" = band ]
	setup_run -n --mode band --preset paper
	[ "$(conf MODE)" = binary ]
	# each variable once in config.mk
	[ -z "$(sed -n 's/ = .*//p' run/config.mk | sort | uniq -d)" ]
	# help lists the new options; bad values exit 2
	run -0 "$P/selflabel-setup" -h
	for o in --preset --select-on --pos-weight --adaptive --ema --flip auto; do [[ "$output" == *"$o"* ]]; done
	for bad in "--preset fast" "--select-on val" "--pos-weight x" "--adaptive 0.5" "--ema 2" \
		"--flip maybe" "--annotate top"; do
		run "$P/selflabel-setup" -n $bad ds run
		[ "$status" -eq 2 ]
	done
}

@test "the preset config.mk names sets the method options; an unknown one stops make" {
	setup_run --preset paper
	[ "$(cat run/params/filter)" = "threshold-filter -t 0.8 -m binary" ]
	sed -i 's/^PRESET = paper$/PRESET = default/' run/config.mk
	# (a dry run writes no stamp: it prints the line that would)
	make -s -C run -n iteration-1 > make.out
	grep -q -- "'threshold-filter -t 0.8 -m band -l 0.5:0.99 -c 2' > params/filter.tmp" make.out
	grep -q -- " --val-gt --ema 0.99' > params/finetune.tmp" make.out
	[ "$(cat run/params/filter)" = "threshold-filter -t 0.8 -m binary" ]
	grep -q -- '-a labels/00/a.slab ' make.out
	# a value in config.mk or on the command line wins over the preset's
	make -s -C run -n iteration-1 MODE=binary > make.out
	grep -q -- "'threshold-filter -t 0.8 -m binary -l 0.5:0.99 -c 2' > params/filter.tmp" make.out
	make -s -C run iteration-0 > make.out 2>&1
	[ "$(cat run/params/filter)" = "threshold-filter -t 0.8 -m band -l 0.5:0.99 -c 2" ]
	[[ "$(cat run/params/finetune)" == *" --val-gt --ema 0.99" ]]
	run make -s -C run -n iteration-1 PRESET=nope
	[ "$status" -ne 0 ]
	[[ "$output" == *"unknown PRESET"*"'nope'"* ]]
	run "$P/selflabel-setup" -n --preset nope ds run
	[ "$status" -eq 2 ]
}

@test "--select-on gt, --ema, --pos-weight reach unet-train; a change retrains only what it should" {
	setup_run --preset paper --select-on gt --ema 0.99 --pos-weight 3
	make -s -C run -j2 iterations baselines > make.out 2>&1
	# fine-tunings: --val-gt and --ema; every training: --pos-weight
	[[ "$(args models/03.model)" == *" --val-gt "*"--ema 0.99"* ]]
	# the folds keep the average too (EMA0 follows EMA), never --val-gt
	[[ "$(args models/00-fold1.model)" != *--val-gt* ]]
	[[ "$(args models/00-fold1.model)" == *"--ema 0.99"* ]]
	[[ "$(args models/full.model)" != *--val-gt* ]]
	for m in models/00-fold1.model models/02.model models/full.model; do
		[[ "$(args $m)" == *"--pos-weight 3 "* ]]
	done
	# back to all: the fine-tunings again, no fold, no prediction of iteration 1
	: > calls.log
	make -s -C run -j2 iterations baselines SELECT_ON=all > make.out 2>&1
	[ "$(calls train)" -eq 5 ]
	[ "$(calls predict 01)" -eq 0 ]
	[[ "$(cat run/params/finetune)" != *--val-gt* ]]
	# no ema: the folds and the fine-tunings; pos-weight: every training
	: > calls.log
	make -s -C run -j2 iterations baselines SELECT_ON=all EMA= > make.out 2>&1
	[ "$(calls train)" -eq 7 ]
	: > calls.log
	make -s -C run -j2 iterations baselines SELECT_ON=all EMA= POS_WEIGHT= > make.out 2>&1
	# (the sparse 3-D model of the baselines too)
	[ "$(calls train)" -eq 9 ]
	[ "$(calls extract)" -eq 0 ]
}

@test "--flip reaches the iterations' and the test report's predictions; REPORT_FLIP alone" {
	setup_run --preset paper --flip yes
	make -s -C run -j2 > make.out 2>&1
	[[ "$(args prob/02/c.slab)" == *--flip* ]]
	[[ "$(args test/selflabel/t.slab)" == *--flip* ]]
	# the diagnostics predict as the iterations do
	[[ "$(args diag/prob/05/v.slab)" == *--flip* ]]
	# the report without flips: only the test predictions again
	: > calls.log
	make -s -C run -j2 REPORT_FLIP=no > make.out 2>&1
	[ "$(calls train)" -eq 0 ]
	# (central, selflabel, full and the sparse 3-D model on the test volume)
	[ "$(calls predict)" -eq 4 ]
	[[ "$(args test/central/t.slab)" != *--flip* ]]
	# no flips anywhere: every prediction, no initial model
	: > calls.log
	make -s -C run -j2 iterations FLIP=no > make.out 2>&1
	[ "$(calls train)" -eq 5 ]
	[ "$(calls predict 01)" -eq 6 ]
}

@test "--adaptive: threshold-filter -a gets the volume's current labels, which become a prerequisite" {
	setup_run --preset paper --adaptive 0.9:0.95
	make -s -C run -j2 iteration-1 > make.out 2>&1
	grep -q 'pseudo/01/d.slab: prob/01/d.slab sched/01.tsv params/filter $(if $(ADAPTIVE)$(CONFINE),labels/00/d.slab)' \
		run/mk/iter-01.mk
	grep -q 'pseudo/03/c.slab: .*labels/02/c.slab)$' run/mk/iter-03.mk
	[ "$(cat run/params/filter)" = "threshold-filter -t 0.8 -m binary -l 0.9:0.95" ]
	run -0 make -s -C run -n iteration-2
	[[ "$output" == *"threshold-filter -t 0.8 -m binary -l 0.9:0.95 -a labels/01/d.slab -k 0,4 "* ]]
	# known answer: the annotated slice has 1 foreground pixel, so t = the
	# largest probability 0.875 clamped to [0.9, 0.95] = 0.9: nothing is foreground
	# (theta 0.8 alone marks 2 of 4 pixels)
	[ "$(samples run/labels/01/d.slab 20)" = "255 255 255 255 0 0 0 0 1 0 0 0 0 0 0 0 255 255 255 255" ]
	# adaptive off: the pseudo-labels again, not the predictions
	: > calls.log
	make -s -C run -j2 iteration-1 ADAPTIVE= > make.out 2>&1
	[ "$(calls predict)" -eq 0 ]
	[ "$(calls train)" -eq 1 ]
	[ "$(samples run/labels/01/d.slab 20)" = "255 255 255 255 1 1 0 0 1 0 0 0 1 1 0 0 255 255 255 255" ]
	# adaptive again: a newer current label file re-filters that volume
	make -s -C run -j2 iteration-1 > make.out 2>&1
	make -s -C run -q pseudo/01/d.slab
	touch run/labels/00/d.slab
	run make -s -C run -q pseudo/01/d.slab
	[ "$status" -ne 0 ]
}

@test "--annotate auto: the slice picked from the image, per volume" {
	# case a: slice 2 of its image is bright, the others constant (0): the
	# pick is 2; the other volumes are constant: floor(nz/2)
	{ mkslab a "2 2 10" f32 "$(for z in 0 1 2 3 4 5 6 7 8 9; do
		for p in 1 2 3 4; do if [ $z = 2 ]; then printf '%s' "$F1"; else printf '%s' "$F0"; fi; done; done)"; } \
		> ds/images/a.slab
	setup_run --preset paper --annotate auto
	[ "$(awk -F'\t' '$1 == "a" { print $5 }' run/schedule.tsv)" = 2 ]
	[ "$(awk -F'\t' '$1 == "c" { print $5 }' run/schedule.tsv)" = 10 ]
	[ "$(awk -F'\t' '$1 == "a" { print $8 }' run/schedule.tsv)" = "2 1 0 1 2 3 4 5 6 7" ]
	[ "$(awk -F'\t' '$1 == "a" { print $2 }' run/data/auto-annotate.tsv)" = 2 ]
	make -s -C run iteration-0 > make.out 2>&1
	# the annotated slice keeps its ground truth (pixel 0), the rest is 255
	[ "$(samples run/labels/00/a.slab 40 | cut -d' ' -f 1-12)" = "255 255 255 255 255 255 255 255 1 0 0 0" ]
	# back to central: a new schedule, the annotation of a again
	: > calls.log
	make -s -C run iteration-0 ANNOTATE=central > make.out 2>&1
	[ "$(awk -F'\t' '$1 == "a" { print $5 }' run/schedule.tsv)" = 5 ]
	[ "$(calls extract)" -ge 1 ]
}

@test "--confine: threshold-filter -c with the volume's current labels (-n, or -a with --adaptive)" {
	setup_run --preset paper --confine 1
	make -s -C run -j2 iteration-1 > make.out 2>&1
	grep -q 'pseudo/03/c.slab: .*labels/02/c.slab)$' run/mk/iter-03.mk
	[ "$(cat run/params/filter)" = "threshold-filter -t 0.8 -m binary -c 1" ]
	run -0 make -s -C run -n iteration-2
	[[ "$output" == *"threshold-filter -t 0.8 -m binary -c 1 -n labels/01/d.slab -k 0,4 "* ]]
	run -0 make -s -C run -n iteration-2 ADAPTIVE=0.5:0.99
	[[ "$output" == *"-l 0.5:0.99 -c 1 -a labels/01/d.slab -k 0,4 "* ]]
	# off: the pseudo-labels again, not the predictions
	: > calls.log
	make -s -C run -j2 iteration-1 CONFINE= > make.out 2>&1
	[ "$(calls predict)" -eq 0 ]
	[ "$(calls train)" -eq 1 ]
	run "$P/selflabel-setup" -n --confine x ds run
	[ "$status" -eq 2 ]
}

@test "--planes 3: models along the two other planes on the final labels, fused test predictions" {
	setup_run --preset paper --planes 3
	make -s -C run -j2 > make.out 2>&1
	# the volumes reordered and padded to multiples of 16 in-plane (depth 20 -> 32)
	[ "$(header run/planes/cor/images/a.slab DIMS)" = "16 32 2" ]
	[ "$(header run/planes/sag/labels/c.slab DIMS)" = "32 16 2" ]
	[ "$(samples run/planes/cor/labels/d.slab 16)" = "255 255 255 255 255 255 255 255 255 255 255 255 255 255 255 255" ]
	[ "$(cat run/planes/sag/sag-train.list | wc -l)" -eq 5 ]
	grep -q 'planes/cor/cor-train.list planes/cor/cor-val.list' run/models/plane-cor.model
	[ "$(header run/test/planes/t.slab DIMS)" = "2 2 6" ]
	# known answer: each stand-in model marks the first half of its slices; put
	# back and averaged, every pixel of t is >= 0.5, the truth 1 of 4: DSC 0.4
	[ "$(awk -F'\t' '$1 == "planes" { print $3 }' run/report/summary.tsv)" = 0.4 ]
	grep -q '^| 2D self-labelling, 3 planes fused | 0.400 ' run/report.md
	run -0 make -s -C run val-report
	[[ "$output" == *"| 2D self-labelling, 3 planes fused | 0.400 ± nan |"* ]]
	# plane training options retrain the two plane models only
	: > calls.log
	make -s -C run -j2 PLANES_OPTS=-q > make.out 2>&1
	[ "$(calls train)" -eq 2 ]
	[ "$(calls predict)" -eq 2 ]
	[ "$(calls extract)" -eq 0 ]
	# nothing to redo
	: > calls.log
	make -s -C run -j2 PLANES_OPTS=-q > make.out 2>&1
	[ ! -s calls.log ]
}

@test "--threshold: the self-labelling model's masks at T, the baselines' at THR; a change only re-scores" {
	setup_run --preset paper --threshold 0.2
	[ "$(conf SL_THR)" = 0.2 ]
	make -s -C run -j2 > make.out 2>&1
	# known answer: the stand-in predicts 0.875 on the first half of each slice
	# and 0.25 on the rest, so at 0.2 every pixel is foreground (no true
	# negative: TNR 0, TPR 1), at 0.5 only the first half (TNR > 0)
	col() { awk -F'\t' -v c="$2" 'NR == 1 { for (i = 1; i <= NF; i++) k[$i] = i; next } { print $k[c] }' "$1"; }
	[ "$(col run/report/selflabel-cases.tsv tnr)" = 0 ]
	[ "$(col run/report/selflabel-cases.tsv tpr)" = 1 ]
	[ "$(col run/report/central-cases.tsv tnr)" != 0 ]
	[ "$(col run/report/full-cases.tsv tnr)" != 0 ]
	grep -q "predictions thresholded at p >= 0.5, the" run/report.md
	grep -q "model's at p >= 0.2 " run/report.md
	make -s -C run val-report > make.out 2>&1
	[ "$(col run/diag/val-selflabel-cases.tsv tnr)" = 0 ]
	[ "$(col run/diag/val-central-cases.tsv tnr)" != 0 ]
	# back to 0.5: no training, no prediction, the self-labelling rows re-scored
	: > calls.log
	setup_run --preset paper --threshold 0.5
	make -s -C run -j2 > make.out 2>&1
	make -s -C run val-report > make.out 2>&1
	[ ! -s calls.log ]
	[ "$(col run/report/selflabel-cases.tsv tnr)" != 0 ]
	[ "$(col run/diag/val-selflabel-cases.tsv tnr)" != 0 ]
	grep -q "predictions thresholded at p >= 0.5\.$" run/report.md
	# both presets leave it to THR (empty); a preset after --threshold resets it
	setup_run -n --threshold 0.3 --preset paper
	[ -z "$(conf SL_THR)" ]
	setup_run -n --preset default --threshold 0.3
	[ "$(conf SL_THR)" = 0.3 ]
	run "$P/selflabel-setup" -n --threshold x ds run
	[ "$status" -eq 2 ]
}
