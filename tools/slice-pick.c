/* slice-pick: the slice of each volume to annotate, picked from the image
 * alone (no labels): the intensity-weighted centre along z of the bright
 * content (lib/slicepick.h has the rule). Used by the pipeline's
 * ANNOTATE=auto. */
#include "slab.h"
#include "slicepick.h"
#include "util.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] = "slice-pick [-c CHANNEL] [-k SD] [-o OUT] [IN]";

static void help(void)
{
	printf("usage: %s\n\n"
	       "Pick, for each image slab of the stream IN (default stdin), the z-slice to\n"
	       "annotate, from the image alone: the voxels of channel CHANNEL brighter than\n"
	       "the volume's mean + SD standard deviations are its foreground-like content;\n"
	       "slice z weighs w(z) = the sum of (v - level) over them; the pick is\n"
	       "round(sum z w(z) / sum w(z)), or floor(nz/2) when no voxel is above.\n"
	       "Writes a TSV, one row per slab: case z nsi centre (nsi = z/(nz-1), centre\n"
	       "the unrounded weighted centre, - for the central-slice fallback).\n"
	       "  -c CHANNEL  image channel (default 0)\n"
	       "  -k SD       level above the mean in standard deviations (default 1)\n"
	       "  -o OUT      output file (default stdout), written whole or not at all\n",
	       usage);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = { { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 } };
	const char *in = "-", *out = "-";
	long ch = 0;
	double k = 1;
	int opt, rc, n = 0;
	struct slab_reader r;
	struct slab s;
	char *buf = NULL;
	size_t len = 0;
	FILE *mf;

	progname = "slice-pick";
	while ((opt = getopt_long(argc, argv, "c:k:o:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			if (parse_long(optarg, 0, 1023, "channel", &ch))
				return 2;
			break;
		case 'k':
			if (parse_double(optarg, -10, 10, "level in standard deviations", &k))
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
	if (argc - optind == 1)
		in = argv[optind];
	if (slab_reader_open(&r, in))
		return 1;
	mf = open_memstream(&buf, &len);
	if (!mf)
		die("out of memory");
	fprintf(mf, "case\tz\tnsi\tcentre\n");
	while ((rc = slab_read(&r, &s)) > 0) {
		double centre;
		int z = slice_pick(&s, (int)ch, k, &centre);
		char name[32];
		n++;
		if (z < 0)
			return 1;
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
		return 1;
	if (n == 0)
		return error("%s: empty, no slab in it", r.src), 1;
	slab_reader_close(&r);
	if (fclose(mf))
		die("out of memory");
	if (outfile_write(out, buf, len))
		return 1;
	free(buf);
	return close_stdout() ? 1 : 0;
}
