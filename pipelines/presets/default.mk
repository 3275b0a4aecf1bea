# default: what the hippocampus ablation chose (examples/hippocampus/results.md):
# band pseudo-labels, validation on the ground-truth slices, an EMA teacher,
# the adaptive threshold, confinement, k = 10 %, 3 planes fused; the rest as
# the paper (presets/paper.mk). selflabel-setup uses it without --preset.
MODE ?= band
THETA ?= 0.8
SELECT_ON ?= gt
LOSS ?= bce
POS_WEIGHT ?=
ADAPTIVE ?= 0.5:0.99
EMA ?= 0.99
CONFINE ?= 2
SL_THR ?=
FLIP ?= no
PLANES ?= 3
ANNOTATE ?= central
K ?= 10
TEACHER3D ?= yes
FUSE3D ?= yes
LARGEST ?= auto
