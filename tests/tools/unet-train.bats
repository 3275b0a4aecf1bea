#!/usr/bin/env bats
# unet-train: options, bad inputs, a known answer, determinism.

bats_require_minimum_version 1.5.0
load helpers
load classes_helpers

setup() { cd "$BATS_TEST_TMPDIR"; }

@test "unet-train -h prints usage on stdout" {
	run --separate-stderr unet-train -h
	[ "$status" -eq 0 ]
	[[ "$output" == usage:* ]]
	[ -z "$stderr" ]
}

@test "unet-train -h says how to get the MPI build (unet-train-mpi, make deps-hpc)" {
	run --separate-stderr unet-train -h
	[ "$status" -eq 0 ]
	[[ "$output" == *"unet-train-mpi"*"make deps-hpc"* ]]
}

@test "unet-train rejects a bad option and a missing model path with exit 2" {
	run --separate-stderr unet-train --bogus -o m tr.list
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	run --separate-stderr unet-train tr.list
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	[ "$stderr" = "unet-train: missing option: '-o MODEL'" ]
	run --separate-stderr unet-train -o m -e 0 tr.list
	[ "$status" -eq 2 ]
	[ "$stderr" = "unet-train: -e/--epochs: out of range 1..100000: '0'" ]
	run --separate-stderr unet-train -o m --optimizer lbfgs tr.list
	[ "$status" -eq 2 ]
	[ "$stderr" = "unet-train: --optimizer: want rmsprop, adam or sgd: 'lbfgs'" ]
	run --separate-stderr unet-train -o m --augment=some tr.list
	[ "$status" -eq 2 ]
	[ "$stderr" = "unet-train: --augment: want none, all or gt: 'some'" ]
	run --separate-stderr unet-train --summary tr.list
	[ "$status" -eq 2 ]
	[ "$stderr" = "unet-train: --summary takes no operand: 'tr.list'" ]
}

@test "unet-train --augment takes no value of its own: the next argument is the next option" {
	mkset
	tiny_train -e 1 --augment -o a.model tr.list
	tiny_train -e 1 --augment=all -o b.model tr.list
	cmp a.model b.model
	tiny_train -e 1 --augment=none -o c.model tr.list
	tiny_train -e 1 -o d.model tr.list
	cmp c.model d.model
	run cmp a.model c.model
	[ "$status" -eq 1 ]
}

@test "unet-train --summary prints the paper's parameter totals" {
	run --separate-stderr unet-train --summary
	[ "$status" -eq 0 ]
	[[ "$output" == *"total parameters: 485673" ]]
	[[ "$output" == *"bottleneck4_conv3x3_b"*"147584"* ]]
	run -0 --separate-stderr unet-train --summary -c 4
	[[ "$output" == *"total parameters: 485889" ]]
	[[ "$output" == *"enc0_conv3x3_a"*"296"* ]]
}

@test "unet-train fails cleanly on a missing list or slab file" {
	run --separate-stderr unet-train -o m.model nosuch.list
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[ "$stderr" = "unet-train: cannot open 'nosuch.list': No such file or directory" ]
	echo "nosuch.slab nosuch_mask.slab" > tr.list
	run --separate-stderr unet-train -o m.model tr.list
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[[ "$stderr" == *"cannot open 'nosuch.slab'"* ]]
	[ ! -e m.model ]
}

@test "unet-train fails cleanly on a truncated mask slab" {
	mkset
	head -c 500 msk_bb.slab > t.slab && mv t.slab msk_bb.slab
	run --separate-stderr tiny_train -o m.model tr.list
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ]
	[ ! -e m.model ]
	[ -z "$(ls | grep tmp)" ]
}

@test "unet-train rejects malformed lists, masks and sizes" {
	mkset
	echo "img_a.slab" > bad.list
	run --separate-stderr unet-train -o m.model bad.list
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"bad.list:1: expected 'IMAGE.slab MASK.slab'"* ]]
	mkslab m7.slab casea 16 16 6 1 mask
	LC_ALL=C sed -i '$ s/\x01/\x07/' m7.slab
	echo "img_a.slab m7.slab" > bad.list
	run --separate-stderr unet-train -o m.model bad.list
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"mask value 7"* ]]
	mkslab i2.slab casea 16 16 6 2 img
	echo "img_a.slab i2.slab" > bad.list
	run --separate-stderr unet-train -o m.model bad.list
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"mask must be u8 with one channel"* ]]
	mkslab i20.slab x 20 16 3 1 img && mkslab m20.slab x 20 16 3 1 mask
	echo "i20.slab m20.slab" > bad.list
	run --separate-stderr unet-train -o m.model bad.list
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"slice size 20x16 is not a multiple of 16"* ]]
	[ ! -e m.model ]
}

@test "unet-train --init rejects a truncated model and a channel mismatch" {
	mkset
	tiny_train -e 1 -o m.model tr.list
	head -c 100 m.model > trunc.model
	run --separate-stderr unet-train -o m2.model --init trunc.model tr.list
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"truncated model"* ]]
	[ ! -e m2.model ]
	mkset 2
	run --separate-stderr unet-train -o m2.model --init m.model tr.list
	[ "$status" -eq 1 ]
	[ ! -e m2.model ]
	[[ "$stderr" == *"model 'm.model' takes 1 input channels, the data have 2"* ]]
}

@test "unet-train learns a trivially learnable set and unet-predict reproduces it" {
	mkset
	tiny_train -e 40 --patience 40 --log log.tsv -o m.model tr.list va.list
	[ "$(head -n 1 log.tsv)" = "$(printf 'epoch\ttrain_loss\tval_loss\tval_dsc\tlr\tseconds\tslices_per_s\tbest')" ]
	[ "$(wc -l < log.tsv)" -eq 41 ]
	unet-predict -m m.model -o p.slab img_v.slab
	paste <(slab_f32 p.slab) <(slab_u8 msk_v.slab) > pairs
	[ "$(wc -l < pairs)" -eq 1536 ]
	# pixel agreement of p >= 0.5 with the mask, and the DSC
	run awk '{ p = $1 >= 0.5; ok += (p == $2); tp += p && $2; fp += p && !$2; fn += !p && $2 }
		END { printf "%.4f %.4f\n", ok / NR, 2 * tp / (2 * tp + fp + fn) }' pairs
	echo "accuracy, dsc: $output"
	[ "$(echo "$output" | awk '{ print ($1 >= 0.98 && $2 >= 0.9) }')" = 1 ]
}

@test "unet-train gives a byte-identical model for the same seed, another for another" {
	mkset
	tiny_train -e 3 -s 5 --augment -o a.model tr.list va.list
	tiny_train -e 3 -s 5 --augment -o b.model tr.list va.list
	tiny_train -e 3 -s 6 --augment -o c.model tr.list va.list
	cmp a.model b.model
	run ! cmp -s a.model c.model
	[ "$(stat -c %s a.model)" -eq $((32 + 4 * $(unet-train --summary --filters 4 --depth 2 | sed -n 's/total parameters: //p'))) ]
}

@test "unet-train reads the list from stdin like from a file, and writes the model to stdout" {
	mkset
	tiny_train -e 2 -o a.model tr.list
	tiny_train -e 2 -o - - < tr.list > b.model
	cmp a.model b.model
}

@test "unet-train trains on partially labelled masks and fine-tunes with --init" {
	mkset
	for i in a bb ccc dddd; do mkslab "msk_$i.slab" "case$i" 16 16 6 1 mask255 "SLICES . . . g . ."; done
	run --separate-stderr tiny_train -e 2 -o m.model tr.list va.list
	[ "$status" -eq 0 ]
	run --separate-stderr unet-train -e 2 -b 4 --augment=gt --init m.model -o m2.model tr.list va.list
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"4 training slices from 4 volumes"* ]]
	[[ "$stderr" == *"epoch 2/2"* ]]
	run ! cmp -s m.model m2.model
	[ "$(stat -c %s m.model)" -eq "$(stat -c %s m2.model)" ]
}

@test "unet-train with two threads is deterministic too" {
	mkset
	OPENBLAS_NUM_THREADS=2 tiny_train -e 2 -s 3 -o a.model tr.list va.list
	OPENBLAS_NUM_THREADS=2 tiny_train -e 2 -s 3 -o b.model tr.list va.list
	cmp a.model b.model
}

@test "unet-train stops early, lowers the learning rate and keeps the best epoch" {
	mkset
	# validation labels are the opposite of the training labels: the better
	# the model learns, the worse its validation loss after the first epoch
	mkslab msk_v.slab casev 16 16 6 1 invmask
	tiny_train -e 20 --patience 3 --lr-patience 1 --log log.tsv -o m.model tr.list va.list
	cut -f1,3,5,8 log.tsv
	[ "$(wc -l < log.tsv)" -eq 5 ]                  # header + 1 best + 3 without improvement
	[ "$(awk 'NR == 2 { print $8 }' log.tsv)" = 1 ]
	[ "$(awk 'NR > 2 && $8 == 1' log.tsv | wc -l)" -eq 0 ]
	[ "$(awk 'NR == 2 { print $5 }' log.tsv)" = 0.001 ]
	[ "$(awk 'NR == 4 { print $5 }' log.tsv)" = 0.0001 ]   # lowered after one bad epoch
	# the model written is the best epoch's: an epoch at a negligible learning
	# rate from it starts with that epoch's validation loss
	unet-train -q -b 8 -e 1 --lr 1e-12 --init m.model --log log2.tsv -o m2.model tr.list va.list
	best=$(awk 'NR == 2 { print $3 }' log.tsv) again=$(awk 'NR == 2 { print $3 }' log2.tsv)
	echo "best $best, again $again"
	awk -v a="$best" -v b="$again" 'BEGIN { exit !(a - b < 1e-4 * a && b - a < 1e-4 * a) }'
}

# ---- remedies against collapse: --val-gt, --pos-weight, --ema -------------

@test "unet-train rejects bad --pos-weight, --ema and --val-gt without a list with exit 2" {
	mkset
	for a in "--pos-weight 0" "--pos-weight -1" "--pos-weight x" "--pos-weight 1e7" \
		"--ema 0" "--ema 1" "--ema 1.5" "--ema -0.5" "--ema abc"; do
		run --separate-stderr tiny_train $a -o m.model tr.list va.list
		echo "$a: $status $stderr"
		[ "$status" -eq 2 ]
		[ -z "$output" ]
		[ ! -e m.model ]
		[ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ]
	done
	run -2 --separate-stderr tiny_train --pos-weight 0 -o m.model tr.list
	[ "$stderr" = "unet-train: positive weight: must be > 0: '0'" ]
	run -2 --separate-stderr tiny_train --ema 1 -o m.model tr.list
	[ "$stderr" = "unet-train: ema decay: must be strictly between 0 and 1: '1'" ]
	run --separate-stderr tiny_train --val-gt -o m.model tr.list
	[ "$status" -eq 2 ]
	[ "$stderr" = "unet-train: --val-gt needs a validation list" ]
	[ ! -e m.model ]
}

# The validation volume of mkset with SLICES '1 1 g g 1 1': slices 2 and 3 keep
# the true mask (ground truth), the pseudo-labelled ones get its inverse.
mk_wrong_val() {
	local off
	mkslab mv.slab casev 16 16 6 1 mask "SLICES 1 1 g g 1 1"
	mkslab inv.slab casev 16 16 6 1 invmask
	off=$(grep -abo ENDHDR mv.slab | head -n 1 | cut -d: -f1)
	{ head -c $((off + 7)) mv.slab
	  paste <(slab_u8 mv.slab) <(slab_u8 inv.slab) |
		LC_ALL=C awk '{ z = int((NR - 1) / 256); printf "%c", (z == 2 || z == 3) ? $1 : $2 }'
	} > msk_v.slab
	rm -f mv.slab inv.slab
}

@test "unet-train --val-gt validates on the ground-truth slices alone" {
	mkset
	mk_wrong_val
	[ "$(slab_u8 msk_v.slab | wc -l)" -eq 1536 ]
	# the independent figure: a list holding only the GT slices 2 and 3
	slice-extract -r 2:4 -o img_g.slab img_v.slab
	slice-extract -r 2:4 -o msk_g.slab msk_v.slab
	echo "img_g.slab msk_g.slab" > gt.list
	tiny_train -e 2 -s 2 --log ref.tsv -o ref.model tr.list gt.list
	tiny_train -e 2 -s 2 --log gt.tsv --val-gt -o gt.model tr.list va.list
	tiny_train -e 2 -s 2 --log all.tsv -o all.model tr.list va.list
	head -n 4 ref.tsv gt.tsv all.tsv
	[ "$(sed -n 2p gt.tsv)" = "# val_loss, val_dsc: the 2 ground-truth slices of the 6 validation slices (--val-gt)" ]
	[ "$(grep -v '^#' gt.tsv | cut -f1-4,8)" = "$(cut -f1-4,8 ref.tsv)" ]
	[ "$(cut -f3 gt.tsv | sed -n 3p)" != "$(cut -f3 all.tsv | sed -n 2p)" ]
	[ "$(cut -f4 gt.tsv | sed -n 3p)" != "$(cut -f4 all.tsv | sed -n 2p)" ]
	cmp gt.model ref.model
	run ! cmp -s gt.model all.model   # the default keeps epoch 1 here, --val-gt epoch 2
	# without a SLICES key every slice is ground truth: --val-gt changes nothing
	mkslab msk_v.slab casev 16 16 6 1 mask
	tiny_train -e 2 -s 2 --log a.tsv --val-gt -o a.model tr.list va.list
	tiny_train -e 2 -s 2 --log b.tsv -o b.model tr.list va.list
	cmp a.model b.model
	[ "$(grep -v '^#' a.tsv | cut -f1-4)" = "$(cut -f1-4 b.tsv)" ]
}

@test "unet-train --val-gt with no ground-truth validation slice fails" {
	mkset
	mkslab msk_v.slab casev 16 16 6 1 mask "SLICES 1 1 2 2 1 1"
	run --separate-stderr tiny_train -e 1 --val-gt --log l.tsv -o m.model tr.list va.list
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[ "$stderr" = "unet-train: no ground-truth validation slice in 'va.list' (--val-gt)" ]
	[ ! -e m.model ]
	[ ! -e l.tsv ]
}

@test "unet-train --pos-weight: 1 is the default, more weight means more foreground" {
	mkset
	tiny_train -e 2 -s 4 -o a.model tr.list va.list
	tiny_train -e 2 -s 4 --pos-weight 1 -o b.model tr.list va.list
	cmp a.model b.model
	tiny_train -e 3 -s 4 --pos-weight 8 --log w.tsv -o w8.model tr.list va.list
	tiny_train -e 3 -s 4 --pos-weight 8 -o w8b.model tr.list va.list
	cmp w8.model w8b.model
	[ "$(sed -n 2p w.tsv)" = "# train_loss, val_loss: foreground pixels weigh 8 in the BCE (--pos-weight)" ]
	tiny_train -e 3 -s 4 --pos-weight 0.125 -o w0.model tr.list va.list
	run ! cmp -s w8.model w0.model
	unet-predict -m w8.model -o p8.slab img_v.slab
	unet-predict -m w0.model -o p0.slab img_v.slab
	n8=$(slab_f32 p8.slab | awk '$1 >= 0.5' | wc -l) n0=$(slab_f32 p0.slab | awk '$1 >= 0.5' | wc -l)
	echo "foreground pixels: pos-weight 8: $n8, 0.125: $n0 (true: $(slab_u8 msk_v.slab | grep -c 1))"
	[ "$n8" -gt "$n0" ]
	# with bcedice too
	tiny_train -e 1 -s 4 --loss bcedice --pos-weight 3 -o d3.model tr.list va.list
	tiny_train -e 1 -s 4 --loss bcedice -o d1.model tr.list va.list
	run ! cmp -s d3.model d1.model
}

@test "unet-train --ema: deterministic, logged, and the output is not the raw weights" {
	mkset
	tiny_train -e 3 -s 4 --patience 50 --ema 0.9 --log e.tsv -o e.model tr.list va.list
	tiny_train -e 3 -s 4 --patience 50 --ema 0.9 -o e2.model tr.list va.list
	cmp e.model e2.model
	tiny_train -e 3 -s 4 --patience 50 --log r.tsv -o r.model tr.list va.list
	run ! cmp -s e.model r.model
	[ "$(sed -n 2p e.tsv)" = "# val_loss, val_dsc, best and the model: the moving average of the weights (--ema 0.9)" ]
	# the training losses (of the raw weights) are the same, the validation ones differ
	[ "$(grep -v '^#' e.tsv | cut -f2)" = "$(cut -f2 r.tsv)" ]
	[ "$(grep -v '^#' e.tsv | cut -f3)" != "$(cut -f3 r.tsv)" ]
	# the model written is the kept epoch's average: validating it again at a
	# negligible learning rate gives the logged validation loss of that epoch
	kept=$(awk -F'\t' '!/^#/ && NR > 1 && $8 == 1 { v = $3 } END { print v }' e.tsv)
	unet-train -q -b 8 -e 1 --lr 1e-12 --init e.model --log again.tsv -o x.model tr.list va.list
	again=$(awk 'NR == 2 { print $3 }' again.tsv)
	echo "kept $kept, again $again"
	awk -v a="$kept" -v b="$again" 'BEGIN { exit !(a - b < 1e-4 * a && b - a < 1e-4 * a) }'
}

@test "unet-train --min-steps lowers the batch so that an epoch has at least N steps" {
	mkset
	run -0 --separate-stderr unet-train --filters 4 --depth 2 -b 8 --min-steps 4 -e 2 -o a.model tr.list va.list
	[[ "$stderr" == *"unet-train: batch 6, so that 24 training items make at least 4 steps an epoch (--min-steps)"* ]]
	tiny_train -b 6 -e 2 -o b.model tr.list va.list
	cmp a.model b.model
	# a batch that already makes N steps stays: the model without --min-steps
	tiny_train --min-steps 3 -e 2 -o c.model tr.list va.list
	tiny_train -e 2 -o d.model tr.list va.list
	cmp c.model d.model
	run ! cmp -s a.model d.model
	run -2 --separate-stderr unet-train --min-steps 0 -o m tr.list
	[ "$stderr" = "unet-train: --min-steps: out of range 1..100000: '0'" ]
}

@test "unet-train --val-gt and --augment=gt refuse garbage SLICES values in one line" {
	mkset
	for v in "1 1 g zz 1 1" "1 1 g g 1" "1 1 g g 1 1 1" "1 1 -3 g 1 1" "1 1 0x2 g 1 1"; do
		mkslab msk_v.slab casev 16 16 6 1 mask "SLICES $v"
		run --separate-stderr tiny_train -e 1 --val-gt -o m.model tr.list va.list
		failed_cleanly "SLICES"
		[[ "$stderr" == *"'msk_v.slab'"* ]]
		[ ! -e m.model ]
		run --separate-stderr tiny_train -e 1 --augment=gt -o m.model va.list
		failed_cleanly "SLICES"
		[ ! -e m.model ]
	done
}

@test "unet-train reads a list with a cap and never waits on a FIFO (list or slab in it)" {
	mkset
	mkfifo fifo
	run --separate-stderr timeout 20 unet-train -q --filters 4 --depth 2 -b 8 -e 1 -o m.model fifo
	failed_cleanly "no image/mask pairs in list 'fifo'"
	echo "img_a.slab fifo" > f.list
	run --separate-stderr timeout 20 unet-train -q --filters 4 --depth 2 -b 8 -e 1 -o m.model f.list
	failed_cleanly "fifo"
	# an endless list, a 10 GB sparse one: refused in one line, quickly, in 300 MB
	run --separate-stderr mem_limited 300000 timeout 20 unet-train -q -o m.model /dev/zero
	failed_cleanly "text file larger than the limit of 67108864 bytes (SELFLABEL_MAX_BYTES/64): '/dev/zero'"
	truncate -s 10G big.list
	run --separate-stderr mem_limited 300000 timeout 20 unet-train -q -o m.model big.list
	failed_cleanly "text file larger than the limit of 67108864 bytes (SELFLABEL_MAX_BYTES/64): 'big.list'"
	# the limit follows SELFLABEL_MAX_BYTES: 64K allows 1024 bytes of list
	for i in $(seq 50); do echo "img_a.slab msk_a.slab"; done > long.list
	run --separate-stderr env SELFLABEL_MAX_BYTES=64K unet-train -q -o m.model long.list
	failed_cleanly "text file larger than the limit of 1024 bytes (SELFLABEL_MAX_BYTES/64): 'long.list'"
	[ ! -e m.model ]
}

@test "unet-train writes the model and the log together: a model it cannot write leaves no log" {
	mkset
	mkdir adir
	run --separate-stderr tiny_train -e 1 --log log.tsv -o adir tr.list
	[ "$status" -eq 1 ]
	[[ "$stderr" == "unet-train: cannot write "*"adir': is a folder" ]]
	[ ! -e log.tsv ]
	[ -z "$(ls -A adir)" ]
	[ -z "$(ls | grep '\.tmp\.')" ]
}

@test "unet-train killed by SIGTERM leaves no temporary file; one a kill -9 left is swept by the next run" {
	mkset
	unet-train -q --filters 4 --depth 2 -b 8 -e 1000 --patience 1000 --log log.tsv -o m.model tr.list &
	pid=$!
	for i in $(seq 100); do ls | grep -q '^log\.tsv\.tmp\.' && break; sleep 0.05; done
	ls | grep -q '^log\.tsv\.tmp\.'
	kill -TERM "$pid"
	s=0
	wait "$pid" || s=$?
	[ "$s" -eq 143 ]
	[ -z "$(ls | grep '\.tmp\.')" ]
	[ ! -e log.tsv ]
	[ ! -e m.model ]
	# kill -9: the temporary stays (its writer's pid in its name) until the next run
	unet-train -q --filters 4 --depth 2 -b 8 -e 1000 --patience 1000 --log log.tsv -o m.model tr.list &
	pid=$!
	for i in $(seq 100); do ls | grep -q '^log\.tsv\.tmp\.' && break; sleep 0.05; done
	kill -KILL "$pid"
	wait "$pid" || true
	[ "$(ls | grep -c "^log\.tsv\.tmp\.$pid\.")" -eq 1 ]
	# a live writer's temporary is never touched (this shell's pid)
	touch "m.model.tmp.$$.abcdef"
	tiny_train -e 1 --log log.tsv -o m.model tr.list
	[ -f m.model ]
	[ -f log.tsv ]
	[ "$(ls | grep '\.tmp\.')" = "m.model.tmp.$$.abcdef" ]
}

# ---- masks of C >= 3 classes ----------------------------------------------

@test "unet-train --summary --classes 3 prints the 3-class table (18 parameters more)" {
	run --separate-stderr unet-train --summary --classes 3
	[ "$status" -eq 0 ]
	[[ "$output" == *"out_conv1x1"*"H x W x 3"*"27"* ]]
	[[ "$output" == *"softmax"*"total parameters: 485691" ]]
	run --separate-stderr unet-train --dims 3 --summary --classes 3
	[[ "$output" == *"total parameters: 1411787" ]]
	run --separate-stderr unet-train --classes 3 -o m tr.list
	failed_cleanly -s 2 "--classes"
}

@test "unet-train on 3-class masks writes a version-2 model of 3 classes that learns" {
	mkclasses
	unet-train -q --filters 8 --depth 2 -b 4 -e 30 --patience 100 --optimizer adam --lr 0.01 \
		--loss bcedice --log t.log -o m.model tr.list va.list
	# version 2, 3 classes at offset 32, 36 + 4 P bytes
	[ "$(od -An -tu4 -j8 -N4 m.model | tr -d ' ')" = 2 ]
	[ "$(od -An -tu4 -j32 -N4 m.model | tr -d ' ')" = 3 ]
	n=$(od -An -tu4 -j24 -N4 m.model | tr -d ' ')
	[ "$(stat -c %s m.model)" -eq $((36 + 4 * n)) ]
	# the log says what val_dsc is; val_dsc grows from the first epoch to the best
	grep -q '^# 3 classes: .*softmax cross-entropy + soft Dice over classes; val_dsc: the mean DSC of classes 1..2 (argmax)' t.log
	awk -F'\t' '$1 == 1 { first = $4 } $1 ~ /^[0-9]+$/ && $4 > best { best = $4 }
		END { printf "val_dsc %s -> %s\n", first, best; exit !(best > first + 0.3 && best > 0.7) }' t.log
	# fine-tuning with --init of the same classes works and is deterministic
	unet-train -q --init m.model -e 1 -o f1.model tr.list
	unet-train -q --init m.model -e 1 -o f2.model tr.list
	cmp f1.model f2.model
}

@test "unet-train on 3-class masks: bce and --class-weights train; weights change the model" {
	mkclasses
	tiny_train -e 2 -o a.model tr.list va.list
	tiny_train -e 2 --class-weights 1,1,1 -o b.model tr.list va.list
	cmp a.model b.model
	tiny_train -e 2 --class-weights 0.2,3,1 --log w.log -o c.model tr.list va.list
	run cmp a.model c.model
	[ "$status" -eq 1 ]
	grep -q '^# 3 classes: .*(--class-weights)' w.log
}

@test "unet-train rejects masks that disagree on their classes, naming the first that differs" {
	mkclasses
	slab_classes msk_c4.slab caseccc 16 16 6 mask 4
	sed -i 's/msk_ccc.slab/msk_c4.slab/' tr.list
	run --separate-stderr tiny_train -e 1 -o m.model tr.list
	failed_cleanly "msk_c4.slab"
	[[ "$stderr" == *"4 classes"*"first mask 3"* ]]
	[ ! -e m.model ]
	# a binary mask (no CLASSES) among 3-class ones
	mkclasses
	slab_square msk_bin.slab casebb 16 16 6 1 mask
	sed -i 's/msk_bb.slab/msk_bin.slab/' tr.list
	run --separate-stderr tiny_train -e 1 -o m.model tr.list
	failed_cleanly "msk_bin.slab"
	# validation masks of other classes than the training masks
	mkclasses
	slab_classes msk_v.slab casev 16 16 6 mask 4
	run --separate-stderr tiny_train -e 1 -o m.model tr.list va.list
	failed_cleanly "va.list"
	[ ! -e m.model ]
}

@test "unet-train rejects a label >= C, bad --class-weights and a model of other classes" {
	mkclasses
	slab_classes msk_bad.slab casea 16 16 6 bad
	sed -i 's/msk_a.slab/msk_bad.slab/' tr.list
	run --separate-stderr tiny_train -e 1 -o m.model tr.list
	failed_cleanly "mask value 3"
	[[ "$stderr" == *"msk_bad.slab"*"expected 0..2 or 255"* ]]
	[ ! -e m.model ]
	mkclasses
	run --separate-stderr tiny_train -e 1 --class-weights 1,2 -o m.model tr.list
	failed_cleanly "2 weights, the masks have 3 classes"
	run --separate-stderr tiny_train -e 1 --class-weights 1,-2,1 -o m.model tr.list
	failed_cleanly -s 2 "class weights: out of range 0..1e+06: '1,-2,1'"
	run --separate-stderr tiny_train -e 1 --class-weights 1,nan,1 -o m.model tr.list
	failed_cleanly -s 2 "nan"
	run --separate-stderr tiny_train -e 1 --class-weights 1,inf,1 -o m.model tr.list
	failed_cleanly -s 2 "inf"
	run --separate-stderr tiny_train -e 1 --class-weights 1,,1 -o m.model tr.list
	failed_cleanly -s 2
	run --separate-stderr tiny_train -e 1 --class-weights 0,0,0 -o m.model tr.list
	failed_cleanly -s 2 "all 0"
	many=$(printf '1,%.0s' $(seq 255))1 # 256 weights
	run --separate-stderr tiny_train -e 1 --class-weights "$many" -o m.model tr.list
	failed_cleanly -s 2 "class weights: more than 255"
	run --separate-stderr tiny_train -e 1 --pos-weight 2 -o m.model tr.list
	failed_cleanly "--pos-weight"
	[ ! -e m.model ]
	# --class-weights on binary masks; a 3-class --init on binary masks and back
	mkset
	run --separate-stderr tiny_train -e 1 --class-weights 1,2 -o m.model tr.list
	failed_cleanly "--class-weights applies to masks of 3 or more classes"
	tiny_train -e 1 -o bin.model tr.list
	mkdir c3 && cd c3
	mkclasses
	tiny_train -e 1 -o three.model tr.list
	run --separate-stderr unet-train -q -e 1 --init ../bin.model -o m.model tr.list
	failed_cleanly "model '../bin.model' has 2 classes, the masks have 3"
	[ ! -e m.model ]
	cd ..
	run --separate-stderr unet-train -q -e 1 --init c3/three.model -o m.model tr.list
	failed_cleanly "has 3 classes, the masks have 2"
	[ ! -e m.model ]
}
