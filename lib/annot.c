/* annot.c: the annotations table and the sparse-mask rule (see annot.h). */
#include "annot.h"
#include "provenance.h"
#include "resample.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

static const char axis_name[] = "xyz";

/* The first c in the string p, or NULL: strchr by hand, so a checking
 * build's strchr (AddressSanitizer's strict_string_checks measures the whole
 * rest of the string at each call) does not make a long table quadratic. */
static char *next_char(const char *p, char c)
{
	for (; *p; p++)
		if (*p == c)
			return (char *)p;
	return NULL;
}

void annot_free(struct annot_table *t)
{
	int i;
	for (i = 0; i < t->n; i++) {
		free(t->cases[i].name);
		free(t->cases[i].plane);
	}
	free(t->cases);
	free(t->src);
	memset(t, 0, sizeof *t);
}

const struct annot_case *annot_find(const struct annot_table *t, const char *name)
{
	int i;
	for (i = 0; i < t->n; i++)
		if (!strcmp(t->cases[i].name, name))
			return &t->cases[i];
	return NULL;
}

/* Room for one more element in an array of n (capacity doubled at each power
 * of two, so n appends cost O(n)). 0, or -1 with an error. */
static int room(void **a, int n, size_t size)
{
	void *grown;
	if (n && (n & (n - 1)))
		return 0;
	if (n > (1 << 29) || !(grown = realloc(*a, (size_t)(n ? 2 * n : 1) * size)))
		return error("out of memory");
	*a = grown;
	return 0;
}

/* The cases' names by hash while parsing: slot -> case index + 1 (0: empty),
 * open addressing, at most half full. */
struct names {
	int *slot;
	size_t cap;
};

static size_t name_hash(const char *s)
{
	size_t h = 1469598103934665603u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211u;
	return h;
}

/* The entry of case `name`, added at the end when new. NULL when out of memory. */
static struct annot_case *case_entry(struct annot_table *t, struct names *h, const char *name,
                                     int line)
{
	struct annot_case *c;
	size_t i;
	if (2 * (size_t)(t->n + 1) > h->cap) { /* grow and rehash */
		size_t cap = h->cap ? 2 * h->cap : 64;
		int *slot = calloc(cap, sizeof *slot), k;
		if (!slot)
			return error("out of memory"), NULL;
		for (k = 0; k < t->n; k++) {
			for (i = name_hash(t->cases[k].name) & (cap - 1); slot[i]; i = (i + 1) & (cap - 1))
				;
			slot[i] = k + 1;
		}
		free(h->slot);
		h->slot = slot, h->cap = cap;
	}
	for (i = name_hash(name) & (h->cap - 1); h->slot[i]; i = (i + 1) & (h->cap - 1))
		if (!strcmp(t->cases[h->slot[i] - 1].name, name))
			return &t->cases[h->slot[i] - 1];
	if (room((void **)&t->cases, t->n, sizeof *t->cases))
		return NULL;
	c = &t->cases[t->n];
	memset(c, 0, sizeof *c);
	if (!(c->name = strdup(name)))
		return error("out of memory"), NULL;
	c->line = line;
	h->slot[i] = ++t->n;
	return c;
}

/* Add the indices of "I[,I...]" on `axis` to case c. 0 or -1. */
static int add_planes(struct annot_case *c, int axis, const char *list, const char *src,
                     int line)
{
	const char *p = list;
	for (;;) {
		const char *end = next_char(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char num[32];
		long v = 0;
		size_t i;
		if (len == 0)
			return error("%s: line %d: bad index list: '%s'", src, line, list);
		for (i = 0; i < len && p[i] >= '0' && p[i] <= '9' && v <= 1000000; i++)
			v = 10 * v + (p[i] - '0');
		if (i < len || v > 1000000) {
			snprintf(num, sizeof num, "%.*s", (int)(len < 24 ? len : 24), p);
			return error("%s: line %d: bad index (a whole number 0..1000000): '%s'", src, line,
			             num);
		}
		if (room((void **)&c->plane, c->n, sizeof *c->plane))
			return -1;
		c->plane[c->n++] = (struct annot_plane){axis, (int)v, line};
		if (!end)
			return 0;
		p = end + 1;
	}
}

/* The fields of line s (whole: a copy for messages) into t. 0 or -1. */
static int parse_fields(struct annot_table *t, struct names *h, char *s, const char *whole,
                        int line)
{
	char *f[3], *tab;
	int n = 0, axis;
	struct annot_case *c;
	f[n++] = s;
	while ((tab = next_char(f[n - 1], '\t'))) {
		*tab = '\0';
		if (n == 3)
			return error("%s: line %d: want 3 tab-separated columns "
			             "(case, axis, index list), got more: '%s'", t->src, line, whole);
		f[n++] = tab + 1;
	}
	if (n != 3)
		return error("%s: line %d: want 3 tab-separated columns (case, axis, index list): '%s'",
		             t->src, line, whole);
	if (!strcmp(f[1], "axis"))
		return 0; /* a header line */
	if (!*f[0])
		return error("%s: line %d: empty case name: '%s'", t->src, line, whole);
	if (strlen(f[1]) != 1 || !strchr(axis_name, f[1][0]))
		return error("%s: line %d: bad axis (want x, y or z): '%s'", t->src, line, f[1]);
	axis = (int)(strchr(axis_name, f[1][0]) - axis_name);
	if (!(c = case_entry(t, h, f[0], line)))
		return -1;
	return add_planes(c, axis, f[2], t->src, line);
}

/* Parse one line (NUL-terminated, no newline) into t. 0 or -1. */
static int parse_line(struct annot_table *t, struct names *h, char *s, int line)
{
	char *whole;
	int rc;
	size_t len = strlen(s);
	if (len && s[len - 1] == '\r')
		s[--len] = '\0';
	if (len == 0 || s[0] == '#')
		return 0;
	if (!(whole = strdup(s)))
		return error("out of memory");
	rc = parse_fields(t, h, s, whole, line);
	free(whole);
	return rc;
}

static int plane_order(const void *a, const void *b)
{
	const struct annot_plane *p = a, *q = b;
	if (p->axis != q->axis)
		return p->axis < q->axis ? -1 : 1;
	if (p->index != q->index)
		return p->index < q->index ? -1 : 1;
	return (p->line > q->line) - (p->line < q->line);
}

/* An index declared twice for a case and axis: the error names the earliest
 * line that repeats one (sorted copies, so a case of a million planes costs
 * n log n, not n^2). 0 or -1. */
static int check_twice(const struct annot_table *t)
{
	const struct annot_case *bad = NULL;
	struct annot_plane first = {0}, *s;
	int i, k;
	for (i = 0; i < t->n; i++) {
		const struct annot_case *c = &t->cases[i];
		if (c->n < 2)
			continue;
		if (!(s = xmalloc((size_t)c->n * sizeof *s)))
			return -1;
		memcpy(s, c->plane, (size_t)c->n * sizeof *s);
		qsort(s, (size_t)c->n, sizeof *s, plane_order);
		for (k = 1; k < c->n; k++)
			if (s[k].axis == s[k - 1].axis && s[k].index == s[k - 1].index &&
			    (!bad || s[k].line < first.line))
				bad = c, first = s[k];
		free(s);
	}
	if (bad)
		return error("%s: line %d: %c index declared twice for case '%s': '%d'", t->src,
		             first.line, axis_name[first.axis], bad->name, first.index);
	return 0;
}

int annot_parse(const char *text, size_t len, const char *src, struct annot_table *t)
{
	struct names h = {0};
	char *copy = xmalloc(len + 1), *p, *nl;
	int line = 0, rc = 0;
	memset(t, 0, sizeof *t);
	if (!copy || !(t->src = strdup(src))) {
		free(copy);
		return error("out of memory");
	}
	memcpy(copy, text, len);
	copy[len] = '\0';
	if (strlen(copy) != len)
		rc = error("%s: holds a NUL byte (not a text file)", src);
	for (p = copy; !rc && *p; p = nl + 1) {
		nl = next_char(p, '\n');
		if (nl)
			*nl = '\0';
		rc = parse_line(t, &h, p, ++line);
		if (!nl)
			break;
	}
	free(copy);
	free(h.slot);
	if (!rc)
		rc = check_twice(t);
	if (rc)
		annot_free(t);
	return rc;
}

int annot_read(const char *path, struct annot_table *t)
{
	size_t len;
	char *text = read_whole(path, &len);
	int rc;
	memset(t, 0, sizeof *t);
	if (!text)
		return -1;
	rc = annot_parse(text, len, path, t);
	free(text);
	return rc;
}

int annot_check_cases(const struct annot_table *t, char *const *names, int n)
{
	int i, k;
	for (i = 0; i < t->n; i++) {
		for (k = 0; k < n && strcmp(names[k], t->cases[i].name); k++)
			;
		if (k == n)
			return error("%s: line %d: unknown case (no training case of that name): '%s'",
			             t->src, t->cases[i].line, t->cases[i].name);
	}
	return 0;
}

/* keep[v] = 1 on c's planes (whole[z] for z-planes); -1 on an index out of range. */
static int mark_planes(const struct slab *m, const struct annot_table *t,
                       const struct annot_case *c, unsigned char *keep, unsigned char *whole)
{
	int dims[3] = {m->nx, m->ny, m->nz}, k, x, y, z;
	for (k = 0; k < c->n; k++) {
		const struct annot_plane *p = &c->plane[k];
		if (p->index >= dims[p->axis])
			return error("%s: line %d: %c index out of range 0..%d for case '%s': '%d'",
			             t ? t->src : "annotations", p->line, axis_name[p->axis],
			             dims[p->axis] - 1, c->name, p->index);
		if (p->axis == ANNOT_Z)
			whole[p->index] = 1;
		/* the plane's voxels only: planes x plane size, at most 3 x the volume */
		for (z = p->axis == ANNOT_Z ? p->index : 0; z < (p->axis == ANNOT_Z ? p->index + 1 : m->nz); z++)
			for (y = p->axis == ANNOT_Y ? p->index : 0; y < (p->axis == ANNOT_Y ? p->index + 1 : m->ny); y++)
				for (x = p->axis == ANNOT_X ? p->index : 0;
				     x < (p->axis == ANNOT_X ? p->index + 1 : m->nx); x++)
					keep[slab_index(m, x, y, 0, z)] = 1;
	}
	return 0;
}

long annot_sparse(struct slab *mask, const struct slab *label, const struct annot_table *t,
                  const struct annot_case *c, unsigned char *whole, size_t *dropped)
{
	size_t i, n = slab_count(mask), per = slab_slice_count(mask), lost = 0;
	unsigned char *keep;
	uint8_t *q = mask->data;
	long kept = 0;
	int z;
	if (label->nx != mask->nx || label->ny != mask->ny || label->nz != mask->nz ||
	    label->nc != 1 || mask->nc != 1 || mask->type != SLAB_U8)
		return error("sparse labels: label and mask differ in dims: '%s'", mask->name);
	if (!(keep = xcalloc(n, 1)))
		return -1;
	memset(whole, 0, (size_t)mask->nz);
	if (c) {
		if (mark_planes(mask, t, c, keep, whole))
			return free(keep), -1;
	} else {
		for (z = 0; z < mask->nz; z++) {
			for (i = 0; i < per && slab_get(label, (size_t)z * per + i) == 0; i++)
				;
			if (i < per) {
				whole[z] = 1;
				memset(keep + (size_t)z * per, 1, per);
			}
		}
	}
	for (i = 0; i < n; i++) {
		if (keep[i]) {
			kept++;
			continue;
		}
		if (slab_get(label, i) != 0)
			lost++;
		q[i] = SLAB_UNLABELLED;
	}
	free(keep);
	if (dropped)
		*dropped = lost;
	return kept;
}

int annot_crop(const struct slab *in, int w, int h, const unsigned char *whole,
               struct slab *out)
{
	int x0, y0, x, y, z;
	uint8_t *q;
	if (in->type != SLAB_U8 || in->nc != 1)
		return error("sparse crop: want a u8 mask: '%s'", in->name);
	if (slab_crop(in, w, h, out))
		return -1;
	crop_origin(in->nx, in->ny, w, h, &x0, &y0);
	q = out->data;
	for (z = 0; z < out->nz; z++) {
		if (whole[z])
			continue;
		for (y = 0; y < h; y++)
			for (x = 0; x < w; x++)
				if (x + x0 < 0 || x + x0 >= in->nx || y + y0 < 0 || y + y0 >= in->ny)
					q[slab_index(out, x, y, 0, z)] = SLAB_UNLABELLED;
	}
	return 0;
}

int annot_slices(const struct slab *mask, int *prov)
{
	size_t per = slab_slice_count(mask), i;
	const uint8_t *p = mask->data;
	int z, ng = 0;
	for (z = 0; z < mask->nz; z++) {
		for (i = 0; i < per && p[(size_t)z * per + i] == SLAB_UNLABELLED; i++)
			;
		prov[z] = i < per ? PROV_GT : PROV_NONE;
		ng += i < per;
	}
	return ng;
}
