#!/usr/bin/env bats
# The pipeline on a real single-node Slurm: munged, slurmctld and slurmd
# started on localhost from a generated slurm.conf in a temporary folder (its
# own ports and job ids), the batch script of selflabel-setup --slurm
# submitted with sbatch, the trainings as MPI job steps (unet-train-mpi over
# srun --mpi=pmix), a cancelled job resubmitted. Skipped visibly without
# slurm-wlm, munge or the MPI build (make deps-hpc, then make). Everything is
# torn down at the end, also after a failure.

bats_require_minimum_version 1.5.0
load helpers

# the daemons and their files; $1: stop (by pid) what is still running
slurm_down() {
	local b=$SLURM_BASE p _
	[ -n "$b" ] && [ -d "$b" ] || return 0
	# every job cancelled and gone first (a shutdown with a job still ending
	# keeps slurmd alive for seconds)
	scancel -p debug > /dev/null 2>&1 || true
	for _ in $(seq 100); do
		if [ -z "$(squeue -h -o %i 2> /dev/null)" ]; then break; fi
		sleep 0.1
	done
	scontrol shutdown > /dev/null 2>&1 || true
	for _ in $(seq 100); do
		kill -0 $(cat "$b/slurmctld.pid" "$b/slurmd.pid" 2> /dev/null) 2> /dev/null || break
		sleep 0.1
	done
	munged -s --socket="$b/munge/munge.socket" > /dev/null 2>&1 || true
	for p in $(cat "$b/slurmctld.pid" "$b/slurmd.pid" "$b/munge/munged.pid" 2> /dev/null); do
		kill -9 "$p" 2> /dev/null || true
	done
}

# free_port: a port P with P and P+1 free on localhost, from this shell's pid
free_port() {
	local p i
	for i in $(seq 0 40); do
		p=$((20000 + ($$ * 7 + i * 97) % 30000))
		if ! (: > "/dev/tcp/127.0.0.1/$p") 2> /dev/null && ! (: > "/dev/tcp/127.0.0.1/$((p + 1))") 2> /dev/null; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

setup_file() {
	export SLURM_SKIP= SLURM_BASE=
	local c
	if [ -n "${SELFLABEL_SANITIZE-}" ]; then SLURM_SKIP="make SANITIZE=1 builds no unet-train-mpi"; return 0; fi
	for c in munged mungekey slurmctld slurmd sbatch srun squeue scancel scontrol; do
		command -v "$c" > /dev/null || { SLURM_SKIP="no $c (make deps-hpc installs slurm-wlm and munge)"; return 0; }
	done
	command -v unet-train-mpi > /dev/null ||
		{ SLURM_SKIP="no unet-train-mpi: built only with an MPI (make deps-hpc, then make)"; return 0; }
	[ "$(nproc)" -ge 2 ] || { SLURM_SKIP="one core: the runs need 2 (2 tasks, or a job beside a job)"; return 0; }
	# a short path (munge's socket), opened up to all but writable by us alone
	SLURM_BASE=$(mktemp -d /tmp/selflabel-slurm.XXXXXX)
	local b=$SLURM_BASE port h
	chmod 755 "$b"
	mkdir -p "$b/munge" "$b/state" "$b/spool" "$b/log" "$b/pmix"
	chmod 755 "$b/munge"
	port=$(free_port)
	h=$(hostname -s)
	export SLURM_CONF=$b/slurm.conf
	mungekey -c -k "$b/munge/munge.key"
	# --force: a parent folder (bats' own) may be closed to others
	munged --force --key-file="$b/munge/munge.key" --socket="$b/munge/munge.socket" \
		--pid-file="$b/munge/munged.pid" --log-file="$b/munge/munged.log" --seed-file="$b/munge/munged.seed"
	# job ids of its own (concurrent clusters' MPI steps must not share
	# Open MPI's shared-memory names, which carry the job id)
	cat > "$SLURM_CONF" << EOF
ClusterName=selflabel
FirstJobId=$((port * 1000))
SlurmctldHost=$h(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=$(id -un)
SlurmdUser=$(id -un)
AuthType=auth/munge
AuthInfo=socket=$b/munge/munge.socket
CredType=cred/munge
StateSaveLocation=$b/state
SlurmdSpoolDir=$b/spool
SlurmctldPidFile=$b/slurmctld.pid
SlurmdPidFile=$b/slurmd.pid
SlurmctldLogFile=$b/log/slurmctld.log
SlurmdLogFile=$b/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
MailProg=/bin/true
ProctrackType=proctrack/linuxproc
TaskPlugin=task/affinity
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SwitchType=switch/none
MpiDefault=pmix
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
ReturnToService=2
SlurmdTimeout=30
InactiveLimit=0
KillWait=5
MinJobAge=300
NodeName=$h NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=1000 State=UNKNOWN
PartitionName=debug Nodes=$h Default=YES MaxTime=INFINITE State=UP
EOF
	echo "PMIxCliTmpDirBase=$b/pmix" > "$b/mpi.conf"
	slurmctld -f "$SLURM_CONF"
	slurmd -f "$SLURM_CONF"
	local st= _
	for _ in $(seq 300); do
		st=$(sinfo -h -n "$h" -o %T 2> /dev/null || true)
		if [ "$st" = idle ]; then break; fi
		sleep 0.1
	done
	[ "$st" = idle ] || { echo "the node is '$st', not idle" >&2; tail "$b"/log/*.log >&2; return 1; }
	# Open MPI as root, and in containers that forbid cross-memory attach
	export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
	export OMPI_MCA_btl_vader_single_copy_mechanism=none
	# the phantom data set every run converts: 6 volumes of 32x32x8
	phantom -n 6 -d 32,32,8 -s 3 "$BATS_FILE_TMPDIR/ph" > /dev/null
}

teardown_file() {
	slurm_down
	if [ -n "${SLURM_BASE-}" ]; then rm -rf "$SLURM_BASE"; fi
}

setup() {
	cd "$BATS_TEST_TMPDIR"
	P=$SELFLABEL_ROOT/pipelines
	S=$SELFLABEL_ROOT/tests/tools/stand-ins
}
# need_slurm: skip visibly without the single-node Slurm of setup_file
need_slurm() {
	if [ -n "$SLURM_SKIP" ]; then skip "$SLURM_SKIP"; fi
}

# slurm_run RUNDIR 'SBATCH OPTIONS' [OPTION...]: a small run with its batch
# script: 4 iterations, tiny networks, 2 epochs (unless OPTIONs say more), no 3-D model
slurm_run() {
	local dir=$1 sb=$2
	shift 2
	"$P/selflabel-setup" --slurm "$sb" --preset paper --sparse3d no --k 25 --folds 2 --epochs 2 \
		--patience 2 --batch 8 --set TRAIN_OPTS=-q --set TRAIN0_OPTS='--filters 4 --depth 2' \
		--set FULL_OPTS='--filters 4 --depth 2' "$@" "$BATS_FILE_TMPDIR/ph" "$dir" > /dev/null
}
# waitjob ID: until the job has left the queue (at most 120 s)
waitjob() {
	local _
	for _ in $(seq 1200); do
		squeue -h -j "$1" 2> /dev/null | grep -q . || return 0
		sleep 0.1
	done
	echo "job $1 still in the queue after 120 s" >&2
	return 1
}
state() { scontrol show job "$1" | grep -o 'JobState=[A-Z]*' | cut -d= -f2; }
# steps ID: how many job steps slurmd launched for the job (its log)
steps() { grep -c "launch task StepId=$1\.[0-9]" "$SLURM_BASE/log/slurmd.log"; }
# outputs DIR: every finished output of the loop and the report, with its checksum
outputs() { (cd "$1" && find labels pseudo prob models test -type f ! -name '*.tmp' | sort | xargs md5sum); }
# stamps DIR: inode and modification time of each finished output
stamps() { (cd "$1" && find labels pseudo prob models test -type f ! -name '*.tmp' | sort | xargs stat -c '%n %i %y'); }

@test "sbatch RUNDIR/slurm.sh runs the run to its report: a few job steps an iteration, trainings on 2 MPI ranks" {
	need_slurm
	slurm_run run '-n 2 -c 1 -t 10'
	grep -qx '#SBATCH -n 2' run/slurm.sh
	grep -qx '#SBATCH -c 1' run/slurm.sh
	grep -qx '#SBATCH --nodes=1' run/slurm.sh
	j=$(sbatch --parsable run/slurm.sh)
	waitjob "$j"
	cat "run/slurm-$j.out"
	[ "$(state "$j")" = COMPLETED ]
	grep -q '^| 2D self-labelling |' run/report.md
	grep -q "selflabel-slurm: job $j: done" "run/slurm-$j.out"
	# each training one job step of 2 MPI ranks
	iters=$(sed -n 's/^ITERS := //p' run/mk/run.mk)
	[ "$iters" -eq 4 ]
	trainings=$((2 + iters + 1))
	[ "$(grep -c 'srun --mpi=pmix -n 2 -c 1 unet-train-mpi ' "run/slurm-$j.out")" -eq "$trainings" ]
	# per iteration 2 job steps for the 5 volumes' predictions, pseudo-labels
	# and labels (not 15, one a recipe), and the training
	echo "job steps: $(steps "$j")"
	[ "$(steps "$j")" -eq $(((iters + 1) * 2 + trainings)) ]
	[ -z "$(find run -name '*.tmp')" ]
	# again: nothing to do, no job step
	j2=$(sbatch --parsable run/slurm.sh)
	waitjob "$j2"
	[ "$(state "$j2")" = COMPLETED ]
	[ "$(steps "$j2")" -eq 0 ]
}

@test "a cancelled run resumes on sbatch again: nothing finished redone, the bytes of a local run; a second job is refused" {
	need_slurm
	# one task: every training plain unet-train, one job step a training;
	# 200 epochs: a second or two a training, time to cancel in the loop
	# (with 100, a cancel under the load of `make test` once found the job
	# no longer cancellable: its state after scancel is printed)
	slurm_run run '-n 1 -c 1 -t 10' --epochs 200 --patience 200
	slurm_run local '' --epochs 200 --patience 200
	OPENBLAS_NUM_THREADS=1 make -s -C local -j2 > local.out 2>&1
	j=$(sbatch --parsable run/slurm.sh)
	for _ in $(seq 600); do
		[ "$(cat run/slurm.lock 2> /dev/null)" != "$j" ] || break
		sleep 0.1
	done
	# a second job on the same run folder (there is a free cpu: it starts) stops at once
	d=$(sbatch --parsable --export=ALL,SELFLABEL_LOCK_WAIT=0 run/slurm.sh)
	waitjob "$d"
	cat "run/slurm-$d.out"
	[ "$(state "$d")" = FAILED ]
	grep -q "selflabel-slurm: job $j is running this run folder" "run/slurm-$d.out"
	[ "$(steps "$d")" -eq 0 ]
	# cancelled midway, in the loop
	for _ in $(seq 2400); do
		[ ! -e run/models/01.model ] || break
		sleep 0.05
	done
	scancel "$j"
	waitjob "$j"
	st=$(state "$j")
	echo "job $j after scancel: $st"
	[ "$st" = CANCELLED ]
	[ -e run/models/01.model ]
	# (under load the job may be past the loop by now, in the baselines or
	# the report: cancelled all the same, with work left to resume)
	[ ! -e run/report.md ]
	nmodels=$(find run/models -name '*.model' | wc -l)
	# what the cancelled job left: whole files only (each written to a temp
	# file and renamed), which the resubmitted job keeps as they are
	for f in $(find run/labels run/prob run/pseudo -name '*.slab'); do
		slab-info "$f" > /dev/null
	done
	stamps run > before
	[ "$(wc -l < before)" -ge 10 ]
	sleep 1
	j3=$(sbatch --parsable run/slurm.sh)
	waitjob "$j3"
	cat "run/slurm-$j3.out"
	[ "$(state "$j3")" = COMPLETED ]
	stamps run > after
	# every file the cancelled job finished: the same inode and time
	[ -z "$(comm -23 <(sort before) <(sort after))" ]
	# the same bytes as the uninterrupted local run, and no temp file left
	outputs local > local.sum
	outputs run > run.sum
	cmp local.sum run.sum
	[ -z "$(find run -name '*.tmp')" ]
	grep -q '^| 2D self-labelling |' run/report.md
	# the models still to train when it was cancelled: one job step each
	if [ "$(find run/models -name '*.model' | wc -l)" -gt "$nmodels" ]; then
		grep -q 'srun -n1 -c 1 unet-train ' "run/slurm-$j3.out"
	fi
}

# ---- without Slurm: the batch script, the grouping, the MPI switch ----------------

# (stand_in_run DIR [OPTION...], helpers.bash: a run with stand-in TRAIN,
# PREDICT, EXTRACT on the slab folder ds)
calls() { stand_in_calls "$@"; }

@test "selflabel-setup --slurm writes the batch script: the options given, defaults for the others" {
	mkdata ds train:a:10 train:b:7 val:v:8 test:t:6
	"$P/selflabel-setup" -n --slurm '-N 2 --ntasks=8 -c4 --partition long --exclusive' ds run > /dev/null 2>&1
	[ -x run/slurm.sh ]
	[ ! -e run/data ]
	[ "$(grep '^#SBATCH' run/slurm.sh)" = "$(printf '%s\n' '#SBATCH -N 2' '#SBATCH --ntasks=8' \
		'#SBATCH -c4' '#SBATCH --partition long' '#SBATCH --exclusive' '#SBATCH --time=1-00:00:00' \
		'#SBATCH --job-name=selflabel-run' "#SBATCH --output=$PWD/run/slurm-%j.out")" ]
	[ "$(tail -n 1 run/slurm.sh)" = "exec $P/selflabel-slurm $PWD/run \"\$@\"" ]
	bash -n run/slurm.sh
	# '': the defaults alone
	"$P/selflabel-setup" -n --slurm '' ds run2 > /dev/null 2>&1
	[ "$(grep -c '^#SBATCH' run2/slurm.sh)" -eq 6 ]
	grep -qx '#SBATCH --ntasks=4' run2/slurm.sh
	# tasks per node: no --ntasks default, which sbatch would obey instead
	"$P/selflabel-setup" -n --slurm '-N 2 --ntasks-per-node=4' ds run4 > /dev/null 2>&1
	grep -qx '#SBATCH --ntasks-per-node=4' run4/slurm.sh
	[ "$(grep -c '^#SBATCH --ntasks=' run4/slurm.sh)" -eq 0 ]
	# not an option: refused, nothing written
	run --separate-stderr "$P/selflabel-setup" --slurm 'x -n 2' ds run3
	[ "$status" -eq 2 ]
	[ "$stderr" = "selflabel-setup: --slurm: not an sbatch option: 'x'" ]
	[ ! -e run3 ]
}

@test "STEPS=2: each iteration's volumes in 2 inner makes (STEP_LAUNCH), the same files; a failed group keeps what it finished" {
	mkdata ds train:a:10 train:b:7 train:c:20 train:d:5 train:e:9 val:v:8 test:t:6
	stand_in_run one
	stand_in_run two
	STANDIN_LOG=$PWD/one.log make -s -C one -j2 iterations > one.out 2>&1
	STANDIN_LOG=$PWD/two.log make -s -C two -j2 iterations STEPS=2 STEP_LAUNCH="$S/launch" > two.out 2>&1
	(cd one && find labels pseudo prob models -type f | sort | xargs md5sum) > one.sum
	(cd two && find labels pseudo prob models -type f | sort | xargs md5sum) > two.sum
	cmp one.sum two.sum
	# every stage once a volume, as without groups
	[ "$(calls two.log predict)" -eq "$(calls one.log predict)" ]
	[ "$(calls two.log extract)" -eq 6 ]
	# 2 groups an iteration (iterations 0 to 5), one launch each
	[ "$(sed -n 's/^ITERS := //p' two/mk/run.mk)" -eq 5 ]
	[ "$(grep -c "^launch	make$" two.log)" -eq 12 ]
	run ! grep -q "^launch	$S/predict" two.log
	# done: nothing to launch
	: > two.log
	STANDIN_LOG=$PWD/two.log make -s -C two -j2 iterations STEPS=2 STEP_LAUNCH="$S/launch" > two.out 2>&1
	[ ! -s two.log ]
	# a group that fails: what it finished is kept (iteration 3, where d has
	# nothing left to label: a, before c in the group a c v)
	stand_in_run three
	run env STANDIN_LOG="$PWD/three.log" STANDIN_FAIL='prob/03/c.slab' make -s -C three -j2 iterations STEPS=2
	[ "$status" -ne 0 ]
	[ -e three/labels/03/a.slab ]
	[ ! -e three/labels/03/c.slab ]
	: > three.log
	STANDIN_LOG=$PWD/three.log make -s -C three -j2 iterations STEPS=2 > three.out 2>&1
	[ "$(awk -F'\t' '$1 == "predict" && $2 == "03" { print $3 }' three.log | sort | tr '\n' ' ')" = "c v " ]
	(cd three && find labels pseudo prob models -type f | sort | xargs md5sum) > three.sum
	cmp one.sum three.sum
	# not a number
	run --separate-stderr make -s -C three iterations STEPS=two
	[ "$status" -ne 0 ]
	[[ $stderr == *"STEPS is not a number of job steps: 'two'"* ]]
}

@test "MPI=yes: the trainings run TRAIN_MPI in TRAIN's place through LAUNCH_TRAIN; no parameter" {
	mkdata ds train:a:10 train:b:7 train:c:20 val:v:8 test:t:6
	stand_in_run run
	printf '#!/bin/sh\nexec %s "$@"\n' "$S/train" > train-mpi
	chmod +x train-mpi
	export STANDIN_LOG=$PWD/calls.log
	: > calls.log
	make -s -C run -j2 iteration-1 MPI=yes TRAIN_MPI="$PWD/train-mpi" LAUNCH_TRAIN="$S/launch" > make.out 2>&1
	# the two folds and iteration 1
	[ "$(grep -c "^launch	$PWD/train-mpi$" calls.log)" -eq 3 ]
	[ "$(calls calls.log train)" -eq 3 ]
	# without MPI nothing is trained again
	: > calls.log
	make -s -C run -j2 iteration-1 > make.out 2>&1
	[ "$(calls calls.log train)" -eq 0 ]
	# a TRAIN of its own has no MPI build unless TRAIN_MPI names one
	run --separate-stderr make -s -C run iteration-2 MPI=yes
	[ "$status" -ne 0 ]
	[[ $stderr == *"MPI=yes: no MPI build of TRAIN '$S/train' (set TRAIN_MPI)"* ]]
	[ ! -e run/models/02.model ]
}

@test "selflabel-slurm refuses to run outside a Slurm job or on a folder that is no run" {
	mkdata ds train:a:10 train:b:7 val:v:8 test:t:6
	"$P/selflabel-setup" -n --slurm '' ds run > /dev/null 2>&1
	run --separate-stderr env -u SLURM_JOB_ID "$P/selflabel-slurm" run
	[ "$status" -eq 1 ]
	[[ $stderr == "selflabel-slurm: not inside a Slurm job"* ]]
	run --separate-stderr env SLURM_JOB_ID=1 "$P/selflabel-slurm" nothere
	[ "$status" -eq 1 ]
	[ "$stderr" = "selflabel-slurm: not a run folder (no Makefile; selflabel-setup makes one): 'nothere'" ]
	[ ! -e run/slurm.lock ]
	run --separate-stderr env SLURM_JOB_ID=1 SELFLABEL_LOCK_WAIT=soon "$P/selflabel-slurm" run
	[ "$status" -eq 1 ]
	[ "$stderr" = "selflabel-slurm: SELFLABEL_LOCK_WAIT is not a number of seconds: 'soon'" ]
	run --separate-stderr "$P/selflabel-slurm"
	[ "$status" -eq 2 ]
	[[ $stderr == "usage: selflabel-slurm RUNDIR"* ]]
	# another job holds the lock (here a flock of the test's): refused at
	# once, naming that job, running nothing
	echo 41 > run/slurm.lock
	flock run/slurm.lock sleep 30 &
	holder=$!
	for _ in $(seq 100); do
		if flock -n run/slurm.lock true; then sleep 0.05; else break; fi
	done
	run --separate-stderr env SLURM_JOB_ID=42 SELFLABEL_LOCK_WAIT=0 "$P/selflabel-slurm" run
	kill $(pgrep -P "$holder") "$holder" 2> /dev/null || true
	[ "$status" -eq 1 ]
	[ "$stderr" = "selflabel-slurm: job 41 is running this run folder: wait for it, or scancel it, then submit again: '$PWD/run'" ]
	[ -z "$output" ]
	[ "$(cat run/slurm.lock)" = 41 ]
}
