# Multi-class fixtures for the pseudo-label tools' tests (threshold-filter,
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
