/* classes.c: the CLASSES, CLASS_NAMES and CLASS_VALUES keys (see classes.h). */
#include "classes.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

#define SEPS " \t"

void classes_default(struct classes *k, int n)
{
	memset(k, 0, sizeof *k);
	k->n = n;
	for (int c = 0; c < n; c++)
		k->values[c] = c;
}

int classes_named(const struct classes *k)
{
	for (int c = 0; c < k->n; c++)
		if (!k->names[c][0])
			return 0;
	return 1;
}

/* A whole number lo..hi spelled in decimal digits only (no sign, no
 * exponent), of length len at t; -1 when not. */
static long whole(const char *t, size_t len, long lo, long hi)
{
	long v = 0;
	if (!len || len > 9)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (t[i] < '0' || t[i] > '9')
			return -1;
		v = v * 10 + (t[i] - '0');
	}
	return v < lo || v > hi ? -1 : v;
}

/* Split value v into its tokens (start[i], len[i]); their count, or -1
 * when there are more than max. */
static int tokens(const char *v, int max, const char **start, size_t *len)
{
	int n = 0;
	for (;;) {
		v += strspn(v, SEPS);
		if (!*v)
			return n;
		if (n == max)
			return -1;
		start[n] = v;
		len[n] = strcspn(v, SEPS);
		v += len[n++];
	}
}

int classes_get(const struct slab *s, struct classes *k, const char *src)
{
	const char *nv = slab_get_extra(s, CLASSES_KEY);
	const char *names = slab_get_extra(s, CLASS_NAMES_KEY);
	const char *vals = slab_get_extra(s, CLASS_VALUES_KEY);
	const char *st[CLASSES_MAX];
	size_t len[CLASSES_MAX];
	long n;
	int c, d, m;
	if (!nv) {
		if (names || vals)
			return error("%s: %s without %s in '%s'", src,
			             names ? CLASS_NAMES_KEY : CLASS_VALUES_KEY, CLASSES_KEY, s->name);
		classes_default(k, 2);
		return 0;
	}
	m = tokens(nv, 1, st, len);
	n = m == 1 ? whole(st[0], len[0], 2, CLASSES_MAX) : -1;
	if (n < 0)
		return error("%s: bad %s (a whole number 2..%d): '%s' in '%s'", src, CLASSES_KEY,
		             CLASSES_MAX, nv, s->name);
	classes_default(k, (int)n);
	if (vals) {
		if (tokens(vals, k->n, st, len) != k->n)
			return error("%s: bad %s (want %d values): '%s' in '%s'", src,
			             CLASS_VALUES_KEY, k->n, vals, s->name);
		for (c = 0; c < k->n; c++) {
			long v = whole(st[c], len[c], 0, CLASS_VALUE_MAX);
			if (v < 0)
				return error("%s: bad %s value (a whole number 0..%d): '%.*s' in '%s'",
				             src, CLASS_VALUES_KEY, CLASS_VALUE_MAX, (int)len[c], st[c],
				             s->name);
			k->values[c] = (int)v;
			for (d = 0; d < c; d++)
				if (k->values[d] == v)
					return error("%s: %s repeats a value: '%ld' in '%s'", src,
					             CLASS_VALUES_KEY, v, s->name);
		}
	}
	if (names) {
		if (tokens(names, k->n, st, len) != k->n)
			return error("%s: bad %s (want %d names): '%s' in '%s'", src, CLASS_NAMES_KEY,
			             k->n, names, s->name);
		for (c = 0; c < k->n; c++) {
			int ok = len[c] <= CLASS_NAME_MAX;
			for (size_t i = 0; ok && i < len[c]; i++)
				ok = st[c][i] >= '!' && st[c][i] <= '~';
			if (!ok)
				return error("%s: bad %s name (1..%d printable bytes): '%.*s' in '%s'",
				             src, CLASS_NAMES_KEY, CLASS_NAME_MAX, (int)len[c], st[c],
				             s->name);
			memcpy(k->names[c], st[c], len[c]);
			k->names[c][len[c]] = 0;
			for (d = 0; d < c; d++)
				if (!strcmp(k->names[d], k->names[c]))
					return error("%s: %s repeats a name: '%s' in '%s'", src,
					             CLASS_NAMES_KEY, k->names[c], s->name);
		}
	}
	return 0;
}

int classes_set(struct slab *s, const struct classes *k)
{
	char num[16];
	char *buf = malloc((size_t)k->n * (CLASS_NAME_MAX + 1) + 1);
	size_t at;
	int c, identity = 1, rc = -1;
	if (!buf)
		return error("out of memory");
	snprintf(num, sizeof num, "%d", k->n);
	if (slab_set_extra(s, CLASSES_KEY, num))
		goto out;
	slab_del_extra(s, CLASS_NAMES_KEY);
	slab_del_extra(s, CLASS_VALUES_KEY);
	if (classes_named(k)) {
		for (at = 0, c = 0; c < k->n; c++)
			at += (size_t)sprintf(buf + at, "%s%s", c ? " " : "", k->names[c]);
		if (slab_set_extra(s, CLASS_NAMES_KEY, buf))
			goto out;
	}
	for (c = 0; c < k->n; c++)
		identity &= k->values[c] == c;
	if (!identity) {
		for (at = 0, c = 0; c < k->n; c++)
			at += (size_t)sprintf(buf + at, "%s%d", c ? " " : "", k->values[c]);
		if (slab_set_extra(s, CLASS_VALUES_KEY, buf))
			goto out;
	}
	rc = 0;
out:
	free(buf);
	return rc;
}

int classes_equal(const struct classes *a, const struct classes *b)
{
	if (a->n != b->n)
		return 0;
	for (int c = 0; c < a->n; c++)
		if (a->values[c] != b->values[c] || strcmp(a->names[c], b->names[c]))
			return 0;
	return 1;
}

int classes_check_labels(const struct slab *s, const struct classes *k, const char *src)
{
	const uint8_t *m = s->data;
	size_t n = slab_count(s);
	if (s->type != SLAB_U8 || s->nc != 1)
		return error("%s: not a label map (u8, one channel): %s with %d channels in '%s'",
		             src, slab_type_name(s->type), s->nc, s->name);
	for (size_t i = 0; i < n; i++)
		if (m[i] >= k->n && m[i] != SLAB_UNLABELLED)
			return error("%s: label %d at slice %zu outside 0..%d (or 255) in '%s'", src,
			             m[i], i / ((size_t)s->nx * s->ny), k->n - 1, s->name);
	return 0;
}

int classes_of_value(const struct classes *k, int v)
{
	for (int c = 0; c < k->n; c++)
		if (k->values[c] == v)
			return c;
	return -1;
}

int classes_argmax(const struct slab *p, uint8_t *out, const char *src)
{
	size_t plane = (size_t)p->nx * p->ny, n = slab_count(p);
	const float *d = p->data;
	if (p->type != SLAB_F32 || p->nc < 2 || p->nc > CLASSES_MAX)
		return error("%s: not a probability slab (f32, 2..%d channels): %s with %d channels "
		             "in '%s'", src, CLASSES_MAX, slab_type_name(p->type), p->nc, p->name);
	for (size_t i = 0; i < n; i++)
		if (d[i] != d[i]) {
			size_t zc = i / plane;
			return error("%s: probability is not a number at voxel %zu of z %zu in '%s'",
			             src, i % plane, zc / (size_t)p->nc, p->name);
		}
	classes_argmax_raw(d, plane, p->nz, p->nc, out);
	return 0;
}

void classes_argmax_raw(const float *p, size_t plane, int nz, int nc, uint8_t *out)
{
	for (int z = 0; z < nz; z++)
		for (size_t i = 0; i < plane; i++) {
			const float *v = p + (size_t)z * nc * plane + i;
			int best = 0;
			for (int c = 1; c < nc; c++)
				if (v[c * plane] > v[best * plane])
					best = c;
			out[(size_t)z * plane + i] = (uint8_t)best;
		}
}

int classes_to_values(const struct slab *s, const struct classes *k, struct slab *out)
{
	size_t n = slab_count(s);
	const uint8_t *m = s->data;
	int wide = 0;
	for (int c = 0; c < k->n; c++)
		wide |= k->values[c] > 255;
	if (slab_alloc_like(out, s, s->nx, s->ny, s->nz, 1, wide ? SLAB_I16 : SLAB_U8))
		return -1;
	for (size_t i = 0; i < n; i++) {
		int v = k->values[m[i] == SLAB_UNLABELLED || m[i] >= k->n ? 0 : m[i]];
		if (wide)
			((int16_t *)out->data)[i] = (int16_t)v;
		else
			((uint8_t *)out->data)[i] = (uint8_t)v;
	}
	return 0;
}

void classes_describe(const struct classes *k, char *buf, size_t n)
{
	size_t at = (size_t)snprintf(buf, n, "%d", k->n);
	int c, identity = 1;
	for (c = 0; c < k->n; c++)
		identity &= k->values[c] == c;
	if (classes_named(k))
		for (c = 0; c < k->n && at < n; c++)
			at += (size_t)snprintf(buf + at, n - at, "%s%s", c ? " " : " named ", k->names[c]);
	if (!identity)
		for (c = 0; c < k->n && at < n; c++)
			at += (size_t)snprintf(buf + at, n - at, "%s%d", c ? " " : " of values ",
			                       k->values[c]);
}

int classes_of_prob(const struct slab *s, struct classes *k, const char *src)
{
	struct classes own;
	if (!k)
		k = &own;
	if (s->type != SLAB_F32)
		return error("%s: not a probability slab (f32): type '%s' in '%s'", src,
		             slab_type_name(s->type), s->name);
	if (classes_get(s, k, src))
		return -1;
	if (s->nc != 1 && !slab_get_extra(s, CLASSES_KEY))
		return error("%s: a probability slab has one channel, or one per class with a "
		             "CLASSES key: '%d' in '%s'", src, s->nc, s->name);
	if (s->nc != (k->n == 2 && s->nc == 1 ? 1 : k->n))
		return error("%s: channels differ from CLASSES %d (want one per class): '%d' in '%s'",
		             src, k->n, s->nc, s->name);
	return 0;
}

int classes_mismatch(const char *src, const char *what, const char *other,
                     const struct classes *got, const struct classes *want, const char *name)
{
	char g[64], w[64];
	classes_describe(got, g, sizeof g), classes_describe(want, w, sizeof w);
	return error("%s: %s differ from %s (%s): '%s' in '%s'", src, what, other, w, g, name);
}
