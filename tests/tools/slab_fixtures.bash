# Shared by the slice tools' bats files (load slab_fixtures): slabs made
# with printf, and an independent Python reference (slab_ref.py, standard
# library only) for checking outputs.

PY=/usr/bin/python3

# slab_header NAME "NX NY NZ" NC TYPE [LINE]...: a slab header on stdout
# (spacing 1 1 1, no TRANSFORM); extra LINEs go before ENDHDR.
slab_header() {
	local name=$1 dims=$2 nc=$3 type=$4 l
	shift 4
	printf 'SLAB 1\n'
	if [ -n "$name" ]; then printf 'NAME %s\n' "$name"; fi
	printf 'DIMS %s\nCHANNELS %s\nTYPE %s\nSPACING 1 1 1\n' "$dims" "$nc" "$type"
	for l in "$@"; do printf '%s\n' "$l"; done
	printf 'ENDHDR\n'
}

# u8 V...: the bytes V... on stdout.
u8() {
	# shellcheck disable=SC2059
	printf "$(printf '\\%03o' "$@")"
}

# Skip visibly when the Python reference cannot run.
need_python() {
	[ -x "$PY" ] || skip "no $PY for the reference check"
}

# py CODE [ARG]...: run Python with slab_ref importable as `ref`.
py() {
	local code=$1
	shift
	"$PY" -c "import sys; sys.path.insert(0, '$BATS_TEST_DIRNAME'); import slab_ref as ref
$code" "$@"
}

# run_out FILE CMD...: run CMD with stdout into FILE and stderr in $stderr
# ($output is then empty), so tests see stdout byte for byte.
run_out() {
	local out=$1
	shift
	run --separate-stderr bash -c '"$@" > "$0"' "$out" "$@"
}

# After run_out: failed with status 1, one line on stderr naming the
# problem, nothing on stdout.
fails_cleanly() {
	local out=$1
	[ "$status" -eq 1 ] || { echo "status $status, want 1"; return 1; }
	[ ! -s "$out" ] || { echo "stdout not empty:"; head -c 300 "$out"; return 1; }
	[ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ] || { echo "stderr: $stderr"; return 1; }
	[ -n "$stderr" ]
}

# no_file PATH: neither PATH nor a temp file of it (PATH.tmp.*) exists.
no_file() {
	[ ! -e "$1" ] && [ -z "$(compgen -G "$1.tmp.*")" ]
}

# real_cases DIR CASE...: convert hippocampus cases with msd2slab -i into
# DIR/images and DIR/labels; skips visibly without the data or msd2slab.
real_cases() {
	local dir=$1 c d="$SELFLABEL_DATA/Task04_Hippocampus"
	shift
	[ -f "$d/cases.tsv" ] || skip "no $d (real data absent)"
	command -v msd2slab > /dev/null || skip "msd2slab not built yet"
	for c in "$@"; do
		msd2slab -i "$d/imagesTr/$c.nii.gz" -m "$d/labelsTr/$c.nii.gz" "$dir" ||
			return 1
	done
}
