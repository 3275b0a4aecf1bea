# diag.mk: diagnostics of a self-labelling run against the full ground truth.
#
# Run by pipelines/selflabel-diag (make -f diag.mk in the run directory,
# after it wrote diag/plan.mk: the iterations whose model exists and where
# each model's probabilities are). It reads the run's files and writes only
# under diag/, so it works on a finished, stopped or running run, and on a run
# set up by an older version of the pipeline.
#
#   diag/central-slices.tsv   the initial model (p >= DIAG_THR) against the
#                             ground truth, per slice of every train/val volume
#   diag/pseudo/II-slices.tsv the ground truth against the pseudo-labels of
#                             iteration II (their 255 pixels left out)
#   diag/val/II-cases.tsv     models/II.model on the validation volumes
#   diag/rows/II.tsv          one row per iteration (pipelines/diag-row.awk)
#   diag/diagnostics.tsv      all rows; diag/diagnostics.png, a plot of them
#   diag/prob/II/CASE.slab    probabilities the run did not keep (the last
#                             model on the validation volumes, mostly)
#   diag/val-report.md        `val-report`: the initial and the last model
#                             (and models/full.model when it exists) on the
#                             validation volumes, DSC ... HD95 as in the test
#                             report; diag/val-MODEL-{cases,summary}.tsv
#
# Iteration 0's "pseudo-labels" are the annotated slices' ground truth.

.DEFAULT_GOAL := diagnostics
DIAG_MK := $(lastword $(MAKEFILE_LIST))
# the run's parameters (config.mk), then their defaults (common.mk)
-include config.mk
include $(dir $(DIAG_MK))common.mk
# the threshold of the models' own masks (central_dsc, val_dsc)
DIAG_THR ?= 0.5

# (a dry run, make -n, reads selflabel-diag's plan from a temporary file)
DIAG_PLAN ?= diag/plan.mk
include $(DIAG_PLAN)

# predictions (diag/prob/II/CASE.slab) see SL_ITER=II and SL_CASE=CASE, the
# other recipes no environment (common.mk's run macro)
run_env = $(if $(filter diag/prob/%,$@),SL_ITER=$(word 3,$(subst /, ,$@)) SL_CASE=$(case))
# predict as the run's iterations do (PREDICT_FLAGS); the inputs model and
# image are target-specific variables selflabel-diag writes in diag/plan.mk
diag_predict = $(call run,$(LAUNCH),$(PREDICT) -m $(model) $(PREDICT_FLAGS) -o $@.tmp $(image))

# multi-plane runs: a plane model's prediction put back in place (on ref,
# the image); the mean
diag_plane_predict = $(call run,$(LAUNCH),$(PREDICT) -m $(model) $(PREDICT_FLAGS) -o $@.p.tmp \
	$(image) && $(PERMUTE) -p $(PLANE_ORDER_$1) -r $(ref) -o $@.tmp $@.p.tmp && \
	rm -f $@.p.tmp || { rm -f $@.p.tmp; false; })
diag_mean = $(call run,,$(MEAN) -o $@.tmp $^)
# the mean of the f32 prerequisites, kept to the largest component when the
# run's choice/largest says yes (pipelines/selflabel-largest); $1: the threshold
diag_largest = $(call run,,$(LARGEST_ENV) $(PIPE)/selflabel-largest -c choice/largest -t $1 -o $@.tmp \
	$(filter-out choice/largest,$^))

# metrics with per-slice counts: $(call slices,PRED FILES,GT FILES,THR)
define slices
@mkdir -p $(@D)
$(METRICS) -t $3 --slices-out $@.tmp -s $@.sum.tmp <(cat $1) <(cat $2) > /dev/null && \
  rm -f $@.sum.tmp && mv -f $@.tmp $@ || { rm -f $@.tmp $@.sum.tmp; exit 1; }
endef

diag/central-slices.tsv: $(P_INITIAL) $(GT_TV)
	$(call slices,$(P_INITIAL),$(GT_TV),$(DIAG_THR))

# the ground truth as the prediction and the pseudo-labels as the truth:
# pseudo-label 255 pixels are then left out, DSC is the same either way
diag/pseudo/%-slices.tsv:
	$(call slices,$(GT_$*),$(PS_$*),0.5)

diag/val/%-cases.tsv:
	$(call run,,$(METRICS) -t $(DIAG_THR) -s $@.sum.tmp -o $@.tmp <(cat $(VP_$*)) <(cat $(GT_V)) && \
	  rm -f $@.sum.tmp)

diag/rows/%.tsv: sched/%.tsv diag/pseudo/%-slices.tsv diag/central-slices.tsv $(PIPE)/diag-row.awk
	$(call run,,awk -v it=$* -f $(PIPE)/diag-row.awk sched/$*.tsv diag/pseudo/$*-slices.tsv \
	  diag/central-slices.tsv \
	  $(if $(strip $(CASES_V)),diag/val/$*-cases.tsv) > $@.tmp)

DIAG_HEADER := iteration new_slices pseudo_dsc unlabelled_share bg_share bg_share_true \
	fg_pseudo fg_true fg_ratio central_dsc val_dsc val_dsc_mean

diag/diagnostics.tsv: $(DIAG_ITERS:%=diag/rows/%.tsv)
	$(call run,,{ printf '%s\n' '$(DIAG_HEADER)' | tr -s ' ' '\t'; cat $^; } > $@.tmp)

# the columns drawn (a variable: a comma in $(call ...) would split it)
DIAG_PLOT ?= pseudo_dsc,central_dsc,val_dsc,bg_share,bg_share_true,fg_ratio
diag/diagnostics.png: diag/diagnostics.tsv
	$(call run,,$(PLOT) -t 'Self-labelling diagnostics (iterations 0-$(DIAG_LAST) of $(DIAG_OF))' \
	  -X iteration -Y 'DSC or share' -x iteration \
	  -y $(DIAG_PLOT) -o $@.tmp $<)

.PHONY: diagnostics val-report
diagnostics: diag/diagnostics.tsv diag/diagnostics.png

# ---- val-report: the models on the validation volumes, like the test report ----
define val_rules
diag/val-$1-cases.tsv: MODEL = $1
diag/val-$1-cases.tsv: $$(VR_$1) $$(GT_V) params/report
	@mkdir -p $$(@D)
	b=$$(@:-cases.tsv=); \
	$$(METRICS) -t $$(or $$(THR_$$(MODEL)),$$(THR)) --hd95 $$(HD95_OPTS) -s $$$$b-summary.tsv.tmp -o $$@.tmp \
	  <(cat $$(VR_$1)) <(cat $$(GT_V)) && mv -f $$$$b-summary.tsv.tmp $$$$b-summary.tsv && \
	  mv -f $$@.tmp $$@ || { rm -f $$$$b-*.tmp; exit 1; }
endef
$(foreach m,$(VAL_MODELS),$(eval $(call val_rules,$m)))

diag/val-report.md: $(VAL_MODELS:%=diag/val-%-cases.tsv) $(PIPE)/selflabel-diag
	$(call run,,$(PIPE)/selflabel-diag -r $(VAL_MODELS) > $@.tmp)

val-report: diag/val-report.md
	@cat $<
