/* prob-largest: keep the largest connected component of each probability
 * slab (lib/components.h), of each class of a C-channel one, e.g. to drop
 * the far-away false positives of a prediction. */
#include "components.h"
#include "opt.h"
#include "classes.h"
#include "slab.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>

/* -t: a number in (0, 1] (0 would keep what is set to 0 in the mask). */
static int parse_thr(const char *v, void *dest)
{
	if (parse_double(v, 0, 1, "-t/--threshold", dest))
		return -1;
	if (!(*(double *)dest > 0))
		return error("-t/--threshold: must be above 0: '%s'", v);
	return 0;
}

int main(int argc, char **argv)
{
	static const char *const conns[] = { "6", "18", "26", NULL };
	static const int conn_of[] = { 6, 18, 26 };
	const char *out = "-", *in = "-";
	double thr = -1; /* -1: not given, 0.5 */
	int a, c = 0, n = 0, merged = 0, status = 1;
	struct slab_reader r = { 0 };
	struct slab s = { 0 };
	char *buf = NULL;
	size_t len = 0;
	FILE *mf = NULL;
	const struct opt opts[] = {
		OPT_CALL('t', "threshold", &thr, "THR", parse_thr,
		         "the mask is p >= THR, 0 < THR <= 1 (default 0.5)"),
		OPT_ENUM('c', "connectivity", &c, "N", conns,
		         "voxels are neighbours across faces (6, default), also\n"
		         "across edges (18), also across corners (26)"),
		OPT_FLAG('M', "merged", &merged,
		         "C classes: the largest component of the merged\n"
		         "foreground (argmax p != 0) instead; every foreground\n"
		         "voxel outside it gives all its p_k to the background\n"
		         "(one channel: no effect)"),
		OPT_STRING('o', "output", &out, "OUT",
		           "output file (default stdout), written whole or not at all"),
		OPT_END
	};
	const struct opt_tool tool = {
		.name = "prob-largest", .synopsis = "prob-largest [-t THR] [-c 6|18|26] [-M] [-o OUT] [IN]",
		.operands = "[IN]", .min_operands = 0, .max_operands = 1,
		.about = "Keep the largest connected component of each f32 probability slab.\n"
		         "Of the voxels with p >= THR, those outside the largest component are set\n"
		         "to 0 (of components of equal size, the one whose first voxel in x, y, z\n"
		         "order comes first is kept); every other voxel keeps its value, so\n"
		         "thresholding the output at THR gives exactly the largest component of\n"
		         "the input's mask p >= THR. A slab with no voxel >= THR is unchanged.\n"
		         "Probabilities of C classes (C channels, CLASSES C; no -t): for each class\n"
		         "k >= 1 the mask is argmax p == k (ties: the lower class); of its components\n"
		         "the largest is kept (ties as above) and every voxel of class k outside it\n"
		         "gives p_k to the background (p_0 += p_k, p_k = 0), so the argmax of the\n"
		         "output is exactly, per class, the largest component of the input's argmax.\n"
		         "Each slab of the stream is written with its own header, all keys kept.",
		.opts = opts,
		.notes = "IN is a stream of one or more f32 slabs (default stdin): one channel, or\n"
		         "one per class with a CLASSES key."
	};

	if ((a = opt_parse(&tool, argc, argv)) < 0)
		return opt_status(a);
	if (a < argc)
		in = argv[a];
	int tgiven = thr >= 0;
	if (!tgiven)
		thr = 0.5;
	if (slab_reader_open(&r, in))
		goto out;
	if (!(mf = open_memstream(&buf, &len))) {
		error("out of memory");
		goto out;
	}
	for (;;) {
		int rc = slab_read(&r, &s);
		if (rc < 0)
			goto out;
		if (rc == 0)
			break;
		n++;
		if (classes_of_prob(&s, NULL, r.src))
			goto out;
		if (s.nc != 1 && tgiven) {
			error("%s: -t goes with one-channel probabilities, not %d classes (slab %d): "
			      "'%s'", r.src, s.nc, n, s.name);
			goto out;
		}
		if (s.nc == 1 ? cc_keep_largest(s.data, s.nx, s.ny, s.nz, thr, conn_of[c], NULL, NULL,
		                                NULL)
		              : cc_keep_largest_classes(s.data, s.nx, s.ny, s.nz, s.nc, conn_of[c],
		                                        merged, NULL, NULL, NULL))
			goto out;
		if (slab_write(mf, &s))
			goto out;
		slab_free(&s);
	}
	if (n == 0) {
		error("%s: empty, no slab in it", r.src);
		goto out;
	}
	if (outfile_write_memstream(&mf, &buf, &len, out))
		goto out;
	status = close_stdout() ? 1 : 0;
out: /* error exits free too: make SANITIZE=1 checks for leaks */
	slab_free(&s);
	slab_reader_close(&r);
	if (mf)
		fclose(mf);
	free(buf);
	return status;
}
