/* unet-predict: probabilities of the foreground (or of each of C classes,
 * or with --argmax their label map) for every slice of image slabs, slice
 * by slice (2-D model) or volume by volume (3-D model). */
#include "blascore.h"
#include "classes.h"
#include "isa.h"
#include "model.h"
#include "opt.h"
#include "predict.h"
#include "slab.h"
#include "slicelist.h"
#include "util.h"

#include <limits.h>
#include <stdlib.h>

/* The command line. */
static const char *mpath, *out = "-", *kpath;
static struct classes kref; /* --classes: kref.n 0 without */
static int range[2] = {0, INT_MAX}, batch = 16, flip, argmax;

static int parse_range(const char *v, void *dest)
{
	int *r = dest;
	return slicerange_parse(v, INT_MAX, &r[0], &r[1]);
}

static const struct opt table[] = {
	OPT_STRING('m', NULL, &mpath, "MODEL", "model file from unet-train (required)"),
	OPT_CALL('z', NULL, range, "A:B", parse_range,
	         "predict z-slices A..B-1 only (A or B may be left out); the other\n"
	         "slices of the output are 0"),
	OPT_INT('b', NULL, &batch, "BATCH", 1, 4096,
	        "slices per forward pass (16; a 3-D model takes whole volumes)"),
	OPT_FLAG(0, "flip", &flip, "test-time flips: the probability is the mean of the outputs on\n"
	         "the slice (3-D: volume) and on its flips along x, along y and both,\n"
	         "each flipped back"),
	OPT_FLAG(0, "argmax", &argmax, "write the u8 label map instead: the class of the largest\n"
	         "probability (ties to the lower class; a binary model: 1 where p >= 0.5)"),
	OPT_STRING(0, "classes", &kpath, "REF",
	           "the output's class names and source values (CLASS_NAMES,\n"
	           "CLASS_VALUES) are those of the slab REF (e.g. a label map of the\n"
	           "training data), which must have the model's classes (a binary\n"
	           "model: 2, and nothing changes)"),
	OPT_STRING('o', NULL, &out, "OUT", "output file (default stdout)"),
	OPT_END
};

static const struct opt_tool tool = {
	.name = "unet-predict",
	.synopsis = "unet-predict -m MODEL [-z A:B] [-b BATCH] [--flip] [--argmax] [--classes REF]\n"
	            "                    [-o OUT] [IN]",
	.operands = "[IN]", .max_operands = 1,
	.about = "Image slab stream (default stdin) -> f32 probability slabs (same header): one\n"
	         "channel, the foreground's, for a binary model; C channels (channel c the\n"
	         "softmax probability of class c) and CLASSES C for a model of C >= 3 classes.",
	.notes = "SELFLABEL_ISA=generic|avx2|avx512 caps the engine's vector instructions (default:\n"
	         "the best this CPU runs; refused above it). Each set rounds its own way: the same\n"
	         "seed, OPENBLAS_NUM_THREADS, set and OpenBLAS core give the same bytes.",
	.opts = table,
};

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
		if (kref.n && classes_set(&prob, &kref)) {
			slab_free(&prob);
			return -1;
		}
		if (argmax) {
			struct slab lab;
			rc = predict_argmax(&prob, &lab);
			slab_free(&prob);
			if (rc)
				return -1;
			prob = lab;
		}
		rc = slab_write(o->f, &prob) ? error("cannot write '%s'", out) : 0;
		slab_free(&prob);
		if (rc)
			return -1;
		n++;
	}
	return rc < 0 ? -1 : n;
}

/* --classes REF: the classes of REF's first slab into kref. 0 or -1. */
static int read_classes(const char *path)
{
	struct slab_reader r;
	struct slab s;
	int rc;
	if (slab_reader_open(&r, path))
		return -1;
	rc = slab_read(&r, &s);
	slab_reader_close(&r);
	if (rc <= 0)
		return rc ? -1 : error("--classes: no slab in '%s'", path);
	rc = classes_get(&s, &kref, path);
	slab_free(&s);
	return rc;
}

int main(int argc, char **argv)
{
	struct blas_state bs;
	blas_check(argv, &bs); /* (the correction is silent here: predictions go to stdout) */
	int i = opt_parse(&tool, argc, argv);
	if (i < 0)
		return opt_status(i);
	if (isa_select()) /* a SELFLABEL_ISA the CPU cannot run, or no set's name */
		return 2;
	if (!mpath)
		return opt_fail("missing option: '-m MODEL'");
	const char *in = i < argc ? argv[i] : "-";

	struct unet_config cfg;
	float *params;
	struct slab_reader r;
	struct outfile o;
	struct predictor p;
	if (kpath && read_classes(kpath))
		return 1;
	if (model_load(mpath, &cfg, &params))
		return 1;
	if (kpath && kref.n != unet_classes(&cfg)) {
		free(params);
		return error("--classes: %d classes in the reference, the model has %d: '%s'", kref.n,
		             unet_classes(&cfg), kpath),
		       1;
	}
	if (kref.n < 3)
		kref.n = 0; /* binary: one channel, no classes keys */
	if (slab_reader_open(&r, in)) {
		free(params);
		return 1;
	}
	if (outfile_open(&o, out)) {
		slab_reader_close(&r);
		free(params);
		return 1;
	}
	predictor_init(&p, &cfg, params, mpath);
	p.batch = batch, p.flip = flip;
	int n = predict_all(&p, &r, &o, out, range[0], range[1]);
	slab_reader_close(&r);
	predictor_free(&p);
	free(params);
	if (n <= 0) {
		outfile_abort(&o);
		if (n == 0)
			error("no slabs in '%s'", in);
		return 1;
	}
	if (outfile_commit(&o))
		return 1;
	return close_stdout() ? 1 : 0;
}
