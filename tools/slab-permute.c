/* slab-permute: reorder the axes of every slab of a stream (slice a volume
 * along another plane), then pad or crop; the inverse puts predictions back.
 * lib/permute.h has the rules. */
#include "permute.h"
#include "slab.h"
#include "util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] = "slab-permute -p ORDER [-d X,Y[,Z] | -r REF] [-o OUT] [IN]";

static void help(void)
{
	printf("usage: %s\n\n"
	       "Reorder the axes of each slab of IN (default stdin): ORDER, a permutation of\n"
	       "xyz, names the old axis that becomes the new x, y and z (xzy: x-z planes as\n"
	       "slices, zyx: z-y planes; both are their own inverse). Spacing and the\n"
	       "voxel-to-world transform follow the axes; channels are kept; SLICES is kept\n"
	       "only when z stays z with its size.\n"
	       "  -d X,Y[,Z]  then pad (after the end) or crop the new axes to these sizes\n"
	       "              (Z left out: unchanged); padding is 255 in u8 slabs, else 0\n"
	       "  -r REF      then pad or crop to the dims of REF's slab at the same position\n"
	       "              (a stream; e.g. the original image, to undo -p ORDER -d ...)\n"
	       "  -o OUT      output file (default stdout), written whole or not at all\n",
	       usage);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = { { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 } };
	const char *in = "-", *out = "-", *order = NULL, *dspec = NULL, *refpath = NULL;
	int perm[3], dims[3] = { 0, 0, 0 }, opt, rc, n = 0;
	struct slab_reader r, rr;
	struct slab s, d, ref;
	char *buf = NULL;
	size_t len = 0;
	FILE *mf;

	progname = "slab-permute";
	while ((opt = getopt_long(argc, argv, "p:d:r:o:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'p':
			order = optarg;
			break;
		case 'd':
			dspec = optarg;
			break;
		case 'r':
			refpath = optarg;
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
	if (argc - optind > 1 || !order || (dspec && refpath))
		usage_die(usage);
	if (argc - optind == 1)
		in = argv[optind];
	if (permute_parse(order, perm))
		return 2;
	if (dspec) {
		char buf[64], *tok, *save = NULL;
		int k = 0;
		long v;
		if (strlen(dspec) >= sizeof buf)
			return error("bad dims: '%s'", dspec), 2;
		strcpy(buf, dspec);
		for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			if (k == 3 || parse_long(tok, 1, 1 << 20, "dimension", &v))
				return error("dims want X,Y or X,Y,Z: '%s'", dspec), 2;
			dims[k++] = (int)v;
		}
		if (k < 2)
			return error("dims want X,Y or X,Y,Z: '%s'", dspec), 2;
	}
	if (slab_reader_open(&r, in))
		return 1;
	if (refpath && slab_reader_open(&rr, refpath))
		return 1;
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
				return 1;
			}
			dims[0] = ref.nx, dims[1] = ref.ny, dims[2] = ref.nz;
			slab_free(&ref);
		}
		if (slab_permute(&d, &s, perm, dims) || slab_write(mf, &d))
			return 1;
		slab_free(&s);
		slab_free(&d);
	}
	if (rc == 0 && n == 0)
		rc = error("%s: empty, no slab in it", r.src);
	if (rc < 0)
		return 1;
	slab_reader_close(&r);
	if (refpath)
		slab_reader_close(&rr);
	if (fclose(mf))
		die("out of memory");
	if (outfile_write(out, buf, len))
		return 1;
	free(buf);
	return close_stdout() ? 1 : 0;
}
