/* msd2slab: a Medical Segmentation Decathlon dataset (dataset.json, imagesTr/,
 * labelsTr/), or one NIfTI volume, -> image and label slabs.
 *
 * Images become f32, standardised per z-slice per channel (unless -Z);
 * labels become u8 0/1 (foreground = the -f label values, default every
 * label > 0). Optional central crop (-c) and resize (-r) act in-plane and
 * keep the voxel-to-world transform exact. A run writes all its files or
 * none: every output goes to a temporary file first and all are renamed
 * into place only once every case has converted. */
#include "json.h"
#include "nifti.h"
#include "opt.h"
#include "outbatch.h"
#include "resample.h"
#include "slab.h"
#include "split.h"
#include "util.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct range { long lo, hi; };

struct opts {
	int crop_w, crop_h, size_w, size_h, raw;
	struct range *fg;  /* NULL: every label > 0 */
	int nfg;
};

struct entry {
	char *name, *image, *label;
};

/* "1,2" or "1-3,5" -> ranges. */
static int parse_labels(const char *s, struct opts *o)
{
	char *copy = strdup(s), *tok, *save = NULL;
	int n = 0;
	if (!copy)
		return error("out of memory");
	o->fg = calloc(strlen(s) + 1, sizeof *o->fg);
	if (!o->fg)
		return free(copy), error("out of memory");
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *dash = strchr(tok + 1, '-');
		long lo, hi;
		if (dash)
			*dash = '\0';
		if (parse_long(tok, -2147483647L, 2147483647L, "foreground label", &lo) ||
		    parse_long(dash ? dash + 1 : tok, -2147483647L, 2147483647L, "foreground label", &hi))
			return free(copy), -1;
		if (hi < lo)
			return free(copy), error("foreground labels: empty range: '%s'", s);
		o->fg[n].lo = lo, o->fg[n].hi = hi, n++;
	}
	free(copy);
	if (n == 0)
		return error("foreground labels: empty list: '%s'", s);
	o->nfg = n;
	return 0;
}

static int parse_fg(const char *v, void *o)
{
	free(((struct opts *)o)->fg);
	return parse_labels(v, o);
}

/* The case name of an image path: its file name without .nii.gz / .nii. */
static char *case_name(const char *path)
{
	const char *base = strrchr(path, '/');
	char *n;
	size_t len;
	base = base ? base + 1 : path;
	n = strdup(base);
	if (!n)
		return NULL;
	len = strlen(n);
	if (len > 7 && !strcmp(n + len - 7, ".nii.gz"))
		n[len - 7] = '\0';
	else if (len > 4 && !strcmp(n + len - 4, ".nii"))
		n[len - 4] = '\0';
	return n;
}

static int check_name(const char *name, const char *from)
{
	const char *p;
	if (!*name || strlen(name) > SLAB_NAME_MAX)
		return error("bad case name from '%s': '%s'", from, name);
	for (p = name; *p; p++)
		if (!isgraph((unsigned char)*p) || *p == '/')
			return error("bad case name from '%s' (spaces or odd characters): '%s'", from, name);
	return 0;
}

/* Turn an f32 label slab into a u8 0/1 mask. */
static int make_mask(const struct opts *o, const char *path, const struct slab *lab,
                     struct slab *mask)
{
	size_t i, n = slab_count(lab);
	const float *p = lab->data;
	uint8_t *q;
	if (slab_alloc_like(mask, lab, lab->nx, lab->ny, lab->nz, 1, SLAB_U8))
		return -1;
	q = mask->data;
	for (i = 0; i < n; i++) {
		float v = p[i], r = rintf(v);
		int fg = 0, k;
		if (fabsf(v - r) > 1e-3f) {
			slab_free(mask);
			return error("%s: label value is not a whole number: '%g'", path, v);
		}
		if (!o->fg)
			fg = r > 0;
		else
			for (k = 0; k < o->nfg && !fg; k++)
				fg = r >= o->fg[k].lo && r <= o->fg[k].hi;
		q[i] = (uint8_t)fg;
	}
	return 0;
}

/* Crop then resize in place (nearest for masks). */
static int reshape(const struct opts *o, struct slab *s, int nearest)
{
	struct slab t;
	if (o->crop_w) {
		if (slab_crop(s, o->crop_w, o->crop_h, &t))
			return -1;
		slab_free(s);
		*s = t;
	}
	if (o->size_w) {
		if (slab_resize(s, o->size_w, o->size_h, nearest, &t))
			return -1;
		slab_free(s);
		*s = t;
	}
	return 0;
}

static int write_slab(struct outbatch *b, const char *dir, const char *sub, const struct slab *s)
{
	size_t n = strlen(dir) + strlen(sub) + strlen(s->name) + 16;
	char *path = xmalloc(n);
	FILE *f;
	int rc = -1;
	if (!path)
		return -1;
	snprintf(path, n, "%s/%s/%s.slab", dir, sub, s->name);
	f = outbatch_open(b, path);
	if (f) {
		if (slab_write(f, s))
			outbatch_drop(b, f);
		else
			rc = outbatch_close(b, f);
	}
	free(path);
	return rc;
}

static int convert_case(const struct opts *o, const struct entry *e, const char *outdir,
                        struct outbatch *b)
{
	struct slab img = {0}, lab = {0}, mask = {0};
	int rc = -1;
	if (nifti_load(e->image, &img, NULL))
		return -1;
	snprintf(img.name, sizeof img.name, "%s", e->name);
	if (e->label) {
		if (nifti_load(e->label, &lab, NULL))
			goto out;
		if (lab.nx != img.nx || lab.ny != img.ny || lab.nz != img.nz) {
			error("dims differ: image '%s' is %dx%dx%d, label '%s' is %dx%dx%d", e->image,
			      img.nx, img.ny, img.nz, e->label, lab.nx, lab.ny, lab.nz);
			goto out;
		}
		if (lab.nc != 1) {
			error("%s: label has %d volumes (4th dimension), want 1", e->label, lab.nc);
			goto out;
		}
		if (make_mask(o, e->label, &lab, &mask))
			goto out;
		snprintf(mask.name, sizeof mask.name, "%s", e->name);
		if (reshape(o, &mask, 1))
			goto out;
	}
	if (reshape(o, &img, 0))
		goto out;
	if (!o->raw && slab_zscore(&img))
		goto out;
	if (write_slab(b, outdir, "images", &img))
		goto out;
	if (e->label && write_slab(b, outdir, "labels", &mask))
		goto out;
	rc = 0;
out:
	slab_free(&img);
	slab_free(&lab);
	slab_free(&mask);
	return rc;
}

/* DIR + "/" + rel, without a leading "./" on rel; rel kept if absolute. */
static char *join(const char *dir, const char *rel)
{
	size_t n;
	char *p;
	while (rel[0] == '.' && rel[1] == '/')
		rel += 2;
	n = strlen(dir) + strlen(rel) + 2;
	p = xmalloc(n);
	if (p) {
		if (rel[0] == '/')
			snprintf(p, n, "%s", rel);
		else
			snprintf(p, n, "%s/%s", dir, rel);
	}
	return p;
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->name, ((const struct entry *)b)->name);
}

static int is_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && !S_ISDIR(st.st_mode);
}

/* Read dataset.json's training list; check every file is there. */
static int read_dataset(const char *dir, struct entry **out, int *nout)
{
	char *jpath = join(dir, "dataset.json"), *text = NULL;
	size_t len, i;
	struct json *root = NULL;
	const struct json *tr;
	struct entry *es = NULL;
	int n = 0, rc = -1;
	if (!jpath)
		return -1;
	if (!is_file(jpath)) {
		error("no dataset.json in '%s'", dir);
		goto out;
	}
	if (!(text = read_whole(jpath, &len)) || !(root = json_parse(text, len, jpath)))
		goto out;
	tr = json_get(root, "training");
	if (!tr || tr->type != JSON_ARRAY) {
		error("%s: no \"training\" list", jpath);
		goto out;
	}
	if (tr->len == 0) {
		error("%s: the \"training\" list is empty", jpath);
		goto out;
	}
	es = xcalloc(tr->len, sizeof *es);
	if (!es)
		goto out;
	for (i = 0; i < tr->len; i++) {
		const struct json *im = json_get(&tr->items[i], "image");
		const struct json *lb = json_get(&tr->items[i], "label");
		if (!im || im->type != JSON_STRING || !lb || lb->type != JSON_STRING ||
		    strlen(im->str) != im->len || strlen(lb->str) != lb->len) {
			error("%s: training entry %zu: want \"image\" and \"label\" file names", jpath,
			      i + 1);
			goto out;
		}
		es[n].image = join(dir, im->str);
		es[n].label = join(dir, lb->str);
		es[n].name = case_name(im->str);
		n++;
		if (!es[n - 1].image || !es[n - 1].label || !es[n - 1].name) {
			error("out of memory");
			goto out;
		}
		if (check_name(es[n - 1].name, im->str))
			goto out;
		if (!is_file(es[n - 1].image)) {
			error("%s: training entry %zu: missing image file '%s'", jpath, i + 1,
			      es[n - 1].image);
			goto out;
		}
		if (!is_file(es[n - 1].label)) {
			error("%s: training entry %zu: missing label file '%s'", jpath, i + 1,
			      es[n - 1].label);
			goto out;
		}
	}
	qsort(es, n, sizeof *es, cmp_entry);
	for (i = 1; i < (size_t)n; i++)
		if (!strcmp(es[i].name, es[i - 1].name)) {
			error("%s: case name appears twice: '%s'", jpath, es[i].name);
			goto out;
		}
	rc = 0;
out:
	if (rc) {
		for (i = 0; i < (size_t)n; i++)
			free(es[i].name), free(es[i].image), free(es[i].label);
		free(es);
		es = NULL, n = 0;
	}
	*out = es;
	*nout = n;
	json_free(root);
	free(text);
	free(jpath);
	return rc;
}

/* The split (split.h): the cases are in name order. */
static int write_split(struct outbatch *b, const char *outdir, const struct entry *es, int n,
                       uint64_t seed, const double p[3])
{
	enum split_set *set = xmalloc((size_t)n * sizeof *set);
	int i, rc = -1;
	char *path = join(outdir, "split.tsv");
	FILE *f;
	if (!set || !path || split_assign(n, seed, p, set) || !(f = outbatch_open(b, path)))
		goto out;
	fprintf(f, "case\tset\n");
	for (i = 0; i < n; i++)
		fprintf(f, "%s\t%s\n", es[i].name, split_set_name[set[i]]);
	rc = outbatch_close(b, f);
out:
	free(set), free(path);
	return rc;
}

static int make_dirs(const char *outdir, int labels)
{
	char *a = join(outdir, "images"), *b = join(outdir, "labels");
	int rc = !a || !b || mkdir_p(outdir) || mkdir_p(a) || (labels && mkdir_p(b)) ? -1 : 0;
	free(a), free(b);
	return rc;
}

int main(int argc, char **argv)
{
	struct opts o = {0};
	const char *image = NULL, *label = NULL, *name = NULL, *outdir;
	double split[3] = {70, 15, 15};
	int crop[2] = {0, 0}, size[2] = {0, 0};
	long seed = 1;
	struct outbatch b;
	struct entry *es = NULL, one = {0};
	int n = 0, i, a, rc = 1;
	const struct opt opts[] = {
		OPT_INTS('c', "crop", crop, 2, 'x', "WxH", 1, 100000,
		         "central crop (zero padding where the volume is smaller)"),
		OPT_INTS('r', "resize", size, 2, 'x', "WxH", 1, 100000,
		         "resize (after -c): bilinear images, nearest-neighbour labels"),
		OPT_CALL('f', "foreground", &o, "LABELS", parse_fg,
		         "label values that are foreground, e.g. 2 or 1,2 or 1-3\n"
		         "(default: every label > 0)"),
		OPT_FLAG('Z', "raw", &o.raw, "keep intensities (no per-slice z-score standardisation)"),
		OPT_LONG('s', "seed", &seed, "SEED", 0, 2147483647L, "seed of the split (default 1)"),
		OPT_CALL('p', "split", split, "T/V/T", split_opt, "split proportions (default 70/15/15)"),
		OPT_STRING('i', "image", &image, "IMAGE", "convert this one image (\"-\" is stdin)"),
		OPT_STRING('m', "label", &label, "LABEL", "... with this label file"),
		OPT_STRING('n', "name", &name, "NAME",
		           "... named NAME (default: IMAGE's file name without .nii[.gz])"),
		OPT_END
	};
	const struct opt_tool tool = {
		.name = "msd2slab",
		.synopsis = "msd2slab [-c WxH] [-r WxH] [-f LABELS] [-Z] [-s SEED] [-p TRAIN/VAL/TEST] DATASET_DIR OUT_DIR\n"
		            "       msd2slab -i IMAGE [-m LABEL] [-n NAME] [-c WxH] [-r WxH] [-f LABELS] [-Z] OUT_DIR",
		.operands = "[DATASET_DIR] OUT_DIR", .min_operands = 1, .max_operands = 2,
		.about = "Convert an MSD dataset (dataset.json \"training\" list) or one NIfTI volume\n"
		         "(.nii or .nii.gz, NIfTI-1 or -2) into OUT_DIR/images/<case>.slab (f32) and\n"
		         "OUT_DIR/labels/<case>.slab (u8 0/1); the dataset form also writes\n"
		         "OUT_DIR/split.tsv (\"case<TAB>set\", set train, val or test).",
		.opts = opts,
		.notes = "All outputs appear together or not at all."
	};

	if ((a = opt_parse(&tool, argc, argv)) < 0) {
		free(o.fg);
		return opt_status(a);
	}
	o.crop_w = crop[0], o.crop_h = crop[1], o.size_w = size[0], o.size_h = size[1];
	if ((label || name) && !image)
		return opt_fail("-m and -n need -i");
	if (argc - a != (image ? 1 : 2))
		return opt_fail(image ? "-i IMAGE takes one operand, OUT_DIR: '%s'"
		                      : "want DATASET_DIR OUT_DIR: '%s'", argv[a]);
	outdir = argv[argc - 1];

	outbatch_init(&b);
	if (image) {
		one.image = (char *)image;
		one.label = (char *)label;
		one.name = name ? strdup(name) : case_name(!strcmp(image, "-") ? "stdin" : image);
		if (!one.name || check_name(one.name, name ? name : image) ||
		    make_dirs(outdir, label != NULL) || convert_case(&o, &one, outdir, &b) ||
		    outbatch_commit(&b))
			goto out;
	} else {
		if (read_dataset(argv[a], &es, &n) || make_dirs(outdir, 1))
			goto out;
		for (i = 0; i < n; i++)
			if (convert_case(&o, &es[i], outdir, &b))
				goto out;
		if (write_split(&b, outdir, es, n, (uint64_t)seed, split) || outbatch_commit(&b))
			goto out;
	}
	rc = 0;
out:
	outbatch_abort(&b);
	for (i = 0; i < n; i++)
		free(es[i].name), free(es[i].image), free(es[i].label);
	free(es);
	free(one.name);
	free(o.fg);
	if (close_stdout())
		rc = 1;
	return rc;
}
