# Fixtures for the msd2slab, slab2nii and phantom tests: tiny slabs written
# byte by byte with printf, turned into NIfTI by slab2nii, and damaged with dd.

# mkslab FILE NAME NX NY NZ TYPE BYTES [TRANSFORM]: BYTES is a printf escape string
# (e.g. '\x00\x01'); SPACING 1 1 1.
mkslab() {
	local f=$1 name=$2 nx=$3 ny=$4 nz=$5 type=$6 bytes=$7 tr=${8-}
	{
		printf 'SLAB 1\nNAME %s\nDIMS %s %s %s\nCHANNELS 1\nTYPE %s\nSPACING 1 1 1\n' \
			"$name" "$nx" "$ny" "$nz" "$type"
		[ -z "$tr" ] || printf 'TRANSFORM %s\n' "$tr"
		printf 'ENDHDR\n'
		printf "$bytes"
	} >"$f"
}

# u8 bytes 0..N-1 as a printf escape string
seq_bytes() {
	local i s=
	for ((i = 0; i < $1; i++)); do s+=$(printf '\\x%02x' $((i % 256))); done
	printf '%s' "$s"
}

# patch FILE OFFSET BYTES: overwrite bytes in place
patch() {
	printf "$3" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

# the samples of a slab, one per line (od TYPE: u1 or f4)
samples() {
	local f=$1 t=$2 hdr
	hdr=$(grep -a -b -m1 '^ENDHDR$' "$f" | cut -d: -f1)
	# awk normalises od's number format (it differs between coreutils versions)
	tail -c +$((hdr + 8)) "$f" | od -An -v -t "$t" | awk '{ for (i = 1; i <= NF; i++) print $i + 0 }'
}

# header value of KEY in a slab file
hval() {
	sed -n "/^ENDHDR\$/q; s/^$2 //p" "$1"
}
