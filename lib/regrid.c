/* regrid.c: resampling onto another voxel grid (see regrid.h). */
#include "regrid.h"
#include "util.h"

#include <math.h>
#include <string.h>

#define SNAP 1e-6

int affine_invert(const double t[12], double inv[12])
{
	double a = t[0], b = t[1], c = t[2], d = t[4], e = t[5], f = t[6], g = t[8], h = t[9],
	       k = t[10], det, scale = 0;
	int i;
	for (i = 0; i < 12; i++) {
		if (!isfinite(t[i]))
			return error("transform is not finite: '%g'", t[i]);
		if (i % 4 != 3 && fabs(t[i]) > scale)
			scale = fabs(t[i]);
	}
	det = a * (e * k - f * h) - b * (d * k - f * g) + c * (d * h - e * g);
	/* singular relative to the matrix's size */
	if (!(fabs(det) > 1e-12 * scale * scale * scale))
		return error("transform is singular (determinant %g)", det);
	inv[0] = (e * k - f * h) / det;
	inv[1] = (c * h - b * k) / det;
	inv[2] = (b * f - c * e) / det;
	inv[4] = (f * g - d * k) / det;
	inv[5] = (a * k - c * g) / det;
	inv[6] = (c * d - a * f) / det;
	inv[8] = (d * h - e * g) / det;
	inv[9] = (b * g - a * h) / det;
	inv[10] = (a * e - b * d) / det;
	for (i = 0; i < 3; i++)
		inv[4 * i + 3] = -(inv[4 * i] * t[3] + inv[4 * i + 1] * t[7] + inv[4 * i + 2] * t[11]);
	return 0;
}

void affine_mul(const double a[12], const double b[12], double out[12])
{
	double r[12];
	int i, j;
	for (i = 0; i < 3; i++)
		for (j = 0; j < 4; j++)
			r[4 * i + j] = a[4 * i] * b[j] + a[4 * i + 1] * b[4 + j] + a[4 * i + 2] * b[8 + j] +
			               (j == 3 ? a[4 * i + 3] : 0.0);
	memcpy(out, r, sizeof r);
}

void affine_apply(const double t[12], double x, double y, double z, double out[3])
{
	int i;
	for (i = 0; i < 3; i++)
		out[i] = t[4 * i] * x + t[4 * i + 1] * y + t[4 * i + 2] * z + t[4 * i + 3];
}

static double snap(double v)
{
	double r = floor(v + 0.5);
	return fabs(v - r) < SNAP ? r : v;
}

/* One sample of channel c at voxel (x, y, z), read as a double. */
static double at(const struct slab *s, int x, int y, int c, int z)
{
	size_t i = slab_index(s, x, y, c, z);
	switch (s->type) {
	case SLAB_F32: return ((const float *)s->data)[i];
	case SLAB_U8: return ((const uint8_t *)s->data)[i];
	default: return slab_get(s, i);
	}
}

double regrid_sample(const struct slab *in, int c, const double p[3], enum regrid_interp how)
{
	const int n[3] = {in->nx, in->ny, in->nz};
	int lo[3], hi[3], a;
	double q[3], w[3], v = 0;
	for (a = 0; a < 3; a++) {
		q[a] = snap(p[a]);
		if (!(q[a] >= -0.5 && q[a] < n[a] - 0.5))
			return 0.0;
	}
	if (how == REGRID_NEAREST) {
		for (a = 0; a < 3; a++) {
			lo[a] = (int)floor(q[a] + 0.5);
			if (lo[a] > n[a] - 1)
				lo[a] = n[a] - 1;
		}
		return at(in, lo[0], lo[1], c, lo[2]);
	}
	for (a = 0; a < 3; a++) {
		double x = q[a] < 0 ? 0 : q[a] > n[a] - 1 ? n[a] - 1 : q[a];
		lo[a] = (int)floor(x);
		if (lo[a] > n[a] - 1)
			lo[a] = n[a] - 1;
		w[a] = x - lo[a];
		hi[a] = lo[a] + 1 < n[a] ? lo[a] + 1 : lo[a];
	}
	{
		int dz, dy, dx;
		for (dz = 0; dz < 2; dz++) {
			double wz = dz ? w[2] : 1 - w[2];
			if (wz == 0)
				continue;
			for (dy = 0; dy < 2; dy++) {
				double wy = dy ? w[1] : 1 - w[1];
				if (wy == 0)
					continue;
				for (dx = 0; dx < 2; dx++) {
					double wx = dx ? w[0] : 1 - w[0];
					if (wx == 0)
						continue;
					v += wz * wy * wx *
					     at(in, dx ? hi[0] : lo[0], dy ? hi[1] : lo[1], c, dz ? hi[2] : lo[2]);
				}
			}
		}
	}
	return v;
}

int slab_regrid(const struct slab *in, int nx, int ny, int nz, const double t[12],
                enum regrid_interp how, struct slab *out)
{
	double inv[12], m[12];
	int i, j, k, c;
	if (nx < 1 || ny < 1 || nz < 1)
		return error("bad target dims: '%d %d %d'", nx, ny, nz);
	if (affine_invert(in->transform, inv))
		return -1;
	affine_mul(inv, t, m);
	if (slab_alloc(out, in->name, nx, ny, nz, in->nc, in->type))
		return -1;
	memcpy(out->transform, t, sizeof out->transform);
	for (i = 0; i < 3; i++)
		out->spacing[i] = sqrt(t[i] * t[i] + t[4 + i] * t[4 + i] + t[8 + i] * t[8 + i]);
	for (k = 0; k < nz; k++)
		for (j = 0; j < ny; j++)
			for (i = 0; i < nx; i++) {
				double p[3];
				affine_apply(m, i, j, k, p);
				for (c = 0; c < in->nc; c++) {
					double v = regrid_sample(in, c, p, how);
					size_t o = slab_index(out, i, j, c, k);
					if (in->type == SLAB_F32)
						((float *)out->data)[o] = (float)v;
					else
						slab_set(out, o, v);
				}
			}
	return 0;
}
