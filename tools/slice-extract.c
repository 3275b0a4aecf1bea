/* slice-extract: keep chosen slices of a mask, cut a z-range out of a slab,
 * or list normalised slice indices; over a stream of any number of slabs.
 * The SLICES key (lib/provenance.h) follows the slices. */
#include "provenance.h"
#include "slab.h"
#include "slicelist.h"
#include "util.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] = "slice-extract [-k <list> | -r <a:b>] [-n] [-o <out>] [<in.slab>]";

static void help(void)
{
	printf("usage: %s\n"
	       "Read a stream of slabs (<in.slab>, '-' or none: stdin) and write a stream\n"
	       "of slabs to <out> (default stdout), one per input slab, in order.\n"
	       "  -k LIST  (default, u8 slabs only) keep the labels of the z-slices in LIST\n"
	       "           and set every other voxel to 255 (unlabelled); LIST is like\n"
	       "           '5,7,10-12' (indices from 0, runs inclusive); without -k and -r\n"
	       "           the central slice floor(nz/2) of each slab is kept. The SLICES\n"
	       "           header key, if present, gets '.' for every slice not kept.\n"
	       "  -r A:B   cut z-slices A..B-1 (all channels) out of a slab of any type;\n"
	       "           A or B may be left out (0, nz). TRANSFORM's offset moves to\n"
	       "           T * (0, 0, A, 1) so every voxel keeps its world position;\n"
	       "           SLICES, if present, is cut the same way.\n"
	       "  -n       instead of slabs, print a TSV 'name<TAB>z<TAB>nsi' (with that\n"
	       "           header line) for every slice, or only those of -k / -r, where\n"
	       "           nsi = z / (nz - 1) is the normalised slice index (0 when nz = 1),\n"
	       "           printed with %%.6g\n"
	       "  -o OUT   output file, written whole or not at all (default stdout)\n"
	       "A slab that fails (bad header, short data, slice out of range) stops the\n"
	       "run with exit 1; with -o no file is left, on stdout the slabs before it\n"
	       "were already written.\n",
	       usage);
}

/* Set dst's SLICES key to src's (if it has one) for slices z0..z1-1, each
 * '.' where keep is given and keep[z] is 0. No-op when the key is absent.
 * 0 or -1. */
static int fix_slices_key(struct slab *dst, const struct slab *src, const char *from, int z0,
                          int z1, const unsigned char *keep)
{
	int *prov = xmalloc((size_t)src->nz * sizeof *prov), rc;
	if (!prov)
		return -1;
	rc = prov_get(src, prov, from);
	if (rc > 0) {
		for (int z = z0; z < z1; z++)
			if (keep && !keep[z])
				prov[z] = PROV_NONE;
		rc = prov_write(dst, prov + z0);
	}
	free(prov);
	return rc;
}

/* -k: in place, every slice not in keep becomes 255. */
static int keep_slices(struct slab *s, const char *from, const unsigned char *keep)
{
	size_t per = slab_slice_count(s);
	if (s->type != SLAB_U8)
		return error("slab '%s' is %s: -k needs a u8 mask (use -r to cut any slab)", s->name,
		             slab_type_name(s->type));
	for (int z = 0; z < s->nz; z++)
		if (!keep[z])
			memset((uint8_t *)s->data + (size_t)z * per, SLAB_UNLABELLED, per);
	return fix_slices_key(s, s, from, 0, s->nz, keep);
}

/* -r: dst = slices z0..z1-1 of src, with the transform's offset moved. */
static int cut_range(struct slab *dst, const struct slab *src, const char *from, int z0, int z1)
{
	size_t bytes = slab_slice_count(src) * slab_type_size(src->type);
	double *t;
	if (slab_alloc_like(dst, src, src->nx, src->ny, z1 - z0, src->nc, src->type))
		return -1;
	memcpy(dst->data, (const uint8_t *)src->data + (size_t)z0 * bytes,
	       (size_t)(z1 - z0) * bytes);
	t = dst->transform;
	for (int row = 0; row < 3; row++)
		t[4 * row + 3] += t[4 * row + 2] * z0;
	if (fix_slices_key(dst, src, from, z0, z1, NULL)) {
		slab_free(dst);
		return -1;
	}
	return 0;
}

/* One slab of the stream: select its slices, then write the TSV rows (-n),
 * the cut slab (-r) or the masked slab (-k, default). The TSV header goes
 * before the first slab's rows, so a run failing on it prints nothing. 0 or -1. */
static int process(FILE *out, struct slab *s, const char *from, const char *klist,
                   const char *range, int nsi, int first)
{
	unsigned char *keep = xcalloc((size_t)s->nz, 1);
	int z0 = 0, z1 = s->nz, rc = 0;
	struct slab cut;

	if (!keep)
		return -1;
	if (range) {
		rc = slicerange_parse(range, s->nz, &z0, &z1);
		if (!rc)
			memset(keep + z0, 1, (size_t)(z1 - z0));
	} else if (klist) {
		rc = slicelist_parse(klist, s->nz, keep) < 0 ? -1 : 0;
	} else if (nsi) {
		memset(keep, 1, (size_t)s->nz);
	} else {
		keep[s->nz / 2] = 1;
	}
	if (rc) {
		/* the list or range does not fit this slab: said above */
	} else if (nsi) {
		if (first)
			fprintf(out, "name\tz\tnsi\n");
		for (int z = 0; z < s->nz; z++)
			if (keep[z])
				fprintf(out, "%s\t%d\t%.6g\n", s->name, z,
				        s->nz > 1 ? (double)z / (s->nz - 1) : 0.0);
	} else if (range) {
		rc = cut_range(&cut, s, from, z0, z1);
		if (!rc) {
			rc = slab_write(out, &cut);
			slab_free(&cut);
		}
	} else {
		rc = keep_slices(s, from, keep);
		if (!rc)
			rc = slab_write(out, s);
	}
	free(keep);
	return rc;
}

int main(int argc, char **argv)
{
	const char *klist = NULL, *range = NULL, *outpath = "-", *in = "-";
	int opt, nsi = 0, n = 0, rc;
	struct slab_reader r;
	struct outfile o;
	struct slab s;

	progname = "slice-extract";
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--help")) {
			help();
			return close_stdout() ? 1 : 0;
		}
	opterr = 0;
	while ((opt = getopt(argc, argv, "hk:r:no:")) != -1) {
		switch (opt) {
		case 'h':
			help();
			return close_stdout() ? 1 : 0;
		case 'k':
			klist = optarg;
			break;
		case 'r':
			range = optarg;
			break;
		case 'n':
			nsi = 1;
			break;
		case 'o':
			outpath = optarg;
			break;
		case '?':
			if (strchr("kro", optopt))
				error("option '-%c' needs a value", optopt);
			else
				error("unknown option: '-%c'", optopt);
			usage_die(usage);
		}
	}
	if (argc - optind > 1) {
		error("one input at most, got %d", argc - optind);
		usage_die(usage);
	}
	if (optind < argc)
		in = argv[optind];
	if (klist && range) {
		error("-k and -r exclude each other");
		usage_die(usage);
	}
	{
		int a, b;
		if ((klist && slicelist_parse(klist, INT_MAX, NULL) < 0) ||
		    (range && slicerange_parse(range, INT_MAX, &a, &b)))
			usage_die(usage);
	}

	if (slab_reader_open(&r, in))
		return 1;
	if (outfile_open(&o, outpath)) {
		slab_reader_close(&r);
		return 1;
	}
	while ((rc = slab_read(&r, &s)) > 0) {
		n++;
		rc = process(o.f, &s, r.src, klist, range, nsi, n == 1);
		slab_free(&s);
		if (rc)
			break;
	}
	slab_reader_close(&r);
	if (rc == 0 && n == 0)
		rc = error("%s: empty, no slab in it", r.src);
	if (rc < 0) {
		outfile_abort(&o);
		return 1;
	}
	if (outfile_commit(&o))
		return 1;
	return close_stdout() ? 1 : 0;
}
