/* unet-predict: probabilities of the foreground for every slice of image
 * slabs, slice by slice (2-D model) or volume by volume (3-D model). */
#include "model.h"
#include "predict.h"
#include "slab.h"
#include "slicelist.h"
#include "util.h"

#include <getopt.h>
#include <limits.h>
#include <stdlib.h>

static const char usage[] =
	"unet-predict -m MODEL [-z A:B] [-b BATCH] [--flip] [-o OUT] [IN]\n"
	"  image slab stream (default stdin) -> f32 probability slabs (same header)\n"
	"  -m MODEL   model file from unet-train\n"
	"  -z A:B     predict z-slices A..B-1 only (A or B may be left out); the other\n"
	"             slices of the output are 0\n"
	"  -b BATCH   slices per forward pass (16; a 3-D model takes whole volumes)\n"
	"  --flip     test-time flips: the probability is the mean of the outputs on the\n"
	"             slice (3-D: volume) and on its flips along x, along y and both, each\n"
	"             flipped back\n"
	"  -o OUT     output file (default stdout)";

/* Predict every slab of r into o; za:zb is the -z range (zb INT_MAX: to the
 * end). Returns the number of slabs, or -1 with a message. */
static int predict_all(struct predictor *p, struct slab_reader *r, struct outfile *o,
                       const char *out, int za, int zb)
{
	int n = 0, rc;
	struct slab s, prob;
	while ((rc = slab_read(r, &s)) > 0) {
		rc = predict_slab(p, &s, za, zb == INT_MAX ? s.nz : zb, &prob);
		slab_free(&s);
		if (rc)
			return -1;
		rc = slab_write(o->f, &prob) ? error("cannot write '%s'", out) : 0;
		slab_free(&prob);
		if (rc)
			return -1;
		n++;
	}
	return rc < 0 ? -1 : n;
}

int main(int argc, char **argv)
{
	const char *mpath = NULL, *out = "-", *in = "-";
	int za = 0, zb = INT_MAX, batch = 16, flip = 0, c;
	long v;

	progname = "unet-predict";
	enum { O_FLIP = 256 };
	static const struct option lo[] = {{"flip", 0, 0, O_FLIP}, {"help", 0, 0, 'h'},
	                                   {0, 0, 0, 0}};
	while ((c = getopt_long(argc, argv, "m:z:b:o:h", lo, NULL)) != -1) {
		switch (c) {
		case 'm': mpath = optarg; break;
		case 'z':
			if (slicerange_parse(optarg, INT_MAX, &za, &zb)) usage_die(usage);
			break;
		case 'b':
			if (parse_long(optarg, 1, 4096, "batch size", &v)) usage_die(usage);
			batch = (int)v;
			break;
		case 'o': out = optarg; break;
		case O_FLIP: flip = 1; break;
		case 'h': printf("usage: %s\n", usage); return 0;
		default: usage_die(usage);
		}
	}
	if (!mpath || argc - optind > 1)
		usage_die(usage);
	if (optind < argc)
		in = argv[optind];

	struct unet_config cfg;
	float *params;
	struct slab_reader r;
	struct outfile o;
	struct predictor p;
	if (model_load(mpath, &cfg, &params) || slab_reader_open(&r, in) || outfile_open(&o, out))
		return 1;
	predictor_init(&p, &cfg, params, mpath);
	p.batch = batch, p.flip = flip;
	int n = predict_all(&p, &r, &o, out, za, zb);
	slab_reader_close(&r);
	predictor_free(&p);
	free(params);
	if (n <= 0) {
		outfile_abort(&o);
		if (n == 0)
			die("no slabs in '%s'", in);
		return 1;
	}
	if (outfile_commit(&o))
		return 1;
	return close_stdout() ? 1 : 0;
}
