# paper: the paper's protocol (binary pseudo-labels at 0.8, validation on all
# labels, BCE, the central slice, k = 5 %, no remedy against collapse).
# A preset is the method options' values; selflabel-setup --preset NAME
# (default: default) writes PRESET = NAME in config.mk, which pipelines/common.mk
# includes after config.mk: a value in config.mk or on the command line wins.
MODE ?= binary
THETA ?= 0.8
SELECT_ON ?= all
LOSS ?= bce
POS_WEIGHT ?=
ADAPTIVE ?=
EMA ?=
CONFINE ?=
SL_THR ?=
FLIP ?= no
PLANES ?= 1
ANNOTATE ?= central
K ?= 5
TEACHER3D ?= no
FUSE3D ?= no
LARGEST ?= no
