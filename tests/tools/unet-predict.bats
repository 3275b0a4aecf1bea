#!/usr/bin/env bats
# unet-predict: options, bad inputs, header kept, ranges, stdin, batching.

bats_require_minimum_version 1.5.0
load unet_helpers

setup() {
	cd "$BATS_TEST_TMPDIR"
	mkset
	tiny_train -e 2 -o m.model tr.list
	cat img_a.slab img_bb.slab > two.slab
}

@test "unet-predict -h prints usage on stdout" {
	run --separate-stderr unet-predict -h
	[ "$status" -eq 0 ] && [[ "$output" == usage:* ]] && [ -z "$stderr" ]
}

@test "unet-predict rejects a bad option, a missing model and a bad range with exit 2" {
	run --separate-stderr unet-predict -x -m m.model img_a.slab
	[ "$status" -eq 2 ] && [ -z "$output" ]
	run --separate-stderr unet-predict img_a.slab
	[ "$status" -eq 2 ] && [ -z "$output" ]
	run --separate-stderr unet-predict -m m.model -z 3:2 img_a.slab
	[ "$status" -eq 2 ] && [[ "$stderr" == *"empty slice range: '3:2'"* ]]
	run --separate-stderr unet-predict -m m.model -z 3 img_a.slab
	[ "$status" -eq 2 ] && [[ "$stderr" == *"bad slice range: '3'"* ]]
}

@test "unet-predict fails cleanly on missing, truncated and malformed inputs" {
	run --separate-stderr unet-predict -m m.model -o p.slab nosuch.slab
	[ "$status" -eq 1 ] && [ -z "$output" ] && [ ! -e p.slab ]
	[[ "$stderr" == *"cannot open 'nosuch.slab'"* ]]
	head -c 700 img_a.slab > t.slab
	run --separate-stderr unet-predict -m m.model t.slab
	[ "$status" -eq 1 ] && [ -z "$output" ] && [ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ]
	sed 's/^DIMS .*/DIMS 16 x 6/' img_a.slab > bad.slab
	run --separate-stderr unet-predict -m m.model -o p.slab bad.slab
	[ "$status" -eq 1 ] && [ -z "$output" ] && [ ! -e p.slab ]
	: > empty.slab
	run --separate-stderr unet-predict -m m.model empty.slab
	[ "$status" -eq 1 ] && [[ "$stderr" == *"no slabs"* ]]
	ls | grep -v tmp > /dev/null
	[ -z "$(ls | grep '\.tmp\.')" ]
}

@test "unet-predict rejects a truncated or foreign model and a channel mismatch" {
	head -c 1000 m.model > t.model
	run --separate-stderr unet-predict -m t.model img_a.slab
	[ "$status" -eq 1 ] && [ -z "$output" ] && [[ "$stderr" == *"truncated model"* ]]
	run --separate-stderr unet-predict -m img_a.slab img_a.slab
	[ "$status" -eq 1 ] && [[ "$stderr" == *"not a model file"* ]]
	mkslab i2.slab x 16 16 3 2 img
	run --separate-stderr unet-predict -m m.model -o p.slab i2.slab
	[ "$status" -eq 1 ] && [ -z "$output" ] && [ ! -e p.slab ]
	[ "$stderr" = "unet-predict: case x has 2 channels, model 'm.model' takes 1" ]
	mkslab i18.slab y 18 16 3 1 img
	run --separate-stderr unet-predict -m m.model i18.slab
	[ "$status" -eq 1 ] && [[ "$stderr" == *"not a multiple of 4"* ]]
}

@test "unet-predict keeps the header and writes probabilities" {
	mkslab x.slab casex 16 16 6 1 img "SLICES g . . 1 2 3"
	unet-predict -m m.model -o p.slab x.slab
	grep -a -q '^NAME casex$' p.slab
	grep -a -q '^DIMS 16 16 6$' p.slab
	grep -a -q '^CHANNELS 1$' p.slab
	grep -a -q '^TYPE f32$' p.slab
	grep -a -q '^SPACING 0.5 1 2$' p.slab
	grep -a -q '^TRANSFORM 0.5 0 0 -3 0 1 0 4 0 0 2 5$' p.slab
	grep -a -q '^SLICES g . . 1 2 3$' p.slab
	[ "$(slab_f32 p.slab | wc -l)" -eq 1536 ]
	[ "$(slab_f32 p.slab | awk '$1 < 0 || $1 > 1' | wc -l)" -eq 0 ]
}

@test "unet-predict reads stdin like a named file, streams of several slabs, any batch size" {
	unet-predict -m m.model two.slab > a.slab
	unet-predict -m m.model < two.slab > b.slab
	unet-predict -m m.model -b 1 - < two.slab > c.slab
	unet-predict -m m.model -b 5 -o d.slab two.slab
	cmp a.slab b.slab && cmp a.slab c.slab && cmp a.slab d.slab
	[ "$(grep -a -c '^NAME case' a.slab)" -eq 2 ]
}

@test "unet-predict -z predicts only a range and leaves the other slices 0" {
	unet-predict -m m.model -o all.slab img_a.slab
	unet-predict -m m.model -z 2:4 -o part.slab img_a.slab
	paste <(slab_f32 all.slab) <(slab_f32 part.slab) > both
	# slices 0-1 and 4-5 are 0; slices 2-3 equal the full prediction
	[ "$(awk 'NR <= 512 || NR > 1024 { if ($2 != 0) bad++ } NR > 512 && NR <= 1024 { if ($1 != $2) bad++ } END { print bad + 0 }' both)" -eq 0 ]
	unet-predict -m m.model -z 4: -o tail.slab img_a.slab
	[ "$(slab_f32 tail.slab | awk 'NR > 1024 && $1 != 0' | wc -l)" -gt 0 ]
	run --separate-stderr unet-predict -m m.model -z 2:7 img_a.slab
	[ "$status" -eq 1 ] && [ -z "$output" ]
	[ "$stderr" = "unet-predict: slice range 2:7 outside the 6 slices of case casea" ]
}
