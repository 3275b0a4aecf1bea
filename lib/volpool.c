/* volpool.c: whole, depth-padded volumes for the 3-D U-Net (volpool.h). */
#include "volpool.h"

#include "layers.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

size_t pool_item_size(const struct pool *p)
{
	return (size_t)p->H * p->W * (p->zmult && p->Z ? (size_t)p->Z : 1);
}

/* Room for `need` items of depth Z (the items held keep their old layout). */
static int grow(struct pool *p, size_t need, int Z)
{
	size_t cap = p->cap ? p->cap : 16;
	while (cap < need)
		cap *= 2;
	size_t m = (size_t)p->H * p->W * Z, s = m * p->C;
	float *img = realloc(p->img, cap * s * sizeof *img);
	if (img)
		p->img = img;
	uint8_t *mask = realloc(p->mask, cap * m);
	if (mask)
		p->mask = mask;
	float *nsi = realloc(p->nsi, cap * sizeof *nsi);
	if (nsi)
		p->nsi = nsi;
	uint8_t *gt = realloc(p->gt, cap);
	if (gt)
		p->gt = gt;
	if (!img || !mask || !nsi || !gt)
		return error("out of memory for %zu training volumes of depth %d", cap, Z);
	p->cap = cap;
	return 0;
}

int pool_set_depth(struct pool *p, int Z)
{
	if (Z < p->Z || (p->zmult && Z % p->zmult))
		return error("cannot pad volumes of depth %d to %d", p->Z, Z);
	if (p->n == 0 || Z == p->Z) {
		p->Z = Z;
		return 0;
	}
	if (grow(p, p->cap, Z))
		return -1;
	size_t hw = (size_t)p->H * p->W, so = hw * p->C * p->Z, sn = hw * p->C * Z;
	size_t mo = hw * p->Z, mn = hw * Z;
	/* from the last item down, so nothing is overwritten before it moves */
	for (size_t i = p->n; i-- > 0;) {
		memmove(p->img + i * sn, p->img + i * so, so * sizeof *p->img);
		memset(p->img + i * sn + so, 0, (sn - so) * sizeof *p->img);
		memmove(p->mask + i * mn, p->mask + i * mo, mo);
		memset(p->mask + i * mn + mo, 255, mn - mo);
	}
	p->Z = Z;
	return 0;
}

int pool_add_volume(struct pool *p, const struct slab *img, const struct slab *mask,
                    const char *src)
{
	if (p->zmult < 1)
		return error("%s: not a volume pool", src);
	if (mask->type != SLAB_U8 || mask->nc != 1)
		return error("%s: mask must be u8 with one channel, not %s with %d", src,
		             slab_type_name(mask->type), mask->nc);
	if (mask->nx != img->nx || mask->ny != img->ny || mask->nz != img->nz)
		return error("%s: mask dims %dx%dx%d differ from image dims %dx%dx%d", src, mask->nx,
		             mask->ny, mask->nz, img->nx, img->ny, img->nz);
	if (p->C == 0)
		p->W = img->nx, p->H = img->ny, p->C = img->nc;
	if (img->nx != p->W || img->ny != p->H)
		return error("%s: slice size %dx%d differs from the first volume's %dx%d", src,
		             img->nx, img->ny, p->W, p->H);
	if (img->nc != p->C)
		return error("%s: %d channels, the first volume has %d", src, img->nc, p->C);
	size_t hw = (size_t)p->W * p->H, nv = hw * img->nz, lab = 0;
	const uint8_t *mk = mask->data;
	for (size_t i = 0; i < nv; i++) {
		if (mk[i] > 1 && mk[i] != 255)
			return error("%s: mask value %d at sample %zu (expected 0, 1 or 255)", src, mk[i], i);
		lab += mk[i] != 255;
	}
	p->volumes++;
	if (!lab)
		return 0;
	int Z = (img->nz + p->zmult - 1) / p->zmult * p->zmult;
	if (Z > p->Z && pool_set_depth(p, Z))
		return -1;
	Z = p->Z;
	if (p->n + 1 > p->cap && grow(p, p->n + 1, Z))
		return -1;
	size_t s = hw * p->C * Z, m = hw * Z, k = p->n, ns = hw * p->C * img->nz;
	float *di = p->img + k * s;
	if (img->type == SLAB_F32)
		memcpy(di, img->data, ns * sizeof *di);
	else
		for (size_t i = 0; i < ns; i++)
			di[i] = (float)slab_get(img, i);
	memset(di + ns, 0, (s - ns) * sizeof *di);
	memcpy(p->mask + k * m, mk, nv);
	memset(p->mask + k * m + nv, 255, m - nv);
	const char *slices = slab_get_extra(mask, "SLICES");
	p->nsi[k] = 0.5f;
	p->gt[k] = !slices || strchr(slices, 'g') != NULL;
	p->n++;
	return 0;
}

/* dst = src flipped along x (fx) and/or y (fy), over planes of H x W. */
static void flip_planes(float *dst, const float *src, size_t planes, int H, int W, int fx, int fy)
{
	for (size_t p = 0; p < planes; p++)
		for (int y = 0; y < H; y++) {
			const float *a = src + (p * H + (fy ? H - 1 - y : y)) * W;
			float *d = dst + (p * H + y) * W;
			for (int x = 0; x < W; x++)
				d[x] = a[fx ? W - 1 - x : x];
		}
}

int unet_predict_volume(struct unet *u, const struct unet_config *c, const float *params,
                        const struct slab *s, float *prob, int flip)
{
	int m = 1 << c->depth, Z = (s->nz + m - 1) / m * m;
	if (s->nc != c->in_channels)
		return error("volume has %d channels, the model takes %d", s->nc, c->in_channels);
	if (!u->B || u->Z != Z || u->H != s->ny || u->W != s->nx) {
		unet_free(u);
		if (unet_create_vol(u, c, 1, Z, s->ny, s->nx, 0, 0))
			return -1;
		memcpy(u->params, params, u->nparams * sizeof(float));
	}
	size_t hw = (size_t)s->nx * s->ny, n = hw * s->nc * s->nz, nv = hw * s->nz;
	size_t nx = hw * s->nc * Z;
	float *x = xcalloc(nx, sizeof *x), *xf = flip ? xcalloc(nx, sizeof *xf) : NULL;
	float *pf = flip ? xmalloc(5 * nv * sizeof *pf) : NULL;
	if (!x || (flip && (!xf || !pf))) {
		free(x), free(xf), free(pf);
		return -1;
	}
	if (s->type == SLAB_F32)
		memcpy(x, s->data, n * sizeof *x);
	else
		for (size_t i = 0; i < n; i++)
			x[i] = (float)slab_get(s, i);
	if (!flip) {
		unet_forward(u, x, 1);
		for (size_t i = 0; i < nv; i++)
			prob[i] = sigmoidf(u->a.logit[i]);
	} else {
		/* as unet-predict --flip in 2-D: k = 0 as is, 1 flipped along x, 2
		 * along y, 3 both, each flipped back; (p0 + p1) + (p2 + p3) */
		float *tmp = pf + 4 * nv;
		for (int k = 0; k < 4; k++) {
			if (k)
				flip_planes(xf, x, (size_t)Z * s->nc, s->ny, s->nx, k & 1, k >> 1);
			unet_forward(u, k ? xf : x, 1);
			for (size_t i = 0; i < nv; i++)
				tmp[i] = sigmoidf(u->a.logit[i]);
			flip_planes(pf + k * nv, tmp, (size_t)s->nz, s->ny, s->nx, k & 1, k >> 1);
		}
		for (size_t i = 0; i < nv; i++) {
			double a = (double)pf[i] + pf[nv + i], b = (double)pf[2 * nv + i] + pf[3 * nv + i];
			prob[i] = (float)((a + b) * 0.25);
		}
	}
	free(x), free(xf), free(pf);
	return 0;
}
