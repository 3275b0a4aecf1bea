# diag-row.awk: one row of diag/diagnostics.tsv (pipelines/diag.mk).
#
# awk -v it=I -f diag-row.awk SCHED PSEUDO CENTRAL [VAL]
#   SCHED    sched/II.tsv: "case<TAB>slice list" of the slices iteration I labels
#   PSEUDO   metrics --slices-out of the ground truth (as PRED) against the
#            pseudo-labels (as GT), so pseudo-label 255 pixels are left out:
#            metrics' fp is the pseudo-labels' fn and its fn their fp
#   CENTRAL  metrics --slices-out of the initial model (p >= 0.5) against the
#            ground truth, every slice of every training/validation volume
#   VAL      metrics rows of models/II.model on the validation volumes (left
#            out when the run has none; of C >= 3 classes the rows of class fg)
# With C >= 3 classes every figure is the merged foreground's (every class
# >= 1 as one mask: metrics' --slices-out counts and its fg rows).
# Prints "iteration new_slices pseudo_dsc unlabelled_share bg_share
# bg_share_true fg_pseudo fg_true fg_ratio central_dsc val_dsc val_dsc_mean"
# (no header). A ratio 0/0 prints nan; no validation volumes print -.
function dsc(tp, fp, fn) { return 2 * tp + fp + fn ? sprintf("%.4f", 2 * tp / (2 * tp + fp + fn)) : "nan" }
function ratio(a, b) { return b ? sprintf("%.4f", a / b) : "nan" }
BEGIN { for (j = 1; j < ARGC; j++) arg[ARGV[j]] = j }
{ f = arg[FILENAME] }
f == 1 {
	n = split($2, part, ",")
	for (j = 1; j <= n; j++) {
		a = b = part[j]
		if (part[j] ~ /-/) { split(part[j], ab, "-"); a = ab[1]; b = ab[2] }
		for (z = a + 0; z <= b + 0; z++) if (!(($1, z) in sel)) { sel[$1, z] = 1; ns++ }
	}
	next
}
FNR == 1 { for (j = 1; j <= NF; j++) col[f, $j] = j; next }
f == 2 && (($1, $2) in sel) {
	ptp += $3; pfn += $4; pfp += $5; unl += $7; pix += $3 + $4 + $5 + $6 + $7
	if ($3 + $5 == 0) bg++
	seen++
	next
}
f == 3 && (($1, $2) in sel) {
	ctp += $3; cfp += $4; cfn += $5
	ftrue += $3 + $5
	if ($3 + $5 == 0) bgtrue++
	cseen++
	next
}
# (C >= 3 classes: the merged foreground's row, class fg, of each case)
f == 4 && ((4, "class") in col) && $col[4, "class"] != "fg" { next }
f == 4 {
	t = $col[4, "tp"]; p = $col[4, "fp"]; q = $col[4, "fn"]
	vtp += t; vfp += p; vfn += q
	if (2 * t + p + q) { vsum += 2 * t / (2 * t + p + q); nv++ }
	next
}
END {
	if (seen != ns || cseen != ns) {
		printf "diag-row: iteration %s: %d slices scheduled, %d pseudo-labelled and %d predicted slices found\n",
			it, ns, seen, cseen > "/dev/stderr"
		exit 1
	}
	printf "%d\t%d\t%s\t%s\t%s\t%s\t%d\t%d\t%s\t%s", it, ns, dsc(ptp, pfp, pfn), ratio(unl, pix),
		ratio(bg, ns), ratio(bgtrue, ns), ptp + pfp, ftrue, ratio(ptp + pfp, ftrue), dsc(ctp, cfp, cfn)
	if (vtp + vfp + vfn || nv) printf "\t%s\t%s\n", dsc(vtp, vfp, vfn), nv ? sprintf("%.4f", vsum / nv) : "nan"
	else printf "\t-\t-\n"
}
