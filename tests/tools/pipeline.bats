#!/usr/bin/env bats
# The self-labelling loop's make logic (pipelines/), with stand-in stage
# commands (tests/tools/stand-ins/) that log each call: the schedule, resume
# after an interruption, rebuilds after a parameter change, failed stages,
# parallel jobs, the launcher.

bats_require_minimum_version 1.5.0
load helpers

setup() {
	cd "$BATS_TEST_TMPDIR"
	S=$SELFLABEL_ROOT/tests/tools/stand-ins
	P=$SELFLABEL_ROOT/pipelines
	export STANDIN_LOG=$PWD/calls.log
	: > calls.log
	mkdata ds train:a:10 train:b:7 train:c:20 train:d:5 train:e:9 val:v:8 test:t:6
}

# setup_run [OPTIONS]: a run directory "run" with stand-in TRAIN, PREDICT, EXTRACT
setup_run() { stand_in_run run "$@"; }

# calls STAGE [ITER]: how many times a stand-in ran (for one iteration)
calls() { stand_in_calls calls.log "$@"; }

# slices CASE: the schedule row of a case (iteration per slice)
slices() { awk -F'\t' -v c="$1" '$1 == c { print $8 }' run/schedule.tsv; }

@test "selflabel-setup prints usage and rejects bad options" {
	run "$P/selflabel-setup" -h
	[ "$status" -eq 0 ]
	[[ "$output" == usage:* ]]
	run "$P/selflabel-setup" --theta x ds run
	[ "$status" -eq 2 ]
	run "$P/selflabel-setup" --bogus 1 ds run
	[ "$status" -eq 2 ]
	run "$P/selflabel-setup" ds
	[ "$status" -eq 2 ]
	run --separate-stderr "$P/selflabel-setup" nothere run
	[ "$status" -eq 1 ]
	[ "$stderr" = "selflabel-setup: no such dataset folder: 'nothere'" ]
	mkdir empty
	run "$P/selflabel-setup" empty run
	[ "$status" -eq 1 ]
}

@test "the gradual schedule grows symmetric bands, clipped at the edges, until all is labelled" {
	setup_run
	# k = 20 % of the depth, half per side, at least one slice
	[ "$(slices a)" = "5 4 3 2 1 0 1 2 3 4" ]
	[ "$(slices c)" = "5 5 4 4 3 3 2 2 1 1 0 1 1 2 2 3 3 4 4 5" ]
	[ "$(slices d)" = "2 1 0 1 2" ]
	[ "$(slices v)" = "4 3 2 1 0 1 2 3" ]
	[ "$(awk -F'\t' '$1 == "t" { print $8 }' run/schedule.tsv)" = "-" ]
	[ "$(sed -n 's/^ITERS := //p' run/mk/run.mk)" = 5 ]
	# general properties over every case: the annotated slice floor(nz/2) is 0,
	# every slice is labelled, and per iteration each side gains min(k, left)
	awk -F'\t' 'NR > 1 && $2 != "test" {
		n = split($8, it, " "); if (n != $3) exit 1
		c = int($3 / 2); if (it[c + 1] != 0 || $5 != c) exit 2
		for (z = 0; z < n; z++) { d = z - c; if (d < 0) d = -d
			if (it[z + 1] != int((d + $4 - 1) / $4)) exit 3 }
	}' run/schedule.tsv
	# sched/II.tsv lists the slices labelled at iteration II
	[ "$(awk -F'\t' '$1 == "c"' run/sched/01.tsv)" = "$(printf 'c\t8-9,11-12')" ]
	[ "$(awk -F'\t' '$1 == "c"' run/sched/05.tsv)" = "$(printf 'c\t0-1,19')" ]
	[ "$(awk -F'\t' '$1 == "a"' run/sched/00.tsv)" = "$(printf 'a\t5')" ]
}

@test "the paper's k = 5 % gives one slice per side on hippocampus depths" {
	mkdata hip train:h35:35 train:h36:36 train:h47:47 val:hv:24
	"$P/selflabel-setup" --preset paper --set EXTRACT="$S/extract" hip run >/dev/null
	[ "$(sed -n 's/^ITERS := //p' run/mk/run.mk)" = 23 ]
	[ "$(awk -F'\t' '$1 == "h35" { print $4, $5, $6 }' run/schedule.tsv)" = "1 17 17" ]
	[ "$(awk -F'\t' '$1 == "h36" { print $4, $5, $6 }' run/schedule.tsv)" = "1 18 18" ]
	[ "$(awk -F'\t' '$1 == "hv" { print $4, $5, $6 }' run/schedule.tsv)" = "1 12 12" ]
	# a volume that is full stays full: no targets for it later, its labels
	# of the iteration that filled it are used from then on
	grep -q '^labels/17/h35\.slab:' run/mk/iter-17.mk
	run ! grep -q '/18/h35\.slab' run/mk/iter-18.mk
	grep -q 'labels/17/h35\.slab' run/mk/iter-18.mk
	grep -q '^labels/23/h47\.slab:' run/mk/iter-23.mk
}

@test "selflabel-schedule: the plan from depths alone, known answers" {
	printf 'case\tset\tnz\na\ttrain\t10\nb\ttrain\t5\nc\ttrain\t20\nv\tval\t8\nt\ttest\t6\ne\ttrain\t9\n' > cases.tsv
	H=$(printf 'case\tset\tnz\tstep\tannotated\titerations\tfold\tslices')
	# gradual, k = 20 %: bands of step round(k nz / 2) per side; 2 folds (seed 1)
	run "$P/selflabel-schedule" -k 20 -f 2 cases.tsv
	[ "$status" -eq 0 ]
	[ "$output" = "$H
$(printf 'a\ttrain\t10\t1\t5\t5\t1\t5 4 3 2 1 0 1 2 3 4')
$(printf 'b\ttrain\t5\t1\t2\t2\t1\t2 1 0 1 2')
$(printf 'c\ttrain\t20\t2\t10\t5\t2\t5 5 4 4 3 3 2 2 1 1 0 1 1 2 2 3 3 4 4 5')
$(printf 'v\tval\t8\t1\t4\t4\t-\t4 3 2 1 0 1 2 3')
$(printf 't\ttest\t6\t-\t-\t-\t-\t-')
$(printf 'e\ttrain\t9\t1\t4\t4\t2\t4 3 2 1 0 1 2 3 4')" ]
	# stdin is the same
	[ "$("$P/selflabel-schedule" -k 20 -f 2 < cases.tsv)" = "$output" ]
	# random expansion (seed 7), 3 folds: the Park-Miller draws of the pipeline
	run "$P/selflabel-schedule" -k 20 -f 3 -e random -s 7 cases.tsv
	[ "$(printf '%s\n' "$output" | cut -f1,7,8 | tr '\t\n' '|;')" = \
	  "case|fold|slices;a|3|1 2 4 3 5 0 2 3 4 1;b|2|1 2 0 1 2;c|1|1 3 2 1 2 3 3 5 4 1 0 2 4 2 5 4 1 3 5 4;v|-|1 1 2 3 0 3 4 2;t|-|-;e|1|2 1 3 3 0 4 2 4 1;" ]
	# two annotated slices per volume, one fold (0: no cross-validation)
	run "$P/selflabel-schedule" -k 5 -a 0.25,0.75 -f 1 cases.tsv
	[ "$(printf '%s\n' "$output" | awk -F'\t' '$1 == "e" { print $5, $6, $7, $8 }')" = "2,6 2 0 2 1 0 1 2 1 0 1 2" ]
	# bad input: one line, exit 1, nothing on stdout
	printf 'case\tset\tnz\na\tval\t4\n' > noval.tsv
	run --separate-stderr "$P/selflabel-schedule" noval.tsv
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[ "$stderr" = "selflabel-schedule: noval.tsv: no training cases" ]
	printf 'case\tset\tnz\na\tdev\t4\n' > badset.tsv
	run --separate-stderr "$P/selflabel-schedule" badset.tsv
	[ "$status" -eq 1 ]
	[ "$stderr" = "selflabel-schedule: badset.tsv: unknown set for 'a': 'dev'" ]
	run --separate-stderr "$P/selflabel-schedule" -k 0 cases.tsv
	[ "$status" -eq 1 ]
	[ "$stderr" = "selflabel-schedule: k percent out of range (0,100]: '0'" ]
}

@test "random expansion labels as many slices per iteration, elsewhere, reproducibly" {
	setup_run --expansion random
	cp run/schedule.tsv random1.tsv
	rm -rf run && setup_run
	cp run/schedule.tsv gradual.tsv
	# same count per iteration and case, annotated slice kept, some slices moved
	counts() { awk -F'\t' 'NR > 1 && $2 != "test" { n = split($8, a, " ")
		for (z = 1; z <= n; z++) c[$1 " " a[z]]++ } END { for (k in c) print k, c[k] }' "$1" | sort; }
	[ "$(counts random1.tsv)" = "$(counts gradual.tsv)" ]
	run ! cmp -s random1.tsv gradual.tsv
	[ "$(awk -F'\t' '$1 == "c" { split($8, a, " "); print a[11] }' random1.tsv)" = 0 ]
	rm -rf run && setup_run --expansion random
	cmp run/schedule.tsv random1.tsv
	rm -rf run && setup_run --expansion random --seed 7
	run ! cmp -s run/schedule.tsv random1.tsv
}

@test "several annotated slices grow bands from each" {
	setup_run --annotate 0.25,0.75
	[ "$(slices e)" = "2 1 0 1 2 1 0 1 2" ]
	[ "$(awk -F'\t' '$1 == "e" { print $5 }' run/schedule.tsv)" = "2,6" ]
}

@test "make -j2 runs the loop, keeps the best fold, and a second make does nothing" {
	setup_run
	make -s -C run -j2 iterations > make.out 2>&1
	[ -f run/models/05.model ]
	# 2 folds + 5 fine-tunings; a prediction per volume and iteration with new slices
	[ "$(calls train)" -eq 7 ]
	[ "$(calls extract)" -eq 6 ]
	[ "$(calls predict)" -eq "$(cat run/sched/0[1-5].tsv | wc -l)" ]
	cmp run/models/00.model run/models/00-fold2.model
	[ "$(header run/labels/05/c.slab SLICES)" = "5 5 4 4 3 3 2 2 1 1 g 1 1 2 2 3 3 4 4 5" ]
	# pseudo-labels are the thresholded stand-in probabilities on new slices
	[ "$(samples run/labels/02/d.slab 20)" = "1 1 0 0 1 1 0 0 1 0 0 0 1 1 0 0 1 1 0 0" ]
	n=$(wc -l < calls.log)
	make -s -C run -j2 iterations
	[ "$(wc -l < calls.log)" -eq "$n" ]
	make -C run -q iterations
}

@test "an interrupted run resumes without redoing finished work" {
	setup_run
	STANDIN_WAIT='models/03.model' setsid make -s -C run -j2 iterations > make.out 2>&1 3>&- &
	pid=$!
	for i in $(seq 100); do [ -e run/models/03.model.waiting ] && break; sleep 0.1; done
	[ -e run/models/03.model.waiting ]
	kill -TERM -- -"$pid"
	wait "$pid" || true
	[ ! -e run/models/03.model ]
	[ -f run/models/02.model ]
	: > calls.log
	make -s -C run -j2 iterations > make.out 2>&1
	# only the rest: fine-tunings 3-5, predictions of iterations 4-5
	[ "$(calls train)" -eq 3 ]
	[ "$(calls extract)" -eq 0 ]
	[ "$(calls predict)" -eq "$(cat run/sched/0[45].tsv | wc -l)" ]
	[ -z "$(find run -name '*.tmp')" ]
}

@test "a changed parameter rebuilds only what depends on it" {
	setup_run
	make -s -C run -j2 iterations baselines > make.out 2>&1
	# report-only and unrelated parameters rebuild nothing
	: > calls.log
	make -s -C run -j2 iterations baselines THR=0.3 > make.out 2>&1
	[ "$(wc -l < calls.log)" -eq 0 ]
	# theta: pseudo-labels and what follows; not iteration 0 nor iteration 1's predictions
	make -s -C run -j2 iterations baselines THETA=0.7 > make.out 2>&1
	[ "$(calls extract)" -eq 0 ]
	[ "$(calls train)" -eq 5 ]
	[ "$(calls predict 01)" -eq 0 ]
	[ "$(calls predict)" -eq "$(cat run/sched/0[2-5].tsv | wc -l)" ]
	# fine-tuning epochs (edited in config.mk): the same
	: > calls.log
	sed -i 's/^K = 20$/K = 20\nEPOCHS = 9\nEPOCHS0 = 150/' run/config.mk
	make -s -C run -j2 iterations baselines THETA=0.7 > make.out 2>&1
	[ "$(calls train)" -eq 5 ]
	[ "$(calls predict 01)" -eq 0 ]
	grep -q -- '-e 9 ' run/models/05.model
	# the initial training's epochs: everything but the annotation and the data
	: > calls.log
	make -s -C run -j2 iterations THETA=0.7 EPOCHS=9 EPOCHS0=4 > make.out 2>&1
	[ "$(calls extract)" -eq 0 ]
	[ "$(calls train)" -eq 7 ]
	[ "$(calls predict 01)" -eq 6 ]
	# a larger k: a new schedule, but iteration 0 stays
	: > calls.log
	make -s -C run -j2 iterations THETA=0.7 EPOCHS=9 EPOCHS0=4 K=40 > make.out 2>&1
	[ "$(sed -n 's/^ITERS := //p' run/mk/run.mk)" = 3 ]
	[ "$(calls extract)" -eq 0 ]
	[ "$(calls train)" -eq 3 ]
	[ ! -e run/mk/iter-04.mk ]
}

@test "make -n and make -q change nothing on disk; make -n shows what a change would redo" {
	setup_run
	make -s -C run -j2 > make.out 2>&1
	[ -f run/report.md ]
	[ -f run/diag/diagnostics.tsv ]
	# every file and folder with its time stamp, size and content
	snap() { (cd run && find . -printf '%p %T@ %s\n' | sort && find . -type f -print0 | sort -z | xargs -0 md5sum); }
	snap > before
	: > calls.log
	make -n -C run THETA=0.7 > dry.out 2>&1
	grep -q 'threshold-filter -t 0.7 ' dry.out
	grep -q 'params/filter' dry.out
	run make -q -C run THETA=0.7
	[ "$status" -eq 1 ]
	make -n -C run K=40 EPOCHS=3 > dry.out 2>&1
	grep -q 'the data or the plan would be made again first' dry.out
	make -n -C run diagnostics val-report > dry.out 2>&1
	make -n -C run export > dry.out 2>&1 || true
	snap > after
	diff before after
	[ "$(wc -l < calls.log)" -eq 0 ]
	# and the finished run is still finished
	make -q -C run iterations baselines
	make -s -C run > make.out 2>&1
	[ "$(wc -l < calls.log)" -eq 0 ]
	snap > again
	diff before again
	# a run set up without its data and plan yet: make -n shows how they are made
	"$P/selflabel-setup" -n --preset paper ds fresh > /dev/null 2>&1
	make -n -C fresh > dry.out 2>&1
	grep -q 'selflabel-split .* data.tmp' dry.out
	grep -q 'selflabel-gen ' dry.out
	[ "$(ls -A fresh | tr '\n' ' ')" = "Makefile config.mk " ]
}

@test "a failing stage leaves no target and no temp file behind" {
	setup_run
	run env STANDIN_FAIL='prob/02/c.slab' make -s -C run -j2 iterations
	[ "$status" -ne 0 ]
	[[ "$output" == *"failing on purpose: 'prob/02/c.slab'"* ]]
	[ ! -e run/prob/02/c.slab ]
	[ -z "$(find run -name '*.tmp')" ]
	[ ! -e run/models/02.model ]
	: > calls.log
	make -s -C run -j2 iterations > make.out 2>&1
	[ "$(calls predict 01)" -eq 0 ]
	[ "$(calls predict 02)" -ge 1 ]
	[ -f run/models/05.model ]
	# a failing real tool too: merge-pseudo rejects what is not a mask
	rm -rf run && setup_run --set MERGE=false
	run make -s -C run iteration-1
	[ "$status" -ne 0 ]
	[ -z "$(ls run/labels/01 2>/dev/null)" ]
}

@test "make -j runs volumes in parallel and gives the same result as -j1" {
	setup_run
	STANDIN_BARRIER=$PWD/barrier make -s -C run -j2 iteration-0 > make.out 2>&1
	rm -rf barrier
	STANDIN_BARRIER=$PWD/barrier make -s -C run -j2 iteration-1 > make.out 2>&1
	make -s -C run -j4 iterations > make.out 2>&1
	(cd run && find labels pseudo models -type f | sort | xargs md5sum) > j4.sum
	rm -rf run && setup_run
	make -s -C run -j1 iterations > make.out 2>&1
	(cd run && find labels pseudo models -type f | sort | xargs md5sum) > j1.sum
	cmp j1.sum j4.sum
}

@test "LAUNCH prefixes the per-volume stages, LAUNCH_TRAIN the trainings" {
	setup_run --set LAUNCH="$S/launch"
	make -s -C run -j2 iteration-1 > make.out 2>&1
	[ "$(grep -c "^launch	$S/predict" calls.log)" -eq "$(calls predict)" ]
	grep -q "^launch	threshold-filter" calls.log
	grep -q "^launch	merge-pseudo" calls.log
	run ! grep -q "^launch	$S/train" calls.log
	: > calls.log
	make -s -C run -j2 iteration-2 LAUNCH_TRAIN="$S/launch" > make.out 2>&1
	[ "$(grep -c "^launch	$S/train" calls.log)" -eq 1 ]
}

@test "the full-ground-truth baseline trains on every slice" {
	setup_run
	make -s -C run baselines > make.out 2>&1
	[ -f run/models/full.model ]
	[ "$(cat run/lists/full-train.list | wc -l)" -eq 5 ]
	grep -q 'data/labels/a.slab' run/lists/full-train.list
	[ "$(cat run/lists/full-val.list)" = "data/images/v.slab data/labels/v.slab" ]
}

@test "selflabel-split makes a seeded split of a slab folder without one" {
	rm ds/split.tsv
	"$P/selflabel-split" -p 60/20/20 -s 3 ds d1
	"$P/selflabel-split" -p 60/20/20 -s 3 ds d2
	cmp d1/split.tsv d2/split.tsv
	[ "$(grep -c 'train$' d1/split.tsv)" -eq 4 ]
	[ "$(grep -c 'val$' d1/split.tsv)" -eq 1 ]
	[ "$(grep -c 'test$' d1/split.tsv)" -eq 2 ]
	[ -f d1/images/a.slab ]
}

@test "a slab folder is split as msd2slab splits an MSD folder of the same cases" {
	phantom -n 9 -d 16,16,4 -s 2 ph > /dev/null
	for seed in 1 4; do
		msd2slab -s $seed -p 50/25/25 ph sl$seed > /dev/null
		mv sl$seed/split.tsv msd$seed.tsv
		"$P/selflabel-split" -p 50/25/25 -s $seed sl$seed d$seed
		cmp msd$seed.tsv d$seed/split.tsv
	done
	run cmp -s d1/split.tsv d4/split.tsv
	[ "$status" -ne 0 ]
	# known answer (lib/split.h): phantom -n 8, seed 1, 70/15/15
	printf 'phantom_00%d\n' 8 7 6 5 4 3 2 1 | case-split > split.tsv
	[ "$(tail -n +2 split.tsv | cut -f2 | tr '\n' ' ')" = "train train train train train test val train " ]
}

@test "case-split: usage, bad proportions, bad or repeated names" {
	run case-split -h
	[ "$status" -eq 0 ]
	[[ "$output" == usage:* ]]
	run --separate-stderr case-split -p 0/0/0 /dev/null
	[ "$status" -eq 2 ]
	[ "$stderr" = "case-split: -p/--split: proportions sum to zero: '0/0/0'" ]
	run case-split a b
	[ "$status" -eq 2 ]
	printf 'a\nb\na\n' > names
	run --separate-stderr case-split -o out.tsv names
	[ "$status" -eq 1 ]
	[ "$stderr" = "case-split: names: case name appears twice: 'a'" ]
	[ ! -e out.tsv ]
	printf 'a\n\nb\n' > names
	run --separate-stderr case-split names
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	# the case-name rule msd2slab applies: what a makefile or shell reads
	# specially, a leading '.' or '-', a CR, a tab
	for bad in 'x;y' 'x|y' 'x>y' 'x y' 'x$y' "x'y" 'x%y' '.x' '-x' $'x\r' $'x\ty'; do
		printf 'a\n%s\n' "$bad" > names
		run --separate-stderr case-split -o out.tsv names
		[ "$status" -eq 1 ]
		[ -z "$output" ]
		[ "$stderr" = "case-split: names: bad case name on line 2 (want 1-255 of A-Z a-z 0-9 . _ + -, not starting with . or -): '$bad'" ]
		[ ! -e out.tsv ]
	done
	printf 'Case_1.a+b-c\nz\n' | case-split > ok.tsv
	[ "$(cut -f1 ok.tsv | tr '\n' ' ')" = "case Case_1.a+b-c z " ]
	# stdin equals the named file
	printf 'x\ny\nz\n' > names
	[ "$(case-split names)" = "$(case-split < names)" ]
}

@test "make report scores each model on the test volumes and writes report.md" {
	setup_run
	make -s -C run -j2 > make.out 2>&1
	[ -f run/report.md ]
	grep -q '^| 2D central slices only | ' run/report.md
	grep -q '^| 2D self-labelling | ' run/report.md
	grep -q '^| 2D full ground truth | ' run/report.md
	# (and the sparse-annotation baseline, on in every preset)
	grep -q '^| 3D U-Net, annotated slices only | ' run/report.md
	[ "$(wc -l < run/report/summary.tsv)" -eq 5 ]
	# known answer: the stand-in marks 2 of 4 pixels a slice, the truth 1 of them
	awk -F'\t' 'NR > 1 { d = $3 - 2 / 3; if (d < -1e-4 || d > 1e-4) exit 1 }' run/report/summary.tsv
	[ "$(head -c 8 run/report/nsi.png | od -An -tx1 | tr -d ' ')" = 89504e470d0a1a0a ]
	[ "$(head -n 1 run/report/nsi.tsv)" = "$(printf 'nsi\tcentral\tselflabel\tfull\tsparse3d')" ]
	[ "$(ls run/report/fig/*.png | wc -l)" -eq 8 ]
	[ "$(awk -F'\t' '$1 == "predict" && $4 ~ /^test/' calls.log | wc -l)" -eq 3 ]
	[ "$(awk -F'\t' '$1 == "predict" && $4 ~ /^p3d\/t.slab/' calls.log | wc -l)" -eq 1 ]
	# nothing to redo; a report parameter rescores without predicting again
	: > calls.log
	make -s -C run report > make.out 2>&1
	make -s -C run report THR=0.9 > make.out 2>&1
	[ "$(wc -l < calls.log)" -eq 0 ]
	awk -F'\t' 'NR > 1 && $3 != 0 { exit 1 }' run/report/summary.tsv
}

@test "the swap-stage example filter anneals theta by iteration and delegates" {
	mkslab a "2 1 2" f32 "$F875$F75$F25$F125" > p.slab
	SL_ITER=01 "$SELFLABEL_ROOT/examples/swap-stage/annealed-filter" -t 0.2 -m binary -k 0-1 -o a.slab p.slab
	threshold-filter -t 0.95 -k 0-1 p.slab > b.slab
	cmp a.slab b.slab
	SL_ITER=05 "$SELFLABEL_ROOT/examples/swap-stage/annealed-filter" -t 0.2 -m binary -o a.slab p.slab
	threshold-filter -t 0.75 p.slab > b.slab
	cmp a.slab b.slab
	# in a run: the pipeline calls it for every pseudo-label
	setup_run --set FILTER="$SELFLABEL_ROOT/examples/swap-stage/annealed-filter"
	make -s -C run iteration-1 > make.out 2>&1
	grep -q 'annealed-filter: iteration 1, case a: theta 0.95' make.out
}

@test "make help, status and clean" {
	setup_run
	run make -s -C run help
	[ "$status" -eq 0 ]
	[[ "$output" == *"make -j N iterations"* ]]
	make -s -C run iteration-1 > make.out 2>&1
	run -0 make -s -C run status
	[[ "$output" == *"done     models/01.model"* ]]
	[[ "$output" == *"to do    models/05.model"* ]]
	make -s -C run clean > make.out 2>&1
	[ ! -e run/models ]
	[ ! -e run/data ]
	[ ! -e run/mk ]
	[ -f run/config.mk ]
	[ -f run/Makefile ]
	# and it all comes back
	make -s -C run iteration-1 > make.out 2>&1
	[ -f run/models/01.model ]
}

@test "kill-trials: kill -9 at 3 random instants of msd2slab, unet-train and a whole run, each finished by the next run" {
	run "$SELFLABEL_ROOT/tests/robust/kill-trials" -n 3 -s 7 -d "$PWD/kt"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "msd2slab: 3 kills, 3 survived" ]
	[ "${lines[1]}" = "unet-train: 3 kills, 3 survived" ]
	[ "${lines[2]}" = "run: 3 kills, 3 survived" ]
	run -2 "$SELFLABEL_ROOT/tests/robust/kill-trials" -k bogus
}
