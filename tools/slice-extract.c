/* slice-extract: keep chosen slices of a mask, cut a z-range out of a slab,
 * or list normalised slice indices; over a stream of any number of slabs.
 * The SLICES key (lib/provenance.h) follows the slices. */
#include "opt.h"
#include "provenance.h"
#include "slab.h"
#include "slicelist.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

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
	int i, nsi = 0, n = 0, rc;
	struct slab_reader r;
	struct outfile o;
	struct slab s;
	const struct opt opts[] = {
		OPT_CALL('k', "slices", &klist, "LIST", slicelist_opt,
		         "(default, u8 slabs only) keep the labels of the z-slices\n"
		         "in LIST and set every other voxel to 255 (unlabelled);\n"
		         "LIST is like '5,7,10-12' (indices from 0, runs\n"
		         "inclusive); without -k and -r the central slice\n"
		         "floor(nz/2) of each slab is kept. The SLICES header\n"
		         "key, if present, gets '.' for every slice not kept."),
		OPT_CALL('r', "range", &range, "A:B", slicerange_opt,
		         "cut z-slices A..B-1 (all channels) out of a slab of any\n"
		         "type; A or B may be left out (0, nz). TRANSFORM's\n"
		         "offset moves to T * (0, 0, A, 1) so every voxel keeps\n"
		         "its world position; SLICES, if present, is cut the\n"
		         "same way."),
		OPT_FLAG('n', "nsi", &nsi,
		         "instead of slabs, print a TSV 'name<TAB>z<TAB>nsi' (with\n"
		         "that header line) for every slice, or only those of\n"
		         "-k / -r, where nsi = z / (nz - 1) is the normalised\n"
		         "slice index (0 when nz = 1), printed with %.6g"),
		OPT_STRING('o', "output", &outpath, "OUT",
		           "output file, written whole or not at all (default\n"
		           "stdout)"),
		OPT_END
	};
	const struct opt_tool tool = {
		.name = "slice-extract",
		.synopsis = "slice-extract [-k LIST | -r A:B] [-n] [-o OUT] [IN]",
		.operands = "[IN]", .min_operands = 0, .max_operands = 1,
		.about = "Read a stream of slabs (IN, '-' or none: stdin) and write a stream\n"
		         "of slabs to OUT (default stdout), one per input slab, in order.",
		.opts = opts,
		.notes = "A slab that fails (bad header, short data, slice out of range) stops the\n"
		         "run with exit 1; with -o no file is left, on stdout the slabs before it\n"
		         "were already written."
	};

	if ((i = opt_parse(&tool, argc, argv)) < 0)
		return opt_status(i);
	if (i < argc)
		in = argv[i];
	if (klist && range)
		return opt_fail("-k and -r exclude each other: '%s' '%s'", klist, range);

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
