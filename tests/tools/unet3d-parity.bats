#!/usr/bin/env bats
# The 3-D U-Net against PyTorch (tests/tools/unet3d_parity.py): the same
# weights and volume give the same probabilities through unet-predict, and
# one plain gradient step of unet-train the same gradients (Conv3d,
# ConvTranspose3d, max_pool3d in double precision). Skipped without PyTorch.

bats_require_minimum_version 1.5.0
load helpers

setup() {
	cd "$BATS_TEST_TMPDIR"
	/usr/bin/python3 -c 'import torch, numpy' 2>/dev/null || skip "PyTorch (python3-torch) is not installed"
}

@test "the 3-D unet-predict and unet-train agree with PyTorch on outputs and gradients" {
	py="$SELFLABEL_ROOT/tests/tools/unet3d_parity.py"
	/usr/bin/python3 "$py" make .
	unet-predict -m init.model -o pred.slab img.slab
	echo "img.slab mask.slab" > list
	unet-train -q --init init.model --optimizer sgd --lr 1000 -e 1 -o step.model list
	run /usr/bin/python3 "$py" check .
	echo "$output"
	[ "$status" -eq 0 ]
}
