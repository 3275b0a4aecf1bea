# Shared by the stand-in stage commands of tests/tools/pipeline.bats: they
# log each call to $STANDIN_LOG and can be told to fail or to wait.
#   STANDIN_FAIL=PATTERN   fail (after writing half an output) when the output
#                          path matches the glob PATTERN
#   STANDIN_WAIT=PATTERN   sleep 60 s first when the output path matches
#   STANDIN_BARRIER=DIR    predict: wait until another predict is running
#   STANDIN_ARGS=FILE      log the whole command line too
set -eu
me=$(basename "$0")
out= log= args=("$@")
while [ $# -gt 0 ]; do
	case $1 in
	-o) out=$2; shift ;;
	--log) log=$2; shift ;;
	esac
	shift
done
set -- "${args[@]}"
[ -n "$out" ] || { echo "$me: no -o" >&2; exit 2; }
printf '%s\t%s\t%s\t%s\n' "$me" "${SL_ITER-}" "${SL_CASE-}" "$out" >> "${STANDIN_LOG:-/dev/null}"
# STANDIN_ARGS=FILE: also the whole command line, "stage<TAB>output<TAB>arguments"
[ -z "${STANDIN_ARGS-}" ] || printf '%s\t%s\t%s\n' "$me" "$out" "$*" >> "$STANDIN_ARGS"
target=${out%.tmp}
if [ -n "${STANDIN_WAIT-}" ] && [[ $target == $STANDIN_WAIT ]]; then
	echo started > "$target.waiting"
	sleep 60
fi
if [ -n "${STANDIN_FAIL-}" ] && [[ $target == $STANDIN_FAIL ]]; then
	echo "half an output" > "$out"
	echo "$me: failing on purpose: '$target'" >&2
	exit 1
fi
# header FILE KEY: a header value of a slab
header() { sed -n "/^ENDHDR\$/q; s/^$2 //p" "$1"; }
