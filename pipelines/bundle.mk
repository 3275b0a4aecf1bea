# bundle.mk: the run's model bundle (formats/bundle.md), included by
# selflabel.mk: `make bundle` writes out/model/ with the final model (and the
# plane models when PLANES=3) and bundle.tsv, the preprocessing they expect,
# so that pipelines/selflabel-segment segments new scans as the run predicts
# its own volumes. The preprocessing comes from the run's parameters (CROP,
# RESIZE, INGEST_OPTS -Z / --nan, FG_LABELS); a run on a folder of slabs
# (DATA_KIND=slabs) did not convert its data itself, so its bundle says
# what msd2slab --merge does (every label > 0) and the user must check it matches.
# EXPORT_MODEL fused (SPARSE3D and FUSE3D): also the sparse 3-D model
# (sparse3d.model, a `3d` model line) and the run's choice/largest (`largest`,
# with the thresholds of the run's two largest-component steps: THR for the
# 3-D model's own, THR_fused for the fused probabilities).
# LABELS=keep with label maps of C >= 3 classes: also classes.slab (the
# run's data/classes.slab, a one-voxel slab
# whose CLASSES, CLASS_NAMES and CLASS_VALUES the models' outputs take) and
# a `classes` line naming it: the scans are segmented into label maps.

BUNDLE_DIR ?= out/model
BUNDLE_PLANES := $(if $(filter 3,$(PLANES)),cor sag)
# the 3-D model and the largest-component choice: only when the run exports
# the fused model
BUNDLE_3D := $(if $(and $(filter fused,$(EXPORT_MODEL)),$(call yes,$(SPARSE3D)),$(call yes,$(FUSE3D))),yes)
bundle_thr = $(if $(BUNDLE_3D),$(THR_fused),$(if $(BUNDLE_PLANES),$(THR_planes),$(THR_selflabel)))
# msd2slab's NaN policy as INGEST_OPTS gives it (--nan zero, --nan=min, ...)
nan_given = $(findstring --nan $1,$(INGEST_OPTS))$(findstring --nan=$1,$(INGEST_OPTS))
bundle_nan = $(or $(firstword $(foreach v,zero min,$(if $(call nan_given,$v),$v))),refuse)

# (a keep-run of binary label maps, without CLASSES: no classes line)
bundle_classes = $(shell grep -a -m 1 -q '^CLASSES ' $(CLASSES_REF) 2> /dev/null && echo y)
.PHONY: bundle
bundle: $(BUNDLE_DIR)/bundle.tsv
# (params/bundle only when bundling: the benchmark's report lists params/)
BUNDLE_GOAL := $(filter bundle export,$(MAKECMDGOALS))
ifneq ($(BUNDLE_GOAL),)
_ := $(call param,bundle,$(EXPORT_MODEL) $(BUNDLE_3D))
endif

$(BUNDLE_DIR)/bundle.tsv: $(FINAL) $(BUNDLE_PLANES:%=models/plane-%.model) params/data \
		params/testpredict params/report params/planes \
		$(if $(BUNDLE_3D),models/sparse3d.model choice/largest) $(if $(BUNDLE_GOAL),params/bundle)
	@mkdir -p $(@D)
	cp $(FINAL) $(@D)/axial.model.tmp && mv -f $(@D)/axial.model.tmp $(@D)/axial.model
	$(foreach p,$(BUNDLE_PLANES),cp models/plane-$p.model $(@D)/$p.model.tmp && \
	  mv -f $(@D)/$p.model.tmp $(@D)/$p.model && ) true
	$(if $(BUNDLE_3D),cp models/sparse3d.model $(@D)/sparse3d.model.tmp && \
	  mv -f $(@D)/sparse3d.model.tmp $(@D)/sparse3d.model)
	$(if $(KEEP),$(if $(bundle_classes),cp $(CLASSES_REF) $(@D)/classes.slab.tmp && \
	  mv -f $(@D)/classes.slab.tmp $(@D)/classes.slab,rm -f $(@D)/classes.slab))
	{ printf 'selflabel-bundle\t1\n'; \
	  printf '# written by make bundle in %s\n' "$$(pwd)"; \
	  printf 'channels\t%s\n' "$$(sed -n 's/^CHANNELS //p;/^ENDHDR/q' data/images/$(firstword $(CASES_TRAIN)).slab)"; \
	  printf 'crop\t%s\n' '$(or $(CROP),-)'; \
	  printf 'resize\t%s\n' '$(or $(RESIZE),-)'; \
	  printf 'standardise\t%s\n' '$(if $(filter -Z,$(INGEST_OPTS)),none,zscore)'; \
	  printf 'nan\t%s\n' '$(bundle_nan)'; \
	  printf 'foreground\t%s\n' '$(or $(FG_LABELS),-)'; \
	  printf 'threshold\t%s\n' '$(bundle_thr)'; \
	  printf 'flip\t%s\n' '$(if $(call yes,$(REPORT_FLIP)),yes,no)'; \
	  $(if $(KEEP),$(if $(bundle_classes),printf 'classes\tclasses.slab\n';)) \
	  printf 'model\taxial\taxial.model\n'; \
	  $(foreach p,$(BUNDLE_PLANES),printf 'model\t$p\t$p.model\t%s\t%s\n' \
	    '$(PLANE_ORDER_$p)' '$(PLANE_DIMS_$p)';) \
	  $(if $(BUNDLE_3D),printf 'model\tsparse3d\tsparse3d.model\t3d\n'; \
	    printf 'largest\t%s\n' "$$(sed -n 1p choice/largest)"; \
	    $(if $(and $(merged_rules),$(bundle_classes)),printf 'largest-classes\tmerged\n';) \
	    printf 'largest-threshold\t%s\n' '$(THR_fused)'; \
	    printf 'largest-threshold-3d\t%s\n' '$(THR)';) \
	} > $@.tmp && mv -f $@.tmp $@
