/* unet-train: train (or fine-tune) the 2-D U-Net on labelled slices, or the
 * 3-D U-Net on whole volumes (--dims 3). */
#include "layers.h"
#include "model.h"
#include "train.h"
#include "unet.h"
#include "util.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"unet-train [options] -o MODEL TRAIN.list [VAL.list]\n"
	"       unet-train --summary [--dims 2|3] [-c CHANNELS]\n"
	"  list files: one 'IMAGE.slab MASK.slab' pair per line ('#' comments)\n"
	"  -o MODEL           output model file ('-' for stdout)\n"
	"  --init MODEL       start from this model (fine-tuning)\n"
	"  -e, --epochs N     at most N epochs (150)\n"
	"  -b, --batch N      mini-batch size (32 slices; 2 volumes with --dims 3)\n"
	"  --lr X             initial learning rate (1e-3)\n"
	"  --patience N       early stopping after N epochs without improvement (6)\n"
	"  --lr-patience N    learning rate x0.1 after N epochs without val-loss improvement (3)\n"
	"  --lr-factor X      the factor of that reduction (0.1)\n"
	"  -s, --seed N       seed of initialisation, shuffling and augmentation (1)\n"
	"  --augment[=gt]     random flips and rotations (gt: only slices marked 'g' in SLICES)\n"
	"  --max-angle DEG    rotation range of --augment (90)\n"
	"  --weights W        uniform|gaussian|stepwise slice weights by normalised index\n"
	"  --optimizer O      rmsprop|adam|sgd (rmsprop; sgd: plain steps, for tests)\n"
	"  --loss L           bce|bcedice (bce)\n"
	"  --select S         loss|dsc: validation figure that picks the kept epoch (loss)\n"
	"  --val-gt           validate on the ground-truth slices of VAL.list only ('g' in\n"
	"                     the masks' SLICES key; a mask without SLICES is all ground truth)\n"
	"  --pos-weight W     BCE weight of foreground pixels, W > 0 (1; with bcedice: the BCE part)\n"
	"  --ema DECAY        keep an exponential moving average of the weights, 0 < DECAY < 1\n"
	"                     (e.g. 0.99; off): validation, early stopping, the kept epoch and the\n"
	"                     output model use it (it starts as the starting weights)\n"
	"  --log FILE         per-epoch TSV log\n"
	"  -q, --quiet        no progress on stderr\n"
	"  --filters N        filters at full resolution for a new model (8)\n"
	"  --depth N          poolings of a new model (4)\n"
	"  --dims N           2: a new 2-D model on slices (default); 3: a new 3-D model on whole\n"
	"                     volumes, each padded after its last slice to a multiple of 2^depth\n"
	"                     (image 0, mask 255); no --augment, --weights (--init: the model's)\n"
	"  --engine E         fast|reference (fast): reference computes every 2-D 3x3\n"
	"                     convolution by im2col + sgemm, slower, to check the fast one\n"
	"  --summary          print the layer table and parameter total, then exit\n"
	"  -c, --channels N   input channels for --summary (1)";

static int pick(const char *s, const char *const *names, const char *what)
{
	for (int i = 0; names[i]; i++)
		if (!strcmp(s, names[i]))
			return i;
	error("unknown %s: '%s'", what, s);
	return -1;
}

int main(int argc, char **argv)
{
	enum { O_INIT = 256, O_LR, O_PATIENCE, O_LRPAT, O_LRFACTOR, O_AUGMENT, O_ANGLE, O_WEIGHTS,
	       O_OPT, O_LOSS, O_SELECT, O_LOG, O_FILTERS, O_DEPTH, O_SUMMARY, O_VALGT, O_POSW, O_EMA,
	       O_DIMS, O_ENGINE };
	static const struct option lo[] = {
		{"init", 1, 0, O_INIT}, {"epochs", 1, 0, 'e'}, {"batch", 1, 0, 'b'},
		{"lr", 1, 0, O_LR}, {"patience", 1, 0, O_PATIENCE}, {"lr-patience", 1, 0, O_LRPAT},
		{"lr-factor", 1, 0, O_LRFACTOR}, {"seed", 1, 0, 's'}, {"augment", 2, 0, O_AUGMENT},
		{"max-angle", 1, 0, O_ANGLE}, {"weights", 1, 0, O_WEIGHTS},
		{"optimizer", 1, 0, O_OPT}, {"loss", 1, 0, O_LOSS}, {"select", 1, 0, O_SELECT},
		{"log", 1, 0, O_LOG}, {"quiet", 0, 0, 'q'}, {"filters", 1, 0, O_FILTERS},
		{"depth", 1, 0, O_DEPTH}, {"summary", 0, 0, O_SUMMARY}, {"channels", 1, 0, 'c'},
		{"val-gt", 0, 0, O_VALGT}, {"pos-weight", 1, 0, O_POSW}, {"ema", 1, 0, O_EMA},
		{"dims", 1, 0, O_DIMS}, {"engine", 1, 0, O_ENGINE}, {"help", 0, 0, 'h'},
		{0, 0, 0, 0}};
	static const char *const weights[] = {"uniform", "gaussian", "stepwise", NULL};
	static const char *const opts[] = {"rmsprop", "adam", "sgd", NULL};
	static const char *const losses[] = {"bce", "bcedice", NULL};
	static const char *const selects[] = {"loss", "dsc", NULL};
	static const char *const engines[] = {"fast", "reference", NULL};
	struct train_opts o;
	struct unet_config cfg = {1, 8, 4, 2};
	const char *out = NULL, *init = NULL, *logpath = NULL;
	int summary = 0, c, k, set_arch = 0, val_gt = 0, set_batch = 0;
	long v;
	double d;

	progname = "unet-train";
	train_opts_default(&o);
	while ((c = getopt_long(argc, argv, "o:e:b:s:qc:h", lo, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case O_INIT: init = optarg; break;
		case 'e':
			if (parse_long(optarg, 1, 100000, "epochs", &v)) usage_die(usage);
			o.epochs = (int)v;
			break;
		case 'b':
			if (parse_long(optarg, 1, 4096, "batch size", &v)) usage_die(usage);
			o.batch = (int)v, set_batch = 1;
			break;
		case O_LR:
			if (parse_double(optarg, 1e-12, 1e6, "learning rate", &o.lr)) usage_die(usage);
			break;
		case O_PATIENCE:
			if (parse_long(optarg, 1, 100000, "patience", &v)) usage_die(usage);
			o.patience = (int)v;
			break;
		case O_LRPAT:
			if (parse_long(optarg, 1, 100000, "learning-rate patience", &v)) usage_die(usage);
			o.lr_patience = (int)v;
			break;
		case O_LRFACTOR:
			if (parse_double(optarg, 1e-6, 1, "learning-rate factor", &o.lr_factor)) usage_die(usage);
			break;
		case 's':
			if (parse_long(optarg, 0, 0x7fffffffffffffffL, "seed", &v)) usage_die(usage);
			o.seed = (uint64_t)v;
			break;
		case O_AUGMENT:
			if (!optarg || !strcmp(optarg, "all"))
				o.augment = 1;
			else if (!strcmp(optarg, "gt"))
				o.augment = 2;
			else if (!strcmp(optarg, "none"))
				o.augment = 0;
			else {
				error("unknown augmentation: '%s' (all, gt or none)", optarg);
				usage_die(usage);
			}
			break;
		case O_ANGLE:
			if (parse_double(optarg, 0, 180, "rotation angle", &d)) usage_die(usage);
			o.max_angle = d;
			break;
		case O_WEIGHTS:
			if ((k = pick(optarg, weights, "slice weighting")) < 0) usage_die(usage);
			o.weights = (enum weighting)k;
			break;
		case O_OPT:
			if ((k = pick(optarg, opts, "optimizer")) < 0) usage_die(usage);
			o.opt = (enum optimizer)k;
			break;
		case O_LOSS:
			if ((k = pick(optarg, losses, "loss")) < 0) usage_die(usage);
			o.loss = (enum lossfn)k;
			break;
		case O_SELECT:
			if ((k = pick(optarg, selects, "selection")) < 0) usage_die(usage);
			o.select = (enum selection)k;
			break;
		case O_VALGT: val_gt = 1; break;
		case O_POSW:
			/* bad values of the issue-6 options: one line, exit 2 */
			if (parse_double(optarg, 0, 1e6, "positive weight", &d))
				return 2;
			if (d <= 0)
				return error("positive weight: must be > 0: '%s'", optarg), 2;
			o.pos_weight = d;
			break;
		case O_EMA:
			if (parse_double(optarg, 0, 1, "ema decay", &d))
				return 2;
			if (d <= 0 || d >= 1)
				return error("ema decay: must be strictly between 0 and 1: '%s'", optarg), 2;
			o.ema = d;
			break;
		case O_LOG: logpath = optarg; break;
		case O_ENGINE:
			if ((k = pick(optarg, engines, "engine")) < 0)
				return 2;
			conv3x3_mode = k ? 5 : 0; /* 5: im2col + sgemm everywhere */
			break;
		case 'q': o.quiet = 1; break;
		case O_FILTERS:
			if (parse_long(optarg, 1, 256, "filters", &v)) usage_die(usage);
			cfg.base = (int)v, set_arch = 1;
			break;
		case O_DEPTH:
			if (parse_long(optarg, 1, UNET_MAX_DEPTH, "depth", &v)) usage_die(usage);
			cfg.depth = (int)v, set_arch = 1;
			break;
		case O_SUMMARY: summary = 1; break;
		case O_DIMS:
			if (parse_long(optarg, 2, 3, "dimensionality", &v)) usage_die(usage);
			cfg.dims = (int)v, set_arch = 1;
			break;
		case 'c':
			if (parse_long(optarg, 1, 64, "channels", &v)) usage_die(usage);
			cfg.in_channels = (int)v;
			break;
		case 'h': printf("usage: %s\n", usage); return 0;
		default: usage_die(usage);
		}
	}
	if (summary) {
		if (optind != argc)
			usage_die(usage);
		if (unet_config_check(&cfg))
			return 1;
		unet_summary(stdout, &cfg);
		return close_stdout() ? 1 : 0;
	}
	if (!out || optind >= argc || argc - optind > 2)
		usage_die(usage);
	if (init && set_arch)
		die("--filters, --depth and --dims apply to new models, not to --init");
	float *params = NULL;
	if (init && model_load(init, &cfg, &params))
		return 1;
	int d3 = unet_dims(&cfg) == 3;
	if (d3 && o.augment)
		die("--augment applies to 2-D training, not to a 3-D model");
	if (d3 && o.weights != WEIGHT_UNIFORM)
		die("--weights applies to 2-D training, not to a 3-D model");
	if (d3 && !set_batch)
		o.batch = 2;
	if (val_gt && optind + 1 >= argc)
		return error("--val-gt needs a validation list"), 2;

	struct trainset tr = {0}, va = {0};
	if (d3)
		tr.zmult = va.zmult = 1 << cfg.depth;
	if (trainset_load_list(&tr, argv[optind]))
		return 1;
	if (tr.n == 0)
		die("no labelled slices in '%s'", argv[optind]);
	if (optind + 1 < argc) {
		if (trainset_load_list(&va, argv[optind + 1]))
			return 1;
		if (va.n && (va.W != tr.W || va.H != tr.H || va.C != tr.C))
			die("validation slices are %dx%dx%d, training slices %dx%dx%d", va.W, va.H, va.C,
			    tr.W, tr.H, tr.C);
		if (!va.n)
			die("no labelled slices in '%s'", argv[optind + 1]);
	}
	size_t va_all = va.n;
	if (val_gt && trainset_keep_gt(&va) == 0)
		die("no ground-truth validation slice in '%s' (--val-gt)", argv[optind + 1]);
	char note[512] = "";
	if (val_gt)
		snprintf(note, sizeof note, "# val_loss, val_dsc: the %zu ground-truth slices of the %zu "
		         "validation slices (--val-gt)\n", va.n, va_all);
	if (o.ema > 0)
		snprintf(note + strlen(note), sizeof note - strlen(note), "# val_loss, val_dsc, best "
		         "and the model: the moving average of the weights (--ema %g)\n", o.ema);
	if (o.pos_weight != 1)
		snprintf(note + strlen(note), sizeof note - strlen(note), "# train_loss, val_loss: "
		         "foreground pixels weigh %g in the BCE (--pos-weight)\n", o.pos_weight);
	if (*note)
		o.log_note = note;
	if (d3 && (trainset_set_depth(&tr, va.Z > tr.Z ? va.Z : tr.Z) || trainset_set_depth(&va, tr.Z)))
		return 1;
	if (init) {
		if (cfg.in_channels != tr.C)
			die("model '%s' takes %d input channels, the data have %d", init, cfg.in_channels,
			    tr.C);
	} else {
		cfg.in_channels = tr.C;
		if (unet_config_check(&cfg))
			return 1;
	}
	int B = (size_t)o.batch < tr.n ? o.batch : (int)tr.n;
	struct unet u;
	if (unet_create_vol(&u, &cfg, B, d3 ? tr.Z : 1, tr.H, tr.W, 1, 0))
		return 1;
	if (params)
		memcpy(u.params, params, u.nparams * sizeof(float));
	else
		unet_params_init(u.params, &cfg, o.seed);
	free(params);

	struct outfile lf;
	if (logpath) {
		if (outfile_open(&lf, logpath))
			return 1;
		o.log = lf.f;
	}
	if (!o.quiet && d3)
		fprintf(stderr, "%s: 3-D: %zu training volumes of %zu read, %zu validation volumes; "
		        "%dx%dx%dx%d (depth padded), %zu parameters\n", progname, tr.n, tr.volumes,
		        va.n, tr.W, tr.H, tr.Z, tr.C, u.nparams);
	else if (!o.quiet)
		fprintf(stderr, "%s: %zu training slices from %zu volumes, %zu validation slices; "
		        "%dx%dx%d, %zu parameters\n", progname, tr.n, tr.volumes, va.n, tr.W, tr.H,
		        tr.C, u.nparams);
	int epochs = train_run(&u, &tr, &va, &o);
	if (epochs < 0) {
		if (logpath)
			outfile_abort(&lf);
		return 1;
	}
	if (logpath && outfile_commit(&lf))
		return 1;
	if (model_save(out, &cfg, u.params))
		return 1;
	unet_free(&u);
	trainset_free(&tr), trainset_free(&va);
	return close_stdout() ? 1 : 0;
}
