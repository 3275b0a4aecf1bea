/* annot.c: the annotations table and the sparse-mask rule (see annot.h). */
#include "annot.h"
#include "provenance.h"
#include "resample.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

static const char axis_name[] = "xyz";

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

/* The entry of case `name`, added at the end when new. NULL when out of memory. */
static struct annot_case *case_entry(struct annot_table *t, const char *name, int line)
{
	struct annot_case *c = (struct annot_case *)annot_find(t, name), *grown;
	if (c)
		return c;
	grown = realloc(t->cases, (size_t)(t->n + 1) * sizeof *grown);
	if (!grown)
		return error("out of memory"), NULL;
	t->cases = grown;
	c = &t->cases[t->n];
	memset(c, 0, sizeof *c);
	if (!(c->name = strdup(name)))
		return error("out of memory"), NULL;
	c->line = line;
	t->n++;
	return c;
}

/* Add the indices of "I[,I...]" on `axis` to case c. 0 or -1. */
static int add_planes(struct annot_case *c, int axis, const char *list, const char *src,
                     int line)
{
	const char *p = list;
	for (;;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char num[32];
		long v = 0;
		size_t i;
		int k;
		struct annot_plane *grown;
		if (len == 0)
			return error("%s: line %d: bad index list: '%s'", src, line, list);
		for (i = 0; i < len && p[i] >= '0' && p[i] <= '9' && v <= 1000000; i++)
			v = 10 * v + (p[i] - '0');
		snprintf(num, sizeof num, "%.*s", (int)(len < 24 ? len : 24), p);
		if (i < len || v > 1000000)
			return error("%s: line %d: bad index (a whole number 0..1000000): '%s'", src, line,
			             num);
		for (k = 0; k < c->n; k++)
			if (c->plane[k].axis == axis && c->plane[k].index == v)
				return error("%s: line %d: %c index declared twice for case '%s': '%ld'",
				             src, line, axis_name[axis], c->name, v);
		grown = realloc(c->plane, (size_t)(c->n + 1) * sizeof *grown);
		if (!grown)
			return error("out of memory");
		c->plane = grown;
		c->plane[c->n++] = (struct annot_plane){axis, (int)v, line};
		if (!end)
			return 0;
		p = end + 1;
	}
}

/* The fields of line s (whole: a copy for messages) into t. 0 or -1. */
static int parse_fields(struct annot_table *t, char *s, const char *whole, int line)
{
	char *f[3], *tab;
	int n = 0, axis;
	struct annot_case *c;
	f[n++] = s;
	while ((tab = strchr(f[n - 1], '\t'))) {
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
	if (!(c = case_entry(t, f[0], line)))
		return -1;
	return add_planes(c, axis, f[2], t->src, line);
}

/* Parse one line (NUL-terminated, no newline) into t. 0 or -1. */
static int parse_line(struct annot_table *t, char *s, int line)
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
	rc = parse_fields(t, s, whole, line);
	free(whole);
	return rc;
}

int annot_parse(const char *text, size_t len, const char *src, struct annot_table *t)
{
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
		nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		rc = parse_line(t, p, ++line);
		if (!nl)
			break;
	}
	free(copy);
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
		for (z = 0; z < m->nz; z++)
			for (y = 0; y < m->ny; y++)
				for (x = 0; x < m->nx; x++)
					if ((p->axis == ANNOT_X && x == p->index) ||
					    (p->axis == ANNOT_Y && y == p->index) ||
					    (p->axis == ANNOT_Z && z == p->index))
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
