#!/usr/bin/env bats
# The run diagnostics (pipelines/selflabel-diag, diag.mk, diag-row.awk) and
# the validation report, on tiny slab volumes with stand-in stages: known
# answers per iteration, a collapsing model, a stopped run, a run directory
# left untouched outside diag/.

bats_require_minimum_version 1.5.0
load helpers

setup() {
	cd "$BATS_TEST_TMPDIR"
	S=$SELFLABEL_ROOT/tests/tools/stand-ins
	P=$SELFLABEL_ROOT/pipelines
	export STANDIN_LOG=$PWD/calls.log
	: > calls.log
	# labels: pixel 0 of every slice is foreground (2x2 slices)
	mkdata ds train:a:10 train:b:7 train:c:20 train:d:5 train:e:9 val:v:8 test:t:6
}

setup_run() { stand_in_run run "$@"; }

# cell ITER COLUMN: a value of diag/diagnostics.tsv
cell() {
	awk -F'\t' -v i="$1" -v k="$2" 'NR == 1 { for (j = 1; j <= NF; j++) c[$j] = j; next }
		$1 == i { print $c[k] }' run/diag/diagnostics.tsv
}

# scheduled ITER: train/val slices labelled at an iteration, from schedule.tsv
scheduled() {
	awk -F'\t' -v i="$1" 'NR > 1 && $2 != "test" { n = split($8, a, " ")
		for (z = 1; z <= n; z++) c += a[z] == i } END { print c + 0 }' run/schedule.tsv
}

@test "selflabel-diag: usage, bad options, a directory that is no run" {
	run "$P/selflabel-diag" -h
	[ "$status" -eq 0 ]
	[[ "$output" == usage:* ]]
	run "$P/selflabel-diag" -x run
	[ "$status" -eq 2 ]
	run "$P/selflabel-diag"
	[ "$status" -eq 2 ]
	run --separate-stderr "$P/selflabel-diag" nothere
	[ "$status" -eq 1 ]
	[ "$stderr" = "selflabel-diag: no such run directory: 'nothere'" ]
	mkdir empty
	run --separate-stderr "$P/selflabel-diag" empty
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"not a set-up run directory"* ]]
	# set up, nothing trained yet
	setup_run
	run --separate-stderr "$P/selflabel-diag" run
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"no finished iteration yet"* ]]
	[ ! -e run/diag/diagnostics.tsv ]
}

@test "make diagnostics: known answers per iteration, and a collapse" {
	setup_run
	# models 02 and later predict nothing: pseudo-labels from iteration 3 on are empty
	STANDIN_EMPTY_FROM=2 make -s -C run -j2 iterations > make.out 2>&1
	STANDIN_EMPTY_FROM=2 make -s -C run diagnostics > make.out 2>&1
	[ "$(head -n 1 run/diag/diagnostics.tsv)" = "$(printf 'iteration\tnew_slices\tpseudo_dsc\tunlabelled_share\tbg_share\tbg_share_true\tfg_pseudo\tfg_true\tfg_ratio\tcentral_dsc\tval_dsc\tval_dsc_mean')" ]
	[ "$(wc -l < run/diag/diagnostics.tsv)" -eq 7 ]
	for i in 0 1 2 3 4 5; do [ "$(cell $i new_slices)" -eq "$(scheduled $i)" ]; done
	# iteration 0: the annotated ground truth; the initial model marks 2 of 4
	# pixels, the truth 1 of them: DSC 2/3 on every slice
	[ "$(cell 0 pseudo_dsc)" = 1.0000 ]
	[ "$(cell 0 fg_pseudo)" -eq 6 ]
	[ "$(cell 0 central_dsc)" = 0.6667 ]
	[ "$(cell 0 val_dsc)" = 0.6667 ]
	# iterations 1-2: pseudo-labels of a sound model, 2 pixels per true one
	[ "$(cell 2 pseudo_dsc)" = 0.6667 ]
	[ "$(cell 2 fg_ratio)" = 2.0000 ]
	[ "$(cell 2 fg_pseudo)" -eq $((2 * $(scheduled 2))) ]
	[ "$(cell 2 fg_true)" -eq "$(scheduled 2)" ]
	[ "$(cell 2 bg_share)" = 0.0000 ]
	[ "$(cell 1 val_dsc)" = 0.6667 ]
	# model 02 sees nothing: validation DSC 0 from iteration 2, and iteration 3's
	# pseudo-labels are all background, far below the initial model's 2/3
	[ "$(cell 2 val_dsc)" = 0.0000 ]
	[ "$(cell 5 val_dsc_mean)" = 0.0000 ]
	[ "$(cell 3 pseudo_dsc)" = 0.0000 ]
	[ "$(cell 3 bg_share)" = 1.0000 ]
	[ "$(cell 3 fg_pseudo)" -eq 0 ]
	[ "$(cell 3 central_dsc)" = 0.6667 ]
	[ "$(cell 5 bg_share_true)" = 0.0000 ]
	[ "$(cell 4 unlabelled_share)" = 0.0000 ]
	[ "$(head -c 8 run/diag/diagnostics.png | od -An -tx1 | tr -d ' ')" = 89504e470d0a1a0a ]
	# the run's probabilities are reused: only model 04 and 05 on the validation
	# volume (v is fully labelled after iteration 4) are predicted anew
	[ "$(ls run/diag/prob)" = "$(printf '04\n05')" ]
	[ -f run/diag/prob/05/v.slab ]
	# report.md gets the section and the verdict
	STANDIN_EMPTY_FROM=2 make -s -C run -j2 > make.out 2>&1
	grep -q '^## Self-labelling diagnostics' run/report.md
	grep -q 'Collapse.*in iterations 3, 4, 5\.' run/report.md
	# nothing to redo
	: > calls.log
	make -s -C run diagnostics > make.out 2>&1
	[ ! -s calls.log ]
}

@test "band pseudo-labels: the uncertain pixels are left out and counted" {
	setup_run --mode band
	make -s -C run -j2 iteration-2 > make.out 2>&1
	"$P/selflabel-diag" run
	# p = 0.25 is uncertain at theta 0.8: half of every new slice is 255
	[ "$(cell 1 unlabelled_share)" = 0.5000 ]
	[ "$(cell 1 pseudo_dsc)" = 0.6667 ]
	[ "$(cell 0 unlabelled_share)" = 0.0000 ]
}

@test "a stopped run: diagnostics cover the iterations so far, outside diag/ nothing changes" {
	setup_run
	make -s -C run -j2 iteration-2 > make.out 2>&1
	touch run/marker
	(cd run && find . -path ./diag -prune -o -type f -print | sort | xargs md5sum) > before.sum
	sleep 1
	"$P/selflabel-diag" -j2 run
	[ "$(wc -l < run/diag/diagnostics.tsv)" -eq 4 ]
	[ "$(tail -n 1 run/diag/diagnostics.tsv | cut -f1)" = 2 ]
	(cd run && find . -path ./diag -prune -o -type f -print | sort | xargs md5sum) > after.sum
	cmp before.sum after.sum
	[ -z "$(cd run && find . -path ./diag -prune -o -type f -newer marker -print)" ]
	# the run goes on; the next diagnostics add rows, the old rows stay
	t1=$(stat -c %Y run/diag/rows/01.tsv)
	sleep 1
	make -s -C run -j2 iterations > make.out 2>&1
	"$P/selflabel-diag" run
	[ "$(wc -l < run/diag/diagnostics.tsv)" -eq 7 ]
	[ "$(stat -c %Y run/diag/rows/01.tsv)" = "$t1" ]
	# a failing stage leaves no diagnostics target behind
	rm -rf run/diag/prob run/diag/rows/05.tsv run/diag/val/05-cases.tsv
	run env STANDIN_FAIL='diag/prob/05/v.slab' "$P/selflabel-diag" run
	[ "$status" -ne 0 ]
	[ ! -e run/diag/rows/05.tsv ]
	[ -z "$(find run/diag -name '*.tmp')" ]
}

@test "make val-report: the initial, the final and the full model on the validation volumes" {
	setup_run
	STANDIN_EMPTY_FROM=5 make -s -C run -j2 iterations baselines > make.out 2>&1
	STANDIN_EMPTY_FROM=5 run make -s -C run val-report
	[ "$status" -eq 0 ]
	[[ "$output" == *"## Validation set (1 volumes, full ground truth)"* ]]
	[[ "$output" == *"| 2D central slices only (iteration 0) | 0.667 ± nan |"* ]]
	[[ "$output" == *"| 2D self-labelling (iteration 5 of 5) | 0.000 ± nan |"* ]]
	[[ "$output" == *"| 2D full ground truth | 0.667 ± nan |"* ]]
	[ "$(awk -F'\t' '$1 == "hd95" { print $2 }' run/diag/val-central-summary.tsv)" = 1 ]
	[ -f run/diag/val-selflabel-cases.tsv ]
	[ -f run/diag/val-report.md ]
	# no validation volumes: said so
	mkdata nv train:a:10 train:b:7 test:t:6
	"$P/selflabel-setup" --k 20 --folds 2 --set TRAIN="$S/train" --set PREDICT="$S/predict" \
		--set EXTRACT="$S/extract" nv run2 >/dev/null
	make -s -C run2 iteration-1 > make.out 2>&1
	run --separate-stderr "$P/selflabel-diag" run2 val-report
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"no validation volumes"* ]]
	"$P/selflabel-diag" run2
	[ "$(cut -f 11 run2/diag/diagnostics.tsv | tail -n 1)" = - ]
}
