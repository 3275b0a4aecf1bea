#!/usr/bin/env bats
# tests/robust/probe in small: every reader class gets truncated, flipped
# and hostile-field mutants of valid files; none may hang, crash or fail
# without one clear stderr line. (The full probe: bash tests/robust/run.)

load helpers

@test "probe: malformed input to every reader is refused in one line or accepted, never a hang or crash" {
	run bash "$SELFLABEL_ROOT/tests/robust/probe" -f 2 -H 5 -t 30 -q
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"| model | unet-predict |"* ]]
	[[ $output == *"| probabilities | prob-largest |"* ]]
	[[ $output == *", 0 hung, crashed or refused unclearly"* ]]
}
