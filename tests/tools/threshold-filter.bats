#!/usr/bin/env bats
# threshold-filter: f32 probabilities -> u8 masks, binary and band modes.

bats_require_minimum_version 1.5.0
load helpers

setup() {
	cd "$BATS_TEST_TMPDIR"
	# 2x1x3: slice 0 = 0.875 0.75, slice 1 = 0.25 0.125, slice 2 = 1 0
	mkslab a "2 1 3" f32 "$F875$F75$F25$F125$F1$F0" "EXTRA kept" > p.slab
}

@test "threshold-filter -h prints usage on stdout and exits 0" {
	run threshold-filter -h
	[ "$status" -eq 0 ]
	[[ "$output" == usage:* ]]
}

@test "threshold-filter rejects a bad option and bad values with exit 2" {
	run --separate-stderr threshold-filter -m soft p.slab
	[ "$status" -eq 2 ]
	[ "$stderr" = "threshold-filter: -m/--mode: want binary or band: 'soft'" ]
	for args in "-x" "-t 1.5" "-t" "-m band -t 0.3" "-k 1-x" "-k 3-1" "-k 1," "-r 2:2" \
	            "-k 1 -r 0:1" "-c 2" "-t 0.5 p.slab p.slab"; do
		# shellcheck disable=SC2086
		run --separate-stderr threshold-filter $args p.slab
		echo "$args: $status $stderr"
		[ "$status" -eq 2 ]
		[ -z "$output" ]
		[ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ]
		[[ "$stderr" == "threshold-filter: "* ]]
	done
}

@test "threshold-filter binary mode gives the paper's labels" {
	threshold-filter -t 0.8 -o m.slab p.slab
	[ "$(samples m.slab 6)" = "1 0 0 0 1 0" ]
	[ "$(header m.slab TYPE)" = u8 ]
	[ "$(header m.slab NAME)" = a ]
	[ "$(header m.slab EXTRA)" = kept ]
	[ "$(header m.slab SPACING)" = "1 1 2" ]
	# the default threshold is 0.8; 0.75 is >= 0.7
	threshold-filter p.slab > d.slab
	cmp m.slab d.slab
	threshold-filter -t 0.7 p.slab > l.slab
	[ "$(samples l.slab 6)" = "1 1 0 0 1 0" ]
}

@test "threshold-filter band mode leaves uncertain pixels unlabelled" {
	threshold-filter -m band -t 0.8 p.slab > m.slab
	[ "$(samples m.slab 6)" = "1 255 255 0 1 0" ]
	threshold-filter -m band -t 0.75 p.slab > m.slab
	[ "$(samples m.slab 6)" = "1 1 0 0 1 0" ]
}

@test "threshold-filter filters only the chosen slices" {
	threshold-filter -k 0,2 p.slab > m.slab
	[ "$(samples m.slab 6)" = "1 0 255 255 1 0" ]
	threshold-filter -k 1-2 -m band p.slab > m.slab
	[ "$(samples m.slab 6)" = "255 255 255 0 1 0" ]
	threshold-filter -r 0:2 p.slab > m.slab
	[ "$(samples m.slab 6)" = "1 0 0 0 255 255" ]
	threshold-filter -r 1: p.slab > m.slab
	[ "$(samples m.slab 6)" = "255 255 0 0 1 0" ]
}

@test "threshold-filter rejects a slice beyond the volume" {
	run --separate-stderr threshold-filter -k 3 p.slab
	[ "$status" -eq 1 ]
	[ "$stderr" = "threshold-filter: slice list: slice 3 out of range 0..2: '3'" ]
	[ -z "$output" ]
	run threshold-filter -r 1:4 -o m.slab p.slab
	[ "$status" -eq 1 ]
	[ ! -e m.slab ]
}

@test "threshold-filter reads stdin when no file is given" {
	threshold-filter -t 0.7 p.slab > a.slab
	threshold-filter -t 0.7 < p.slab > b.slab
	threshold-filter -t 0.7 - < p.slab > c.slab
	cmp a.slab b.slab
	cmp a.slab c.slab
}

@test "threshold-filter handles a stream of several slabs" {
	mkslab b "1 1 1" f32 "$F5" > q.slab
	cat p.slab q.slab | threshold-filter -t 0.5 > m.slab
	[ "$(grep -ac '^ENDHDR$' m.slab)" -eq 2 ]
	[ "$(samples m.slab 1)" = 1 ]
}

@test "threshold-filter fails cleanly on a missing file" {
	run --separate-stderr threshold-filter -o m.slab nothere.slab
	[ "$status" -eq 1 ]
	[[ "$stderr" == threshold-filter:*nothere.slab* ]]
	[ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ]
	[ ! -e m.slab ]
}

@test "threshold-filter fails cleanly on truncated input" {
	head -c -3 p.slab > t.slab
	run --separate-stderr threshold-filter t.slab
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ]
	# a good slab then a truncated one: still nothing written
	cat p.slab t.slab > pt.slab
	run --separate-stderr threshold-filter -o m.slab pt.slab
	[ "$status" -eq 1 ]
	[ ! -e m.slab ]
	[ -z "$(ls | grep tmp)" ]
}

@test "threshold-filter rejects malformed and non-probability input" {
	printf 'SLAB 1\nDIMS 2 1\nENDHDR\n' > bad.slab
	run --separate-stderr threshold-filter bad.slab
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ]
	mkslab u "2 1 1" u8 '\x00\x01' > u.slab
	run --separate-stderr threshold-filter -o m.slab u.slab
	[ "$status" -eq 1 ]
	[ "$stderr" = "threshold-filter: u.slab: not a probability slab (f32): type 'u8' in 'u'" ]
	[ ! -e m.slab ]
	mkslab big "1 1 1" f32 '\x00\x00\x00\x40' > big.slab
	run --separate-stderr threshold-filter big.slab
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"probability out of [0,1]: '2'"* ]]
	[ -z "$output" ]
}

# ---- -a REF: the adaptive threshold ---------------------------------------

@test "threshold-filter -a: known answers on a hand-made slab" {
	# reference: only slice 1 is labelled, with 2 foreground pixels
	mkslab a "2 1 3" u8 '\xff\xff\x01\x01\xff\xff' > r.slab
	run --separate-stderr threshold-filter -a r.slab p.slab
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	# t: slice 0 = 0.75 (2nd largest), 1 = 0.125 -> 0.5, 2 = 0 -> 0.5
	threshold-filter -a r.slab -o m.slab p.slab
	[ "$(samples m.slab 6)" = "1 1 0 0 1 0" ]
	[ "$(header m.slab NAME)" = a ]
	[ "$(header m.slab EXTRA)" = kept ]
	threshold-filter -a r.slab -l 0:1 p.slab > m.slab
	[ "$(samples m.slab 6)" = "1 1 1 1 1 1" ]
	# clamped from below: 0.75 -> 0.9 in slice 0, 0 -> 0.9 in slice 2
	threshold-filter -a r.slab -l 0.9:0.95 p.slab > m.slab
	[ "$(samples m.slab 6)" = "0 0 0 0 1 0" ]
	# clamped from above: 0.75 -> 0.7 in slice 0 (both stay 1), and 0.8 in slice 0 keeps 0.875 only
	threshold-filter -a r.slab -l 0:0.7 p.slab > m.slab
	[ "$(samples m.slab 6)" = "1 1 1 1 1 1" ]
	threshold-filter -a r.slab -l 0.8:0.8 p.slab > m.slab
	[ "$(samples m.slab 6)" = "1 0 0 0 1 0" ]
	# n = 0: slice 1 labelled all background -> t = HI
	mkslab a "2 1 3" u8 '\xff\xff\x00\x00\xff\xff' > r0.slab
	threshold-filter -a r0.slab -l 0.1:0.8 p.slab > m.slab
	[ "$(samples m.slab 6)" = "1 0 0 0 1 0" ]
	# ties: slices 0 and 2 labelled, slice 1 is as near to both: the lower (0, n = 1) wins
	mkslab a "2 1 3" u8 '\x01\x00\xff\xff\x01\x01' > rt.slab
	threshold-filter -a rt.slab -l 0:1 -k 1 p.slab > m.slab
	[ "$(samples m.slab 6)" = "255 255 1 0 255 255" ]
	# band: p >= t -> 1, p <= 1 - THETA -> 0, else 255
	# slice 1: t = 0.3; 0.25 is between 0.2 and 0.3, 0.125 <= 0.2
	threshold-filter -a r.slab -m band -t 0.8 -l 0.3:0.99 p.slab > m.slab
	[ "$(samples m.slab 6)" = "1 1 255 0 1 0" ]
	threshold-filter -a r.slab -m band -t 0.9 p.slab > m.slab
	[ "$(samples m.slab 6)" = "1 1 255 255 1 0" ]
	threshold-filter -a r.slab -m band -t 0.8 -l 0.25:0.99 p.slab > m.slab
	[ "$(samples m.slab 6)" = "1 1 1 0 1 0" ]
}

@test "threshold-filter -a -s: n no larger than the slice's rounded probability sum" {
	# reference: slice 1 labelled, n = 2; sums: slice 0 1.625 -> 2, slice 1
	# 0.375 -> 0 (t = HI), slice 2 1 -> 1
	mkslab a "2 1 3" u8 '\xff\xff\x01\x01\xff\xff' > r.slab
	threshold-filter -a r.slab -l 0:1 p.slab > m.slab
	[ "$(samples m.slab 6)" = "1 1 1 1 1 1" ]
	threshold-filter -a r.slab -l 0:1 -s -v p.slab > m.slab 2> err.txt
	[ "$(samples m.slab 6)" = "1 1 0 0 1 0" ]
	[ "$(cut -d' ' -f5,6 err.txt | tr '\n' ' ')" = "n 2, n 0, n 1, " ]
	# the sum is taken after -c: 3x1x2, slice 0 = 0.875 0.25 0.875, slice 1
	# labelled 1 1 0 (n 2); confined to pixels 0-1 the sum is 1.125 -> n 1,
	# t 0.875 (the whole slice's 2.0 would keep n 2, t 0.25: 1 1 0)
	mkslab c "3 1 2" f32 "$F875$F25$F875$F0$F0$F0" > p3.slab
	mkslab c "3 1 2" u8 '\xff\xff\xff\x01\x01\x00' > r3.slab
	threshold-filter -a r3.slab -l 0:1 -s -c 0 -v -k 0 p3.slab > m.slab 2> err.txt
	[ "$(samples m.slab 6)" = "1 0 0 255 255 255" ]
	grep -q "z 0: n 1, t 0.875" err.txt
	threshold-filter -a r3.slab -l 0:1 -c 0 -k 0 p3.slab > m.slab
	[ "$(samples m.slab 6)" = "1 1 0 255 255 255" ]
	run --separate-stderr threshold-filter -s -o m.slab p.slab
	[ "$status" -eq 2 ]
	[ "$stderr" = "threshold-filter: -s goes with -a REF" ]
}

@test "threshold-filter -a: SLICES decides which reference slices are labelled" {
	# slice 0 holds labels but SLICES says '.'; slice 2 is 'g' with n = 1
	mkslab a "2 1 3" u8 '\x01\x01\xff\xff\x01\x00' "SLICES . . g" > r.slab
	threshold-filter -a r.slab -l 0:1 p.slab > m.slab
	# n = 1 everywhere: t = 0.875, 0.25, 1
	[ "$(samples m.slab 6)" = "1 0 1 0 1 0" ]
	threshold-filter -a r.slab -l 0:1 -v p.slab > v.slab 2> err.txt
	cat err.txt
	[ "$(sed -n 1p err.txt)" = "threshold-filter: a z 0: n 1, t 0.875" ]
	[ "$(sed -n 3p err.txt)" = "threshold-filter: a z 2: n 1, t 1" ]
	[ "$(wc -l < err.txt)" -eq 3 ]
	cmp m.slab v.slab
}

@test "threshold-filter -a agrees with a brute-force reference on random streams" {
	load adaptive_helpers
	local seed args
	for seed in 1 2 3 4 5 6; do
		adaptive_gen "$seed"
		for args in "0.5 0.99 0 0.8" "0.3 0.9 1 0.8" "0 1 0 0.8" "0.6 0.6 1 0.7" "0.25 0.8 1 0.95"; do
			set -- $args
			mode=binary; [ "$3" = 1 ] && mode=band
			adaptive_ref "$@" > want.txt 2>> stats.txt
			threshold-filter -a r.slab -l "$1:$2" -m "$mode" -t "$4" -o out.slab p.slab
			all_u8 out.slab > got.txt
			[ "$(wc -l < want.txt)" -eq 124 ]
			cmp want.txt got.txt || { echo "seed $seed, $args differ"; false; }
		done
		adaptive_ref 0.5 0.99 0 0.8 "1,2,3" > want.txt 2> /dev/null
		threshold-filter -a r.slab -k 1-3 p.slab > out.slab
		all_u8 out.slab > got.txt
		cmp want.txt got.txt
	done
	# the cases were all met: n = 0, clamped low, high, not clamped, ties
	awk '{ for (i = 1; i < NF; i += 2) s[$i] += $(i + 1) }
		END { for (k in s) print k, s[k] }' stats.txt | sort | tee sums.txt
	[ "$(awk '$2 > 0' sums.txt | wc -l)" -eq 5 ]
}

@test "threshold-filter -a reads the input or the reference from stdin" {
	mkslab a "2 1 3" u8 '\xff\xff\x01\x01\xff\xff' > r.slab
	threshold-filter -a r.slab p.slab > a.slab
	threshold-filter -a r.slab < p.slab > b.slab
	threshold-filter -a - p.slab < r.slab > c.slab
	cmp a.slab b.slab
	cmp a.slab c.slab
	run --separate-stderr threshold-filter -a - - < r.slab
	[ "$status" -eq 2 ]
	[ -z "$output" ]
}

@test "threshold-filter -a rejects bad -l, -l or -v without -a with exit 2" {
	mkslab a "2 1 3" u8 '\xff\xff\x01\x01\xff\xff' > r.slab
	for l in 0.9:0.5 x:1 0.5 0:2 -0.1:0.5 0.5: :0.5; do
		run --separate-stderr threshold-filter -a r.slab -l "$l" -o m.slab p.slab
		echo "$l: $status $stderr"
		[ "$status" -eq 2 ]
		[ -z "$output" ]
		[ ! -e m.slab ]
		[ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ]
	done
	run --separate-stderr threshold-filter -l 0.5:0.9 p.slab
	[ "$status" -eq 2 ]
	[ "$stderr" = "threshold-filter: -l LO:HI goes with -a REF" ]
	run --separate-stderr threshold-filter -v p.slab
	[ "$status" -eq 2 ]
	[ "$stderr" = "threshold-filter: -v goes with -a REF" ]
}

@test "threshold-filter -a fails cleanly on a bad reference" {
	mkslab a "2 1 3" u8 '\xff\xff\x01\x01\xff\xff' > r.slab
	mkslab b "1 1 1" f32 "$F5" > q.slab
	cat p.slab q.slab > pq.slab
	mkslab b "1 1 1" u8 '\x01' > rb.slab
	fail() {
		run --separate-stderr threshold-filter -a "$1" -o m.slab "${2:-p.slab}"
		echo "$1: $status $stderr"
		[ "$status" -eq 1 ]
		[ -z "$output" ]
		[ ! -e m.slab ]
		[ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ]
		[[ "$stderr" == *"$3"* ]]
	}
	fail nothere.slab p.slab "cannot open 'nothere.slab'"
	head -c -2 r.slab > t.slab
	fail t.slab p.slab "t.slab"
	fail r.slab pq.slab "fewer slabs than"
	cat r.slab rb.slab > rr.slab
	fail rr.slab p.slab "more slabs than"
	mkslab a "2 1 2" u8 '\x01\x01\x01\x01' > d.slab
	fail d.slab p.slab "reference dims 2x1x2 differ from 2x1x3"
	mkslab a "2 1 3" u8 '\xff\xff\xff\xff\xff\xff' > n.slab
	fail n.slab p.slab "no labelled slice in reference 'a'"
	mkslab a "2 1 3" u8 '\x01\x01\x00\x00\x01\x01' "SLICES . . ." > n.slab
	fail n.slab p.slab "no labelled slice in reference 'a'"
	mkslab a "2 1 3" u8 '\x01\x01\x00\x00\x01\x01' "SLICES g g" > n.slab
	fail n.slab p.slab "SLICES has 2 tokens, want 3"
	mkslab a "2 1 3" u8 '\x01\x01\x00\x00\x01\x01' "SLICES g x g" > n.slab
	fail n.slab p.slab "n.slab: bad SLICES token: 'x' in 'a'"
	mkslab a "2 1 3" u8 '\xff\xff\x07\x01\xff\xff' > v.slab
	fail v.slab p.slab "label 7 at slice 1 outside 0..1 (or 255)"
	mkslab zz "2 1 3" u8 '\xff\xff\x01\x01\xff\xff' > z.slab
	fail z.slab p.slab "reference case 'zz' paired with case 'a'"
	fail p.slab p.slab "reference must be u8 with one channel, not f32"
}

@test "threshold-filter -c: foreground confined near the neighbour's foreground (known answers)" {
	# 5x1x2, every probability 0.875; the reference labels slice 0 (foreground at x = 0)
	local p5="" i
	for i in 1 2 3 4 5 6 7 8 9 10; do p5="$p5$F875"; done
	mkslab c "5 1 2" f32 "$p5" > p5.slab
	mkslab c "5 1 2" u8 '\x01\x00\x00\x00\x00\xff\xff\xff\xff\xff' > r5.slab
	threshold-filter -n r5.slab -c 1 -k 1 p5.slab > m.slab
	[ "$(samples m.slab 10)" = "255 255 255 255 255 1 1 0 0 0" ]
	threshold-filter -n r5.slab -c 0 -k 1 p5.slab > m.slab
	[ "$(samples m.slab 10)" = "255 255 255 255 255 1 0 0 0 0" ]
	threshold-filter -n r5.slab -c 3 -k 1 p5.slab > m.slab
	[ "$(samples m.slab 10)" = "255 255 255 255 255 1 1 1 1 0" ]
	# band mode: outside the region is background (0), not unlabelled
	threshold-filter -n r5.slab -c 1 -m band -k 1 p5.slab > m.slab
	[ "$(samples m.slab 10)" = "255 255 255 255 255 1 1 0 0 0" ]
	# with -a the ranking sees only the region: n = 1, t = 0.875, both region pixels pass
	threshold-filter -a r5.slab -c 1 -k 1 p5.slab > m.slab
	[ "$(samples m.slab 10)" = "255 255 255 255 255 1 1 0 0 0" ]
	# without -c, -a alone labels all five
	threshold-filter -a r5.slab -l 0:1 -k 1 p5.slab > m.slab
	[ "$(samples m.slab 10)" = "255 255 255 255 255 1 1 1 1 1" ]
	# a neighbour with no foreground: the slice is all background
	mkslab c "5 1 2" u8 '\x00\x00\x00\x00\x00\xff\xff\xff\xff\xff' > rz.slab
	threshold-filter -n rz.slab -c 2 -k 1 p5.slab > m.slab
	[ "$(samples m.slab 10)" = "255 255 255 255 255 0 0 0 0 0" ]
	# chessboard distance in the plane: 4x4, foreground at (0,0), R = 1 -> the 2x2 corner
	local p16=""
	for i in $(seq 32); do p16="$p16$F875"; done
	mkslab c "4 4 2" f32 "$p16" > p16.slab
	mkslab c "4 4 2" u8 "\\x01$(printf '\\x00%.0s' $(seq 15))$(printf '\\xff%.0s' $(seq 16))" > r16.slab
	threshold-filter -n r16.slab -c 1 -k 1 p16.slab > m.slab
	[ "$(samples m.slab 32 | cut -d' ' -f17-)" = "1 1 0 0 1 1 0 0 0 0 0 0 0 0 0 0" ]
}

@test "threshold-filter -c and -n reject bad use with exit 2" {
	mkslab a "2 1 3" u8 '\xff\xff\x01\x01\xff\xff' > r.slab
	run threshold-filter -c 1 p.slab
	[ "$status" -eq 2 ]
	[ "$output" = "threshold-filter: -c R needs a reference: -a REF or -n REF" ]
	run threshold-filter -n r.slab p.slab
	[ "$status" -eq 2 ]
	[ "$output" = "threshold-filter: -n REF goes with -c R" ]
	run threshold-filter -n r.slab -c -1 p.slab
	[ "$status" -eq 2 ]
	run threshold-filter -n r.slab -c x p.slab
	[ "$status" -eq 2 ]
	run threshold-filter -a r.slab -n r.slab -c 1 p.slab
	[ "$status" -eq 2 ]
	run threshold-filter -n r.slab -l 0:1 -c 1 p.slab
	[ "$status" -eq 2 ]
	run threshold-filter -n missing.slab -c 1 p.slab
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
}

@test "threshold-filter -o writes into a pipe or device in place (no temp file renamed over it)" {
	mkfifo fifo
	timeout 20 cat fifo > got.slab &
	threshold-filter -o fifo p.slab
	wait
	[ -p fifo ]
	threshold-filter p.slab > want.slab
	cmp want.slab got.slab
	threshold-filter -o /dev/null p.slab
	[ -c /dev/null ]
	[ -z "$(ls -a /dev | grep '^null\.tmp')" ]
}

# ---- multi-class: C channels, CLASSES C ----

# mc: 4x1x3 probabilities of 3 classes (planes p0 p1 p2 of each slice) and
# the reference labels slice 0 only: class 1 at x = 0, class 2 at x = 2, 3.
mc() {
	probs m "4 1 3" 3 "CLASSES 3" \
		0.125 0.125 0.125 0.125  0.75 0.125 0.125 0.125  0.125 0.75 0.75 0.75 \
		0.25 0.125 0.25 0.5  0.625 0.75 0.125 0.25  0.125 0.125 0.625 0.25 \
		0.875 0.875 0.125 0.25  0.0625 0.0625 0 0  0.0625 0.0625 0.875 0.75 > mc.slab
	labels m "4 1 3" "CLASSES 3" 1 0 2 2 255 255 255 255 255 255 255 255 > mr.slab
}

@test "threshold-filter on 3 classes: binary and band per pixel (known answers)" {
	load classes_helpers
	mc
	threshold-filter -t 0.7 mc.slab > m.slab
	[ "$(samples m.slab 12)" = "1 2 2 2 0 1 0 0 0 0 2 2" ]
	[ "$(header m.slab CLASSES)" = 3 ]
	[ "$(header m.slab CHANNELS)" = 1 ]
	[ "$(header m.slab TYPE)" = u8 ]
	# band: no class at 0.7 and p0 < 0.7 -> 255
	threshold-filter -t 0.7 -m band mc.slab > m.slab
	[ "$(samples m.slab 12)" = "1 2 2 2 255 1 255 255 0 0 2 2" ]
	# below 0.5 several classes pass: the larger p wins (z1 x0: p1 .625)
	threshold-filter -t 0.25 mc.slab > m.slab
	[ "$(samples m.slab 12)" = "1 2 2 2 1 1 2 1 0 0 2 2" ]
	# -k: only slice 2
	threshold-filter -t 0.7 -k 2 mc.slab > m.slab
	[ "$(samples m.slab 12)" = "255 255 255 255 255 255 255 255 0 0 2 2" ]
	# -M: the rule on p_1 + p_2, then each foreground pixel its larger class
	# (z1 x0: .75 passes, class 1 at .625; x2: .75, class 2; x3: .5 does not)
	threshold-filter -M -t 0.7 mc.slab > m.slab
	[ "$(samples m.slab 12)" = "1 2 2 2 1 1 2 0 0 0 2 2" ]
	threshold-filter -M -t 0.7 -m band mc.slab > m.slab
	[ "$(samples m.slab 12)" = "1 2 2 2 1 1 2 255 0 0 2 2" ]
}

@test "threshold-filter on 3 classes: adaptive and confine per class (known answers)" {
	load classes_helpers
	mc
	# n_1 = 1, n_2 = 2 from slice 0; slice 2: class 1 ends (t1 = LO), class 2 goes on
	threshold-filter -t 0.7 -a mr.slab -v mc.slab > m.slab 2> trace.txt
	[ "$(samples m.slab 12)" = "1 2 2 2 0 1 2 0 0 0 2 2" ]
	grep -qx "threshold-filter: m z 2 class 1: n 1, t 0.5" trace.txt
	grep -qx "threshold-filter: m z 2 class 2: n 2, t 0.75" trace.txt
	[ "$(wc -l < trace.txt)" -eq 6 ]
	threshold-filter -t 0.7 -m band -a mr.slab mc.slab > m.slab
	[ "$(samples m.slab 12)" = "1 2 2 2 255 1 2 255 0 0 2 2" ]
	# confine R = 0: class 1 only at x = 0, class 2 only at x = 2, 3; the
	# background takes what leaves (band: z1 x1 p0 = .125 + .75 + .125 -> 0)
	threshold-filter -t 0.7 -n mr.slab -c 0 mc.slab > m.slab
	[ "$(samples m.slab 12)" = "1 0 2 2 0 0 0 0 0 0 2 2" ]
	threshold-filter -t 0.7 -m band -n mr.slab -c 0 mc.slab > m.slab
	[ "$(samples m.slab 12)" = "1 0 2 2 255 0 255 0 0 0 2 2" ]
	# names and source values travel from the probabilities to the labels
	{ slab_header m "4 1 3" 3 f32 "CLASSES 3" "CLASS_NAMES bg ant post" "CLASS_VALUES 0 1 2"
	  tail -c 144 mc.slab; } > named.slab
	threshold-filter -t 0.7 named.slab > m.slab
	[ "$(header m.slab CLASS_NAMES)" = "bg ant post" ]
	[ "$(samples m.slab 12)" = "1 2 2 2 0 1 0 0 0 0 2 2" ]
}

@test "threshold-filter: 2 channels (CLASSES 2, p0 = 1 - p1) give the one-channel labels" {
	load classes_helpers
	# p.slab's p1 = .875 .75 | .25 .125 | 1 0, and a reference for -a/-c
	probs a "2 1 3" 2 "CLASSES 2" 0.125 0.25 0.875 0.75  0.75 0.875 0.25 0.125 \
		0 1 1 0 > p2.slab
	mkslab a "2 1 3" u8 '\xff\xff\x01\x00\xff\xff' > r.slab
	for args in "-t 0.8" "-t 0.3" "-t 0.75 -m band" "-t 0.5 -m band" "-a r.slab" \
	            "-a r.slab -l 0.2:0.6 -m band" "-a r.slab -s" "-n r.slab -c 0" \
	            "-n r.slab -c 0 -m band -t 0.6" "-a r.slab -c 1 -l 0:1" "-k 1 -t 0.2"; do
		# shellcheck disable=SC2086
		threshold-filter $args p.slab > one.slab
		# shellcheck disable=SC2086
		threshold-filter $args p2.slab > two.slab
		echo "$args: $(samples one.slab 6) / $(samples two.slab 6)"
		[ "$(samples one.slab 6)" = "$(samples two.slab 6)" ]
	done
}

@test "threshold-filter refuses bad multi-class input in one line, writing nothing" {
	load classes_helpers
	mc
	fail() {
		run --separate-stderr threshold-filter "$@" -o m.slab
		echo "$*: $status $stderr"
		[ "$status" -eq 1 ]
		[ ! -e m.slab ]
		[ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ]
	}
	# three channels without CLASSES
	probs m "4 1 1" 3 "" 0 0 0 0 0 0 0 0 1 1 1 1 > nc.slab
	fail nc.slab
	[[ "$stderr" == *"one channel, or one per class with a CLASSES key: '3' in 'm'" ]]
	# channels != C, one channel of 3 classes, a bad CLASSES
	probs m "4 1 1" 3 "CLASSES 4" 0 0 0 0 0 0 0 0 1 1 1 1 > c4.slab
	fail c4.slab
	[[ "$stderr" == *"channels differ from CLASSES 4 (want one per class): '3' in 'm'" ]]
	probs m "4 1 1" 1 "CLASSES 3" 0 0 0 1 > c1.slab
	fail c1.slab
	[[ "$stderr" == *"channels differ from CLASSES 3 (want one per class): '1' in 'm'" ]]
	probs m "4 1 1" 3 "CLASSES three" 0 0 0 0 0 0 0 0 1 1 1 1 > cx.slab
	fail cx.slab
	[[ "$stderr" == *"bad CLASSES (a whole number 2..255): 'three' in 'm'" ]]
	# a reference of other classes: binary, 4 classes, other names
	labels m "4 1 3" "" 1 0 1 1 255 255 255 255 255 255 255 255 > rb.slab
	fail -a rb.slab mc.slab
	[[ "$stderr" == *"reference classes differ from the probabilities' (3): '2' in 'm'" ]]
	labels m "4 1 3" "CLASSES 4" 1 0 2 2 255 255 255 255 255 255 255 255 > r4.slab
	fail -n r4.slab -c 1 mc.slab
	[[ "$stderr" == *"(3): '4' in 'm'" ]]
	{ slab_header m "4 1 3" 1 u8 "CLASSES 3" "CLASS_NAMES bg ant post"
	  u8 1 0 2 2 255 255 255 255 255 255 255 255; } > rn.slab
	fail -a rn.slab mc.slab
	[[ "$stderr" == *"(3): '3 named bg ant post' in 'm'" ]]
	# a reference label >= C
	labels m "4 1 3" "CLASSES 3" 1 0 3 2 255 255 255 255 255 255 255 255 > r3.slab
	fail -a r3.slab mc.slab
	[[ "$stderr" == *"label 3 at slice 0 outside 0..2 (or 255) in 'm'" ]]
	# a probability out of [0, 1] in channel 2
	probs m "4 1 1" 3 "CLASSES 3" 0 0 0 0 0 0 0 0 1 1 2 1 > big.slab
	fail big.slab
	[[ "$stderr" == *"probability out of [0,1]: '2' at slice 0 channel 2 in 'm'" ]]
}
