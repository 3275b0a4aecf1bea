/* source.c: the SOURCE_DIMS and SOURCE_TRANSFORM keys (see source.h). */
#include "source.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int source_set(struct slab *s)
{
	char dims[64], t[12 * 32 + 1], num[32];
	size_t at = 0;
	int i;
	snprintf(dims, sizeof dims, "%d %d %d", s->nx, s->ny, s->nz);
	for (i = 0; i < 12; i++) {
		slab_format_number(num, sizeof num, s->transform[i]);
		at += (size_t)snprintf(t + at, sizeof t - at, "%s%s", i ? " " : "", num);
	}
	if (slab_set_extra(s, SOURCE_DIMS_KEY, dims) ||
	    slab_set_extra(s, SOURCE_TRANSFORM_KEY, t))
		return -1;
	return 0;
}

/* n finite numbers separated by spaces or tabs, nothing else. 0 or -1. */
static int numbers(const char *v, double *out, int n)
{
	char *end;
	int i;
	for (i = 0; i < n; i++) {
		out[i] = strtod(v, &end);
		if (end == v || !isfinite(out[i]))
			return -1;
		v = end;
	}
	v += strspn(v, " \t");
	return *v ? -1 : 0;
}

int source_get(const struct slab *s, struct source_grid *g, const char *src)
{
	const char *d = slab_get_extra(s, SOURCE_DIMS_KEY);
	const char *t = slab_get_extra(s, SOURCE_TRANSFORM_KEY);
	double v[3];
	int i;
	if (!d && !t)
		return 0;
	if (!d || !t)
		return error("%s: %s without %s in '%s'", src, d ? SOURCE_DIMS_KEY : SOURCE_TRANSFORM_KEY,
		             d ? SOURCE_TRANSFORM_KEY : SOURCE_DIMS_KEY, s->name);
	if (numbers(d, v, 3))
		return error("%s: bad %s: '%s'", src, SOURCE_DIMS_KEY, d);
	for (i = 0; i < 3; i++) {
		if (v[i] != floor(v[i]) || v[i] < 1 || v[i] > 1000000)
			return error("%s: bad %s: '%s'", src, SOURCE_DIMS_KEY, d);
		g->dims[i] = (int)v[i];
	}
	if (numbers(t, g->transform, 12))
		return error("%s: bad %s: '%s'", src, SOURCE_TRANSFORM_KEY, t);
	return 1;
}
