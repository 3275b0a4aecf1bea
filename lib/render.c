/* render.c: slab planes as 8-bit pictures, with mask contours. */
#include "render.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *axis_names[] = {"axial", "coronal", "sagittal"};

int view_axis_parse(const char *s, enum view_axis *axis)
{
	for (int i = 0; i < 3; i++)
		if (!strcmp(s, axis_names[i])) {
			*axis = (enum view_axis)i;
			return 0;
		}
	return -1;
}

int view_axis_count(const struct slab *s, enum view_axis axis)
{
	return axis == VIEW_AXIAL ? s->nz : axis == VIEW_CORONAL ? s->ny : s->nx;
}

void view_plane_size(const struct slab *s, enum view_axis axis, int *w, int *h)
{
	*w = axis == VIEW_SAGITTAL ? s->ny : s->nx;
	*h = axis == VIEW_AXIAL ? s->ny : s->nz;
}

/* Voxel (x, y, z) at picture pixel (u, v) of plane k. */
static void plane_voxel(const struct slab *s, enum view_axis axis, int k, int u, int v,
                        int *x, int *y, int *z)
{
	switch (axis) {
	case VIEW_AXIAL: *x = u, *y = v, *z = k; break;
	case VIEW_CORONAL: *x = u, *y = k, *z = s->nz - 1 - v; break;
	default: *x = k, *y = u, *z = s->nz - 1 - v; break;
	}
}

/* The k-th smallest of a[0..n-1] (0-based), reordering a. */
static float select_kth(float *a, long n, long k)
{
	long lo = 0, hi = n - 1;
	while (lo < hi) {
		float p = a[lo + (hi - lo) / 2], t;
		long i = lo, j = hi;
		while (i <= j) {
			while (a[i] < p)
				i++;
			while (a[j] > p)
				j--;
			if (i <= j) {
				t = a[i], a[i] = a[j], a[j] = t;
				i++, j--;
			}
		}
		if (k <= j)
			hi = j;
		else if (k >= i)
			lo = i;
		else
			return a[k];
	}
	return a[k];
}

int render_window(const struct slab *s, int c, double *lo, double *hi)
{
	long n = (long)s->nx * s->ny * s->nz, i = 0;
	float *a = xmalloc((size_t)n * sizeof *a), mn, mx;
	size_t plane = (size_t)s->nx * s->ny;

	if (!a)
		return -1;
	for (int z = 0; z < s->nz; z++)
		for (size_t k = 0; k < plane; k++)
			a[i++] = (float)slab_get(s, slab_index(s, 0, 0, c, z) + k);
	*lo = select_kth(a, n, lround(0.01 * (n - 1)));
	*hi = select_kth(a, n, lround(0.99 * (n - 1)));
	if (*lo == *hi) {
		mn = mx = a[0];
		for (i = 1; i < n; i++) {
			if (a[i] < mn)
				mn = a[i];
			if (a[i] > mx)
				mx = a[i];
		}
		*lo = mn, *hi = mx;
	}
	free(a);
	return 0;
}

int render_mask_fg(const struct slab *m, size_t i)
{
	switch (m->type) {
	case SLAB_U8: {
		uint8_t v = ((const uint8_t *)m->data)[i];
		return v != 0 && v != SLAB_UNLABELLED;
	}
	case SLAB_I16: return ((const int16_t *)m->data)[i] > 0;
	default: return ((const float *)m->data)[i] >= 0.5f;
	}
}

int render_mask_class(const struct slab *m, int C, int x, int y, int z)
{
	if (m->type == SLAB_U8) {
		uint8_t v = ((const uint8_t *)m->data)[slab_index(m, x, y, 0, z)];
		return v < C ? v : 0;
	}
	int best = 0;
	double pb = slab_get(m, slab_index(m, x, y, 0, z));
	for (int c = 1; c < C && c < m->nc; c++) {
		double v = slab_get(m, slab_index(m, x, y, c, z));
		if (v > pb)
			best = c, pb = v;
	}
	return best;
}

/* The class (binary masks: 1 foreground, 0 not) at scaled pixel (U, V) of
 * a plane of pw x ph scaled pixels of mask n; outside the plane is 0. */
static int fg_at(const struct render *r, int n, enum view_axis axis, int k, int pw, int ph,
                 int U, int V)
{
	const struct slab *m = r->mask[n];
	int x, y, z;
	if (U < 0 || V < 0 || U >= pw || V >= ph)
		return 0;
	plane_voxel(m, axis, k, U / r->scale, V / r->scale, &x, &y, &z);
	if (r->classes[n])
		return render_mask_class(m, r->classes[n], x, y, z);
	return render_mask_fg(m, slab_index(m, x, y, 0, z));
}

void render_plane(const struct render *r, enum view_axis axis, int index, uint8_t *canvas,
                  int cw, int channels, int ox, int oy)
{
	const struct slab *s = r->img;
	int w, h, pw, ph;
	double span = r->hi - r->lo;

	view_plane_size(s, axis, &w, &h);
	pw = w * r->scale, ph = h * r->scale;
	for (int V = 0; V < ph; V++)
		for (int U = 0; U < pw; U++) {
			int x, y, z, g;
			double v;
			uint8_t *px = canvas + ((size_t)(oy + V) * cw + (ox + U)) * channels;
			plane_voxel(s, axis, index, U / r->scale, V / r->scale, &x, &y, &z);
			v = slab_get(s, slab_index(s, x, y, r->channel, z));
			if (span > 0) {
				double t = (v - r->lo) / span * 255.0;
				g = t <= 0 ? 0 : t >= 255 ? 255 : (int)lround(t);
			} else {
				g = v > r->lo ? 255 : 0;
			}
			if (channels == 1) {
				px[0] = (uint8_t)g;
				continue;
			}
			px[0] = px[1] = px[2] = (uint8_t)g;
			int on[2] = {0, 0};
			for (int m = 0; m < 2; m++) {
				int k;
				if (!r->mask[m] || !(k = fg_at(r, m, axis, index, pw, ph, U, V)))
					continue;
				on[m] = fg_at(r, m, axis, index, pw, ph, U - 1, V) != k ||
				        fg_at(r, m, axis, index, pw, ph, U + 1, V) != k ||
				        fg_at(r, m, axis, index, pw, ph, U, V - 1) != k ||
				        fg_at(r, m, axis, index, pw, ph, U, V + 1) != k;
			}
			if (on[0] || on[1]) {
				px[0] = on[0] ? 255 : 0;
				px[1] = 0;
				px[2] = on[1] ? 255 : 0;
			}
		}
}

int view_ortho(struct view_layout *l, const struct slab *s, const int index[3], int scale)
{
	l->n = 3;
	l->w = l->h = 0;
	if (!(l->panel = xcalloc(3, sizeof *l->panel)))
		return -1;
	for (int a = 0; a < 3; a++) {
		int w, h;
		view_plane_size(s, (enum view_axis)a, &w, &h);
		l->panel[a] = (struct view_panel){ (enum view_axis)a, index[a], l->w + (a ? 1 : 0), 0 };
		l->w += w * scale + (a ? 1 : 0);
		if (h * scale > l->h)
			l->h = h * scale;
	}
	return 0;
}

int view_montage(struct view_layout *l, const struct slab *s, enum view_axis axis,
                 const unsigned char *keep, int scale)
{
	int n = view_axis_count(s, axis), w, h, cols, rows;
	l->n = 0;
	for (int k = 0; k < n; k++)
		l->n += keep[k];
	cols = (int)ceil(sqrt((double)l->n));
	rows = (l->n + cols - 1) / cols;
	view_plane_size(s, axis, &w, &h);
	w *= scale, h *= scale;
	if (!(l->panel = xcalloc((size_t)l->n, sizeof *l->panel)))
		return -1;
	for (int k = 0, i = 0; k < n; k++)
		if (keep[k]) {
			l->panel[i] = (struct view_panel){ axis, k, (i % cols) * (w + 1), (i / cols) * (h + 1) };
			i++;
		}
	l->w = cols * (w + 1) - 1;
	l->h = rows * (h + 1) - 1;
	return 0;
}

uint8_t *render_picture(const struct render *r, const struct view_layout *l, int channels)
{
	size_t bytes;
	uint8_t *canvas;
	if (mul_size((size_t)l->w * l->h, (size_t)channels, &bytes) || bytes > ((size_t)1 << 31)) {
		error("picture too large: %d x %d pixels", l->w, l->h);
		return NULL;
	}
	if (!(canvas = xcalloc(bytes, 1)))
		return NULL;
	for (int i = 0; i < l->n; i++)
		render_plane(r, l->panel[i].axis, l->panel[i].index, canvas, l->w, channels,
		             l->panel[i].x, l->panel[i].y);
	return canvas;
}
