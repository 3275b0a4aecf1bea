/* pseudo.c: the pseudo-labelling rules (pseudo.h). */
#include "pseudo.h"
#include "provenance.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

void pseudo_threshold(const float *p, size_t n, double t, double theta, int band, uint8_t *q)
{
	for (size_t j = 0; j < n; j++) {
		float v = p[j];
		if (v >= t)
			q[j] = 1;
		else if (!band || v <= 1 - theta)
			q[j] = 0;
		else
			q[j] = SLAB_UNLABELLED;
	}
}

void pseudo_classify(const float *p, size_t npix, int nc, const double *t, double theta,
                     int band, uint8_t *q)
{
	for (size_t j = 0; j < npix; j++) {
		int best = 0;
		float pb = 0;
		for (int k = 1; k < nc; k++) {
			float v = p[(size_t)k * npix + j];
			if (v >= t[k] && (!best || v > pb))
				best = k, pb = v;
		}
		if (best)
			q[j] = (uint8_t)best;
		else if (!band || p[j] >= theta)
			q[j] = 0;
		else
			q[j] = SLAB_UNLABELLED;
	}
}

static int desc(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;
	return (x < y) - (x > y);
}

double pseudo_adaptive_threshold(const float *p, size_t npix, long *n, double lo, double hi,
                                 int soft, float *scratch)
{
	double t;
	if (*n > (long)npix)
		*n = (long)npix;
	if (soft) {
		/* the slice's expected foreground count, if smaller */
		double sum = 0;
		for (size_t j = 0; j < npix; j++)
			sum += p[j];
		if (sum + 0.5 < (double)*n)
			*n = (long)(sum + 0.5);
	}
	if (*n <= 0)
		return hi;
	memcpy(scratch, p, npix * sizeof *scratch);
	qsort(scratch, npix, sizeof *scratch, desc);
	t = scratch[*n - 1];
	return t < lo ? lo : t > hi ? hi : t;
}

void pseudo_confine_mask(const uint8_t *m, int nx, int ny, int radius, uint8_t *tmp,
                         uint8_t *allow)
{
	pseudo_confine_class(m, nx, ny, 1, radius, tmp, allow);
}

void pseudo_confine_class(const uint8_t *m, int nx, int ny, int value, int radius,
                          uint8_t *tmp, uint8_t *allow)
{
	int x, y, k;
	for (y = 0; y < ny; y++)
		for (x = 0; x < nx; x++) {
			uint8_t v = 0;
			for (k = x - radius; k <= x + radius && !v; k++)
				v = k >= 0 && k < nx && m[(size_t)y * nx + k] == value;
			tmp[(size_t)y * nx + x] = v;
		}
	for (y = 0; y < ny; y++)
		for (x = 0; x < nx; x++) {
			uint8_t v = 0;
			for (k = y - radius; k <= y + radius && !v; k++)
				v = k >= 0 && k < ny && tmp[(size_t)k * nx + x];
			allow[(size_t)y * nx + x] = v;
		}
}

/* Check the reference mask r of probability slab p (of classes pk) and
 * set, for every slice z, near[z] = its nearest labelled slice and
 * fg[z * C + k] = that slice's count of class k (k = 1..C-1). 0 or -1 with
 * a message. */
static int reference(const struct slab *r, const struct slab *p, const struct classes *pk,
                     const char *src, long *fg, int *near)
{
	size_t per = (size_t)r->nx * r->ny;
	const uint8_t *d = r->data;
	struct classes rk;
	int z, C = pk->n, *prov;
	if (r->type != SLAB_U8 || r->nc != 1)
		return error("%s: reference must be u8 with one channel, not %s with %d in '%s'", src,
		             slab_type_name(r->type), r->nc, r->name);
	if (r->nx != p->nx || r->ny != p->ny || r->nz != p->nz)
		return error("%s: reference dims %dx%dx%d differ from %dx%dx%d in '%s'", src, r->nx,
		             r->ny, r->nz, p->nx, p->ny, p->nz, r->name);
	if (r->name[0] && p->name[0] && strcmp(r->name, p->name))
		return error("%s: reference case '%s' paired with case '%s'", src, r->name, p->name);
	if (classes_get(r, &rk, src))
		return -1;
	if (!classes_equal(&rk, pk))
		return classes_mismatch(src, "reference classes", "the probabilities'", &rk, pk,
		                        r->name);
	if (classes_check_labels(r, pk, src))
		return -1;
	prov = xmalloc(r->nz * sizeof *prov);
	if (!prov || prov_read(r, prov, src)) {
		free(prov);
		return -1;
	}
	for (z = 0; z < r->nz; z++) {
		near[z] = prov_nearest(prov, r->nz, z);
		if (near[z] < 0) {
			free(prov);
			return error("%s: no labelled slice in reference '%s'", src, r->name);
		}
		for (int k = 0; k < C; k++)
			fg[(size_t)z * C + k] = 0;
		for (size_t i = 0; i < per; i++) {
			int v = d[near[z] * per + i];
			if (v < C)
				fg[(size_t)z * C + v]++;
		}
	}
	free(prov);
	return 0;
}

/* Scratch space of pseudo_label. */
struct work {
	long *fg;      /* nz * C class counts of the nearest slices */
	int *near;     /* nz */
	float *sorted; /* per */
	float *conf;   /* per * nc: the confined slice */
	uint8_t *allow, *tmp, *fgm; /* fgm: merged rule, the neighbour's foreground */
};

static void work_free(struct work *w)
{
	free(w->fg), free(w->near), free(w->sorted), free(w->conf), free(w->allow), free(w->tmp),
		free(w->fgm);
}

static int work_alloc(struct work *w, int nz, int C, size_t per, int nc)
{
	memset(w, 0, sizeof *w);
	w->fg = xmalloc((size_t)nz * C * sizeof *w->fg);
	w->near = xmalloc(nz * sizeof *w->near);
	w->sorted = xmalloc(per * sizeof *w->sorted);
	w->conf = xmalloc(per * nc * sizeof *w->conf);
	w->allow = xmalloc(per);
	w->tmp = xmalloc(per);
	w->fgm = xmalloc(per);
	if (!w->fg || !w->near || !w->sorted || !w->conf || !w->allow || !w->tmp || !w->fgm) {
		work_free(w);
		return -1;
	}
	return 0;
}

/* Label slice z of one-channel prob into q under rule r (w filled when a
 * reference is used). 0 or -1 with a message. */
static int label_slice(uint8_t *q, const struct slab *prob, int z, const struct slab *ref,
                       const struct pseudo_rule *r, struct work *w, const char *src, FILE *trace)
{
	size_t per = slab_slice_count(prob), j;
	const float *p = (const float *)prob->data + z * per;
	double t = r->theta;
	for (j = 0; j < per; j++)
		if (!(p[j] >= 0 && p[j] <= 1))
			return error("%s: probability out of [0,1]: '%g' at slice %d in '%s'", src, p[j],
			             z, prob->name);
	if (r->radius >= 0) {
		/* pixels outside the neighbour's grown foreground count as 0 */
		pseudo_confine_mask((const uint8_t *)ref->data + w->near[z] * per, prob->nx, prob->ny,
		                    r->radius, w->tmp, w->allow);
		for (j = 0; j < per; j++)
			w->conf[j] = w->allow[j] ? p[j] : 0;
		p = w->conf;
	}
	if (r->adaptive) {
		long n = w->fg[z * 2 + 1];
		t = pseudo_adaptive_threshold(p, per, &n, r->lo, r->hi, r->soft, w->sorted);
		if (trace)
			fprintf(trace, "%s: %s z %d: n %ld, t %.9g\n", progname,
			        prob->name[0] ? prob->name : "(unnamed)", z, n, t);
	}
	pseudo_threshold(p, per, t, r->theta, r->band, q);
	return 0;
}

/* The merged rule (pseudo.h) on slice z, whose C channels p are checked:
 * the one-class rules on f = p_1 + ... + p_{C-1}, then each foreground
 * pixel's class. Cannot fail. */
static int label_slice_merged(uint8_t *q, const float *p, const struct slab *prob, int C,
                              int z, const struct slab *ref, const struct pseudo_rule *r,
                              struct work *w, FILE *trace)
{
	size_t per = (size_t)prob->nx * prob->ny, j;
	float *f = w->conf; /* per * nc floats: room for f */
	double t = r->theta;
	int k;
	for (j = 0; j < per; j++) {
		float v = 0;
		for (k = 1; k < C; k++)
			v += p[k * per + j];
		f[j] = v < 1 ? v : 1;
	}
	if (r->radius >= 0) {
		const uint8_t *m = (const uint8_t *)ref->data + w->near[z] * per;
		for (j = 0; j < per; j++)
			w->fgm[j] = m[j] >= 1 && m[j] < C;
		pseudo_confine_mask(w->fgm, prob->nx, prob->ny, r->radius, w->tmp, w->allow);
		for (j = 0; j < per; j++)
			if (!w->allow[j])
				f[j] = 0;
	}
	if (r->adaptive) {
		long n = 0;
		for (k = 1; k < C; k++)
			n += w->fg[(size_t)z * C + k];
		t = pseudo_adaptive_threshold(f, per, &n, r->lo, r->hi, r->soft, w->sorted);
		if (trace)
			fprintf(trace, "%s: %s z %d foreground: n %ld, t %.9g\n", progname,
			        prob->name[0] ? prob->name : "(unnamed)", z, n, t);
	}
	pseudo_threshold(f, per, t, r->theta, r->band, q);
	for (j = 0; j < per; j++)
		if (q[j] == 1) {
			int best = 1;
			for (k = 2; k < C; k++)
				if (p[k * per + j] > p[best * per + j])
					best = k;
			q[j] = (uint8_t)best;
		}
	return 0;
}

/* Label slice z of the C-channel prob into q under rule r, as
 * label_slice. */
static int label_slice_classes(uint8_t *q, const struct slab *prob, int C, int z,
                               const struct slab *ref, const struct pseudo_rule *r,
                               struct work *w, const char *src, FILE *trace)
{
	size_t per = (size_t)prob->nx * prob->ny, all = per * C, j;
	const float *p = (const float *)prob->data + z * all;
	double t[CLASSES_MAX];
	int k;
	for (j = 0; j < all; j++)
		if (!(p[j] >= 0 && p[j] <= 1))
			return error("%s: probability out of [0,1]: '%g' at slice %d channel %d in '%s'",
			             src, p[j], z, (int)(j / per), prob->name);
	if (r->merged)
		return label_slice_merged(q, p, prob, C, z, ref, r, w, trace);
	if (r->radius >= 0) {
		/* class k's p_k outside its neighbour's grown class k goes to the background */
		const uint8_t *m = (const uint8_t *)ref->data + w->near[z] * per;
		memcpy(w->conf, p, all * sizeof *p);
		for (k = 1; k < C; k++) {
			float *pk = w->conf + k * per;
			pseudo_confine_class(m, prob->nx, prob->ny, k, r->radius, w->tmp, w->allow);
			for (j = 0; j < per; j++)
				if (!w->allow[j]) {
					w->conf[j] += pk[j];
					pk[j] = 0;
				}
		}
		p = w->conf;
	}
	for (k = 1; k < C; k++) {
		t[k] = r->theta;
		if (!r->adaptive)
			continue;
		long n = w->fg[(size_t)z * C + k];
		t[k] = pseudo_adaptive_threshold(p + k * per, per, &n, r->lo, r->hi, r->soft,
		                                 w->sorted);
		if (!trace)
			continue;
		if (C == 2)
			fprintf(trace, "%s: %s z %d: n %ld, t %.9g\n", progname,
			        prob->name[0] ? prob->name : "(unnamed)", z, n, t[k]);
		else
			fprintf(trace, "%s: %s z %d class %d: n %ld, t %.9g\n", progname,
			        prob->name[0] ? prob->name : "(unnamed)", z, k, n, t[k]);
	}
	pseudo_classify(p, per, C, t, r->theta, r->band, q);
	return 0;
}

int pseudo_label(struct slab *out, const struct slab *prob, const unsigned char *want,
                 const struct slab *ref, const struct pseudo_rule *r, const char *src,
                 const char *refsrc, FILE *trace)
{
	size_t per = (size_t)prob->nx * prob->ny;
	struct work w = { 0 };
	struct classes pk;
	int z;
	memset(out, 0, sizeof *out);
	if (classes_of_prob(prob, &pk, src))
		return -1;
	if (pseudo_needs_ref(r) && !ref)
		return error("%s: the rule needs a reference mask for '%s'", src, prob->name);
	if (slab_alloc_like(out, prob, prob->nx, prob->ny, prob->nz, 1, SLAB_U8))
		return -1;
	if ((pseudo_needs_ref(r) || (r->merged && prob->nc > 1)) &&
	    work_alloc(&w, prob->nz, pk.n, per, prob->nc))
		goto fail;
	if (pseudo_needs_ref(r) && reference(ref, prob, &pk, refsrc, w.fg, w.near))
		goto fail;
	for (z = 0; z < prob->nz; z++) {
		uint8_t *q = (uint8_t *)out->data + z * per;
		if (!want[z])
			memset(q, SLAB_UNLABELLED, per);
		else if (prob->nc == 1 ? label_slice(q, prob, z, ref, r, &w, src, trace)
		                       : label_slice_classes(q, prob, pk.n, z, ref, r, &w, src,
		                                             trace))
			goto fail;
	}
	work_free(&w);
	return 0;
fail:
	work_free(&w);
	slab_free(out);
	return -1;
}
