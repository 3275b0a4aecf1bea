# planes.mk: multi-plane self-labelling (PLANES=3; included by selflabel.mk).
#
# After the loop, the final labels of the training and validation volumes
# (axial slices, labels/II/CASE.slab) train a 2-D model along each of the
# other two planes; the volumes are reordered with slab-permute (cor: x-z
# slices, order xzy; sag: z-y slices, order zyx) and padded in-plane to
# multiples of 2^PLANE_DEPTH (masks with 255: no loss) so every slice has one
# size. A test volume's three predictions (the axial final model and the two
# plane models, put back with slab-permute -r) are averaged (prob-mean): the
# report's model `planes`.
#
#   planes/P/images/CASE.slab, planes/P/labels/CASE.slab   reordered, padded
#   planes/P/P-{train,val}.list, models/plane-P.model       P = cor, sag
#   planes/P/gt/CASE.slab      given annotations (ANNOTATE=given): a validation
#                              volume's annotated slices alone (labels/00/),
#                              reordered: the plane models validate on them
#   test/plane-P/CASE.slab, test/planes/CASE.slab          test predictions

PLANE_NAMES := cor sag
# r16 N: N rounded up to a multiple of 2^PLANE_DEPTH
r16 = $(shell echo $$(( ($1 + (1 << $(PLANE_DEPTH)) - 1) >> $(PLANE_DEPTH) << $(PLANE_DEPTH) )))
PLANE_DIMS_cor = $(call r16,$(word 1,$(DIMS_MAX))),$(call r16,$(word 3,$(DIMS_MAX)))
PLANE_DIMS_sag = $(call r16,$(word 3,$(DIMS_MAX))),$(call r16,$(word 2,$(DIMS_MAX)))
CASES_TV = $(CASES_TRAIN) $(CASES_VAL)

.PHONY: planes
planes: $(PLANE_NAMES:%=models/plane-%.model)

define plane_rules
planes/$1/images/%.slab: data/images/%.slab params/planes
	$$(call run,$$(LAUNCH),$$(PERMUTE) -p $$(PLANE_ORDER_$1) -d $$(PLANE_DIMS_$1) -o $$@.tmp data/images/$$*.slab)
planes/$1/labels/%.slab: params/planes
	$$(call run,$$(LAUNCH),$$(PERMUTE) -p $$(PLANE_ORDER_$1) -d $$(PLANE_DIMS_$1) -o $$@.tmp $$(FL_$$*))
$(foreach c,$(CASES_TV),planes/$1/labels/$c.slab: $(FL_$c)
)
planes/$1/gt/%.slab: $(ANN0)/%.slab params/planes
	$$(call run,$$(LAUNCH),$$(PERMUTE) -p $$(PLANE_ORDER_$1) -d $$(PLANE_DIMS_$1) -o $$@.tmp $$<)
# the lists name the cases only: rewritten when the set of cases changes
planes/$1/$1-%.list: mk/run.mk
	@mkdir -p $$(@D)
	for c in $$(CASES_$$(call upper,$$*)); do \
	  echo "planes/$1/images/$$$$c.slab planes/$1/$$(PLANE_VAL_$$*)/$$$$c.slab"; done > $$@.tmp
	cmp -s $$@.tmp $$@ && rm -f $$@.tmp || mv -f $$@.tmp $$@
models/plane-$1.model: private trainlist = planes/$1/$1-train.list
models/plane-$1.model: private vallist = $(if $(HAVE_VAL),planes/$1/$1-val.list)
models/plane-$1.model: planes/$1/$1-train.list $(if $(HAVE_VAL),planes/$1/$1-val.list) \
		$(foreach c,$(CASES_TV),planes/$1/images/$c.slab planes/$1/labels/$c.slab) \
		$(if $(GIVEN),$(foreach c,$(CASES_VAL),planes/$1/gt/$c.slab)) params/planetrain
	$$(call run,$$(LAUNCH_TRAIN),$$(train_prog) $$(PLANE_FLAGS) --log logs/plane-$1.tsv -o $$@.tmp $$(lists))
test/plane-$1/%.slab: models/plane-$1.model planes/$1/images/%.slab data/images/%.slab params/testpredict
	$$(call run,$$(LAUNCH),$$(PREDICT) -m models/plane-$1.model $$(REPORT_PREDICT_FLAGS) -o $$@.p.tmp \
	  planes/$1/images/$$*.slab && \
	  $$(PERMUTE) -p $$(PLANE_ORDER_$1) -r data/images/$$*.slab -o $$@.tmp $$@.p.tmp && rm -f $$@.p.tmp || \
	  { rm -f $$@.p.tmp; false; })
endef
# the labels a list names: the final ones; given annotations: the validation
# volumes' annotated slices only
PLANE_VAL_train = labels
PLANE_VAL_val = $(if $(GIVEN),gt,labels)
upper = $(if $(filter train,$1),TRAIN,$(if $(filter val,$1),VAL,$1))
$(foreach p,$(PLANE_NAMES),$(eval $(call plane_rules,$p)))

test/planes/%.slab: test/selflabel/%.slab test/plane-cor/%.slab test/plane-sag/%.slab
	$(call run,$(LAUNCH),$(MEAN) -o $@.tmp $^)
