/* resample.c: crop, resize and standardise slabs (see resample.h). */
#include "resample.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SIZE_MAX_XY 1000000

void transform_crop(double t[12], int x0, int y0)
{
	int r;
	for (r = 0; r < 3; r++)
		t[4 * r + 3] += t[4 * r] * x0 + t[4 * r + 1] * y0;
}

void transform_resize(double t[12], double fx, double fy)
{
	int r;
	/* new i -> old x = fx * i + (fx - 1) / 2 */
	for (r = 0; r < 3; r++) {
		t[4 * r + 3] += t[4 * r] * 0.5 * (fx - 1) + t[4 * r + 1] * 0.5 * (fy - 1);
		t[4 * r] *= fx;
		t[4 * r + 1] *= fy;
	}
}

static int check_size(const char *what, int w, int h)
{
	if (w < 1 || h < 1 || w > SIZE_MAX_XY || h > SIZE_MAX_XY)
		return error("%s: bad size: '%dx%d'", what, w, h);
	return 0;
}

void crop_origin(int nx, int ny, int w, int h, int *x0, int *y0)
{
	*x0 = (int)floor((nx - w) / 2.0);
	*y0 = (int)floor((ny - h) / 2.0);
}

int slab_crop(const struct slab *in, int w, int h, struct slab *out)
{
	int x0, y0, z, c, y, xa, xb;
	size_t es = slab_type_size(in->type);
	crop_origin(in->nx, in->ny, w, h, &x0, &y0);
	if (check_size("crop", w, h) ||
	    slab_alloc_like(out, in, w, h, in->nz, in->nc, in->type))
		return -1;
	transform_crop(out->transform, x0, y0);
	/* old x range that lands inside the new slab */
	xa = x0 < 0 ? -x0 : 0;
	xb = x0 + w > in->nx ? in->nx - x0 : w;
	for (z = 0; z < in->nz; z++)
		for (c = 0; c < in->nc; c++)
			for (y = 0; y < h; y++) {
				int oy = y + y0;
				if (oy < 0 || oy >= in->ny || xb <= xa)
					continue;
				memcpy((char *)out->data + slab_index(out, xa, y, c, z) * es,
				       (const char *)in->data + slab_index(in, xa + x0, oy, c, z) * es,
				       (size_t)(xb - xa) * es);
			}
	return 0;
}

/* Sampling positions along one axis: index lo, hi and weight of hi. */
static void axis_weights(int n_old, int n_new, int nearest, int *lo, int *hi, float *wt)
{
	double f = (double)n_old / n_new;
	int i;
	for (i = 0; i < n_new; i++) {
		double x = (i + 0.5) * f - 0.5;
		if (nearest) {
			int k = (int)floor((i + 0.5) * f);
			lo[i] = hi[i] = k < n_old ? k : n_old - 1;
			wt[i] = 0;
			continue;
		}
		if (x < 0)
			x = 0;
		if (x > n_old - 1)
			x = n_old - 1;
		lo[i] = (int)floor(x);
		hi[i] = lo[i] + 1 < n_old ? lo[i] + 1 : lo[i];
		wt[i] = (float)(x - lo[i]);
	}
}

int slab_resize(const struct slab *in, int w, int h, int nearest, struct slab *out)
{
	int *xl = NULL, *xh = NULL, *yl = NULL, *yh = NULL, z, c, x, y, rc = -1;
	float *wx = NULL, *wy = NULL;
	size_t es = slab_type_size(in->type);
	if (check_size("resize", w, h) ||
	    slab_alloc_like(out, in, w, h, in->nz, in->nc, in->type))
		return -1;
	xl = xmalloc(w * sizeof *xl), xh = xmalloc(w * sizeof *xh), wx = xmalloc(w * sizeof *wx);
	yl = xmalloc(h * sizeof *yl), yh = xmalloc(h * sizeof *yh), wy = xmalloc(h * sizeof *wy);
	if (!xl || !xh || !wx || !yl || !yh || !wy)
		goto out;
	axis_weights(in->nx, w, nearest, xl, xh, wx);
	axis_weights(in->ny, h, nearest, yl, yh, wy);
	transform_resize(out->transform, (double)in->nx / w, (double)in->ny / h);
	out->spacing[0] *= (double)in->nx / w;
	out->spacing[1] *= (double)in->ny / h;
	for (z = 0; z < in->nz; z++)
		for (c = 0; c < in->nc; c++) {
			size_t ib = slab_index(in, 0, 0, c, z), ob = slab_index(out, 0, 0, c, z);
			for (y = 0; y < h; y++)
				for (x = 0; x < w; x++) {
					size_t o = ob + (size_t)y * w + x;
					if (nearest) {
						memcpy((char *)out->data + o * es,
						       (const char *)in->data +
						       (ib + (size_t)yl[y] * in->nx + xl[x]) * es, es);
					} else if (in->type == SLAB_F32) {
						const float *p = (const float *)in->data + ib;
						float a = p[(size_t)yl[y] * in->nx + xl[x]];
						float b = p[(size_t)yl[y] * in->nx + xh[x]];
						float cc = p[(size_t)yh[y] * in->nx + xl[x]];
						float d = p[(size_t)yh[y] * in->nx + xh[x]];
						float top = a + (b - a) * wx[x], bot = cc + (d - cc) * wx[x];
						((float *)out->data)[o] = top + (bot - top) * wy[y];
					} else {
						double a = slab_get(in, ib + (size_t)yl[y] * in->nx + xl[x]);
						double b = slab_get(in, ib + (size_t)yl[y] * in->nx + xh[x]);
						double cc = slab_get(in, ib + (size_t)yh[y] * in->nx + xl[x]);
						double d = slab_get(in, ib + (size_t)yh[y] * in->nx + xh[x]);
						double top = a + (b - a) * wx[x], bot = cc + (d - cc) * wx[x];
						slab_set(out, o, top + (bot - top) * wy[y]);
					}
				}
		}
	rc = 0;
out:
	free(xl), free(xh), free(wx), free(yl), free(yh), free(wy);
	if (rc)
		slab_free(out);
	return rc;
}

int slab_zscore(struct slab *s)
{
	size_t nxy = (size_t)s->nx * s->ny, i;
	int z, c;
	if (s->type != SLAB_F32)
		return error("z-score: slab '%s' is %s, not f32", s->name, slab_type_name(s->type));
	for (z = 0; z < s->nz; z++)
		for (c = 0; c < s->nc; c++) {
			float *p = (float *)s->data + slab_index(s, 0, 0, c, z);
			double sum[4] = {0}, ss[4] = {0}, mean, sd;
			/* four partial sums: independent chains run in parallel */
			for (i = 0; i + 4 <= nxy; i += 4)
				sum[0] += p[i], sum[1] += p[i + 1], sum[2] += p[i + 2], sum[3] += p[i + 3];
			for (; i < nxy; i++)
				sum[0] += p[i];
			mean = (sum[0] + sum[1] + sum[2] + sum[3]) / nxy;
			/* two passes: exact for large offsets, unlike a sum of squares */
			for (i = 0; i + 4 <= nxy; i += 4) {
				double d0 = p[i] - mean, d1 = p[i + 1] - mean, d2 = p[i + 2] - mean,
				       d3 = p[i + 3] - mean;
				ss[0] += d0 * d0, ss[1] += d1 * d1, ss[2] += d2 * d2, ss[3] += d3 * d3;
			}
			for (; i < nxy; i++)
				ss[0] += (p[i] - mean) * (p[i] - mean);
			sd = sqrt((ss[0] + ss[1] + ss[2] + ss[3]) / nxy);
			if (!(sd > 1e-12 * fabs(mean)) || sd == 0 || !isfinite(sd)) {
				memset(p, 0, nxy * sizeof *p);
				continue;
			}
			{
				float m = (float)mean, inv = (float)(1.0 / sd);
				for (i = 0; i < nxy; i++)
					p[i] = (p[i] - m) * inv;
			}
		}
	return 0;
}
