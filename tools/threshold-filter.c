/* threshold-filter: probability slabs (f32 in [0,1]) -> u8 pseudo-label masks.
 *
 * binary: p >= theta -> 1, otherwise 0 (the paper; a slice with no confident
 *         pixel becomes all background).
 * band:   p >= theta -> 1, p <= 1 - theta -> 0, otherwise 255 (unlabelled), so
 *         uncertain pixels leave the loss.
 * With -k LIST or -r A:B only those z-slices are filtered; every other slice
 * of the output is 255. The output keeps each input's header (name, spacing,
 * transform, extra keys).
 * adaptive (-a REF): the threshold of each filtered slice is the n-th largest
 *         probability of the slice, clamped to [LO, HI], where n is the
 *         foreground count of the nearest labelled slice of the matching REF
 *         mask (issue 6: keep the foreground fraction of the neighbour).
 * confine (-c R, with -a REF or -n REF): foreground only within R pixels
 *         (chessboard distance, in-plane) of the foreground of that nearest
 *         labelled slice; elsewhere the slice is background (0), so a
 *         structure cannot appear from nothing or outgrow its neighbour by
 *         more than R pixels a slice (issue 6: no hallucinated tails). */
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

/* For every slice z of the reference mask r (u8, one channel, the dims of
 * the probability slab p): n[z] = the foreground count of the nearest
 * labelled slice (ties: the lower z), near[z] that slice's index. 0 or -1
 * with a message. */
static int reference_counts(const struct slab *r, const struct slab *p, const char *src,
                            long *n, int *near)
{
	size_t per = (size_t)r->nx * r->ny;
	const uint8_t *d = r->data;
	const char *v = slab_get_extra(r, "SLICES");
	unsigned char *lab;
	long *fg;
	int z, k, nz = r->nz;
	if (r->type != SLAB_U8 || r->nc != 1)
		return error("%s: reference must be u8 with one channel, not %s with %d in '%s'", src,
		             slab_type_name(r->type), r->nc, r->name);
	if (r->nx != p->nx || r->ny != p->ny || r->nz != p->nz)
		return error("%s: reference dims %dx%dx%d differ from %dx%dx%d in '%s'", src, r->nx,
		             r->ny, r->nz, p->nx, p->ny, p->nz, r->name);
	if (r->name[0] && p->name[0] && strcmp(r->name, p->name))
		return error("%s: reference case '%s' paired with case '%s'", src, r->name, p->name);
	lab = calloc(nz, 1);
	fg = calloc(nz, sizeof *fg);
	if (!lab || !fg) {
		free(lab), free(fg);
		return error("out of memory");
	}
	for (z = 0; z < nz; z++)
		for (size_t i = 0; i < per; i++) {
			uint8_t m = d[z * per + i];
			if (m > 1 && m != SLAB_UNLABELLED) {
				free(lab), free(fg);
				return error("%s: reference value %d at slice %d (expected 0, 1 or 255) in "
				             "'%s'", src, m, z, r->name);
			}
			fg[z] += m == 1;
			if (!v && m <= 1)
				lab[z] = 1;
		}
	for (z = 0; v && z < nz; z++) {
		size_t len;
		while (*v == ' ')
			v++;
		len = strcspn(v, " ");
		if (!len) {
			free(lab), free(fg);
			return error("%s: SLICES has %d tokens, want %d in '%s'", src, z, nz, r->name);
		}
		lab[z] = !(len == 1 && *v == '.');
		v += len;
	}
	if (v) {
		while (*v == ' ')
			v++;
		if (*v) {
			free(lab), free(fg);
			return error("%s: SLICES has more than %d tokens in '%s'", src, nz, r->name);
		}
	}
	for (z = 0; z < nz; z++) {
		n[z] = -1;
		for (k = 0; k < nz && n[z] < 0; k++) {
			if (z - k >= 0 && lab[z - k])
				n[z] = fg[z - k], near[z] = z - k;
			else if (z + k < nz && lab[z + k])
				n[z] = fg[z + k], near[z] = z + k;
		}
		if (n[z] < 0) {
			free(lab), free(fg);
			return error("%s: no labelled slice in reference '%s'", src, r->name);
		}
	}
	free(lab), free(fg);
	return 0;
}

/* allow[i] = 1 where pixel i of the nx x ny slice m lies within chessboard
 * distance rad of a pixel with m == 1 (a separable dilation), else 0.
 * tmp holds nx * ny bytes. */
static void confine_mask(const uint8_t *m, int nx, int ny, int rad, uint8_t *tmp, uint8_t *allow)
{
	int x, y, k;
	for (y = 0; y < ny; y++)
		for (x = 0; x < nx; x++) {
			uint8_t v = 0;
			for (k = x - rad; k <= x + rad && !v; k++)
				v = k >= 0 && k < nx && m[(size_t)y * nx + k] == 1;
			tmp[(size_t)y * nx + x] = v;
		}
	for (y = 0; y < ny; y++)
		for (x = 0; x < nx; x++) {
			uint8_t v = 0;
			for (k = y - rad; k <= y + rad && !v; k++)
				v = k >= 0 && k < ny && tmp[(size_t)k * nx + x];
			allow[(size_t)y * nx + x] = v;
		}
}

static int desc(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;
	return (x < y) - (x > y);
}

int main(int argc, char **argv)
{
	double theta = 0.8;
	int band = 0, opt, i;
	const char *out = "-", *in = "-", *spec = NULL;
	int kind = 0; /* 'k' (list), 'r' (range) or 0 (all slices) */
	struct slab_reader rd;
	struct slab s, *res = NULL;
	int nres = 0, rc, a, b, verbose = 0;
	struct outfile of;
	const char *ref = NULL;
	double lo = 0.5, hi = 0.99;
	int have_clamp = 0, adaptive = 0, soft = 0;
	long rad = -1;
	struct slab_reader rr;

	progname = "threshold-filter";
	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		help();
		return 0;
	}
	while ((opt = getopt(argc, argv, "t:m:k:r:a:n:c:l:svo:h")) != -1) {
		switch (opt) {
		case 't':
			if (parse_double(optarg, 0, 1, "threshold", &theta))
				return 2;
			break;
		case 'm':
			if (!strcmp(optarg, "binary"))
				band = 0;
			else if (!strcmp(optarg, "band"))
				band = 1;
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
			adaptive = opt == 'a';
			break;
		case 'c':
			if (parse_long(optarg, 0, 10000, "confine radius", &rad))
				return 2;
			break;
		case 'l':
			if (parse_clamp(optarg, &lo, &hi))
				return 2;
			have_clamp = 1;
			break;
		case 's':
			soft = 1;
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
	if (band && theta < 0.5)
		return error("band mode needs a threshold of at least 0.5: '%g'", theta), 2;
	if (have_clamp && !adaptive)
		return error("-l LO:HI goes with -a REF"), 2;
	if (soft && !adaptive)
		return error("-s goes with -a REF"), 2;
	if (verbose && !adaptive)
		return error("-v goes with -a REF"), 2;
	if (rad >= 0 && !ref)
		return error("-c R needs a reference: -a REF or -n REF"), 2;
	if (ref && rad < 0 && !adaptive)
		return error("-n REF goes with -c R"), 2;
	if (ref && !strcmp(ref, "-") && !strcmp(in, "-"))
		return error("the input and the reference cannot both be stdin: '%s'", ref), 2;

	if (slab_reader_open(&rd, in))
		return 1;
	if (ref && slab_reader_open(&rr, ref))
		return 1;
	/* Read everything first: a failure part-way writes nothing. */
	while ((rc = slab_read(&rd, &s)) > 0) {
		struct slab m;
		size_t per, z, j;
		void *nr;
		char *want;
		if (s.type != SLAB_F32)
			die("%s: not a probability slab (f32): type '%s' in '%s'", rd.src,
			    slab_type_name(s.type), s.name);
		if (s.nc != 1)
			die("%s: a probability slab has one channel: '%d' in '%s'", rd.src, s.nc,
			    s.name);
		want = malloc(s.nz);
		if (!want)
			die("out of memory");
		if (kind == 'k') {
			if (slicelist_parse(spec, s.nz, (unsigned char *)want) < 0)
				return 1;
		} else if (kind == 'r') {
			if (slicerange_parse(spec, s.nz, &a, &b) < 0)
				return 1;
			memset(want, 0, s.nz);
			memset(want + a, 1, b - a);
		} else {
			memset(want, 1, s.nz);
		}
		if (slab_alloc_like(&m, &s, s.nx, s.ny, s.nz, 1, SLAB_U8))
			return 1;
		per = slab_slice_count(&s);
		long *refn = NULL;
		int *near = NULL;
		float *sorted = NULL, *conf = NULL;
		uint8_t *allow = NULL, *tmp = NULL;
		struct slab r;
		if (ref) {
			int rrc = slab_read(&rr, &r);
			if (rrc < 0)
				return 1;
			if (rrc == 0)
				die("%s: fewer slabs than %s: no reference for '%s'", rr.src, rd.src, s.name);
			refn = malloc(s.nz * sizeof *refn);
			near = malloc(s.nz * sizeof *near);
			sorted = malloc(per * sizeof *sorted);
			conf = malloc(per * sizeof *conf);
			allow = malloc(per);
			tmp = malloc(per);
			if (!refn || !near || !sorted || !conf || !allow || !tmp)
				die("out of memory");
			if (reference_counts(&r, &s, rr.src, refn, near))
				return 1;
		}
		for (z = 0; z < (size_t)s.nz; z++) {
			const float *p = (const float *)s.data + z * per;
			uint8_t *q = (uint8_t *)m.data + z * per;
			if (!want[z]) {
				memset(q, SLAB_UNLABELLED, per);
				continue;
			}
			double t = theta;
			for (j = 0; j < per; j++)
				if (!(p[j] >= 0 && p[j] <= 1))
					die("%s: probability out of [0,1]: '%g' at slice %zu in '%s'",
					    rd.src, p[j], z, s.name);
			if (rad >= 0) {
				/* pixels outside the neighbour's grown foreground count as 0 */
				confine_mask((const uint8_t *)r.data + near[z] * per, s.nx, s.ny,
				             (int)rad, tmp, allow);
				for (j = 0; j < per; j++)
					conf[j] = allow[j] ? p[j] : 0;
				p = conf;
			}
			if (adaptive) {
				long n = refn[z];
				if (soft) {
					/* the slice's expected foreground count, if smaller */
					double sum = 0;
					for (j = 0; j < per; j++)
						sum += p[j];
					if (sum + 0.5 < (double)n)
						n = (long)(sum + 0.5);
				}
				if (n == 0) {
					t = hi;
				} else {
					memcpy(sorted, p, per * sizeof *sorted);
					qsort(sorted, per, sizeof *sorted, desc);
					t = sorted[n - 1];
					t = t < lo ? lo : t > hi ? hi : t;
				}
				if (verbose)
					fprintf(stderr, "%s: %s z %zu: n %ld, t %.9g\n", progname,
					        s.name[0] ? s.name : "(unnamed)", z, n, t);
			}
			for (j = 0; j < per; j++) {
				float v = p[j];
				if (v >= t)
					q[j] = 1;
				else if (!band || v <= 1 - theta)
					q[j] = 0;
				else
					q[j] = SLAB_UNLABELLED;
			}
		}
		free(want), free(refn), free(near), free(sorted), free(conf), free(allow), free(tmp);
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
