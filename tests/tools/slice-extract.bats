#!/usr/bin/env bats
# slice-extract: keep named slices of masks (-k), cut z-ranges (-r), NSI rows (-n).

bats_require_minimum_version 1.5.0
load helpers

setup() {
	cd "$BATS_TEST_TMPDIR"
	# 2 x 1 x 5 u8 mask, slice z holds (z, 1): 0 1 | 1 1 | 2 1 | 3 1 | 4 1
	{ slab_header m "2 1 5" 1 u8 "SLICES g g g 3 g"; u8 0 1 1 1 2 1 3 1 4 1; } > m.slab
	# 2 x 1 x 4, 2 channels, i16 with a transform: sample = 100*z + 10*c + x
	{ slab_header i "2 1 4" 2 i16 "TRANSFORM 0 0 2 5 1 0 0 -3 0 -1.5 0 7"
	  for z in 0 1 2 3; do for c in 0 1; do for x in 0 1; do
	    v=$((100 * z + 10 * c + x)); u8 $((v % 256)) $((v / 256)); done; done; done; } > i.slab
}

@test "slice-extract -h prints usage on stdout and exits 0" {
	run slice-extract -h
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "usage: slice-extract "* ]]
	[[ "$output" == *"nsi = z / (nz - 1)"* ]]
}

@test "slice-extract rejects bad options and values with exit 2 and nothing on stdout" {
	for args in "-q m.slab" "-k m.slab" "-k 1,,2 m.slab" "-k 3-1 m.slab" "-r 5 m.slab" \
	            "-r 3:2 m.slab" "-k 1 -r 0:2 m.slab" "m.slab m.slab" "-o"; do
		# shellcheck disable=SC2086
		run_out out slice-extract $args
		[ "$status" -eq 2 ] || { echo "args: $args status $status"; false; }
		[ ! -s out ]
		[ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ]
		[[ "$stderr" == "slice-extract: "* ]]
	done
}

# data_bytes FILE N: the last N bytes of FILE as decimal numbers.
data_bytes() {
	od -An -tu1 -v -j "$(($(wc -c < "$1") - $2))" "$1" | tr -s ' \n' '  ' | sed 's/^ //; s/ $//'
}

@test "slice-extract keeps only the central slice floor(nz/2) by default" {
	slice-extract m.slab > out.slab
	[ "$(data_bytes out.slab 10)" = "255 255 255 255 2 1 255 255 255 255" ]
	grep -aqx 'SLICES \. \. g \. \.' out.slab
	grep -aqx 'DIMS 2 1 5' out.slab
	# a 4-slice slab keeps slice 2, a 1-slice slab slice 0
	{ slab_header e "1 1 4" 1 u8; u8 1 1 1 1; slab_header o "1 1 1" 1 u8; u8 0; } > eo.slab
	slice-extract eo.slab > out2.slab
	py 'print([s["v"] for s in ref.read_file("out2.slab")])' > got 2>/dev/null ||
		skip "no $PY"
	[ "$(cat got)" = "[[255, 255, 1, 255], [0]]" ]
}

@test "slice-extract -k keeps the listed slices and marks the rest 255" {
	slice-extract -k 4,0-1 m.slab > out.slab
	[ "$(data_bytes out.slab 10)" = "0 1 1 1 255 255 255 255 4 1" ]
	grep -aqx 'SLICES g g \. \. g' out.slab
	slice-extract -k 0-4 m.slab > all.slab
	sed '/^TRANSFORM /d' all.slab | cmp - m.slab
}

@test "slice-extract -k refuses a slab that is not u8, leaving no output file" {
	run_out out slice-extract -k 1 -o res.slab i.slab
	fails_cleanly out
	[[ "$stderr" == *"i16"*"u8"* ]]
	no_file res.slab
}

@test "slice-extract -k or -r beyond the slab's slices fails cleanly" {
	run_out out slice-extract -k 5 -o res.slab m.slab
	fails_cleanly out
	[[ "$stderr" == *"'5'"* ]]
	no_file res.slab
	run_out out slice-extract -r 2:6 m.slab
	fails_cleanly out
	# the second slab of a stream is too short for the list
	{ slab_header big "1 1 9" 1 u8; u8 0 0 0 0 0 0 0 0 0; cat m.slab; } > s.slab
	run_out out slice-extract -k 7 -o res.slab s.slab
	fails_cleanly out
	no_file res.slab
}

@test "slice-extract -r cuts a z-range of every channel and moves the transform offset" {
	slice-extract -r 1:3 i.slab > out.slab
	grep -aqx 'DIMS 2 1 2' out.slab
	grep -aqx 'CHANNELS 2' out.slab
	grep -aqx 'TYPE i16' out.slab
	# offset = T * (0, 0, 1, 1): (5 + 2, -3 + 0, 7 + 0)
	grep -aqx 'TRANSFORM 0 0 2 7 1 0 0 -3 0 -1.5 0 7' out.slab
	# samples 100*z + 10*c + x for z = 1, 2
	[ "$(od -An -td2 -v -j "$(($(wc -c < out.slab) - 16))" out.slab | tr -s ' \n' '  ' | sed 's/^ //; s/ $//')" = \
	  "100 101 110 111 200 201 210 211" ]
	# open ranges; SLICES is cut too
	slice-extract -r 3: m.slab > a.slab
	[ "$(data_bytes a.slab 4)" = "3 1 4 1" ]
	grep -aqx 'SLICES 3 g' a.slab
	slice-extract -r :2 m.slab > b.slab
	grep -aqx 'SLICES g g' b.slab
	# SLICES read with tabs and runs of spaces, written one space apart;
	# a token that is none of g, . or an iteration fails
	{ slab_header m "2 1 5" 1 u8 $'SLICES  g\tg g  3\tg '; u8 0 1 1 1 2 1 3 1 4 1; } > t.slab
	slice-extract -r 2:4 t.slab > c.slab
	grep -aqx 'SLICES g 3' c.slab
	{ slab_header m "2 1 5" 1 u8 'SLICES g g g 3 x'; u8 0 1 1 1 2 1 3 1 4 1; } > x.slab
	run --separate-stderr slice-extract -r 2:4 -o c.slab x.slab
	[ "$status" -eq 1 ]
	[ "$stderr" = "slice-extract: x.slab: bad SLICES token: 'x' in 'm'" ]
	slice-extract -r : m.slab > all.slab
	sed '/^TRANSFORM /d' all.slab | cmp - m.slab
}

@test "slice-extract -r keeps every voxel's world position and value (Python reference)" {
	need_python
	py '
import random
r = random.Random(3)
out = b""
for k, t in enumerate(("u8", "i16", "f32")):
    nx, ny, nz, nc = 3, 2, 7 + k, 1 + k
    T = [r.uniform(-2, 2) for _ in range(12)]
    v = [r.randint(0, 255) if t == "u8" else r.randint(-999, 999) for _ in range(nx*ny*nz*nc)]
    out += ref.make_slab("c%d" % k, nx, ny, nz, nc, t, v, spacing=(0.5, 1, 2.5), transform=T,
                         extra=["NOTE kept %d" % k])
open("in.slab", "wb").write(out)
'
	slice-extract -r 2:6 in.slab > out.slab
	py '
src, dst = ref.read_file("in.slab"), ref.read_file("out.slab")
assert len(src) == len(dst) == 3
A = 2
for s, d in zip(src, dst):
    assert (d["name"], d["nx"], d["ny"], d["nz"], d["nc"], d["type"]) == \
           (s["name"], s["nx"], s["ny"], 4, s["nc"], s["type"]), d
    assert d["spacing"] == s["spacing"] and d["extra"] == s["extra"]
    def world(T, i, j, k):
        return [T[4*r]*i + T[4*r+1]*j + T[4*r+2]*k + T[4*r+3] for r in range(3)]
    for z in range(d["nz"]):
        for c in range(d["nc"]):
            for y in range(d["ny"]):
                for x in range(d["nx"]):
                    assert d["v"][ref.idx(d, x, y, c, z)] == s["v"][ref.idx(s, x, y, c, z + A)]
                    wd, ws = world(d["transform"], x, y, z), world(s["transform"], x, y, z + A)
                    assert all(abs(p - q) < 1e-12 for p, q in zip(wd, ws)), (wd, ws)
print("ok")
'
}

@test "slice-extract -k on a random stream matches the Python reference voxel by voxel" {
	need_python
	py '
import random
r = random.Random(11)
out = b""
for k in range(4):
    nx, ny, nz = 4, 3, 12 + k
    v = [r.choice([0, 1, 1, 255]) for _ in range(nx*ny*nz)]
    out += ref.make_slab("case_%d" % k, nx, ny, nz, 1, "u8", v)
open("in.slab", "wb").write(out)
'
	slice-extract -k 0,3-5,11 in.slab > out.slab
	slice-extract in.slab > central.slab
	py '
src = ref.read_file("in.slab")
for path, keep in (("out.slab", lambda z, nz: z in (0, 3, 4, 5, 11)),
                   ("central.slab", lambda z, nz: z == nz // 2)):
    dst = ref.read_file(path)
    assert [d["name"] for d in dst] == ["case_%d" % k for k in range(4)]
    for s, d in zip(src, dst):
        per = s["nx"] * s["ny"]
        for i, (a, b) in enumerate(zip(s["v"], d["v"])):
            want = a if keep(i // per, s["nz"]) else 255
            assert b == want, (path, s["name"], i, a, b)
        assert len(s["v"]) == len(d["v"])
print("ok")
'
}

@test "slice-extract -n prints name, z and normalised slice index rows" {
	{ slab_header one "1 1 1" 1 f32; u8 0 0 0 0; } > one.slab
	cat m.slab one.slab > s.slab
	run slice-extract -n s.slab
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'name\tz\tnsi\nm\t0\t0\nm\t1\t0.25\nm\t2\t0.5\nm\t3\t0.75\nm\t4\t1\none\t0\t0')" ]
	run -0 slice-extract -n -k 1,3 m.slab
	[ "$output" = "$(printf 'name\tz\tnsi\nm\t1\t0.25\nm\t3\t0.75')" ]
	run -0 slice-extract -n -r 2:4 i.slab
	[ "$output" = "$(printf 'name\tz\tnsi\ni\t2\t0.666667\ni\t3\t1')" ]
	# the NSI of 7 slices checked with awk
	{ slab_header s7 "1 1 7" 1 u8; u8 0 0 0 0 0 0 0; } > s7.slab
	slice-extract -n s7.slab | awk -F '\t' 'NR > 1 { d = $3 - $2 / 6; if (d < 0) d = -d; if (d > 1e-6) exit 1; n++ } END { exit n != 7 }'
}

@test "slice-extract reads stdin, the same as the named file, and -o writes the same bytes" {
	cat m.slab i.slab m.slab > s.slab
	slice-extract -r 1:3 s.slab > named.slab
	slice-extract -r 1:3 < s.slab > piped.slab
	slice-extract -r 1:3 -o file.slab - < s.slab
	cmp named.slab piped.slab
	cmp named.slab file.slab
	[ "$(grep -ac '^ENDHDR$' named.slab)" -eq 3 ]
	slice-extract -n m.slab > a.tsv
	slice-extract -n < m.slab > b.tsv
	cmp a.tsv b.tsv
}

@test "slice-extract fails on a missing file with one line and no output" {
	run_out out slice-extract -o res.slab nosuch.slab
	fails_cleanly out
	[[ "$stderr" == *"nosuch.slab"* ]]
	no_file res.slab
}

@test "slice-extract fails on truncated data with one line, no output and no file" {
	head -c -1 m.slab > short.slab
	run_out out slice-extract short.slab
	fails_cleanly out
	[[ "$stderr" == *"short.slab"*"short"* ]]
	run_out out slice-extract -n short.slab
	fails_cleanly out
	{ cat m.slab; head -c -3 i.slab; } > cut.slab
	run_out out slice-extract -r 0:2 -o res.slab cut.slab
	fails_cleanly out
	no_file res.slab
}

@test "slice-extract fails on a malformed header with one line, no output and no file" {
	{ slab_header m "2 1 5" 1 u9; u8 0 1 1 1 2 1 3 1 4 1; } > bad.slab
	run_out out slice-extract -o res.slab bad.slab
	fails_cleanly out
	[[ "$stderr" == *"TYPE"*"u9"* ]]
	no_file res.slab
	{ printf 'SLAB 1\nDIMS 1000000 1000000 1000000\nCHANNELS 1\nTYPE f32\nSPACING 1 1 1\nENDHDR\n'; u8 0 0 0 0; } > huge.slab
	run_out out slice-extract -r 0:1 huge.slab
	fails_cleanly out
	: > empty.slab
	run_out out slice-extract empty.slab
	fails_cleanly out
}

@test "slice-extract keeps only slice floor(nz/2) of real labels, unchanged" {
	real_cases real hippocampus_001 hippocampus_003
	cat real/labels/hippocampus_001.slab real/labels/hippocampus_003.slab > labels.slab
	slice-extract labels.slab > one.slab
	slab-info -s labels.slab > before
	slab-info -s one.slab > after
	# nz = 35 for both: slice 17 keeps its counts, every other slice is unlabelled
	[ "$(grep -c '^labelled    17 (1 of 35)$' after)" -eq 2 ]
	diff <(grep '^slice       17 ' before) <(grep '^slice       17 ' after)
	[ "$(grep '^slice ' after | grep -vc '^slice       17 \| fg 0 bg 0 unlabelled ')" -eq 0 ]
}

@test "slice-extract keeps a 3-class label map's values and keys; -r cuts every channel of C-class probabilities" {
	load classes_helpers
	{ slab_header m "2 1 3" 1 u8 "CLASSES 3" "CLASS_NAMES bg ant post" "SLICES g g g"
	  u8 0 1 2 2 1 0; } > l3.slab
	slice-extract -k 1 l3.slab > k.slab
	[ "$(samples k.slab 6)" = "255 255 2 2 255 255" ]
	[ "$(header k.slab CLASSES)" = 3 ]
	[ "$(header k.slab CLASS_NAMES)" = "bg ant post" ]
	[ "$(header k.slab SLICES)" = ". g ." ]
	# 2x1x3, 3 channels, sample (x, c, z) = x + 2c + 6z
	probs m "2 1 3" 3 "CLASSES 3" 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 > p3.slab
	slice-extract -r 1:3 p3.slab > r.slab
	[ "$(header r.slab DIMS)" = "2 1 2" ]
	[ "$(header r.slab CHANNELS)" = 3 ]
	[ "$(header r.slab CLASSES)" = 3 ]
	[ "$(samples r.slab f4 | tr '\n' ' ')" = "6 7 8 9 10 11 12 13 14 15 16 17 " ]
}
