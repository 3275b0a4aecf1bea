#!/usr/bin/env bats
# The 3-D U-Net through the tools: unet-train --dims 3, unet-predict with a
# 3-D model (summary, options, bad inputs, training, padding, determinism).

bats_require_minimum_version 1.5.0
load helpers
load classes_helpers

setup() {
	cd "$BATS_TEST_TMPDIR"
}

# a tiny fast 3-D model: 16x16 in-plane, depths padded to multiples of 4
tiny3() { unet-train -q --dims 3 --filters 4 --depth 2 "$@"; }

@test "unet-train --dims 3 --summary prints the paper's 3-D parameter totals" {
	run --separate-stderr unet-train --dims 3 --summary
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[[ "$output" == *"total parameters: 1411769"* ]]
	[[ "$output" == *"enc0_conv3x3x3_a"*"Z x H x W x 8"*"224"* ]]
	[[ "$output" == *"dec0_upconv2x2x2"* ]]
	run -0 unet-train --dims 3 --summary -c 4
	[ "$(printf '%s\n' "$output" | tail -n 1)" = "total parameters: 1412417" ]
	run -0 unet-train --dims 2 --summary
	[ "$(printf '%s\n' "$output" | tail -n 1)" = "total parameters: 485673" ]
}

@test "unet-train rejects a bad --dims with exit 2 and 3-D-only misuse with exit 1" {
	mkset
	for d in 1 4 x 3d ""; do
		run --separate-stderr unet-train --dims "$d" -o m.model tr.list
		[ "$status" -eq 2 ]
		[ -z "$output" ]
		[ ! -e m.model ]
		[[ "$stderr" == "unet-train: --dims: "*"'$d'" ]]
	done
	run --separate-stderr tiny3 --augment -o m.model tr.list
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[ ! -e m.model ]
	[ "$stderr" = "unet-train: --augment applies to 2-D training, not to a 3-D model" ]
	run --separate-stderr tiny3 --weights gaussian -o m.model tr.list
	[ "$status" -eq 1 ]
	[ ! -e m.model ]
	[ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ]
	tiny3 -e 1 -o m.model tr.list
	run --separate-stderr unet-train --dims 3 --init m.model -o m2.model tr.list
	[ "$status" -eq 1 ]
	[ ! -e m2.model ]
	[[ "$stderr" == *"apply to new models"* ]]
}

@test "unet-train --dims 3 learns a trivially learnable set and unet-predict reproduces it" {
	mkset
	tiny3 -e 40 --patience 40 --lr 3e-3 --log log.tsv -o m.model tr.list va.list
	[ "$(head -c 8 m.model)" = SLUNET3D ]
	[ "$(stat -c %s m.model)" -eq $((32 + 4 * $(unet-train --dims 3 --summary --filters 4 --depth 2 | sed -n 's/total parameters: //p'))) ]
	[ "$(wc -l < log.tsv)" -eq 41 ]
	unet-predict -m m.model -o p.slab img_v.slab
	# the header of the input, as f32, and one probability per voxel
	[ "$(sed -n '/^ENDHDR/q;p' p.slab | grep -v '^TYPE')" = "$(sed -n '/^ENDHDR/q;p' img_v.slab | grep -v '^TYPE')" ]
	paste <(slab_f32 p.slab) <(slab_u8 msk_v.slab) > pairs
	[ "$(wc -l < pairs)" -eq 1536 ]
	run awk '$1 < 0 || $1 > 1 { bad++ } { p = $1 >= 0.5; ok += (p == $2); tp += p && $2; fp += p && !$2; fn += !p && $2 }
		END { printf "%.4f %.4f %d\n", ok / NR, 2 * tp / (2 * tp + fp + fn), bad }' pairs
	echo "accuracy, dsc, out of range: $output"
	[ "$(echo "$output" | awk '{ print ($1 >= 0.97 && $2 >= 0.85 && $3 == 0) }')" = 1 ]
}

@test "unet-predict with a 3-D model: stdin equals the named file, -z zeroes the rest, -b is moot" {
	mkset
	tiny3 -e 2 -o m.model tr.list
	cat img_a.slab img_bb.slab > two.slab
	unet-predict -m m.model -o a.slab two.slab
	unet-predict -m m.model -b 1 < two.slab > b.slab
	cmp a.slab b.slab
	[ "$(grep -ac '^ENDHDR' a.slab)" -eq 2 ]
	unet-predict -m m.model -o z.slab -z 2:4 img_a.slab
	unet-predict -m m.model -o f.slab img_a.slab
	paste <(slab_f32 z.slab) <(slab_f32 f.slab) > pz
	# slices 2 and 3 (pixels 512..1023) as predicted whole, the others 0
	run awk '{ i = NR - 1; in_r = i >= 512 && i < 1024; if (in_r ? $1 != $2 : $1 != 0) bad++ } END { print bad + 0 }' pz
	[ "$output" = 0 ]
}

@test "unet-predict --flip with a 3-D model is the mean over four awk-flipped runs" {
	mkset
	tiny3 -e 3 -o m.model tr.list
	unet-predict -m m.model --flip -o f.slab img_a.slab
	# flip img_a's samples (u8, 16x16x6) along x, y or both with awk
	hdr=$(grep -abo ENDHDR img_a.slab | head -n 1 | cut -d: -f1)
	for k in 0 1 2 3; do
		{ head -c $((hdr + 7)) img_a.slab
		  tail -c +$((hdr + 8)) img_a.slab | od -An -v -tu1 -w1 |
			awk -v k=$k '{ v[NR - 1] = $1 } END { for (z = 0; z < 6; z++) for (y = 0; y < 16; y++) for (x = 0; x < 16; x++) {
				sx = (k % 2) ? 15 - x : x; sy = (k >= 2) ? 15 - y : y; printf "%c", v[z * 256 + sy * 16 + sx] } }'
		} > i$k.slab
		unet-predict -m m.model -o p$k.slab i$k.slab
		slab_f32 p$k.slab | awk -v k=$k '{ v[NR - 1] = $1 } END { for (z = 0; z < 6; z++) for (y = 0; y < 16; y++) for (x = 0; x < 16; x++) {
			sx = (k % 2) ? 15 - x : x; sy = (k >= 2) ? 15 - y : y; print v[z * 256 + sy * 16 + sx] } }' > q$k
	done
	paste q0 q1 q2 q3 <(slab_f32 f.slab) > all
	run awk '{ m = (($1 + $2) + ($3 + $4)) / 4; d = m - $5; if (d < 0) d = -d; if (d > w) w = d } END { print (w < 1e-5), NR }' all
	[ "$output" = "1 1536" ]
	run ! cmp -s f.slab p0.slab
}

@test "unet-train --dims 3 pads volumes of several depths and is deterministic" {
	mkset
	# depths 6, 9 (training) and 5 (validation): all padded to 12 with 255
	mkslab img_e.slab casee 16 16 9 1 img
	mkslab msk_e.slab casee 16 16 9 1 mask
	echo "img_e.slab msk_e.slab" >> tr.list
	mkslab img_v.slab casev 16 16 5 1 img
	mkslab msk_v.slab casev 16 16 5 1 mask
	run --separate-stderr unet-train --dims 3 --filters 4 --depth 2 -e 2 -s 3 -o a.model tr.list va.list
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"3-D: 5 training volumes of 5 read, 1 validation volumes; 16x16x12x1"* ]]
	tiny3 -e 2 -s 3 -o b.model tr.list va.list
	tiny3 -e 2 -s 4 -o c.model tr.list va.list
	cmp a.model b.model
	run ! cmp -s a.model c.model
	OPENBLAS_NUM_THREADS=2 tiny3 -e 2 -s 3 -o d.model tr.list va.list
	OPENBLAS_NUM_THREADS=2 tiny3 -e 2 -s 3 -o e.model tr.list va.list
	cmp d.model e.model
	unet-predict -m a.model -o p.slab img_e.slab
	[ "$(slab-info p.slab | awk '$1 == "dims" { print $2, $3, $4 }')" = "16 16 9" ]
}

@test "unet-train --dims 3 fine-tunes with --init on partial masks; unlabelled volumes are left out" {
	mkset
	tiny3 -e 1 -o m.model tr.list
	for i in a bb; do mkslab "msk_$i.slab" "case$i" 16 16 6 1 mask255 "SLICES . . . g . ."; done
	awk 'BEGIN { printf "SLAB 1\nNAME casedddd\nDIMS 16 16 6\nCHANNELS 1\nTYPE u8\nSPACING 1 1 1\nENDHDR\n";
		for (i = 0; i < 1536; i++) printf "%c", 255 }' > msk_dddd.slab
	run --separate-stderr unet-train --init m.model -e 2 -o m2.model tr.list va.list
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"3-D: 3 training volumes of 4 read"* ]]
	[[ "$stderr" == *"epoch 2/2"* ]]
	[ "$(head -c 8 m2.model)" = SLUNET3D ]
	run ! cmp -s m.model m2.model
	[ "$(stat -c %s m.model)" -eq "$(stat -c %s m2.model)" ]
}

@test "unet-predict with a 3-D model fails cleanly on unfit input" {
	mkset
	tiny3 -e 1 -o m.model tr.list
	mkslab i2.slab x 16 16 6 2 img
	run --separate-stderr unet-predict -m m.model -o p.slab i2.slab
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[ ! -e p.slab ]
	[ "$stderr" = "unet-predict: case x has 2 channels, model 'm.model' takes 1" ]
	mkslab i18.slab y 18 16 6 1 img
	run --separate-stderr unet-predict -m m.model -o p.slab i18.slab
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[ ! -e p.slab ]
	[ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ]
	[[ "$stderr" == *"not a multiple of 4"* ]]
	head -c 900 img_a.slab > t.slab
	run --separate-stderr unet-predict -m m.model -o p.slab t.slab
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[ ! -e p.slab ]
	[ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ]
	head -c 2000 m.model > t.model
	run --separate-stderr unet-predict -m t.model img_a.slab
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[[ "$stderr" == *"truncated model"* ]]
	# 2-D training data with a 3-D model of another channel count
	mkset 2
	run --separate-stderr unet-train --init m.model -e 1 -o m2.model tr.list
	[ "$status" -eq 1 ]
	[ ! -e m2.model ]
	[[ "$stderr" == *"takes 1 input channels, the data have 2"* ]]
}

@test "a 2-D model still reads as 2-D and keeps its SLUNET2D magic" {
	mkset
	tiny_train -e 1 -o m2.model tr.list
	[ "$(head -c 8 m2.model)" = SLUNET2D ]
	unet-predict -m m2.model -o p.slab img_a.slab
	[ "$(slab-info p.slab | awk '$1 == "dims" { print $2, $3, $4 }')" = "16 16 6" ]
}

@test "unet-train --dims 3 on 3-class masks learns; unet-predict writes 3 channels and --argmax" {
	mkclasses 3 8
	tiny3 -e 30 --patience 40 --optimizer adam --lr 0.01 --loss bcedice --log log.tsv -o m.model tr.list va.list
	[ "$(head -c 8 m.model)" = SLUNET3D ]
	[ "$(od -An -tu4 -j8 -N4 m.model | tr -d ' ')" = 2 ]
	[ "$(od -An -tu4 -j32 -N4 m.model | tr -d ' ')" = 3 ]
	awk -F'\t' '$1 == 1 { first = $4 } $1 ~ /^[0-9]+$/ && $4 > best { best = $4 }
		END { printf "val_dsc %s -> %s\n", first, best; exit !(best > first + 0.3) }' log.tsv
	# a volume of 6 slices (padded to 8 inside): 3 channels of its own 6 slices
	slab_classes img6.slab casev 16 16 6 img
	unet-predict -m m.model -o p.slab img6.slab
	[ "$(header p.slab CHANNELS)" = 3 ]
	[ "$(header p.slab CLASSES)" = 3 ]
	[ "$(header p.slab DIMS)" = "16 16 6" ]
	[ "$(slab_f32 p.slab | wc -l)" -eq 4608 ]
	slab_f32 p.slab | awk '{ v[NR - 1] = $1 } END { for (z = 0; z < 6; z++) for (i = 0; i < 256; i++) {
		s = v[(z * 3) * 256 + i] + v[(z * 3 + 1) * 256 + i] + v[(z * 3 + 2) * 256 + i]
		d = s - 1; if (d < 0) d = -d; if (d > m) m = d }
		printf "largest |sum - 1|: %g\n", m; exit !(m < 1e-6) }'
	unet-predict -m m.model --argmax -o l.slab img6.slab
	[ "$(header l.slab CLASSES)" = 3 ]
	slab_classes m6.slab casev 16 16 6 mask
	paste <(slab_u8 l.slab) <(slab_u8 m6.slab) | awk '$1 == $2 { a++ }
		END { printf "%d of %d voxels agree\n", a, NR; exit !(a > 0.85 * NR) }'
	# -z zeroes the other slices of every channel; --flip keeps the sums
	unet-predict -m m.model -z 1:3 -o z.slab img6.slab
	[ "$(slab_f32 z.slab | sed -n '769,2304p')" = "$(slab_f32 p.slab | sed -n '769,2304p')" ]
	[ "$(slab_f32 z.slab | sed -n '1,768p;2305,4608p' | awk '{ print $1 + 0 }' | sort -u)" = 0 ]
	unet-predict -m m.model --flip -o f.slab img6.slab
	run ! cmp -s f.slab p.slab
	# a 3-D model of 3 classes does not fine-tune on binary masks
	mkdir bin && cd bin
	mkset
	run --separate-stderr unet-train -q -e 1 --init ../m.model -o x.model tr.list
	[ "$status" -eq 1 ]
	[ "$stderr" = "unet-train: model '../m.model' has 3 classes, the masks have 2: '../m.model'" ]
	[ ! -e x.model ]
}
