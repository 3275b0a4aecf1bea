#!/usr/bin/env bats
# slab-permute and prob-mean (multi-plane training and fusion): usage, bad
# input, stdin, known answers (axes, spacing, transform, padding, round trips).

load helpers
bats_require_minimum_version 1.5.0

setup() {
	cd "$BATS_TEST_TMPDIR"
	# 2x3x4, value x + 3y + 9z, spacing 1 2 3
	mkslab a.slab k "2 3 4" "1 2 3" u8 'x + 3 * y + 9 * z'
	mkslab a.slab k2 "2 3 4" "1 2 3" u8 '(x + y + z) % 2'
	mkslab p.slab k "2 1 2" "1 1 1" f32 'x == 0 ? 0.25 : 1'
	mkslab q.slab k "2 1 2" "1 1 1" f32 'x == 0 ? 0.75 : 0'
	# the same slabs with the header the tools write (a TRANSFORM line)
	slab-permute -p xyz a.slab > a0.slab
}


@test "slab-permute and prob-mean print usage; bad options and operands exit 2" {
	run slab-permute -h
	[ "$status" -eq 0 ]
	[[ "$output" == usage:\ slab-permute* ]]
	run prob-mean -h
	[ "$status" -eq 0 ]
	[[ "$output" == usage:\ prob-mean* ]]
	for bad in "-p xxy" "-p xy" "-p xyz -d 4" "-p xyz -d 4,x" "-p xyz -d 1,2 -r a.slab" "" "--bogus"; do
		run --separate-stderr slab-permute $bad a.slab
		[ "$status" -eq 2 ]
		[ -z "$output" ]
	done
	run --separate-stderr prob-mean p.slab
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	run --separate-stderr prob-mean - -
	[ "$status" -eq 2 ]
	[ -z "$output" ]
}

@test "slab-permute and prob-mean fail on missing, truncated or malformed input, writing nothing" {
	run --separate-stderr slab-permute -p xzy -o out.slab nosuch.slab
	[ "$status" -eq 1 ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "$stderr" == *"'nosuch.slab'"* ]]
	head -c -1 a.slab > short.slab
	run --separate-stderr slab-permute -p xzy short.slab
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	run --separate-stderr slab-permute -p xzy -o out.slab short.slab
	[ "$status" -eq 1 ]
	[ -z "$(ls out.slab* 2>/dev/null)" ]
	printf 'SLAB 1\nDIMS 2 2\nCHANNELS 1\nTYPE u8\nSPACING 1 1 1\nENDHDR\n' > bad.slab
	run --separate-stderr slab-permute -p xzy bad.slab
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	# -r with fewer slabs than the input
	mkslab one.slab k "2 3 4" "1 2 3" u8 0
	run --separate-stderr slab-permute -p xyz -r one.slab a.slab
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[[ "$stderr" == *"fewer slabs"* ]]
	# prob-mean: a u8 input, other dims, a missing file, other slab counts
	run --separate-stderr prob-mean p.slab a.slab
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[[ "$stderr" == *"not a probability slab (f32)"* ]]
	mkslab r.slab k "1 2 2" "1 1 1" f32 0
	run --separate-stderr prob-mean -o m.slab p.slab r.slab
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"dims differ"* ]]
	[ -z "$(ls m.slab* 2>/dev/null)" ]
	run --separate-stderr prob-mean p.slab nosuch.slab
	[ "$status" -eq 1 ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	cat p.slab p.slab > pp.slab
	run --separate-stderr prob-mean p.slab pp.slab
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[[ "$stderr" == *"different numbers of slabs"* ]]
	# an output that cannot be written: one line naming it, nothing left
	run --separate-stderr slab-permute -p xzy -o nodir/out.slab a.slab
	[ "$status" -eq 1 ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "$stderr" == *"nodir/out.slab"* ]]
	run --separate-stderr prob-mean -o nodir/m.slab p.slab q.slab
	[ "$status" -eq 1 ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "$stderr" == *"nodir/m.slab"* ]]
	[ ! -e nodir ]
}

@test "slab-permute moves the axes, the spacing and the transform" {
	slab-permute -p xzy -o b.slab a.slab
	[ "$(header b.slab DIMS)" = "2 4 3" ]
	[ "$(header b.slab SPACING)" = "1 3 2" ]
	[ "$(header b.slab TRANSFORM)" = "1 0 0 0 0 0 2 0 0 3 0 0" ]
	# new (i, j, k) = old (x = i, z = j, y = k): value i + 3k + 9j, of the first slab
	want=$(awk 'BEGIN { for (k = 0; k < 3; k++) for (j = 0; j < 4; j++) for (i = 0; i < 2; i++)
		printf "%s%d", (k || j || i ? " " : ""), i + 3 * k + 9 * j; print "" }')
	[ "$(head -c $(($(stat -c %s b.slab) / 2)) b.slab | tail -c 24 | od -An -v -tu1 | tr -s ' \n' ' ' | sed 's/^ //; s/ $//')" = "$want" ]
	[ "$(grep -ao 'SLAB 1' b.slab | wc -l)" -eq 2 ]
	# a translation and SLICES: zyx swaps x and z, SLICES goes (z is another axis)
	printf 'SLAB 1\nNAME t\nDIMS 2 1 1\nCHANNELS 1\nTYPE u8\nSPACING 1 1 1\nTRANSFORM 1 0 0 5 0 2 0 6 0 0 3 7\nSLICES g\nENDHDR\n\x01\x00' > t.slab
	slab-permute -p zyx t.slab > u.slab
	[ "$(header u.slab TRANSFORM)" = "0 0 1 5 0 2 0 6 3 0 0 7" ]
	[ -z "$(header u.slab SLICES)" ]
	slab-permute -p yxz t.slab > v.slab
	[ "$(header v.slab SLICES)" = g ]
	# stdin is the same stream
	slab-permute -p xzy < a.slab | cmp - b.slab
}

@test "slab-permute round trips: transpositions, a 3-cycle, padding undone by -r" {
	for o in xzy zyx yxz; do
		slab-permute -p $o a.slab | slab-permute -p $o | cmp - a0.slab
	done
	slab-permute -p yzx a.slab | slab-permute -p yzx | slab-permute -p yzx | cmp - a0.slab
	# pad to 4x8 in-plane: u8 pads with 255; -r the original crops back
	slab-permute -p xzy -d 4,8 -o big.slab a.slab
	[ "$(header big.slab DIMS)" = "4 8 3" ]
	# the last slice of the second slab: (x + y + z) % 2 with y = 2, then rows of padding
	[ "$(samples big.slab 32 | cut -d" " -f 1-8)" = "0 1 255 255 1 0 255 255" ]
	[ "$(samples big.slab 32 | cut -d' ' -f 17-24)" = "255 255 255 255 255 255 255 255" ]
	slab-permute -p xzy -r a.slab big.slab | cmp - a0.slab
	# f32 pads with 0; -d X,Y,Z sets z too
	slab-permute -p xyz -d 2,1,3 p.slab > p3.slab
	[ "$(header p3.slab DIMS)" = "2 1 3" ]
	[ "$(samples p3.slab 8)" = "0 0 0 0 0 0 0 0" ]
}

@test "prob-mean averages voxel by voxel" {
	prob-mean -o m.slab p.slab q.slab
	# (0.25 + 0.75) / 2 = 0.5, (1 + 0) / 2 = 0.5 everywhere
	mkslab h0.slab k "2 1 2" "1 1 1" f32 0.5
	slab-permute -p xyz h0.slab > h.slab
	cmp m.slab h.slab
	prob-mean p.slab - < q.slab | cmp - h.slab
	# three inputs: (0.25 + 0.75 + 0.5) / 3 = 0.5; (1 + 0 + 0.5) / 3 = 0.5
	prob-mean p.slab q.slab h.slab | cmp - h.slab
}

@test "slab-permute keeps the C channels of a voxel together; pads probabilities as background" {
	load classes_helpers
	# 2x1x2, 3 channels; sample (x, c, z) = (x + 2c + 6z) / 16
	probs m "2 1 2" 3 "CLASSES 3" 0 0.0625 0.125 0.1875 0.25 0.3125 \
		0.375 0.4375 0.5 0.5625 0.625 0.6875 > c.slab
	slab-permute -p zyx c.slab > z.slab
	[ "$(header z.slab CHANNELS)" = 3 ]
	[ "$(header z.slab CLASSES)" = 3 ]
	[ "$(samples z.slab f4 | tr '\n' ' ')" = "0 0.375 0.125 0.5 0.25 0.625 0.0625 0.4375 0.1875 0.5625 0.3125 0.6875 " ]
	slab-permute -p zyx z.slab | cmp - <(slab-permute -p xyz c.slab)
	# padding x to 3: channel 0 is 1, the others 0 (certain background)
	slab-permute -p xyz -d 3,1 c.slab > d.slab
	[ "$(samples d.slab f4 | tr '\n' ' ')" = "0 0.0625 1 0.125 0.1875 0 0.25 0.3125 0 0.375 0.4375 1 0.5 0.5625 0 0.625 0.6875 0 " ]
	slab-permute -p xyz -r c.slab d.slab | cmp - <(slab-permute -p xyz c.slab)
	# one channel, or several without CLASSES: 0 as before
	probs m "2 1 1" 3 "" 0.5 0.5 0.5 0.5 0.5 0.5 > n.slab
	slab-permute -p xyz -d 3,1 n.slab > nd.slab
	[ "$(samples nd.slab f4 | tr '\n' ' ')" = "0.5 0.5 0 0.5 0.5 0 0.5 0.5 0 " ]
}

@test "prob-mean averages C-channel probabilities channel by channel; the classes must agree" {
	load classes_helpers
	{ slab_header m "2 1 1" 3 f32 "CLASSES 3" "CLASS_NAMES bg a b"
	  f32 1 0.5 0 0.25 0 0.25; } > a3.slab
	{ slab_header m "2 1 1" 3 f32 "CLASSES 3" "CLASS_NAMES bg a b"
	  f32 0 0.5 1 0.25 0 0.25; } > b3.slab
	prob-mean -o m.slab a3.slab b3.slab
	[ "$(samples m.slab f4 | tr '\n' ' ')" = "0.5 0.5 0.5 0.25 0 0.25 " ]
	[ "$(header m.slab CLASSES)" = 3 ]
	[ "$(header m.slab CLASS_NAMES)" = "bg a b" ]
	fail() {
		run --separate-stderr prob-mean -o out.slab "$@"
		echo "$*: $status $stderr"
		[ "$status" -eq 1 ]
		[ -z "$output" ]
		[ ! -e out.slab ]
		[ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ]
	}
	# other names; no CLASSES against CLASSES 3
	{ slab_header m "2 1 1" 3 f32 "CLASSES 3" "CLASS_NAMES bg x y"; f32 1 1 0 0 0 0; } > x3.slab
	fail a3.slab x3.slab
	[ "$stderr" = "prob-mean: x3.slab: classes differ from a3.slab's (3 named bg a b): '3 named bg x y' in 'm'" ]
	probs m "2 1 1" 3 "" 1 1 0 0 0 0 > n3.slab
	fail n3.slab a3.slab
	[ "$stderr" = "prob-mean: n3.slab: a probability slab has one channel, or one per class with a CLASSES key: '3' in 'm'" ]
	{ slab_header m "2 1 1" 1 f32; f32 1 0; } > b1.slab
	{ slab_header m "2 1 1" 1 f32 "CLASSES 2" "CLASS_NAMES bg a"; f32 1 0; } > b2.slab
	fail b1.slab b2.slab
	[ "$stderr" = "prob-mean: b2.slab: classes differ from b1.slab's (2): '2 named bg a' in 'm'" ]
	# channels not one per class
	probs m "2 1 1" 3 "CLASSES 4" 1 1 0 0 0 0 > c4.slab
	fail c4.slab c4.slab
	[ "$stderr" = "prob-mean: c4.slab: channels differ from CLASSES 4 (want one per class): '3' in 'm'" ]
	probs m "2 1 1" 3 "CLASSES 1" 1 1 0 0 0 0 > c1.slab
	fail c1.slab c1.slab
	[[ "$stderr" == *"bad CLASSES (a whole number 2..255): '1' in 'm'" ]]
}
