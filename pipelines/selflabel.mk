# selflabel.mk: the self-labelling loop as make targets.
#
# Included by a run directory's Makefile (written by pipelines/selflabel-setup,
# which also writes config.mk with the run's parameters). Make runs in the run
# directory; every path below is relative to it.
#
#   make -j N             the whole run: iterations, baselines, report
#   make -j N iterations  the loop only (iteration-0 ... iteration-N)
#   make baselines        the 2-D model trained on all ground truth
#   make report           predict the test volumes with each model, report.md
#   make diagnostics      pseudo-labels, the initial model and each model on the
#                         validation volumes against the full ground truth, per
#                         iteration so far: diag/diagnostics.tsv, .png
#   make val-report       the initial and the final model on the validation
#                         volumes (DSC ... HD95): diag/val-report.md
#   make schedule         print the expansion schedule
#   make status           what is done
#
# Each stage's command is a variable (TRAIN, PREDICT, FILTER, MERGE, ...), so any
# stage can be another program with the same command line. LAUNCH prefixes the
# per-volume recipes (e.g. LAUNCH='srun -n1 -c1'), LAUNCH_TRAIN the trainings.
#
# Every target is written to TARGET.tmp and renamed, so an interrupted or
# failed stage leaves no target behind and `make` again resumes. Parameters
# live in stamp files params/NAME that change only when their value does, so
# a changed parameter rebuilds only what depends on it.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DELETE_ON_ERROR:
.SUFFIXES:
.DEFAULT_GOAL := all

SELFLABEL ?= $(abspath $(dir $(lastword $(MAKEFILE_LIST)))..)
PIPE := $(SELFLABEL)/pipelines
export PATH := $(SELFLABEL)/bin:$(PATH)

# ---- parameters (config.mk or the command line set them) -------------------
# data: an MSD task folder (DATA_KIND=msd, converted by msd2slab) or a folder
# of slabs (DATA_KIND=slabs: images/, labels/, optional split.tsv)
DATASET ?=
DATA_KIND ?= msd
CROP ?=
RESIZE ?=
FG_LABELS ?=
SPLIT ?= 70/15/15
SPLIT_SEED ?= 1
INGEST_OPTS ?=
# which slices are annotated: central = floor(z/2); auto = one per volume
# picked from the image alone (slice-pick: the intensity-weighted centre along
# z of the bright content); or NSIs "0.33,0.5,0.67" (several per volume)
ANNOTATE ?= central
PICK_OPTS ?=
# expansion: k percent of the depth per iteration (half per side, >= 1 each)
K ?= 5
EXPANSION ?= gradual
SEED ?= 1
FOLDS ?= 5
# pseudo-labels: binary (p >= THETA -> 1, else 0) or band (uncertain -> 255)
THETA ?= 0.8
MODE ?= binary
# adaptive threshold LO:HI (empty: off): per new slice, t = the n-th largest
# probability clamped to [LO, HI], n the foreground count of the nearest
# labelled slice of the volume's current labels (threshold-filter -a -l)
ADAPTIVE ?=
# training (the paper: RMSprop 1e-3, BCE, up to 150 epochs, patience 6)
EPOCHS ?= 150
EPOCHS0 ?= $(EPOCHS)
FULL_EPOCHS ?= $(EPOCHS0)
PATIENCE ?= 6
PATIENCE0 ?= $(PATIENCE)
BATCH ?= 32
LR ?= 1e-3
OPTIMIZER ?= rmsprop
LOSS ?= bce
# BCE weight of foreground pixels (empty: 1)
POS_WEIGHT ?=
# fine-tuning's validation figures (early stopping, kept epoch): on all the
# validation volumes' labels (all) or on their ground-truth slices only (gt)
SELECT_ON ?= all
# fine-tuning keeps a moving average of the weights with this decay (empty:
# off); the averaged model is the output, so it labels the next slices
EMA ?=
# the initial (fold) models' moving average (default: EMA's)
EMA0 ?= $(EMA)
# confine: pseudo-label foreground only within CONFINE pixels of the nearest
# labelled slice's foreground (threshold-filter -c; empty: off)
CONFINE ?=
# the iterations' predictions average the slice's four flips (yes|no); the test
# report's predictions follow REPORT_FLIP (default: the same)
FLIP ?= no
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
# the threshold of the self-labelling model's masks (rows selflabel and planes;
# setup --threshold): its pseudo-labels leave uncertain pixels out, so it ends
# less confident than a model trained on full masks, and a lower threshold
# recovers recall (chosen on the validation split, examples/hippocampus)
# (empty: THR)
SL_THR ?=
THR_selflabel = $(or $(SL_THR),$(THR))
THR_planes = $(THR_selflabel)
NSI_BINS ?= 10
HD95_OPTS ?= -e diag
SHOW ?= 3
REPORT_MODELS ?= central selflabel full$(if $(filter 3,$(PLANES)), planes)
# multi-plane (pipelines/planes.mk): 3 = also train along the two other planes
# on the final labels and fuse the three predictions (report model `planes`);
# in-plane sizes padded to multiples of 2^PLANE_DEPTH (the network's poolings)
PLANES ?= 1
PLANE_DEPTH ?= 4
PLANES_OPTS ?=

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
LAUNCH ?=
LAUNCH_TRAIN ?=
GEN ?= $(PIPE)/selflabel-gen
PICK ?= $(PIPE)/selflabel-pick
SLICE_PICK ?= slice-pick
PERMUTE ?= slab-permute
MEAN ?= prob-mean
REPORTER ?= $(PIPE)/selflabel-report
DIAG ?= $(PIPE)/selflabel-diag

# ---- command lines built from the parameters ---------------------------------
yes = $(filter yes,$1)
INGEST_FLAGS = $(if $(CROP),-c $(CROP)) $(if $(RESIZE),-r $(RESIZE)) \
	$(if $(FG_LABELS),-f $(FG_LABELS)) -s $(SPLIT_SEED) -p $(SPLIT) $(INGEST_OPTS)
TRAIN_COMMON = -b $(BATCH) --lr $(LR) --seed $(SEED) --optimizer $(OPTIMIZER) --loss $(LOSS) \
	$(if $(POS_WEIGHT),--pos-weight $(POS_WEIGHT)) $(TRAIN_OPTS)
TRAIN0_FLAGS = -e $(EPOCHS0) --patience $(PATIENCE0) $(TRAIN_COMMON) --select $(SELECT0) \
	$(if $(call yes,$(AUGMENT0)),--augment) $(if $(EMA0),--ema $(EMA0)) $(TRAIN0_OPTS)
FINETUNE_FLAGS = -e $(EPOCHS) --patience $(PATIENCE) $(TRAIN_COMMON) --select $(SELECT) --weights $(WEIGHTS) \
	$(if $(filter gt,$(SELECT_ON)),--val-gt) $(if $(EMA),--ema $(EMA)) $(FINETUNE_OPTS)
FULL_FLAGS = -e $(FULL_EPOCHS) --patience $(PATIENCE) $(TRAIN_COMMON) --select $(SELECT) \
	$(if $(call yes,$(FULL_AUGMENT)),--augment) $(FULL_OPTS)
FILTER_FLAGS = $(strip -t $(THETA) -m $(MODE) $(if $(ADAPTIVE),-l $(ADAPTIVE)) $(if $(CONFINE),-c $(CONFINE)))
PREDICT_FLAGS = $(if $(call yes,$(FLIP)),--flip) $(PREDICT_OPTS)
REPORT_PREDICT_FLAGS = $(if $(call yes,$(REPORT_FLIP)),--flip) $(PREDICT_OPTS)
SCHEDULE_FLAGS = -k $(K) -e $(EXPANSION) -s $(SEED) -f $(FOLDS) -a $(ANNOTATE)
# the plane models (pipelines/planes.mk); here, before the stamps read it
PLANE_FLAGS = -e $(FULL_EPOCHS) --patience $(PATIENCE) $(TRAIN_COMMON) --select $(SELECT) $(PLANES_OPTS)

# ---- parameter stamps ----------------------------------------------------------
# $(call param,NAME,VALUE): params/NAME holds VALUE; rewritten only when it
# changes, so targets that list params/NAME rebuild exactly then.
param = $(shell mkdir -p params && f=params/$1 && v='$(subst ','\'',$(strip $2))' && \
	{ [ -f $$f ] && [ "$$(cat $$f)" = "$$v" ] || { printf '%s\n' "$$v" > $$f.tmp && mv $$f.tmp $$f; }; })
ifeq ($(filter clean help,$(MAKECMDGOALS)),)
ifeq ($(DATASET),)
$(error DATASET is not set: run pipelines/selflabel-setup, or give DATASET=DIR)
endif
_ := $(call param,data,$(DATA_KIND) $(abspath $(DATASET)) $(INGEST) $(INGEST_FLAGS))
_ := $(call param,schedule,$(SCHEDULE_FLAGS))
_ := $(call param,annotate,$(EXTRACT))
_ := $(call param,train0,$(TRAIN) $(TRAIN0_FLAGS))
_ := $(call param,finetune,$(TRAIN) $(FINETUNE_FLAGS))
_ := $(call param,full,$(TRAIN) $(FULL_FLAGS))
_ := $(call param,predict,$(PREDICT) $(PREDICT_FLAGS))
_ := $(call param,testpredict,$(PREDICT) $(REPORT_PREDICT_FLAGS))
_ := $(call param,pick,$(SLICE_PICK) $(PICK_OPTS))
_ := $(call param,planes,$(PERMUTE) $(PLANE_DEPTH))
_ := $(call param,planetrain,$(TRAIN) $(PLANE_FLAGS))
_ := $(call param,filter,$(FILTER) $(FILTER_FLAGS))
_ := $(call param,merge,$(MERGE))
_ := $(call param,report,$(THR) $(THR_selflabel) $(NSI_BINS) $(METRICS) $(HD95_OPTS))
endif

# ---- recipes (the generated makefiles mk/iter-*.mk use them) -------------------
# Paths name what a recipe works on: prob/03/CASE.slab is iteration 03, CASE.
it = $(firstword $(subst -, ,$(basename $(word 2,$(subst /, ,$@)))))
case = $(basename $(notdir $@))

# $(call run,LAUNCHER,COMMAND): COMMAND writes $@.tmp, which is then renamed
# over $@; on failure the temp file goes. Stage programs see SL_ITER and SL_CASE.
define run
@mkdir -p $(@D) logs
SL_ITER=$(it) SL_CASE=$(case) $1 $2 && mv -f $@.tmp $@ || { rm -f $@.tmp; exit 1; }
endef

# iteration 0: keep the annotated slices' ground truth, 255 elsewhere
annotate_recipe = $(call run,$(LAUNCH),$(EXTRACT) -k $(S_$(it)_$(case)) -o $@.tmp $<)
# the previous model's probabilities for the whole volume
predict_recipe = $(call run,$(LAUNCH),$(PREDICT) -m $< $(PREDICT_FLAGS) -o $@.tmp $(word 2,$^))
# pseudo-labels on this iteration's new slices only (255 elsewhere); with
# ADAPTIVE the volume's current labels (a prerequisite then) set the threshold,
# with CONFINE they bound where foreground may be
filter_recipe = $(call run,$(LAUNCH),$(FILTER) $(FILTER_FLAGS) \
	$(if $(ADAPTIVE),-a $(filter labels/%,$^),$(if $(CONFINE),-n $(filter labels/%,$^))) -k $(S_$(it)_$(case)) -o $@.tmp $<)
# merged into the volume's labels; ground truth is never overwritten
merge_recipe = $(call run,$(LAUNCH),$(MERGE) -i $(it) -k $(S_$(it)_$(case)) -o $@.tmp $(wordlist 1,2,$^))
# the training and (when the run has validation volumes) validation lists
lists = $(filter %-train.list,$^) $(filter %-val.list,$^)
# an initial (fold) model on the annotated slices
train0_recipe = $(call run,$(LAUNCH_TRAIN),$(TRAIN) $(TRAIN0_FLAGS) \
	--log logs/$(case).tsv -o $@.tmp $(lists))
# the best fold by validation DSC (its training log)
pick_recipe = $(call run,,$(PICK) -o $@.tmp $^)
# fine-tune the previous model on everything labelled so far
finetune_recipe = $(call run,$(LAUNCH_TRAIN),$(TRAIN) --init $< $(FINETUNE_FLAGS) \
	--log logs/$(case).tsv -o $@.tmp $(lists))

# ---- the data and the generated makefiles ----------------------------------------
data/split.tsv: params/data
	rm -rf data.tmp
	$(if $(filter msd,$(DATA_KIND)),$(INGEST) $(INGEST_FLAGS) $(abspath $(DATASET)) data.tmp,\
	$(PIPE)/selflabel-split -p $(SPLIT) -s $(SPLIT_SEED) $(abspath $(DATASET)) data.tmp)
	rm -rf data && mv data.tmp data

mk/run.mk: data/split.tsv params/schedule $(GEN) $(if $(filter auto,$(ANNOTATE)),data/auto-annotate.tsv)
	$(GEN) $(SCHEDULE_FLAGS) $(if $(filter auto,$(ANNOTATE)),-A data/auto-annotate.tsv) -d data

# ANNOTATE=auto: the slice to annotate per volume, from its image alone
data/auto-annotate.tsv: data/split.tsv params/pick
	$(call run,,$(SLICE_PICK) $(PICK_OPTS) -o $@.tmp <(tail -n +2 data/split.tsv | \
	  awk -F'\t' '$$2 != "test" { print "data/images/" $$1 ".slab" }' | xargs cat))

ifeq ($(filter clean help,$(MAKECMDGOALS)),)
include mk/run.mk
endif

# ---- targets -----------------------------------------------------------------------
.PHONY: all iterations baselines report diagnostics val-report schedule status clean clean-tmp help
all: iterations baselines report

# Diagnostics and the validation report: a separate make (pipelines/diag.mk,
# through selflabel-diag) over the iterations that exist when it starts; it
# writes only under diag/. In a full run they come after the last iteration.
diag/diagnostics.tsv: $(FINAL) FORCE
	+@$(DIAG) . diagnostics
diagnostics:
	+@$(DIAG) . diagnostics
val-report: $(FINAL)
	+@$(DIAG) . val-report
.PHONY: FORCE
FORCE:
iterations: $(FINAL)
baselines: models/full.model

models/full.model: lists/full-train.list $(if $(HAVE_VAL),lists/full-val.list) data/split.tsv \
		params/full
	$(call run,$(LAUNCH_TRAIN),$(TRAIN) $(FULL_FLAGS) --log logs/full.tsv -o $@.tmp $(lists))

schedule:
	@column -t -s$$'\t' schedule.tsv 2>/dev/null || cat schedule.tsv

status:
	@for m in $(MODELS) models/full.model; do \
	  if [ -f $$m ]; then echo "done     $$m"; else echo "to do    $$m"; fi; done

clean-tmp:
	find . -name '*.tmp' -prune -exec rm -rf {} +

help:
	@sed -n '3,22s/^# \{0,1\}//p' $(PIPE)/selflabel.mk

clean:
	rm -rf prob pseudo labels models logs lists sched mk test report report.md params diag planes \
	  schedule.tsv data data.tmp

include $(PIPE)/baseline3d.mk
include $(PIPE)/report.mk
ifeq ($(filter 3,$(PLANES)),3)
include $(PIPE)/planes.mk
endif
