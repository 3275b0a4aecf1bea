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
	$(call run,$(LAUNCH_TRAIN),$(TRAIN) $(FULL3D_FLAGS) --log logs/full3d.tsv -o $@.tmp $(lists))
