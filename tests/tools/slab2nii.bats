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

@test "slab2nii refuses a transform NIfTI-1's float fields cannot hold, instead of writing inf" {
	# found by fuzzing: a slab read from a NIfTI-2 file (doubles) can carry
	# 1e200; written as float it became inf, which every NIfTI reader refuses
	mkslab big.slab bigcase 2 1 1 i16 '\x01\x00\xff\xff' "1e200 0 0 0 0 1 0 0 0 0 1 0"
	run --separate-stderr slab2nii -o out.nii big.slab
	failed_cleanly bigcase
	[[ "$stderr" == *1e+200* ]]
	[ ! -e out.nii ]
	mkslab far.slab farcase 2 1 1 i16 '\x01\x00\xff\xff' "1 0 0 -4e38 0 1 0 0 0 0 1 0"
	run --separate-stderr slab2nii -o - far.slab
	failed_cleanly farcase
	# the largest float still goes, and reads back
	mkslab max.slab m 2 1 1 i16 '\x01\x00\xff\xff' "1 0 0 3.4e38 0 1 0 0 0 0 1 0"
	slab2nii -o max.nii max.slab
	msd2slab -Z -i max.nii -n m out
	[ "$(header out/images/m.slab DIMS)" = "2 1 1" ]
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

# ---- slab2nii -g: back onto the scan's grid ------------------------------

# An oblique grid (rotations of 20 degrees about z and 10 about x, voxels
# 0.9 x 1.1 x 1.5 mm), for references that are not axis-aligned.
OBLIQUE="0.845723 -0.376222 0 -20.5 0.303142 1.01796 -0.260472 12.25 0.0534521 0.179494 1.47721 -30"

# set_key IN OUT KEY VALUE: IN with its header key KEY set to VALUE (the line
# replaced, or added before ENDHDR).
set_key() {
	local off
	off=$(grep -a -b -m1 '^ENDHDR$' "$1" | cut -d: -f1)
	{
		head -c "$off" "$1" | grep -a -v "^$3 "
		printf '%s %s\nENDHDR\n' "$3" "$4"
		tail -c +$((off + 8)) "$1"
	} >"$2"
}

# mkref: a phantom case on an oblique grid: ref.nii (its label, f32 0/1/2,
# qform_code 2 and sform_code 4, like a scanner file), img.nii (its image,
# same grid) and orig.slab (the label as a u8 0/1 slab, as msd2slab reads it).
mkref() {
	local f
	phantom -n 1 -d 36,52,20 ph >/dev/null
	msd2slab -Z -i ph/labelsTr/phantom_001.nii.gz -n lab p
	msd2slab -Z -i ph/imagesTr/phantom_001.nii.gz -n img p
	for f in lab img; do
		set_key "p/images/$f.slab" "$f.slab" TRANSFORM "$OBLIQUE"
	done
	slab2nii -o ref.nii lab.slab
	slab2nii -o img.nii img.slab
	patch ref.nii 252 '\x02\x00\x04\x00'
	patch img.nii 252 '\x02\x00\x04\x00'
	msd2slab --merge -i img.nii -m ref.nii -n o full
	cp full/labels/o.slab orig.slab
}

# stype FILE: od's type for the samples of a slab (u1 or f4)
stype() {
	case $(header "$1" TYPE) in u8) echo u1 ;; f32) echo f4 ;; *) echo d2 ;; esac
}

# nii_slab NII SLAB: a NIfTI read by the project's reader (msd2slab -Z -i)
nii_slab() {
	rm -rf nii_slab.d
	msd2slab -Z -i "$1" -n x nii_slab.d
	mv nii_slab.d/images/x.slab "$2"
}

# agree A B: "DSC agreement" of two masks (slabs of any type, foreground > 0)
agree() {
	paste <(samples "$1" "$(stype "$1")") <(samples "$2" "$(stype "$2")") | awk '
		{ a = $1 > 0; b = $2 > 0; tp += a && b; fa += a; fb += b; same += a == b; n++ }
		END { printf "%.4f %.5f\n", fa + fb ? 2 * tp / (fa + fb) : 1, same / n }'
}

# same_grid A.nii B.nii: the header fields that place the voxels are the same
# bytes in both (plain NIfTI-1): dims, pixdim, xyzt_units, qform and sform
# codes and parameters; and the project's reader gives the same DIMS and
# TRANSFORM.
same_grid() {
	local r
	for r in "42 6" "76 32" "123 1" "252 92"; do
		set -- "$1" "$2" $r
		[ "$(od -An -v -j "$3" -N "$4" -tx1 "$1")" = "$(od -An -v -j "$3" -N "$4" -tx1 "$2")" ] ||
			{ echo "bytes $3..+$4 differ: $1 vs $2"; return 1; }
	done
	nii_slab "$1" g1.slab
	nii_slab "$2" g2.slab
	[ "$(header g1.slab DIMS)" = "$(header g2.slab DIMS)" ] || { echo "DIMS differ"; return 1; }
	[ "$(header g1.slab TRANSFORM)" = "$(header g2.slab TRANSFORM)" ] || { echo "TRANSFORM differs"; return 1; }
}

@test "slab2nii -g: crop-only round trips give the labels back exactly inside the crop window" {
	mkref
	# smaller than the 36x52 volume (window x 6..29, y 6..45), and larger (padding)
	for c in 24x40 48x64 36x20; do
		rm -rf s
		msd2slab --merge -c "$c" -i img.nii -m ref.nii -n c s
		slab2nii -g ref.nii -o back.nii s/labels/c.slab
		same_grid ref.nii back.nii
		[ "$(at back.nii 70 2 d2)" -eq 2 ]   # uint8
		nii_slab back.nii back.slab
		w=${c%x*} h=${c#*x}
		x0=$(((36 - w) / 2)) y0=$(((52 - h) / 2))
		[ "$w" -lt 36 ] || x0=0 w=36
		[ "$h" -lt 52 ] || y0=0 h=52
		paste <(samples orig.slab u1) <(samples back.slab f4) | awk -v x0="$x0" -v y0="$y0" -v w="$w" -v h="$h" '
			{ x = (NR - 1) % 36; y = int((NR - 1) / 36) % 52
			  inside = x >= x0 && x < x0 + w && y >= y0 && y < y0 + h
			  if ($2 != (inside ? $1 : 0)) { print "voxel " NR - 1 ": " $1 " -> " $2; bad++ }
			  fg += inside && $1 }
			END { if (bad || !fg) exit 1 }'
		# the image (f32, trilinear) too, bit for bit, edges included
		msd2slab -Z -c "$c" -i img.nii -n i s
		slab2nii -g img.nii -o iback.nii s/images/i.slab
		nii_slab img.nii iorig.slab
		nii_slab iback.nii iback.slab
		paste <(samples iorig.slab f4) <(samples iback.slab f4) | awk -v x0="$x0" -v y0="$y0" -v w="$w" -v h="$h" '
			{ x = (NR - 1) % 36; y = int((NR - 1) / 36) % 52
			  inside = x >= x0 && x < x0 + w && y >= y0 && y < y0 + h
			  if ($2 != (inside ? $1 : 0)) bad++; if (inside && $1 != 0) nz++ }
			END { if (bad) print bad " image voxels differ"; exit !(bad == 0 && nz > 0) }'
	done
}

@test "slab2nii -g: crop + resize round trips land on the source grid and agree with the labels" {
	mkref
	# up and down, whole and fractional factors: DSC against the original
	# labels (measured on this seeded phantom: 1, 1, 1, 0.921, 0.881, 0.871,
	# 0.786; voxel agreement 1 .. 0.989): upsampling loses nothing,
	# downsampling what the coarser grid cannot hold
	while read -r c r dsc; do
		rm -rf s
		msd2slab --merge -c "$c" -r "$r" -i img.nii -m ref.nii -n c s
		slab2nii -g ref.nii -o back.nii s/labels/c.slab
		same_grid ref.nii back.nii
		nii_slab back.nii back.slab
		read -r d a <<<"$(agree orig.slab back.slab)"
		echo "-c $c -r $r: DSC $d agreement $a (want DSC >= $dsc)"
		awk -v d="$d" -v m="$dsc" 'BEGIN { exit !(d >= m) }'
	done <<-EOF
		36x52 72x104 1
		24x40 48x80 1
		36x52 54x78 1
		36x52 27x39 0.91
		48x64 32x32 0.87
		36x52 18x26 0.86
		36x52 12x13 0.77
	EOF
}

@test "slab2nii -g -t: probabilities resampled then thresholded, not thresholded then resampled" {
	mkref
	# soft probabilities on a coarse grid: the 0/1 label resized bilinearly
	slab2nii -o bin.nii orig.slab
	msd2slab -Z -c 36x52 -r 18x26 -i bin.nii -n p pr
	slab2nii -g ref.nii -o prob.nii pr/images/p.slab
	same_grid ref.nii prob.nii
	[ "$(at prob.nii 70 2 d2)" -eq 16 ]   # float32
	slab2nii -g ref.nii -t 0.5 -o after.nii pr/images/p.slab
	same_grid ref.nii after.nii
	[ "$(at after.nii 70 2 d2)" -eq 2 ]
	# -t is p >= THR on the resampled probabilities, voxel for voxel
	nii_slab prob.nii prob.slab
	nii_slab after.nii after.slab
	paste <(samples prob.slab f4) <(samples after.slab f4) | awk '($1 >= 0.5) != $2 { bad++ } END { exit bad > 0 }'
	# thresholded on the coarse grid first, then put back (nearest)
	threshold-filter -t 0.5 -o thr.slab pr/images/p.slab
	slab2nii -g ref.nii -o before.nii thr.slab
	nii_slab before.nii before.slab
	read -r da _ <<<"$(agree orig.slab after.slab)"
	read -r db _ <<<"$(agree orig.slab before.slab)"
	echo "DSC against the labels: resample then threshold $da, threshold then resample $db"
	# measured: 0.9769 and 0.9028; the boundary of the first follows the
	# p = 0.5 surface between coarse voxels, the second keeps their blocks
	awk -v a="$da" -v b="$db" 'BEGIN { exit !(a >= 0.97 && a >= b + 0.05) }'
	# without -g, -t thresholds on the slab's own grid
	slab2nii -t 0.5 -o coarse.nii pr/images/p.slab
	[ "$(at coarse.nii 70 2 d2)" -eq 2 ]
	nii_slab coarse.nii coarse.slab
	[ "$(samples coarse.slab f4 | tr '\n' ' ')" = "$(samples thr.slab u1 | tr '\n' ' ')" ]
}

@test "slab2nii -g --overlay copies the painted planes verbatim" {
	mkref
	rm -rf s
	msd2slab --merge -c 36x52 -r 12x13 -i img.nii -m ref.nii -n c s
	slab2nii -g ref.nii -o plain.nii s/labels/c.slab
	slab2nii -g ref.nii --overlay ref.nii --overlay-planes z:3,9-10 --overlay-planes x:17 \
		-o over.nii s/labels/c.slab
	same_grid ref.nii over.nii
	nii_slab ref.nii ref.slab
	nii_slab plain.nii plain.slab
	nii_slab over.nii over.slab
	# on z 3, 9, 10 and x 17 the label's own values (0/1/2), elsewhere the
	# resampled mask; and the planes were not already right without it
	paste <(samples ref.slab f4) <(samples plain.slab f4) <(samples over.slab f4) | awk '
		{ x = (NR - 1) % 36; z = int((NR - 1) / (36 * 52))
		  on = z == 3 || z == 9 || z == 10 || x == 17
		  if ($3 != (on ? $1 : $2)) bad++
		  if (on && $1 != $2) fixed++; if (on && $1 == 2) two++ }
		END { if (bad) print bad " voxels wrong"; exit !(bad == 0 && fixed > 10 && two > 0) }'
	# default planes: the z-planes where the label holds any non-zero voxel;
	# a label painted on z 9 only (made by slab2nii -g itself: 255 -> 0)
	slice-extract -k 9 -o one.slab orig.slab
	slab2nii -g ref.nii -o painted.nii one.slab
	slab2nii -g ref.nii --overlay painted.nii -o over9.nii s/labels/c.slab
	nii_slab over9.nii over9.slab
	paste <(samples orig.slab u1) <(samples plain.slab f4) <(samples over9.slab f4) | awk '
		{ z = int((NR - 1) / (36 * 52)); want = z == 9 ? $1 : $2
		  if ($3 != want) bad++; if (z == 9 && $1 != $2) fixed++ }
		END { exit !(bad == 0 && fixed > 0) }'
}

@test "slab2nii -g: a 4-D reference and a one-channel slab give the 3-D grid of its volumes" {
	phantom -n 1 -d 20,24,10 -c 2 ph4
	msd2slab --merge -c 16x16 -i ph4/imagesTr/phantom_001.nii.gz -m ph4/labelsTr/phantom_001.nii.gz -n c s
	zcat ph4/imagesTr/phantom_001.nii.gz >ref4.nii
	[ "$(at ref4.nii 40 2 d2)" -eq 4 ]
	[ "$(at ref4.nii 48 2 d2)" -eq 2 ]
	slab2nii -g ref4.nii -o m.nii s/labels/c.slab
	[ "$(at m.nii 40 2 d2)" -eq 3 ]      # dim[0]
	[ "$(at m.nii 48 2 d2)" -eq 1 ]      # dim[4]
	[ "$(od -An -j 42 -N 6 -tx1 m.nii)" = "$(od -An -j 42 -N 6 -tx1 ref4.nii)" ]
	[ "$(od -An -j 76 -N 16 -tx1 m.nii)" = "$(od -An -j 76 -N 16 -tx1 ref4.nii)" ]
	[ "$(od -An -j 252 -N 92 -tx1 m.nii)" = "$(od -An -j 252 -N 92 -tx1 ref4.nii)" ]
	# as many channels as volumes: the reference's 4-D dims; other counts refused
	slab2nii -g ref4.nii -o i.nii s/images/c.slab
	[ "$(od -An -j 40 -N 16 -tx1 i.nii)" = "$(od -An -j 40 -N 16 -tx1 ref4.nii)" ]
	cat s/images/c.slab >three.slab
	set_key three.slab three.slab.tmp CHANNELS 3
	head -c $(($(wc -c <three.slab.tmp) + 16 * 16 * 10 * 4)) <(cat three.slab.tmp /dev/zero) >three.slab
	run --separate-stderr slab2nii -g ref4.nii -o bad.nii three.slab
	failed_cleanly channels
	no_file bad.nii
}

@test "slab2nii -g: SOURCE_DIMS must be the reference's dims; without it any grid goes" {
	mkref
	rm -rf s
	msd2slab --merge -c 24x40 -i img.nii -m ref.nii -n c s
	set_key s/labels/c.slab good.slab SOURCE_DIMS "36 52 20"
	slab2nii -g ref.nii -o good.nii good.slab
	slab2nii -g ref.nii -o none.nii s/labels/c.slab
	cmp good.nii none.nii
	set_key s/labels/c.slab other.slab SOURCE_DIMS "36 52 21"
	run --separate-stderr slab2nii -g ref.nii -o out.nii other.slab
	failed_cleanly "SOURCE_DIMS"
	[[ $stderr == *ref.nii* ]]
	no_file out.nii
	set_key s/labels/c.slab bad.slab SOURCE_DIMS "36 x 20"
	run --separate-stderr slab2nii -g ref.nii -o out.nii bad.slab
	failed_cleanly "SOURCE_DIMS"
	no_file out.nii
}

@test "slab2nii -g fails cleanly on a missing, truncated or malformed reference" {
	mkref
	rm -rf s
	msd2slab --merge -c 24x40 -i img.nii -m ref.nii -n c s
	gzip -c ref.nii >ref.nii.gz
	head -c 200 ref.nii >short.nii
	head -c $(($(wc -c <ref.nii.gz) - 30)) ref.nii.gz >cut.nii.gz
	cp ref.nii magic.nii
	patch magic.nii 344 'x+1'
	echo "not a nifti" >text.nii
	for r in nope.nii short.nii cut.nii.gz magic.nii text.nii; do
		run --separate-stderr slab2nii -g "$r" -o out.nii.gz s/labels/c.slab
		failed_cleanly "$r"
		no_file out.nii.gz
	done
	# a label of other dims (on the same grid), on another grid (the
	# phantom's own axis-aligned one), or with a value a u8 mask cannot hold
	slice-extract -r 0:19 -o short.slab orig.slab
	slab2nii -o short.nii short.slab
	run --separate-stderr slab2nii -g ref.nii --overlay short.nii -o out.nii.gz s/labels/c.slab
	failed_cleanly "short.nii"
	[[ $stderr == *dims* ]]
	no_file out.nii.gz
	slab2nii -o moved.nii p/images/lab.slab
	run --separate-stderr slab2nii -g ref.nii --overlay moved.nii -o out.nii.gz s/labels/c.slab
	failed_cleanly "moved.nii"
	[[ $stderr == *"another grid"* ]]
	no_file out.nii.gz
	run --separate-stderr slab2nii -g ref.nii --overlay img.nii -o out.nii.gz s/labels/c.slab
	failed_cleanly "does not fit"
	no_file out.nii.gz
	# -t on a mask
	run --separate-stderr slab2nii -g ref.nii -t 0.5 -o out.nii.gz s/labels/c.slab
	failed_cleanly "f32"
	no_file out.nii.gz
}

@test "slab2nii: bad --overlay-planes and options that need others exit 2, nothing written" {
	mkref
	rm -rf s
	msd2slab --merge -c 24x40 -i img.nii -m ref.nii -n c s
	for p in w:3 z z: z3 z:1,,2 z:-1 z:3-1 "z:1 2" :4; do
		run --separate-stderr slab2nii -g ref.nii --overlay ref.nii --overlay-planes "$p" -o out.nii s/labels/c.slab
		failed_cleanly -s 2 "${p#*:}"
		no_file out.nii
	done
	run --separate-stderr slab2nii -g ref.nii --overlay ref.nii --overlay-planes z:1 --overlay-planes z:2 \
		-o out.nii s/labels/c.slab
	failed_cleanly -s 2 "twice"
	# out of range of the reference's grid (z has 20 planes, x 36)
	for p in z:20 x:5,36; do
		run --separate-stderr slab2nii -g ref.nii --overlay ref.nii --overlay-planes "$p" -o out.nii s/labels/c.slab
		failed_cleanly "${p#*:}"
		no_file out.nii
	done
	run --separate-stderr slab2nii --overlay ref.nii -o out.nii s/labels/c.slab
	failed_cleanly -s 2 "needs -g"
	run --separate-stderr slab2nii -g ref.nii --overlay-planes z:3 -o out.nii s/labels/c.slab
	failed_cleanly -s 2 "needs --overlay"
	run --separate-stderr slab2nii -g ref.nii -t 1.5 -o out.nii s/labels/c.slab
	failed_cleanly -s 2 "1.5"
	no_file out.nii
}

@test "slab2nii -g: nibabel sees the reference's shape, affines and codes (NIfTI-1 and 2 written by nibabel)" {
	have_python nibabel || skip "nibabel not installed for $PY"
	# references written by another program: sform (code 2) and qform
	# (code 1) that differ, big-endian, NIfTI-1 and NIfTI-2, a 4-D one
	"$PY" - <<-'PYEOF'
	import numpy as np, nibabel as nib
	rng = np.random.default_rng(3)
	lab = np.zeros((30, 34, 12), np.int16)
	xx, yy, zz = np.mgrid[:30, :34, :12]
	lab[(xx - 14) ** 2 + (yy - 17) ** 2 < 60 + 4 * zz] = 1
	lab[(xx - 14) ** 2 + (yy - 17) ** 2 < 12] = 2
	th = 0.3
	s = np.array([[0.9 * np.cos(th), -1.1 * np.sin(th), 0.1, -30.2],
	              [0.9 * np.sin(th), 1.1 * np.cos(th), 0, 11.7],
	              [0, 0.05, 2.2, -5.5], [0, 0, 0, 1]])
	q = s.copy(); q[:3, 3] += [0.5, -0.25, 1]
	for cls, name in ((nib.Nifti1Image, "r1"), (nib.Nifti2Image, "r2")):
	    for data, suffix in ((lab, ""), (np.stack([lab, lab], -1).astype(np.float32), "4")):
	        img = cls(data, None)
	        img.set_sform(s, code=2)
	        img.set_qform(q, code=1)
	        img.header.set_xyzt_units("mm", "sec")
	        if name == "r1" and not suffix:
	            img = cls(data, None, img.header.as_byteswapped(">"))
	        nib.save(img, name + suffix + ".nii.gz")
	PYEOF
	for r in r1 r2 r14 r24; do
		rm -rf s
		if [ "${#r}" -eq 2 ]; then
			msd2slab -c 24x40 -r 40x48 -i "$r.nii.gz" -m "$r.nii.gz" -n c s
		else
			msd2slab -c 24x40 -r 40x48 -i "$r.nii.gz" -m "${r%4}.nii.gz" -n c s
		fi
		slab2nii -g "$r.nii.gz" -o "back$r.nii.gz" s/labels/c.slab
	done
	"$PY" - <<-'PYEOF'
	import numpy as np, nibabel as nib
	for r in ("r1", "r2", "r14", "r24"):
	    a, b = nib.load(r + ".nii.gz"), nib.load("back" + r + ".nii.gz")
	    assert type(a) is type(b), (r, type(a), type(b))
	    assert b.shape == a.shape[:3], (r, a.shape, b.shape)
	    ha, hb = a.header, b.header
	    for k in ("pixdim", "qform_code", "sform_code", "quatern_b", "quatern_c", "quatern_d",
	              "qoffset_x", "qoffset_y", "qoffset_z", "srow_x", "srow_y", "srow_z", "xyzt_units"):
	        va, vb = np.asarray(ha[k]), np.asarray(hb[k])
	        if k == "pixdim":
	            va, vb = va[:4], vb[:4]
	        assert va.tobytes() == vb.astype(va.dtype).tobytes() and np.array_equal(va, vb), (r, k, va, vb)
	    assert np.array_equal(a.affine, b.affine), (r, a.affine, b.affine)
	    assert np.array_equal(a.get_qform(), b.get_qform()), r
	    assert np.array_equal(a.get_sform(), b.get_sform()), r
	    assert b.get_data_dtype() == np.uint8
	    # the round trip (crop 24x40 of 30x34, resized to 40x48) against the labels
	    lab = np.asarray(nib.load(r[:2] + ".nii.gz").dataobj) > 0
	    got = np.asarray(b.dataobj) > 0
	    dsc = 2 * (lab & got).sum() / (lab.sum() + got.sum())
	    print(r, "DSC %.4f" % dsc)
	    assert dsc > 0.95, (r, dsc)
	PYEOF
}

# ---- label maps with classes -------------------------------------------------

@test "slab2nii: label values 0 3 7 -> slab (CLASS_VALUES) -> NIfTI gives 0 3 7 back, also with -g" {
	# a 4x3x2 label volume holding 0, 3 and 7 (not consecutive), and 255 nowhere
	mkslab v.slab v 4 3 2 u8 "$(v=(0 3 7); printf '\\x%02x' $(for i in $(seq 0 23); do echo ${v[$(( (i + i / 4) % 3 ))]}; done))" \
		"1 0 0 -2 0 1 0 3 0 0 2 1"
	samples v.slab u1 | sort -nu | tr '\n' ' ' >vals
	[ "$(cat vals)" = "0 3 7 " ]
	slab2nii -o v.nii.gz v.slab
	msd2slab -Z -i v.nii.gz -m v.nii.gz -n v s >/dev/null
	[ "$(hval s/labels/v.slab CLASSES)" = 3 ]
	[ "$(hval s/labels/v.slab CLASS_VALUES)" = "0 3 7" ]
	[ "$(samples s/labels/v.slab u1 | sort -nu | tr '\n' ' ')" = "0 1 2 " ]
	slab2nii -o back.nii s/labels/v.slab
	[ "$(at back.nii 70 2 d2)" -eq 2 ]   # datatype u8
	cmp <(tail -c 24 back.nii) <(zcat v.nii.gz | tail -c 24)
	slab2nii -g v.nii.gz -o g.nii s/labels/v.slab
	cmp <(tail -c 24 g.nii) <(zcat v.nii.gz | tail -c 24)
	# a value above 255: written as i16
	mkslab w.slab w 2 1 1 u8 '\x00\x02' 
	printf 'SLAB 1\nNAME w\nDIMS 3 1 1\nCHANNELS 1\nTYPE u8\nSPACING 1 1 1\nCLASSES 3\nCLASS_VALUES 0 300 7\nENDHDR\n\x02\x01\x00' >w.slab
	slab2nii -o w.nii w.slab
	[ "$(at w.nii 70 2 d2)" -eq 4 ]      # datatype i16
	[ "$(od -An -j 352 -t d2 w.nii | tr -s ' ' | sed 's/^ //')" = "7 300 0" ]
	have_python nibabel || skip "nibabel not installed for $PY (the rest checked)"
	"$PY" - back.nii g.nii v.nii.gz <<'PYEOF'
import sys, numpy as np, nibabel as nib
a, b, src = (nib.load(p) for p in sys.argv[1:4])
for im in (a, b):
    assert im.get_data_dtype() == np.uint8, im.get_data_dtype()
    assert np.array_equal(np.asarray(im.dataobj), np.asarray(src.dataobj))
    assert np.allclose(im.affine, src.affine)
assert sorted(np.unique(np.asarray(a.dataobj))) == [0, 3, 7]
PYEOF
}

# q.slab: 6x1x1 probabilities of classes 0 1 2 (values 0 3 7): argmax 0 1 2 2 0 1,
# voxels 0 and 4 ties (0.5 0.5 0 and 0.5 0 0.5) -> class 0
mkprob() {
	{
		slab_header q "6 1 1" 3 f32 "TRANSFORM 1 0 0 0 0 1 0 0 0 0 1 0" "CLASSES 3" "CLASS_VALUES 0 3 7" "$@"
		printf "$F5$F25$F0$F125$F5$F0$F5$F75$F25$F0$F0$F1$F0$F0$F75$F875$F5$F0"
	} >q.slab
}

@test "slab2nii --argmax: C-channel probabilities -> the label map with source values, ties to the lower class" {
	mkprob
	slab2nii --argmax -o a.nii q.slab
	[ "$(at a.nii 70 2 d2)" -eq 2 ]
	[ "$(od -An -j 352 -t u1 a.nii | tr -s ' ' | sed 's/^ //; s/ $//')" = "0 3 7 7 0 3" ]
	# -g onto its own grid: each channel resampled (here unchanged), then argmax
	slab2nii -o ref.nii <(slab_header r "6 1 1" 1 u8 "TRANSFORM 1 0 0 0 0 1 0 0 0 0 1 0"; printf '\x00\x00\x00\x00\x00\x00')
	slab2nii --argmax -g ref.nii -o b.nii q.slab
	cmp <(tail -c 6 a.nii) <(tail -c 6 b.nii)
	# -g onto a grid of half the spacing: channels interpolated, then argmax
	slab2nii -o ref2.nii <(slab_header r "12 1 1" 1 u8 "TRANSFORM 0.5 0 0 -0.25 0 1 0 0 0 0 1 0"; printf '\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00')
	slab2nii --argmax -g ref2.nii -o c.nii q.slab
	# target i lies at slab x = i/2 - 1/4 (clamped at the ends); e.g. i = 1: 3/4 of
	# voxel 0 and 1/4 of voxel 1 -> p = .4375 .5625 0 -> class 1 (3); i = 9:
	# 3/4 of voxel 4, 1/4 of 5 -> .375 .25 .375, a tie -> class 0
	[ "$(od -An -j 352 -t u1 c.nii | tr -s ' ' | sed 's/^ //; s/ $//')" = "0 3 3 3 7 7 7 7 7 0 3 3" ]
	# slab-info names the classes
	slab-info q.slab | grep -qx 'class       2 value 7 name -'
}

@test "slab2nii refuses -t on C-channel probabilities, --argmax without CLASSES, bad CLASSES" {
	mkprob
	run --separate-stderr slab2nii -t 0.5 -o o.nii q.slab
	failed_cleanly -- --argmax
	[ ! -e o.nii ]
	{ slab_header q "6 1 1" 3 f32; printf "$F5$F25$F0$F125$F5$F0$F5$F75$F25$F0$F0$F1$F0$F0$F75$F875$F5$F0"; } >n.slab
	run --separate-stderr slab2nii --argmax -o o.nii n.slab
	failed_cleanly "no CLASSES"
	run --separate-stderr slab2nii -t 0.5 -o o.nii n.slab
	failed_cleanly -- --argmax
	mkslab u.slab u 2 1 1 u8 '\x00\x01'
	run --separate-stderr slab2nii --argmax -o o.nii u.slab
	failed_cleanly "u8"
	mkprob "CLASS_NAMES a b"
	run --separate-stderr slab2nii --argmax -o o.nii q.slab
	failed_cleanly "bad CLASS_NAMES"
	printf 'SLAB 1\nNAME w\nDIMS 3 1 1\nCHANNELS 1\nTYPE u8\nSPACING 1 1 1\nCLASSES 3\nENDHDR\n\x02\x03\x00' >w.slab
	run --separate-stderr slab2nii -o o.nii w.slab
	failed_cleanly "label 3"
	printf 'SLAB 1\nNAME w\nDIMS 3 1 1\nCHANNELS 1\nTYPE u8\nSPACING 1 1 1\nCLASSES 300\nENDHDR\n\x02\x01\x00' >w.slab
	run --separate-stderr slab2nii -o o.nii w.slab
	failed_cleanly "bad CLASSES"
	[ ! -e o.nii ]
	run -2 --separate-stderr slab2nii --argmax -t 0.5 -o o.nii q.slab
}
