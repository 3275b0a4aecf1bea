/* slicepick.c: see slicepick.h. */
#include "slicepick.h"
#include "util.h"

#include <math.h>

int slice_pick(const struct slab *s, int c, double k, double *centre)
{
	size_t plane = (size_t)s->nx * s->ny, n = plane * s->nz, i;
	double sum = 0, sum2 = 0, mean, sd, level, wz, w = 0, zw = 0, m;
	int z, pick;

	if (c < 0 || c >= s->nc)
		return error("channel %d out of range 0..%d: '%s'", c, s->nc - 1, s->name);
	for (z = 0; z < s->nz; z++)
		for (i = 0; i < plane; i++) {
			double v = slab_get(s, slab_index(s, (int)(i % s->nx), (int)(i / s->nx), c, z));
			if (!isfinite(v))
				return error("sample not finite at slice %d: '%s'", z, s->name);
			sum += v, sum2 += v * v;
		}
	mean = sum / n;
	sd = sum2 / n - mean * mean;
	sd = sd > 0 ? sqrt(sd) : 0;
	level = mean + k * sd;
	for (z = 0; z < s->nz; z++) {
		wz = 0;
		for (i = 0; i < plane; i++) {
			double v = slab_get(s, slab_index(s, (int)(i % s->nx), (int)(i / s->nx), c, z));
			if (v > level)
				wz += v - level;
		}
		w += wz, zw += z * wz;
	}
	if (!(w > 0)) {
		if (centre)
			*centre = -1;
		return s->nz / 2;
	}
	m = zw / w;
	if (centre)
		*centre = m;
	pick = (int)floor(m + 0.5);
	return pick < 0 ? 0 : pick >= s->nz ? s->nz - 1 : pick;
}
