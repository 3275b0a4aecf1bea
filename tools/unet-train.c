/* unet-train: train (or fine-tune) the 2-D U-Net on labelled slices, or the
 * 3-D U-Net on whole volumes (--dims 3). Compiled with -DSL_MPI (and the MPI
 * dist.o) it is unet-train-mpi: the same training data-parallel over MPI ranks. */
#include "blascore.h"
#include "dist.h"
#include "isa.h"
#include "layers.h"
#include "model.h"
#include "opt.h"
#include "train.h"
#include "trainset.h"
#include "unet.h"
#include "util.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The command line. o gets train_opts_default() before the options; the
 * others are 0 when not given. */
static struct train_opts o;
static const char *out, *init, *logpath;
static int batch, min_steps, filters, depth, dims, channels = 1, summary, val_gt, engine;
static int augment, weighting, optimizer, lossfn, selection, classes;
static double class_weights[255];
static int nclass_weights; /* 0: --class-weights not given */

static int parse_seed(const char *v, void *dest)
{
	long l;
	if (parse_long(v, 0, LONG_MAX, "seed", &l))
		return -1;
	*(uint64_t *)dest = (uint64_t)l;
	return 0;
}

static int parse_pos_weight(const char *v, void *dest)
{
	if (parse_double(v, 0, 1e6, "positive weight", dest))
		return -1;
	if (*(double *)dest <= 0)
		return error("positive weight: must be > 0: '%s'", v);
	return 0;
}

/* --class-weights W0,W1,...: 1..255 finite weights >= 0, not all 0 (their
 * count is checked against the masks' classes later). */
static int parse_class_weights(const char *v, void *dest)
{
	double *w = dest, sum = 0;
	int n = 1;
	for (const char *p = v; *p; p++)
		n += *p == ',';
	if (n > 255)
		return error("class weights: more than 255: '%s'", v);
	if (parse_tuple(v, ',', n, 0, 0, 1e6, 0, "class weights", w))
		return -1;
	nclass_weights = n;
	for (int i = 0; i < n; i++)
		sum += w[i];
	if (sum <= 0)
		return error("class weights: all 0: '%s'", v);
	return 0;
}

static int parse_ema(const char *v, void *dest)
{
	if (parse_double(v, 0, 1, "ema decay", dest))
		return -1;
	if (*(double *)dest <= 0 || *(double *)dest >= 1)
		return error("ema decay: must be strictly between 0 and 1: '%s'", v);
	return 0;
}

static const char *const augments[] = {"none", "all", "gt", NULL};
static const char *const weightings[] = {"uniform", "gaussian", "stepwise", NULL};
static const char *const optimizers[] = {"rmsprop", "adam", "sgd", NULL};
static const char *const losses[] = {"bce", "bcedice", NULL};
static const char *const selections[] = {"loss", "dsc", NULL};
static const char *const engines[] = {"fast", "reference", NULL};

static const struct opt table[] = {
	OPT_STRING('o', NULL, &out, "MODEL", "output model file ('-' for stdout)"),
	OPT_STRING(0, "init", &init, "MODEL", "start from this model (fine-tuning)"),
	OPT_INT('e', "epochs", &o.epochs, "N", 1, 100000, "at most N epochs (150)"),
	OPT_INT('b', "batch", &batch, "N", 1, 4096,
	        "mini-batch size (32 slices; 2 volumes with --dims 3)"),
	OPT_INT(0, "min-steps", &min_steps, "N", 1, 100000,
	        "lower the batch to floor(training items / N) (at least 1) when that\n"
	        "is smaller, so an epoch has at least N optimiser steps (few labelled\n"
	        "slices: one step an epoch learns little before early stopping)"),
	OPT_DOUBLE(0, "lr", &o.lr, "X", 1e-12, 1e6, "initial learning rate (1e-3)"),
	OPT_INT(0, "patience", &o.patience, "N", 1, 100000,
	        "early stopping after N epochs without improvement (6)"),
	OPT_INT(0, "lr-patience", &o.lr_patience, "N", 1, 100000,
	        "learning rate x0.1 after N epochs without val-loss improvement (3)"),
	OPT_DOUBLE(0, "lr-factor", &o.lr_factor, "X", 1e-6, 1, "the factor of that reduction (0.1)"),
	OPT_CALL('s', "seed", &o.seed, "N", parse_seed,
	         "seed of initialisation, shuffling and augmentation (1)"),
	{ .name = "augment", .kind = OPT_T_ENUM, .dest = &augment, .arg = "gt", .names = augments,
	  .implicit = "all", .help = "random flips and rotations (gt: only slices marked 'g' in\n"
	  "SLICES; none: off, the default)" },
	OPT_DOUBLE(0, "max-angle", &o.max_angle, "DEG", 0, 180, "rotation range of --augment (90)"),
	OPT_ENUM(0, "weights", &weighting, "W", weightings,
	         "uniform|gaussian|stepwise slice weights by normalised index"),
	OPT_ENUM(0, "optimizer", &optimizer, "O", optimizers,
	         "rmsprop|adam|sgd (rmsprop; sgd: plain steps, for tests)"),
	OPT_ENUM(0, "loss", &lossfn, "L", losses, "bce|bcedice (bce); masks of C >= 3 classes: softmax\n"
	         "cross-entropy, bcedice adding the soft Dice over classes 1..C-1"),
	OPT_ENUM(0, "select", &selection, "S", selections,
	         "loss|dsc: validation figure that picks the kept epoch (loss)"),
	OPT_FLAG(0, "val-gt", &val_gt, "validate on the ground-truth slices of VAL.list only ('g' in\n"
	         "the masks' SLICES key; a mask without SLICES is all ground truth)"),
	OPT_CALL(0, "pos-weight", &o.pos_weight, "W", parse_pos_weight,
	         "BCE weight of foreground pixels, W > 0 (1; with bcedice: the BCE part)"),
	OPT_CALL(0, "class-weights", class_weights, "W0,W1,...", parse_class_weights,
	         "C >= 3 classes: each class's\n"
	         "cross-entropy weight, C values >= 0 (all 1); the loss is divided by the\n"
	         "sum of the labelled pixels' class weights (PyTorch's CrossEntropyLoss weight)"),
	OPT_CALL(0, "ema", &o.ema, "DECAY", parse_ema,
	         "keep an exponential moving average of the weights, 0 < DECAY < 1\n"
	         "(e.g. 0.99; off): validation, early stopping, the kept epoch and the\n"
	         "output model use it (it starts as the starting weights)"),
	OPT_STRING(0, "log", &logpath, "FILE", "per-epoch TSV log (renamed into place with the model,\n"
	           "just before it: both whole or neither)"),
	OPT_FLAG('q', "quiet", &o.quiet, "no progress on stderr"),
	OPT_INT(0, "filters", &filters, "N", 1, 256, "filters at full resolution for a new model (8)"),
	OPT_INT(0, "depth", &depth, "N", 1, UNET_MAX_DEPTH, "poolings of a new model (4)"),
	OPT_INT(0, "dims", &dims, "N", 2, 3,
	        "2: a new 2-D model on slices (default); 3: a new 3-D model on whole\n"
	        "volumes, each padded after its last slice to a multiple of 2^depth\n"
	        "(image 0, mask 255); no --augment, --weights (--init: the model's)"),
	OPT_ENUM(0, "engine", &engine, "E", engines,
	         "fast|reference (fast): reference computes every 2-D 3x3\n"
	         "convolution by im2col + sgemm, slower, to check the fast one"),
	OPT_FLAG(0, "summary", &summary, "print the layer table and parameter total, then exit"),
	OPT_INT('c', "channels", &channels, "N", 1, 64, "input channels for --summary (1)"),
	OPT_INT(0, "classes", &classes, "C", 2, 255, "classes for --summary (2: one sigmoid output)"),
	OPT_END
};

#ifdef SL_MPI
#define TOOL_NAME "unet-train-mpi"
#define MPI_NOTE "Run as N MPI ranks (mpirun -np N unet-train-mpi ..., or srun -n N): each rank\n" \
	"trains on its share of every mini-batch (the same shuffle and augmentation draws on\n" \
	"every rank), the gradients are summed over the ranks (MPI_Allreduce) before each\n" \
	"optimiser step, validation is split over the ranks; within a rank the threads are\n" \
	"as unet-train's. Rank 0 alone writes the model, the log and the progress. The\n" \
	"model is unet-train's to rounding (summation order; 1 rank: the same bytes), and\n" \
	"the same N gives the same bytes."
#else
#define TOOL_NAME "unet-train"
#define MPI_NOTE "Data-parallel training over MPI ranks: unet-train-mpi, built beside unet-train by\n" \
	"make when an MPI (OpenMPI or MPICH: mpicc) is installed (make deps-hpc installs it)."
#endif

static const struct opt_tool tool = {
	.name = TOOL_NAME,
	.synopsis = TOOL_NAME " [options] -o MODEL TRAIN.list [VAL.list]\n"
	            "       " TOOL_NAME " --summary [--dims 2|3] [-c CHANNELS] [--classes C]",
	.operands = "TRAIN.list [VAL.list]", .min_operands = 0, .max_operands = 2,
	.about = "List files: one 'IMAGE.slab MASK.slab' pair per line ('#' comments). Masks: 0\n"
	         "background, 1 foreground, 255 unlabelled; or with a CLASSES key C >= 3 (every\n"
	         "mask the same C): 0..C-1 and 255, and a model of C softmax outputs. Its\n"
	         "val_dsc is the mean over classes 1..C-1 of the DSC of the argmax.",
	.notes = "SELFLABEL_ISA=generic|avx2|avx512 caps the engine's vector instructions (default:\n"
	         "the best this CPU runs; refused above it). Each set rounds its own way: the same\n"
	         "seed, OPENBLAS_NUM_THREADS, set and OpenBLAS core give the same bytes.\n" MPI_NOTE,
	.opts = table,
};

/* The architecture of a new model from the options. */
static struct unet_config new_config(int in_channels)
{
	struct unet_config c = {in_channels, filters ? filters : 8, depth ? depth : 4,
	                        dims ? dims : 2, classes > 2 ? classes : 0};
	return c;
}

/* --summary: the layer table of a new model. Returns the exit status. */
static int print_summary(void)
{
	struct unet_config cfg = new_config(channels);
	if (unet_config_check(&cfg))
		return 1;
	unet_summary(stdout, &cfg);
	return close_stdout() ? 1 : 0;
}

/* The starting model: --init's, or a new one's configuration (channels set
 * later, from the data) with *params NULL. Checks the options that depend
 * on its kind and sets o's. 0 or -1. */
static int start_model(struct unet_config *cfg, float **params)
{
	*params = NULL;
	*cfg = new_config(1);
	if (init && (filters || depth || dims))
		return error("--filters, --depth and --dims apply to new models, not to --init");
	if (init && model_load(init, cfg, params))
		return -1;
	int d3 = unet_dims(cfg) == 3;
	if (d3 && augment)
		return error("--augment applies to 2-D training, not to a 3-D model");
	if (d3 && weighting != WEIGHT_UNIFORM)
		return error("--weights applies to 2-D training, not to a 3-D model");
	o.batch = batch ? batch : d3 ? 2 : o.batch;
	o.augment = augment;
	o.weights = (enum weighting)weighting;
	o.opt = (enum optimizer)optimizer;
	o.loss = (enum lossfn)lossfn;
	o.select = (enum selection)selection;
	return 0;
}

/* Read the training and (with vlist) validation sets of the kind cfg
 * trains on, keep the ground-truth validation items with --val-gt, and
 * give volume sets one depth. 0 or -1. */
static int load_sets(struct trainset *tr, struct trainset *va, const char *tlist,
                     const char *vlist, const struct unet_config *cfg, size_t *va_all)
{
	if (unet_dims(cfg) == 3)
		tr->zmult = va->zmult = 1 << cfg->depth;
	if (trainset_load_list(tr, tlist))
		return -1;
	if (tr->n == 0)
		return error("no labelled slices in '%s'", tlist);
	if (vlist) {
		if (trainset_load_list(va, vlist))
			return -1;
		if (va->n && (va->W != tr->W || va->H != tr->H || va->C != tr->C))
			return error("validation slices are %dx%dx%d, training slices %dx%dx%d", va->W,
			             va->H, va->C, tr->W, tr->H, tr->C);
		if (!va->n)
			return error("no labelled slices in '%s'", vlist);
		if (va->classes != tr->classes)
			return error("the validation masks have %d classes, the training masks %d: '%s'",
			             va->classes, tr->classes, vlist);
	}
	*va_all = va->n;
	if (val_gt && trainset_keep_gt(va) == 0)
		return error("no ground-truth validation slice in '%s' (--val-gt)", vlist);
	if (tr->zmult && (trainset_set_depth(tr, va->Z > tr->Z ? va->Z : tr->Z) ||
	                  trainset_set_depth(va, tr->Z)))
		return -1;
	return 0;
}

/* The '#' lines after the log's header: what the remedies change. */
static void log_note(char *note, size_t n, size_t va_gt, size_t va_all)
{
	size_t k = 0;
	note[0] = '\0';
	if (val_gt)
		k += snprintf(note + k, n - k, "# val_loss, val_dsc: the %zu ground-truth slices of the "
		              "%zu validation slices (--val-gt)\n", va_gt, va_all);
	if (o.ema > 0 && k < n)
		k += snprintf(note + k, n - k, "# val_loss, val_dsc, best and the model: the moving "
		              "average of the weights (--ema %g)\n", o.ema);
	if (o.pos_weight != 1 && k < n)
		k += snprintf(note + k, n - k, "# train_loss, val_loss: foreground pixels weigh %g in "
		              "the BCE (--pos-weight)\n", o.pos_weight);
	if (classes > 2 && k < n)
		k += snprintf(note + k, n - k, "# %d classes: train_loss, val_loss: softmax "
		              "cross-entropy%s%s; val_dsc: the mean DSC of classes 1..%d (argmax)\n",
		              classes, lossfn ? " + soft Dice over classes" : "",
		              nclass_weights ? " (--class-weights)" : "", classes - 1);
}

/* The network for the sets, its parameters from params or a seeded start;
 * a new model takes the data's channels. 0 or -1. */
static int make_net(struct unet *u, struct unet_config *cfg, const float *params,
                    const struct trainset *tr)
{
	if (params && cfg->in_channels != tr->C)
		return error("model '%s' takes %d input channels, the data have %d", init,
		             cfg->in_channels, tr->C);
	if (params && unet_classes(cfg) != tr->classes)
		return error("model '%s' has %d classes, the masks have %d: '%s'", init,
		             unet_classes(cfg), tr->classes, init);
	if (!params) {
		cfg->in_channels = tr->C;
		cfg->classes = tr->classes > 2 ? tr->classes : 0;
		if (unet_config_check(cfg))
			return -1;
	}
	int B = (size_t)o.batch < tr->n ? o.batch : (int)tr->n;
	if (unet_create_vol(u, cfg, B, tr->zmult ? tr->Z : 1, tr->H, tr->W, 1, 0))
		return -1;
	if (params)
		memcpy(u->params, params, u->nparams * sizeof(float));
	else
		unet_params_init(u->params, cfg, o.seed);
	return 0;
}

/* Train u, saying what on stderr, with the log into lf (opened here when
 * --log; the caller commits or aborts it). 0 or -1. */
static int run(struct unet *u, const struct trainset *tr, const struct trainset *va,
               struct outfile *lf)
{
	if (logpath) {
		if (outfile_open(lf, logpath))
			return -1;
		o.log = lf->f;
	}
	if (!o.quiet && tr->zmult)
		fprintf(stderr, "%s: 3-D: %zu training volumes of %zu read, %zu validation volumes; "
		        "%dx%dx%dx%d (depth padded), %zu parameters\n", progname, tr->n, tr->volumes,
		        va->n, tr->W, tr->H, tr->Z, tr->C, u->nparams);
	else if (!o.quiet)
		fprintf(stderr, "%s: %zu training slices from %zu volumes, %zu validation slices; "
		        "%dx%dx%d, %zu parameters\n", progname, tr->n, tr->volumes, va->n, tr->W, tr->H,
		        tr->C, u->nparams);
	if (!o.quiet && tr->classes > 2)
		fprintf(stderr, "%s: %d classes: softmax cross-entropy%s; val_dsc is the mean DSC of "
		        "classes 1..%d (argmax)\n", progname, tr->classes,
		        o.loss == LOSS_BCEDICE ? " + soft Dice over classes" : "", tr->classes - 1);
	return train_run(u, tr, va, &o) < 0 ? -1 : 0;
}

/* The model and the log, whole or not at all: both written to temporary
 * files and checked, then the log renamed into place and the model last
 * (a model in place has its log). 0 or -1. */
static int save(const struct unet_config *cfg, const float *params, struct outfile *lf)
{
	struct outfile mf;
	struct stat st;
	if (outfile_open(&mf, out))
		goto fail;
	if (model_write(mf.f, cfg, params) || (mf.tmp && (fflush(mf.f) || ferror(mf.f)))) {
		if (mf.tmp)
			error("cannot write '%s': %s", mf.path, strerror(errno ? errno : EIO));
		outfile_abort(&mf);
		goto fail;
	}
	if (mf.tmp && stat(mf.path, &st) == 0 && S_ISDIR(st.st_mode)) {
		error("cannot write '%s': is a folder", mf.path);
		outfile_abort(&mf);
		goto fail;
	}
	if (logpath && outfile_commit(lf)) {
		outfile_abort(&mf);
		return -1;
	}
	return outfile_commit(&mf);
fail:
	if (logpath)
		outfile_abort(lf);
	return -1;
}

/* The program after the start-up of main; bs: what blas_check found. */
static int train_main(int argc, char **argv, struct blas_state *bs)
{
	train_opts_default(&o);
	int i = opt_parse(&tool, argc, argv);
	if (i < 0)
		return opt_status(i);
	if (dist_rank() != 0)
		o.quiet = 1;
	if (isa_select()) /* a SELFLABEL_ISA the CPU cannot run, or no set's name */
		return 2;
	if (summary && i < argc)
		return opt_fail("--summary takes no operand: '%s'", argv[i]);
	if (classes && !summary)
		return opt_fail("--classes applies to --summary (training takes the masks' CLASSES): "
		                "'%d'", classes);
	if (summary) /* once, from rank 0 */
		return dist_rank() ? 0 : print_summary();
	if (!out)
		return opt_fail("missing option: '-o MODEL'");
	if (i == argc)
		return opt_fail("missing operand, want TRAIN.list [VAL.list]: ''");
	const char *tlist = argv[i], *vlist = i + 1 < argc ? argv[i + 1] : NULL;
	if (val_gt && !vlist)
		return opt_fail("--val-gt needs a validation list");
	if (engine)
		conv3x3_mode = CONV_REFERENCE; /* im2col + sgemm everywhere */
	if (blas_note(bs) && !o.quiet)
		fprintf(stderr, "%s: %s\n", progname, blas_note(bs));

	struct unet_config cfg;
	struct trainset tr = {0}, va = {0};
	struct unet u = {0};
	float *params = NULL;
	size_t va_all = 0;
	char note[768];
	int rc = 1;
	if (start_model(&cfg, &params) || load_sets(&tr, &va, tlist, vlist, &cfg, &va_all))
		goto out;
	/* the classes are the masks' (every mask the same: trainset.h) */
	classes = tr.classes;
	if (nclass_weights && classes < 3) {
		error("--class-weights applies to masks of 3 or more classes (these are binary: "
		      "--pos-weight): '%d'", nclass_weights);
		goto out;
	}
	if (nclass_weights && nclass_weights != classes) {
		error("--class-weights gives %d weights, the masks have %d classes: '%d'",
		      nclass_weights, classes, nclass_weights);
		goto out;
	}
	if (classes > 2 && o.pos_weight != 1) {
		error("--pos-weight applies to binary masks, these have %d classes (--class-weights): "
		      "'%g'", classes, o.pos_weight);
		goto out;
	}
	o.class_weights = nclass_weights ? class_weights : NULL;
	log_note(note, sizeof note, va.n, va_all);
	o.log_note = *note ? note : NULL;
	if (min_steps && tr.n / (size_t)min_steps < (size_t)o.batch) {
		o.batch = tr.n >= (size_t)min_steps ? (int)(tr.n / (size_t)min_steps) : 1;
		if (!o.quiet)
			fprintf(stderr, "%s: batch %d, so that %zu training items make at least %d steps "
			        "an epoch (--min-steps)\n", progname, o.batch, tr.n, min_steps);
	}
	if (make_net(&u, &cfg, params, &tr))
		goto out;
	free(params);
	params = NULL;
	if (dist_rank() != 0) /* rank 0 alone writes: the log, the progress, the model */
		logpath = NULL;
	struct outfile lf = {0};
	if (run(&u, &tr, &va, &lf)) {
		if (logpath)
			outfile_abort(&lf);
		goto out;
	}
	if (dist_rank() == 0 && save(&cfg, u.params, &lf))
		goto out;
	rc = close_stdout() ? 1 : 0;
out: /* error exits free too: make SANITIZE=1 checks for leaks */
	free(params);
	unet_free(&u);
	trainset_free(&tr), trainset_free(&va);
	return rc;
}

int main(int argc, char **argv)
{
	struct blas_state bs;
	blas_check(argv, &bs); /* may re-execute the program: before MPI starts */
	if (dist_init(&argc, &argv))
		return dist_finish(1);
	return dist_finish(train_main(argc, argv, &bs));
}
