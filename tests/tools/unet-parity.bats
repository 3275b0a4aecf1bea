#!/usr/bin/env bats
# unet-predict and unet-train against PyTorch (tests/tools/unet_parity.py):
# the same weights and input give the same probabilities, and one plain
# gradient step the same gradients. Skipped when PyTorch is absent.

bats_require_minimum_version 1.5.0
load helpers

setup() {
	cd "$BATS_TEST_TMPDIR"
	/usr/bin/python3 -c 'import torch, numpy' 2>/dev/null || skip "PyTorch (python3-torch) is not installed"
}

@test "unet-predict and unet-train agree with PyTorch on outputs and gradients" {
	py="$SELFLABEL_ROOT/tests/tools/unet_parity.py"
	/usr/bin/python3 "$py" make .
	unet-predict -m init.model -o pred.slab img.slab
	echo "img.slab mask.slab" > list
	unet-train -q --init init.model --optimizer sgd --lr 1000 -e 1 -b 64 -o step.model list
	run /usr/bin/python3 "$py" check .
	echo "$output"
	[ "$status" -eq 0 ]
}
