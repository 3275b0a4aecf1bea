# given.mk: the report of a run on given annotations (ANNOTATE=given,
# selflabel-setup --annotations given); included by selflabel.mk instead of
# report.mk.
#
# Such a run has no full ground truth, so it measures what it can and nothing
# else: each model of REPORT_MODELS (central = the initial model on the
# annotated slices, selflabel = the final model, planes with PLANES=3; no
# full-ground-truth baseline) on the validation volumes' annotated slices (the
# slices no training ever trained on; fine-tuning validates on them), the
# pseudo-labels of each iteration (how many slices, their foreground and
# unlabelled shares), figures of a few validation volumes. No test metrics,
# no diagnostics.
#
#   test/MODEL/CASE.slab        MODEL's probabilities on CASE (any volume)
#   report/val-MODEL-cases.tsv  metrics -U exclude on the annotated slices
#   report/val-MODEL-summary.tsv
#   report/pseudo.tsv, .png     per iteration: the new slices' labels
#   report/fig/CASE-MODEL-{montage,ortho}.png   validation volumes
#   report.md

M_central = $(INITIAL)
M_selflabel = $(FINAL)
SHOWN = $(wordlist 1,$(SHOW),$(CASES_VAL))
# the validation volumes' annotations: their label slabs (255 off the annotated slices)
ANN_VAL = $(CASES_VAL:%=data/labels/%.slab)
GIVEN_REPORTER ?= $(PIPE)/selflabel-given-report

# metrics on the annotated voxels only (-U exclude: 255 is left out of TP, FP
# and FN); writes the summary, then the cases table (the target)
define val_metrics_recipe
@mkdir -p $(@D)
b=$(@:-cases.tsv=); \
$(METRICS) -t $(or $(THR_$(MODEL)),$(THR)) -U exclude -s $$b-summary.tsv.tmp -o $@.tmp \
  <(cat $(CASES_VAL:%=test/$(MODEL)/%.slab)) <(cat $(ANN_VAL)) && \
  mv -f $$b-summary.tsv.tmp $$b-summary.tsv && mv -f $@.tmp $@ || { rm -f $$b-*.tmp; exit 1; }
endef

define given_model_rules
report/val-$1-cases.tsv: MODEL = $1
report/val-$1-cases.tsv: $$(CASES_VAL:%=test/$1/%.slab) $$(ANN_VAL) params/report
	$$(val_metrics_recipe)
endef
$(foreach m,$(REPORT_MODELS),$(eval $(call given_model_rules,$m))$(eval $(call model_shared_rules,$m)))

FIGS = $(foreach m,$(REPORT_MODELS),$(foreach c,$(SHOWN),report/fig/$c-$m-montage.png \
	report/fig/$c-$m-ortho.png))
VAL_TABLES = $(if $(CASES_VAL),$(REPORT_MODELS:%=report/val-%-cases.tsv))

# the labels of each iteration's new slices (iteration 0: the annotated ones)
report/pseudo.tsv: $(FINAL) $(GIVEN_REPORTER)
	$(call run,,$(GIVEN_REPORTER) -p > $@.tmp)
# the columns drawn (a variable: a comma in $(call ...) would split it)
PSEUDO_PLOT ?= fg_share,unlabelled_share,bg_slices
report/pseudo.png: report/pseudo.tsv
	$(call run,,$(PLOT) -t 'Labels of the new slices per iteration' -X iteration -Y share -r 0:1 \
	  -x iteration -y $(PSEUDO_PLOT) -o $@.tmp $<)

report.md: $(VAL_TABLES) report/pseudo.tsv report/pseudo.png $(FIGS) $(GIVEN_REPORTER)
	$(call run,,$(GIVEN_REPORTER) -o $@.tmp $(REPORT_MODELS))

report: report.md
	@sed -n '/^## Validation/,/^## /p' report.md | sed '$$d'
