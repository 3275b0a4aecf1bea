#!/usr/bin/env bats
# unet-train: options, bad inputs, a known answer, determinism.

bats_require_minimum_version 1.5.0
load unet_helpers

setup() { cd "$BATS_TEST_TMPDIR"; }

@test "unet-train -h prints usage on stdout" {
	run --separate-stderr unet-train -h
	[ "$status" -eq 0 ]
	[[ "$output" == usage:* ]]
	[ -z "$stderr" ]
}

@test "unet-train rejects a bad option and a missing model path with exit 2" {
	run --separate-stderr unet-train --bogus -o m tr.list
	[ "$status" -eq 2 ] && [ -z "$output" ]
	run --separate-stderr unet-train tr.list
	[ "$status" -eq 2 ] && [ -z "$output" ]
	run --separate-stderr unet-train -o m -e 0 tr.list
	[ "$status" -eq 2 ] && [[ "$stderr" == *"epochs"* ]]
	run --separate-stderr unet-train -o m --optimizer lbfgs tr.list
	[ "$status" -eq 2 ] && [[ "$stderr" == *"unknown optimizer: 'lbfgs'"* ]]
}

@test "unet-train --summary prints the paper's parameter totals" {
	run --separate-stderr unet-train --summary
	[ "$status" -eq 0 ]
	[[ "$output" == *"total parameters: 485673" ]]
	[[ "$output" == *"bottleneck4_conv3x3_b"*"147584"* ]]
	run --separate-stderr unet-train --summary -c 4
	[[ "$output" == *"total parameters: 485889" ]]
	[[ "$output" == *"enc0_conv3x3_a"*"296"* ]]
}

@test "unet-train fails cleanly on a missing list or slab file" {
	run --separate-stderr unet-train -o m.model nosuch.list
	[ "$status" -eq 1 ] && [ -z "$output" ]
	[ "$stderr" = "unet-train: cannot open 'nosuch.list': No such file or directory" ]
	echo "nosuch.slab nosuch_mask.slab" > tr.list
	run --separate-stderr unet-train -o m.model tr.list
	[ "$status" -eq 1 ] && [ -z "$output" ]
	[[ "$stderr" == *"cannot open 'nosuch.slab'"* ]]
	[ ! -e m.model ]
}

@test "unet-train fails cleanly on a truncated mask slab" {
	mkset
	head -c 500 msk_bb.slab > t.slab && mv t.slab msk_bb.slab
	run --separate-stderr tiny_train -o m.model tr.list
	[ "$status" -eq 1 ] && [ -z "$output" ]
	[ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ]
	[ ! -e m.model ] && [ -z "$(ls | grep tmp)" ]
}

@test "unet-train rejects malformed lists, masks and sizes" {
	mkset
	echo "img_a.slab" > bad.list
	run --separate-stderr unet-train -o m.model bad.list
	[ "$status" -eq 1 ] && [[ "$stderr" == *"bad.list:1: expected 'IMAGE.slab MASK.slab'"* ]]
	mkslab m7.slab casea 16 16 6 1 mask
	LC_ALL=C sed -i '$ s/\x01/\x07/' m7.slab
	echo "img_a.slab m7.slab" > bad.list
	run --separate-stderr unet-train -o m.model bad.list
	[ "$status" -eq 1 ] && [[ "$stderr" == *"mask value 7"* ]]
	mkslab i2.slab casea 16 16 6 2 img
	echo "img_a.slab i2.slab" > bad.list
	run --separate-stderr unet-train -o m.model bad.list
	[ "$status" -eq 1 ] && [[ "$stderr" == *"mask must be u8 with one channel"* ]]
	mkslab i20.slab x 20 16 3 1 img && mkslab m20.slab x 20 16 3 1 mask
	echo "i20.slab m20.slab" > bad.list
	run --separate-stderr unet-train -o m.model bad.list
	[ "$status" -eq 1 ] && [[ "$stderr" == *"slice size 20x16 is not a multiple of 16"* ]]
	[ ! -e m.model ]
}

@test "unet-train --init rejects a truncated model and a channel mismatch" {
	mkset
	tiny_train -e 1 -o m.model tr.list
	head -c 100 m.model > trunc.model
	run --separate-stderr unet-train -o m2.model --init trunc.model tr.list
	[ "$status" -eq 1 ] && [[ "$stderr" == *"truncated model"* ]] && [ ! -e m2.model ]
	mkset 2
	run --separate-stderr unet-train -o m2.model --init m.model tr.list
	[ "$status" -eq 1 ] && [ ! -e m2.model ]
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
	! cmp -s a.model c.model
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
	! cmp -s m.model m2.model
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
