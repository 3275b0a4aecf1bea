/* threshold-filter: probability slabs (f32 in [0,1]) -> u8 pseudo-label masks.
 *
 * binary: p >= theta -> 1, otherwise 0 (the paper; a slice with no confident
 *         pixel becomes all background).
 * band:   p >= theta -> 1, p <= 1 - theta -> 0, otherwise 255 (unlabelled), so
 *         uncertain pixels leave the loss.
 * With -k LIST or -r A:B only those z-slices are filtered; every other slice
 * of the output is 255. The output keeps each input's header (name, spacing,
 * transform, extra keys). */
#include "slab.h"
#include "util.h"
#include "slicelist.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
	"threshold-filter [-t THETA] [-m binary|band] [-k LIST | -r A:B] [-o OUT] [IN]";

static void help(void)
{
	printf("usage: %s\n\n"
	       "Turn f32 probability slabs into u8 masks at confidence THETA.\n"
	       "  -t THETA  confidence threshold (default 0.8; band mode needs >= 0.5)\n"
	       "  -m MODE   binary: p >= THETA -> 1, else 0 (default)\n"
	       "            band:   p >= THETA -> 1, p <= 1-THETA -> 0, else 255\n"
	       "  -k LIST   filter only these z-slices (e.g. 5,7,10-12); others become 255\n"
	       "  -r A:B    filter only z-slices A..B-1; others become 255\n"
	       "  -o OUT    output file (default stdout)\n"
	       "IN is a stream of one or more slabs (default stdin).\n", usage);
}

int main(int argc, char **argv)
{
	double theta = 0.8;
	int band = 0, opt, i;
	const char *out = "-", *in = "-", *spec = NULL;
	int kind = 0; /* 'k' (list), 'r' (range) or 0 (all slices) */
	struct slab_reader rd;
	struct slab s, *res = NULL;
	int nres = 0, rc, a, b;
	struct outfile of;

	progname = "threshold-filter";
	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		help();
		return 0;
	}
	while ((opt = getopt(argc, argv, "t:m:k:r:o:h")) != -1) {
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

	if (slab_reader_open(&rd, in))
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
		for (z = 0; z < (size_t)s.nz; z++) {
			const float *p = (const float *)s.data + z * per;
			uint8_t *q = (uint8_t *)m.data + z * per;
			if (!want[z]) {
				memset(q, SLAB_UNLABELLED, per);
				continue;
			}
			for (j = 0; j < per; j++) {
				float v = p[j];
				if (!(v >= 0 && v <= 1))
					die("%s: probability out of [0,1]: '%g' at slice %zu in '%s'",
					    rd.src, v, z, s.name);
				if (v >= theta)
					q[j] = 1;
				else if (!band || v <= 1 - theta)
					q[j] = 0;
				else
					q[j] = SLAB_UNLABELLED;
			}
		}
		free(want);
		slab_free(&s);
		nr = realloc(res, (nres + 1) * sizeof *res);
		if (!nr)
			die("out of memory");
		res = nr;
		res[nres++] = m;
	}
	if (rc < 0)
		return 1;
	slab_reader_close(&rd);
	if (!nres)
		die("%s: empty, no slab in it", rd.src);

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
