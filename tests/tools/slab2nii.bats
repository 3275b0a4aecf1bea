#!/usr/bin/env bats
# slab2nii: slab -> NIfTI-1 keeping the voxel-to-world transform.

bats_require_minimum_version 1.5.0
load helpers

setup() {
	cd "$BATS_TEST_TMPDIR"
	# 2x1x1 i16 holding 1 and -1 (the example of formats/slab.md)
	mkslab a.slab a 2 1 1 i16 '\x01\x00\xff\xff' "0 -1.5 0 12.25 0.75 0 0 -7 0 0 2.5 33"
}


# little-endian integer of N bytes at OFFSET in FILE (od type: d2, d4, f4 ...)
at() {
	od -An -j "$2" -N "$3" -t "$4" "$1" | awk '{ print $1 + 0 }'
}

@test "slab2nii -h prints usage on stdout" {
	run -0 --separate-stderr slab2nii -h
	[[ "$output" == usage:\ slab2nii* ]]
	[ -z "$stderr" ]
}

@test "slab2nii rejects a bad option and two inputs with exit 2" {
	run -2 --separate-stderr slab2nii -x a.slab
	[ -z "$output" ]
	run -2 --separate-stderr slab2nii a.slab a.slab
	[ -z "$output" ]
}

@test "slab2nii writes a known NIfTI-1 header and data (plain .nii)" {
	run -0 slab2nii -o a.nii a.slab
	[ "$(wc -c <a.nii)" -eq 356 ]
	[ "$(at a.nii 0 4 d4)" -eq 348 ]     # sizeof_hdr
	[ "$(at a.nii 40 2 d2)" -eq 3 ]      # dim[0]
	[ "$(at a.nii 42 2 d2)" -eq 2 ]      # dim[1]
	[ "$(at a.nii 70 2 d2)" -eq 4 ]      # datatype int16
	[ "$(at a.nii 72 2 d2)" -eq 16 ]     # bitpix
	[ "$(at a.nii 108 4 f4)" = 352 ]     # vox_offset
	[ "$(at a.nii 252 2 d2)" -eq 1 ]     # qform_code
	[ "$(at a.nii 254 2 d2)" -eq 1 ]     # sform_code
	[ "$(od -An -j 280 -N 48 -t f4 a.nii | awk '{ for (i = 1; i <= NF; i++) printf "%s ", $i + 0 }')" = \
	  "0 -1.5 0 12.25 0.75 0 0 -7 0 0 2.5 33 " ]
	[ "$(od -An -j 344 -N 4 -c a.nii | tr -d ' ')" = 'n+1\0' ]
	[ "$(od -An -j 352 -t d2 a.nii | awk '{ print $1, $2 }')" = "1 -1" ]
}

@test "slab2nii reads stdin like the named file and writes stdout like -o" {
	slab2nii -o b.nii.gz a.slab
	slab2nii <a.slab >c.nii.gz
	cmp b.nii.gz c.nii.gz
	slab2nii - >d.nii.gz <a.slab
	cmp b.nii.gz d.nii.gz
	[ "$(zcat b.nii.gz | cmp - <(slab2nii -o - a.slab | zcat) && echo same)" = same ]
}

@test "slab2nii round trip: slab -> nii -> slab keeps data and transform, for every type" {
	for t in u8 i16 f32; do
		case $t in
		u8) b='\x00\x07\xff\x10\x20\x30' od=u1 ;;
		i16) b='\x00\x80\xff\x7f\x01\x00\x02\x00\x03\x00\x04\x00' od=d2 ;;
		# 1, -2.5, pi, 0, the largest float, 2.35e-38
		f32) b='\x00\x00\x80\x3f\x00\x00\x20\xc0\xdb\x0f\x49\x40\x00\x00\x00\x00\xff\xff\x7f\x7f\x00\x00\x00\x01' od=f4 ;;
		esac
		mkslab r.slab r 3 1 2 $t "$b" "0 0 -2 5 1.25 0 0 -3 0 0.5 0 4"
		slab2nii -o r.nii.gz r.slab
		rm -rf out
		msd2slab -Z -i r.nii.gz -n r out
		[ "$(hval out/images/r.slab TRANSFORM)" = "0 0 -2 5 1.25 0 0 -3 0 0.5 0 4" ]
		[ "$(hval out/images/r.slab SPACING)" = "1.25 0.5 2" ]
		[ "$(samples out/images/r.slab f4 | tr '\n' ' ')" = "$(samples r.slab $od | tr '\n' ' ')" ]
		# back to NIfTI: the same quaternion, offsets and sform bytes as before
		slab2nii -o r1.nii r.slab
		slab2nii -o r2.nii out/images/r.slab
		[ "$(od -An -j 76 -N 16 -t x1 r1.nii)" = "$(od -An -j 76 -N 16 -t x1 r2.nii)" ]
		[ "$(od -An -j 252 -N 76 -t x1 r1.nii)" = "$(od -An -j 252 -N 76 -t x1 r2.nii)" ]
	done
}

@test "slab2nii writes channels as the 4th dimension" {
	{
		printf 'SLAB 1\nNAME m\nDIMS 2 1 2\nCHANNELS 2\nTYPE u8\nSPACING 1 1 1\nENDHDR\n'
		# z0: c0 = 1 2, c1 = 3 4; z1: c0 = 5 6, c1 = 7 8
		printf '\x01\x02\x03\x04\x05\x06\x07\x08'
	} >m.slab
	run -0 slab2nii -o m.nii m.slab
	[ "$(at m.nii 40 2 d2)" -eq 4 ]
	[ "$(at m.nii 48 2 d2)" -eq 2 ]
	# NIfTI order x, y, z, t: t0 = 1 2 5 6, t1 = 3 4 7 8
	[ "$(od -An -j 352 -t u1 m.nii | awk '{ $1 = $1; print }')" = "1 2 5 6 3 4 7 8" ]
	msd2slab -Z -i m.nii out
	[ "$(hval out/images/m.slab CHANNELS)" = 2 ]
	[ "$(samples out/images/m.slab f4 | tr '\n' ' ')" = "1 2 3 4 5 6 7 8 " ]
}

@test "slab2nii fails cleanly on a missing input file" {
	run --separate-stderr slab2nii -o out.nii.gz nope.slab
	failed_cleanly nope.slab
	[ ! -e out.nii.gz ]
}

@test "slab2nii fails cleanly on a truncated slab" {
	head -c $(($(wc -c <a.slab) - 1)) a.slab >cut.slab
	run --separate-stderr slab2nii -o out.nii.gz cut.slab
	failed_cleanly cut.slab
	[ ! -e out.nii.gz ]
	[ -z "$(ls | grep tmp)" ]
}

@test "slab2nii fails cleanly on a malformed slab header and on a stream of two slabs" {
	sed 's/^DIMS 2 1 1/DIMS 2 x 1/' a.slab >bad.slab
	run --separate-stderr slab2nii -o out.nii.gz bad.slab
	failed_cleanly bad.slab
	[[ "$stderr" == *DIMS* ]]
	cat a.slab a.slab >two.slab
	run --separate-stderr slab2nii -o out.nii.gz two.slab
	failed_cleanly two.slab
	run --separate-stderr slab2nii bad.slab
	failed_cleanly bad.slab
	[ ! -e out.nii.gz ]
}

@test "slab2nii fails cleanly on an unwritable output folder" {
	touch afile
	run --separate-stderr slab2nii -o afile/out.nii.gz a.slab
	failed_cleanly afile/out.nii.gz
}

@test "slab2nii: nibabel reads the written file with the source's affine and data" {
	/usr/bin/python3 -c 'import nibabel' 2>/dev/null || skip "nibabel not installed for /usr/bin/python3"
	src="$SELFLABEL_DATA/Task04_Hippocampus/imagesTr/hippocampus_003.nii.gz"
	if [ ! -f "$src" ]; then
		phantom -n 1 -d 9,8,7 -c 2 ph
		src=ph/imagesTr/phantom_001.nii.gz
	fi
	msd2slab -Z -i "$src" -n c out
	slab2nii -o back.nii.gz out/images/c.slab
	# a cropped and resized one must still lie over the source
	msd2slab -Z -c 6x6 -r 9x5 -i "$src" -n c cr
	slab2nii -o crop.nii.gz cr/images/c.slab
	/usr/bin/python3 - "$src" back.nii.gz crop.nii.gz <<'EOF'
import sys, numpy as np, nibabel as nib
a, b, c = (nib.load(p) for p in sys.argv[1:4])
assert np.allclose(a.affine, b.affine, atol=1e-5), (a.affine, b.affine)
assert np.allclose(b.header.get_qform(), a.affine, atol=1e-5)
assert np.array_equal(a.get_fdata(dtype=np.float32), b.get_fdata(dtype=np.float32))
# the centre of crop voxel (0,0,0) maps to the world point of the source
# position it was sampled from: crop offset then half-pixel resize
nx, ny = a.shape[:2]
x0, y0 = (nx - 6) // 2, (ny - 6) // 2
fx, fy = 6 / 9, 6 / 5
src_vox = np.array([x0 + 0.5 * fx - 0.5, y0 + 0.5 * fy - 0.5, 0, 1])
assert np.allclose(c.affine @ [0, 0, 0, 1], a.affine @ src_vox, atol=1e-4)
assert np.allclose(c.header.get_qform(), c.affine, atol=1e-4)
EOF
}
