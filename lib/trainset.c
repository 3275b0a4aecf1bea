/* trainset.c: the training set of labelled slices or whole volumes
 * (trainset.h). */
#include "trainset.h"

#include "classes.h"
#include "provenance.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

size_t trainset_item_size(const struct trainset *t)
{
	return (size_t)t->H * t->W * (t->zmult && t->Z ? (size_t)t->Z : 1);
}

/* Room for `need` items of depth Z (1 for slices); the items held keep
 * their old layout. */
static int grow(struct trainset *t, size_t need, int Z)
{
	size_t cap = t->cap ? t->cap : 16;
	while (cap < need)
		cap *= 2;
	size_t m = (size_t)t->H * t->W * Z, s = m * t->C;
	float *img = realloc(t->img, cap * s * sizeof *img);
	if (img)
		t->img = img;
	uint8_t *mask = realloc(t->mask, cap * m);
	if (mask)
		t->mask = mask;
	float *nsi = realloc(t->nsi, cap * sizeof *nsi);
	if (nsi)
		t->nsi = nsi;
	uint8_t *gt = realloc(t->gt, cap);
	if (gt)
		t->gt = gt;
	if (!img || !mask || !nsi || !gt) {
		if (t->zmult)
			return error("out of memory for %zu training volumes of depth %d", cap, Z);
		return error("out of memory for %zu training slices", cap);
	}
	t->cap = cap;
	return 0;
}

int trainset_set_depth(struct trainset *t, int Z)
{
	if (Z < t->Z || (t->zmult && Z % t->zmult))
		return error("cannot pad volumes of depth %d to %d", t->Z, Z);
	if (t->n == 0 || Z == t->Z) {
		t->Z = Z;
		return 0;
	}
	if (grow(t, t->cap, Z))
		return -1;
	size_t hw = (size_t)t->H * t->W, so = hw * t->C * t->Z, sn = hw * t->C * Z;
	size_t mo = hw * t->Z, mn = hw * Z;
	/* from the last item down, so nothing is overwritten before it moves */
	for (size_t i = t->n; i-- > 0;) {
		memmove(t->img + i * sn, t->img + i * so, so * sizeof *t->img);
		memset(t->img + i * sn + so, 0, (sn - so) * sizeof *t->img);
		memmove(t->mask + i * mn, t->mask + i * mo, mo);
		memset(t->mask + i * mn + mo, 255, mn - mo);
	}
	t->Z = Z;
	return 0;
}

/* Check an (image, mask) pair against itself and the items held; the first
 * pair sets the slice size and channels. 0 or -1. */
static int check_pair(struct trainset *t, const struct slab *img, const struct slab *mask,
                      const char *src)
{
	if (mask->type != SLAB_U8 || mask->nc != 1)
		return error("%s: mask must be u8 with one channel, not %s with %d", src,
		             slab_type_name(mask->type), mask->nc);
	if (mask->nx != img->nx || mask->ny != img->ny || mask->nz != img->nz)
		return error("%s: mask dims %dx%dx%d differ from image dims %dx%dx%d", src, mask->nx,
		             mask->ny, mask->nz, img->nx, img->ny, img->nz);
	if (t->C == 0)
		t->W = img->nx, t->H = img->ny, t->C = img->nc;
	if (img->nx != t->W || img->ny != t->H)
		return error("%s: slice size %dx%d differs from the first volume's %dx%d", src,
		             img->nx, img->ny, t->W, t->H);
	if (img->nc != t->C)
		return error("%s: %d channels, the first volume has %d", src, img->nc, t->C);
	struct classes k;
	if (classes_get(mask, &k, src))
		return -1;
	if (t->classes && k.n != t->classes)
		return error("%s: the mask has %d classes, the first mask %d: '%d'", src, k.n,
		             t->classes, k.n);
	const uint8_t *mk = mask->data;
	size_t n = (size_t)img->nx * img->ny * img->nz;
	for (size_t i = 0; i < n; i++)
		if (mk[i] >= k.n && mk[i] != 255) {
			if (k.n == 2)
				return error("%s: mask value %d at sample %zu (expected 0, 1 or 255)", src,
				             mk[i], i);
			return error("%s: mask value %d at sample %zu (expected 0..%d or 255, CLASSES %d)",
			             src, mk[i], i, k.n - 1, k.n);
		}
	t->classes = k.n;
	return 0;
}

/* Copy n samples of an image from sample `from` on into dst as floats. */
static void copy_image(float *dst, const struct slab *img, size_t from, size_t n)
{
	if (img->type == SLAB_F32)
		memcpy(dst, (const float *)img->data + from, n * sizeof *dst);
	else
		for (size_t i = 0; i < n; i++)
			dst[i] = (float)slab_get(img, from + i);
}

/* The labelled slices of a pair, each ground truth when prov says so. */
static int add_slices(struct trainset *t, const struct slab *img, const struct slab *mask,
                      const int *prov)
{
	size_t m = (size_t)t->W * t->H, s = m * t->C;
	const uint8_t *mk = mask->data;
	for (int z = 0; z < img->nz; z++) {
		const uint8_t *ms = mk + z * m;
		size_t lab = 0;
		for (size_t i = 0; i < m; i++)
			lab += ms[i] != 255;
		if (!lab)
			continue;
		if (t->n + 1 > t->cap && grow(t, t->n + 1, 1))
			return -1;
		/* one z-slice of the image with all its channels is contiguous */
		copy_image(t->img + t->n * s, img, z * s, s);
		memcpy(t->mask + t->n * m, ms, m);
		t->nsi[t->n] = img->nz > 1 ? (float)z / (img->nz - 1) : 0.5f;
		t->gt[t->n] = prov[z] == PROV_GT;
		t->n++;
	}
	return 0;
}

/* A pair as one volume, ground truth when any of its slices is. */
static int add_volume(struct trainset *t, const struct slab *img, const struct slab *mask,
                      const int *prov)
{
	size_t hw = (size_t)t->W * t->H, nv = hw * img->nz, lab = 0;
	const uint8_t *mk = mask->data;
	for (size_t i = 0; i < nv; i++)
		lab += mk[i] != 255;
	if (!lab)
		return 0;
	int Z = (img->nz + t->zmult - 1) / t->zmult * t->zmult;
	if (Z > t->Z && trainset_set_depth(t, Z))
		return -1;
	Z = t->Z;
	if (t->n + 1 > t->cap && grow(t, t->n + 1, Z))
		return -1;
	size_t s = hw * t->C * Z, m = hw * Z, k = t->n, ns = hw * t->C * img->nz;
	float *di = t->img + k * s;
	copy_image(di, img, 0, ns);
	memset(di + ns, 0, (s - ns) * sizeof *di);
	memcpy(t->mask + k * m, mk, nv);
	memset(t->mask + k * m + nv, 255, m - nv);
	t->nsi[k] = 0.5f;
	t->gt[k] = (uint8_t)prov_any_gt(prov, img->nz);
	t->n++;
	return 0;
}

int trainset_add(struct trainset *t, const struct slab *img, const struct slab *mask,
                 const char *src)
{
	if (check_pair(t, img, mask, src))
		return -1;
	/* without a SLICES key, every labelled slice is ground truth */
	int *prov = xmalloc((size_t)img->nz * sizeof *prov), rc = -1;
	if (prov && prov_read(mask, prov, src) == 0)
		rc = t->zmult ? add_volume(t, img, mask, prov) : add_slices(t, img, mask, prov);
	if (rc == 0)
		t->volumes++;
	free(prov);
	return rc;
}

/* Split a line into two white-space separated words (in place). */
static int two_words(char *line, char **a, char **b)
{
	char *save, *x = strtok_r(line, " \t\r", &save), *y = x ? strtok_r(NULL, " \t\r", &save) : NULL;
	if (!x || !y || strtok_r(NULL, " \t\r", &save))
		return -1;
	*a = x, *b = y;
	return 0;
}

static int load_pair(struct trainset *t, const char *ipath, const char *mpath)
{
	struct slab_reader ri, rm;
	struct slab si, sm;
	int rc = -1, a, b;
	char src[1024];
	if (slab_reader_open(&ri, ipath))
		return -1;
	if (slab_reader_open(&rm, mpath)) {
		slab_reader_close(&ri);
		return -1;
	}
	for (;;) {
		a = slab_read(&ri, &si);
		if (a < 0)
			break;
		b = slab_read(&rm, &sm);
		if (b < 0) {
			if (a)
				slab_free(&si);
			break;
		}
		if (!a || !b) {
			if (a || b)
				error("'%s' and '%s' hold different numbers of slabs", ipath, mpath);
			else
				rc = 0;
			if (a)
				slab_free(&si);
			if (b)
				slab_free(&sm);
			break;
		}
		snprintf(src, sizeof src, "'%s' + '%s'%s%s", ipath, mpath, si.name[0] ? " case " : "",
		         si.name);
		int bad = si.name[0] && sm.name[0] && strcmp(si.name, sm.name);
		if (bad)
			error("%s: image case '%s' paired with mask case '%s'", src, si.name, sm.name);
		if (bad || trainset_add(t, &si, &sm, src)) {
			slab_free(&si), slab_free(&sm);
			break;
		}
		slab_free(&si), slab_free(&sm);
	}
	slab_reader_close(&ri), slab_reader_close(&rm);
	return rc;
}

int trainset_load_list(struct trainset *t, const char *list)
{
	size_t len;
	char *buf = read_whole(list, &len), *line;
	int lineno = 0, rc = 0;
	if (!buf)
		return -1;
	if (strlen(buf) != len) {
		free(buf);
		return error("list file holds a NUL byte: '%s'", list);
	}
	/* line by line, so that empty lines count */
	for (line = buf; line && *line; ) {
		char *nl = strchr(line, '\n'), *a, *b, *s = line;
		if (nl)
			*nl = '\0';
		lineno++;
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s && *s != '#' && *s != '\r') {
			if (two_words(s, &a, &b)) {
				rc = error("%s:%d: expected 'IMAGE.slab MASK.slab'", list, lineno);
				break;
			}
			if ((rc = load_pair(t, a, b)))
				break;
		}
		line = nl ? nl + 1 : NULL;
	}
	free(buf);
	if (!rc && t->volumes == 0)
		rc = error("no image/mask pairs in list '%s'", list);
	return rc;
}

void trainset_free(struct trainset *t)
{
	free(t->img), free(t->mask), free(t->nsi), free(t->gt);
	memset(t, 0, sizeof *t);
}

size_t trainset_keep_gt(struct trainset *t)
{
	size_t m = trainset_item_size(t), s = m * t->C, k = 0;
	for (size_t i = 0; i < t->n; i++) {
		if (!t->gt[i])
			continue;
		if (k != i) {
			memmove(t->img + k * s, t->img + i * s, s * sizeof *t->img);
			memmove(t->mask + k * m, t->mask + i * m, m);
			t->nsi[k] = t->nsi[i];
			t->gt[k] = t->gt[i];
		}
		k++;
	}
	t->n = k;
	return k;
}
