# report.mk: the test-set report (included by selflabel.mk).
#
# Each model of REPORT_MODELS (default: central = the initial model on the
# annotated slices, selflabel = the final model of the loop, full = the 2-D
# model on all ground truth; add your own with REPORT_MODELS += NAME and
# M_NAME = PATH) predicts every test volume. metrics scores them against the
# full ground truth (DSC, IoU, TPR, TNR, precision, HD95 in mm, DSC per
# normalised slice index bin), tsv-plot draws the DSC per NSI, slab2png draws
# overlays of a few test cases, and selflabel-report writes report.md.
#
#   test/MODEL/CASE.slab       probabilities
#   report/MODEL-cases.tsv     one row per test case
#   report/MODEL-summary.tsv   mean ± sd per metric
#   report/MODEL-nsi.tsv       DSC per NSI bin
#   report/summary.tsv         the models side by side; report/nsi.tsv, nsi.png
#   report/fig/CASE-MODEL-{montage,ortho}.png
#   report.md

M_central = $(INITIAL)
M_selflabel = $(FINAL)
M_full = models/full.model
SHOWN = $(wordlist 1,$(SHOW),$(CASES_TEST))
GT_TEST = $(CASES_TEST:%=data/labels/%.slab)

# metrics writes three files; the cases table is written last and is the target
define metrics_recipe
@mkdir -p $(@D)
b=$(@:-cases.tsv=); \
$(METRICS) -t $(or $(THR_$(MODEL)),$(THR)) --hd95 $(HD95_OPTS) --nsi-bins $(NSI_BINS) --nsi-out $$b-nsi.tsv.tmp \
  -s $$b-summary.tsv.tmp -o $@.tmp <(cat $(CASES_TEST:%=test/$(MODEL)/%.slab)) <(cat $(GT_TEST)) && \
  mv -f $$b-nsi.tsv.tmp $$b-nsi.tsv && mv -f $$b-summary.tsv.tmp $$b-summary.tsv && \
  mv -f $@.tmp $@ || { rm -f $$b-*.tmp; exit 1; }
endef

# (a model without M_NAME, like `planes`, has its own rule for test/NAME/)
define model_rules
report/$1-cases.tsv: MODEL = $1
report/$1-cases.tsv: $$(CASES_TEST:%=test/$1/%.slab) $$(GT_TEST) params/report
	$$(metrics_recipe)
endef
$(foreach m,$(REPORT_MODELS),$(eval $(call model_rules,$m))$(eval $(call model_shared_rules,$m)))

FIGS = $(foreach m,$(REPORT_MODELS),$(foreach c,$(SHOWN),report/fig/$c-$m-montage.png \
	report/fig/$c-$m-ortho.png))
CASE_TABLES = $(REPORT_MODELS:%=report/%-cases.tsv)

# DSC per NSI bin of every model side by side (x = the bin's middle)
report/nsi.tsv: $(CASE_TABLES)
	@mkdir -p $(@D)
	{ printf 'nsi'; for m in $(REPORT_MODELS); do printf '\t%s' $$m; done; echo; \
	  paste $(REPORT_MODELS:%=report/%-nsi.tsv) | awk -F'\t' -v n=$(words $(REPORT_MODELS)) \
	    'NR == 1 { for (i = 1; i <= NF; i++) if ($$i == "dsc_mean") c[++k] = i; next } \
	     { printf "%.4g", ($$2 + $$3) / 2; for (j = 1; j <= n; j++) printf "\t%s", $$c[j]; print "" }'; \
	} > $@.tmp && mv -f $@.tmp $@

report/nsi.png: report/nsi.tsv
	$(call run,,$(PLOT) -t 'DSC per slice position (test volumes)' -X 'normalised slice index' \
	  -Y DSC -r 0:1 -o $@.tmp $<)

report.md: $(CASE_TABLES) report/nsi.tsv report/nsi.png $(FIGS) $(REPORTER) diag/diagnostics.tsv
	$(call run,,$(REPORTER) -o $@.tmp $(REPORT_MODELS))

report: report.md
	@sed -n '/^## Test set/,/^## /p' report.md | sed '$$d'
