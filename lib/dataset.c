/* dataset.c: MSD and nnU-Net v2 dataset folders (see dataset.h). */
#include "dataset.h"
#include "json.h"
#include "util.h"

#include <ctype.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

char *ds_case_name(const char *path)
{
	const char *base = strrchr(path, '/');
	char *n;
	size_t len;
	base = base ? base + 1 : path;
	n = strdup(base);
	if (!n)
		return error("out of memory"), NULL;
	/* a file named just ".nii.gz" gives an empty name (refused), no hidden case */
	len = strlen(n);
	if (len >= 7 && !strcmp(n + len - 7, ".nii.gz"))
		n[len - 7] = '\0';
	else if (len >= 4 && !strcmp(n + len - 4, ".nii"))
		n[len - 4] = '\0';
	return n;
}

int ds_name_ok(const char *name)
{
	const char *p;
	if (!*name || strlen(name) > SLAB_NAME_MAX || *name == '.' || *name == '-')
		return 0;
	for (p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("._+-", *p))
			return 0;
	return 1;
}

int ds_check_name(const char *name, const char *from)
{
	if (ds_name_ok(name))
		return 0;
	return error("bad case name from '%s' (%s): '%s'", from, DS_NAME_RULE, name);
}

char *ds_join(const char *dir, const char *rel)
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

void ds_case_free(struct ds_case *c)
{
	int i;
	for (i = 0; i < c->nimage; i++)
		free(c->image[i]);
	free(c->image);
	free(c->name);
	free(c->label);
	memset(c, 0, sizeof *c);
}

static void free_cases(struct ds_case *c, int n)
{
	int i;
	for (i = 0; i < n; i++)
		ds_case_free(&c[i]);
	free(c);
}

void dataset_free(struct dataset *d)
{
	free_cases(d->tr, d->ntr);
	free_cases(d->ts, d->nts);
	free(d->json);
	memset(d, 0, sizeof *d);
}

static int is_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && !S_ISDIR(st.st_mode);
}

static int cmp_case(const void *a, const void *b)
{
	return strcmp(((const struct ds_case *)a)->name, ((const struct ds_case *)b)->name);
}

/* Sort cases by name; a name twice is an error. 0 or -1. */
static int sort_unique(const char *json, struct ds_case *c, int n, const char *what)
{
	int i;
	qsort(c, (size_t)n, sizeof *c, cmp_case);
	for (i = 1; i < n; i++)
		if (!strcmp(c[i].name, c[i - 1].name))
			return error("%s: %s: '%s'", json, what, c[i].name);
	return 0;
}

/* 1 when a path from dataset.json stays inside the dataset folder: relative,
 * and no ".." part. */
static int inside(const char *rel)
{
	const char *p = rel;
	if (rel[0] == '/')
		return 0;
	while (*p) {
		size_t n = strcspn(p, "/");
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return 0;
		p += n;
		p += *p == '/';
	}
	return 1;
}

/* 0 when the files of an entry lie inside the dataset folder or d allows
 * outside ones, else -1 with an error. */
static int check_inside(const struct dataset *d, const char *json, const char *im,
                        const char *lb)
{
	if (d->outside || (inside(im) && (!lb || inside(lb))))
		return 0;
	return error("%s names a file outside the dataset folder (msd2slab --outside "
	             "allows it): '%s'", json, inside(im) ? lb : im);
}

/* c gets one image path (dir joined) and its name; label when lb. 0 or -1. */
static int one_image(struct ds_case *c, const char *dir, const char *im, const char *lb)
{
	c->image = xcalloc(1, sizeof *c->image);
	if (!c->image)
		return -1;
	c->nimage = 1;
	c->image[0] = ds_join(dir, im);
	c->name = ds_case_name(im);
	if (lb)
		c->label = ds_join(dir, lb);
	if (!c->image[0] || !c->name || (lb && !c->label))
		return error("out of memory");
	return ds_check_name(c->name, im);
}

/* A JSON string without NUL bytes, or NULL. */
static const char *jstr(const struct json *v)
{
	return v && v->type == JSON_STRING && strlen(v->str) == v->len ? v->str : NULL;
}

static int msd_training(const char *dir, const char *json, const struct json *tr,
                        struct dataset *d)
{
	size_t i;
	if (tr->type != JSON_ARRAY)
		return error("%s: no \"training\" list", json);
	if (tr->len == 0)
		return error("%s: the \"training\" list is empty", json);
	if (!(d->tr = xcalloc(tr->len, sizeof *d->tr)))
		return -1;
	for (i = 0; i < tr->len; i++) {
		const char *im = jstr(json_get(&tr->items[i], "image"));
		const char *lb = jstr(json_get(&tr->items[i], "label"));
		struct ds_case *c = &d->tr[d->ntr];
		if (!im || !lb)
			return error("%s: training entry %zu: want \"image\" and \"label\" file names", json,
			             i + 1);
		if (check_inside(d, json, im, lb))
			return -1;
		d->ntr++;
		if (one_image(c, dir, im, lb))
			return -1;
		if (!is_file(c->image[0]))
			return error("%s: training entry %zu: missing image file '%s'", json, i + 1,
			             c->image[0]);
		if (!is_file(c->label))
			return error("%s: training entry %zu: missing label file '%s'", json, i + 1,
			             c->label);
	}
	return sort_unique(json, d->tr, d->ntr, "case name appears twice");
}

static int msd_test(const char *dir, const char *json, const struct json *ts, struct dataset *d)
{
	size_t i;
	if (!ts || ts->type != JSON_ARRAY || ts->len == 0)
		return error("%s: no test images (want a non-empty \"test\" list)", json);
	if (!(d->ts = xcalloc(ts->len, sizeof *d->ts)))
		return -1;
	for (i = 0; i < ts->len; i++) {
		const char *im = jstr(&ts->items[i]);
		struct ds_case *c = &d->ts[d->nts];
		if (!im)
			im = jstr(json_get(&ts->items[i], "image"));
		if (!im)
			return error("%s: test entry %zu: want an image file name", json, i + 1);
		if (check_inside(d, json, im, NULL))
			return -1;
		d->nts++;
		if (one_image(c, dir, im, NULL))
			return -1;
		if (!is_file(c->image[0]))
			return error("%s: test entry %zu: missing image file '%s'", json, i + 1,
			             c->image[0]);
	}
	return sort_unique(json, d->ts, d->nts, "test case name appears twice");
}

/* The names of the files in dir/sub ending in `suffix` (then `tail` before
 * it, when not NULL), with both cut off, sorted. -1 with an error. */
static int list_cases(const char *dir, const char *sub, const char *tail, const char *suffix,
                      char ***out, int *nout)
{
	char *path = ds_join(dir, sub), **names = NULL, **grown;
	size_t ls = strlen(suffix), lt = tail ? strlen(tail) : 0;
	int n = 0, rc = -1;
	DIR *dp;
	struct dirent *e;
	if (!path)
		return -1;
	if (!(dp = opendir(path))) {
		error("cannot open folder '%s'", path);
		free(path);
		return -1;
	}
	while ((e = readdir(dp))) {
		size_t len = strlen(e->d_name);
		if (e->d_name[0] == '.' || len <= ls + lt || strcmp(e->d_name + len - ls, suffix) ||
		    (tail && strncmp(e->d_name + len - ls - lt, tail, lt)))
			continue;
		if (!(grown = realloc(names, (size_t)(n + 1) * sizeof *names)) ||
		    !(grown[n] = strndup(e->d_name, len - ls - lt))) {
			names = grown ? grown : names;
			error("out of memory");
			goto out;
		}
		names = grown;
		n++;
	}
	rc = 0;
out:
	closedir(dp);
	free(path);
	if (rc) {
		while (n > 0)
			free(names[--n]);
		free(names);
		names = NULL;
	}
	*out = names;
	*nout = n;
	return rc;
}

/* nnU-Net v2 case: its channel images in `sub`, its label when lsub. 0 or -1. */
static int v2_case(const char *dir, const char *json, const char *name, int nch,
                   const char *sub, const char *lsub, const char *fe, struct ds_case *c)
{
	size_t n = strlen(dir) + strlen(sub) + strlen(name) + strlen(fe) + 16;
	int k;
	if (!(c->name = strdup(name)) || !(c->image = xcalloc((size_t)nch, sizeof *c->image)))
		return error("out of memory");
	if (ds_check_name(name, json))
		return -1;
	c->nimage = nch;
	for (k = 0; k < nch; k++) {
		if (!(c->image[k] = xmalloc(n)))
			return -1;
		snprintf(c->image[k], n, "%s/%s/%s_%04d%s", dir, sub, name, k, fe);
		if (!is_file(c->image[k]))
			return error("%s: case '%s': missing image file '%s'", json, name, c->image[k]);
	}
	if (lsub) {
		if (!(c->label = xmalloc(n)))
			return -1;
		snprintf(c->label, n, "%s/%s/%s%s", dir, lsub, name, fe);
	}
	return 0;
}

/* The nnU-Net v2 cases of folder `sub` (images; labels in lsub, or none):
 * the files sub/CASE_0000{fe} when lsub is NULL, else lsub/CASE{fe}.
 * `want` > 0: how many there must be (numTraining). 0 or -1. */
static int v2_cases(const char *dir, const char *json, int nch, const char *sub,
                    const char *lsub, const char *fe, int want, struct ds_case **out, int *nout)
{
	char **names = NULL;
	int n = 0, i, rc = -1;
	if (list_cases(dir, lsub ? lsub : sub, lsub ? NULL : "_0000", fe, &names, &n))
		return -1;
	if (n == 0) {
		error("%s: no files '%s/*%s%s'", json, lsub ? lsub : sub, lsub ? "" : "_0000", fe);
		goto out;
	}
	if (want > 0 && n != want) {
		error("%s: numTraining says %d but %s holds %d cases", json, want, lsub, n);
		goto out;
	}
	if (!(*out = xcalloc((size_t)n, sizeof **out)))
		goto out;
	for (i = 0; i < n; i++)
		if ((*nout)++, v2_case(dir, json, names[i], nch, sub, lsub, fe, &(*out)[i]))
			goto out;
	rc = sort_unique(json, *out, *nout, lsub ? "case name appears twice"
	                                         : "test case name appears twice");
out:
	while (n > 0)
		free(names[--n]);
	free(names);
	return rc;
}

static int nnunet2(const char *dir, const char *json, const struct json *root, int test,
                   struct dataset *d)
{
	const struct json *ch = json_get(root, "channel_names"), *nt = json_get(root, "numTraining");
	const char *fe = jstr(json_get(root, "file_ending"));
	if (!ch || ch->type != JSON_OBJECT || ch->len == 0)
		return error("%s: nnU-Net v2 form: want a non-empty \"channel_names\" object", json);
	if (!fe || (strcmp(fe, ".nii.gz") && strcmp(fe, ".nii")))
		return error("%s: file_ending: only NIfTI is read (\".nii.gz\" or \".nii\"): '%s'", json,
		             fe ? fe : "(not a string)");
	if (nt && (nt->type != JSON_NUMBER || nt->num < 1 || nt->num > 1e8 || nt->num != (int)nt->num))
		return error("%s: numTraining is not a count of cases", json);
	d->form = DATASET_NNUNET2;
	if (v2_cases(dir, json, (int)ch->len, "imagesTr", "labelsTr", fe, nt ? (int)nt->num : 0,
	             &d->tr, &d->ntr))
		return -1;
	if (test && v2_cases(dir, json, (int)ch->len, "imagesTs", NULL, fe, 0, &d->ts, &d->nts))
		return -1;
	return 0;
}

int dataset_read(const char *dir, int flags, struct dataset *d)
{
	int test = flags & DS_TEST;
	char *text = NULL;
	size_t len;
	struct json *root = NULL;
	const struct json *tr;
	int rc = -1;
	memset(d, 0, sizeof *d);
	d->outside = !!(flags & DS_OUTSIDE);
	if (!(d->json = ds_join(dir, "dataset.json")))
		return -1;
	if (!is_file(d->json)) {
		error("no dataset.json in '%s'", dir);
		goto out;
	}
	if (!(text = read_whole(d->json, &len)) || !(root = json_parse(text, len, d->json)))
		goto out;
	tr = json_get(root, "training");
	if (tr || !json_get(root, "file_ending")) {
		if (!tr) {
			error("%s: no \"training\" list (MSD) nor \"file_ending\" (nnU-Net v2)", d->json);
			goto out;
		}
		if (msd_training(dir, d->json, tr, d) ||
		    (test && msd_test(dir, d->json, json_get(root, "test"), d)))
			goto out;
	} else if (nnunet2(dir, d->json, root, test, d)) {
		goto out;
	}
	rc = 0;
out:
	if (rc) {
		char *keep = d->json;
		d->json = NULL;
		dataset_free(d);
		free(keep);
	}
	json_free(root);
	free(text);
	return rc;
}

/* One "labels" entry: value v (a JSON string of digits, MSD's key, or a
 * number, nnU-Net's value) and name nm into class c of k. 0 or -1. */
static int label_entry(const char *json, const struct json *v, const char *nm, int c,
                       struct classes *k)
{
	double x = -1;
	size_t i, len = strlen(nm);
	char *end;
	if (v->type == JSON_NUMBER)
		x = v->num;
	else if (v->type == JSON_STRING && v->str[0] >= '0' && v->str[0] <= '9' && v->len < 12) {
		x = strtod(v->str, &end);
		if (*end || strspn(v->str, "0123456789") != v->len)
			x = -1;
	}
	if (v->type == JSON_ARRAY)
		return error("%s: \"labels\": a region of several values (give --merge or -f): '%s'",
		             json, nm);
	if (!(x >= 0 && x <= CLASS_VALUE_MAX && x == (int)x))
		return error("%s: \"labels\": a label value is not a whole number 0..%d: '%s'", json,
		             CLASS_VALUE_MAX, v->type == JSON_STRING ? v->str : nm);
	if (c == 0 && x != 0)
		return error("%s: \"labels\": the first entry must be the background, value 0: '%g'",
		             json, x);
	if (!len || len > CLASS_NAME_MAX)
		return error("%s: \"labels\": a name must be 1..%d bytes: '%s'", json, CLASS_NAME_MAX,
		             nm);
	k->values[c] = (int)x;
	for (i = 0; i < len; i++)
		k->names[c][i] = nm[i] >= '!' && nm[i] <= '~' ? nm[i] : '_';
	k->names[c][len] = 0;
	for (int d = 0; d < c; d++) {
		if (k->values[d] == k->values[c])
			return error("%s: \"labels\" lists a value twice: '%d'", json, k->values[c]);
		if (!strcmp(k->names[d], k->names[c]))
			return error("%s: \"labels\" lists a name twice: '%s'", json, k->names[c]);
	}
	return 0;
}

int dataset_labels(const struct dataset *d, struct classes *k)
{
	char *text = NULL;
	size_t len, i;
	struct json *root = NULL;
	const struct json *lab;
	int rc = -1;
	if (!(text = read_whole(d->json, &len)) || !(root = json_parse(text, len, d->json)))
		goto out;
	if (!(lab = json_get(root, "labels"))) {
		rc = 0;
		goto out;
	}
	if (lab->type != JSON_OBJECT || lab->len < 2 || lab->len > CLASSES_MAX) {
		error("%s: \"labels\" must be an object of 2..%d entries", d->json, CLASSES_MAX);
		goto out;
	}
	classes_default(k, (int)lab->len);
	for (i = 0; i < lab->len; i++) {
		const struct json *v = &lab->items[i];
		int nn = d->form == DATASET_NNUNET2;
		struct json key = {.type = JSON_STRING, .str = lab->keys[i],
		                   .len = strlen(lab->keys[i])};
		if (!nn && v->type != JSON_STRING) {
			error("%s: \"labels\": a name must be a string: '%s'", d->json, lab->keys[i]);
			goto out;
		}
		if (label_entry(d->json, nn ? v : &key, nn ? lab->keys[i] : v->str, (int)i, k))
			goto out;
	}
	rc = 1;
out:
	json_free(root);
	free(text);
	return rc;
}

/* Copy the one-channel slab `one` into channel k of `all` (same dims). */
static void put_channel(struct slab *all, int k, const struct slab *one)
{
	size_t per = (size_t)one->nx * one->ny;
	int z;
	for (z = 0; z < one->nz; z++)
		memcpy((float *)all->data + slab_index(all, 0, 0, k, z),
		       (const float *)one->data + (size_t)z * per, per * sizeof(float));
}

int ds_load_image(const struct ds_case *c, enum nifti_nan nan, struct slab *s,
                  size_t *replaced)
{
	struct slab one, all = {0};
	size_t n;
	int k;
	*replaced = 0;
	if (nifti_load_nan(c->image[0], s, NULL, nan, replaced))
		return -1;
	if (c->nimage == 1)
		return 0;
	if (s->nc != 1) {
		error("%s: a channel file holds %d volumes (4th dimension), want 1", c->image[0], s->nc);
		goto fail;
	}
	if (slab_alloc_like(&all, s, s->nx, s->ny, s->nz, c->nimage, SLAB_F32))
		goto fail;
	put_channel(&all, 0, s);
	for (k = 1; k < c->nimage; k++) {
		if (nifti_load_nan(c->image[k], &one, NULL, nan, &n))
			goto fail;
		if (one.nx != s->nx || one.ny != s->ny || one.nz != s->nz || one.nc != 1) {
			error("dims differ: channel file '%s' is %dx%dx%dx%d, '%s' is %dx%dx%d",
			      c->image[k], one.nx, one.ny, one.nz, one.nc, c->image[0], s->nx, s->ny,
			      s->nz);
			slab_free(&one);
			goto fail;
		}
		put_channel(&all, k, &one);
		*replaced += n;
		slab_free(&one);
	}
	slab_free(s);
	*s = all;
	return 0;
fail:
	slab_free(&all);
	slab_free(s);
	return -1;
}
