/* threshold-filter: probability slabs (f32 in [0,1]; one channel, or C
 * channels with CLASSES C) -> u8 pseudo-label maps, by the rules of
 * lib/pseudo.h (binary, band, adaptive, confine; per class for C >= 3).
 * With -k LIST or -r A:B only those z-slices are filtered; every other slice
 * of the output is 255. The output keeps each input's header (name, spacing,
 * transform, extra keys). */
#include "opt.h"
#include "pseudo.h"
#include "slab.h"
#include "slicelist.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* The labels of every probability slab of the stream in under rule, of
 * the slices of list or range, each slab with the next one of the
 * reference stream ref when ref is not NULL. All are kept in memory, so a
 * failure part-way writes nothing. Returns how many, with the slabs in
 * *res, or -1 with a message. */
static int label_stream(const char *in, const char *ref, const char *list, const char *range,
                        const struct pseudo_rule *rule, FILE *trace, struct slab **res)
{
	struct slab_reader rd, rr;
	struct slab s = { 0 }, r = { 0 }, *nr;
	unsigned char *want = NULL;
	int n = 0, rc, ok = 0;

	*res = NULL;
	if (slab_reader_open(&rd, in))
		return -1;
	if (ref && slab_reader_open(&rr, ref)) {
		slab_reader_close(&rd);
		return -1;
	}
	while ((rc = slab_read(&rd, &s)) > 0) {
		if (classes_of_prob(&s, NULL, rd.src) || !(want = xmalloc(s.nz)) ||
		    slicesel_keep(list, range, s.nz, want))
			goto out;
		if (ref && (rc = slab_read(&rr, &r)) <= 0) {
			if (rc == 0)
				error("%s: fewer slabs than %s: no reference for '%s'", rr.src, rd.src,
				      s.name);
			goto out;
		}
		if (!(nr = realloc(*res, (n + 1) * sizeof *nr))) {
			error("out of memory");
			goto out;
		}
		*res = nr;
		if (pseudo_label(&nr[n], &s, want, ref ? &r : NULL, rule, rd.src, ref ? rr.src : NULL,
		                 trace))
			goto out;
		n++;
		free(want);
		want = NULL;
		slab_free(&r);
		slab_free(&s);
	}
	if (rc < 0)
		goto out;
	if (!n) {
		error("%s: empty, no slab in it", rd.src);
		goto out;
	}
	if (ref && (rc = slab_read(&rr, &r)) != 0) {
		if (rc > 0)
			error("%s: more slabs than %s: '%s' has no probabilities", rr.src, rd.src, r.name);
		goto out;
	}
	ok = 1;
out: /* a failure frees all: make SANITIZE=1 checks for leaks */
	free(want);
	slab_free(&r);
	slab_free(&s);
	if (ref)
		slab_reader_close(&rr);
	slab_reader_close(&rd);
	if (ok)
		return n;
	while (n > 0)
		slab_free(&(*res)[--n]);
	free(*res);
	*res = NULL;
	return -1;
}

int main(int argc, char **argv)
{
	static const char *const modes[] = { "binary", "band", NULL };
	struct pseudo_rule rule = PSEUDO_RULE_DEFAULT;
	const char *out = "-", *in = "-", *list = NULL, *range = NULL, *aref = NULL, *nref = NULL;
	const char *ref;
	double clamp[2] = { -1, -1 };
	int verbose = 0, i, nres, rc;
	struct slab *res;
	const struct opt opts[] = {
		OPT_DOUBLE('t', "threshold", &rule.theta, "THETA", 0, 1,
		           "confidence threshold (default 0.8; band: >= 0.5)"),
		OPT_ENUM('m', "mode", &rule.band, "MODE", modes,
		         "binary: p >= THETA -> 1, else 0 (default)\n"
		         "band:   p >= THETA -> 1, p <= 1-THETA -> 0, else 255"),
		OPT_CALL('k', "slices", &list, "LIST", slicelist_opt,
		         "filter only these z-slices (e.g. 5,7,10-12);\n"
		         "the others become 255"),
		OPT_CALL('r', "range", &range, "A:B", slicerange_opt,
		         "filter only z-slices A..B-1; the others become 255"),
		OPT_STRING('a', "adaptive", &aref, "REF",
		           "adaptive threshold: REF is a stream of u8 label\n"
		           "slabs, one per input slab in order, same dims (e.g.\n"
		           "the current labels). For each filtered slice take\n"
		           "the nearest labelled slice of REF (SLICES entry not\n"
		           "'.', or without SLICES any pixel not 255; ties: the\n"
		           "lower z), its foreground count n, and the threshold\n"
		           "t = the n-th largest probability of the slice\n"
		           "clamped to [LO, HI] (n = 0: t = HI). binary: p >= t\n"
		           "-> 1, else 0; band: p >= t -> 1, p <= 1-THETA -> 0,\n"
		           "else 255"),
		OPT_DOUBLES('l', "clamp", clamp, 2, ':', "LO:HI", 0, 1,
		            "the clamp of -a (default 0.5:0.99), LO <= HI"),
		OPT_FLAG('s', "soft", &rule.soft,
		         "with -a: n = the smaller of that count and the\n"
		         "slice's expected foreground count, the sum of its\n"
		         "probabilities (after -c), rounded: a structure that\n"
		         "thins out on the slice shrinks"),
		OPT_FLAG('v', "verbose", &verbose,
		         "with -a: one line per filtered slice on stderr\n"
		         "(z, n, t)"),
		OPT_STRING('n', "near", &nref, "REF",
		           "a reference stream like -a's, for -c only (no\n"
		           "adaptive threshold)"),
		OPT_INT('c', "confine", &rule.radius, "R", 0, 10000,
		        "confine: pixels farther than R (chessboard distance,\n"
		        "in-plane pixels) from every foreground pixel of the\n"
		        "nearest labelled slice of REF count as p = 0 (so\n"
		        "background, also for -a's ranking); a slice whose\n"
		        "nearest labelled slice has no foreground is all 0"),
		OPT_FLAG('M', "merged", &rule.merged,
		         "C classes: the rules on the merged foreground p_1 +\n"
		         "... + p_{C-1} (adaptive n: every foreground class of\n"
		         "the nearest labelled slice; -c: around all its\n"
		         "foreground), each foreground pixel then the class of\n"
		         "the largest p_k (ties: the lower); one channel: no\n"
		         "effect"),
		OPT_STRING('o', "output", &out, "OUT", "output file (default stdout)"),
		OPT_END
	};
	const struct opt_tool tool = {
		.name = "threshold-filter",
		.synopsis = "threshold-filter [-t THETA] [-m binary|band]\n"
		            "         [-a REF [-l LO:HI] [-s] [-v] | -n REF] [-c R] [-M]\n"
		            "         [-k LIST | -r A:B] [-o OUT] [IN]",
		.operands = "[IN]", .min_operands = 0, .max_operands = 1,
		.about = "Turn f32 probability slabs into u8 label maps at confidence THETA\n"
		         "(lib/pseudo.h).",
		.opts = opts,
		.notes = "IN is a stream of one or more slabs (default stdin): one channel (p of\n"
		         "the foreground; labels 0, 1, 255), or C channels with a CLASSES C key\n"
		         "(channel c = p_c; labels 0..C-1, 255). With C channels each foreground\n"
		         "class k has its own threshold t_k (THETA, or with -a class k's: n_k =\n"
		         "the count of class k in the nearest labelled slice, t_k = the n_k-th\n"
		         "largest p_k clamped to [LO, HI], n_k = 0: HI; -s: n_k at most the\n"
		         "rounded sum of p_k). A pixel gets, of the classes k >= 1 with\n"
		         "p_k >= t_k, the one of the largest p_k (ties: the lower class); with\n"
		         "none, 0 (binary) or, band, 0 when p_0 >= THETA, else 255. Above 0.5\n"
		         "that is: the winning class k = argmax p gets k when p_k >= t_k. -c\n"
		         "confines each class k to R pixels around class k of the nearest\n"
		         "labelled slice; outside, p_k goes to the background (p_0 += p_k,\n"
		         "p_k = 0). REF must have the same classes (CLASSES, CLASS_NAMES,\n"
		         "CLASS_VALUES). The output keeps the header, CLASSES keys included. For\n"
		         "C = 2 (p_0 = 1 - p_1) the labels are those of the one-channel p_1.\n"
		         "-M (merged) applies the rules to the merged foreground instead, as to\n"
		         "one channel: a class the nearest labelled slice does not show may\n"
		         "still appear where the structure goes on.",
	};

	if ((i = opt_parse(&tool, argc, argv)) < 0)
		return opt_status(i);
	if (i < argc)
		in = argv[i];
	if (list && range)
		return opt_fail("give one of -k and -r: '%s' '%s'", list, range);
	if (aref && nref)
		return opt_fail("give one of -a and -n: '%s' '%s'", aref, nref);
	ref = aref ? aref : nref;
	rule.adaptive = aref != NULL;
	if (rule.band && rule.theta < 0.5)
		return opt_fail("band mode needs a threshold of at least 0.5: '%g'", rule.theta);
	if (clamp[0] >= 0 && !rule.adaptive)
		return opt_fail("-l LO:HI goes with -a REF");
	if (clamp[0] >= 0 && clamp[0] > clamp[1])
		return opt_fail("clamp range is empty: '%g:%g'", clamp[0], clamp[1]);
	if (clamp[0] >= 0)
		rule.lo = clamp[0], rule.hi = clamp[1];
	if (rule.soft && !rule.adaptive)
		return opt_fail("-s goes with -a REF");
	if (verbose && !rule.adaptive)
		return opt_fail("-v goes with -a REF");
	if (rule.radius >= 0 && !ref)
		return opt_fail("-c R needs a reference: -a REF or -n REF");
	if (nref && rule.radius < 0)
		return opt_fail("-n REF goes with -c R");
	if (ref && !strcmp(ref, "-") && !strcmp(in, "-"))
		return opt_fail("the input and the reference cannot both be stdin: '%s'", ref);

	nres = label_stream(in, ref, list, range, &rule, verbose ? stderr : NULL, &res);
	if (nres < 0)
		return 1;
	rc = slab_save_all(out, res, nres);
	for (i = 0; i < nres; i++)
		slab_free(&res[i]);
	free(res);
	return rc || close_stdout() ? 1 : 0;
}
