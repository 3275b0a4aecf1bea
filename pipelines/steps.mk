# steps.mk: each iteration's per-volume work as a few job steps (STEPS=N),
# included by selflabel.mk after the generated makefiles.
#
# STEPS empty (the default): every per-volume recipe of the loop (annotate;
# predict, filter, merge) is a target of this make, run here, prefixed by LAUNCH.
# STEPS=N: the volumes of each iteration are dealt in turn into N groups, and
# the new labels of a group (labels/II/CASE.slab) are one grouped target whose
# one recipe is an inner make of this run, started by STEP_LAUNCH (e.g.
# `srun -n1 -c4`, one job step), with -j STEP_JOBS and STEPS and LAUNCH empty:
# it makes the group's predictions, pseudo-labels and labels (prob/II/,
# pseudo/II/, labels/II/) with the per-volume rules, and leaves what it finds
# done. The group's prerequisites are what its volumes' rules read from
# outside them (STEP_IN_II_CASE, written by selflabel-gen beside the rules),
# so the group is made again when one of them is newer than one of its
# labels, or one of its labels is missing. The labels are .PRECIOUS: an
# interrupted or failed group keeps the ones its inner make finished (each
# written whole, to a temp file then renamed).
# pipelines/selflabel-slurm sets STEPS, STEP_LAUNCH and STEP_JOBS from the
# allocation. The outputs are the same either way.

STEPS ?=
STEP_LAUNCH ?=
STEP_JOBS ?= 1
STEP_MAKE ?= $(MAKE)

ifneq ($(STEPS),)
ifeq ($(filter grouped-target,$(.FEATURES)),)
$(error STEPS needs GNU make 4.3 or later (grouped targets); this is make $(MAKE_VERSION))
endif
ifeq ($(shell [[ '$(subst ','',$(STEPS))' =~ ^[1-9][0-9]*$$ ]] && echo y),)
$(error STEPS is not a number of job steps: '$(STEPS)')
endif
STEP_IDS := $(shell seq $(STEPS))
# $(call deal,WORDS,IDS): WORD@ID for each word, the ids taken in turn
deal = $(if $1,$(firstword $1)@$(firstword $2) $(call deal,$(wordlist 2,$(words $1),$1),$(wordlist \
	2,$(words $2),$2) $(firstword $2)))
# the inner make: this make's flags and command-line variables, not its job server
step_flags = $(subst ','\'',$(filter-out -j% --jobserver-auth=% --jobserver-fds=%,$(MAKEFLAGS)))
# $(call step,TARGETS): one job step makes TARGETS
step = MAKEFLAGS='$(step_flags)' $(STEP_LAUNCH) $(STEP_MAKE) --no-print-directory -j$(STEP_JOBS) \
	STEPS= LAUNCH= $1
# $(call step_rule,II,TARGETS): the group TARGETS of iteration II
define step_rule
$2 &: $(foreach t,$2,$(STEP_IN_$1_$(basename $(notdir $t))))
	$$(call step,$2)
.PRECIOUS: $2
endef
# each iteration's new labels, dealt into groups
$(foreach i,$(patsubst models/%.model,%,$(MODELS)),\
	$(eval step_pairs := $(call deal,$(filter labels/$i/%,$(LABELS_$i)),$(STEP_IDS)))\
	$(foreach s,$(STEP_IDS),$(if $(filter %@$s,$(step_pairs)),\
		$(eval $(call step_rule,$i,$(patsubst %@$s,%,$(filter %@$s,$(step_pairs))))))))
endif
