#!/usr/bin/env bats
# merge-pseudo: label volume + pseudo-labelled slices -> next label volume.

bats_require_minimum_version 1.5.0
load helpers

setup() {
	cd "$BATS_TEST_TMPDIR"
	# 2x1x4 labels: slice 1 is ground truth (1 0), the rest unlabelled
	mkslab a "2 1 4" u8 '\xff\xff\x01\x00\xff\xff\xff\xff' > cur.slab
	# pseudo-labels for slices 0 and 2, and a (conflicting) slice 1
	mkslab a "2 1 4" u8 '\x00\x01\x00\x00\x01\x01\xff\xff' > new.slab
}

@test "merge-pseudo -h prints usage on stdout and exits 0" {
	run merge-pseudo -h
	[ "$status" -eq 0 ]
	[[ "$output" == usage:* ]]
}

@test "merge-pseudo rejects a bad option or missing arguments with exit 2" {
	for args in "-x -i 1 cur.slab new.slab" "cur.slab new.slab" "-i 1 cur.slab" \
	            "-i -1 cur.slab new.slab" "-i 1000000 cur.slab new.slab" "-i x cur.slab new.slab" \
	            "-i 1 -k 2-1 cur.slab new.slab" "-i 1 - -" "-i 1 cur.slab new.slab new.slab"; do
		# shellcheck disable=SC2086
		run --separate-stderr merge-pseudo $args
		echo "$args: $status $stderr"
		[ "$status" -eq 2 ]
		[ -z "$output" ]
		[ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ]
		[[ "$stderr" == "merge-pseudo: "* ]]
	done
}

@test "merge-pseudo merges labelled slices and never overwrites ground truth" {
	merge-pseudo -i 1 -o out.slab cur.slab new.slab
	[ "$(samples out.slab 8)" = "0 1 1 0 1 1 255 255" ]
	[ "$(header out.slab SLICES)" = "1 g 1 ." ]
	[ "$(header out.slab NAME)" = a ]
	[ "$(header out.slab SPACING)" = "1 1 2" ]
}

@test "merge-pseudo records each iteration and keeps ground truth across iterations" {
	merge-pseudo -i 1 cur.slab new.slab > one.slab
	mkslab a "2 1 4" u8 '\x01\x01\x00\x00\xff\xff\x00\x01' > new2.slab
	merge-pseudo -i 2 one.slab new2.slab > two.slab
	# slice 0 is replaced by iteration 2; slice 1 stays ground truth
	[ "$(samples two.slab 8)" = "1 1 1 0 1 1 0 1" ]
	[ "$(header two.slab SLICES)" = "2 g 1 2" ]
}

@test "merge-pseudo -k takes exactly the listed slices, even all-unlabelled ones" {
	merge-pseudo -i 3 -k 2-3 cur.slab new.slab > out.slab
	[ "$(samples out.slab 8)" = "255 255 1 0 1 1 255 255" ]
	[ "$(header out.slab SLICES)" = ". g 3 3" ]
}

@test "merge-pseudo trusts an existing SLICES key" {
	mkslab a "2 1 4" u8 '\xff\xff\x01\x00\x00\x00\xff\xff' "SLICES . g 4 ." > c2.slab
	mkslab a "2 1 4" u8 '\xff\xff\xff\xff\xff\xff\x01\x00' > n2.slab
	merge-pseudo -i 5 c2.slab n2.slab > out.slab
	[ "$(samples out.slab 8)" = "255 255 1 0 0 0 1 0" ]
	[ "$(header out.slab SLICES)" = ". g 4 5" ]
}

@test "merge-pseudo reads SLICES tokens apart by spaces or tabs and writes them one space apart" {
	mkslab a "2 1 4" u8 '\xff\xff\x01\x00\x00\x00\xff\xff' $'SLICES  .\tg  4\t. ' > c2.slab
	mkslab a "2 1 4" u8 '\xff\xff\xff\xff\xff\xff\x01\x00' > n2.slab
	merge-pseudo -i 5 c2.slab n2.slab > out.slab
	[ "$(header out.slab SLICES)" = ". g 4 5" ]
	grep -aqx 'SLICES \. g 4 5' out.slab
	for bad in "g . 4 x" "g . 4 +5" "g . 4 1000000" "g . 4 G" "g . 4 g1" "g . 4" "g . 4 . ."; do
		mkslab a "2 1 4" u8 '\xff\xff\x01\x00\x00\x00\xff\xff' "SLICES $bad" > c3.slab
		run --separate-stderr merge-pseudo -i 5 -o out3.slab c3.slab n2.slab
		echo "$bad: $status $stderr"
		[ "$status" -eq 1 ]
		[[ "$stderr" == "merge-pseudo: c3.slab: "*"SLICES"*" in 'a'" ]]
		[ ! -e out3.slab ]
	done
}

@test "merge-pseudo reads CURRENT or NEW from stdin" {
	merge-pseudo -i 1 cur.slab new.slab > a.slab
	merge-pseudo -i 1 - new.slab < cur.slab > b.slab
	merge-pseudo -i 1 cur.slab - < new.slab > c.slab
	cmp a.slab b.slab
	cmp a.slab c.slab
}

@test "merge-pseudo matches streams of several slabs by order and name" {
	mkslab b "1 1 2" u8 '\x01\xff' > cb.slab
	mkslab b "1 1 2" u8 '\xff\x00' > nb.slab
	cat cur.slab cb.slab > cs.slab
	cat new.slab nb.slab > ns.slab
	merge-pseudo -i 1 cs.slab ns.slab > out.slab
	[ "$(grep -ac '^ENDHDR$' out.slab)" -eq 2 ]
	[ "$(samples out.slab 2)" = "1 0" ]
	[ "$(grep -a '^SLICES' out.slab | tail -n 1)" = "SLICES g 1" ]
	run --separate-stderr merge-pseudo -i 1 cs.slab new.slab
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	run --separate-stderr merge-pseudo -i 1 cs.slab ns.slab
	[ "$status" -eq 0 ]
	cat nb.slab new.slab > swapped.slab
	run --separate-stderr merge-pseudo -i 1 -o out2.slab cs.slab swapped.slab
	[ "$status" -eq 1 ]
	[ "$stderr" = "merge-pseudo: swapped.slab: names differ: 'a' and 'b'" ]
	[ ! -e out2.slab ]
}

@test "merge-pseudo fails cleanly on a missing file" {
	run --separate-stderr merge-pseudo -i 1 -o out.slab cur.slab nothere.slab
	[ "$status" -eq 1 ]
	[[ "$stderr" == merge-pseudo:*nothere.slab* ]]
	[ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ]
	[ ! -e out.slab ]
}

@test "merge-pseudo fails cleanly on truncated input" {
	head -c -1 new.slab > t.slab
	run --separate-stderr merge-pseudo -i 1 cur.slab t.slab
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ]
}

@test "merge-pseudo rejects malformed input, dims or values" {
	printf 'SLAB 2\n' > bad.slab
	run --separate-stderr merge-pseudo -i 1 bad.slab new.slab
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ]
	mkslab a "2 1 3" u8 '\x00\x00\x00\x00\x00\x00' > small.slab
	run --separate-stderr merge-pseudo -i 1 -o out.slab cur.slab small.slab
	[ "$status" -eq 1 ]
	[ "$stderr" = "merge-pseudo: small.slab: dims differ from cur.slab: '2x1x3' in 'a'" ]
	[ ! -e out.slab ]
	mkslab a "2 1 4" u8 '\x00\x02\xff\xff\xff\xff\xff\xff' > two.slab
	run --separate-stderr merge-pseudo -i 1 cur.slab two.slab
	[ "$status" -eq 1 ]
	[ "$stderr" = "merge-pseudo: two.slab: label 2 at slice 0 outside 0..1 (or 255) in 'a'" ]
	mkslab a "2 1 4" f32 "$F0$F0$F0$F0$F0$F0$F0$F0" > f.slab
	run --separate-stderr merge-pseudo -i 1 cur.slab f.slab
	[ "$status" -eq 1 ]
	mkslab a "2 1 4" u8 '\xff\xff\x01\x00\xff\xff\xff\xff' "SLICES . g ." > short.slab
	run --separate-stderr merge-pseudo -i 1 short.slab new.slab
	[ "$status" -eq 1 ]
	[ "$stderr" = "merge-pseudo: short.slab: SLICES has 3 tokens, want 4 in 'a'" ]
	mkslab a "2 1 4" u8 '\xff\xff\x01\x00\xff\xff\xff\xff' "SLICES . g x ." > tok.slab
	run --separate-stderr merge-pseudo -i 1 tok.slab new.slab
	[ "$status" -eq 1 ]
	[ -z "$output" ]
}

@test "merge-pseudo on 3-class label maps: values copied, ground truth kept, CLASSES kept" {
	load classes_helpers
	# 2x1x4; slice 1 ground truth (2 1), new labels 0..2 and 255 on slices 0..2
	{ slab_header a "2 1 4" 1 u8 "CLASSES 3" "CLASS_NAMES bg ant post"
	  u8 255 255 2 1 255 255 255 255; } > c3.slab
	{ slab_header a "2 1 4" 1 u8 "CLASSES 3" "CLASS_NAMES bg ant post"
	  u8 2 255 0 0 1 2 255 255; } > n3.slab
	merge-pseudo -i 4 -o out.slab c3.slab n3.slab
	[ "$(samples out.slab 8)" = "2 255 2 1 1 2 255 255" ]
	[ "$(header out.slab SLICES)" = "4 g 4 ." ]
	[ "$(header out.slab CLASSES)" = 3 ]
	[ "$(header out.slab CLASS_NAMES)" = "bg ant post" ]
	# -k takes an all-255 slice too
	merge-pseudo -i 5 -k 3 out.slab n3.slab > out2.slab
	[ "$(header out2.slab SLICES)" = "4 g 4 5" ]
}

@test "merge-pseudo refuses label maps of other classes or labels >= C, in one line" {
	load classes_helpers
	{ slab_header a "2 1 4" 1 u8 "CLASSES 3"; u8 255 255 2 1 255 255 255 255; } > c3.slab
	fail() {
		run --separate-stderr merge-pseudo -i 1 -o out.slab "$@"
		echo "$*: $status $stderr"
		[ "$status" -eq 1 ]
		[ -z "$output" ]
		[ ! -e out.slab ]
		[ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ]
	}
	# a binary NEW to a 3-class CURRENT, and the other way round
	fail c3.slab new.slab
	[ "$stderr" = "merge-pseudo: new.slab: classes differ from c3.slab's (3): '2' in 'a'" ]
	fail cur.slab c3.slab
	[ "$stderr" = "merge-pseudo: c3.slab: classes differ from cur.slab's (2): '3' in 'a'" ]
	# other names
	{ slab_header a "2 1 4" 1 u8 "CLASSES 3" "CLASS_NAMES bg x y"; u8 0 1 2 0 0 0 0 0; } > nn.slab
	fail c3.slab nn.slab
	[ "$stderr" = "merge-pseudo: nn.slab: classes differ from c3.slab's (3): '3 named bg x y' in 'a'" ]
	# a label >= C in NEW and in CURRENT
	{ slab_header a "2 1 4" 1 u8 "CLASSES 3"; u8 0 3 255 255 255 255 255 255; } > n3.slab
	fail c3.slab n3.slab
	[ "$stderr" = "merge-pseudo: n3.slab: label 3 at slice 0 outside 0..2 (or 255) in 'a'" ]
	fail n3.slab c3.slab
	[[ "$stderr" == *"n3.slab: label 3 at slice 0 outside 0..2 (or 255) in 'a'" ]]
	# a bad CLASSES value
	{ slab_header a "2 1 4" 1 u8 "CLASSES 1"; u8 0 0 255 255 255 255 255 255; } > c1.slab
	fail c3.slab c1.slab
	[[ "$stderr" == *"bad CLASSES (a whole number 2..255): '1' in 'a'" ]]
}
