/* msd2slab: a dataset folder (Medical Segmentation Decathlon or nnU-Net v2:
 * dataset.json, imagesTr/, labelsTr/, imagesTs/), or one NIfTI volume,
 * -> image and label slabs.
 *
 * Images become f32, standardised per z-slice per channel (unless -Z).
 * Labels become u8 label maps: each label value becomes its class 0..C-1,
 * in the order dataset.json's "labels" lists them (dataset_labels), or for
 * -i -m the value 0 then the other values the file holds, sorted; C >= 3
 * is recorded with the CLASSES keys (lib/classes.h), C = 2 is the binary
 * 0/1 mask. --merge or -f makes the binary mask of today instead
 * (foreground = the -f label values, default every label > 0). With
 * --sparse the annotated planes keep their classes and everything else
 * becomes 255 (lib/annot.h). Optional central crop (-c) and resize (-r) act
 * in-plane and keep the voxel-to-world transform exact; every slab records
 * its source grid (lib/source.h). A run writes all its files or none, even
 * when killed: every output goes into a staging folder beside OUT_DIR,
 * which becomes OUT_DIR at the end (see finish_stage). */
#include "annot.h"
#include "classes.h"
#include "dataset.h"
#include "nifti.h"
#include "opt.h"
#include "outbatch.h"
#include "provenance.h"
#include "resample.h"
#include "slab.h"
#include "source.h"
#include "split.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
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
	int merge;                        /* --merge (or -f): the binary mask */
	const struct classes *cls;        /* the dataset's "labels", or NULL (-i: per file) */
	int sparse;                       /* --sparse */
	int outside;                      /* --outside */
	int nan;                          /* enum nifti_nan */
	const struct annot_table *annot;  /* with --sparse, or NULL */
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

/* The classes of a label file converted without dataset.json (-i -m): the
 * value 0, then the other values it holds, sorted (C = 2 when it holds at
 * most one other). 0 or -1. */
static int classes_found(const char *path, const struct slab *lab, struct classes *k)
{
	size_t i, n = slab_count(lab);
	const float *p = lab->data;
	unsigned char *seen = xcalloc(CLASS_VALUE_MAX + 1, 1);
	int c = 1, v, rc = -1;
	if (!seen)
		return -1;
	for (i = 0; i < n; i++) {
		float r = rintf(p[i]);
		if (fabsf(p[i] - r) > 1e-3f) {
			error("%s: label value is not a whole number: '%g'", path, p[i]);
			goto out;
		}
		if (r < 0 || r > CLASS_VALUE_MAX) {
			error("%s: a label value outside 0..%d (give --merge or -f): '%g'", path,
			      CLASS_VALUE_MAX, p[i]);
			goto out;
		}
		seen[(int)r] = 1;
	}
	classes_default(k, 2);
	for (v = 1; v <= CLASS_VALUE_MAX; v++) {
		if (!seen[v])
			continue;
		if (c == CLASSES_MAX) {
			error("%s: more than %d label values besides 0 (give --merge or -f): '%d'",
			      path, CLASSES_MAX - 1, v);
			goto out;
		}
		k->values[c++] = v;
	}
	k->n = c < 2 ? 2 : c;
	rc = 0;
out:
	free(seen);
	return rc;
}

/* Turn an f32 label slab into a u8 mask: with k, each value's class (a
 * value k does not list is an error); without, today's binary 0/1 (-f or
 * every label > 0). C >= 3 is recorded on the mask. */
static int make_mask(const struct opts *o, const char *path, const struct slab *lab,
                     const struct classes *k, struct slab *mask)
{
	size_t i, n = slab_count(lab);
	const float *p = lab->data;
	int16_t *map = NULL;
	uint8_t *q;
	if (slab_alloc_like(mask, lab, lab->nx, lab->ny, lab->nz, 1, SLAB_U8))
		return -1;
	if (k) {
		if (!(map = xmalloc((CLASS_VALUE_MAX + 1) * sizeof *map)))
			goto fail;
		for (i = 0; i <= CLASS_VALUE_MAX; i++)
			map[i] = -1;
		for (int c = 0; c < k->n; c++)
			map[k->values[c]] = (int16_t)c;
	}
	q = mask->data;
	for (i = 0; i < n; i++) {
		float v = p[i], r = rintf(v);
		int fg = 0, j;
		if (fabsf(v - r) > 1e-3f) {
			error("%s: label value is not a whole number: '%g'", path, v);
			goto fail;
		}
		if (k) {
			if (r < 0 || r > CLASS_VALUE_MAX || map[(int)r] < 0) {
				error("%s: label value not in dataset.json's \"labels\" (give --merge or -f): "
				      "'%g'", path, v);
				goto fail;
			}
			fg = map[(int)r];
		} else if (!o->fg)
			fg = r > 0;
		else
			for (j = 0; j < o->nfg && !fg; j++)
				fg = r >= o->fg[j].lo && r <= o->fg[j].hi;
		q[i] = (uint8_t)fg;
	}
	free(map);
	if (k && k->n >= 3 && classes_set(mask, k))
		goto fail;
	return 0;
fail:
	free(map);
	slab_free(mask);
	return -1;
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

/* The sparse rule on a source-grid mask, then crop and resize, then its
 * SLICES key; lab holds the raw label values. 0 or -1. */
static int sparse_mask(const struct opts *o, const struct ds_case *e, const struct slab *lab,
                       struct slab *mask)
{
	const struct annot_case *ac = o->annot ? annot_find(o->annot, e->name) : NULL;
	unsigned char *whole = xmalloc((size_t)mask->nz);
	int *prov = xmalloc((size_t)mask->nz * sizeof *prov);
	size_t dropped = 0;
	long kept;
	int rc = -1;
	struct slab t;
	if (!whole || !prov || (kept = annot_sparse(mask, lab, o->annot, ac, whole, &dropped)) < 0)
		goto out;
	if (kept == 0) {
		error("no annotated slice in training case '%s' (no painted voxel, not in the "
		      "annotations table): '%s'", e->name, e->label);
		goto out;
	}
	if (dropped)
		fprintf(stderr, "%s: %s: %zu painted voxels lie on no plane of %s: left unlabelled\n",
		        progname, e->name, dropped, o->annot->src);
	if (o->crop_w) {
		if (annot_crop(mask, o->crop_w, o->crop_h, whole, &t))
			goto out;
		slab_free(mask);
		*mask = t;
	}
	if (o->size_w) {
		if (slab_resize(mask, o->size_w, o->size_h, 1, &t))
			goto out;
		slab_free(mask);
		*mask = t;
	}
	if (annot_slices(mask, prov) == 0) {
		error("no annotated voxel left in training case '%s' after the crop or resize: '%s'",
		      e->name, e->label);
		goto out;
	}
	rc = prov_write(mask, prov);
out:
	free(whole);
	free(prov);
	return rc;
}

/* The label file of e -> the u8 mask slab to write. 0 or -1. */
static int convert_label(const struct opts *o, const struct ds_case *e, const struct slab *img,
                         struct slab *mask)
{
	struct slab lab = {0};
	struct classes found;
	const struct classes *k = o->merge ? NULL : o->cls;
	int rc = -1;
	if (nifti_load(e->label, &lab, NULL))
		return -1;
	if (lab.nx != img->nx || lab.ny != img->ny || lab.nz != img->nz) {
		error("dims differ: image '%s' is %dx%dx%d, label '%s' is %dx%dx%d", e->image[0],
		      img->nx, img->ny, img->nz, e->label, lab.nx, lab.ny, lab.nz);
		goto out;
	}
	if (lab.nc != 1) {
		error("%s: label has %d volumes (4th dimension), want 1", e->label, lab.nc);
		goto out;
	}
	if (!o->merge && !k) {
		if (classes_found(e->label, &lab, &found))
			goto out;
		k = &found;
	}
	if (make_mask(o, e->label, &lab, k, mask))
		goto out;
	snprintf(mask->name, sizeof mask->name, "%s", e->name);
	if (source_set(mask))
		goto out;
	rc = o->sparse ? sparse_mask(o, e, &lab, mask) : reshape(o, mask, 1);
out:
	slab_free(&lab);
	return rc;
}

/* One case into OUTDIR/IMGDIR/NAME.slab and, with a label, OUTDIR/labels/NAME.slab. */
static int convert_case(const struct opts *o, const struct ds_case *e, const char *outdir,
                        const char *imgdir, struct outbatch *b)
{
	struct slab img = {0}, mask = {0};
	size_t replaced;
	int rc = -1;
	if (ds_load_image(e, (enum nifti_nan)o->nan, &img, &replaced))
		return -1;
	if (replaced)
		fprintf(stderr, "%s: %s: %zu NaN or infinite voxels set to %s\n", progname, e->name,
		        replaced, o->nan == NII_NAN_ZERO ? "0" : "the volume's minimum");
	snprintf(img.name, sizeof img.name, "%s", e->name);
	if (source_set(&img) || (e->label && convert_label(o, e, &img, &mask)))
		goto out;
	if (reshape(o, &img, 0))
		goto out;
	if (!o->raw && slab_zscore(&img))
		goto out;
	if (write_slab(b, outdir, imgdir, &img))
		goto out;
	if (e->label && write_slab(b, outdir, "labels", &mask))
		goto out;
	rc = 0;
out:
	slab_free(&img);
	slab_free(&mask);
	return rc;
}

/* The split (split.h): the cases are in name order. */
static int write_split(struct outbatch *b, const char *outdir, const struct ds_case *es, int n,
                       uint64_t seed, const double p[3])
{
	enum split_set *set = xmalloc((size_t)n * sizeof *set);
	int i, rc = -1;
	char *path = ds_join(outdir, "split.tsv");
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

/* One sources.tsv row: case, set, absolute image path, absolute label path or -. */
static int source_row(FILE *f, const struct ds_case *c, const char *set)
{
	char *im = realpath(c->image[0], NULL), *lb = c->label ? realpath(c->label, NULL) : NULL;
	int rc = 0;
	if (!im || (c->label && !lb))
		rc = error("cannot resolve the path of '%s'", !im ? c->image[0] : c->label);
	else
		fprintf(f, "%s\t%s\t%s\t%s\n", c->name, set, im, lb ? lb : "-");
	free(im), free(lb);
	return rc;
}

/* OUTDIR/sources.tsv: where each converted case came from. */
static int write_sources(struct outbatch *b, const char *outdir, const struct dataset *d)
{
	char *path = ds_join(outdir, "sources.tsv");
	FILE *f = path ? outbatch_open(b, path) : NULL;
	int i, rc = -1;
	free(path);
	if (!f)
		return -1;
	fprintf(f, "case\tset\timage\tlabel\n");
	for (i = 0; i < d->ntr; i++)
		if (source_row(f, &d->tr[i], "tr"))
			return outbatch_drop(b, f), -1;
	for (i = 0; i < d->nts; i++)
		if (source_row(f, &d->ts[i], "ts"))
			return outbatch_drop(b, f), -1;
	rc = outbatch_close(b, f);
	return rc;
}

static int make_dirs(const char *outdir, int labels, int test)
{
	char *a = ds_join(outdir, "images"), *b = ds_join(outdir, "labels");
	char *c = ds_join(outdir, "imagesTs");
	int rc = !a || !b || !c || mkdir_p(outdir) || mkdir_p(a) || (labels && mkdir_p(b)) ||
	         (test && mkdir_p(c)) ? -1 : 0;
	free(a), free(b), free(c);
	return rc;
}

static int is_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && !S_ISDIR(st.st_mode);
}

/* The annotations table of a sparse dataset: FILE, else DIR/annotations.tsv
 * when it exists (t stays empty without either). Its cases must be training
 * cases. Without --sparse a DIR/annotations.tsv is pointed out. 0 or -1. */
static int load_annotations(const struct opts *o, const char *file, const char *dir,
                            const struct ds_case *cases, int n, struct annot_table *t)
{
	char *def = dir ? ds_join(dir, "annotations.tsv") : NULL, **names = NULL;
	int i, rc = -1;
	if (dir && !def)
		return -1;
	if (!o->sparse) {
		if (def && is_file(def))
			fprintf(stderr, "%s: note: '%s' is read only with --sparse\n", progname, def);
		free(def);
		return 0;
	}
	if (!file && def && is_file(def))
		file = def;
	if (!file) {
		free(def);
		return 0;
	}
	if (annot_read(file, t) || !(names = xmalloc((size_t)n * sizeof *names)))
		goto out;
	for (i = 0; i < n; i++)
		names[i] = cases[i].name;
	rc = annot_check_cases(t, names, n);
out:
	free(names);
	free(def);
	return rc;
}

/* ---- the commit: every output is written into a staging folder beside
 * OUT_DIR ("OUT_DIR.tmp.PID.XXXXXX", lib/util.h), which then becomes OUT_DIR
 * by one rename (or an atomic exchange with the old OUT_DIR): a kill at any
 * instant leaves the old OUT_DIR or the new one, and the staging folder,
 * removed on SIGINT/SIGTERM, or by the next run after a kill -9. */

/* The folder to write: OUT_DIR without trailing slashes, through symbolic
 * links. NULL with an error ('.', '..' and '/' cannot be renamed). */
static char *out_folder(const char *outdir)
{
	char *t, *p = strdup(outdir);
	size_t n = p ? strlen(p) : 0;
	const char *base;
	if (!p)
		return error("out of memory"), NULL;
	while (n > 1 && p[n - 1] == '/')
		p[--n] = '\0';
	base = strrchr(p, '/') ? strrchr(p, '/') + 1 : p;
	if (!*base || !strcmp(base, ".") || !strcmp(base, "..")) {
		free(p);
		return error("OUT_DIR must name a folder (it is written whole and renamed into "
		             "place), not '.', '..' or '/': '%s'", outdir), NULL;
	}
	t = out_target(p);
	free(p);
	return t;
}

/* What the dataset form writes into OUT_DIR: an existing OUT_DIR holding
 * only these (a previous conversion) is replaced; anything else is refused. */
static const char *const own_names[] = {"images", "labels", "imagesTs", "split.tsv",
                                        "sources.tsv", NULL};

static int replaceable(const char *out, const char *outdir)
{
	struct stat st;
	DIR *d;
	struct dirent *e;
	int rc = 0;
	if (stat(out, &st))
		return 0;
	if (!S_ISDIR(st.st_mode))
		return error("OUT_DIR is not a folder: '%s'", outdir);
	if (!(d = opendir(out)))
		return error("cannot read folder '%s': %s", outdir, strerror(errno));
	while (rc == 0 && (e = readdir(d))) {
		int i, ok = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
		for (i = 0; own_names[i] && !ok; i++)
			ok = !strcmp(e->d_name, own_names[i]);
		if (!ok)
			rc = error("OUT_DIR holds '%s', which msd2slab does not write (the conversion "
			           "replaces OUT_DIR whole: give a new or empty folder): '%s'", e->d_name,
			           outdir);
	}
	closedir(d);
	return rc;
}

/* -i into an existing OUT_DIR: the case's files from the staging folder into
 * OUT_DIR/labels/ then OUT_DIR/images/ (the image last: a case whose image
 * is there is whole), through symbolic links. 0 or -1. */
static int add_case(const char *stage, const char *out, const char *name, int label)
{
	static const char *const subs[] = {"labels", "images"};
	int i, rc = 0;
	for (i = label ? 0 : 1; i < 2 && rc == 0; i++) {
		size_t n = strlen(stage) + strlen(out) + strlen(name) + 32;
		char *from = xmalloc(n), *dir = xmalloc(n), *to = xmalloc(n), *target = NULL;
		struct stat st;
		if (!from || !dir || !to)
			rc = -1;
		else {
			snprintf(from, n, "%s/%s/%s.slab", stage, subs[i], name);
			snprintf(dir, n, "%s/%s", out, subs[i]);
			snprintf(to, n, "%s/%s.slab", dir, name);
			if (mkdir_p(dir) || !(target = out_target(to)))
				rc = -1;
			else if (stat(target, &st) == 0 && S_ISDIR(st.st_mode))
				rc = error("cannot write '%s': is a folder", target);
			else if (rename(from, target))
				rc = error("cannot rename into '%s': %s", target, strerror(errno));
		}
		free(from), free(dir), free(to), free(target);
	}
	return rc;
}

/* The staging folder's end: on success it becomes OUT_DIR (replace: the
 * dataset form; else -i, which adds its case to an existing OUT_DIR), on
 * failure it goes. rc in, 0 or -1 out. */
static int finish_stage(int rc, char *stage, int reg, const char *out, int replace,
                        const char *name, int label)
{
	if (rc == 0 && (replace || access(out, F_OK)))
		rc = dir_replace(stage, out);
	else if (rc == 0)
		rc = add_case(stage, out, name, label);
	if (stage && access(stage, F_OK) == 0)
		rm_tree(stage);
	tmp_unregister(reg);
	free(stage);
	return rc;
}

/* The dataset form: every training case (and test image) of DIR, split.tsv
 * and sources.tsv, all or none: OUT_DIR is replaced whole. 0 or -1. */
static int convert_dataset(struct opts *o, const char *dir, const char *annotations, int test,
                           const char *outdir, uint64_t seed, const double split[3])
{
	struct dataset d;
	struct annot_table at = {0};
	struct outbatch b;
	char *out = NULL, *stage = NULL;
	int i, reg = 0, rc = -1;
	outbatch_init(&b);
	struct classes labels;
	int merged = 0;
	if (dataset_read(dir, (test ? DS_TEST : 0) | (o->outside ? DS_OUTSIDE : 0), &d))
		return -1;
	if (!o->merge) {
		int got = dataset_labels(&d, &labels);
		if (got < 0) {
			dataset_free(&d);
			return -1;
		}
		o->cls = got ? &labels : NULL;
		merged = !got;  /* no "labels": the binary mask, as --merge */
		o->merge |= merged;
	}
	if (load_annotations(o, annotations, dir, d.tr, d.ntr, &at) ||
	    !(out = out_folder(outdir)) || replaceable(out, outdir) ||
	    !(stage = dir_stage(out, &reg)) || make_dirs(stage, 1, test))
		goto out;
	o->annot = at.n ? &at : NULL;
	for (i = 0; i < d.ntr; i++)
		if (convert_case(o, &d.tr[i], stage, "images", &b))
			goto out;
	for (i = 0; i < d.nts; i++)
		if (convert_case(o, &d.ts[i], stage, "imagesTs", &b))
			goto out;
	if (write_split(&b, stage, d.tr, d.ntr, seed, split) || write_sources(&b, stage, &d) ||
	    outbatch_commit(&b))
		goto out;
	rc = 0;
out:
	outbatch_abort(&b);
	if (out)
		rc = finish_stage(rc, stage, reg, out, 1, NULL, 0);
	free(out);
	o->annot = NULL;
	o->cls = NULL;
	if (merged)
		o->merge = 0;
	annot_free(&at);
	dataset_free(&d);
	return rc;
}

/* The -i form: one image (and label) named `name` or after the file. 0 or -1. */
static int convert_one(struct opts *o, const char *image, const char *label, const char *name,
                       const char *annotations, const char *outdir)
{
	char *path = (char *)image;
	struct ds_case one = {.nimage = 1, .image = &path, .label = (char *)label};
	struct annot_table at = {0};
	struct outbatch b;
	char *out = NULL, *stage = NULL;
	int reg = 0, rc = -1;
	outbatch_init(&b);
	one.name = name ? strdup(name) : ds_case_name(!strcmp(image, "-") ? "stdin" : image);
	if (!one.name || ds_check_name(one.name, name ? name : image) ||
	    load_annotations(o, annotations, NULL, &one, 1, &at))
		goto out;
	o->annot = at.n ? &at : NULL;
	if (!(out = out_folder(outdir)) || !(stage = dir_stage(out, &reg)) ||
	    make_dirs(stage, label != NULL, 0) || convert_case(o, &one, stage, "images", &b) ||
	    outbatch_commit(&b))
		goto out;
	rc = 0;
out:
	outbatch_abort(&b);
	if (out)
		rc = finish_stage(rc, stage, reg, out, 0, one.name, label != NULL);
	free(out);
	o->annot = NULL;
	annot_free(&at);
	free(one.name);
	return rc;
}

static const char *const nan_names[] = {"refuse", "zero", "min", NULL};

int main(int argc, char **argv)
{
	struct opts o = {0};
	const char *image = NULL, *label = NULL, *name = NULL, *annotations = NULL, *outdir;
	double split[3] = {70, 15, 15};
	int crop[2] = {0, 0}, size[2] = {0, 0}, test = 0, a, rc;
	long seed = 1;
	const struct opt opts[] = {
		OPT_INTS('c', "crop", crop, 2, 'x', "WxH", 1, 100000,
		         "central crop (zero padding where the volume is smaller)"),
		OPT_INTS('r', "resize", size, 2, 'x', "WxH", 1, 100000,
		         "resize (after -c): bilinear images, nearest-neighbour labels"),
		OPT_CALL('f', "foreground", &o, "LABELS", parse_fg,
		         "a binary mask: these label values are foreground (1),\n"
		         "the others background (0), e.g. 2 or 1,2 or 1-3"),
		OPT_FLAG(0, "merge", &o.merge,
		         "a binary mask: every label > 0 is foreground (1)"),
		OPT_FLAG('Z', "raw", &o.raw, "keep intensities (no per-slice z-score standardisation)"),
		OPT_FLAG(0, "sparse", &o.sparse,
		         "label files hold painted planes only: voxels off an\n"
		         "annotated plane become 255 (unlabelled); annotated: the\n"
		         "z-slices with a non-zero label, or as --annotations says"),
		OPT_STRING(0, "annotations", &annotations, "FILE",
		           "with --sparse: the annotated planes (formats/annotations.md;\n"
		           "default DATASET_DIR/annotations.tsv when present)"),
		OPT_FLAG(0, "outside", &o.outside,
		         "let dataset.json name files outside DATASET_DIR (absolute paths,\n"
		         "'..'); refused by default"),
		OPT_FLAG(0, "test-images", &test,
		         "also convert the test images (MSD \"test\" list, nnU-Net v2\n"
		         "imagesTs/) into OUT_DIR/imagesTs/<case>.slab"),
		OPT_ENUM(0, "nan", &o.nan, "refuse|zero|min", nan_names,
		         "NaN or infinite image voxels: refuse (default), or set\n"
		         "them to 0 or to the volume's finite minimum (counted)"),
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
		.synopsis = "msd2slab [-c WxH] [-r WxH] [-f LABELS | --merge] [-Z] [--sparse [--annotations FILE]]\n"
		            "                [--test-images] [--nan refuse|zero|min] [-s SEED] [-p TRAIN/VAL/TEST]\n"
		            "                DATASET_DIR OUT_DIR\n"
		            "       msd2slab -i IMAGE [-m LABEL [--sparse [--annotations FILE]]] [-n NAME]\n"
		            "                [-c WxH] [-r WxH] [-f LABELS | --merge] [-Z] [--nan ...] OUT_DIR",
		.operands = "[DATASET_DIR] OUT_DIR", .min_operands = 1, .max_operands = 2,
		.about = "Convert a dataset folder, MSD (dataset.json \"training\" list) or nnU-Net v2\n"
		         "(dataset.json \"channel_names\", \"file_ending\"), or one NIfTI volume (.nii or\n"
		         ".nii.gz, NIfTI-1 or -2) into OUT_DIR/images/<case>.slab (f32) and\n"
		         "OUT_DIR/labels/<case>.slab (u8 label map, with --sparse also 255); the dataset\n"
		         "form also writes OUT_DIR/split.tsv (\"case<TAB>set\", set train, val or test)\n"
		         "and OUT_DIR/sources.tsv (\"case<TAB>set<TAB>image<TAB>label\", set tr or ts,\n"
		         "absolute NIfTI paths, label - for none). Every slab records its source grid\n"
		         "(SOURCE_DIMS, SOURCE_TRANSFORM: the NIfTI's, before crop and resize).",
		.opts = opts,
		.notes = "All outputs appear together or not at all, even when killed: they are written\n"
		         "into OUT_DIR.tmp.PID.XXXXXX beside OUT_DIR, which becomes OUT_DIR at the end.\n"
		         "The dataset form replaces OUT_DIR whole; an existing OUT_DIR must be empty or\n"
		         "hold only images/, labels/, imagesTs/, split.tsv, sources.tsv. -i adds its\n"
		         "case to an existing OUT_DIR.\n"
		         "Label maps: each label value becomes its class 0..C-1 in the order\n"
		         "dataset.json's \"labels\" lists them (MSD {\"0\": \"background\", \"1\": \"A\"},\n"
		         "nnU-Net v2 {\"background\": 0, \"A\": 1}; the first must be value 0); a\n"
		         "value not listed is an error. Without \"labels\": the binary mask of --merge.\n"
		         "-i -m: the value 0, then the other values that file holds, sorted (so each\n"
		         "-i case has its own file's classes). Three or more classes are recorded in\n"
		         "the label slab (CLASSES, CLASS_NAMES: the names with white space made '_',\n"
		         "CLASS_VALUES; formats/slab.md); two classes give the binary 0/1 mask.\n"
		         "-f or --merge give a binary 0/1 mask whatever the labels."
	};

	if ((a = opt_parse(&tool, argc, argv)) < 0) {
		free(o.fg);
		return opt_status(a);
	}
	o.crop_w = crop[0], o.crop_h = crop[1], o.size_w = size[0], o.size_h = size[1];
	o.merge |= o.fg != NULL;
	if ((label || name) && !image)
		return free(o.fg), opt_fail("-m and -n need -i");
	if (annotations && !o.sparse)
		return free(o.fg), opt_fail("--annotations needs --sparse: '%s'", annotations);
	if (image && o.sparse && !label)
		return free(o.fg), opt_fail("--sparse needs a label file (-m) with -i: '%s'", image);
	if (image && test)
		return free(o.fg), opt_fail("--test-images needs a dataset, not -i: '%s'", image);
	if (argc - a != (image ? 1 : 2))
		return free(o.fg), opt_fail(image ? "-i IMAGE takes one operand, OUT_DIR: '%s'"
		                                  : "want DATASET_DIR OUT_DIR: '%s'", argv[a]);
	outdir = argv[argc - 1];

	if (image)
		rc = convert_one(&o, image, label, name, annotations, outdir) ? 1 : 0;
	else
		rc = convert_dataset(&o, argv[a], annotations, test, outdir, (uint64_t)seed, split) ? 1 : 0;
	free(o.fg);
	if (close_stdout())
		rc = 1;
	return rc;
}
