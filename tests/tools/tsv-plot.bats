#!/usr/bin/env bats
# tsv-plot: TSV columns as a line plot PNG.

bats_require_minimum_version 1.5.0
load helpers

setup() {
	cd "$BATS_TEST_TMPDIR"
	printf 'nsi\tcentral\tselflabel\tnote\n0.1\t0.2\t0.4\tx\n0.5\t0.8\t0.9\ty\n0.9\tnan\t0.3\tz\n' > d.tsv
}

# pngsize FILE: "W H" from the IHDR chunk
pngsize() { od -An -tu1 -j16 -N8 "$1" | awk '{ print $1*16777216+$2*65536+$3*256+$4, $5*16777216+$6*65536+$7*256+$8 }'; }

@test "tsv-plot -h prints usage on stdout and exits 0" {
	run tsv-plot -h
	[ "$status" -eq 0 ]
	[[ "$output" == usage:* ]]
}

@test "tsv-plot rejects a bad option and bad values with exit 2" {
	run tsv-plot -q -o p.png d.tsv
	[ "$status" -eq 2 ]
	run tsv-plot d.tsv
	[ "$status" -eq 2 ]
	run tsv-plot -r 1:0 -o p.png d.tsv
	[ "$status" -eq 2 ]
	run tsv-plot -s 10x10 -o p.png d.tsv
	[ "$status" -eq 2 ]
	[ ! -e p.png ]
}

@test "tsv-plot draws a PNG of the size asked" {
	tsv-plot -y central,selflabel -t "DSC per NSI" -X nsi -Y DSC -r 0:1 -s 320x200 -o p.png d.tsv
	[ "$(head -c 8 p.png | od -An -tx1 | tr -d ' ')" = 89504e470d0a1a0a ]
	[ "$(pngsize p.png)" = "320 200" ]
	tsv-plot -y central -o q.png d.tsv
	[ "$(pngsize q.png)" = "640 400" ]
}

@test "tsv-plot reads stdin when no file is given" {
	tsv-plot -y central -o a.png d.tsv
	tsv-plot -y central -o b.png < d.tsv
	tsv-plot -y central -o - - < d.tsv > c.png
	cmp a.png b.png
	cmp a.png c.png
}

@test "tsv-plot fails cleanly on a missing file" {
	run --separate-stderr tsv-plot -o p.png nothere.tsv
	[ "$status" -eq 1 ]
	[[ "$stderr" == tsv-plot:*nothere.tsv* ]]
	[ ! -e p.png ]
}

@test "tsv-plot rejects malformed input" {
	printf 'a\tb\n1\n' > short.tsv
	run --separate-stderr tsv-plot -o p.png short.tsv
	[ "$status" -eq 1 ]
	[ "$stderr" = "tsv-plot: short.tsv: line 2 has 1 fields, want 2" ]
	[ ! -e p.png ]
	# text in a drawn column is an error (the note column is not drawn with -y)
	run --separate-stderr tsv-plot -o p.png d.tsv
	[ "$status" -eq 1 ]
	[ "$stderr" = "tsv-plot: d.tsv: line 2: not a number: 'x' in column 'note'" ]
	run --separate-stderr tsv-plot -y nothere -o p.png d.tsv
	[ "$status" -eq 1 ]
	[ "$stderr" = "tsv-plot: d.tsv: no such column: 'nothere'" ]
	printf 'a\tb\n' > empty.tsv
	run --separate-stderr tsv-plot -o - empty.tsv
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	head -c 100 /dev/urandom | tr -d '\n' > bin.tsv; printf '\0\n' >> bin.tsv
	run tsv-plot -o p.png bin.tsv
	[ "$status" -eq 1 ]
	[ ! -e p.png ]
}

@test "tsv-plot names the file's own line after blank lines" {
	# blank lines count as lines (found by fuzzing: they were skipped uncounted)
	printf '\na\tb\n\n1\t2\n\n3\n' > gaps.tsv
	run --separate-stderr tsv-plot -o p.png gaps.tsv
	[ "$status" -eq 1 ]
	[ "$stderr" = "tsv-plot: gaps.tsv: line 6 has 1 fields, want 2" ]
	printf 'a\tb\n\r\n\n1\tx\n' > text.tsv
	run --separate-stderr tsv-plot -y b -o p.png text.tsv
	[ "$status" -eq 1 ]
	[ "$stderr" = "tsv-plot: text.tsv: line 4: not a number: 'x' in column 'b'" ]
	[ ! -e p.png ]
}
