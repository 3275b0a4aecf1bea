#!/usr/bin/env bats
# The Makefile's package check: installs as root, prints the command otherwise.

setup() {
	root="$SELFLABEL_ROOT"
	stub="$BATS_TEST_TMPDIR/stub"
	mkdir -p "$stub"
	# a non-root user on a machine where no package is installed
	printf '#!/bin/sh\necho 1000\n' > "$stub/id"
	printf '#!/bin/sh\nexit 1\n' > "$stub/dpkg-query"
	chmod +x "$stub/id" "$stub/dpkg-query"
}

@test "make deps as a non-root user prints the exact apt-get command and fails" {
	run env PATH="$stub:$PATH" make -s -C "$root" deps DEBS="pkg-a pkg-b"
	[ "$status" -ne 0 ]
	[[ "$output" == *"sudo apt-get install -y pkg-a pkg-b"* ]]
}

@test "make deps passes quietly when every package is installed" {
	run make -s -C "$root" deps
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test ".ci/run calls make test" {
	grep -qx 'make test' "$root/.ci/run"
}
