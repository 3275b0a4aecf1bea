# threshold-filter -a: random fixtures and a brute-force reference in awk.

# adaptive_gen SEED: writes p.slab (f32 probabilities k/16, many ties),
# r.slab (the u8 reference masks, one per probability slab, in order) and
# desc.txt (the same numbers as text for adaptive_ref). Three slabs:
#   a 4x3x7, reference without SLICES: labelled = holds a 0/1 pixel;
#   b 2x2x5, reference with SLICES: '.' slices are unlabelled even if they
#     hold 0/1 pixels, labelled ones may be all 255 (n = 0);
#   c 5x1x4, one labelled slice only (the top one).
adaptive_gen() {
	LC_ALL=C awk -v seed="$1" '
	function f32(v,   e, m, bits, i) {
		if (v == 0) { printf "%c%c%c%c", 0, 0, 0, 0 > "p.slab"; return }
		e = 0; m = v
		while (m < 1) { m *= 2; e-- }
		while (m >= 2) { m /= 2; e++ }
		bits = (e + 127) * 8388608 + (m - 1) * 8388608
		for (i = 0; i < 4; i++) { printf "%c", bits % 256 > "p.slab"; bits = int(bits / 256) }
	}
	function hdr(file, name, nx, ny, nz, type, extra) {
		printf "SLAB 1\nNAME %s\nDIMS %d %d %d\nCHANNELS 1\nTYPE %s\nSPACING 1 1 1\n", name, nx, ny, nz, type > file
		if (extra != "") printf "%s\n", extra > file
		printf "ENDHDR\n" > file
	}
	function slab(name, nx, ny, nz, kind,   z, i, per, lab, slices, r, tok, share) {
		per = nx * ny
		hdr("p.slab", name, nx, ny, nz, "f32", "")
		slices = ""
		for (z = 0; z < nz; z++) {
			if (kind == "c") lab[z] = (z == nz - 1)
			else lab[z] = (rand() < 0.35)
			tok[z] = lab[z] ? (rand() < 0.5 ? "g" : int(rand() * 5)) : "."
			slices = slices (z ? " " : "") tok[z]
		}
		if (kind != "c") lab[int(rand() * nz)] = 1
		if (kind == "b") {
			slices = ""
			for (z = 0; z < nz; z++) { tok[z] = lab[z] ? "g" : "."; slices = slices (z ? " " : "") tok[z] }
		}
		hdr("r.slab", name, nx, ny, nz, "u8", kind == "b" ? "SLICES " slices : "")
		printf "slab %s %d %d %d\n", name, nx, ny, nz > "desc.txt"
		for (z = 0; z < nz; z++) {
			share = int(rand() * 4) / 4
			printf "z %d %d", z, lab[z] > "desc.txt"
			for (i = 0; i < per; i++) {
				pv = int(rand() * 17) / 16
				f32(pv)
				if (lab[z]) {
					# a labelled slice: 0/1 with a slice-dependent foreground share
					# (sometimes none), some pixels 255; in slab b sometimes all 255
					r = rand() < share ? 1 : 0
					if (rand() < 0.15) r = 255
					if (kind == "b" && z % 2) r = 255
				} else {
					# unlabelled: 255, but in slab b some 0/1 that SLICES says to ignore
					r = (kind == "b" && rand() < 0.5) ? 1 : 255
				}
				printf "%c", r > "r.slab"
				printf " %s:%d", pv, r > "desc.txt"
			}
			printf "\n" > "desc.txt"
		}
	}
	BEGIN {
		srand(seed)
		slab("a", 4, 3, 7, "a"); slab("b", 2, 2, 5, "b"); slab("c", 5, 1, 4, "c")
	}'
}

# adaptive_ref LO HI BAND THETA [KEEP]: the expected output samples, one per
# line, from desc.txt. KEEP is a comma list of filtered slices (all if empty);
# the others are 255. On stderr: how many filtered slices had n = 0, a
# threshold clamped to LO, to HI, or not, and a tie at the n-th largest.
adaptive_ref() {
	LC_ALL=C awk -v lo="$1" -v hi="$2" -v band="$3" -v theta="$4" -v keep="${5-}" '
	function flush(   z, zz, k, i, n, t, s, tmp, j, m, p) {
		if (nz == 0) return
		for (z = 0; z < nz; z++) {
			if (keep != "" && !(z in want)) { for (i = 0; i < per; i++) print 255; continue }
			zz = -1
			for (k = 0; k < nz && zz < 0; k++) {
				if (z - k >= 0 && L[z - k]) zz = z - k
				else if (z + k < nz && L[z + k]) zz = z + k
			}
			n = 0
			for (i = 0; i < per; i++) n += R[zz, i] == 1
			if (n == 0) { t = hi; c0++ }
			else {
				# the n-th largest by selection sort, descending
				for (i = 0; i < per; i++) s[i] = P[z, i]
				for (i = 0; i < n; i++) {
					m = i
					for (j = i + 1; j < per; j++) if (s[j] > s[m]) m = j
					tmp = s[i]; s[i] = s[m]; s[m] = tmp
				}
				t = s[n - 1]
				if (n < per) {	# is the next largest the same value?
					m = n
					for (j = n + 1; j < per; j++) if (s[j] > s[m]) m = j
					if (s[m] == t) ties++
				}
				if (t < lo) { t = lo; clo++ }
				else if (t > hi) { t = hi; chi++ }
				else mid++
			}
			for (i = 0; i < per; i++) {
				p = P[z, i]
				if (p >= t) print 1
				else if (!band || p <= 1 - theta) print 0
				else print 255
			}
		}
		nz = 0
	}
	BEGIN { if (keep != "") { nk = split(keep, ks, ","); for (k = 1; k <= nk; k++) want[ks[k]] = 1 } }
	$1 == "slab" { flush(); per = $3 * $4; nz = $5; next }
	$1 == "z" {
		z = $2; L[z] = $3
		for (i = 4; i <= NF; i++) { split($i, pr, ":"); P[z, i - 4] = pr[1] + 0; R[z, i - 4] = pr[2] + 0 }
	}
	END { flush(); printf "n0 %d lo %d hi %d mid %d ties %d\n", c0, clo, chi, mid, ties > "/dev/stderr" }' desc.txt
}

# all_u8 FILE: the samples of every u8 slab of a stream, one per line
# (one-channel slabs: DIMS gives the size; data bytes never hold a newline
# here, so the headers are found by their ENDHDR line).
all_u8() {
	local offs dims k=0 off n
	mapfile -t offs < <(grep -abo '^ENDHDR$' "$1" | cut -d: -f1)
	mapfile -t dims < <(grep -a '^DIMS ' "$1" | sed 's/^DIMS //')
	[ "${#offs[@]}" -eq "${#dims[@]}" ] || return 1
	for off in "${offs[@]}"; do
		n=$(echo "${dims[k]}" | awk '{ print $1 * $2 * $3 }')
		tail -c +$((off + 8)) "$1" | head -c "$n" | od -An -v -tu1 -w1 | tr -d ' '
		k=$((k + 1))
	done
}
