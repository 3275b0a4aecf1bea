#!/usr/bin/env bats
# prob-largest: usage and bad options, missing, truncated and malformed input,
# stdin and stdout, known answers (two blobs, connectivity, threshold, ties, a
# stream of slabs, headers kept) and scipy.ndimage.label as a reference.

load helpers
bats_require_minimum_version 1.5.0

# blob FILE NAME "NX NY NZ" EXPR [LINE]...: append a one-channel f32 slab
# (SPACING 1 1 2) to FILE, EXPR an awk expression of x, y, z as slab_expr's,
# LINEs further header lines (as slab_header's).
blob() {
	local f=$1 name=$2 dims=$3 expr=$4
	shift 4
	rm -f "$f.raw"
	slab_expr "$f.raw" "$name" "$dims" "1 1 2" f32 "$expr"
	{ slab_header "$name" "$dims" 1 f32 "SPACING 1 1 2" "$@"; slab_data "$f.raw"; } >> "$f"
	rm -f "$f.raw"
}

# slab_data FILE: the bytes after the first header
slab_data() {
	local off
	off=$(grep -abo -m1 ENDHDR "$1" | cut -d: -f1)
	tail -c +$((off + 8)) "$1"
}

# fg FILE [THR]: the voxel count of p >= THR (default 0.5) of each slab
fg() { threshold-filter -t "${2:-0.5}" "$1" | slab-info - | sed -n 's/^label_1 *//p' | paste -sd' '; }

setup() {
	cd "$BATS_TEST_TMPDIR"
	# two blobs: 8 voxels of 0.75 at the origin, 27 of 1 at (4..6, 2..4, 1..3);
	# the rest 0.25
	A=$(box 0 2 0 2 0 2) B=$(box 4 7 2 5 1 4)
	blob two.slab two "8 6 5" "($A) ? 0.75 : (($B) ? 1 : 0.25)" "SOURCE made by hand" "SLICES ....."
	# what should come out: the small blob 0
	blob want.slab two "8 6 5" "($A) ? 0 : (($B) ? 1 : 0.25)"
}

@test "prob-largest prints usage and version; bad options are one line and exit 2" {
	run prob-largest -h
	[ "$status" -eq 0 ]
	[[ $output == "usage: prob-largest [-t THR] [-c 6|18|26] [-M] [-o OUT] [IN]"* ]]
	[[ $output == *"thresholding the output at THR gives exactly the largest"* ]]
	[[ $output == *SELFLABEL_MAX_BYTES* ]]
	run prob-largest --version
	[[ $output == "prob-largest (selflabel) "* ]]
	for bad in "-t 0" "-t -0.5" "-t 1.5" "-t nan" "-t inf" "-t x" "-t" "-c 8" "-c 0" "-c x" \
		"--bogus" "two.slab two.slab"; do
		# shellcheck disable=SC2086
		run --separate-stderr prob-largest -o out.slab $bad two.slab
		failed_cleanly -s 2 || { echo "for: $bad"; false; }
		no_file out.slab
	done
	run --separate-stderr prob-largest -t 0 two.slab
	failed_cleanly -s 2 "above 0"
	run --separate-stderr prob-largest -c 4 two.slab
	failed_cleanly -s 2 "6, 18 or 26"
}

@test "prob-largest fails on missing, truncated, malformed, u8, 2-channel and empty input, writing nothing" {
	run --separate-stderr prob-largest -o out.slab nosuch.slab
	failed_cleanly nosuch.slab
	no_file out.slab
	# truncated: in the data, in the header
	head -c -1 two.slab > short.slab
	run --separate-stderr prob-largest -o out.slab short.slab
	failed_cleanly
	no_file out.slab
	run_out o.slab prob-largest short.slab
	failed_cleanly -o o.slab
	head -c 30 two.slab > short2.slab
	run --separate-stderr prob-largest -o out.slab short2.slab
	failed_cleanly
	no_file out.slab
	# malformed header: two dims
	{ printf 'SLAB 1\nDIMS 2 2\nCHANNELS 1\nTYPE f32\nSPACING 1 1 1\nENDHDR\n'; head -c 16 /dev/zero; } > bad.slab
	run --separate-stderr prob-largest -o out.slab bad.slab
	failed_cleanly DIMS
	no_file out.slab
	# u8, and 2 channels
	mkslab m.slab k "2 2 1" "1 1 1" u8 1
	run --separate-stderr prob-largest -o out.slab m.slab
	failed_cleanly "not a probability slab (f32)"
	no_file out.slab
	{ slab_header c2 "2 1 1" 2 f32; printf "$F1$F1$F0$F1"; } > c2.slab
	run --separate-stderr prob-largest -o out.slab c2.slab
	failed_cleanly "one per class with a CLASSES key: '2'"
	no_file out.slab
	# a bad slab after a good one: nothing of the good one is written either
	cat two.slab m.slab > mixed.slab
	run --separate-stderr prob-largest -o out.slab mixed.slab
	failed_cleanly "type 'u8' in 'k'"
	no_file out.slab
	run_out o.slab prob-largest mixed.slab
	failed_cleanly -o o.slab
	# empty input
	: > empty.slab
	run --separate-stderr prob-largest -o out.slab < empty.slab
	failed_cleanly empty
	no_file out.slab
	# an output that cannot be written
	run --separate-stderr prob-largest -o nodir/out.slab two.slab
	failed_cleanly nodir/out.slab
}

@test "prob-largest keeps only the bigger of two blobs, the rest unchanged" {
	[ "$(fg two.slab)" = 35 ]
	prob-largest -o out.slab two.slab
	[ "$(fg out.slab)" = 27 ]
	# every sample as expected: the small blob 0, the big one and the rest kept
	[ "$(slab_f32 out.slab)" = "$(slab_f32 want.slab)" ]
	# the header is the input's, all keys kept
	for k in NAME DIMS SPACING SOURCE SLICES; do
		[ "$(header out.slab $k)" = "$(header two.slab $k)" ]
	done
	[ "$(header out.slab TRANSFORM)" = "1 0 0 0 0 1 0 0 0 0 2 0" ]
	# stdin and stdout give the same bytes
	prob-largest < two.slab | cmp - out.slab
	prob-largest - < two.slab | cmp - out.slab
	prob-largest -o - two.slab | cmp - out.slab
	# the output is clean already: a second pass changes nothing
	prob-largest out.slab | cmp - out.slab
}

@test "prob-largest: the threshold sets the mask, voxels below it stay as they are" {
	# at 0.8 only the big blob is in the mask: nothing to remove
	prob-largest -t 0.8 two.slab > a.slab
	[ "$(slab_f32 a.slab)" = "$(slab_f32 two.slab)" ]
	# at 0.25 everything is one component: nothing to remove
	prob-largest -t 0.25 two.slab > b.slab
	[ "$(slab_f32 b.slab)" = "$(slab_f32 two.slab)" ]
	# no voxel >= 1 but the big blob's; a volume below THR is unchanged
	blob low.slab low "3 3 3" 0.25
	prob-largest low.slab > c.slab
	[ "$(slab_f32 c.slab)" = "$(slab_f32 low.slab)" ]
	# -t 0.5 is the default, --threshold its long name
	prob-largest --threshold=0.5 two.slab | cmp - <(prob-largest two.slab)
}

@test "prob-largest: connectivity 6, 18, 26 and ties" {
	# a big blob (3x3x3 at the origin) and one voxel touching it only across
	# an edge (e.slab: (3, 3, 1) and (2, 2, 1) differ in x and y) or only
	# across a corner (k.slab: (3, 3, 3) and (2, 2, 2) differ in all three)
	blob e.slab e "6 6 6" "($(box 0 3 0 3 0 3) || (x == 3 && y == 3 && z == 1)) ? 1 : 0"
	blob k.slab k "6 6 6" "($(box 0 3 0 3 0 3) || (x == 3 && y == 3 && z == 3)) ? 1 : 0"
	[ "$(prob-largest e.slab | fg -)" = 27 ]
	[ "$(prob-largest -c 6 e.slab | fg -)" = 27 ]
	[ "$(prob-largest -c 18 e.slab | fg -)" = 28 ]
	[ "$(prob-largest --connectivity 26 e.slab | fg -)" = 28 ]
	[ "$(prob-largest -c 18 k.slab | fg -)" = 27 ]
	[ "$(prob-largest -c 26 k.slab | fg -)" = 28 ]
	# a tie: two 2-voxel blobs; the one whose first voxel comes first (row 0)
	# stays, whichever value it holds
	blob t.slab t "4 4 1" "(y == 0 && x >= 2) ? 0.5 : ((y == 3 && x < 2) ? 1 : 0)"
	prob-largest t.slab > t2.slab
	[ "$(slab_f32 t2.slab | awk '{ printf "%s ", $1 + 0 }')" = "0 0 0.5 0.5 0 0 0 0 0 0 0 0 0 0 0 0 " ]
}

@test "prob-largest cleans each slab of a stream on its own" {
	# the second slab: other dims and name; its big blob is at 0.75
	blob s2.slab second "5 5 2" "(y >= 3) ? 0.75 : ((x == 0 && y == 0) ? 1 : 0)" "SOURCE second"
	cat two.slab s2.slab > stream.slab
	prob-largest -o out.slab stream.slab
	[ "$(fg out.slab)" = "27 20" ]
	[ "$(grep -ac '^ENDHDR$' out.slab)" -eq 2 ]
	[ "$(slab-info out.slab | sed -n 's/^name *//p' | paste -sd' ')" = "two second" ]
	[ "$(slab-info out.slab | grep -c 'SOURCE')" -eq 2 ]
	# the same as the slabs cleaned one by one
	cat <(prob-largest two.slab) <(prob-largest s2.slab) | cmp - out.slab
	prob-largest < stream.slab | cmp - out.slab
}

@test "prob-largest agrees with scipy.ndimage.label on random probability maps" {
	have_python "numpy, scipy" || skip "no python3 with numpy and scipy"
	"$PY" - <<'EOF'
import numpy as np
from scipy import ndimage
rng = np.random.default_rng(7)
with open("r.slab", "wb") as f:
    for k, (nz, ny, nx) in enumerate([(13, 20, 24), (9, 11, 7), (1, 30, 30)]):
        v = ndimage.uniform_filter(rng.random((nz, ny, nx)), size=3)
        v = (v - v.min()) / (v.max() - v.min())
        v[rng.random(v.shape) < 0.05] = 0.5   # some exactly on a threshold
        f.write(("SLAB 1\nNAME r%d\nDIMS %d %d %d\nCHANNELS 1\nTYPE f32\nSPACING 1 1 1\nENDHDR\n"
                 % (k, nx, ny, nz)).encode())
        f.write(v.astype("<f4").tobytes())
EOF
	for c in 6 18 26; do
		for t in 0.5 0.6; do
			prob-largest -c $c -t $t -o "o_${c}_$t.slab" r.slab
		done
	done
	"$PY" - <<'EOF'
import numpy as np
from scipy import ndimage

def slabs(path):
    data, pos, out = open(path, "rb").read(), 0, []
    while pos < len(data):
        end = data.index(b"\nENDHDR\n", pos) + 8
        dims = [l for l in data[pos:end].decode().split("\n") if l.startswith("DIMS ")][0]
        nx, ny, nz = map(int, dims.split()[1:])
        n = nx * ny * nz
        out.append(np.frombuffer(data[end:end + 4 * n], "<f4").reshape(nz, ny, nx))
        pos = end + 4 * n
    return out

ins = slabs("r.slab")
checked = removed = 0
for c, rank in ((6, 1), (18, 2), (26, 3)):
    for t in (0.5, 0.6):
        outs = slabs("o_%d_%s.slab" % (c, t))
        assert len(outs) == len(ins)
        for p, o in zip(ins, outs):
            mask = p >= np.float32(t)
            lab, n = ndimage.label(mask, ndimage.generate_binary_structure(3, rank))
            want = p.copy()
            if n:
                sizes = np.bincount(lab.ravel())[1:]
                first = [np.flatnonzero(lab.ravel() == k + 1)[0] for k in range(n)]
                best = min(range(n), key=lambda k: (-sizes[k], first[k])) + 1
                want[mask & (lab != best)] = 0
                removed += int((mask & (lab != best)).sum())
            assert want.tobytes() == o.tobytes(), (c, t, p.shape)
            checked += 1
print("scipy agrees on %d slabs, %d voxels removed" % (checked, removed))
assert removed > 0
EOF
}

@test "prob-largest on 3-class probabilities: per class the largest component of the argmax" {
	load classes_helpers
	# 5x1x2, 3 classes. Argmax z0: 1 1 0 1 2, z1: 2 0 2 2 1. 6-connected,
	# class 1 has {z0 x0-1} (kept), {z0 x3}, {z1 x4}; class 2 {z0 x4}, {z1 x0},
	# {z1 x2-3} (kept); the voxels not kept give p_k to p_0
	probs m "5 1 2" 3 "CLASSES 3" \
		0.25 0.25 0.5 0.25 0.25  0.5 0.5 0.25 0.5 0.25  0.25 0.25 0.25 0.25 0.5 \
		0.25 0.5 0.25 0.25 0.25  0.25 0.25 0.25 0.25 0.5  0.5 0.25 0.5 0.5 0.25 > c.slab
	prob-largest -o o.slab c.slab
	[ "$(header o.slab CLASSES)" = 3 ]
	[ "$(header o.slab CHANNELS)" = 3 ]
	[ "$(samples o.slab f4 | tr '\n' ' ')" = "0.25 0.25 0.5 0.75 0.75 0.5 0.5 0.25 0 0.25 0.25 0.25 0.25 0.25 0 0.75 0.5 0.25 0.25 0.75 0.25 0.25 0.25 0.25 0 0 0.25 0.5 0.5 0.25 " ]
	# 26-connected: class 1 {z0 x3, z1 x4} ties {z0 x0-1} at 2 (the first
	# kept); class 2 z0 x4 joins z1 x3: {z0 x4, z1 x2-3} kept
	prob-largest -c 26 c.slab > o26.slab
	[ "$(samples o26.slab f4 | tr '\n' ' ')" = "0.25 0.25 0.5 0.75 0.25 0.5 0.5 0.25 0 0.25 0.25 0.25 0.25 0.25 0.5 0.75 0.5 0.25 0.25 0.75 0.25 0.25 0.25 0.25 0 0 0.25 0.5 0.5 0.25 " ]
	# -M: the merged foreground (argmax != 0) z0 x0 x1 x3 x4, z1 x0 x2 x3 x4
	# is {z0 x0-1, z1 x0} (3) and {z0 x3-4, z1 x2-4} (5, kept); the 3 give
	# all their p_1 + p_2 to p_0
	prob-largest -M c.slab > om.slab
	[ "$(header om.slab CLASSES)" = 3 ]
	[ "$(samples om.slab f4 | tr '\n' ' ')" = "1 1 0.5 0.25 0.25 0 0 0.25 0.5 0.25 0 0 0.25 0.25 0.5 1 0.5 0.25 0.25 0.25 0 0.25 0.25 0.25 0.5 0 0.25 0.5 0.5 0.25 " ]
	# one channel: -M changes nothing
	probs b "5 1 1" 1 "" 0.75 0.75 0 0.75 0.25 > b.slab
	prob-largest -M b.slab > bm.slab
	prob-largest b.slab > bn.slab
	cmp bm.slab bn.slab
}

@test "prob-largest refuses C-channel input it cannot read, and -t with classes, in one line" {
	load classes_helpers
	probs m "2 1 1" 3 "CLASSES 3" 1 0 0 1 0 0 > c3.slab
	run --separate-stderr prob-largest -t 0.5 -o out.slab c3.slab
	failed_cleanly "-t goes with one-channel probabilities, not 3 classes (slab 1): 'm'"
	no_file out.slab
	probs m "2 1 1" 3 "" 1 0 0 1 0 0 > n3.slab
	run --separate-stderr prob-largest -o out.slab n3.slab
	failed_cleanly "a probability slab has one channel, or one per class with a CLASSES key: '3' in 'm'"
	no_file out.slab
	probs m "2 1 1" 3 "CLASSES 4" 1 0 0 1 0 0 > c4.slab
	run --separate-stderr prob-largest -o out.slab c4.slab
	failed_cleanly "channels differ from CLASSES 4 (want one per class): '3' in 'm'"
	no_file out.slab
	probs m "2 1 1" 1 "CLASSES 3" 1 0 > c1.slab
	run --separate-stderr prob-largest -o out.slab c1.slab
	failed_cleanly "channels differ from CLASSES 3 (want one per class): '1' in 'm'"
	no_file out.slab
}
