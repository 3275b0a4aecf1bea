/* slab-permute: reorder the axes of every slab of a stream (slice a volume
 * along another plane), then pad or crop; the inverse puts predictions back.
 * lib/permute.h has the rules. */
#include "opt.h"
#include "permute.h"
#include "slab.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse_order(const char *v, void *perm)
{
	return permute_parse(v, perm);
}

/* -d X,Y or X,Y,Z (Z left 0: unchanged). */
static int parse_dims(const char *v, void *dest)
{
	double d[3] = { 0, 0, 0 };
	int *dims = dest, n = strchr(v, ',') && strchr(strchr(v, ',') + 1, ',') ? 3 : 2;
	if (parse_tuple(v, ',', n, 1, 1, 1 << 20, 0, "-d/--dims", d))
		return -1;
	dims[0] = (int)d[0], dims[1] = (int)d[1], dims[2] = (int)d[2];
	return 0;
}

int main(int argc, char **argv)
{
	const char *in = "-", *out = "-", *refpath = NULL;
	int perm[3] = { -1, -1, -1 }, dims[3] = { 0, 0, 0 }, i, rc, n = 0, status = 1;
	struct slab_reader r, rr;
	struct slab s = { 0 }, d = { 0 }, ref;
	char *buf = NULL;
	size_t len = 0;
	FILE *mf = NULL;
	const struct opt opts[] = {
		OPT_CALL('p', "order", perm, "ORDER", parse_order,
		         "a permutation of xyz: the old axes that become the new x, y, z"),
		OPT_CALL('d', "dims", dims, "X,Y[,Z]",
		         parse_dims, "then pad (after the end) or crop the new axes to these sizes\n"
		         "(Z left out: unchanged); padding is 255 in u8 slabs, else 0\n"
		         "(C-channel probabilities with CLASSES: p_0 = 1, the others 0)"),
		OPT_STRING('r', "ref", &refpath, "REF",
		           "then pad or crop to the dims of REF's slab at the same position\n"
		           "(a stream; e.g. the original image, to undo -p ORDER -d ...)"),
		OPT_STRING('o', "output", &out, "OUT",
		           "output file (default stdout), written whole or not at all"),
		OPT_END
	};
	const struct opt_tool tool = {
		.name = "slab-permute", .synopsis = "slab-permute -p ORDER [-d X,Y[,Z] | -r REF] [-o OUT] [IN]",
		.operands = "[IN]", .min_operands = 0, .max_operands = 1,
		.about = "Reorder the axes of each slab of IN (default stdin): ORDER, a permutation of\n"
		         "xyz, names the old axis that becomes the new x, y and z (xzy: x-z planes as\n"
		         "slices, zyx: z-y planes; both are their own inverse). Spacing and the\n"
		         "voxel-to-world transform follow the axes; channels are kept (the C channels\n"
		         "of a voxel stay together, CLASSES keys kept); SLICES is kept only when z stays\n"
		         "z with its size.",
		.opts = opts
	};

	if ((i = opt_parse(&tool, argc, argv)) < 0)
		return opt_status(i);
	if (perm[0] < 0)
		return opt_fail("no axis order: give -p ORDER");
	if (dims[0] && refpath)
		return opt_fail("-d and -r exclude each other");
	if (i < argc)
		in = argv[i];
	if (slab_reader_open(&r, in))
		return 1;
	if (refpath && slab_reader_open(&rr, refpath)) {
		slab_reader_close(&r);
		return 1;
	}
	/* everything in memory until the end: a failed run writes nothing */
	if (!(mf = open_memstream(&buf, &len)))
		die("out of memory");
	while ((rc = slab_read(&r, &s)) > 0) {
		n++;
		if (refpath) {
			int q = slab_read(&rr, &ref);
			if (q <= 0) {
				if (q == 0)
					error("%s: fewer slabs than the input (%d)", rr.src, n);
				goto out;
			}
			dims[0] = ref.nx, dims[1] = ref.ny, dims[2] = ref.nz;
			slab_free(&ref);
		}
		if (slab_permute(&d, &s, perm, dims) || slab_write(mf, &d))
			goto out;
		slab_free(&s);
		slab_free(&d);
	}
	if (rc == 0 && n == 0)
		rc = error("%s: empty, no slab in it", r.src);
	if (rc < 0)
		goto out;
	if (outfile_write_memstream(&mf, &buf, &len, out))
		goto out;
	status = close_stdout() ? 1 : 0;
out: /* error exits free too: make SANITIZE=1 checks for leaks */
	slab_free(&s);
	slab_free(&d);
	slab_reader_close(&r);
	if (refpath)
		slab_reader_close(&rr);
	if (mf)
		fclose(mf);
	free(buf);
	return status;
}
