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
