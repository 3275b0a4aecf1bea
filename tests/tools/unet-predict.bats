#!/usr/bin/env bats
# unet-predict: options, bad inputs, header kept, ranges, stdin, batching.

bats_require_minimum_version 1.5.0
load helpers
load classes_helpers

setup() {
	cd "$BATS_TEST_TMPDIR"
	mkset
	tiny_train -e 2 -o m.model tr.list
	cat img_a.slab img_bb.slab > two.slab
}

@test "unet-predict -h prints usage on stdout" {
	run --separate-stderr unet-predict -h
	[ "$status" -eq 0 ]
	[[ "$output" == usage:* ]]
	[ -z "$stderr" ]
}

@test "unet-predict rejects a bad option, a missing model and a bad range with exit 2" {
	run --separate-stderr unet-predict -x -m m.model img_a.slab
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	run --separate-stderr unet-predict img_a.slab
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	run --separate-stderr unet-predict -m m.model -z 3:2 img_a.slab
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"slice range: empty (end not after start): '3:2'"* ]]
	run --separate-stderr unet-predict -m m.model -z 3 img_a.slab
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"slice range: want 2 numbers separated by ':': '3'"* ]]
}

@test "unet-predict fails cleanly on missing, truncated and malformed inputs" {
	run --separate-stderr unet-predict -m m.model -o p.slab nosuch.slab
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[ ! -e p.slab ]
	[[ "$stderr" == *"cannot open 'nosuch.slab'"* ]]
	head -c 700 img_a.slab > t.slab
	run --separate-stderr unet-predict -m m.model t.slab
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ]
	sed 's/^DIMS .*/DIMS 16 x 6/' img_a.slab > bad.slab
	run --separate-stderr unet-predict -m m.model -o p.slab bad.slab
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[ ! -e p.slab ]
	: > empty.slab
	run --separate-stderr unet-predict -m m.model empty.slab
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"no slabs"* ]]
	ls | grep -v tmp > /dev/null
	[ -z "$(ls | grep '\.tmp\.')" ]
}

@test "unet-predict rejects a truncated or foreign model and a channel mismatch" {
	head -c 1000 m.model > t.model
	run --separate-stderr unet-predict -m t.model img_a.slab
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[[ "$stderr" == *"truncated model"* ]]
	run --separate-stderr unet-predict -m img_a.slab img_a.slab
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"not a model file"* ]]
	mkslab i2.slab x 16 16 3 2 img
	run --separate-stderr unet-predict -m m.model -o p.slab i2.slab
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[ ! -e p.slab ]
	[ "$stderr" = "unet-predict: case x has 2 channels, model 'm.model' takes 1" ]
	mkslab i18.slab y 18 16 3 1 img
	run --separate-stderr unet-predict -m m.model i18.slab
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"not a multiple of 4"* ]]
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
	cmp a.slab b.slab
	cmp a.slab c.slab
	cmp a.slab d.slab
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
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[ "$stderr" = "unet-predict: slice range 2:7 outside the 6 slices of case casea" ]
}

# ---- --flip: test-time flips ----------------------------------------------

# flip_u8 IN OUT FX FY: a one-slab u8 file mirrored along x (FX = 1) and/or
# y (FY = 1), by awk over the bytes: independent of the tool.
flip_u8() {
	local off nx ny nz nc
	off=$(grep -abo '^ENDHDR$' "$1" | head -n 1 | cut -d: -f1)
	read -r nx ny nz < <(sed -n '/^ENDHDR$/q; s/^DIMS //p' "$1")
	nc=$(sed -n '/^ENDHDR$/q; s/^CHANNELS //p' "$1")
	head -c $((off + 7)) "$1" > "$2"
	slab_u8 "$1" | LC_ALL=C awk -v nx="$nx" -v ny="$ny" -v nz="$nz" -v nc="$nc" -v fx="$3" -v fy="$4" '
		{ v[NR - 1] = $1 }
		END { for (p = 0; p < nz * nc; p++) for (y = 0; y < ny; y++) for (x = 0; x < nx; x++)
			printf "%c", v[(p * ny + (fy ? ny - 1 - y : y)) * nx + (fx ? nx - 1 - x : x)] }' >> "$2"
}

# mean_of_flips NX NY NZ: the mean of p0..p3.slab (outputs on the input
# flipped as k: 1 x, 2 y, 3 both), each flipped back, one value per line.
mean_of_flips() {
	paste <(slab_f32 p0.slab) <(slab_f32 p1.slab) <(slab_f32 p2.slab) <(slab_f32 p3.slab) |
		LC_ALL=C awk -v nx="$1" -v ny="$2" -v nz="$3" '
		{ for (k = 0; k < 4; k++) v[k, NR - 1] = $(k + 1) }
		END { for (z = 0; z < nz; z++) for (y = 0; y < ny; y++) for (x = 0; x < nx; x++) {
			s = 0
			for (k = 0; k < 4; k++) {
				yy = (k >= 2) ? ny - 1 - y : y; xx = (k % 2) ? nx - 1 - x : x
				s += v[k, (z * ny + yy) * nx + xx]
			}
			printf "%.9g\n", s / 4
		} }'
}

@test "unet-predict --flip is the mean of four runs on flipped inputs" {
	local c
	for c in 1 2; do
		mkset "$c"
		tiny_train -e 2 -o m$c.model tr.list
		mkslab img.slab caser 32 16 5 "$c" img
		unet-predict -m m$c.model -b 2 --flip -o f.slab img.slab
		cp img.slab i0.slab
		flip_u8 img.slab i1.slab 1 0
		flip_u8 img.slab i2.slab 0 1
		flip_u8 img.slab i3.slab 1 1
		run ! cmp -s i0.slab i1.slab
		run ! cmp -s i1.slab i3.slab
		for k in 0 1 2 3; do unet-predict -m m$c.model -o p$k.slab i$k.slab; done
		mean_of_flips 32 16 5 > want.txt
		slab_f32 f.slab > got.txt
		[ "$(wc -l < got.txt)" -eq 2560 ]
		[ "$(wc -l < want.txt)" -eq 2560 ]
		run awk '{ getline w < "want.txt"; d = $1 - w; if (d < 0) d = -d; if (d > m) m = d }
			END { printf "%.3g\n", m }' got.txt
		echo "channels $c: largest difference from the mean of four runs: $output"
		awk -v m="$output" 'BEGIN { exit !(m < 1e-6) }'
		# and it is not the plain prediction
		run ! cmp -s f.slab p0.slab
	done
	# the header is kept, -z applies, stdin works
	[ "$(header f.slab NAME)" = caser ]
	[ "$(header f.slab DIMS)" = "32 16 5" ]
	[ "$(header f.slab TYPE)" = f32 ]
	[ "$(header f.slab SPACING)" = "0.5 1 2" ]
	unet-predict -m m2.model --flip < img.slab | cmp - f.slab
	unet-predict -m m2.model --flip -z 1:3 -o fz.slab img.slab
	[ "$(slab_f32 fz.slab | sed -n '513,1536p')" = "$(slab_f32 f.slab | sed -n '513,1536p')" ]
	[ "$(slab_f32 fz.slab | sed -n '1,512p;1537,2560p' | awk '{ print $1 + 0 }' | sort -u)" = 0 ]
}

@test "unet-predict --flip gives a symmetric output for a symmetric input" {
	# symmetric under both flips: a function of |2x - 31| and |2y - 15|
	{ sed -n '1,/^ENDHDR$/p' img_a.slab | sed 's/^DIMS .*/DIMS 32 16 3/'
	  LC_ALL=C awk 'BEGIN { for (z = 0; z < 3; z++) for (y = 0; y < 16; y++) for (x = 0; x < 32; x++) {
		ax = 2 * x - 31; if (ax < 0) ax = -ax; ay = 2 * y - 15; if (ay < 0) ay = -ay
		printf "%c", (ax < 12 + 2 * z && ay < 9) ? 1 : (ax * 3 + ay + z) % 5 == 0 }}'
	} > sym.slab
	flip_u8 sym.slab sx.slab 1 0 && cmp sym.slab sx.slab
	flip_u8 sym.slab sy.slab 0 1 && cmp sym.slab sy.slab
	unet-predict -m m.model --flip -o f.slab sym.slab
	unet-predict -m m.model -o p.slab sym.slab
	# mirror the output values by index and compare as text
	mirror() { slab_f32 "$1" | awk -v fx="$2" -v fy="$3" '{ v[NR - 1] = $1 }
		END { for (z = 0; z < 3; z++) for (y = 0; y < 16; y++) for (x = 0; x < 32; x++)
			print v[(z * 16 + (fy ? 15 - y : y)) * 32 + (fx ? 31 - x : x)] }'; }
	[ "$(mirror f.slab 0 0)" = "$(mirror f.slab 1 0)" ]
	[ "$(mirror f.slab 0 0)" = "$(mirror f.slab 0 1)" ]
	# the plain prediction is not symmetric: the check can fail
	[ "$(mirror p.slab 0 0)" != "$(mirror p.slab 1 0)" ]
}

@test "unet-predict rejects --flip with an argument with exit 2" {
	run --separate-stderr unet-predict -m m.model --flip=2 img_a.slab
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	[[ "$stderr" == *"--flip"* ]]
}

@test "unet-predict reads no more of a model than its header announces (-m /dev/zero, endless trailing bytes)" {
	# 300 MB of address space and 20 s: reading the whole input would need far more
	run --separate-stderr mem_limited 300000 timeout 20 unet-predict -m /dev/zero -o p.slab img_a.slab
	[ "$status" -eq 1 ]
	[ "$stderr" = "unet-predict: not a model file (no SLUNET2D or SLUNET3D magic): '/dev/zero'" ]
	run --separate-stderr mem_limited 300000 bash -c 'cat m.model /dev/zero | timeout 20 unet-predict -m - -o p.slab img_a.slab'
	[ "$status" -eq 1 ]
	[ "$stderr" = "unet-predict: trailing bytes after the model parameters: '-'" ]
	[ ! -e p.slab ]
}

@test "unet-predict never waits on a FIFO as model or input, and bounds the model by SELFLABEL_MAX_BYTES" {
	mkfifo fifo
	run --separate-stderr timeout 20 unet-predict -m fifo -o p.slab img_a.slab
	failed_cleanly "not a model file (no SLUNET2D or SLUNET3D magic): 'fifo'"
	run --separate-stderr timeout 20 unet-predict -m m.model -o p.slab fifo
	failed_cleanly "no slabs in 'fifo'"
	[ ! -e p.slab ]
	# a directory is refused in one line too
	run --separate-stderr unet-predict -m . -o p.slab img_a.slab
	failed_cleanly "is a directory: '.'"
	# the parameters a model header's configuration needs count against
	# SELFLABEL_MAX_BYTES / 4 before any is read: 64K allows 16384, the
	# test model (base 4) fits, a header of base 32 (about 470000) does not
	run -0 env SELFLABEL_MAX_BYTES=64K unet-predict -m m.model -o p.slab img_a.slab
	{ head -c 12 m.model; u8 1 0 0 0 32 0 0 0 2 0 0 0 0 0 0 0 0 0 0 0; } > b32.model
	run --separate-stderr env SELFLABEL_MAX_BYTES=64K unet-predict -m b32.model -o q.slab img_a.slab
	failed_cleanly "parameters, more than the limit of 16384 (SELFLABEL_MAX_BYTES/4): 'b32.model'"
	[ ! -e q.slab ]
}

@test "unet-predict: a model whose channels, base or depth is 0 gets one error line" {
	for f in 12 16 20; do
		{ head -c "$f" m.model; printf '\0\0\0\0'; tail -c +$((f + 5)) m.model; } > z.model
		[ "$(wc -c < z.model)" = "$(wc -c < m.model)" ]
		run --separate-stderr unet-predict -m z.model -o p.slab img_a.slab
		failed_cleanly "bad model configuration"
		[[ "$stderr" == *"unsupported"*": 'z.model'" ]]
	done
}

@test "unet-predict reads a model's parameters as they arrive: a header claiming 5.8 GB costs nothing" {
	# found by fuzzing: 32 bytes announcing the largest 3-D network (64
	# channels, base 256, depth 4: 1445014529 parameters) made the reader
	# allocate 5.8 GB before reading; under 300 MB that was "out of memory"
	le32() { printf '\\x%02x\\x%02x\\x%02x\\x%02x' $(($1 & 255)) $(($1 >> 8 & 255)) $(($1 >> 16 & 255)) $(($1 >> 24 & 255)); }
	# shellcheck disable=SC2059
	printf "SLUNET3D$(le32 1)$(le32 64)$(le32 256)$(le32 4)$(le32 1445014529)$(le32 0)" > huge.model
	[ "$(wc -c < huge.model)" -eq 32 ]
	# (SELFLABEL_MAX_BYTES raised so the parameter limit lets the header through)
	run --separate-stderr mem_limited 300000 env SELFLABEL_MAX_BYTES=8G timeout 20 unet-predict -m huge.model -o p.slab img_a.slab
	[ "$status" -eq 1 ]
	[ "$stderr" = "unet-predict: truncated model: 32 of 5780058148 bytes: 'huge.model'" ]
	[ ! -e p.slab ]
}

@test "unet-predict refuses inputs that overflow the network instead of writing NaN" {
	# 3e38 everywhere (f32 e6 b1 61 7f), finite, far beyond any standardised image
	{ slab_header big "16 16 2" 1 f32; for i in $(seq 512); do printf '\xe6\xb1\x61\x7f'; done; } > big.slab
	unet-train -q -e 1 -b 8 -o full.model tr.list   # the paper's network: its sums overflow
	run --separate-stderr unet-predict -m full.model -o p.slab big.slab
	failed_cleanly "not finite"
	[ ! -e p.slab ]
}

# ---- models of C >= 3 classes ----------------------------------------------

# argmax_of FILE K: the awk argmax (ties to the lower class) of the K-channel
# f32 probabilities of FILE, one label a line in slab order.
argmax_of() {
	local nx ny nz
	read -r nx ny nz < <(header "$1" DIMS)
	slab_f32 "$1" | awk -v m=$((nx * ny)) -v nz="$nz" -v k="$2" '{ v[NR - 1] = $1 + 0 }
		END { for (z = 0; z < nz; z++) for (i = 0; i < m; i++) {
			b = 0
			for (c = 1; c < k; c++) if (v[(z * k + c) * m + i] > v[(z * k + b) * m + i]) b = c
			print b } }'
}

@test "unet-predict with a 3-class model: 3 channels, CLASSES 3, the header kept, sums 1" {
	mkdir c3 && cd c3
	mkclasses
	tiny_train -e 2 -o m.model tr.list
	{ slab_header casex "16 16 6" 1 u8 "SPACING 0.5 1 2" "TRANSFORM 0.5 0 0 -3 0 1 0 4 0 0 2 5" \
		"SLICES g . . 1 2 3"; tail -c 1536 img_a.slab; } > x.slab
	unet-predict -m m.model -o p.slab x.slab
	[ "$(header p.slab NAME)" = casex ]
	[ "$(header p.slab DIMS)" = "16 16 6" ]
	[ "$(header p.slab CHANNELS)" = 3 ]
	[ "$(header p.slab TYPE)" = f32 ]
	[ "$(header p.slab SPACING)" = "0.5 1 2" ]
	[ "$(header p.slab TRANSFORM)" = "0.5 0 0 -3 0 1 0 4 0 0 2 5" ]
	[ "$(header p.slab SLICES)" = "g . . 1 2 3" ]
	[ "$(header p.slab CLASSES)" = 3 ]
	[ "$(slab_f32 p.slab | wc -l)" -eq 4608 ]
	# the channels of one z-slice together: per pixel the three sum to 1
	slab_f32 p.slab | awk '{ v[NR - 1] = $1 } END { for (z = 0; z < 6; z++) for (i = 0; i < 256; i++) {
		s = v[(z * 3) * 256 + i] + v[(z * 3 + 1) * 256 + i] + v[(z * 3 + 2) * 256 + i]
		d = s - 1; if (d < 0) d = -d; if (d > m) m = d }
		printf "largest |sum - 1|: %g\n", m; exit !(m < 1e-6) }'
	# -z: the other slices hold 0 in every channel, the range the full prediction
	unet-predict -m m.model -z 2:4 -o z.slab x.slab
	[ "$(slab_f32 z.slab | sed -n '1537,3072p')" = "$(slab_f32 p.slab | sed -n '1537,3072p')" ]
	[ "$(slab_f32 z.slab | sed -n '1,1536p;3073,4608p' | awk '{ print $1 + 0 }' | sort -u)" = 0 ]
}

@test "unet-predict --argmax: the argmax of the probabilities (CLASSES 3); binary: p >= 0.5" {
	mkdir c3 && cd c3
	mkclasses
	unet-train -q --filters 8 --depth 2 -b 4 -e 15 --optimizer adam --lr 0.01 -o m.model tr.list
	unet-predict -m m.model -o p.slab img_v.slab
	unet-predict -m m.model --argmax -o l.slab img_v.slab
	[ "$(header l.slab TYPE)" = u8 ]
	[ "$(header l.slab CHANNELS)" = 1 ]
	[ "$(header l.slab CLASSES)" = 3 ]
	[ "$(header l.slab NAME)" = casev ]
	diff <(argmax_of p.slab 3) <(slab_u8 l.slab | awk '{ print $1 + 0 }')
	# every class is there, and most pixels are the mask's
	[ "$(slab_u8 l.slab | awk '{ print $1 + 0 }' | sort -u | tr '\n' ' ')" = "0 1 2 " ]
	paste <(slab_u8 l.slab) <(slab_u8 msk_v.slab) | awk '$1 == $2 { a++ }
		END { printf "%d of %d pixels agree\n", a, NR; exit !(a > 0.9 * NR) }'
	# --flip averages the probabilities; --argmax follows them
	unet-predict -m m.model --flip -o pf.slab img_v.slab
	unet-predict -m m.model --flip --argmax -o lf.slab img_v.slab
	diff <(argmax_of pf.slab 3) <(slab_u8 lf.slab | awk '{ print $1 + 0 }')
	cd ..
	# a binary model: 1 where p >= 0.5, no CLASSES key
	unet-predict -m m.model -o p.slab img_a.slab
	unet-predict -m m.model --argmax -o l.slab img_a.slab
	[ "$(header l.slab TYPE)" = u8 ]
	[ -z "$(header l.slab CLASSES)" ]
	diff <(slab_f32 p.slab | awk '{ print ($1 >= 0.5) ? 1 : 0 }') <(slab_u8 l.slab | awk '{ print $1 + 0 }')
}

@test "unet-predict --flip with a 3-class model is the mean of four runs on flipped inputs" {
	mkdir c3 && cd c3
	mkclasses
	tiny_train -e 2 -o m.model tr.list
	cp img_a.slab i0.slab
	flip_u8 img_a.slab i1.slab 1 0
	flip_u8 img_a.slab i2.slab 0 1
	flip_u8 img_a.slab i3.slab 1 1
	for k in 0 1 2 3; do unet-predict -m m.model -o p$k.slab i$k.slab; done
	unet-predict -m m.model --flip -o f.slab img_a.slab
	# the planes of 6 slices x 3 channels flip alike
	mean_of_flips 16 16 18 > want.txt
	slab_f32 f.slab > got.txt
	[ "$(wc -l < got.txt)" -eq 4608 ]
	run awk '{ getline w < "want.txt"; d = $1 - w; if (d < 0) d = -d; if (d > m) m = d }
		END { printf "%.3g\n", m }' got.txt
	echo "largest difference from the mean of four runs: $output"
	awk -v m="$output" 'BEGIN { exit !(m < 1e-6) }'
	run ! cmp -s f.slab p0.slab
}
