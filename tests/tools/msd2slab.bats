#!/usr/bin/env bats
# msd2slab: NIfTI / MSD datasets -> image and label slabs.

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
	# Convert the 221 real hippocampus volumes once (raw intensities, no crop).
	export HIPPO="$SELFLABEL_DATA/Task04_Hippocampus"
	export HIPPO_OUT="$BATS_FILE_TMPDIR/hippo"
	if [ -f "$HIPPO/dataset.json" ]; then
		local s=0
		msd2slab -Z "$HIPPO" "$HIPPO_OUT" 2>"$BATS_FILE_TMPDIR/hippo.err" || s=$?
		echo "$s" > "$BATS_FILE_TMPDIR/hippo.status"
	fi
}

setup() {
	cd "$BATS_TEST_TMPDIR"
	# img: 4x3x2 u8 0..23; lab: same dims, labels 0 1 2 repeating
	mkslab img.slab x 4 3 2 u8 "$(seq_bytes 24)" "0 -1 0 10 1 0 0 -20 0 0 2 30"
	mkslab lab.slab x 4 3 2 u8 "$(printf '\\x%02x' $(for i in $(seq 0 23); do echo $((i % 3)); done) | tr -d ' ')"
	slab2nii -o img.nii.gz img.slab
	slab2nii -o img.nii img.slab
	slab2nii -o lab.nii.gz lab.slab
}


# Nothing under folder $1 (no slab, split, temporary file, nor an empty
# images/ or labels/ folder), and no staging folder $1.tmp.* beside it.
nothing_written() {
	[ -z "$(find "$1" -mindepth 1 2>/dev/null)" ]
	[ -z "$(ls -d "$1".tmp.* 2>/dev/null)" ]
}

@test "msd2slab -h prints usage on stdout" {
	run -0 --separate-stderr msd2slab -h
	[[ "$output" == usage:\ msd2slab* ]]
	[ -z "$stderr" ]
}

@test "msd2slab rejects a bad option, bad numbers and a wrong operand count with exit 2" {
	run -2 --separate-stderr msd2slab -q ds out
	[ -z "$output" ]
	run -2 --separate-stderr msd2slab -c 32 ds out
	[[ "$stderr" == *crop* ]]
	run -2 --separate-stderr msd2slab -r 0x5 ds out
	run -2 --separate-stderr msd2slab -f 2,x ds out
	run -2 --separate-stderr msd2slab -p 70/30 ds out
	run -2 --separate-stderr msd2slab ds
	run -2 --separate-stderr msd2slab -i img.nii.gz a b
	run -2 --separate-stderr msd2slab -m lab.nii.gz out
	[ ! -e out ]
}

@test "msd2slab -i -Z keeps voxel values, dims and the transform" {
	run -0 msd2slab --merge -Z -i img.nii.gz -m lab.nii.gz -n c1 out
	[ "$(hval out/images/c1.slab TYPE)" = f32 ]
	[ "$(hval out/images/c1.slab DIMS)" = "4 3 2" ]
	[ "$(hval out/images/c1.slab NAME)" = c1 ]
	[ "$(hval out/images/c1.slab TRANSFORM)" = "0 -1 0 10 1 0 0 -20 0 0 2 30" ]
	[ "$(hval out/images/c1.slab SPACING)" = "1 1 2" ]
	[ "$(samples out/images/c1.slab f4 | tr '\n' ' ')" = "$(seq 0 23 | tr '\n' ' ')" ]
	[ "$(hval out/labels/c1.slab TYPE)" = u8 ]
	# --merge: every label > 0 is foreground
	[ "$(samples out/labels/c1.slab u1 | tr -d '\n')" = "011011011011011011011011" ]
	[ ! -e out/split.tsv ]
}

@test "msd2slab -f picks which labels are foreground" {
	run -0 msd2slab -Z -f 2 -i img.nii.gz -m lab.nii.gz -n c1 out
	[ "$(samples out/labels/c1.slab u1 | tr -d '\n')" = "001001001001001001001001" ]
	run -0 msd2slab -Z -f 1,2 -i img.nii.gz -m lab.nii.gz -n c1 out
	[ "$(samples out/labels/c1.slab u1 | tr -d '\n')" = "011011011011011011011011" ]
	run -0 msd2slab -Z -f 0-1 -i img.nii.gz -m lab.nii.gz -n c1 out
	[ "$(samples out/labels/c1.slab u1 | tr -d '\n')" = "110110110110110110110110" ]
}

@test "msd2slab standardises each slice: known z-scores, a constant slice becomes zeros" {
	# slice 0: 1 2 3 4 (mean 2.5, sd sqrt(1.25)); slice 1: constant 7
	mkslab s.slab s 2 2 2 u8 '\x01\x02\x03\x04\x07\x07\x07\x07'
	slab2nii -o s.nii.gz s.slab
	run -0 msd2slab -i s.nii.gz out
	samples out/images/s.slab f4 | awk '
		BEGIN { split("-1.3416408 -0.4472136 0.4472136 1.3416408 0 0 0 0", w, " ") }
		{ d = $1 - w[NR]; if (d < -1e-5 || d > 1e-5) bad = 1; n++ }
		END { exit bad || n != 8 }'
}

@test "msd2slab crops and resizes with the transform kept exact" {
	mkslab sq.slab sq 4 4 1 u8 "$(seq_bytes 16)"
	slab2nii -o sq.nii.gz sq.slab
	run -0 msd2slab -Z -c 2x2 -i sq.nii.gz -m sq.nii.gz -f 0-255 out
	[ "$(samples out/images/sq.slab f4 | tr '\n' ' ')" = "5 6 9 10 " ]
	[ "$(hval out/images/sq.slab TRANSFORM)" = "1 0 0 1 0 1 0 1 0 0 1 0" ]
	[ "$(hval out/labels/sq.slab DIMS)" = "2 2 1" ]
	# resize 4x4 -> 2x2: voxel (0,0) samples old (0.5, 0.5): mean of 0 1 4 5
	run -0 msd2slab -Z -r 2x2 -i sq.nii.gz out
	[ "$(samples out/images/sq.slab f4 | tr '\n' ' ')" = "2.5 4.5 10.5 12.5 " ]
	[ "$(hval out/images/sq.slab TRANSFORM)" = "2 0 0 0.5 0 2 0 0.5 0 0 1 0" ]
	[ "$(hval out/images/sq.slab SPACING)" = "2 2 1" ]
	# crop larger than the volume pads with zeros
	run -0 msd2slab -Z -c 6x4 -i sq.nii.gz out
	[ "$(samples out/images/sq.slab f4 | head -6 | tr '\n' ' ')" = "0 0 1 2 3 0 " ]
}

@test "msd2slab reads the image from stdin like the named file, gzip or plain" {
	run -0 msd2slab -i img.nii.gz -n c1 a
	msd2slab -i - -n c1 b <img.nii.gz
	msd2slab -i - -n c1 c <img.nii
	cmp a/images/c1.slab b/images/c1.slab
	cmp a/images/c1.slab c/images/c1.slab
	msd2slab -i - d <img.nii
	[ -f d/images/stdin.slab ]
}

@test "msd2slab fails cleanly on a missing input file" {
	run --separate-stderr msd2slab -i nope.nii.gz out
	failed_cleanly nope.nii.gz
	nothing_written out
}

@test "msd2slab fails cleanly on a truncated .nii.gz" {
	head -c $(($(wc -c <img.nii.gz) - 12)) img.nii.gz >cut.nii.gz
	run --separate-stderr msd2slab -i cut.nii.gz out
	failed_cleanly cut.nii.gz
	[[ "$stderr" == *truncated* ]]
	nothing_written out
	head -c 370 img.nii >cut.nii
	run --separate-stderr msd2slab -i cut.nii out
	failed_cleanly cut.nii
	nothing_written out
}

@test "msd2slab fails cleanly on corrupt gzip data" {
	cp img.nii.gz bad.nii.gz
	patch bad.nii.gz 40 '\xff\xff\xff\xff\xff\xff'
	run --separate-stderr msd2slab -i bad.nii.gz out
	failed_cleanly bad.nii.gz
	[[ "$stderr" == *gzip* ]]
	nothing_written out
}

@test "msd2slab fails cleanly on a bad magic, header size or datatype" {
	cp img.nii m.nii
	patch m.nii 344 'n+9'
	run --separate-stderr msd2slab -i m.nii out
	failed_cleanly m.nii
	[[ "$stderr" == *magic* ]]
	cp img.nii h.nii
	patch h.nii 0 '\x00\x01'
	run --separate-stderr msd2slab -i h.nii out
	failed_cleanly h.nii
	[[ "$stderr" == *sizeof_hdr* ]]
	cp img.nii t.nii
	patch t.nii 70 '\x80\x00'
	run --separate-stderr msd2slab -i t.nii out
	failed_cleanly t.nii
	[[ "$stderr" == *"unsupported datatype: '128'"* ]]
	printf 'not a nifti file at all\n' >text.nii.gz
	run --separate-stderr msd2slab -i text.nii.gz out
	failed_cleanly text.nii.gz
	nothing_written out
}

@test "msd2slab fails cleanly on a NaN voxel and on a fractional label" {
	# f32 image 2x1x1: 1.0 and NaN
	mkslab f.slab f 2 1 1 f32 '\x00\x00\x80\x3f\x00\x00\x80\x3f'
	slab2nii -o f.nii f.slab
	patch f.nii 356 '\x00\x00\xc0\x7f'
	run --separate-stderr msd2slab -i f.nii out
	failed_cleanly f.nii
	[[ "$stderr" == *NaN* ]]
	# label 0.5
	mkslab g.slab g 2 1 1 f32 '\x00\x00\x00\x3f\x00\x00\x80\x3f'
	slab2nii -o g.nii.gz g.slab
	mkslab i2.slab g 2 1 1 u8 '\x01\x02'
	slab2nii -o i2.nii.gz i2.slab
	run --separate-stderr msd2slab -i i2.nii.gz -m g.nii.gz out
	failed_cleanly g.nii.gz
	[[ "$stderr" == *"not a whole number: '0.5'"* ]]
	nothing_written out
}

@test "msd2slab fails cleanly when image and label dims differ, naming both" {
	mkslab small.slab s 4 3 1 u8 "$(seq_bytes 12)"
	slab2nii -o small.nii.gz small.slab
	run --separate-stderr msd2slab -i img.nii.gz -m small.nii.gz out
	failed_cleanly img.nii.gz
	[[ "$stderr" == *small.nii.gz* ]]
	[[ "$stderr" == *4x3x2*4x3x1* ]]
	nothing_written out
}

@test "msd2slab fails cleanly on an unwritable output folder" {
	touch afile
	run --separate-stderr msd2slab -i img.nii.gz afile/out
	failed_cleanly afile/out
	run --separate-stderr msd2slab -i img.nii.gz afile
	failed_cleanly afile
}

# A small MSD dataset of N cases named cNN in folder ds.
make_dataset() {
	local n=$1 i
	mkdir -p ds/imagesTr ds/labelsTr
	{
		printf '{"name": "t", "training": ['
		for ((i = 1; i <= n; i++)); do
			cp img.nii.gz ds/imagesTr/c$(printf %02d $i).nii.gz
			cp lab.nii.gz ds/labelsTr/c$(printf %02d $i).nii.gz
			printf '%s{"image": "./imagesTr/c%02d.nii.gz", "label": "./labelsTr/c%02d.nii.gz"}' \
				"$([ $i = 1 ] || echo ,)" $i $i
		done
		printf '], "numTraining": %d}\n' "$n"
	} >ds/dataset.json
}

@test "msd2slab converts a dataset and writes a seeded 70/15/15 split" {
	make_dataset 20
	run -0 msd2slab -Z ds out
	[ "$(ls out/images | wc -l)" -eq 20 ]
	[ "$(ls out/labels | wc -l)" -eq 20 ]
	# a dataset.json without "labels": the binary mask of --merge
	msd2slab --merge -Z -i ds/imagesTr/c07.nii.gz -m ds/labelsTr/c07.nii.gz -n c07 one
	cmp out/labels/c07.slab one/labels/c07.slab
	cmp out/images/c07.slab one/images/c07.slab
	[ "$(head -1 out/split.tsv)" = "$(printf 'case\tset')" ]
	[ "$(tail -n +2 out/split.tsv | cut -f1 | tr '\n' ' ')" = "$(printf 'c%02d ' $(seq 1 20))" ]
	[ "$(grep -c '	train$' out/split.tsv)" -eq 14 ]
	[ "$(grep -c '	val$' out/split.tsv)" -eq 3 ]
	[ "$(grep -c '	test$' out/split.tsv)" -eq 3 ]
	run -0 msd2slab -Z ds out2
	cmp out/split.tsv out2/split.tsv
	run -0 msd2slab -Z -s 2 ds out3
	run ! cmp -s out/split.tsv out3/split.tsv
	run -0 msd2slab -Z -p 1/1/0 ds out4
	[ "$(grep -c '	train$' out4/split.tsv)" -eq 10 ]
	[ "$(grep -c '	test$' out4/split.tsv)" -eq 0 ]
}

@test "msd2slab writes nothing when a dataset.json entry's file is missing" {
	make_dataset 3
	rm ds/labelsTr/c02.nii.gz
	run --separate-stderr msd2slab ds out
	failed_cleanly ds/labelsTr/c02.nii.gz
	[[ "$stderr" == *missing* ]]
	nothing_written out
}

@test "msd2slab writes nothing when a later case is corrupt" {
	make_dataset 3
	head -c 60 img.nii.gz >ds/imagesTr/c03.nii.gz
	run --separate-stderr msd2slab ds out
	failed_cleanly ds/imagesTr/c03.nii.gz
	nothing_written out
	# an earlier good run's files are left as they were
	make_dataset 3
	run -0 msd2slab ds out
	sum1=$(cat out/images/* out/split.tsv | cksum)
	head -c 60 img.nii.gz >ds/imagesTr/c03.nii.gz
	run -1 msd2slab -Z ds out
	[ "$(cat out/images/* out/split.tsv | cksum)" = "$sum1" ]
	[ -z "$(find out -name '*.tmp.*')" ]
}

@test "msd2slab fails cleanly on a missing or malformed dataset.json" {
	mkdir ds
	run --separate-stderr msd2slab ds out
	failed_cleanly ds
	[[ "$stderr" == *dataset.json* ]]
	printf '{"training": [{"image": "a.nii.gz", "label": "b.nii.gz"},]}\n' >ds/dataset.json
	run --separate-stderr msd2slab ds out
	failed_cleanly ds/dataset.json
	[[ "$stderr" == *"line 1 column"* ]]
	printf '{"training": [{"image": "a.nii.gz"}]}\n' >ds/dataset.json
	run --separate-stderr msd2slab ds out
	failed_cleanly ds/dataset.json
	printf '{"training": "x"}\n' >ds/dataset.json
	run --separate-stderr msd2slab ds out
	failed_cleanly ds/dataset.json
	nothing_written out
}

@test "msd2slab converts all 221 hippocampus volumes: dims and foreground match cases.tsv" {
	[ -f "$HIPPO/cases.tsv" ] || skip "no real data at $HIPPO"
	[ ! -s "$BATS_FILE_TMPDIR/hippo.err" ] || { cat "$BATS_FILE_TMPDIR/hippo.err"; false; }
	[ "$(cat "$BATS_FILE_TMPDIR/hippo.status")" = 0 ]
	[ "$(ls "$HIPPO_OUT"/images | wc -l)" -eq 221 ]
	[ "$(ls "$HIPPO_OUT"/labels | wc -l)" -eq 221 ]
	[ "$(wc -l <"$HIPPO_OUT/split.tsv")" -eq 222 ]
	# one pass over all label slabs: with the 0 bytes deleted, each mask's 1s
	# run into the next header's "SLAB 1" line (masks hold only 0 and 1)
	cat "$HIPPO_OUT"/labels/*.slab | tr -d '\000' | LC_ALL=C awk '
		after { n = $0; sub(/SLAB 1$/, "", n); print name "\t" dims "\t" length(n); after = 0 }
		/^ENDHDR$/ { after = 1 }
		/^NAME / { name = $2 }
		/^DIMS / { dims = $2 "x" $3 "x" $4 }
		END { if (after) print name "\t" dims "\t" 0 }' >got.tsv
	grep -a -m1 '^DIMS ' "$HIPPO_OUT"/images/*.slab |
		sed 's|.*/\(.*\)\.slab:DIMS \(.*\) \(.*\) \(.*\)|\1\t\2x\3x\4|' >imgdims.tsv
	awk -F'\t' 'NR > 1 { print $1 "\t" $2 "x" $3 "x" $4 "\t" $10 + $11 }' "$HIPPO/cases.tsv" | sort >want.tsv
	[ "$(wc -l <want.tsv)" -eq 221 ]
	diff want.tsv <(sort got.tsv)
	diff <(cut -f1,2 want.tsv) <(sort imgdims.tsv)
}

@test "msd2slab keeps hippocampus intensities exactly with -Z (uint8 and float32 images)" {
	[ -f "$HIPPO/cases.tsv" ] || skip "no real data at $HIPPO"
	for c in hippocampus_001 hippocampus_003; do
		want=$(awk -F'\t' -v c=$c '$1 == c { print $7 + 0, $8 + 0 }' "$HIPPO/cases.tsv")
		got=$(samples "$HIPPO_OUT/images/$c.slab" f4 | sort -g | sed -n '1p;$p' | tr '\n' ' ')
		awk -v a="$want" -v b="$got" 'BEGIN { split(a, x, " "); split(b, y, " ");
			exit !((x[1] - y[1])^2 < 1e-6 && ((x[2] - y[2]) / x[2])^2 < 1e-12) }' ||
			{ echo "$c: min max $got, want $want"; false; }
	done
}

@test "msd2slab reads what nibabel writes: NIfTI-1/2, both byte orders, every type, scl, qform, 4-D" {
	/usr/bin/python3 -c 'import nibabel' 2>/dev/null || skip "nibabel not installed for /usr/bin/python3"
	/usr/bin/python3 - <<'PY'
import subprocess, numpy as np, nibabel as nib
def read_slab(p):
    b = open(p, 'rb').read(); i = b.index(b'ENDHDR\n') + 7
    h = dict(l.split(' ', 1) for l in b[:i].decode().splitlines()[1:-1])
    nx, ny, nz = map(int, h['DIMS'].split()); nc = int(h['CHANNELS'])
    t = {'u8': np.uint8, 'f32': '<f4'}[h['TYPE']]
    d = np.frombuffer(b[i:], dtype=t).reshape(nz, nc, ny, nx).transpose(3, 2, 0, 1)
    return h, d  # x, y, z, c
rng = np.random.default_rng(1)
rot = nib.eulerangles.euler2mat(0.3, -0.2, 0.1)
aff = np.eye(4); aff[:3, :3] = rot @ np.diag([0.9, 1.2, 2.0]); aff[:3, 3] = [-10, 20.5, 3]
n = 0
for cls in (nib.Nifti1Image, nib.Nifti2Image):
    for endian in '<>':
        for dt in ('u1', 'i1', 'i2', 'u2', 'i4', 'f4', 'f8'):
            for shape in ((5, 4, 3), (5, 4, 3, 2)):
                for form in ('sform', 'qform'):
                    data = (rng.uniform(-100, 100, shape) if dt[0] in 'if' else rng.uniform(0, 200, shape))
                    data = data.astype(endian + dt)
                    hdr = (nib.Nifti1Header if cls is nib.Nifti1Image else nib.Nifti2Header)(endianness=endian)
                    img = cls(data, None, header=hdr)
                    if form == 'sform':
                        img.set_sform(aff, code=2); img.set_qform(None, code=0)
                    else:
                        img.set_qform(aff, code=1); img.set_sform(None, code=0)
                    if dt == 'i2':
                        img.header.set_slope_inter(0.5, -3)
                    name = 'nb_%d%s%s%d%s' % (n, 'b' if endian == '>' else 'l', dt, len(shape), form)
                    nib.save(img, name + '.nii.gz' if n % 2 else name + '.nii')
                    path = name + ('.nii.gz' if n % 2 else '.nii')
                    subprocess.run(['msd2slab', '-Z', '-i', path, '-n', 'c', 'o_' + name], check=True)
                    back = nib.load(path)
                    h, d = read_slab('o_%s/images/c.slab' % name)
                    want = np.asarray(back.get_fdata(dtype=np.float64), dtype=np.float32)
                    if want.ndim == 3: want = want[..., None]
                    assert d.shape == want.shape, (name, d.shape, want.shape)
                    assert np.array_equal(d, want), name
                    T = np.array(list(map(float, h['TRANSFORM'].split()))).reshape(3, 4)
                    assert np.allclose(T, back.affine[:3], atol=1e-5), (name, T, back.affine)
                    n += 1
print(n, 'files')
PY
}

# ---- sparse annotations, nnU-Net v2, test images, NaN ------------------------

# keep_slices IN OUT Z...: OUT is the one-channel f32 slab IN with every
# z-slice but Z... set to 0.
keep_slices() {
	local in=$1 out=$2 hdr nx ny nz per z keep
	shift 2
	hdr=$(($(grep -a -b -m1 '^ENDHDR$' "$in" | cut -d: -f1) + 7))
	read -r nx ny nz <<<"$(header "$in" DIMS)"
	per=$((nx * ny * 4))
	{
		head -c "$hdr" "$in"
		for ((z = 0; z < nz; z++)); do
			keep=0
			for k; do if [ "$k" = "$z" ]; then keep=1; fi; done
			if [ $keep = 1 ]; then
				tail -c +$((hdr + z * per + 1)) "$in" | head -c "$per"
			else
				head -c "$per" /dev/zero
			fi
		done
	} >"$out"
}

# painted LABEL.nii.gz AXIS I...: rewrite a label file so that only the
# planes I... along AXIS (x or z) keep their values, 0 elsewhere (what a
# user painting a few slices hands over); written by msd2slab and slab2nii.
painted() {
	local f=$1 axis=$2 d
	shift 2
	d=$(mktemp -d "$BATS_TEST_TMPDIR/paint.XXXXXX")
	msd2slab -Z -i "$f" -n p "$d"
	if [ "$axis" = x ]; then
		slab-permute -p zyx -o "$d/a.slab" "$d/images/p.slab"
		keep_slices "$d/a.slab" "$d/b.slab" "$@"
		slab-permute -p zyx -o "$d/c.slab" "$d/b.slab"
	else
		keep_slices "$d/images/p.slab" "$d/c.slab" "$@"
	fi
	slab2nii -o "$f" "$d/c.slab"
}

# slices NZ Z...: the SLICES value of NZ slices with g at Z... and . elsewhere
slices() {
	local nz=$1 z s= k t
	shift
	for ((z = 0; z < nz; z++)); do
		t=.
		for k; do if [ "$k" = "$z" ]; then t=g; fi; done
		s+="${s:+ }$t"
	done
	printf '%s\n' "$s"
}

# slice_u8 SLAB Z: the u8 samples of z-slice Z (one channel), one a line
slice_u8() {
	local per nx ny
	read -r nx ny _ <<<"$(header "$1" DIMS)"
	per=$((nx * ny))
	samples "$1" u1 | sed -n "$(($2 * per + 1)),$((($2 + 1) * per))p"
}

@test "msd2slab --sparse: a label file with only slice 12 painted keeps it and makes the rest 255" {
	phantom -n 1 -d 20,24,35 ph >/dev/null
	msd2slab -Z ph full
	painted ph/labelsTr/phantom_001.nii.gz z 12
	# without --sparse the painted file converts as fully labelled
	msd2slab -Z ph dense
	slab-info dense/labels/phantom_001.slab | grep -qx 'labelled    0-34 (35 of 35)'
	run -0 --separate-stderr msd2slab -Z --sparse ph sp
	[ -z "$stderr" ]
	slab-info sp/labels/phantom_001.slab >info
	grep -qx 'labelled    12 (1 of 35)' info
	grep -qx 'fg_slices   12 (1 of 35)' info
	grep -qx "label_255   $((34 * 20 * 24))" info
	[ "$(header sp/labels/phantom_001.slab SLICES)" = "$(slices 35 12)" ]
	# slice 12 as painted (foreground kept), the image as without --sparse
	[ "$(slice_u8 sp/labels/phantom_001.slab 12 | grep -c 1)" -gt 5 ]
	[ "$(slice_u8 sp/labels/phantom_001.slab 12)" = "$(slice_u8 full/labels/phantom_001.slab 12)" ]
	cmp sp/images/phantom_001.slab dense/images/phantom_001.slab
	# a crop keeps the rule: padding on the painted slice is background, elsewhere 255
	run -0 msd2slab -Z --sparse -c 24x16 ph spc
	[ "$(header spc/labels/phantom_001.slab SLICES)" = "$(slices 35 12)" ]
	[ "$(slice_u8 spc/labels/phantom_001.slab 12 | grep -c 255)" -eq 0 ]
	[ "$(slice_u8 spc/labels/phantom_001.slab 11 | grep -vc 255)" -eq 0 ]
}

@test "msd2slab --sparse: nibabel agrees on the sparse mask and the SOURCE keys" {
	have_python nibabel || skip "nibabel not installed for $PY"
	phantom -n 1 -d 20,24,35 ph >/dev/null
	painted ph/labelsTr/phantom_001.nii.gz z 12 20
	run -0 msd2slab -Z --sparse -f 2 -c 16x32 -r 32x16 ph sp
	"$PY" - ph/labelsTr/phantom_001.nii.gz ph/imagesTr/phantom_001.nii.gz sp/labels/phantom_001.slab \
		sp/images/phantom_001.slab <<'PY'
import sys, numpy as np, nibabel as nib
lab, img = nib.load(sys.argv[1]), nib.load(sys.argv[2])
def read_slab(p):
    b = open(p, 'rb').read(); i = b.index(b'ENDHDR\n') + 7
    h = dict(l.split(' ', 1) for l in b[:i].decode().splitlines()[1:-1])
    nx, ny, nz = map(int, h['DIMS'].split())
    t = {'u8': np.uint8, 'f32': '<f4'}[h['TYPE']]
    return h, np.frombuffer(b[i:], dtype=t).reshape(nz, -1, ny, nx)
for path, src in ((sys.argv[3], lab), (sys.argv[4], img)):
    h, _ = read_slab(path)
    assert list(map(int, h['SOURCE_DIMS'].split())) == list(src.shape[:3]), h['SOURCE_DIMS']
    T = np.array(list(map(float, h['SOURCE_TRANSFORM'].split()))).reshape(3, 4)
    assert np.allclose(T, src.affine[:3], atol=1e-6), (T, src.affine)
# the mask: crop 16x32 around the centre (pad 0), resize to 32x16 by nearest
v = np.asarray(lab.dataobj)
want = np.where(v == 2, 1, 0).astype(np.uint8)
planes = [z for z in range(v.shape[2]) if v[:, :, z].any()]
assert planes == [12, 20], planes
keep = np.zeros(v.shape[2], bool); keep[planes] = True
want[:, :, ~keep] = 255
nx, ny = v.shape[:2]; x0, y0 = (nx - 16) // 2, (ny - 32) // 2
crop = np.full((16, 32, v.shape[2]), 255, np.uint8); crop[:, :, keep] = 0
for x in range(16):
    for y in range(32):
        if 0 <= x + x0 < nx and 0 <= y + y0 < ny:
            crop[x, y] = want[x + x0, y + y0]
xi = [int((i + 0.5) * 16 / 32) for i in range(32)]; yi = [int((j + 0.5) * 32 / 16) for j in range(16)]
res = crop[np.ix_(xi, yi, range(v.shape[2]))]
h, m = read_slab(sys.argv[3])
got = m[:, 0].transpose(2, 1, 0)
assert got.shape == res.shape, (got.shape, res.shape)
assert np.array_equal(got, res), np.argwhere(got != res)[:5]
assert h['SLICES'].split() == ['g' if k else '.' for k in keep]
print('ok', int((res == 1).sum()), 'foreground voxels')
PY
}

@test "msd2slab --sparse: annotations.tsv declares an all-background slice, two slices, an x plane" {
	phantom -n 3 -d 20,24,30 ph >/dev/null
	msd2slab -Z ph full
	painted ph/labelsTr/phantom_001.nii.gz z 12
	painted ph/labelsTr/phantom_002.nii.gz z 8 20
	painted ph/labelsTr/phantom_003.nii.gz x 10
	printf 'case\taxis\tindex\n# slice 3 of 001 was looked at: nothing there\nphantom_001\tz\t3,12\nphantom_003\tx\t10\n' \
		>ph/annotations.tsv
	run -0 --separate-stderr msd2slab -Z --sparse ph sp
	[ -z "$stderr" ]
	# 001: slices 3 (all background) and 12
	[ "$(header sp/labels/phantom_001.slab SLICES)" = "$(slices 30 3 12)" ]
	slab-info -s sp/labels/phantom_001.slab >info1
	grep -qx 'slice       3 fg 0 bg 480 unlabelled 0' info1
	grep -qx 'labelled    3,12 (2 of 30)' info1
	[ "$(slice_u8 sp/labels/phantom_001.slab 12)" = "$(slice_u8 full/labels/phantom_001.slab 12)" ]
	# 002, not in the table: its painted slices
	[ "$(header sp/labels/phantom_002.slab SLICES)" = "$(slices 30 8 20)" ]
	# 003: the x plane 10 crosses every z-slice; the rest is 255
	[ "$(header sp/labels/phantom_003.slab SLICES)" = "$(slices 30 $(seq 0 29))" ]
	slab-info sp/labels/phantom_003.slab | grep -qx "label_255   $((20 * 24 * 30 - 24 * 30))"
	paste <(samples sp/labels/phantom_003.slab u1) <(samples full/labels/phantom_003.slab u1) |
		awk '{ x = (NR - 1) % 20 } x == 10 && $1 != $2 { bad++ } x != 10 && $1 != 255 { bad++ }
		     x == 10 && $1 == 1 { fg++ } END { exit bad || fg < 3 }'
	# --annotations names the same table elsewhere; without --sparse it is only pointed out
	mv ph/annotations.tsv my.tsv
	run -0 msd2slab -Z --sparse --annotations my.tsv ph sp2
	for f in sp/labels/*.slab; do cmp "$f" "sp2/labels/${f##*/}"; done
	cp my.tsv ph/annotations.tsv
	run -0 --separate-stderr msd2slab -Z ph dense
	[[ "$stderr" == *"note: 'ph/annotations.tsv' is read only with --sparse"* ]]
	run -0 msd2slab -Z ph/ dense2
	cmp dense/labels/phantom_003.slab full/labels/phantom_003.slab ||
		slab-info dense/labels/phantom_003.slab | grep -q 'labelled    0-29'
}

# split_channels SLAB C OUT: channel C of a 2-channel f32 slab as a 1-channel slab
split_channel() {
	local in=$1 c=$2 out=$3 hdr nx ny nz per z
	hdr=$(($(grep -a -b -m1 '^ENDHDR$' "$in" | cut -d: -f1) + 7))
	read -r nx ny nz <<<"$(header "$in" DIMS)"
	per=$((nx * ny * 4))
	{
		head -c "$hdr" "$in" | sed 's/^CHANNELS 2$/CHANNELS 1/'
		for ((z = 0; z < nz; z++)); do tail -c +$((hdr + (2 * z + c) * per + 1)) "$in" | head -c "$per"; done
	} >"$out"
}

# twins: an MSD folder ms (3 cases, 2 channels, phantom_003 also as a test
# image) and its nnU-Net v2 twin nn (per-channel files, the same voxels).
twins() {
	local c k
	phantom -n 3 -c 2 -d 16,20,7 ms >/dev/null
	mkdir -p ms/imagesTs nn/imagesTr nn/labelsTr nn/imagesTs
	cp ms/imagesTr/phantom_003.nii.gz ms/imagesTs/new_001.nii.gz
	sed -i 's|"test": \[\]|"test": ["./imagesTs/new_001.nii.gz"]|' ms/dataset.json
	for c in phantom_001 phantom_002 phantom_003; do
		msd2slab -Z -i ms/imagesTr/$c.nii.gz -n $c t
		for k in 0 1; do
			split_channel t/images/$c.slab $k t/$c.$k.slab
			slab2nii -o nn/imagesTr/${c}_000$k.nii.gz t/$c.$k.slab
		done
		cp ms/labelsTr/$c.nii.gz nn/labelsTr/
	done
	cp nn/imagesTr/phantom_003_0000.nii.gz nn/imagesTs/new_001_0000.nii.gz
	cp nn/imagesTr/phantom_003_0001.nii.gz nn/imagesTs/new_001_0001.nii.gz
	cat >nn/dataset.json <<-'J'
	{"channel_names": {"0": "a", "1": "b"}, "labels": {"background": 0, "head": 1, "tail": 2},
	 "numTraining": 3, "file_ending": ".nii.gz", "name": "twin"}
	J
}

@test "msd2slab reads an nnU-Net v2 folder (2 channels) as its MSD twin" {
	twins
	run -0 msd2slab -c 16x16 -s 3 ms a
	run -0 msd2slab -c 16x16 -s 3 nn b
	[ "$(ls b/images | wc -l)" -eq 3 ]
	[ "$(header b/images/phantom_002.slab CHANNELS)" = 2 ]
	for f in a/images/*.slab a/labels/*.slab; do cmp "$f" "b/${f#a/}"; done
	cmp a/split.tsv b/split.tsv
	[ "$(cut -f1,2 b/sources.tsv | tr '\t\n' ': ')" = "case:set phantom_001:tr phantom_002:tr phantom_003:tr " ]
	[ "$(col b/sources.tsv phantom_002 image)" = "$PWD/nn/imagesTr/phantom_002_0000.nii.gz" ]
	[ "$(col b/sources.tsv phantom_002 label)" = "$PWD/nn/labelsTr/phantom_002.nii.gz" ]
	[ "$(col a/sources.tsv phantom_002 image)" = "$PWD/ms/imagesTr/phantom_002.nii.gz" ]
	# a missing channel file, a numTraining that disagrees, a file_ending not NIfTI
	mv nn/imagesTr/phantom_002_0001.nii.gz x.nii.gz
	run --separate-stderr msd2slab nn c
	failed_cleanly nn/imagesTr/phantom_002_0001.nii.gz
	mv x.nii.gz nn/imagesTr/phantom_002_0001.nii.gz
	sed -i 's/"numTraining": 3/"numTraining": 4/' nn/dataset.json
	run --separate-stderr msd2slab nn c
	failed_cleanly numTraining
	sed -i 's/"numTraining": 4/"numTraining": 3/; s/"\.nii\.gz"/".mha"/' nn/dataset.json
	run --separate-stderr msd2slab nn c
	failed_cleanly "'.mha'"
	nothing_written c
}

@test "msd2slab --test-images converts the test images as the training images, without labels" {
	twins
	run -0 msd2slab -c 16x16 -r 32x32 --test-images ms a
	run -0 msd2slab -c 16x16 -r 32x32 --test-images nn b
	[ "$(ls a/imagesTs)" = new_001.slab ]
	[ ! -e a/labels/new_001.slab ]
	cmp a/imagesTs/new_001.slab b/imagesTs/new_001.slab
	msd2slab -c 16x16 -r 32x32 -i ms/imagesTs/new_001.nii.gz one
	cmp a/imagesTs/new_001.slab one/images/new_001.slab
	# the split holds the training cases only; sources.tsv the test image too
	[ "$(tail -n +2 a/split.tsv | cut -f1 | tr '\n' ' ')" = "phantom_001 phantom_002 phantom_003 " ]
	[ "$(tail -1 a/sources.tsv)" = "$(printf 'new_001\tts\t%s\t-' "$PWD/ms/imagesTs/new_001.nii.gz")" ]
	[ "$(tail -1 b/sources.tsv)" = "$(printf 'new_001\tts\t%s\t-' "$PWD/nn/imagesTs/new_001_0000.nii.gz")" ]
	# without the option, no imagesTs and no ts rows
	run -0 msd2slab -c 16x16 -r 32x32 ms c
	[ ! -e c/imagesTs ]
	[ "$(grep -c '	ts	' c/sources.tsv || true)" -eq 0 ]
	# no test images: an error
	sed -i 's|"test": \["./imagesTs/new_001.nii.gz"\]|"test": []|' ms/dataset.json
	run --separate-stderr msd2slab --test-images ms d
	failed_cleanly 'test'
	rm nn/imagesTs/*
	run --separate-stderr msd2slab --test-images nn d
	failed_cleanly imagesTs
	nothing_written d
}

@test "msd2slab --nan zero or min replaces NaN and infinite voxels with a count, refuses by default" {
	# f32 image 4x1x1: 1, NaN, 3, -inf
	mkslab f.slab f 4 1 1 f32 '\x00\x00\x80\x3f\x00\x00\x80\x3f\x00\x00\x40\x40\x00\x00\x40\x40'
	slab2nii -o f.nii f.slab
	patch f.nii 356 '\x00\x00\xc0\x7f'
	patch f.nii 364 '\x00\x00\x80\xff'
	run --separate-stderr msd2slab -Z -i f.nii out
	failed_cleanly NaN
	run --separate-stderr msd2slab -Z --nan refuse -i f.nii out
	failed_cleanly f.nii
	nothing_written out
	run -0 --separate-stderr msd2slab -Z --nan zero -i f.nii out
	[ "$stderr" = "msd2slab: f: 2 NaN or infinite voxels set to 0" ]
	[ "$(samples out/images/f.slab f4 | tr '\n' ' ')" = "1 0 3 0 " ]
	run -0 --separate-stderr msd2slab -Z --nan min -i f.nii out
	[ "$stderr" = "msd2slab: f: 2 NaN or infinite voxels set to the volume's minimum" ]
	[ "$(samples out/images/f.slab f4 | tr '\n' ' ')" = "1 1 3 1 " ]
	# a clean image prints nothing
	run -0 --separate-stderr msd2slab -Z --nan min -i img.nii.gz out
	[ -z "$stderr" ]
	# nothing finite at all: min has nothing to take
	mkslab g.slab g 1 1 1 f32 '\x00\x00\x80\x3f'
	slab2nii -o g.nii g.slab
	patch g.nii 352 '\x00\x00\xc0\x7f'
	run --separate-stderr msd2slab --nan min -i g.nii out2
	failed_cleanly g.nii
	nothing_written out2
}

@test "msd2slab --nan zero reads nibabel's resampled_anat_moved.nii, NaN count as numpy's" {
	have_python nibabel || skip "nibabel not installed for $PY"
	f=$("$PY" -c 'import nibabel, os; print(os.path.join(os.path.dirname(nibabel.__file__), "tests", "data", "resampled_anat_moved.nii"))')
	[ -f "$f" ] || skip "no $f"
	run --separate-stderr msd2slab -Z -i "$f" out
	failed_cleanly NaN
	n=$("$PY" -c 'import sys, numpy as np, nibabel as nib; print(int((~np.isfinite(nib.load(sys.argv[1]).get_fdata())).sum()))' "$f")
	[ "$n" -gt 0 ]
	run -0 --separate-stderr msd2slab -Z --nan zero -i "$f" out
	[ "$stderr" = "msd2slab: resampled_anat_moved: $n NaN or infinite voxels set to 0" ]
	[ "$(header out/images/resampled_anat_moved.slab SOURCE_DIMS)" = "$(header out/images/resampled_anat_moved.slab DIMS)" ]
}

@test "msd2slab --sparse: bad input fails with one line and writes nothing" {
	phantom -n 3 -d 12,14,10 ph >/dev/null
	painted ph/labelsTr/phantom_001.nii.gz z 4
	painted ph/labelsTr/phantom_002.nii.gz z 5
	painted ph/labelsTr/phantom_003.nii.gz z 6
	# a training case with nothing painted and not in the table
	painted ph/labelsTr/phantom_002.nii.gz z 99
	run --separate-stderr msd2slab --sparse ph out
	failed_cleanly "'phantom_002'"
	[[ "$stderr" == *"no annotated slice"* ]]
	nothing_written out
	# ... declared in the table: fine
	printf 'phantom_002\tz\t0\n' >ph/annotations.tsv
	run -0 msd2slab --sparse ph ok
	[ "$(header ok/labels/phantom_002.slab SLICES)" = "$(slices 10 0)" ]
	# the table: an unknown case, an index out of range, a bad axis, a duplicate
	printf 'phantom_002\tz\t0\nphantom_009\tz\t1\n' >ph/annotations.tsv
	run --separate-stderr msd2slab --sparse ph out
	failed_cleanly "line 2: unknown case"
	printf 'phantom_002\tz\t0\nphantom_001\ty\t14\n' >ph/annotations.tsv
	run --separate-stderr msd2slab --sparse ph out
	failed_cleanly "line 2: y index out of range 0..13 for case 'phantom_001': '14'"
	printf 'phantom_002\tk\t0\n' >ph/annotations.tsv
	run --separate-stderr msd2slab --sparse ph out
	failed_cleanly "line 1: bad axis"
	printf 'phantom_002\tz\t0\nphantom_002\tz\t1,0\n' >ph/annotations.tsv
	run --separate-stderr msd2slab --sparse ph out
	failed_cleanly "declared twice"
	run --separate-stderr msd2slab --sparse --annotations nope.tsv ph out
	failed_cleanly nope.tsv
	nothing_written out
	# a label of another shape than its image
	printf 'phantom_002\tz\t0\n' >ph/annotations.tsv
	mkslab small.slab s 12 14 9 u8 "$(seq_bytes $((12 * 14 * 9)))"
	slab2nii -o ph/labelsTr/phantom_003.nii.gz small.slab
	run --separate-stderr msd2slab --sparse ph out
	failed_cleanly ph/labelsTr/phantom_003.nii.gz
	[[ "$stderr" == *12x14x10*12x14x9* ]]
	nothing_written out
}

@test "msd2slab rejects --annotations without --sparse, --sparse -i without -m, --test-images with -i, a bad --nan" {
	run -2 --separate-stderr msd2slab --annotations a.tsv ds out
	[[ "$stderr" == *"--annotations needs --sparse"* ]]
	run -2 --separate-stderr msd2slab --sparse -i img.nii.gz out
	[[ "$stderr" == *"--sparse needs a label file"* ]]
	run -2 --separate-stderr msd2slab --test-images -i img.nii.gz out
	run -2 --separate-stderr msd2slab --nan nan ds out
	[[ "$stderr" == *--nan* ]]
	[ ! -e out ]
}

@test "msd2slab records the source grid on every slab: SOURCE_DIMS and SOURCE_TRANSFORM" {
	run -0 msd2slab -Z -c 2x2 -r 3x5 -i img.nii.gz -m lab.nii.gz -n c1 out
	for f in out/images/c1.slab out/labels/c1.slab; do
		[ "$(header $f DIMS)" = "3 5 2" ]
		[ "$(header $f SOURCE_DIMS)" = "4 3 2" ]
	done
	# each its own file's transform (lab.nii.gz has none: the voxel sizes)
	[ "$(header out/images/c1.slab SOURCE_TRANSFORM)" = "0 -1 0 10 1 0 0 -20 0 0 2 30" ]
	[ "$(header out/images/c1.slab TRANSFORM)" = "0 -0.4 0 10.3 0.6666666666666666 0 0 -19.166666666666668 0 0 2 30" ]
	[ "$(header out/labels/c1.slab SOURCE_TRANSFORM)" = "1 0 0 0 0 1 0 0 0 0 1 0" ]
	# without crop or resize they repeat DIMS and TRANSFORM; -i with --sparse works too
	run -0 msd2slab --sparse -i img.nii.gz -m lab.nii.gz out2
	[ "$(header out2/labels/img.slab SOURCE_TRANSFORM)" = "$(header out2/labels/img.slab TRANSFORM)" ]
	[ "$(header out2/labels/img.slab SLICES)" = "g g" ]
}

@test "msd2slab refuses dataset.json paths outside the dataset folder unless --outside" {
	mkdir -p ds/imagesTr ds/labelsTr
	cp img.nii.gz ds/imagesTr/a.nii.gz
	cp img.nii.gz ds/labelsTr/a.nii.gz
	cp img.nii.gz outer.nii.gz
	for lab in "$PWD/outer.nii.gz" "../outer.nii.gz" "./labelsTr/../../outer.nii.gz"; do
		printf '{"training": [{"image": "./imagesTr/a.nii.gz", "label": "%s"}]}\n' "$lab" > ds/dataset.json
		run --separate-stderr msd2slab ds out
		failed_cleanly "outside the dataset folder"
		[[ "$stderr" == *"'$lab'" ]]
		[ ! -e out ]
	done
	# --outside lets them through; an inside path with a dotted name is fine anyway
	run -0 msd2slab --outside -p 100/0/0 ds out
	[ -f out/labels/a.slab ]
	cp img.nii.gz ds/labelsTr/a..b.nii.gz
	printf '{"training": [{"image": "./imagesTr/a.nii.gz", "label": "./labelsTr/a..b.nii.gz"}]}\n' > ds/dataset.json
	run -0 msd2slab -p 100/0/0 ds out2
}

# one_case DS IMAGE: dataset folder DS with one training case whose image
# and label files are imagesTr/IMAGE and labelsTr/IMAGE
one_case() {
	mkdir -p "$1/imagesTr" "$1/labelsTr"
	cp img.nii.gz "$1/imagesTr/$2"
	cp lab.nii.gz "$1/labelsTr/$2"
	printf '{"training": [{"image": "imagesTr/%s", "label": "labelsTr/%s"}]}\n' \
		"$(printf '%s' "$2" | sed 's/\\/\\\\/g; s/"/\\"/g')" \
		"$(printf '%s' "$2" | sed 's/\\/\\\\/g; s/"/\\"/g')" > "$1/dataset.json"
}

@test "msd2slab refuses case names the pipeline's makefiles cannot carry, with one line naming the case" {
	local n=0 name
	for name in 'a;b' 'a|b' 'a>b' 'a b' 'a$b' "a'b" 'a"b' 'a`b' 'a%b' 'a:b' 'a#b' 'a=b' 'a*b' \
	            'a\b' 'a,b' '-a' '.a' 'a&b'; do
		n=$((n + 1))
		one_case "ds$n" "$name.nii.gz"
		run --separate-stderr msd2slab -p 100/0/0 "ds$n" "out$n"
		failed_cleanly "bad case name"
		[[ "$stderr" == *"'$name'" ]]
		nothing_written "out$n"
	done
	# an image file named just .nii.gz gives an empty name: refused, no hidden case
	one_case dsh .nii.gz
	run --separate-stderr msd2slab -p 100/0/0 dsh outh
	failed_cleanly "bad case name from 'imagesTr/.nii.gz'"
	nothing_written outh
	# -i with -n: the same rule
	run --separate-stderr msd2slab -i img.nii.gz -n 'x;y' outi
	failed_cleanly "bad case name"
	nothing_written outi
	# the allowed characters: letters, digits, . _ + -
	one_case dsok 'Case_01.a+b-c.nii.gz'
	run -0 msd2slab -p 100/0/0 dsok outok
	[ -f outok/images/Case_01.a+b-c.slab ]
}

@test "msd2slab never waits on a FIFO named in dataset.json, nor reads a huge dataset.json whole" {
	make_dataset 2
	rm ds/labelsTr/c02.nii.gz
	mkfifo ds/labelsTr/c02.nii.gz
	run --separate-stderr timeout 20 msd2slab ds out
	failed_cleanly ds/labelsTr/c02.nii.gz
	nothing_written out
	# a FIFO as the dataset.json itself, and a 10 GB sparse one
	mkdir ds2
	mkfifo ds2/dataset.json
	run --separate-stderr timeout 20 msd2slab ds2 out
	failed_cleanly ds2/dataset.json
	rm ds/labelsTr/c02.nii.gz
	make_dataset 2
	truncate -s 10G ds/dataset.json
	run --separate-stderr timeout 20 msd2slab ds out
	failed_cleanly "text file larger than the limit of 67108864 bytes (SELFLABEL_MAX_BYTES/64): 'ds/dataset.json'"
	nothing_written out
}

@test "msd2slab: SELFLABEL_MAX_BYTES lowers the voxel limit; a bad value is refused in one line" {
	# img is 4x3x2 = 24 voxels; 64K allows 16384: a 32x32x17 volume is one slice too many
	{ slab_header big "32 32 17" 1 u8; head -c $((32 * 32 * 17)) /dev/zero; } > big.slab
	slab2nii -o big.nii.gz big.slab
	run --separate-stderr env SELFLABEL_MAX_BYTES=64K msd2slab -i big.nii.gz out
	failed_cleanly "more voxels than the limit of 16384 per volume (SELFLABEL_MAX_BYTES/4): '32 32 17 1'"
	nothing_written out
	run -0 env SELFLABEL_MAX_BYTES=68K msd2slab -i big.nii.gz out
	[ -f out/images/big.slab ]
	run --separate-stderr env SELFLABEL_MAX_BYTES=lots msd2slab -i big.nii.gz out2
	failed_cleanly "SELFLABEL_MAX_BYTES: want a size of 64K..256T"
}

@test "msd2slab replaces a previous conversion whole, refuses a folder with other files, -i adds a case" {
	make_dataset 3
	msd2slab ds out
	make_dataset 2
	rm ds/imagesTr/c03.nii.gz ds/labelsTr/c03.nii.gz
	msd2slab ds out
	# the old c03 went with the old conversion
	[ "$(ls out/images)" = "$(printf 'c01.slab\nc02.slab')" ]
	[ "$(ls out/labels)" = "$(printf 'c01.slab\nc02.slab')" ]
	[ "$(ls -d out.* 2>/dev/null)" = "" ]
	# a folder that holds anything else is refused, untouched
	echo mine > out/notes.txt
	sum1=$(find out -type f | sort | xargs cat | cksum)
	run --separate-stderr msd2slab ds out
	failed_cleanly notes.txt
	[ "$(find out -type f | sort | xargs cat | cksum)" = "$sum1" ]
	run --separate-stderr msd2slab ds .
	failed_cleanly "'.'"
	# -i adds its case to an existing folder, and makes a new one
	msd2slab -i img.nii.gz -m lab.nii.gz -n extra out
	[ -f out/images/extra.slab ]
	[ -f out/labels/extra.slab ]
	[ -f out/notes.txt ]
	msd2slab -i img.nii.gz -n solo new/deep
	[ "$(ls new/deep)" = images ]
	[ -z "$(ls -a new | grep '\.tmp\.')" ]
	# an output folder given through a symbolic link: the link stays
	mkdir real
	ln -s real/conv link
	msd2slab ds link
	[ -L link ]
	[ -f real/conv/split.tsv ]
	msd2slab ds link/
	[ -L link ]
	[ -z "$(ls -a real | grep '\.tmp\.')" ]
}

@test "msd2slab stopped by SIGTERM leaves nothing; after a kill -9 the next run removes the staging folder" {
	mkfifo slow
	# the image comes from stdin, which stays open: msd2slab waits mid-conversion
	msd2slab -i - -n s out < slow &
	pid=$!
	exec 5> slow
	for i in $(seq 100); do [ -n "$(ls -d out.tmp.* 2>/dev/null)" ] && break; sleep 0.05; done
	[ -n "$(ls -d out.tmp.* 2>/dev/null)" ]
	kill -TERM "$pid"
	s=0
	wait "$pid" || s=$?
	exec 5>&-
	[ "$s" -eq 143 ]
	nothing_written out
	[ ! -e out ]
	# a previous conversion stays whole when a new one is stopped
	make_dataset 2
	msd2slab ds out
	sum1=$(find out -type f | sort | xargs cat | cksum)
	msd2slab -i - -n s out < slow &
	pid=$!
	exec 5> slow
	for i in $(seq 100); do [ -n "$(ls -d out.tmp.* 2>/dev/null)" ] && break; sleep 0.05; done
	kill -KILL "$pid"
	wait "$pid" || true
	exec 5>&-
	[ "$(ls -d "out.tmp.$pid."* | wc -l)" -eq 1 ]
	[ "$(find out -type f | sort | xargs cat | cksum)" = "$sum1" ]
	msd2slab ds out
	[ -z "$(ls -d out.* 2>/dev/null)" ]
	[ "$(find out -type f | sort | xargs cat | cksum)" = "$sum1" ]
}

# ---- label maps ----------------------------------------------------------------

# A one-case MSD dataset ds3 of img/lab with the "labels" object $1.
labelled_dataset() {
	rm -rf ds3
	mkdir -p ds3/imagesTr ds3/labelsTr
	cp img.nii.gz ds3/imagesTr/c01.nii.gz
	cp "${2:-lab.nii.gz}" ds3/labelsTr/c01.nii.gz
	printf '{"training": [{"image": "./imagesTr/c01.nii.gz", "label": "./labelsTr/c01.nii.gz"}], "labels": %s}\n' \
		"$1" >ds3/dataset.json
}

@test "msd2slab keeps the labels as classes in dataset.json's order, names with white space made _" {
	labelled_dataset '{"0": "background", "1": "Anterior part", "2": "Posterior"}'
	run -0 --separate-stderr msd2slab -Z ds3 out
	[ "$(hval out/labels/c01.slab CLASSES)" = 3 ]
	[ "$(hval out/labels/c01.slab CLASS_NAMES)" = "background Anterior_part Posterior" ]
	[ -z "$(hval out/labels/c01.slab CLASS_VALUES)" ]
	[ "$(samples out/labels/c01.slab u1 | tr -d '\n')" = "012012012012012012012012" ]
	slab-info out/labels/c01.slab | grep -qx 'class       1 value 1 name Anterior_part voxels 8'
	# listed in another order: class 1 is value 2
	labelled_dataset '{"0": "bg", "2": "P", "1": "A"}'
	run -0 msd2slab -Z ds3 out
	[ "$(hval out/labels/c01.slab CLASS_NAMES)" = "bg P A" ]
	[ "$(hval out/labels/c01.slab CLASS_VALUES)" = "0 2 1" ]
	[ "$(samples out/labels/c01.slab u1 | tr -d '\n')" = "021021021021021021021021" ]
	# nnU-Net v2's form, name: value
	rm -rf nn && mkdir -p nn/imagesTr nn/labelsTr
	cp img.nii.gz nn/imagesTr/c01_0000.nii.gz
	cp lab.nii.gz nn/labelsTr/c01.nii.gz
	echo '{"channel_names": {"0": "t"}, "labels": {"background": 0, "two": 2, "one": 1}, "file_ending": ".nii.gz"}' >nn/dataset.json
	run -0 msd2slab -Z nn out
	[ "$(hval out/labels/c01.slab CLASS_NAMES)" = "background two one" ]
	[ "$(hval out/labels/c01.slab CLASS_VALUES)" = "0 2 1" ]
	# --merge and -f: today's binary mask whatever the labels
	run -0 msd2slab -Z --merge nn out
	[ -z "$(hval out/labels/c01.slab CLASSES)" ]
	[ "$(samples out/labels/c01.slab u1 | tr -d '\n')" = "011011011011011011011011" ]
	run -0 msd2slab -Z -f 2 ds3 out
	[ "$(samples out/labels/c01.slab u1 | tr -d '\n')" = "001001001001001001001001" ]
}

@test "msd2slab: two classes give exactly the binary mask of --merge" {
	mkslab l2.slab x 4 3 2 u8 "$(printf '\\x%02x' $(for i in $(seq 0 23); do echo $((i % 3 == 1)); done) | tr -d ' ')"
	slab2nii -o l2.nii.gz l2.slab
	labelled_dataset '{"0": "background", "1": "tumour"}' l2.nii.gz
	msd2slab -Z ds3 a >/dev/null
	msd2slab -Z --merge ds3 b >/dev/null
	cmp a/labels/c01.slab b/labels/c01.slab
	# and -i -m on a 0/1 file, with or without --merge
	msd2slab -Z -i img.nii.gz -m l2.nii.gz -n c01 c >/dev/null
	cmp a/labels/c01.slab c/labels/c01.slab
}

@test "msd2slab -i -m without dataset.json: the classes are 0 then the values found, sorted" {
	# labels 0 5 9 (not consecutive): classes 0 1 2 with CLASS_VALUES 0 5 9
	mkslab l3.slab x 4 3 2 u8 "$(printf '\\x%02x' $(for i in $(seq 0 23); do v=(0 9 5); echo ${v[i % 3]}; done) | tr -d ' ')"
	slab2nii -o l3.nii.gz l3.slab
	run -0 msd2slab -Z -i img.nii.gz -m l3.nii.gz -n c1 out
	[ "$(hval out/labels/c1.slab CLASSES)" = 3 ]
	[ "$(hval out/labels/c1.slab CLASS_VALUES)" = "0 5 9" ]
	[ -z "$(hval out/labels/c1.slab CLASS_NAMES)" ]
	[ "$(samples out/labels/c1.slab u1 | tr -d '\n')" = "021021021021021021021021" ]
	run -0 msd2slab -Z -i img.nii.gz -m lab.nii.gz -n c1 out
	[ "$(samples out/labels/c1.slab u1 | tr -d '\n')" = "012012012012012012012012" ]
	[ -z "$(hval out/labels/c1.slab CLASS_VALUES)" ]
	# crop padding is background, resize nearest: the classes stay
	run -0 msd2slab -Z -c 6x3 -r 3x3 -i img.nii.gz -m l3.nii.gz -n c1 cr
	[ "$(hval cr/labels/c1.slab CLASS_VALUES)" = "0 5 9" ]
	[ "$(samples cr/labels/c1.slab u1 | sort -nu | tr '\n' ' ')" = "0 1 2 " ]
}

@test "msd2slab --sparse keeps the classes on the annotated planes, 255 elsewhere" {
	# slice 0 unpainted, slice 1 values 0 3 7
	mkslab sp.slab x 4 3 2 u8 "$(printf '\\x%02x' $(for i in $(seq 0 23); do v=(0 3 7); [ $i -lt 12 ] && echo 0 || echo ${v[i % 3]}; done) | tr -d ' ')"
	slab2nii -o sp.nii.gz sp.slab
	run -0 msd2slab -Z --sparse -i img.nii.gz -m sp.nii.gz -n c1 out
	[ "$(hval out/labels/c1.slab CLASS_VALUES)" = "0 3 7" ]
	[ "$(samples out/labels/c1.slab u1 | tr '\n' ' ')" = "$(printf '255 %.0s' $(seq 12))0 1 2 0 1 2 0 1 2 0 1 2 " ]
	# back to NIfTI: the source values, unlabelled written as background
	slab2nii -o back.nii out/labels/c1.slab
	cmp <(tail -c 24 back.nii) <(zcat sp.nii.gz | tail -c 24)
}

@test "msd2slab refuses a label value dataset.json does not list and malformed labels, writing nothing" {
	labelled_dataset '{"0": "background", "1": "Anterior"}'
	run --separate-stderr msd2slab -Z ds3 out
	failed_cleanly "'2'"
	[[ "$stderr" == *'not in dataset.json'* ]]
	nothing_written out
	# --merge converts it as before
	run -0 msd2slab -Z --merge ds3 out
	labelled_dataset '{"1": "Anterior", "0": "background", "2": "P"}'
	run --separate-stderr msd2slab -Z ds3 out2
	failed_cleanly "first entry"
	labelled_dataset '{"0": "background", "1": "A", "01": "B"}'
	run --separate-stderr msd2slab -Z ds3 out2
	failed_cleanly "twice"
	labelled_dataset '{"0": "background", "1": "A", "2": "a"}'
	run -0 msd2slab -Z ds3 out4
	labelled_dataset '{"0": "background", "1": "A", "2.5": "B"}'
	run --separate-stderr msd2slab -Z ds3 out2
	failed_cleanly "whole number"
	labelled_dataset '{"0": "background", "1": "A", "2": ""}'
	run --separate-stderr msd2slab -Z ds3 out2
	failed_cleanly "1..63 bytes"
	labelled_dataset '{"0": "background"}'
	run --separate-stderr msd2slab -Z ds3 out2
	failed_cleanly "2..255 entries"
	labelled_dataset '["background", "A"]'
	run --separate-stderr msd2slab -Z ds3 out2
	failed_cleanly "labels"
	rm -rf nn && mkdir -p nn/imagesTr nn/labelsTr
	cp img.nii.gz nn/imagesTr/c01_0000.nii.gz
	cp lab.nii.gz nn/labelsTr/c01.nii.gz
	echo '{"channel_names": {"0": "t"}, "labels": {"background": 0, "fg": [1, 2]}, "file_ending": ".nii.gz"}' >nn/dataset.json
	run --separate-stderr msd2slab -Z nn out2
	failed_cleanly "region"
	nothing_written out2
	run -0 msd2slab -Z --merge nn out2
	# -i -m: a negative label value
	mkslab neg.slab x 2 1 1 f32 '\x00\x00\x80\x3f\x00\x00\x80\xbf'
	slab2nii -o neg.nii.gz neg.slab
	run --separate-stderr msd2slab -Z -i img.nii.gz -m neg.nii.gz -n c1 out3
	failed_cleanly "dims differ"
	run --separate-stderr msd2slab -Z -i neg.nii.gz -m neg.nii.gz -n c1 out3
	failed_cleanly "outside 0..32767"
	run -0 msd2slab -Z --merge -i neg.nii.gz -m neg.nii.gz -n c1 out3
}
