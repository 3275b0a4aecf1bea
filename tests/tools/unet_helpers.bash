# Helpers for the unet-train / unet-predict tests: small u8 slabs made with awk.

# mkslab OUT NAME NX NY NZ NC KIND [EXTRA-HEADER-LINE]
# KIND img: 1 inside a 6x6 square that moves with z (and NAME), else 0, in
#           every channel; mask: the same as a u8 mask; mask255: that mask on
#           the central slice floor(NZ/2) only, 255 elsewhere; invmask: 1 - mask.
mkslab() {
	LC_ALL=C awk -v name="$2" -v nx="$3" -v ny="$4" -v nz="$5" -v nc="$6" -v kind="$7" \
		-v extra="${8-}" 'BEGIN {
		printf "SLAB 1\nNAME %s\nDIMS %d %d %d\nCHANNELS %d\nTYPE u8\nSPACING 0.5 1 2\n", name, nx, ny, nz, nc
		printf "TRANSFORM 0.5 0 0 -3 0 1 0 4 0 0 2 5\n"
		if (extra != "") printf "%s\n", extra
		printf "ENDHDR\n"
		for (z = 0; z < nz; z++) for (c = 0; c < nc; c++) for (y = 0; y < ny; y++) for (x = 0; x < nx; x++) {
			x0 = (z * 3 + length(name) * 5) % (nx - 6); y0 = (z * 5 + 2) % (ny - 6)
			v = (x >= x0 && x < x0 + 6 && y >= y0 && y < y0 + 6) ? 1 : 0
			if (kind == "mask255" && z != int(nz / 2)) v = 255
			if (kind == "invmask") v = 1 - v
			printf "%c", v
		}
	}' > "$1"
}

# The samples of the first slab of a file, one per line: f32 or u8.
slab_f32() { local off; off=$(grep -abo ENDHDR "$1" | head -n 1 | cut -d: -f1); tail -c +$((off + 8)) "$1" | od -An -v -tf4 -w4; }
slab_u8() { local off; off=$(grep -abo ENDHDR "$1" | head -n 1 | cut -d: -f1); tail -c +$((off + 8)) "$1" | od -An -v -tu1 -w1; }

# A training set: 4 volumes 16x16x6, C channels, full masks; tr.list, va.list.
mkset() {
	local c=${1:-1} i
	: > tr.list
	for i in a bb ccc dddd; do
		mkslab "img_$i.slab" "case$i" 16 16 6 "$c" img
		mkslab "msk_$i.slab" "case$i" 16 16 6 1 mask
		echo "img_$i.slab msk_$i.slab" >> tr.list
	done
	mkslab img_v.slab casev 16 16 6 "$c" img
	mkslab msk_v.slab casev 16 16 6 1 mask
	echo "img_v.slab msk_v.slab" > va.list
}

# Train a tiny fast model: unet-train with small options.
tiny_train() { unet-train -q --filters 4 --depth 2 -b 8 "$@"; }
