#!/usr/bin/env bats
# threshold-filter: f32 probabilities -> u8 masks, binary and band modes.

bats_require_minimum_version 1.5.0
load loop_helper

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
	run threshold-filter -x p.slab
	[ "$status" -eq 2 ]
	run threshold-filter -t 1.5 p.slab
	[ "$status" -eq 2 ]
	run threshold-filter -m soft p.slab
	[ "$status" -eq 2 ]
	[ "$output" = "threshold-filter: unknown mode, want binary or band: 'soft'" ]
	run threshold-filter -m band -t 0.3 p.slab
	[ "$status" -eq 2 ]
	run threshold-filter -k 1-x p.slab
	[ "$status" -eq 2 ]
	run threshold-filter -k 3-1 p.slab
	[ "$status" -eq 2 ]
	run threshold-filter -k 1, p.slab
	[ "$status" -eq 2 ]
	run threshold-filter -r 2:2 p.slab
	[ "$status" -eq 2 ]
	run threshold-filter -k 1 -r 0:1 p.slab
	[ "$status" -eq 2 ]
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
