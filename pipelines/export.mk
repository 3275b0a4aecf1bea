# export.mk: `make export`, the run's results as NIfTI on each scan's own grid
# (included by selflabel.mk).
#
# Needs data/sources.tsv (msd2slab writes it: case, set tr|ts, the source
# image and label NIfTI paths) and slab2nii -g (resampling onto a reference
# NIfTI's grid). For every source case:
#   out/labelsTr/CASE.nii.gz  (set tr: every training and validation volume)
#   out/labelsTs/CASE.nii.gz  (set ts: every image of imagesTs/)
# a u8 mask with the source image's shape and affine: EXPORT_MODEL's
# probabilities (the final self-labelling model; with PLANES=3 the three planes
# fused) resampled onto the scan's grid, then thresholded at EXPORT_THR
# (SL_THR, else THR), 1 = foreground; with LABELS=keep and C >= 3 classes the
# label map (the most probable class) with the dataset's own label values. On a training volume's annotated planes
# (the slices marked g, or the planes DATASET/annotations.tsv names) the
# source label file is copied verbatim, exactly as painted (its own values).
# Not the loop's last labels: the final model's mask is smooth across the
# volume where the pseudo-labels leave uncertain pixels unlabelled.
# EXPORT_PROB=yes adds out/probTr/, out/probTs/ (f32 probabilities, not
# thresholded, no overlay).
#
#   mk/export.mk                the plan: one rule per output (selflabel-export-plan)
#   test/MODEL/CASE.slab        the probabilities of a training/validation volume
#   exp/ts/MODEL/CASE.slab      ... of a test image (data/imagesTs/CASE.slab)

SLAB2NII ?= slab2nii
EXPORT_PLAN ?= $(PIPE)/selflabel-export-plan

# (params/export only when exporting: the benchmark's report lists params/)
ifneq ($(filter export,$(MAKECMDGOALS)),)
_ := $(call param,export,$(SLAB2NII) $(EXPORT_MODEL) $(EXPORT_THR) $(EXPORT_PROB))
ifeq ($(DRY),)
include mk/export.mk
else
# a dry run reads the plan from a temporary file: mk/export.mk stays as it is
dry_export_plan := $(shell f=$$(mktemp) && DATASET='$(DATASET)' EXPORT_MODEL=$(EXPORT_MODEL) \
	EXPORT_PROB=$(EXPORT_PROB) $(EXPORT_PLAN) > $$f 2> /dev/null && echo $$f || rm -f $$f)
ifneq ($(dry_export_plan),)
-include $(dry_export_plan)
_ := $(shell rm -f $(dry_export_plan))
endif
endif
endif
ifeq ($(DRY),)
mk/export.mk: data/split.tsv mk/run.mk params/export $(EXPORT_PLAN) $(wildcard $(DATASET)/annotations.tsv)
	$(call run,,DATASET='$(DATASET)' EXPORT_MODEL=$(EXPORT_MODEL) EXPORT_PROB=$(EXPORT_PROB) $(EXPORT_PLAN) > $@.tmp)
endif

# a mask on the reference grid; the annotated planes overlaid (private
# variables of each rule, from the plan: ref, label, planes)
# LABELS=keep: probabilities of C >= 3 classes (more than one channel) become
# the label map, the most probable class per voxel with the dataset's own
# label values (slab2nii --argmax), those of one channel a mask at EXPORT_THR
export_how = $(if $(KEEP),$$([ "$$(sed -n '/^ENDHDR$$/q; s/^CHANNELS //p' $<)" = 1 ] && \
	echo -t $(EXPORT_THR) || echo --argmax),-t $(EXPORT_THR))
export_mask = $(call run,$(LAUNCH),$(SLAB2NII) -g $(ref) $(export_how) \
	$(if $(planes),--overlay $(label) $(foreach p,$(planes),--overlay-planes $p)) -o $@.tmp $<)
export_prob = $(call run,$(LAUNCH),$(SLAB2NII) -g $(ref) -o $@.tmp $<)

# test images: a model with an M_ variable (EXPORT_MODEL selflabel: the final
# model, central: iteration 0's), and with PLANES=3 the plane models fused
define export_model_rules
exp/ts/$1/%.slab: $$(M_$1) data/imagesTs/%.slab params/testpredict
	$$(call run,$$(LAUNCH),$$(PREDICT) -m $$(M_$1) $$(REPORT_PREDICT_FLAGS) -o $$@.tmp data/imagesTs/$$*.slab)
endef
$(foreach m,$(patsubst M_%,%,$(filter M_%,$(.VARIABLES))),$(eval $(call export_model_rules,$m)))
define export_plane_rules
exp/ts/plane-$1/%.slab: models/plane-$1.model data/imagesTs/%.slab params/testpredict params/planes
	$$(call run,$$(LAUNCH),$$(PERMUTE) -p $$(PLANE_ORDER_$1) \
	  -d $$$$($$(PIPE)/selflabel-plane-dims $$(PLANE_ORDER_$1) $$(PLANE_DIMS_$1) data/imagesTs/$$*.slab) \
	  -o $$@.i.tmp data/imagesTs/$$*.slab && \
	  $$(PREDICT) -m models/plane-$1.model $$(REPORT_PREDICT_FLAGS) -o $$@.p.tmp $$@.i.tmp && \
	  $$(PERMUTE) -p $$(PLANE_ORDER_$1) -r data/imagesTs/$$*.slab -o $$@.tmp $$@.p.tmp && rm -f $$@.i.tmp $$@.p.tmp || \
	  { rm -f $$@.i.tmp $$@.p.tmp; false; })
endef
$(foreach p,$(PLANE_NAMES),$(eval $(call export_plane_rules,$p)))
exp/ts/planes/%.slab: exp/ts/selflabel/%.slab exp/ts/plane-cor/%.slab exp/ts/plane-sag/%.slab
	$(call run,$(LAUNCH),$(MEAN) -o $@.tmp $^)
# the sparse 3-D model (SPARSE3D) and the fused prediction (FUSE3D), as
# pipelines/baseline3d.mk makes them for the run's own volumes
ifeq ($(call yes,$(SPARSE3D)),yes)
exp/ts/p3d/%.slab: models/sparse3d.model data/imagesTs/%.slab params/testpredict
	$(call run,$(LAUNCH),$(PREDICT) -m models/sparse3d.model $(REPORT_PREDICT_FLAGS) -o $@.tmp data/imagesTs/$*.slab)
exp/ts/sparse3d/%.slab: exp/ts/p3d/%.slab choice/largest
	$(call run,$(LARGEST_ENV) $(LAUNCH),$(PIPE)/selflabel-largest -c choice/largest -t $(THR) -o $@.tmp $<)
exp/ts/fused/%.slab: exp/ts/$(FUSE2D)/%.slab exp/ts/sparse3d/%.slab choice/largest
	$(call run,$(LARGEST_ENV) $(LAUNCH),$(PIPE)/selflabel-largest -c choice/largest -t $(THR_fused) \
	  -o $@.tmp exp/ts/$(FUSE2D)/$*.slab exp/ts/sparse3d/$*.slab)
endif

.PHONY: export
export: $(EXPORT_FILES) bundle
	@echo "export: $(words $(EXPORT_FILES)) files in out/ ($(EXPORT_MODEL) model, $(if $(KEEP),label maps: the most probable class (a binary model: p >= $(EXPORT_THR)),p >= $(EXPORT_THR))$(if $(call yes,$(EXPORT_PROB)), and probabilities))"
