#!/usr/bin/env bats
# slice-pick: usage, bad input, stdin, and known answers (bright slabs with
# a known weighted centre, a constant image, a phantom).

load helpers
bats_require_minimum_version 1.5.0

setup() {
	cd "$BATS_TEST_TMPDIR"
	# 2x2x10: slices 6-8 bright (2), the rest 0 -> the centre is slice 7
	mkslab a.slab box "2 2 10" "1 1 2" f32 'z >= 6 && z <= 8 ? 2 : 0'
	# slice 1 all bright, slice 8 one pixel bright: every bright pixel is as far
	# above the level, so the centre is (1*4 + 8*1) / 5 = 2.4 -> slice 2
	mkslab a.slab two "2 2 10" "1 1 2" f32 'z == 1 || (z == 8 && x == 0 && y == 0) ? 2 : 0'
	# constant: nothing above the level -> floor(nz/2)
	mkslab a.slab flat "2 2 7" "1 1 2" f32 1
}

@test "slice-pick -h prints usage; a bad option or operand exits 2" {
	run slice-pick -h
	[ "$status" -eq 0 ]
	[[ "$output" == usage:\ slice-pick* ]]
	run --separate-stderr slice-pick --bogus a.slab
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	run --separate-stderr slice-pick -k x a.slab
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	run --separate-stderr slice-pick a.slab b.slab
	[ "$status" -eq 2 ]
	[ -z "$output" ]
}

@test "slice-pick fails on a missing, truncated or malformed input with one line and no output" {
	run --separate-stderr slice-pick -o out.tsv nosuch.slab
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "$stderr" == *"cannot open 'nosuch.slab'"* ]]
	head -c -1 a.slab > short.slab
	run --separate-stderr slice-pick -o out.tsv short.slab
	[ "$status" -eq 1 ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	printf 'SLAB 1\nDIMS 2 2 x\nCHANNELS 1\nTYPE f32\nSPACING 1 1 1\nENDHDR\n' > bad.slab
	run --separate-stderr slice-pick bad.slab
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	run --separate-stderr slice-pick -c 1 a.slab
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[[ "$stderr" == *"channel 1 out of range"* ]]
	: > empty.slab
	run --separate-stderr slice-pick empty.slab
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[ -z "$(ls out.tsv* 2>/dev/null)" ]
}

@test "slice-pick gives the known weighted centres" {
	slice-pick -o out.tsv a.slab
	[ "$(cat out.tsv)" = "$(printf 'case\tz\tnsi\tcentre\nbox\t7\t0.777778\t7\ntwo\t2\t0.222222\t2.4\nflat\t3\t0.5\t-')" ]
	# stdin is the same stream
	slice-pick < a.slab > in.tsv
	cmp out.tsv in.tsv
	# -k 0: the level is the mean; box's centre does not move
	[ "$(slice-pick -k 0 a.slab | awk -F'\t' '$1 == "box" { print $2 }')" = 7 ]
}

@test "slice-pick on phantoms picks a slice inside the tube" {
	phantom -n 4 -d 16,16,20 -s 2 ph > /dev/null
	msd2slab -Z ph phs > /dev/null 2>&1
	cat phs/images/*.slab | slice-pick > picks.tsv
	[ "$(wc -l < picks.tsv)" -eq 5 ]
	tail -n +2 picks.tsv | while IFS=$'\t' read -r c z nsi centre; do
		slab-info -s "phs/labels/$c.slab" | awk -v z="$z" '$1 == "slice" && $2 == z { found = 1; exit !($4 > 0) }
			END { if (!found) exit 1 }'
	done
}
