/* threshold-filter: probability slabs (f32 in [0,1]) -> u8 pseudo-label
 * masks, by the rules of lib/pseudo.h (binary, band, adaptive, confine).
 * With -k LIST or -r A:B only those z-slices are filtered; every other slice
 * of the output is 255. The output keeps each input's header (name, spacing,
 * transform, extra keys). */
#include "pseudo.h"
#include "slab.h"
#include "util.h"
#include "slicelist.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
	"threshold-filter [-t THETA] [-m binary|band] [-a REF [-l LO:HI] [-s] [-v] | -n REF] [-c R]\n"
	"                        [-k LIST | -r A:B] [-o OUT] [IN]";

static void help(void)
{
	printf("usage: %s\n\n"
	       "Turn f32 probability slabs into u8 masks at confidence THETA.\n"
	       "  -t THETA  confidence threshold (default 0.8; band mode needs >= 0.5)\n"
	       "  -m MODE   binary: p >= THETA -> 1, else 0 (default)\n"
	       "            band:   p >= THETA -> 1, p <= 1-THETA -> 0, else 255\n"
	       "  -k LIST   filter only these z-slices (e.g. 5,7,10-12); others become 255\n"
	       "  -r A:B    filter only z-slices A..B-1; others become 255\n"
	       "  -a REF    adaptive threshold: REF is a stream of u8 label slabs, one per\n"
	       "            input slab in order, same dims (e.g. the current labels). For each\n"
	       "            filtered slice take the nearest labelled slice of REF (SLICES entry\n"
	       "            not '.', or without SLICES any 0/1 pixel; ties: the lower z), its\n"
	       "            foreground count n, and the threshold t = the n-th largest\n"
	       "            probability of the slice clamped to [LO, HI] (n = 0: t = HI).\n"
	       "            binary: p >= t -> 1, else 0; band: p >= t -> 1, p <= 1-THETA -> 0,\n"
	       "            else 255\n"
	       "  -l LO:HI  the clamp of -a (default 0.5:0.99), 0 <= LO <= HI <= 1\n"
	       "  -s        with -a: n = the smaller of that count and the slice's\n"
	       "            expected foreground count, the sum of its probabilities (after\n"
	       "            -c), rounded: a structure that thins out on the slice shrinks\n"
	       "  -v        with -a: one line per filtered slice on stderr (z, n, t)\n"
	       "  -n REF    a reference stream like -a's, for -c only (no adaptive threshold)\n"
	       "  -c R      confine: pixels farther than R (chessboard distance, in-plane\n"
	       "            pixels) from every foreground pixel of the nearest labelled slice\n"
	       "            of REF count as p = 0 (so background, also for -a's ranking); a\n"
	       "            slice whose nearest labelled slice has no foreground is all 0\n"
	       "  -o OUT    output file (default stdout)\n"
	       "IN is a stream of one or more slabs (default stdin).\n", usage);
}

/* Parse "LO:HI" with 0 <= LO <= HI <= 1. 0 or -1 with a message. */
static int parse_clamp(const char *s, double *lo, double *hi)
{
	const char *colon = strchr(s, ':');
	char buf[64];
	if (!colon || (size_t)(colon - s) >= sizeof buf)
		return error("bad clamp range, want LO:HI: '%s'", s);
	memcpy(buf, s, colon - s);
	buf[colon - s] = 0;
	if (parse_double(buf, 0, 1, "clamp low end", lo) ||
	    parse_double(colon + 1, 0, 1, "clamp high end", hi))
		return -1;
	if (*lo > *hi)
		return error("clamp range is empty: '%s'", s);
	return 0;
}

/* want[z] = 1 for the slices of -k LIST (kind 'k') or -r A:B ('r') of a
 * slab of nz slices, every slice without either. 0 or -1 with a message. */
static int select_slices(int kind, const char *spec, int nz, unsigned char *want)
{
	int a, b;
	if (kind == 'k')
		return slicelist_parse(spec, nz, want) < 0 ? -1 : 0;
	memset(want, kind != 'r', nz);
	if (kind == 'r') {
		if (slicerange_parse(spec, nz, &a, &b) < 0)
			return -1;
		memset(want + a, 1, b - a);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct pseudo_rule rule = PSEUDO_RULE_DEFAULT;
	int opt, i, a, b, verbose = 0, have_clamp = 0;
	const char *out = "-", *in = "-", *spec = NULL, *ref = NULL;
	int kind = 0; /* 'k' (list), 'r' (range) or 0 (all slices) */
	struct slab_reader rd, rr;
	struct slab s, *res = NULL;
	int nres = 0, rc;
	struct outfile of;
	long rad = -1;

	progname = "threshold-filter";
	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		help();
		return 0;
	}
	while ((opt = getopt(argc, argv, "t:m:k:r:a:n:c:l:svo:h")) != -1) {
		switch (opt) {
		case 't':
			if (parse_double(optarg, 0, 1, "threshold", &rule.theta))
				return 2;
			break;
		case 'm':
			if (!strcmp(optarg, "binary"))
				rule.band = 0;
			else if (!strcmp(optarg, "band"))
				rule.band = 1;
			else
				return error("unknown mode, want binary or band: '%s'", optarg), 2;
			break;
		case 'k':
		case 'r':
			if (spec)
				return error("give one of -k and -r, once"), 2;
			spec = optarg;
			kind = opt;
			if (opt == 'k' ? slicelist_parse(optarg, INT_MAX, NULL) < 0 :
			    slicerange_parse(optarg, INT_MAX, &a, &b) < 0)
				return 2;
			break;
		case 'a':
		case 'n':
			if (ref)
				return error("give one of -a and -n, once"), 2;
			ref = optarg;
			rule.adaptive = opt == 'a';
			break;
		case 'c':
			if (parse_long(optarg, 0, 10000, "confine radius", &rad))
				return 2;
			rule.radius = (int)rad;
			break;
		case 'l':
			if (parse_clamp(optarg, &rule.lo, &rule.hi))
				return 2;
			have_clamp = 1;
			break;
		case 's':
			rule.soft = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'o':
			out = optarg;
			break;
		case 'h':
			help();
			return 0;
		default:
			usage_die(usage);
		}
	}
	if (argc - optind > 1)
		usage_die(usage);
	if (optind < argc)
		in = argv[optind];
	if (rule.band && rule.theta < 0.5)
		return error("band mode needs a threshold of at least 0.5: '%g'", rule.theta), 2;
	if (have_clamp && !rule.adaptive)
		return error("-l LO:HI goes with -a REF"), 2;
	if (rule.soft && !rule.adaptive)
		return error("-s goes with -a REF"), 2;
	if (verbose && !rule.adaptive)
		return error("-v goes with -a REF"), 2;
	if (rad >= 0 && !ref)
		return error("-c R needs a reference: -a REF or -n REF"), 2;
	if (ref && rad < 0 && !rule.adaptive)
		return error("-n REF goes with -c R"), 2;
	if (ref && !strcmp(ref, "-") && !strcmp(in, "-"))
		return error("the input and the reference cannot both be stdin: '%s'", ref), 2;

	if (slab_reader_open(&rd, in))
		return 1;
	if (ref && slab_reader_open(&rr, ref))
		return 1;
	/* Read everything first: a failure part-way writes nothing. */
	while ((rc = slab_read(&rd, &s)) > 0) {
		struct slab m, r;
		unsigned char *want;
		void *nr;
		if (pseudo_check_prob(&s, rd.src) || !(want = xmalloc(s.nz)) ||
		    select_slices(kind, spec, s.nz, want))
			return 1;
		if (ref && (rc = slab_read(&rr, &r)) <= 0) {
			if (rc == 0)
				error("%s: fewer slabs than %s: no reference for '%s'", rr.src, rd.src,
				      s.name);
			return 1;
		}
		if (pseudo_label(&m, &s, want, ref ? &r : NULL, &rule, rd.src, ref ? rr.src : NULL,
		                 verbose ? stderr : NULL))
			return 1;
		free(want);
		if (ref)
			slab_free(&r);
		slab_free(&s);
		nr = realloc(res, (nres + 1) * sizeof *res);
		if (!nr)
			die("out of memory");
		res = nr;
		res[nres++] = m;
	}
	if (rc < 0)
		return 1;
	if (!nres)
		die("%s: empty, no slab in it", rd.src);
	if (ref) {
		struct slab r;
		rc = slab_read(&rr, &r);
		if (rc < 0)
			return 1;
		if (rc > 0)
			die("%s: more slabs than %s: '%s' has no probabilities", rr.src, rd.src, r.name);
		slab_reader_close(&rr);
	}
	slab_reader_close(&rd);

	if (outfile_open(&of, out))
		return 1;
	for (i = 0; i < nres; i++)
		if (slab_write(of.f, &res[i])) {
			outfile_abort(&of);
			return 1;
		}
	if (outfile_commit(&of))
		return 1;
	for (i = 0; i < nres; i++)
		slab_free(&res[i]);
	free(res);
	return close_stdout() ? 1 : 0;
}
