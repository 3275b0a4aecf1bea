# The fixtures of the command-line tests: every tests/tools/*.bats loads this
# file (`load helpers`). Slabs written from bash, readers of slab files, the
# check of a clean failure, small training sets and a Python reference.
# (threshold-filter's adaptive reference is apart: adaptive_helpers.bash.)
#
# A helper that checks something returns 1 with a message on a failed check
# (never relying on `set -e`), so it also works inside `if` and `||`.

PY=/usr/bin/python3

# ---- writing slabs -----------------------------------------------------

# slab_header NAME "NX NY NZ" NC TYPE [LINE]...: a slab header on stdout.
# NAME empty: no NAME line. SPACING is 1 1 1 unless a LINE is "SPACING ...";
# the other LINEs (TRANSFORM, SLICES, ...) go before ENDHDR in order.
slab_header() {
	local name=$1 dims=$2 nc=$3 type=$4 sp="1 1 1" l extra=()
	shift 4
	for l in "$@"; do
		case $l in
		"SPACING "*) sp=${l#SPACING } ;;
		*) extra+=("$l") ;;
		esac
	done
	printf 'SLAB 1\n'
	if [ -n "$name" ]; then printf 'NAME %s\n' "$name"; fi
	printf 'DIMS %s\nCHANNELS %s\nTYPE %s\nSPACING %s\n' "$dims" "$nc" "$type" "$sp"
	for l in "${extra[@]+"${extra[@]}"}"; do printf '%s\n' "$l"; done
	printf 'ENDHDR\n'
}

# slab_bytes NAME "NX NY NZ" TYPE BYTES [LINE]...: a one-channel slab on
# stdout; BYTES is a printf format of \xHH escapes (little-endian samples),
# LINEs as for slab_header.
slab_bytes() {
	local name=$1 dims=$2 type=$3 bytes=$4
	shift 4
	slab_header "$name" "$dims" 1 "$type" "$@"
	# shellcheck disable=SC2059
	printf "$bytes"
}

# slab_expr FILE NAME "NX NY NZ" "SX SY SZ" TYPE EXPR: appends one slab to
# FILE. NAME may be empty (no NAME line). EXPR is an awk expression of x, y, z
# giving each voxel's value: for u8 a whole number 0..255, for f32 one of
# 0 0.25 0.5 0.75 1 2.
slab_expr() {
	local f=$1 name=$2 dims=$3 sp=$4 type=$5 expr=$6
	{
		slab_header "$name" "$dims" 1 "$type" "SPACING $sp"
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

# slab_square OUT NAME NX NY NZ NC KIND [LINE]: a u8 slab (SPACING 0.5 1 2, a
# TRANSFORM) for the U-Net tests. KIND img: 1 inside a 6x6 square that moves
# with z (and NAME), else 0, in every channel; mask: the same as a mask;
# mask255: that mask on the central slice floor(NZ/2) only, 255 elsewhere;
# invmask: 1 - mask.
slab_square() {
	{
		slab_header "$2" "$3 $4 $5" "$6" u8 "SPACING 0.5 1 2" \
			"TRANSFORM 0.5 0 0 -3 0 1 0 4 0 0 2 5" ${8:+"$8"}
		LC_ALL=C awk -v name="$2" -v nx="$3" -v ny="$4" -v nz="$5" -v nc="$6" -v kind="$7" 'BEGIN {
			for (z = 0; z < nz; z++) for (c = 0; c < nc; c++) for (y = 0; y < ny; y++) for (x = 0; x < nx; x++) {
				x0 = (z * 3 + length(name) * 5) % (nx - 6); y0 = (z * 5 + 2) % (ny - 6)
				v = (x >= x0 && x < x0 + 6 && y >= y0 && y < y0 + 6) ? 1 : 0
				if (kind == "mask255" && z != int(nz / 2)) v = 255
				if (kind == "invmask") v = 1 - v
				printf "%c", v
			}
		}'
	} > "$1"
}

# mkslab: the name the tests were written with, one of four forms, told
# apart by their arguments:
#   mkslab NAME "NX NY NZ" TYPE BYTES [LINE]     slab_bytes, SPACING 1 1 2, on stdout
#   mkslab FILE NAME "NX NY NZ" "SX SY SZ" TYPE EXPR       slab_expr (appends)
#   mkslab FILE NAME NX NY NZ TYPE BYTES [TRANSFORM]       slab_bytes into FILE
#   mkslab OUT NAME NX NY NZ NC KIND [LINE]                slab_square
mkslab() {
	local n='^[0-9]+$'
	if [[ ${2-} == *" "* ]]; then
		slab_bytes "$1" "$2" "$3" "$4" "SPACING 1 1 2" ${5:+"$5"}
	elif [[ ${3-} == *" "* ]]; then
		slab_expr "$@"
	elif [[ ${3-} =~ $n && ${4-} =~ $n && ${5-} =~ $n && ${6-} =~ $n ]]; then
		slab_square "$@"
	elif [[ ${3-} =~ $n && ${4-} =~ $n && ${5-} =~ $n ]]; then
		slab_bytes "$2" "$3 $4 $5" "$6" "$7" ${8:+"TRANSFORM $8"} > "$1"
	else
		echo "mkslab: no form takes these arguments: $*" >&2
		return 1
	fi
}

# u8 V...: the bytes V... on stdout.
u8() {
	# shellcheck disable=SC2059
	printf "$(printf '\\%03o' "$@")"
}

# seq_bytes N: u8 bytes 0..N-1 (mod 256) as a printf escape string
seq_bytes() {
	local i s=
	for ((i = 0; i < $1; i++)); do s+=$(printf '\\x%02x' $((i % 256))); done
	printf '%s' "$s"
}

# f32 little-endian bytes of a few exactly representable probabilities.
# shellcheck disable=SC2034
F0='\x00\x00\x00\x00' F1='\x00\x00\x80\x3f' F125='\x00\x00\x00\x3e'
# shellcheck disable=SC2034
F25='\x00\x00\x80\x3e' F5='\x00\x00\x00\x3f' F75='\x00\x00\x40\x3f'
# shellcheck disable=SC2034
F875='\x00\x00\x60\x3f'

# patch FILE OFFSET BYTES: overwrite bytes in place (BYTES: printf escapes)
patch() {
	# shellcheck disable=SC2059
	printf "$3" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

# box X0 X1 Y0 Y1 Z0 Z1: an awk expression, 1 inside [X0,X1) x [Y0,Y1) x [Z0,Z1)
box() {
	echo "(x >= $1 && x < $2 && y >= $3 && y < $4 && z >= $5 && z < $6) ? 1 : 0"
}

# ---- data sets -----------------------------------------------------------

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
		{ slab_bytes "$name" "2 2 $nz" f32 '' 'SPACING 1 1 2'; head -c $((16 * nz)) /dev/zero; } > "$dir/images/$name.slab"
		{ slab_bytes "$name" "2 2 $nz" u8 '' 'SPACING 1 1 2'; for ((z = 0; z < nz; z++)); do printf '\x01\x00\x00\x00'; done; } \
			> "$dir/labels/$name.slab"
	done
}

# mkset [C]: a training set in the current folder: 4 volumes 16x16x6 with C
# channels (default 1) and full masks, listed in tr.list; one in va.list.
mkset() {
	local c=${1:-1} i
	: > tr.list
	for i in a bb ccc dddd; do
		slab_square "img_$i.slab" "case$i" 16 16 6 "$c" img
		slab_square "msk_$i.slab" "case$i" 16 16 6 1 mask
		echo "img_$i.slab msk_$i.slab" >> tr.list
	done
	slab_square img_v.slab casev 16 16 6 "$c" img
	slab_square msk_v.slab casev 16 16 6 1 mask
	echo "img_v.slab msk_v.slab" > va.list
}

# tiny_train ARG...: unet-train with small options, for a fast model.
tiny_train() { unet-train -q --filters 4 --depth 2 -b 8 "$@"; }

# real_cases DIR CASE...: convert hippocampus cases with msd2slab -i into
# DIR/images and DIR/labels (binary masks: --merge, labels 1 and 2 as one);
# skips visibly without the data or msd2slab.
real_cases() {
	local dir=$1 c d="$SELFLABEL_DATA/Task04_Hippocampus"
	shift
	[ -f "$d/cases.tsv" ] || skip "no $d (real data absent)"
	command -v msd2slab > /dev/null || skip "msd2slab not built yet"
	for c in "$@"; do
		msd2slab --merge -i "$d/imagesTr/$c.nii.gz" -m "$d/labelsTr/$c.nii.gz" "$dir" ||
			return 1
	done
}

# ---- reading slabs -------------------------------------------------------

# header FILE KEY: the value of a header key of the first slab.
header() {
	sed -n "/^ENDHDR\$/q; s/^$2 //p" "$1"
}
# hval FILE KEY: the same (an older name)
hval() { header "$@"; }

# samples FILE N: the last N bytes of a file as u8 values on one line.
# samples FILE TYPE: the samples after the first header, one per line, read
# as od TYPE (u1, f4, ...); awk normalises od's number format (it differs
# between coreutils versions).
samples() {
	local hdr
	if [[ $2 =~ ^[0-9]+$ ]]; then
		tail -c "$2" "$1" | od -An -v -tu1 | tr -s ' \n' ' ' | sed 's/^ //; s/ $//'
	else
		hdr=$(grep -a -b -m1 '^ENDHDR$' "$1" | cut -d: -f1)
		tail -c +$((hdr + 8)) "$1" | od -An -v -t "$2" | awk '{ for (i = 1; i <= NF; i++) print $i + 0 }'
	fi
}

# slab_f32 FILE, slab_u8 FILE: the samples of the first slab, one per line
# (od's format, unnormalised).
slab_f32() { local off; off=$(grep -abo ENDHDR "$1" | head -n 1 | cut -d: -f1); tail -c +$((off + 8)) "$1" | od -An -v -tf4 -w4; }
slab_u8() { local off; off=$(grep -abo ENDHDR "$1" | head -n 1 | cut -d: -f1); tail -c +$((off + 8)) "$1" | od -An -v -tu1 -w1; }

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

# ---- running tools and checking failures ----------------------------------

# run_out FILE CMD...: run CMD with stdout into FILE and stderr in $stderr
# ($output is then empty), so tests see stdout byte for byte.
run_out() {
	local out=$1
	shift
	run --separate-stderr bash -c '"$@" > "$0"' "$out" "$@"
}

# failed_cleanly [-s STATUS] [-o FILE] [WORD]: after `run --separate-stderr`
# (or run_out FILE with -o FILE) the tool failed cleanly: exit STATUS
# (default 1), nothing on stdout, one line on stderr that starts with
# "TOOL: " (TOOL: this .bats file's name) and, given WORD, holds it.
failed_cleanly() {
	local want=1 out= tool
	tool=$(basename "$BATS_TEST_FILENAME" .bats)
	while [ $# -gt 0 ]; do
		case $1 in
		-s) want=$2; shift 2 ;;
		-o) out=$2; shift 2 ;;
		*) break ;;
		esac
	done
	[ "$status" -eq "$want" ] || { echo "status $status, want $want"; return 1; }
	[ -z "$output" ] || { echo "stdout not empty: $output"; return 1; }
	[ -z "$out" ] || [ ! -s "$out" ] || { echo "stdout not empty:"; head -c 300 "$out"; return 1; }
	[ -n "$stderr" ] && [ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ] ||
		{ echo "want one line on stderr, got: $stderr"; return 1; }
	[[ $stderr == "$tool: "* ]] || { echo "stderr does not start with '$tool: ': $stderr"; return 1; }
	[ $# -eq 0 ] || [[ $stderr == *"$1"* ]] || { echo "stderr does not name '$1': $stderr"; return 1; }
}

# fails_cleanly FILE: failed_cleanly -o FILE (an older name, after run_out FILE)
fails_cleanly() { failed_cleanly -o "$1"; }

# mem_limited KB CMD...: run CMD with at most KB kilobytes of memory: an
# address-space limit (ulimit -v). Under `make SANITIZE=1` (SELFLABEL_SANITIZE
# set), whose AddressSanitizer reserves terabytes of address space for its
# shadow, a resident-size limit instead (ASan's hard_rss_limit_mb: past it the
# tool dies with exit 99 and a report, which fails the run).
mem_limited() {
	local kb=$1
	shift
	if [ -n "${SELFLABEL_SANITIZE-}" ]; then
		ASAN_OPTIONS="${ASAN_OPTIONS-}:hard_rss_limit_mb=$((kb / 1024))" "$@"
	else
		(ulimit -v "$kb" && exec "$@")
	fi
}

# no_file PATH: neither PATH nor a temp file of it (PATH.tmp.*) exists.
no_file() {
	[ ! -e "$1" ] && [ -z "$(compgen -G "$1.tmp.*")" ]
}

# ---- Python references -----------------------------------------------------

# need_python: skip visibly when the Python reference cannot run.
need_python() {
	[ -x "$PY" ] || skip "no $PY for the reference check"
}

# have_python MODULE: the system Python can import MODULE.
have_python() {
	"$PY" -c "import $1" 2>/dev/null
}

# py CODE [ARG]...: run Python with slab_ref importable as `ref`.
py() {
	local code=$1
	shift
	"$PY" -c "import sys; sys.path.insert(0, '$BATS_TEST_DIRNAME'); import slab_ref as ref
$code" "$@"
}

# ---- runs of stand-in stages (tests/tools/stand-ins/, which log each call) ----

# stand_in_run DIR [SETUP OPTIONS...]: a small paper-preset run of the
# dataset ds in DIR whose TRAIN, PREDICT and EXTRACT are the stand-ins
stand_in_run() {
	local dir=$1
	shift
	"$SELFLABEL_ROOT/pipelines/selflabel-setup" --preset paper --k 20 --folds 2 \
		--set TRAIN="$SELFLABEL_ROOT/tests/tools/stand-ins/train" \
		--set PREDICT="$SELFLABEL_ROOT/tests/tools/stand-ins/predict" \
		--set EXTRACT="$SELFLABEL_ROOT/tests/tools/stand-ins/extract" "$@" ds "$dir" > /dev/null
}

# stand_in_calls LOG STAGE [ITER]: how many times a stand-in ran (for one
# iteration), by its log
stand_in_calls() {
	awk -F'\t' -v s="$2" -v i="${3-}" '$1 == s && (i == "" || $2 == i) { n++ } END { print n + 0 }' "$1"
}
