#!/usr/bin/env bats
# slab2png: slices, montages and orthogonal views as PNG, with mask contours.
# PNGs are decoded by tests/tools/slab_ref.py (zlib + struct) and compared
# pixel by pixel with values computed here from the voxels.

bats_require_minimum_version 1.5.0
load helpers

setup() {
	cd "$BATS_TEST_TMPDIR"
	# 3 x 2 x 3 i16, value 100*z + 10*y + x (all within 0..255)
	{ slab_header v "3 2 3" 1 i16
	  for z in 0 1 2; do for y in 0 1; do for x in 0 1 2; do
	    u8 $((100 * z + 10 * y + x)) 0; done; done; done; } > v.slab
}

@test "slab2png -h prints usage on stdout and exits 0" {
	run slab2png -h
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "usage: slab2png "* ]]
	[[ "$output" == *"1st..99th percentile"* ]]
}

@test "slab2png rejects bad options with exit 2, nothing on stdout and no file" {
	for args in "-q -o a.png v.slab" "v.slab" "-v diagonal -o a.png v.slab" \
	            "-M -v ortho -o a.png v.slab" "-k 1 -o a.png v.slab" "-S 0 -o a.png v.slab" \
	            "-S 65 -o a.png v.slab" "-w 5:1 -o a.png v.slab" "-w x -o a.png v.slab" \
	            "-z 1 -v coronal -o a.png v.slab" "-M -z 1 -o a.png v.slab" "-c -1 -o a.png v.slab" \
	            "-M -k 1,x -o a.png v.slab" "-o a.png v.slab v.slab" "-o"; do
		# shellcheck disable=SC2086
		run_out out slab2png $args
		[ "$status" -eq 2 ] || { echo "args: $args status $status"; false; }
		[ ! -s out ]
		[ "${#stderr_lines[@]}" -eq 1 ] || { echo "args: $args stderr $stderr"; false; }
		[[ "$stderr" == "slab2png: "* ]]
		no_file a.png
	done
}

@test "slab2png draws the central axial slice with a fixed window, pixel for pixel" {
	need_python
	slab2png -w 0:255 -o a.png v.slab
	py 'w, h, c, rows = ref.read_png("a.png")
assert (w, h, c) == (3, 2, 1), (w, h, c)
assert [list(r) for r in rows] == [[100, 101, 102], [110, 111, 112]], rows'
	# -z picks another slice; -w scales linearly with rounding
	slab2png -z 2 -w 100:300 -o b.png v.slab
	py 'w, h, c, rows = ref.read_png("b.png")
want = [[int((200 + 10 * y + x - 100) / 200 * 255 + 0.5) for x in range(3)] for y in range(2)]
assert [list(r) for r in rows] == want, (rows, want)'
}

@test "slab2png windows to the 1st..99th percentile by default" {
	need_python
	# 10 x 10 x 1 f32 ramp 0..99 shuffled: ranks round(0.99) = 1 and round(98.01) = 98
	py '
import random
v = list(range(100))
random.Random(2).shuffle(v)
open("ramp.slab", "wb").write(ref.make_slab("r", 10, 10, 1, 1, "f32", v))
open("vals", "w").write(" ".join(map(str, v)))'
	slab2png -o a.png ramp.slab
	py '
v = list(map(int, open("vals").read().split()))
w, h, c, rows = ref.read_png("a.png")
assert (w, h, c) == (10, 10, 1)
for i, x in enumerate(v):
    t = (x - 1) / 97 * 255
    want = 0 if t <= 0 else 255 if t >= 255 else int(t + 0.5)
    assert rows[i // 10][i % 10] == want, (i, x, rows[i // 10][i % 10], want)'
}

@test "slab2png draws coronal, sagittal and ortho views with z upward" {
	need_python
	slab2png -v coronal -y 1 -w 0:255 -o cor.png v.slab
	slab2png -v sagittal -x 2 -w 0:255 -o sag.png v.slab
	slab2png -v ortho -w 0:255 -o ortho.png v.slab
	slab2png -v ortho -x 0 -y 0 -z 0 -w 0:255 -o ortho0.png v.slab
	py '
val = lambda x, y, z: 100 * z + 10 * y + x
def check(path, want):
    w, h, c, rows = ref.read_png(path)
    got = [list(r) for r in rows]
    assert got == want, (path, got, want)
check("cor.png", [[val(x, 1, 2 - v) for x in range(3)] for v in range(3)])
check("sag.png", [[val(2, u, 2 - v) for u in range(2)] for v in range(3)])
def ortho(X, Y, Z):
    # axial 3x2 | gap | coronal 3x3 | gap | sagittal 2x3, top-aligned, black elsewhere
    rows = []
    for v in range(3):
        ax = [val(x, v, Z) for x in range(3)] if v < 2 else [0, 0, 0]
        co = [val(x, Y, 2 - v) for x in range(3)]
        sa = [val(X, u, 2 - v) for u in range(2)]
        rows.append(ax + [0] + co + [0] + sa)
    return rows
check("ortho.png", ortho(1, 1, 1))
check("ortho0.png", ortho(0, 0, 0))'
}

@test "slab2png -M tiles every slice or the -k list, -S upscales by nearest neighbour" {
	need_python
	slab2png -M -w 0:255 -o m.png v.slab
	slab2png -M -k 0,2 -w 0:255 -S 2 -o k.png v.slab
	slab2png -v coronal -M -w 0:255 -o c.png v.slab
	py '
val = lambda x, y, z: 100 * z + 10 * y + x
def grid(tiles, cols, tw, th):
    rows_n = (len(tiles) + cols - 1) // cols
    W, H = cols * (tw + 1) - 1, rows_n * (th + 1) - 1
    img = [[0] * W for _ in range(H)]
    for i, t in enumerate(tiles):
        ox, oy = (i % cols) * (tw + 1), (i // cols) * (th + 1)
        for v in range(th):
            for u in range(tw):
                img[oy + v][ox + u] = t(u, v)
    return img
def check(path, want):
    w, h, c, rows = ref.read_png(path)
    assert [list(r) for r in rows] == want, (path, [list(r) for r in rows], want)
# 3 slices: 2 columns, 2 rows, the 4th tile black
check("m.png", grid([lambda u, v, z=z: val(u, v, z) for z in range(3)], 2, 3, 2))
# slices 0 and 2 at scale 2: 2 columns of 6 x 4
check("k.png", grid([lambda u, v, z=z: val(u // 2, v // 2, z) for z in (0, 2)], 2, 6, 4))
# coronal planes y = 0, 1: 2 columns of 3 x 3, z upward
check("c.png", grid([lambda u, v, y=y: val(u, y, 2 - v) for y in range(2)], 2, 3, 3))'
}

@test "slab2png draws mask contours in red, blue and magenta (Python reference)" {
	need_python
	py '
import random
r = random.Random(4)
nx, ny, nz = 9, 8, 5
n = nx * ny * nz
img = [r.randint(0, 255) for _ in range(n)]
gt = [r.choice([0, 1, 1, 1, 255]) for _ in range(n)]
pr = [r.choice([0.1, 0.5, 0.7, 0.49]) for _ in range(n)]
open("img.slab", "wb").write(ref.make_slab("c", nx, ny, nz, 2, "u8", img + img[::-1]))
open("gt.slab", "wb").write(ref.make_slab("c", nx, ny, nz, 1, "u8", gt))
open("pr.slab", "wb").write(ref.make_slab("c", nx, ny, nz, 1, "f32", pr))'
	slab2png -S 2 -c 1 -w 0:255 -g gt.slab -p pr.slab -o a.png img.slab
	slab2png -v sagittal -x 3 -w 0:255 -g gt.slab -o s.png img.slab
	py '
imgs = ref.read_file("img.slab")[0]
gt, pr = ref.read_file("gt.slab")[0]["v"], ref.read_file("pr.slab")[0]["v"]
nx, ny, nz = 9, 8, 5
def check(path, S, c, plane, masks):
    # plane(u, v) -> (x, y, z) for an unscaled picture of pw x ph
    w, h, ch, rows = ref.read_png(path)
    assert ch == 3
    def fg(m, U, V):
        if U < 0 or V < 0 or U >= w or V >= h:
            return False
        x, y, z = plane(U // S, V // S)
        i = (z * ny + y) * nx + x
        return (m[i] not in (0, 255)) if m is gt else m[i] >= 0.5
    colours = set()
    for V in range(h):
        for U in range(w):
            x, y, z = plane(U // S, V // S)
            g = imgs["v"][ref.idx(imgs, x, y, c, z)]
            on = [fg(m, U, V) and not all(fg(m, U + a, V + b)
                  for a, b in ((1, 0), (-1, 0), (0, 1), (0, -1))) for m in masks]
            on += [False] * (2 - len(on))
            want = (255 if on[0] else 0, 0, 255 if on[1] else 0) if any(on) else (g, g, g)
            got = tuple(rows[V][3 * U:3 * U + 3])
            assert got == want, (path, U, V, got, want)
            colours.add(want)
    return colours
cols = check("a.png", 2, 1, lambda u, v: (u, v, 2), [gt, pr])
assert {(255, 0, 0), (0, 0, 255), (255, 0, 255)} <= cols, cols
check("s.png", 1, 0, lambda u, v: (3, u, nz - 1 - v), [gt])'
}

@test "slab2png -n picks a slab by name from streams; a stream needs -n" {
	need_python
	{ slab_header a "1 1 1" 1 u8; u8 10; cat v.slab; slab_header b "1 1 1" 1 u8; u8 30; } > s.slab
	slab2png -n v -w 0:255 -o a.png s.slab
	slab2png -w 0:255 -o b.png v.slab
	cmp a.png b.png
	run_out out slab2png -o c.png s.slab
	fails_cleanly out
	no_file c.png
	run_out out slab2png -n nosuch -o c.png s.slab
	fails_cleanly out
	[[ "$stderr" == *"nosuch"* ]]
	no_file c.png
}

@test "slab2png reads stdin, the same as the named file, and -o - writes to stdout" {
	slab2png -v ortho -S 3 -o named.png v.slab
	slab2png -v ortho -S 3 -o piped.png < v.slab
	slab2png -v ortho -S 3 -o - - < v.slab > stdout.png
	cmp named.png piped.png
	cmp named.png stdout.png
	[ "$(head -c 4 named.png | od -An -c | tr -d ' ')" = '211PNG' ]
}

@test "slab2png fails on a missing file with one line, no output and no file" {
	run_out out slab2png -o a.png nosuch.slab
	fails_cleanly out
	[[ "$stderr" == *"nosuch.slab"* ]]
	no_file a.png
	run_out out slab2png -g nosuch.slab -o a.png v.slab
	fails_cleanly out
	no_file a.png
	run_out out slab2png -o nodir/a.png v.slab
	fails_cleanly out
	[[ "$stderr" == *"nodir/a.png"* ]]
}

@test "slab2png fails on truncated data with one line, no output and no file" {
	head -c -1 v.slab > short.slab
	run_out out slab2png -o a.png short.slab
	fails_cleanly out
	[[ "$stderr" == *"short.slab"*"short"* ]]
	no_file a.png
	run_out out slab2png -p short.slab -o a.png v.slab
	fails_cleanly out
	no_file a.png
}

@test "slab2png fails on malformed input with one line, no output and no file" {
	{ slab_header v "3 2" 1 i16; u8 0 0; } > bad.slab
	run_out out slab2png -o a.png bad.slab
	fails_cleanly out
	[[ "$stderr" == *"DIMS"* ]]
	no_file a.png
	# a mask whose dims differ, a plane or channel beyond the slab
	{ slab_header v "3 2 2" 1 u8; u8 0 0 0 0 0 0 0 0 0 0 0 0; } > small.slab
	for args in "-g small.slab" "-z 3" "-v coronal -y 2" "-v ortho -x 3" "-c 1" "-M -k 0,3"; do
		# shellcheck disable=SC2086
		run_out out slab2png $args -o a.png v.slab
		fails_cleanly out || { echo "args: $args"; false; }
		no_file a.png
	done
}

@test "slab2png: a mask of 3 classes gets a contour per class (Python reference)" {
	need_python
	py '
import random
r = random.Random(9)
nx, ny, nz = 9, 8, 3
n = nx * ny * nz
img = [r.randint(0, 255) for _ in range(n)]
gt = [r.choice([0, 1, 1, 2, 2, 255]) for _ in range(n)]
pr = []
for z in range(nz):
    for c in range(3):
        pr += [r.choice([0.125, 0.25, 0.5, 0.625]) for _ in range(nx * ny)]
open("img.slab", "wb").write(ref.make_slab("c", nx, ny, nz, 1, "u8", img))
open("gt.slab", "wb").write(ref.make_slab("c", nx, ny, nz, 1, "u8", gt, extra=["CLASSES 3"]))
open("pr.slab", "wb").write(ref.make_slab("c", nx, ny, nz, 3, "f32", pr, extra=["CLASSES 3"]))'
	slab2png -S 2 -w 0:255 -g gt.slab -p pr.slab -o a.png img.slab
	py '
imgs = ref.read_file("img.slab")[0]
gt, pr = ref.read_file("gt.slab")[0], ref.read_file("pr.slab")[0]
nx, ny, nz, S, z = 9, 8, 3, 2, 1
w, h, ch, rows = ref.read_png("a.png")
def cls(m, U, V):
    if U < 0 or V < 0 or U >= w or V >= h:
        return 0
    x, y = U // S, V // S
    if m is gt:
        v = gt["v"][ref.idx(gt, x, y, 0, z)]
        return v if v < 3 else 0
    p = [pr["v"][ref.idx(pr, x, y, c, z)] for c in range(3)]
    return max(range(3), key=lambda c: (p[c], -c))
inner = 0
for V in range(h):
    for U in range(w):
        g = imgs["v"][ref.idx(imgs, U // S, V // S, 0, z)]
        on = []
        for m in (gt, pr):
            k = cls(m, U, V)
            nb = [cls(m, U + a, V + b) for a, b in ((1, 0), (-1, 0), (0, 1), (0, -1))]
            on.append(k != 0 and any(q != k for q in nb))
            inner += k != 0 and any(q != k and q != 0 for q in nb)
        want = (255 if on[0] else 0, 0, 255 if on[1] else 0) if any(on) else (g, g, g)
        got = tuple(rows[V][3 * U:3 * U + 3])
        assert got == want, (U, V, got, want)
assert inner > 0'
}

@test "slab2png: a 3-class label map and its one-hot probabilities draw the same; bad masks refused" {
	load classes_helpers
	mkslab img.slab c "4 3 1" "1 1 1" u8 'x * 50 + y'
	# every row 1 1 2 2: the line between classes 1 and 2 shows
	labels c "4 3 1" "CLASSES 3" 1 1 2 2 1 1 2 2 1 1 2 2 > l3.slab
	probs c "4 3 1" 3 "CLASSES 3" 0 0 0 0 0 0 0 0 0 0 0 0 \
		1 1 0 0 1 1 0 0 1 1 0 0  0 0 1 1 0 0 1 1 0 0 1 1 > p3.slab
	slab2png -w 0:255 -g l3.slab -o l.png img.slab
	slab2png -w 0:255 -g p3.slab -o p.png img.slab
	cmp l.png p.png
	# the binary merge (all 1) has no line inside
	labels c "4 3 1" "" 1 1 1 1 1 1 1 1 1 1 1 1 > l2.slab
	slab2png -w 0:255 -g l2.slab -o b.png img.slab
	run ! cmp -s l.png b.png
	# 2 channels of CLASSES 2: the argmax, as the one-channel p1
	probs c "4 3 1" 2 "CLASSES 2" 0 0 0 1 0 0 0 1 0 0 0 1  1 1 1 0 1 1 1 0 1 1 1 0 > p2.slab
	probs c "4 3 1" 1 "" 1 1 1 0 1 1 1 0 1 1 1 0 > p1.slab
	slab2png -w 0:255 -g p2.slab -o p2.png img.slab
	slab2png -w 0:255 -g p1.slab -o p1.png img.slab
	cmp p2.png p1.png
	# and not as channel 0 (the background) would draw
	probs c "4 3 1" 1 "" 0 0 0 1 0 0 0 1 0 0 0 1 > p0.slab
	slab2png -w 0:255 -g p0.slab -o p0.png img.slab
	run ! cmp -s p2.png p0.png
	# a label >= C; probabilities of 4 channels for 3 classes; i16 of 3 classes
	labels c "4 3 1" "CLASSES 3" 1 3 2 0 0 0 0 0 0 0 0 0 > bad.slab
	run --separate-stderr slab2png -g bad.slab -o o.png img.slab
	failed_cleanly "label 3 at slice 0 outside 0..2 (or 255) in 'c'"
	no_file o.png
	probs c "4 3 1" 4 "CLASSES 3" 0 0 0 0 0 0 0 0 0 0 0 0  0 0 0 0 0 0 0 0 0 0 0 0 \
		0 0 0 0 0 0 0 0 0 0 0 0  0 0 0 0 0 0 0 0 0 0 0 0 > p4.slab
	run --separate-stderr slab2png -p p4.slab -o o.png img.slab
	failed_cleanly "a mask of 3 classes is a u8 label map or 3-channel f32 probabilities: 'f32, 4 channels' in 'c'"
	no_file o.png
}
