/* slice-pick: the slice of each volume to annotate, picked from the image
 * alone (no labels): the intensity-weighted centre along z of the bright
 * content (lib/slicepick.h has the rule). Used by the pipeline's
 * ANNOTATE=auto. */
#include "opt.h"
#include "slab.h"
#include "slicepick.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	const char *in = "-", *out = "-";
	int ch = 0;
	double k = 1;
	int i, rc, n = 0, status = 1;
	struct slab_reader r;
	struct slab s = { 0 };
	char *buf = NULL;
	size_t len = 0;
	FILE *mf;
	const struct opt opts[] = {
		OPT_INT('c', "channel", &ch, "CHANNEL", 0, 1023, "image channel (default 0)"),
		OPT_DOUBLE('k', "level", &k, "SD", -10, 10,
		           "level above the mean in standard deviations (default 1)"),
		OPT_STRING('o', "output", &out, "OUT",
		           "output file (default stdout), written whole or not at all"),
		OPT_END
	};
	const struct opt_tool tool = {
		.name = "slice-pick", .operands = "[IN]", .min_operands = 0, .max_operands = 1,
		.about = "Pick, for each image slab of the stream IN (default stdin), the z-slice to\n"
		         "annotate, from the image alone: the voxels of channel CHANNEL brighter than\n"
		         "the volume's mean + SD standard deviations are its foreground-like content;\n"
		         "slice z weighs w(z) = the sum of (v - level) over them; the pick is\n"
		         "round(sum z w(z) / sum w(z)), or floor(nz/2) when no voxel is above.\n"
		         "Writes a TSV, one row per slab: case z nsi centre (nsi = z/(nz-1), centre\n"
		         "the unrounded weighted centre, - for the central-slice fallback).",
		.opts = opts
	};

	if ((i = opt_parse(&tool, argc, argv)) < 0)
		return opt_status(i);
	if (i < argc)
		in = argv[i];
	if (slab_reader_open(&r, in))
		return 1;
	mf = open_memstream(&buf, &len);
	if (!mf)
		die("out of memory");
	fprintf(mf, "case\tz\tnsi\tcentre\n");
	while ((rc = slab_read(&r, &s)) > 0) {
		double centre;
		int z = slice_pick(&s, ch, k, &centre);
		char name[32];
		n++;
		if (z < 0)
			goto out;
		if (!s.name[0])
			snprintf(name, sizeof name, "%d", n);
		fprintf(mf, "%s\t%d\t%.6g\t", s.name[0] ? s.name : name, z,
		        s.nz > 1 ? (double)z / (s.nz - 1) : 0);
		if (centre < 0)
			fprintf(mf, "-\n");
		else
			fprintf(mf, "%.6g\n", centre);
		slab_free(&s);
	}
	if (rc < 0)
		goto out;
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
