#!/usr/bin/env bats
# make install / uninstall: the installed layout (DESTDIR staging), the
# `selflabel` command, --version everywhere, the manual pages, and a whole
# run made and finished from the installed copy with the source tree off PATH.

bats_require_minimum_version 1.5.0
load helpers

setup() {
	if [ -n "${SELFLABEL_SANITIZE-}" ]; then skip "make install installs the plain build, not SANITIZE=1's"; fi
	cd "$BATS_TEST_TMPDIR"
	D=$BATS_TEST_TMPDIR/stage
	make -s -C "$SELFLABEL_ROOT" install DESTDIR="$D" PREFIX=/usr > /dev/null
	S=$D/usr/bin/selflabel
}

@test "install: tools in libexec, pipelines in share, man pages, one selflabel command" {
	local t n=0 v
	[ -x "$S" ]
	v=$(slab-info --version)
	[[ $v == "slab-info (selflabel) "* ]]
	run "$S" --version
	[ "$status" -eq 0 ]
	[ "$output" = "selflabel ${v##* }" ]
	for t in "$SELFLABEL_ROOT"/tools/*.c; do
		t=$(basename "$t" .c); n=$((n + 1))
		[ -x "$D/usr/libexec/selflabel/$t" ]
		[ ! -e "$D/usr/bin/$t" ]
		run "$S" "$t" --version
		[ "$output" = "$t (selflabel) ${v##* }" ]
		grep -q '^\.TH SELFLABEL-' "$D/usr/share/man/man1/selflabel-$t.1"
		grep -q "^selflabel $t \[ARG" "$D/usr/share/man/man1/selflabel-$t.1"
	done
	[ "$n" -ge 18 ]
	# the MPI build, when make found an MPI, is installed beside unet-train
	if [ -x "$SELFLABEL_ROOT/bin/unet-train-mpi" ]; then
		[ -x "$D/usr/libexec/selflabel/unet-train-mpi" ]
	fi
	for t in setup segment split diag; do
		run "$S" "$t" --version
		[ "$output" = "selflabel-$t (selflabel) ${v##* }" ]
	done
	[ -f "$D/usr/share/man/man1/selflabel.1" ]
	[ -f "$D/usr/share/man/man1/selflabel-setup.1" ]
	[ -f "$D/usr/share/selflabel/pipelines/presets/default.mk" ]
	[ -f "$D/usr/share/selflabel/formats/slab.md" ]
	[ "$(readlink "$D/usr/share/selflabel/bin")" = ../../libexec/selflabel ]
	run "$S" --help
	[ "$status" -eq 0 ]
	[[ $output == *"threshold-filter"* ]]
	[[ $output == *"setup "* ]]
	# a tool run through the command works like the tool itself
	run "$S" metrics --help
	[[ $output == "usage: metrics "* ]]
}

@test "install: an unknown command or option is one line and exit 2" {
	local c
	for c in no-such-tool ../bin/sh selflabel --bogus; do
		run --separate-stderr "$S" "$c"
		[ "$status" -eq 2 ]
		[ "${#stderr_lines[@]}" -eq 1 ]
		[[ $stderr == "selflabel: "* ]]
	done
	run --separate-stderr "$S"
	[ "$status" -eq 2 ]
}

@test "install: a run set up and finished from the installed copy uses installed files only" {
	PATH=$D/usr/bin:/usr/bin:/bin
	unset SELFLABEL_BIN
	export OPENBLAS_NUM_THREADS=1
	selflabel phantom -n 10 -d 32,32,16 -s 3 ph > /dev/null
	selflabel setup --k 50 --folds 2 --epochs0 3 --epochs 2 --full-epochs 2 --planes 1 \
		--set TRAIN_OPTS=-q ph run > /dev/null
	grep -q "^SELFLABEL := $D/usr/share/selflabel\$" run/Makefile
	make -s -C run -j2 all > make.log 2>&1
	grep -q '^## Test set' run/report.md
	# nothing of the run names the source tree
	run grep -rlI -- "$SELFLABEL_ROOT" run make.log
	[ "$status" -eq 1 ]
}

@test "uninstall: removes everything install put there" {
	make -s -C "$SELFLABEL_ROOT" uninstall DESTDIR="$D" PREFIX=/usr > /dev/null
	run find "$D" -type f -o -type l
	[ "$output" = "" ]
}

@test "install: never installs system packages, even as root: it prints the command" {
	run --separate-stderr make -s -C "$SELFLABEL_ROOT" install DEBS=no-such-package-selflabel \
		DESTDIR="$BATS_TEST_TMPDIR/other" PREFIX=/usr
	[ "$status" -ne 0 ]
	[[ $stderr == *"missing packages; run: sudo apt-get install -y no-such-package-selflabel"* ]]
	[ ! -e "$BATS_TEST_TMPDIR/other" ]
}
