# Fixtures for the loop's tests: tiny slabs written byte by byte.

# mkslab NAME "NX NY NZ" TYPE BYTES [EXTRA-HEADER-LINE]: a one-channel slab on
# stdout; BYTES is a printf format of \xHH escapes (little-endian samples).
mkslab() {
	printf 'SLAB 1\nNAME %s\nDIMS %s\nCHANNELS 1\nTYPE %s\nSPACING 1 1 2\n' "$1" "$2" "$3"
	[ -z "${5-}" ] || printf '%s\n' "$5"
	printf 'ENDHDR\n'
	printf "$4"
}

# f32 little-endian bytes of a few exactly representable probabilities.
F0='\x00\x00\x00\x00' F1='\x00\x00\x80\x3f' F125='\x00\x00\x00\x3e'
F25='\x00\x00\x80\x3e' F5='\x00\x00\x00\x3f' F75='\x00\x00\x40\x3f'
F875='\x00\x00\x60\x3f'

# samples FILE N: the last N bytes of a file as decimal u8 values on one line.
samples() {
	tail -c "$2" "$1" | od -An -v -tu1 | tr -s ' \n' ' ' | sed 's/^ //; s/ $//'
}

# header FILE KEY: the value of a header key of the first slab.
header() {
	sed -n "/^ENDHDR\$/q; s/^$2 //p" "$1"
}

# mkdata DIR SET:NAME:NZ...: a slab folder (images/, labels/, split.tsv) of
# 2x2xNZ volumes: images f32 zeros, labels with one foreground pixel a slice.
mkdata() {
	local dir=$1 spec set name nz z
	shift
	mkdir -p "$dir/images" "$dir/labels"
	printf 'case\tset\n' > "$dir/split.tsv"
	for spec; do
		IFS=: read -r set name nz <<< "$spec"
		printf '%s\t%s\n' "$name" "$set" >> "$dir/split.tsv"
		{ mkslab "$name" "2 2 $nz" f32 ''; head -c $((16 * nz)) /dev/zero; } > "$dir/images/$name.slab"
		{ mkslab "$name" "2 2 $nz" u8 ''; for ((z = 0; z < nz; z++)); do printf '\x01\x00\x00\x00'; done; } \
			> "$dir/labels/$name.slab"
	done
}
