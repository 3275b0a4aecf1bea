# Fixtures of the multi-class U-Net tests (unet-train, unet-predict,
# unet3d, mpi): small 3-class sets written from bash (awk), no Python.

# slab_classes OUT NAME NX NY NZ KIND [C]: a u8 slab (SPACING 1 1 1) of two
# touching structures that move with z: a 6x6 square of class 1 with a 4x6
# block of class 2 to its right. KIND img: the image, 1 in class 1, 2 in
# class 2, else 0; mask: the labels 0, 1, 2 with CLASSES C (default 3; C
# "none": no CLASSES key); mask255: those labels on the central slice
# floor(NZ/2) only, 255 elsewhere; bad: the mask with one voxel of value C.
slab_classes() {
	local k=${7:-3} line="CLASSES ${7:-3}"
	if [ "$k" = none ]; then line=; k=3; fi
	{
		slab_header "$2" "$3 $4 $5" 1 u8 "SPACING 1 1 1" ${line:+"$line"}
		LC_ALL=C awk -v name="$2" -v nx="$3" -v ny="$4" -v nz="$5" -v kind="$6" -v k="$k" 'BEGIN {
			for (z = 0; z < nz; z++) for (y = 0; y < ny; y++) for (x = 0; x < nx; x++) {
				x0 = (z * 3 + length(name) * 5) % (nx - 10); y0 = (z * 5 + 2) % (ny - 6)
				v = (y >= y0 && y < y0 + 6) ? (x >= x0 && x < x0 + 6 ? 1 : x >= x0 + 6 && x < x0 + 10 ? 2 : 0) : 0
				if (kind == "mask255" && z != int(nz / 2)) v = 255
				if (kind == "bad" && x == 0 && y == 0 && z == 0) v = k
				printf "%c", v
			}
		}'
	} > "$1"
}

# mkclasses [C] [NZ]: a 3-class training set in the current folder: 4 volumes
# 16x16xNZ (default 6) with full masks (CLASSES C, default 3), listed in
# tr.list; one in va.list.
mkclasses() {
	local c=${1:-3} nz=${2:-6} i
	: > tr.list
	for i in a bb ccc dddd; do
		slab_classes "img_$i.slab" "case$i" 16 16 "$nz" img
		slab_classes "msk_$i.slab" "case$i" 16 16 "$nz" mask "$c"
		echo "img_$i.slab msk_$i.slab" >> tr.list
	done
	slab_classes img_v.slab casev 16 16 "$nz" img
	slab_classes msk_v.slab casev 16 16 "$nz" mask "$c"
	echo "img_v.slab msk_v.slab" > va.list
}

# Fixtures for the pseudo-label tools' tests (threshold-filter,
# merge-pseudo, prob-mean, prob-largest, slice tools): C-channel f32
# probability slabs and u8 label maps written from numbers.

# f32 V...: the little-endian f32 bytes of V... (each 0 or a sum of powers
# of two with at most 24 significant bits, e.g. 0.375, 1, 2) on stdout.
f32() {
	LC_ALL=C awk 'BEGIN {
		for (a = 1; a < ARGC; a++) {
			v = ARGV[a] + 0; bits = 0
			if (v != 0) {
				e = 0; m = v
				while (m < 1) { m *= 2; e-- }
				while (m >= 2) { m /= 2; e++ }
				bits = (e + 127) * 8388608 + (m - 1) * 8388608
			}
			for (i = 0; i < 4; i++) { printf "%c", bits % 256; bits = int(bits / 256) }
		}
	}' "$@"
}

# probs NAME "NX NY NZ" NC "LINE..." V...: an f32 slab of NC channels on
# stdout, samples V... in file order (x, y, channel, z); LINE is one header
# line (e.g. "CLASSES 3") or "" for none.
probs() {
	local name=$1 dims=$2 nc=$3 line=$4
	shift 4
	slab_header "$name" "$dims" "$nc" f32 ${line:+"$line"}
	f32 "$@"
}

# labels NAME "NX NY NZ" "LINE" V...: a u8 one-channel slab on stdout.
labels() {
	local name=$1 dims=$2 line=$3
	shift 3
	slab_header "$name" "$dims" 1 u8 ${line:+"$line"}
	u8 "$@"
}
