# selflabel.mk: the self-labelling loop as make targets.
#
# Included by a run directory's Makefile (written by pipelines/selflabel-setup,
# which also writes config.mk with the run's parameters; their defaults and
# meaning: pipelines/common.mk, pipelines/presets/). Make runs in the run
# directory; every path below is relative to it.
#
#   make -j N             the whole run: iterations, baselines, report
#   make -j N iterations  the loop only (iteration-0 ... iteration-N)
#   make baselines        the 2-D model trained on all ground truth (and the
#                         sparse 3-D model on the annotated slices)
#   make report           predict the test volumes with each model, report.md
#   make diagnostics      pseudo-labels, the initial model and each model on the
#                         validation volumes against the full ground truth, per
#                         iteration so far: diag/diagnostics.tsv, .png
#   make val-report       the initial and the final model on the validation
#                         volumes (DSC ... HD95): diag/val-report.md
#   make export           the final masks as NIfTI on each scan's own grid:
#                         out/labelsTr/, out/labelsTs/ (pipelines/export.mk)
#   make schedule         print the expansion schedule
#   make status           what is done
#
# Each stage's command is a variable (TRAIN, PREDICT, FILTER, MERGE, ...), so any
# stage can be another program with the same command line. LAUNCH prefixes the
# per-volume recipes (e.g. LAUNCH='srun -n1 -c1'), LAUNCH_TRAIN the trainings;
# STEPS=N makes each iteration's per-volume work N groups (pipelines/steps.mk),
# MPI=yes trains on MPI ranks (on Slurm: selflabel-setup --slurm, slurm.sh).
#
# Every target is written to TARGET.tmp and renamed, so an interrupted or
# failed stage leaves no target behind and `make` again resumes. Parameters
# live in stamp files params/NAME that change only when their value does, so
# a changed parameter rebuilds only what depends on it.

.DEFAULT_GOAL := all
include $(dir $(lastword $(MAKEFILE_LIST)))common.mk

# ---- parameter stamps ----------------------------------------------------------
# $(call param,NAME,VALUE): params/NAME holds VALUE; rewritten only when it
# changes, so targets that list params/NAME rebuild exactly then.
# A dry run (make -n, make -q) writes nothing: a stamp that would change gets
# a rule instead (printed by -n, never run), so what depends on it shows as
# out of date.
DRY := $(findstring n,$(firstword -$(MAKEFLAGS)))$(findstring q,$(firstword -$(MAKEFLAGS)))
# a dry run with no plan yet (mk/run.mk): it shows how the data and the plan are made
NOPLAN := $(and $(DRY),$(if $(wildcard mk/run.mk),,y))
param_quote = '$(subst ','\'',$(strip $1))'
param_changed = $(shell v=$(call param_quote,$2); [ -f params/$1 ] && [ "$$(cat params/$1)" = "$$v" ] || echo y)
ifeq ($(DRY),)
param = $(shell mkdir -p params && f=params/$1 && v=$(call param_quote,$2) && \
	{ [ -f $$f ] && [ "$$(cat $$f)" = "$$v" ] || { printf '%s\n' "$$v" > $$f.tmp && mv $$f.tmp $$f; }; })
else
param = $(if $(call param_changed,$1,$2),$(eval params/$1: FORCE ; \
	printf '%s\n' $(subst $$,$$$$,$(call param_quote,$2)) > $$@.tmp && mv $$@.tmp $$@)$(eval DRY_STAMPS += $1))
endif
ifeq ($(filter clean help,$(MAKECMDGOALS)),)
ifeq ($(DATASET),)
$(error DATASET is not set: run pipelines/selflabel-setup, or give DATASET=DIR)
endif
_ := $(call param,data,$(DATA_KIND) $(abspath $(DATASET)) $(INGEST) $(INGEST_FLAGS)$(if $(KEEP), labels keep))
_ := $(call param,schedule,$(SCHEDULE_FLAGS))
_ := $(call param,annotate,$(EXTRACT))
_ := $(call param,train0,$(TRAIN) $(TRAIN0_FLAGS))
_ := $(call param,finetune,$(TRAIN) $(FINETUNE_FLAGS))
_ := $(call param,full,$(TRAIN) $(FULL_FLAGS))
_ := $(call param,predict,$(PREDICT) $(PREDICT_FLAGS)$(if $(teach), teacher3d $(MEAN)))
_ := $(call param,testpredict,$(PREDICT) $(REPORT_PREDICT_FLAGS))
_ := $(call param,pick,$(SLICE_PICK) $(PICK_OPTS))
_ := $(call param,planes,$(PERMUTE) $(PLANE_DEPTH))
_ := $(call param,planetrain,$(TRAIN) $(PLANE_FLAGS))
_ := $(call param,filter,$(FILTER) $(FILTER_FLAGS))
_ := $(call param,merge,$(MERGE))
_ := $(call param,report,$(THR) $(THR_selflabel) $(NSI_BINS) $(METRICS) $(HD95_OPTS))
ifneq ($(filter data schedule,$(DRY_STAMPS)),$(if $(NOPLAN),$(filter data schedule,$(DRY_STAMPS))))
$(info make: (dry run) the data or the plan would be made again first (params/$(firstword $(filter data schedule,$(DRY_STAMPS)))); the commands below follow the current plan)
endif
endif

# ---- recipes (the generated makefiles mk/iter-*.mk use them) -------------------
# Their inputs are target-specific variables selflabel-gen writes beside each
# rule: gt, model, image, prob, labels (the volume's current labels), pseudo,
# trainlist, vallist; S_II_CASE is the slice list of iteration II and CASE.

# iteration 0: keep the annotated slices' ground truth, 255 elsewhere
annotate_recipe = $(call run,$(LAUNCH),$(EXTRACT) -k $(S_$(it)_$(case)) -o $@.tmp $(gt))
# the previous model's probabilities for the whole volume; with TEACHER3D
# averaged with the sparse 3-D model's (test/sparse3d/CASE.slab, a prerequisite then)
predict_recipe = $(call run,$(LAUNCH),$(PREDICT) -m $(model) $(PREDICT_FLAGS) -o $@.tmp $(image)$(if $(teach), && \
	$(MEAN) -o $@.t.tmp $@.tmp test/sparse3d/$(case).slab && mv -f $@.t.tmp $@.tmp || { rm -f $@.t.tmp; false; }))
# pseudo-labels on this iteration's new slices only (255 elsewhere); with
# ADAPTIVE the volume's current labels (a prerequisite then) set the threshold,
# with CONFINE they bound where foreground may be
filter_recipe = $(call run,$(LAUNCH),$(FILTER) $(FILTER_FLAGS) \
	$(if $(ADAPTIVE),-a $(labels),$(if $(CONFINE),-n $(labels))) -k $(S_$(it)_$(case)) -o $@.tmp $(prob))
# merged into the volume's labels; ground truth is never overwritten
merge_recipe = $(call run,$(LAUNCH),$(MERGE) -i $(it) -k $(S_$(it)_$(case)) -o $@.tmp $(labels) $(pseudo))
# the training and (when the run has validation volumes) validation lists
lists = $(trainlist) $(vallist)
# an initial (fold) model on the annotated slices
train0_recipe = $(call run,$(LAUNCH_TRAIN),$(train_prog) $(TRAIN0_FLAGS) \
	--log logs/$(case).tsv -o $@.tmp $(lists))
# the best fold by validation DSC (its training log), of all the folds
pick_recipe = $(call run,,$(PICK) -o $@.tmp $^)
# fine-tune the previous model on everything labelled so far
finetune_recipe = $(call run,$(LAUNCH_TRAIN),$(train_prog) --init $(model) $(FINETUNE_FLAGS) \
	--log logs/$(case).tsv -o $@.tmp $(lists))

# ---- the data and the generated makefiles ----------------------------------------
# (the old data go aside before the new come in: a kill at any instant leaves
# data/split.tsv only beside the complete data it belongs to)
data/split.tsv: params/data
	rm -rf data.tmp data.old.tmp
	$(if $(filter msd,$(DATA_KIND)),$(INGEST) $(INGEST_FLAGS) $(abspath $(DATASET)) data.tmp,\
	$(PIPE)/selflabel-split -p $(SPLIT) -s $(SPLIT_SEED) $(abspath $(DATASET)) data.tmp)
	$(if $(KEEP),$(classes_ref_recipe))
	if [ -e data ]; then mv data data.old.tmp; fi
	mv data.tmp data && rm -rf data.old.tmp

# LABELS=keep: data/classes.slab, one voxel (255) with the classes keys of
# the first label slab: the models' predictions take their class names and
# source values from it (unet-predict --classes)
define classes_ref_recipe
l=$$(ls data.tmp/labels/*.slab | head -n 1) && \
{ printf 'SLAB 1\nNAME classes\nDIMS 1 1 1\nCHANNELS 1\nTYPE u8\nSPACING 1 1 1\n'; \
  sed -n '/^ENDHDR$$/q; /^CLASS\(ES\|_NAMES\|_VALUES\) /p' "$$l"; printf 'ENDHDR\n\377'; \
} > data.tmp/$(notdir $(CLASSES_REF))
endef

# (a dry run neither remakes the plan nor converts the data for it: make
# would run a makefile's recipe even under -n)
ifeq ($(DRY),$(if $(NOPLAN),$(DRY)))
mk/run.mk: data/split.tsv params/schedule $(GEN) $(PIPE)/selflabel-schedule $(if $(filter auto,$(ANNOTATE)),data/auto-annotate.tsv)$(if $(GIVEN), data/given-annotations.tsv)
	$(GEN) $(SCHEDULE_FLAGS) $(if $(filter auto,$(ANNOTATE)),-A data/auto-annotate.tsv)$(if $(GIVEN), -A data/given-annotations.tsv) -d data
endif

# ANNOTATE=given: the annotated slices of each volume, from its label slab
data/given-annotations.tsv: data/split.tsv $(PIPE)/selflabel-annotated
	$(call run,,$(PIPE)/selflabel-annotated -o $@.tmp data)

# ANNOTATE=auto: the slice to annotate per volume, from its image alone
data/auto-annotate.tsv: data/split.tsv params/pick
	$(call run,,$(SLICE_PICK) $(PICK_OPTS) -o $@.tmp <(tail -n +2 data/split.tsv | \
	  awk -F'\t' '$$2 != "test" { print "data/images/" $$1 ".slab" }' | xargs cat))

ifeq ($(filter clean help,$(MAKECMDGOALS)),)
ifeq ($(DRY),)
include mk/run.mk
else
ifeq ($(NOPLAN),)
-include mk/run.mk
else
$(info make: (dry run) no plan yet (mk/run.mk): what makes the data and the plan is shown, no more)
.DEFAULT_GOAL := mk/run.mk
endif
endif
endif
# STEPS=N: each iteration's per-volume work as N job steps
include $(PIPE)/steps.mk

# ---- targets -----------------------------------------------------------------------
.PHONY: all iterations baselines report diagnostics val-report schedule status clean clean-tmp help
all: iterations baselines report

# Diagnostics and the validation report: a separate make (pipelines/diag.mk,
# through selflabel-diag) over the iterations that exist when it starts; it
# writes only under diag/. In a full run they come after the last iteration.
ifeq ($(GIVEN),)
diag/diagnostics.tsv: $(FINAL) FORCE
	+@$(DIAG) . diagnostics
diagnostics:
	+@$(DIAG) . diagnostics
val-report: $(FINAL)
	+@$(DIAG) . val-report
else
# given annotations: there is no full ground truth to diagnose against;
# report.md holds what can be measured
diagnostics val-report:
	@echo "$@: needs full ground truth, which a run on given annotations (ANNOTATE=given) does not have; see report.md" >&2; exit 1
endif
.PHONY: FORCE
FORCE:
iterations: $(FINAL)
# (given annotations: no full ground truth, no baseline)
baselines: $(if $(GIVEN),,models/full.model) $(if $(call yes,$(SPARSE3D)),models/sparse3d.model)

models/full.model: private trainlist = lists/full-train.list
models/full.model: private vallist = $(if $(HAVE_VAL),lists/full-val.list)
models/full.model: lists/full-train.list $(if $(HAVE_VAL),lists/full-val.list) data/split.tsv \
		params/full
	$(call run,$(LAUNCH_TRAIN),$(train_prog) $(FULL_FLAGS) --log logs/full.tsv -o $@.tmp $(lists))

schedule:
	@column -t -s$$'\t' schedule.tsv 2>/dev/null || cat schedule.tsv

status:
	@for m in $(MODELS)$(if $(GIVEN),, models/full.model)$(if $(call yes,$(SPARSE3D)), models/sparse3d.model); do \
	  if [ -f $$m ]; then echo "done     $$m"; else echo "to do    $$m"; fi; done

clean-tmp:
	find . -name '*.tmp' -prune -exec rm -rf {} +

help:
	@sed -n '3,27s/^# \{0,1\}//p' $(PIPE)/selflabel.mk

clean:
	rm -rf prob pseudo labels models logs lists sched mk test report report.md params diag planes p3d choice \
	  schedule.tsv data data.tmp data.old.tmp exp

include $(PIPE)/baseline3d.mk
ifeq ($(GIVEN),)
include $(PIPE)/report.mk
else
include $(PIPE)/given.mk
endif
ifeq ($(filter 3,$(PLANES)),3)
include $(PIPE)/planes.mk
endif
include $(PIPE)/export.mk
include $(PIPE)/bundle.mk
