# Helpers for metrics.bats and hd95.bats: small slabs written from bash.

# mkslab FILE NAME "NX NY NZ" "SX SY SZ" TYPE EXPR
# Appends one slab to FILE. NAME may be empty (no NAME line). EXPR is an awk
# expression of x, y, z giving each voxel's value: for u8 a whole number
# 0..255, for f32 one of 0 0.25 0.5 0.75 1 2.
mkslab() {
	local f=$1 name=$2 dims=$3 sp=$4 type=$5 expr=$6
	{
		printf 'SLAB 1\n'
		if [ -n "$name" ]; then printf 'NAME %s\n' "$name"; fi
		printf 'DIMS %s\nCHANNELS 1\nTYPE %s\nSPACING %s\nENDHDR\n' "$dims" "$type" "$sp"
		printf '%b' "$(awk -v dims="$dims" -v type="$type" 'BEGIN {
			split(dims, d, " ")
			f["0"] = "\\0000\\0000\\0000\\0000"; f["0.25"] = "\\0000\\0000\\0200\\0076"
			f["0.5"] = "\\0000\\0000\\0000\\0077"; f["0.75"] = "\\0000\\0000\\0100\\0077"
			f["1"] = "\\0000\\0000\\0200\\0077"; f["2"] = "\\0000\\0000\\0000\\0100"
			for (z = 0; z < d[3]; z++) for (y = 0; y < d[2]; y++) for (x = 0; x < d[1]; x++) {
				v = ('"$expr"')
				if (type == "u8") printf "\\0%03o", v
				else { if (!((v "") in f)) exit 3; printf "%s", f[v ""] }
			}
		}')"
	} >>"$f"
}

# box X0 X1 Y0 Y1 Z0 Z1: an awk expression, 1 inside [X0,X1) x [Y0,Y1) x [Z0,Z1)
box() {
	echo "(x >= $1 && x < $2 && y >= $3 && y < $4 && z >= $5 && z < $6) ? 1 : 0"
}

# col FILE NAME COLUMN: the value of COLUMN (by header name) in the row of case NAME
col() {
	awk -F '\t' -v c="$3" -v n="$2" 'NR == 1 { for (i = 1; i <= NF; i++) h[$i] = i; next }
		$1 == n { print $(h[c]) }' "$1"
}

# near A B [TOL]: |A - B| <= TOL (default 1e-6), for numbers printed by the tools
near() {
	awk -v a="$1" -v b="$2" -v t="${3:-1e-6}" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= t) }' ||
		{ echo "expected $2, got $1" >&2; return 1; }
}

have_python() {
	/usr/bin/python3 -c "import $1" 2>/dev/null
}
