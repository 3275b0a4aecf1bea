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


# No slab, split or temporary file anywhere under folder $1.
nothing_written() {
	[ -z "$(find "$1" -type f 2>/dev/null)" ]
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
	run -0 msd2slab -Z -i img.nii.gz -m lab.nii.gz -n c1 out
	[ "$(hval out/images/c1.slab TYPE)" = f32 ]
	[ "$(hval out/images/c1.slab DIMS)" = "4 3 2" ]
	[ "$(hval out/images/c1.slab NAME)" = c1 ]
	[ "$(hval out/images/c1.slab TRANSFORM)" = "0 -1 0 10 1 0 0 -20 0 0 2 30" ]
	[ "$(hval out/images/c1.slab SPACING)" = "1 1 2" ]
	[ "$(samples out/images/c1.slab f4 | tr '\n' ' ')" = "$(seq 0 23 | tr '\n' ' ')" ]
	[ "$(hval out/labels/c1.slab TYPE)" = u8 ]
	# default foreground: every label > 0
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
	msd2slab -Z -i ds/imagesTr/c07.nii.gz -m ds/labelsTr/c07.nii.gz -n c07 one
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
