# baseline3d.mk: the 3-D U-Net trained on all ground truth (the paper's "3D
# baseline"), included by selflabel.mk before report.mk.
#
# BASELINE3D=yes (off by default: about 20 minutes for the hippocampus here) adds models/full3d.model to `make baselines`
# and the row "3D baseline" (REPORT_MODELS += full3d) to the report: the 3-D
# network (unet-train --dims 3) on the whole training volumes with their full
# ground truth, validated on the validation volumes, the same optimiser,
# learning rate, loss (--pos-weight too), schedule and early stopping as the 2-D
# baselines, batches of
# FULL3D_BATCH volumes, no augmentation. Volumes are padded after their last
# slice to a multiple of 16 (mask 255: no loss); unet-predict predicts each
# test volume whole.

# (BASELINE3D, FULL3D_EPOCHS, FULL3D_BATCH, FULL3D_OPTS and FULL3D_FLAGS:
# pipelines/common.mk)
M_full3d = models/full3d.model

# (given annotations: no full ground truth, no 3-D baseline)
ifeq ($(call yes,$(BASELINE3D))$(GIVEN),yes)
ifeq ($(filter clean help,$(MAKECMDGOALS)),)
_ := $(call param,full3d,$(TRAIN) $(FULL3D_FLAGS))
endif
REPORT_MODELS += full3d
baselines: models/full3d.model
endif

models/full3d.model: private trainlist = lists/full-train.list
models/full3d.model: private vallist = $(if $(HAVE_VAL),lists/full-val.list)
models/full3d.model: lists/full-train.list $(if $(HAVE_VAL),lists/full-val.list) data/split.tsv \
		params/full3d
	$(call run,$(LAUNCH_TRAIN),$(train_prog) $(FULL3D_FLAGS) --log logs/full3d.tsv -o $@.tmp $(lists))

# ---- the sparse 3-D model (SPARSE3D=yes, the default) ------------------------------
# models/sparse3d.model: the 3-D U-Net on every training volume with its
# annotated slices only (labels/00/, 255 elsewhere), validated on the
# validation volumes' annotated slices; flags as the 3-D baseline's
# (SPARSE3D_EPOCHS, SPARSE3D_OPTS). Its raw probabilities p3d/CASE.slab; the
# report row and teacher test/sparse3d/CASE.slab: p3d kept to the largest
# component when choice/largest says yes; with FUSE3D the report model
# `fused`, test/fused/CASE.slab: the mean of the final 2-D prediction
# (test/planes/ with PLANES=3, else test/selflabel/) and test/sparse3d/,
# kept to the largest component likewise.
#
#   choice/largest      yes or no, and why (LARGEST=auto: metrics -U exclude
#                       on the validation volumes' annotated slices)
ifeq ($(call yes,$(SPARSE3D)),yes)
ifeq ($(filter clean help,$(MAKECMDGOALS)),)
_ := $(call param,sparse3d,$(TRAIN) $(SPARSE3D_FLAGS))
_ := $(call param,largest,$(LARGEST) $(LARGEST_TOOL))
endif
FUSE2D = $(if $(filter 3,$(PLANES)),planes,selflabel)
# the annotated slices of the validation volumes
ANN0_VAL = $(CASES_VAL:%=$(ANN0)/%.slab)

models/sparse3d.model: private trainlist = lists/sparse3d-train.list
models/sparse3d.model: private vallist = $(if $(HAVE_VAL),lists/sparse3d-val.list)
models/sparse3d.model: lists/sparse3d-train.list $(if $(HAVE_VAL),lists/sparse3d-val.list) \
		$(LABELS_$(notdir $(ANN0))) params/sparse3d
	$(call run,$(LAUNCH_TRAIN),$(train_prog) $(SPARSE3D_FLAGS) --log logs/sparse3d.tsv -o $@.tmp $(lists))

# (reached through pattern rules only, they are kept all the same)
.PRECIOUS: p3d/%.slab test/sparse3d/%.slab test/fused/%.slab
p3d/%.slab: models/sparse3d.model data/images/%.slab params/testpredict
	$(call run,$(LAUNCH),$(PREDICT) -m models/sparse3d.model $(REPORT_PREDICT_FLAGS) -o $@.tmp data/images/$*.slab)

# the choice (pipelines/selflabel-largest): LARGEST=auto measures it on the
# validation volumes' annotated slices
choice/largest: $(if $(filter auto,$(LARGEST)),$(CASES_VAL:%=p3d/%.slab) $(ANN0_VAL)) \
		params/largest $(PIPE)/selflabel-largest
	$(call run,,$(LARGEST_ENV) $(PIPE)/selflabel-largest -m $(LARGEST) -t $(THR) \
	  -a $(ANN0) -p p3d $(CASES_VAL) > $@.tmp)

test/sparse3d/%.slab: p3d/%.slab choice/largest
	$(call run,$(LARGEST_ENV) $(LAUNCH),$(PIPE)/selflabel-largest -c choice/largest -t $(THR) -o $@.tmp $<)

ifeq ($(call yes,$(FUSE3D)),yes)
test/fused/%.slab: test/$(FUSE2D)/%.slab test/sparse3d/%.slab choice/largest
	$(call run,$(LARGEST_ENV) $(LAUNCH),$(PIPE)/selflabel-largest -c choice/largest -t $(THR_fused) \
	  -o $@.tmp test/$(FUSE2D)/$*.slab test/sparse3d/$*.slab)
endif
endif
