#!/usr/bin/env bats
# A 3-class U-Net (2-D and 3-D) against PyTorch (tests/tools/unet_classes_parity.py):
# softmax probabilities, the gradient of cross-entropy with class weights plus
# the soft Dice over classes, and three Adam steps. Skipped when PyTorch is absent.

bats_require_minimum_version 1.5.0
load helpers

setup() {
	cd "$BATS_TEST_TMPDIR"
	/usr/bin/python3 -c 'import torch, numpy' 2>/dev/null || skip "PyTorch (python3-torch) is not installed"
}

# parity DIMS
parity() {
	local py="$SELFLABEL_ROOT/tests/tools/unet_classes_parity.py"
	/usr/bin/python3 "$py" make "$1" .
	unet-predict -m init.model -o pred.slab img.slab
	echo "img.slab mask.slab" > list
	unet-train -q --init init.model --optimizer sgd --lr 1000 -e 1 -b 64 --loss bcedice \
		--class-weights 0.5,2,1.5 -o step.model list
	unet-train -q --init init.model --optimizer adam --lr 1e-3 -e 3 -b 64 --loss bcedice \
		--class-weights 0.5,2,1.5 --patience 10 -o adam.model list
	run /usr/bin/python3 "$py" check "$1" .
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "a 3-class 2-D U-Net agrees with PyTorch: probabilities, CE + Dice gradients, Adam steps" {
	parity 2
}

@test "a 3-class 3-D U-Net agrees with PyTorch: probabilities, CE + Dice gradients, Adam steps" {
	parity 3
}
