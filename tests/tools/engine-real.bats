#!/usr/bin/env bats
# The fast engine against the reference (unet-train --engine reference:
# every 3x3 convolution by im2col + sgemm) on a small real subset: six
# hippocampus volumes, cropped to 32x48, four to train and two to validate.

bats_require_minimum_version 1.5.0
load helpers

setup_file() {
	export HIPPO="$SELFLABEL_DATA/Task04_Hippocampus"
	export SUB="$BATS_FILE_TMPDIR/sub"
	[ -f "$HIPPO/dataset.json" ] || return 0
	local i
	for i in 001 003 004 006 007 008; do
		msd2slab --merge -c 32x48 -i "$HIPPO/imagesTr/hippocampus_$i.nii.gz" \
			-m "$HIPPO/labelsTr/hippocampus_$i.nii.gz" "$SUB"
	done
	for i in 001 003 004 006; do
		echo "$SUB/images/hippocampus_$i.slab $SUB/labels/hippocampus_$i.slab"
	done >"$SUB/tr.list"
	for i in 007 008; do
		echo "$SUB/images/hippocampus_$i.slab $SUB/labels/hippocampus_$i.slab"
	done >"$SUB/va.list"
}

setup() {
	cd "$BATS_TEST_TMPDIR"
}

# The best validation loss of a --log file.
best_val() { awk -F'\t' 'NR > 1 && (m == "" || $3 < m) { m = $3 } END { print m }' "$1"; }

@test "unet-train: the fast engine reaches the reference's validation loss on real slices" {
	[ -f "$HIPPO/dataset.json" ] || skip "no real data at $HIPPO"
	local tr=(-q -e 12 --patience 20 -s 3)
	OPENBLAS_NUM_THREADS=1 unet-train "${tr[@]}" --log ref.log -o ref.model --engine reference \
		"$SUB/tr.list" "$SUB/va.list"
	OPENBLAS_NUM_THREADS=1 unet-train "${tr[@]}" --log fast.log -o fast.model \
		"$SUB/tr.list" "$SUB/va.list"
	# the noise of rounding alone: the fast engine with the batch split over
	# two threads, which sums in another order
	OPENBLAS_NUM_THREADS=2 unet-train "${tr[@]}" --log two.log -o two.model \
		"$SUB/tr.list" "$SUB/va.list"
	local r f t
	r=$(best_val ref.log) f=$(best_val fast.log) t=$(best_val two.log)
	echo "best validation loss: reference $r, fast $f, fast on 2 threads $t"
	# the first epoch's validation loss agrees to 1e-3 (Winograd rounds
	# differently; the curves drift apart later)
	awk -v a="$(sed -n 2p ref.log | cut -f3)" -v b="$(sed -n 2p fast.log | cut -f3)" \
		'BEGIN { d = a - b; d = d < 0 ? -d : d; exit !(d < 1e-3 * a) }'
	# learning happened: the loss fell by more than half
	awk -v r="$r" -v a="$(sed -n 2p ref.log | cut -f3)" 'BEGIN { exit !(r < 0.5 * a) }'
	# within the noise, and within 10 %
	awk -v r="$r" -v f="$f" -v t="$t" 'BEGIN { d = f - r; d = d < 0 ? -d : d
		n = f - t; n = n < 0 ? -n : n; exit !(d < 0.1 * r && d < 4 * n + 0.05 * r) }'
}

@test "unet-train rejects an unknown --engine with exit 2" {
	run --separate-stderr unet-train --engine slow -o m.model none.list
	[ "$status" -eq 2 ]
	[ "$stderr" = "unet-train: --engine: want fast or reference: 'slow'" ]
}
