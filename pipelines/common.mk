# common.mk: what every makefile of the pipeline shares: the parameters'
# defaults, the stage commands, the command lines built from the parameters
# and the run macro. Included by selflabel.mk (and so by baseline3d.mk,
# report.mk, planes.mk) and by diag.mk, after the run's config.mk.
#
# Each parameter is set, first match wins: on the make command line, in the
# run's config.mk (written by selflabel-setup), in the preset config.mk names
# (PRESET, pipelines/presets/PRESET.mk: the method options), here.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DELETE_ON_ERROR:
.SUFFIXES:

SELFLABEL ?= $(abspath $(dir $(lastword $(MAKEFILE_LIST)))..)
PIPE := $(SELFLABEL)/pipelines
# the tools: bin/ of this checkout, or SELFLABEL_BIN (make SANITIZE=1 test: bin-san/)
SELFLABEL_BIN ?= $(SELFLABEL)/bin
export PATH := $(SELFLABEL_BIN):$(PATH)

# ---- the method options: a preset ---------------------------------------------
# MODE, THETA, ADAPTIVE, CONFINE (pseudo-labels), SELECT_ON, LOSS, POS_WEIGHT,
# EMA (training), FLIP (predictions), ANNOTATE, K (schedule), SL_THR (report),
# PLANES, TEACHER3D, FUSE3D, LARGEST: their meaning is below, their values in
# pipelines/presets/*.mk.
# selflabel-setup always writes PRESET (default, unless --preset says
# otherwise); a config.mk without it (written before presets, or a make
# without selflabel-setup) keeps meaning the paper's values.
PRESET ?= paper
ifeq ($(wildcard $(PIPE)/presets/$(PRESET).mk),)
$(error unknown PRESET (no $(PIPE)/presets/$(PRESET).mk): '$(PRESET)')
endif
include $(PIPE)/presets/$(PRESET).mk

# ---- parameters ------------------------------------------------------------------
# data: an MSD task folder (DATA_KIND=msd, converted by msd2slab) or a folder
# of slabs (DATA_KIND=slabs: images/, labels/, optional split.tsv)
DATASET ?=
DATA_KIND ?= msd
CROP ?=
RESIZE ?=
# the label values that are foreground (msd2slab -f); empty: every label > 0
# (msd2slab --merge): the pipeline trains binary masks
FG_LABELS ?=
# LABELS: merge = every label > 0 is one foreground (a binary run); keep =
# each label value of the dataset is a class (msd2slab without --merge: label
# maps of C classes, CLASSES in their headers; C-class models and
# probabilities, the report per class, export with the dataset's values).
# FG_LABELS (msd2slab -f) makes a binary run either way. A slab folder
# (DATA_KIND=slabs) is used as it is.
LABELS ?= merge
# CLASS_RULES (keep-runs): the pseudo-label rules of the loop act on the merged
# foreground, each foreground pixel then the class of the largest p_k
# (merged, threshold-filter -M: the foreground grows as a binary run's), or
# on each class alone (per-class: a class the neighbouring labels do not show
# cannot appear); LARGEST's component likewise, of the merged foreground or of
# each class. Chosen on the hippocampus validation volumes
# (examples/hippocampus/results.md)
CLASS_RULES ?= merged
# (given annotations: training and validation volumes only, no test set)
SPLIT ?= $(if $(GIVEN),80/20/0,70/15/15)
SPLIT_SEED ?= 1
INGEST_OPTS ?=
# which slices are annotated (ANNOTATE): central = floor(z/2); auto = one per
# volume picked from the image alone (slice-pick: the intensity-weighted
# centre along z of the bright content); or NSIs "0.33,0.5,0.67" (several per
# volume). These three simulate annotation on fully labelled volumes (the
# benchmark). given = the user's own annotations: the slices marked `g` in
# each label slab's SLICES key (msd2slab --sparse), any number per volume,
# anywhere; the run then never reads full ground truth (validation on the
# annotated slices only, no full-ground-truth baseline, no test metrics,
# no diagnostics; pipelines/given.mk writes the report)
PICK_OPTS ?=
# expansion: K percent of the depth per iteration (half per side, >= 1 each)
EXPANSION ?= gradual
SEED ?= 1
FOLDS ?= 5
# pseudo-labels: MODE binary (p >= THETA -> 1, else 0) or band (uncertain -> 255)
# ADAPTIVE, an adaptive threshold LO:HI (empty: off): per new slice, t = the
# n-th largest probability clamped to [LO, HI], n the foreground count of the
# nearest labelled slice of the volume's current labels (threshold-filter -a -l)
# CONFINE: pseudo-label foreground only within CONFINE pixels of the nearest
# labelled slice's foreground (threshold-filter -c; empty: off)
# training (the paper: RMSprop 1e-3, BCE, up to 150 epochs, patience 6)
EPOCHS ?= 150
EPOCHS0 ?= $(EPOCHS)
# MIN_STEPS0: the initial (fold) trainings lower their batch so that an epoch
# has at least this many optimiser steps (unet-train --min-steps; empty: off).
# On by default with given annotations: a user's few dozen annotated slices
# at batch 32 make one step an epoch, and the model stops before it learns
# anything but background (hippocampus, 40 scans: fold validation DSC 0.01-0.03
# at batch 32, 0.59-0.75 at batch 6)
MIN_STEPS0 ?= $(if $(GIVEN),4)
FULL_EPOCHS ?= $(EPOCHS0)
PATIENCE ?= 6
PATIENCE0 ?= $(PATIENCE)
BATCH ?= 32
LR ?= 1e-3
OPTIMIZER ?= rmsprop
# LOSS (bce or bcedice) and POS_WEIGHT, BCE weight of foreground pixels
# (empty: 1), of every training
# SELECT_ON: fine-tuning's validation figures (early stopping, kept epoch) on
# all the validation volumes' labels (all) or on their ground-truth slices only (gt;
# always with ANNOTATE=given: its only ground truth is the annotated slices)
# EMA: fine-tuning keeps a moving average of the weights with this decay
# (empty: off); the averaged model is the output, so it labels the next slices
# the initial (fold) models' moving average (default: EMA's)
EMA0 ?= $(EMA)
# FLIP: the iterations' predictions average the slice's four flips (yes|no);
# the test report's predictions follow REPORT_FLIP (default: the same)
REPORT_FLIP ?= $(FLIP)
WEIGHTS ?= uniform
AUGMENT0 ?= yes
FULL_AUGMENT ?= no
# the kept epoch by validation loss (early stopping on a DSC that starts at 0
# stops too soon); the kept fold by validation DSC (selflabel-pick)
SELECT0 ?= loss
SELECT ?= loss
TRAIN_OPTS ?=
TRAIN0_OPTS ?=
FINETUNE_OPTS ?=
FULL_OPTS ?=
PREDICT_OPTS ?=
# report: threshold of the final masks, NSI bins, HD95 options (metrics
# --hd95; -e diag: an empty mask scores the grid's diagonal), cases drawn
THR ?= 0.5
# SL_THR: the threshold of the self-labelling model's masks (rows selflabel,
# planes and fused; setup --threshold; empty: THR): a knob for experiments,
# chosen on fully labelled validation volumes, which no preset sets (its
# pseudo-labels leave uncertain pixels out, so a model can end less confident
# than one trained on full masks: examples/hippocampus)
THR_selflabel = $(or $(SL_THR),$(THR))
THR_planes = $(THR_selflabel)
NSI_BINS ?= 10
HD95_OPTS ?= -e diag
SHOW ?= 3
# (sparse3d and fused: SPARSE3D, FUSE3D; THR_NAME: the threshold of NAME's masks)
REPORT_MODELS ?= central selflabel$(if $(GIVEN),, full)$(if $(filter 3,$(PLANES)), planes)$(if \
	$(call yes,$(SPARSE3D)), sparse3d$(if $(call yes,$(FUSE3D)), fused))
THR_fused = $(THR_selflabel)
# multi-plane (pipelines/planes.mk): PLANES=3 = also train along the two other
# planes on the final labels and fuse the three predictions (report model
# `planes`); in-plane sizes padded to multiples of 2^PLANE_DEPTH (the
# network's poolings)
PLANE_DEPTH ?= 4
PLANES_OPTS ?=
# the planes' axis orders (slab-permute -p): cor = x-z slices, sag = z-y
PLANE_ORDER_cor := xzy
PLANE_ORDER_sag := zyx
# the sparse 3-D model (pipelines/baseline3d.mk): the 3-D U-Net trained on
# the annotated slices alone (labels/00/: 255 elsewhere, no loss there),
# validated on the validation volumes' annotated slices; the report row
# `sparse3d`, the sparse-annotation baseline every run prints (SPARSE3D=no:
# off, and with it TEACHER3D and FUSE3D). Its probabilities, kept to the
# largest component when LARGEST says so, are
#   TEACHER3D=yes: averaged with the 2-D model's before each iteration's
#                  pseudo-labels (a second teacher with 3-D context)
#   FUSE3D=yes:    averaged with the final 2-D prediction (the 3 planes' mean
#                  with PLANES=3): the report model `fused`, the one exported
# LARGEST (auto|yes|no): keep only the largest connected component (6-connected,
# prob-largest) of the 3-D and the fused masks; auto: yes unless it lowers the
# mean DSC of the sparse 3-D model on the validation volumes' annotated slices
# (no validation volumes: no); the choice is written to choice/largest
SPARSE3D ?= yes
SPARSE3D_EPOCHS ?= $(EPOCHS0)
SPARSE3D_OPTS ?=
# the 3-D baseline on all ground truth (pipelines/baseline3d.mk)
BASELINE3D ?= no
FULL3D_EPOCHS ?= $(FULL_EPOCHS)
FULL3D_BATCH ?= 2
FULL3D_OPTS ?=
# make export (pipelines/export.mk): the model whose masks are exported
# (fused with SPARSE3D and FUSE3D, else planes with PLANES=3, else selflabel), their threshold, and EXPORT_PROB=yes
# to write the probabilities too
EXPORT_MODEL ?= $(if $(and $(call yes,$(SPARSE3D)),$(call yes,$(FUSE3D))),fused,$(if $(filter 3,$(PLANES)),planes,selflabel))
EXPORT_THR ?= $(or $(THR_$(EXPORT_MODEL)),$(THR))
EXPORT_PROB ?= no

# ---- stage commands ----------------------------------------------------------
INGEST ?= msd2slab
EXTRACT ?= slice-extract
TRAIN ?= unet-train
PREDICT ?= unet-predict
FILTER ?= threshold-filter
MERGE ?= merge-pseudo
METRICS ?= metrics
RENDER ?= slab2png
PLOT ?= tsv-plot
# LAUNCH prefixes each per-volume recipe, LAUNCH_TRAIN each training (e.g.
# srun -n1 -c4); empty: they run here
LAUNCH ?=
LAUNCH_TRAIN ?=
# MPI=yes: every training runs TRAIN_MPI, the MPI build of TRAIN (the same
# command line; unet-train's is unet-train-mpi, another TRAIN has none unless
# TRAIN_MPI is set), as the ranks LAUNCH_TRAIN starts (srun --mpi=pmix -n 4,
# mpirun -np 4). Neither is a parameter: N ranks give TRAIN's model up to
# rounding, and a model trained either way is kept.
MPI ?= no
TRAIN_MPI ?= $(if $(filter unet-train,$(TRAIN)),unet-train-mpi)
GEN ?= $(PIPE)/selflabel-gen
PICK ?= $(PIPE)/selflabel-pick
SLICE_PICK ?= slice-pick
PERMUTE ?= slab-permute
MEAN ?= prob-mean
LARGEST_TOOL ?= prob-largest
# the tools pipelines/selflabel-largest runs
LARGEST_ENV = METRICS='$(METRICS)' MEAN='$(MEAN)' LARGEST_TOOL='$(LARGEST_TOOL)' \
	LARGEST_CLASSES='$(merged_rules)'
# C classes with CLASS_RULES merged: the rules of threshold-filter and
# prob-largest on the merged foreground (-M; no effect on one channel)
merged_rules = $(if $(and $(KEEP),$(filter merged,$(CLASS_RULES))),-M)
REPORTER ?= $(PIPE)/selflabel-report
DIAG ?= $(PIPE)/selflabel-diag

# ---- command lines built from the parameters ---------------------------------
yes = $(filter yes,$1)
# given: the annotations are the user's (ANNOTATE=given), else simulated
GIVEN = $(filter given,$(ANNOTATE))
# KEEP: the run keeps the dataset's label values as classes (LABELS=keep, no
# FG_LABELS); the models' predictions then carry the class names and source
# values of CLASSES_REF, a copy of a label slab the data recipe makes
KEEP = $(if $(FG_LABELS),,$(filter keep,$(LABELS)))
CLASSES_REF = data/classes.slab
# given: msd2slab keeps only the painted slices (--sparse) and converts the
# test images (imagesTs/, when there are any) too
INGEST_FLAGS = $(if $(CROP),-c $(CROP)) $(if $(RESIZE),-r $(RESIZE)) \
	$(if $(FG_LABELS),-f $(FG_LABELS),$(if $(filter keep,$(LABELS)),,--merge)) -s $(SPLIT_SEED) -p $(SPLIT) $(INGEST_OPTS)$(if $(GIVEN), --sparse$(if $(wildcard $(DATASET)/imagesTs/*), --test-images))
# every training, 2-D and 3-D: optimiser, learning rate, seed, loss
TRAIN_ALL = --lr $(LR) --seed $(SEED) --optimizer $(OPTIMIZER) --loss $(LOSS) \
	$(if $(POS_WEIGHT),--pos-weight $(POS_WEIGHT))
# every 2-D training
TRAIN_COMMON = -b $(BATCH) $(TRAIN_ALL) $(TRAIN_OPTS)
TRAIN0_FLAGS = -e $(EPOCHS0) --patience $(PATIENCE0) $(TRAIN_COMMON) --select $(SELECT0) \
	$(if $(call yes,$(AUGMENT0)),--augment) $(if $(EMA0),--ema $(EMA0)) \
	$(if $(MIN_STEPS0),--min-steps $(MIN_STEPS0)) $(TRAIN0_OPTS)
FINETUNE_FLAGS = -e $(EPOCHS) --patience $(PATIENCE) $(TRAIN_COMMON) --select $(SELECT) --weights $(WEIGHTS) \
	$(if $(filter gt,$(SELECT_ON))$(GIVEN),--val-gt) $(if $(EMA),--ema $(EMA)) $(FINETUNE_OPTS)
FULL_FLAGS = -e $(FULL_EPOCHS) --patience $(PATIENCE) $(TRAIN_COMMON) --select $(SELECT) \
	$(if $(call yes,$(FULL_AUGMENT)),--augment) $(FULL_OPTS)
# the plane models (pipelines/planes.mk)
PLANE_FLAGS = -e $(FULL_EPOCHS) --patience $(PATIENCE) $(TRAIN_COMMON) --select $(SELECT) $(PLANES_OPTS)
# the 3-D baseline (pipelines/baseline3d.mk)
FULL3D_FLAGS = --dims 3 -e $(FULL3D_EPOCHS) --patience $(PATIENCE) -b $(FULL3D_BATCH) $(TRAIN_ALL) \
	--select $(SELECT) $(TRAIN_OPTS) $(FULL3D_OPTS)
# the sparse 3-D model: as the 3-D baseline, on the annotated slices
SPARSE3D_FLAGS = --dims 3 -e $(SPARSE3D_EPOCHS) --patience $(PATIENCE) -b $(FULL3D_BATCH) $(TRAIN_ALL) \
	--select $(SELECT) $(TRAIN_OPTS) $(SPARSE3D_OPTS)
# TEACHER3D in effect (needs SPARSE3D): teach = yes
teach = $(and $(call yes,$(SPARSE3D)),$(call yes,$(TEACHER3D)))
FILTER_FLAGS = $(strip -t $(THETA) -m $(MODE) $(if $(ADAPTIVE),-l $(ADAPTIVE)) $(if $(CONFINE),-c $(CONFINE)) \
	$(merged_rules))
# the iterations' (and the diagnostics') predictions; the test report's
PREDICT_FLAGS = $(if $(call yes,$(FLIP)),--flip) $(PREDICT_OPTS)$(if $(KEEP), --classes $(CLASSES_REF))
REPORT_PREDICT_FLAGS = $(if $(call yes,$(REPORT_FLIP)),--flip) $(PREDICT_OPTS)$(if $(KEEP), --classes $(CLASSES_REF))
SCHEDULE_FLAGS = -k $(K) -e $(EXPANSION) -s $(SEED) -f $(FOLDS) -a $(ANNOTATE)

# the program each training runs: TRAIN, or with MPI=yes its MPI build
train_prog = $(if $(call yes,$(MPI)),$(or $(TRAIN_MPI),$(error MPI=yes: no MPI build of TRAIN \
	'$(TRAIN)' (set TRAIN_MPI))),$(TRAIN))

# iteration 0's labels: the annotated slices of each training and validation volume
ANN0 = labels/$(basename $(notdir $(INITIAL)))

# ---- rules both reports (report.mk, given.mk) make for each report model ----------
# $(call model_shared_rules,MODEL): MODEL's predictions of a volume,
# test/MODEL/CASE.slab (for a model with M_MODEL; `planes` has its own rule),
# and its pictures of a shown volume
define model_shared_rules
$(if $(M_$1),test/$1/%.slab: $$(M_$1) data/images/%.slab params/testpredict
	$$(call run,$$(LAUNCH),$$(PREDICT) -m $$(M_$1) $$(REPORT_PREDICT_FLAGS) -o $$@.tmp data/images/$$*.slab))
report/fig/%-$1-montage.png: data/images/%.slab data/labels/%.slab test/$1/%.slab
	$$(call run,$$(LAUNCH),$$(RENDER) -M -S 3 -g data/labels/$$*.slab -p test/$1/$$*.slab -o $$@.tmp \
	  data/images/$$*.slab)
report/fig/%-$1-ortho.png: data/images/%.slab data/labels/%.slab test/$1/%.slab
	$$(call run,$$(LAUNCH),$$(RENDER) -v ortho -S 4 -g data/labels/$$*.slab -p test/$1/$$*.slab -o $$@.tmp \
	  data/images/$$*.slab)
endef

# ---- the run macro -----------------------------------------------------------------
# Paths name what a recipe works on: prob/03/CASE.slab is iteration 03, CASE
# (diag.mk redefines run_env for its own paths).
it = $(firstword $(subst -, ,$(basename $(word 2,$(subst /, ,$@)))))
case = $(basename $(notdir $@))

# $(call run,LAUNCHER,COMMAND): COMMAND writes $@.tmp, which is then renamed
# over $@; on failure the temp file goes. Stage programs see SL_ITER and
# SL_CASE (run_env). A recipe names its inputs: target-specific variables (model,
# image, ...) that pipelines/selflabel-gen writes beside each rule, or paths
# made of the rule's stem.
run_env = SL_ITER=$(it) SL_CASE=$(case)
define run
@mkdir -p $(@D) logs
$(run_env) $1 $2 && mv -f $@.tmp $@ || { rm -f $@.tmp; exit 1; }
endef
