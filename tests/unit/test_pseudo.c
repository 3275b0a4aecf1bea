/* test_pseudo: the pseudo-labelling rules (lib/pseudo.h) on known answers. */
#include "check.h"
#include "provenance.h"
#include "classes.h"
#include "pseudo.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

static int same(const uint8_t *q, const uint8_t *want, size_t n)
{
	return !memcmp(q, want, n);
}

static void threshold(void)
{
	/* 0.25, 0.75: exact in float and double, so the cuts are exact */
	const float p[] = { 0, 0.25f, 0.5f, 0.7499f, 0.75f, 1 };
	uint8_t q[6];
	const uint8_t bin[] = { 0, 0, 0, 0, 1, 1 }, band[] = { 0, 0, 255, 255, 1, 1 };
	const uint8_t low[] = { 0, 0, 1, 1, 1, 1 }, bandlow[] = { 0, 0, 1, 1, 1, 1 };
	pseudo_threshold(p, 6, 0.75, 0.75, 0, q);
	CHECK(same(q, bin, 6));
	pseudo_threshold(p, 6, 0.75, 0.75, 1, q);
	CHECK(same(q, band, 6));
	/* t apart from theta (adaptive): t sets the upper cut, theta the lower */
	pseudo_threshold(p, 6, 0.5, 0.75, 0, q);
	CHECK(same(q, low, 6));
	pseudo_threshold(p, 6, 0.5, 0.75, 1, q);
	CHECK(same(q, bandlow, 6));
	/* t = 0: everything foreground; t = 1: only p = 1 */
	const uint8_t all[] = { 1, 1, 1, 1, 1, 1 }, one[] = { 0, 0, 0, 0, 0, 1 };
	pseudo_threshold(p, 6, 0, 0.75, 0, q);
	CHECK(same(q, all, 6));
	pseudo_threshold(p, 6, 1, 1, 0, q);
	CHECK(same(q, one, 6));
}

static double adaptive(const float *p, size_t n, long count, double lo, double hi, int soft,
                       long *used)
{
	float s[16];
	*used = count;
	return pseudo_adaptive_threshold(p, n, used, lo, hi, soft, s);
}

static void adaptive_threshold(void)
{
	const float p[] = { 0.9f, 0.7f, 0.7f, 0.3f, 0.1f, 0.95f };
	long n;
	/* the n-th largest */
	CHECK(adaptive(p, 6, 1, 0.5, 0.99, 0, &n) == 0.95f && n == 1);
	CHECK(adaptive(p, 6, 2, 0.5, 0.99, 0, &n) == 0.9f && n == 2);
	/* ties: n = 3 and n = 4 give the same t, so both tied pixels join */
	CHECK(adaptive(p, 6, 3, 0.5, 0.99, 0, &n) == 0.7f);
	CHECK(adaptive(p, 6, 4, 0.5, 0.99, 0, &n) == 0.7f);
	/* n = 0 -> hi, whatever the probabilities */
	CHECK(adaptive(p, 6, 0, 0.5, 0.99, 0, &n) == 0.99 && n == 0);
	CHECK(adaptive(p, 6, 0, 0.2, 0.6, 0, &n) == 0.6);
	/* clamped to [lo, hi] */
	CHECK(adaptive(p, 6, 5, 0.5, 0.99, 0, &n) == 0.5);
	CHECK(adaptive(p, 6, 6, 0.05, 0.99, 0, &n) == 0.1f);
	CHECK(adaptive(p, 6, 1, 0.5, 0.9, 0, &n) == 0.9);
	CHECK(adaptive(p, 6, 2, 0.92, 0.92, 0, &n) == 0.92);
	/* more than the slice holds counts as all of it */
	CHECK(adaptive(p, 6, 9, 0, 1, 0, &n) == 0.1f && n == 6);
	/* -s: n at most the rounded sum, 3.65 -> 4 */
	CHECK(adaptive(p, 6, 6, 0, 1, 1, &n) == 0.7f && n == 4);
	CHECK(adaptive(p, 6, 5, 0, 1, 1, &n) == 0.7f && n == 4);
	CHECK(adaptive(p, 6, 4, 0, 1, 1, &n) == 0.7f && n == 4);
	CHECK(adaptive(p, 6, 2, 0, 1, 1, &n) == 0.9f && n == 2);
	/* rounding: a sum of 2.5 rounds up to 3, 2.25 down to 2, 0.25 to 0 (-> hi) */
	const float h[] = { 0.5f, 0.5f, 0.5f, 0.5f, 0.5f }, k[] = { 0.25f, 0.5f, 0.5f, 0.5f, 0.5f };
	const float z[] = { 0.25f, 0, 0, 0 };
	CHECK(adaptive(h, 5, 5, 0, 1, 1, &n) == 0.5f && n == 3);
	CHECK(adaptive(k, 5, 5, 0, 1, 1, &n) == 0.5f && n == 2);
	CHECK(adaptive(z, 4, 3, 0.5, 0.99, 1, &n) == 0.99 && n == 0);
	/* without -s the sum does not matter */
	CHECK(adaptive(z, 4, 3, 0, 1, 0, &n) == 0 && n == 3);
}

static void confine(void)
{
	/* 5 x 4; foreground at (1, 1); 0 and 255 are not foreground */
	uint8_t m[20], tmp[20], allow[20];
	memset(m, 0, 20);
	m[1 * 5 + 1] = 1;
	m[3 * 5 + 4] = 255;
	const uint8_t r1[] = { 1, 1, 1, 0, 0,
	                       1, 1, 1, 0, 0,
	                       1, 1, 1, 0, 0,
	                       0, 0, 0, 0, 0 };
	const uint8_t r0[] = { 0, 0, 0, 0, 0,
	                       0, 1, 0, 0, 0,
	                       0, 0, 0, 0, 0,
	                       0, 0, 0, 0, 0 };
	/* chessboard: the diagonal (3, 3) is at distance 2, (3, 0) too */
	const uint8_t r2[] = { 1, 1, 1, 1, 0,
	                       1, 1, 1, 1, 0,
	                       1, 1, 1, 1, 0,
	                       1, 1, 1, 1, 0 };
	pseudo_confine_mask(m, 5, 4, 1, tmp, allow);
	CHECK(same(allow, r1, 20));
	pseudo_confine_mask(m, 5, 4, 0, tmp, allow);
	CHECK(same(allow, r0, 20));
	pseudo_confine_mask(m, 5, 4, 2, tmp, allow);
	CHECK(same(allow, r2, 20));
	/* no foreground: nothing allowed, at any radius */
	m[1 * 5 + 1] = 0;
	pseudo_confine_mask(m, 5, 4, 100, tmp, allow);
	memset(tmp, 0, 20);
	CHECK(same(allow, tmp, 20));
}

/* A 4 x 1 x 5 probability slab and its reference: SLICES ". g . 3 .", so
 * slice 0's labels do not count; slice 1 has 2 foreground pixels, slice 3
 * one. Nearest labelled slice: 0->1, 1->1, 2->1 (tie with 3: the lower),
 * 3->3, 4->3. */
static void mkcase(struct slab *p, struct slab *r)
{
	static const float pv[] = { 0.9f, 0.8f, 0.6f, 0.2f,    0.3f, 0.6f, 0.7f, 0.1f,
		                    0.95f, 0.9f, 0.55f, 0.4f,  0.2f, 0.3f, 0.4f, 0.45f,
		                    0.7f, 0.2f, 0.2f, 1.0f };
	static const uint8_t rv[] = { 1, 1, 1, 1,  1, 1, 0, 0,  255, 255, 255, 255,
		                      0, 0, 0, 1,  255, 255, 255, 255 };
	CHECK(slab_alloc(p, "c", 4, 1, 5, 1, SLAB_F32) == 0);
	CHECK(slab_alloc(r, "c", 4, 1, 5, 1, SLAB_U8) == 0);
	memcpy(p->data, pv, sizeof pv);
	memcpy(r->data, rv, sizeof rv);
	CHECK(slab_set_extra(r, "SLICES", ". g . 3 .") == 0);
}

static void label(void)
{
	struct slab p, r, o;
	struct pseudo_rule rule = PSEUDO_RULE_DEFAULT;
	const unsigned char all[] = { 1, 1, 1, 1, 1 }, some[] = { 1, 0, 1, 1, 0 };
	mkcase(&p, &r);
	/* binary at theta 0.8 */
	const uint8_t bin[] = { 1, 1, 0, 0,  0, 0, 0, 0,  1, 1, 0, 0,  0, 0, 0, 0,  0, 0, 0, 1 };
	CHECK(pseudo_label(&o, &p, all, NULL, &rule, "p", NULL, NULL) == 0);
	CHECK(o.type == SLAB_U8 && o.nz == 5 && !strcmp(o.name, "c") && same(o.data, bin, 20));
	slab_free(&o);
	/* band at 0.7: p >= 0.7 -> 1, p <= 0.3 -> 0; as floats 0.7f < 0.7 and
	 * 0.3f > 1 - 0.7, so both stay 255 */
	const uint8_t band[] = { 1, 1, 255, 0,  255, 255, 255, 0,  1, 1, 255, 255,
		                 0, 255, 255, 255,  255, 0, 0, 1 };
	rule.theta = 0.7, rule.band = 1;
	CHECK(pseudo_label(&o, &p, all, NULL, &rule, "p", NULL, NULL) == 0);
	CHECK(same(o.data, band, 20));
	slab_free(&o);
	/* adaptive, clamp [0.5, 0.99]: z0 n 2 t 0.8; z1 n 2 t 0.6; z2 n 2 (the
	 * lower neighbour of the tie) t 0.9; z3 n 1 t 0.45 -> 0.5; z4 n 1 t 1 -> 0.99 */
	const uint8_t ad[] = { 1, 1, 0, 0,  0, 1, 1, 0,  1, 1, 0, 0,  0, 0, 0, 0,  0, 0, 0, 1 };
	rule = (struct pseudo_rule)PSEUDO_RULE_DEFAULT;
	rule.adaptive = 1;
	FILE *tr = tmpfile();
	CHECK(pseudo_label(&o, &p, all, &r, &rule, "p", "r", tr) == 0);
	CHECK(same(o.data, ad, 20));
	slab_free(&o);
	char buf[512] = "";
	rewind(tr);
	size_t got = fread(buf, 1, sizeof buf - 1, tr);
	buf[got] = 0;
	fclose(tr);
	CHECK(!strcmp(buf, "test_pseudo: c z 0: n 2, t 0.800000012\n"
	                   "test_pseudo: c z 1: n 2, t 0.600000024\n"
	                   "test_pseudo: c z 2: n 2, t 0.899999976\n"
	                   "test_pseudo: c z 3: n 1, t 0.5\n"
	                   "test_pseudo: c z 4: n 1, t 0.99\n"));
	/* only the wanted slices; the others 255 */
	const uint8_t ads[] = { 1, 1, 0, 0,  255, 255, 255, 255,  1, 1, 0, 0,  0, 0, 0, 0,
		                255, 255, 255, 255 };
	CHECK(pseudo_label(&o, &p, some, &r, &rule, "p", "r", NULL) == 0);
	CHECK(same(o.data, ads, 20));
	slab_free(&o);
	/* confine 1 at theta 0.5: z0..z2 keep x 0..2 (slice 1's foreground
	 * grown), z3 and z4 keep x 2..3 (slice 3's) */
	const uint8_t cf[] = { 1, 1, 1, 0,  0, 1, 1, 0,  1, 1, 1, 0,  0, 0, 0, 0,  0, 0, 0, 1 };
	rule = (struct pseudo_rule)PSEUDO_RULE_DEFAULT;
	rule.theta = 0.5, rule.radius = 1;
	CHECK(pseudo_label(&o, &p, all, &r, &rule, "p", "r", NULL) == 0);
	CHECK(same(o.data, cf, 20));
	slab_free(&o);
	/* confine 0 with adaptive: p outside counts as 0, also in the ranking:
	 * z0 keeps x 0..1, n 2 -> t 0.8; z3 keeps x 3, n 1 -> 0.45 -> 0.5 */
	const uint8_t ca[] = { 1, 1, 0, 0,  0, 1, 0, 0,  1, 1, 0, 0,  0, 0, 0, 0,  0, 0, 0, 1 };
	rule.radius = 0, rule.adaptive = 1;
	CHECK(pseudo_label(&o, &p, all, &r, &rule, "p", "r", NULL) == 0);
	CHECK(same(o.data, ca, 20));
	slab_free(&o);
	/* without SLICES every slice with a label counts: slice 0 (4 foreground)
	 * is nearest to z0, so t is its 4th largest, 0.2 */
	struct slab r2;
	CHECK(slab_alloc(&r2, "c", 4, 1, 5, 1, SLAB_U8) == 0);
	memcpy(r2.data, r.data, 20);
	rule = (struct pseudo_rule)PSEUDO_RULE_DEFAULT;
	rule.adaptive = 1, rule.lo = 0, rule.hi = 1;
	CHECK(pseudo_label(&o, &p, all, &r2, &rule, "p", "r", NULL) == 0);
	CHECK(((uint8_t *)o.data)[3] == 1);
	slab_free(&o);
	CHECK(pseudo_label(&o, &p, all, &r, &rule, "p", "r", NULL) == 0);
	CHECK(((uint8_t *)o.data)[3] == 0);
	slab_free(&o);
	slab_free(&p), slab_free(&r), slab_free(&r2);
}

static void label_errors(void)
{
	struct slab p, r, o, u;
	struct pseudo_rule rule = PSEUDO_RULE_DEFAULT;
	const unsigned char all[] = { 1, 1, 1, 1, 1 }, one[] = { 1, 0, 0, 0, 0 };
	mkcase(&p, &r);
	rule.adaptive = 1;
	/* a rule that needs a reference, without one */
	CHECK(pseudo_label(&o, &p, all, NULL, &rule, "p", NULL, NULL) == -1 && !o.data);
	/* no labelled slice */
	CHECK(slab_set_extra(&r, "SLICES", ". . . . .") == 0);
	CHECK(pseudo_label(&o, &p, all, &r, &rule, "p", "r", NULL) == -1 && !o.data);
	/* a bad SLICES value */
	CHECK(slab_set_extra(&r, "SLICES", ". g . x .") == 0);
	CHECK(pseudo_label(&o, &p, all, &r, &rule, "p", "r", NULL) == -1);
	CHECK(slab_set_extra(&r, "SLICES", ". g . 3 .") == 0);
	/* a reference value that is no label */
	((uint8_t *)r.data)[17] = 2;
	CHECK(pseudo_label(&o, &p, all, &r, &rule, "p", "r", NULL) == -1);
	((uint8_t *)r.data)[17] = 255;
	/* another case's reference */
	strcpy(r.name, "d");
	CHECK(pseudo_label(&o, &p, all, &r, &rule, "p", "r", NULL) == -1);
	strcpy(r.name, "c");
	/* a probability outside [0, 1] in a wanted slice, and in one left out */
	((float *)p.data)[6] = 1.5f;
	CHECK(pseudo_label(&o, &p, all, &r, &rule, "p", "r", NULL) == -1 && !o.data);
	CHECK(pseudo_label(&o, &p, one, &r, &rule, "p", "r", NULL) == 0);
	slab_free(&o);
	/* not a probability slab */
	CHECK(classes_of_prob(&r, NULL, "r") == -1 && classes_of_prob(&p, NULL, "p") == 0);
	CHECK(slab_alloc(&u, "c", 4, 1, 5, 2, SLAB_F32) == 0);
	CHECK(classes_of_prob(&u, NULL, "u") == -1);
	CHECK(pseudo_label(&o, &r, all, &r, &rule, "p", "r", NULL) == -1);
	slab_free(&u), slab_free(&p), slab_free(&r);
}

/* ---- multi-class (C channels, CLASSES C) ---- */

/* A C-channel probability slab nx x ny x nz with CLASSES C, samples v
 * (plane by plane: z, then channel), and an empty label map like it. */
static void mkclasses(struct slab *p, int nx, int ny, int nz, int C, const float *v)
{
	char num[8];
	CHECK(slab_alloc(p, "m", nx, ny, nz, C, SLAB_F32) == 0);
	snprintf(num, sizeof num, "%d", C);
	CHECK(slab_set_extra(p, CLASSES_KEY, num) == 0);
	if (v)
		memcpy(p->data, v, slab_bytes(p));
}

static void mklabels(struct slab *r, int nx, int ny, int nz, int C, const uint8_t *v)
{
	char num[8];
	CHECK(slab_alloc(r, "m", nx, ny, nz, 1, SLAB_U8) == 0);
	snprintf(num, sizeof num, "%d", C);
	if (C != 2)
		CHECK(slab_set_extra(r, CLASSES_KEY, num) == 0);
	if (v)
		memcpy(r->data, v, slab_bytes(r));
}

static void classify(void)
{
	/* 6 pixels, 3 classes; planes p0, p1, p2 */
	const float p[] = { 0.1f, 0.5f, 0.25f, 0.125f, 0.25f, 0.375f,
		            0.8f, 0.25f, 0.5f, 0.4375f, 0.375f, 0.25f,
		            0.1f, 0.25f, 0.25f, 0.4375f, 0.375f, 0.375f };
	uint8_t q[6];
	double t[3] = { -1, 0.75, 0.75 };
	/* theta 0.75: only pixel 0 is confident (class 1); binary: the rest 0 */
	const uint8_t bin[] = { 1, 0, 0, 0, 0, 0 };
	pseudo_classify(p, 6, 3, t, 0.75, 0, q);
	CHECK(same(q, bin, 6));
	/* band: no candidate and p_0 < 0.75 -> 255 */
	const uint8_t band[] = { 1, 255, 255, 255, 255, 255 };
	pseudo_classify(p, 6, 3, t, 0.75, 1, q);
	CHECK(same(q, band, 6));
	/* band theta 0.5: pixel 1 has p_0 = 0.5 >= 0.5 -> 0; pixel 2 class 1 at 0.5 */
	t[1] = t[2] = 0.5;
	const uint8_t band5[] = { 1, 0, 1, 255, 255, 255 };
	pseudo_classify(p, 6, 3, t, 0.5, 1, q);
	CHECK(same(q, band5, 6));
	/* low thresholds: several candidates, the larger p wins, ties the lower
	 * class (pixel 3: 0.4375 twice -> 1; pixel 4: 0.375 twice -> 1) */
	t[1] = t[2] = 0.3;
	const uint8_t low[] = { 1, 0, 1, 1, 1, 2 };
	pseudo_classify(p, 6, 3, t, 0.75, 0, q);
	CHECK(same(q, low, 6));
	/* per-class thresholds: class 2 at 0.3, class 1 at 0.9 (a class that ended) */
	t[1] = 0.9, t[2] = 0.3;
	const uint8_t per[] = { 0, 0, 0, 2, 2, 2 };
	pseudo_classify(p, 6, 3, t, 0.75, 0, q);
	CHECK(same(q, per, 6));
	const uint8_t perband[] = { 255, 255, 255, 2, 2, 2 };
	pseudo_classify(p, 6, 3, t, 0.75, 1, q);
	CHECK(same(q, perband, 6));
	/* confine by class: class 2 at (0, 0) only; class 1 at (3, 0) */
	uint8_t m[8] = { 2, 0, 0, 1, 255, 0, 0, 0 }, tmp[8], allow[8];
	const uint8_t a2[] = { 1, 1, 0, 0, 1, 1, 0, 0 }, a1[] = { 0, 0, 1, 1, 0, 0, 1, 1 };
	pseudo_confine_class(m, 4, 2, 2, 1, tmp, allow);
	CHECK(same(allow, a2, 8));
	pseudo_confine_class(m, 4, 2, 1, 1, tmp, allow);
	CHECK(same(allow, a1, 8));
}

/* A 3-class case written out: 4 x 1 x 3, the reference labels slice 0
 * (SLICES g . .): class 1 at x = 0, class 2 at x = 2 and 3. */
static void label_classes(void)
{
	static const float pv[] = {
		/* z 0: p0, p1, p2 */
		0.1f, 0.1f, 0.1f, 0.1f,  0.8f, 0.1f, 0.1f, 0.1f,  0.1f, 0.8f, 0.8f, 0.8f,
		/* z 1 */
		0.25f, 0.125f, 0.25f, 0.5f,  0.625f, 0.75f, 0.125f, 0.25f,  0.125f, 0.125f, 0.625f, 0.25f,
		/* z 2: class 1 gone, class 2 continues */
		0.875f, 0.875f, 0.125f, 0.25f,  0.0625f, 0.0625f, 0, 0,  0.0625f, 0.0625f, 0.875f, 0.75f };
	static const uint8_t rv[] = { 1, 0, 2, 2,  255, 255, 255, 255,  255, 255, 255, 255 };
	const unsigned char all[] = { 1, 1, 1 };
	struct pseudo_rule rule = PSEUDO_RULE_DEFAULT;
	struct slab p, r, o;
	mkclasses(&p, 4, 1, 3, 3, pv);
	mklabels(&r, 4, 1, 3, 3, rv);
	CHECK(slab_set_extra(&p, CLASS_NAMES_KEY, "bg ant post") == 0);
	CHECK(slab_set_extra(&r, CLASS_NAMES_KEY, "bg ant post") == 0);
	CHECK(slab_set_extra(&r, "SLICES", "g . .") == 0);
	/* binary at 0.7: z0 .8 .8 .8 .8 pass; z1 only x1 (p1 .75); z2 x2 and x3 (p2) */
	const uint8_t bin[] = { 1, 2, 2, 2,  0, 1, 0, 0,  0, 0, 2, 2 };
	rule.theta = 0.7;
	CHECK(pseudo_label(&o, &p, all, NULL, &rule, "p", NULL, NULL) == 0);
	CHECK(same(o.data, bin, 12));
	/* the output keeps the probabilities' classes and is a label map of them */
	struct classes k;
	CHECK(classes_get(&o, &k, "o") == 0 && k.n == 3 && !strcmp(k.names[2], "post"));
	CHECK(o.nc == 1 && o.type == SLAB_U8);
	slab_free(&o);
	/* band at 0.7: no candidate -> 0 where p0 >= .7 (z2 x0, x1), else 255 */
	const uint8_t band[] = { 1, 2, 2, 2,  255, 1, 255, 255,  0, 0, 2, 2 };
	rule.band = 1;
	CHECK(pseudo_label(&o, &p, all, NULL, &rule, "p", NULL, NULL) == 0);
	CHECK(same(o.data, band, 12));
	slab_free(&o);
	/* adaptive (lo .5, hi .99), n_1 = 1, n_2 = 2 from slice 0 everywhere.
	 * z0: t1 = .8, t2 = .8 (the 2nd largest p2). z1: t1 = .75 (x1), t2 =
	 * .25 clamped to .5 (x2, .625). z2: t1 = .0625 clamped to .5 (class 1
	 * ends), t2 = .75 (x2, x3). */
	const uint8_t ad[] = { 1, 2, 2, 2,  0, 1, 2, 0,  0, 0, 2, 2 };
	rule.band = 0, rule.adaptive = 1;
	CHECK(pseudo_label(&o, &p, all, &r, &rule, "p", "r", NULL) == 0);
	CHECK(same(o.data, ad, 12));
	slab_free(&o);
	/* band: z1 x0 (p0 .25) and x3 (p0 .5) have no candidate -> 255 */
	const uint8_t adband[] = { 1, 2, 2, 2,  255, 1, 2, 255,  0, 0, 2, 2 };
	rule.band = 1;
	CHECK(pseudo_label(&o, &p, all, &r, &rule, "p", "r", NULL) == 0);
	CHECK(same(o.data, adband, 12));
	slab_free(&o);
	/* confine R = 0 (theta .7): class 1 only at x0, class 2 only at x2, x3;
	 * z1 x1 (p1 .75) is outside class 1's region -> 0 */
	const uint8_t cf[] = { 1, 0, 2, 2,  0, 0, 0, 0,  0, 0, 2, 2 };
	rule.band = 0, rule.adaptive = 0, rule.radius = 0;
	CHECK(pseudo_label(&o, &p, all, &r, &rule, "p", "r", NULL) == 0);
	CHECK(same(o.data, cf, 12));
	slab_free(&o);
	/* band: the background takes the moved mass: z0 x1 p0 = .1 + .1 + .8 = 1
	 * -> 0; z1 x0 .25 + .125 -> 255, x1 .125 + .75 + .125 -> 0, x2 .25 +
	 * .125 -> 255, x3 .5 + .25 -> 0 */
	const uint8_t cfband[] = { 1, 0, 2, 2,  255, 0, 255, 0,  0, 0, 2, 2 };
	rule.band = 1;
	CHECK(pseudo_label(&o, &p, all, &r, &rule, "p", "r", NULL) == 0);
	CHECK(same(o.data, cfband, 12));
	slab_free(&o);
	/* the trace names each class */
	char *buf = NULL;
	size_t len = 0;
	FILE *tr = open_memstream(&buf, &len);
	rule.band = 0, rule.radius = -1, rule.adaptive = 1;
	CHECK(tr && pseudo_label(&o, &p, all, &r, &rule, "p", "r", tr) == 0);
	fclose(tr);
	CHECK(buf && strstr(buf, "test_pseudo: m z 2 class 2: n 2, t 0.75\n") &&
	      strstr(buf, "test_pseudo: m z 2 class 1: n 1, t 0.5\n"));
	free(buf);
	slab_free(&o), slab_free(&p), slab_free(&r);
}

static unsigned rnd_state = 12345;
static unsigned rnd(unsigned n)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return (rnd_state >> 8) % n;
}

/* The multi-class rules of pseudo.h computed the slow way, written apart
 * from pseudo.c: label map lab (nx*ny*nz) of probabilities p (C channels)
 * under r with reference ref (NULL without). */
static void brute(const struct slab *p, const struct slab *ref, const struct pseudo_rule *r,
                  uint8_t *lab)
{
	int nx = p->nx, ny = p->ny, nz = p->nz, C = p->nc, per = nx * ny;
	const uint8_t *m = ref ? ref->data : NULL;
	float q[CLASSES_MAX][64];
	double t[CLASSES_MAX];
	for (int z = 0; z < nz; z++) {
		int near = -1;
		if (m) /* nearest labelled slice (any label; no SLICES key here) */
			for (int d = 0; d < nz && near < 0; d++)
				for (int s2 = -1; s2 <= 1 && near < 0; s2 += 2) {
					int zz = z + s2 * d;
					if (zz < 0 || zz >= nz)
						continue;
					for (int i = 0; i < per; i++)
						if (m[zz * per + i] != 255)
							near = zz;
				}
		for (int c = 0; c < C; c++)
			for (int i = 0; i < per; i++)
				q[c][i] = ((const float *)p->data)[(z * C + c) * per + i];
		if (r->radius >= 0)
			for (int k = 1; k < C; k++)
				for (int i = 0; i < per; i++) {
					int ok = 0;
					for (int j = 0; j < per; j++) {
						int dx = abs(i % nx - j % nx), dy = abs(i / nx - j / nx);
						if (m[near * per + j] == k && dx <= r->radius && dy <= r->radius)
							ok = 1;
					}
					if (!ok)
						q[0][i] += q[k][i], q[k][i] = 0;
				}
		for (int k = 1; k < C; k++) {
			long n = 0;
			double sum = 0;
			t[k] = r->theta;
			if (!r->adaptive)
				continue;
			for (int i = 0; i < per; i++)
				n += m[near * per + i] == k, sum += q[k][i];
			if (r->soft && sum + 0.5 < n)
				n = (long)(sum + 0.5);
			if (n == 0) {
				t[k] = r->hi;
				continue;
			}
			/* the n-th largest: a value v with fewer than n above it and
			 * at least n at or above it */
			for (int i = 0; i < per; i++) {
				int above = 0, atabove = 0;
				for (int j = 0; j < per; j++)
					above += q[k][j] > q[k][i], atabove += q[k][j] >= q[k][i];
				if (above < n && atabove >= n)
					t[k] = q[k][i];
			}
			t[k] = t[k] < r->lo ? r->lo : t[k] > r->hi ? r->hi : t[k];
		}
		for (int i = 0; i < per; i++) {
			int best = 0;
			float bp = -1;
			for (int k = C - 1; k >= 1; k--)
				if (q[k][i] >= t[k] && q[k][i] >= bp)
					best = k, bp = q[k][i];
			lab[z * per + i] = best ? best : !r->band || q[0][i] >= r->theta ? 0 : 255;
		}
	}
}

/* A random rule: theta, lo, hi on a grid of eighths (some below 0.5). */
static void random_rule(struct pseudo_rule *r, int withref)
{
	*r = (struct pseudo_rule)PSEUDO_RULE_DEFAULT;
	r->band = rnd(2);
	r->theta = (r->band ? 4 + rnd(5) : rnd(9)) / 8.0;
	if (!withref)
		return;
	r->adaptive = rnd(2);
	r->soft = r->adaptive && rnd(2);
	r->lo = rnd(9) / 8.0;
	r->hi = r->lo + rnd(9 - (unsigned)(r->lo * 8)) / 8.0;
	r->radius = r->adaptive && rnd(2) ? -1 : (int)rnd(3);
}

static void random_classes(void)
{
	const unsigned char all[] = { 1, 1, 1, 1, 1, 1 };
	int fails = 0;
	for (int trial = 0; trial < 400; trial++) {
		int C = 3 + rnd(3), nx = 1 + rnd(5), ny = 1 + rnd(4), nz = 1 + rnd(5), per = nx * ny;
		struct slab p, r, o;
		struct pseudo_rule rule;
		uint8_t want[6 * 64];
		int withref = rnd(4) != 0;
		mkclasses(&p, nx, ny, nz, C, NULL);
		mklabels(&r, nx, ny, nz, C, NULL);
		/* probabilities in sixteenths (ties likely), summing to 1 */
		for (int z = 0; z < nz; z++)
			for (int i = 0; i < per; i++) {
				int left = 16;
				for (int c = C - 1; c >= 1; c--) {
					int v = (int)rnd((unsigned)left + 1);
					((float *)p.data)[(z * C + c) * per + i] = v / 16.0f;
					left -= v;
				}
				((float *)p.data)[(z * C) * per + i] = left / 16.0f;
			}
		for (int z = 0; z < nz; z++) {
			int lab = z == 0 || rnd(3) == 0;
			for (int i = 0; i < per; i++)
				((uint8_t *)r.data)[z * per + i] = lab ? (uint8_t)rnd((unsigned)C) : 255;
		}
		random_rule(&rule, withref);
		brute(&p, withref ? &r : NULL, &rule, want);
		CHECK(pseudo_label(&o, &p, all, withref ? &r : NULL, &rule, "p", "r", NULL) == 0);
		if (o.data && memcmp(o.data, want, (size_t)per * nz) && fails++ < 5)
			fprintf(stderr, "trial %d: C %d %dx%dx%d theta %g band %d adaptive %d soft %d "
			        "lo %g hi %g radius %d: labels differ from brute force\n", trial, C, nx,
			        ny, nz, rule.theta, rule.band, rule.adaptive, rule.soft, rule.lo,
			        rule.hi, rule.radius);
		slab_free(&o), slab_free(&p), slab_free(&r);
	}
	CHECK(fails == 0);
}

/* C = 2: a 2-channel softmax slab (CLASSES 2, p0 = 1 - p1, exact in
 * sixty-fourths) gives the one-channel labels of p1 under every rule. */
static void two_classes(void)
{
	const unsigned char all[] = { 1, 1, 1, 1, 1, 1 };
	int fails = 0;
	for (int trial = 0; trial < 400; trial++) {
		int nx = 1 + rnd(5), ny = 1 + rnd(4), nz = 1 + rnd(5), per = nx * ny;
		struct slab p1, p2, r, o1, o2;
		struct pseudo_rule rule;
		int withref = rnd(4) != 0;
		CHECK(slab_alloc(&p1, "m", nx, ny, nz, 1, SLAB_F32) == 0);
		mkclasses(&p2, nx, ny, nz, 2, NULL);
		mklabels(&r, nx, ny, nz, 2, NULL);
		for (int z = 0; z < nz; z++)
			for (int i = 0; i < per; i++) {
				float v = rnd(65) / 64.0f;
				((float *)p1.data)[z * per + i] = v;
				((float *)p2.data)[(z * 2 + 1) * per + i] = v;
				((float *)p2.data)[(z * 2) * per + i] = 1 - v;
			}
		for (int z = 0; z < nz; z++) {
			int lab = z == 0 || rnd(3) == 0;
			for (int i = 0; i < per; i++)
				((uint8_t *)r.data)[z * per + i] = lab ? (uint8_t)rnd(2) : 255;
		}
		random_rule(&rule, withref);
		CHECK(pseudo_label(&o1, &p1, all, withref ? &r : NULL, &rule, "p", "r", NULL) == 0);
		CHECK(pseudo_label(&o2, &p2, all, withref ? &r : NULL, &rule, "p", "r", NULL) == 0);
		if (o1.data && o2.data && memcmp(o1.data, o2.data, (size_t)per * nz) && fails++ < 5)
			fprintf(stderr, "trial %d: %dx%dx%d theta %g band %d adaptive %d soft %d lo %g "
			        "hi %g radius %d: 2 channels differ from 1\n", trial, nx, ny, nz,
			        rule.theta, rule.band, rule.adaptive, rule.soft, rule.lo, rule.hi,
			        rule.radius);
		slab_free(&o1), slab_free(&o2), slab_free(&p1), slab_free(&p2), slab_free(&r);
	}
	CHECK(fails == 0);
}

/* The merged rule (-M): on random C-class slabs it is the one-channel rule
 * on f = p_1 + ... + p_{C-1} against the reference's foreground as 0/1,
 * each foreground pixel then the class of the largest p_k (ties lower),
 * computed here by hand; and a known answer where a class the neighbour
 * does not show appears. */
static void merged(void)
{
	const unsigned char all[] = { 1, 1, 1, 1, 1, 1 };
	int fails = 0;
	for (int trial = 0; trial < 400; trial++) {
		int C = 3 + rnd(3), nx = 1 + rnd(5), ny = 1 + rnd(4), nz = 1 + rnd(5), per = nx * ny;
		struct slab p, f, r, rb, o, ob;
		struct pseudo_rule rule;
		int withref = rnd(4) != 0;
		mkclasses(&p, nx, ny, nz, C, NULL);
		mklabels(&r, nx, ny, nz, C, NULL);
		CHECK(slab_alloc(&f, "m", nx, ny, nz, 1, SLAB_F32) == 0);
		mklabels(&rb, nx, ny, nz, 2, NULL);
		for (int z = 0; z < nz; z++)
			for (int i = 0; i < per; i++) {
				int left = 16;
				for (int c = C - 1; c >= 1; c--) {
					int v = (int)rnd((unsigned)left + 1);
					((float *)p.data)[(z * C + c) * per + i] = v / 16.0f;
					left -= v;
				}
				((float *)p.data)[(z * C) * per + i] = left / 16.0f;
				((float *)f.data)[z * per + i] = (16 - left) / 16.0f;
			}
		for (int z = 0; z < nz; z++) {
			int lab = z == 0 || rnd(3) == 0;
			for (int i = 0; i < per; i++) {
				uint8_t v = lab ? (uint8_t)rnd((unsigned)C) : 255;
				((uint8_t *)r.data)[z * per + i] = v;
				((uint8_t *)rb.data)[z * per + i] = v == 255 ? 255 : v > 0;
			}
		}
		random_rule(&rule, withref);
		CHECK(pseudo_label(&ob, &f, all, withref ? &rb : NULL, &rule, "f", "r", NULL) == 0);
		rule.merged = 1;
		CHECK(pseudo_label(&o, &p, all, withref ? &r : NULL, &rule, "p", "r", NULL) == 0);
		for (int z = 0; ob.data && z < nz; z++)
			for (int i = 0; i < per; i++) {
				uint8_t *q = (uint8_t *)ob.data + z * per + i;
				const float *v = (const float *)p.data + z * C * per + i;
				int best = 1;
				if (*q != 1)
					continue;
				for (int c = 2; c < C; c++)
					if (v[c * per] > v[best * per])
						best = c;
				*q = (uint8_t)best;
			}
		if (o.data && ob.data && memcmp(o.data, ob.data, (size_t)per * nz) && fails++ < 5)
			fprintf(stderr, "merged trial %d: C %d %dx%dx%d theta %g band %d adaptive %d "
			        "radius %d: labels differ from the one-channel rule\n", trial, C, nx, ny,
			        nz, rule.theta, rule.band, rule.adaptive, rule.radius);
		slab_free(&o), slab_free(&ob), slab_free(&p), slab_free(&f), slab_free(&r),
			slab_free(&rb);
	}
	CHECK(fails == 0);

	/* 3 pixels in a row, slice 1 labelled 1 1 0, slice 0 to label (band,
	 * theta 0.8, confine 0): pixel 0 is class 2 (p 0.1 0.1 0.8), pixel 1
	 * split between 1 and 2 (0.05 0.5 0.45), pixel 2 class 2 outside the
	 * neighbour's foreground. Per class: class 2 is outside class 2's
	 * (empty) neighbourhood, so pixel 0 goes to the background and pixel 1
	 * has no class at 0.8; merged: f = 0.9 0.95 0.9 -> 2, 1, and 0 (confined). */
	const float v[] = { 0.1f, 0.05f, 0.1f, 0.1f, 0.5f, 0.0f, 0.8f, 0.45f, 0.9f,
		            1, 1, 1, 0, 0, 0, 0, 0, 0 };
	const uint8_t lab[] = { 255, 255, 255, 1, 1, 0 };
	const unsigned char first[] = { 1, 0 };
	const uint8_t per_class[] = { 0, 255, 0 }, merged_want[] = { 2, 1, 0 };
	struct slab p, r, o;
	struct pseudo_rule rule = PSEUDO_RULE_DEFAULT;
	rule.band = 1;
	rule.radius = 0;
	mkclasses(&p, 3, 1, 2, 3, v);
	mklabels(&r, 3, 1, 2, 3, lab);
	CHECK(pseudo_label(&o, &p, first, &r, &rule, "p", "r", NULL) == 0);
	CHECK(o.data && same(o.data, per_class, 3));
	slab_free(&o);
	rule.merged = 1;
	CHECK(pseudo_label(&o, &p, first, &r, &rule, "p", "r", NULL) == 0);
	CHECK(o.data && same(o.data, merged_want, 3));
	slab_free(&o), slab_free(&p), slab_free(&r);
}

/* Bad multi-class input: one line each, nothing made. */
static void classes_errors(void)
{
	const unsigned char all[] = { 1, 1 };
	struct pseudo_rule rule = PSEUDO_RULE_DEFAULT;
	struct slab p, r, o;
	struct classes k;
	mkclasses(&p, 2, 1, 2, 3, NULL);
	mklabels(&r, 2, 1, 2, 3, NULL);
	rule.adaptive = 1;
	CHECK(classes_of_prob(&p, &k, "p") == 0 && k.n == 3);
	CHECK(pseudo_label(&o, &p, all, &r, &rule, "p", "r", NULL) == 0);
	slab_free(&o);
	/* a reference label >= C */
	((uint8_t *)r.data)[1] = 3;
	CHECK(pseudo_label(&o, &p, all, &r, &rule, "p", "r", NULL) == -1 && !o.data);
	((uint8_t *)r.data)[1] = 2;
	/* the reference's classes differ: count, names */
	CHECK(slab_set_extra(&r, CLASSES_KEY, "4") == 0);
	CHECK(pseudo_label(&o, &p, all, &r, &rule, "p", "r", NULL) == -1 && !o.data);
	CHECK(slab_set_extra(&r, CLASSES_KEY, "3") == 0);
	CHECK(slab_set_extra(&r, CLASS_NAMES_KEY, "a b c") == 0);
	CHECK(pseudo_label(&o, &p, all, &r, &rule, "p", "r", NULL) == -1 && !o.data);
	slab_del_extra(&r, CLASS_NAMES_KEY);
	/* a binary reference to 3-class probabilities */
	slab_del_extra(&r, CLASSES_KEY);
	((uint8_t *)r.data)[1] = 1;
	CHECK(pseudo_label(&o, &p, all, &r, &rule, "p", "r", NULL) == -1 && !o.data);
	/* channels != C; a multi-channel slab without CLASSES; one channel of 3
	 * classes; a bad CLASSES value */
	CHECK(slab_set_extra(&p, CLASSES_KEY, "4") == 0);
	CHECK(classes_of_prob(&p, &k, "p") == -1);
	CHECK(pseudo_label(&o, &p, all, NULL, &rule, "p", NULL, NULL) == -1 && !o.data);
	CHECK(slab_set_extra(&p, CLASSES_KEY, "2") == 0);
	CHECK(classes_of_prob(&p, &k, "p") == -1);
	slab_del_extra(&p, CLASSES_KEY);
	CHECK(classes_of_prob(&p, &k, "p") == -1);
	CHECK(slab_set_extra(&p, CLASSES_KEY, "x") == 0);
	CHECK(classes_of_prob(&p, &k, "p") == -1);
	slab_free(&p);
	CHECK(slab_alloc(&p, "m", 2, 1, 2, 1, SLAB_F32) == 0);
	CHECK(slab_set_extra(&p, CLASSES_KEY, "3") == 0);
	CHECK(classes_of_prob(&p, &k, "p") == -1);
	CHECK(slab_set_extra(&p, CLASSES_KEY, "2") == 0);
	CHECK(classes_of_prob(&p, &k, "p") == 0 && k.n == 2);
	slab_free(&p);
	/* a probability outside [0, 1] in channel 2 */
	mkclasses(&p, 2, 1, 2, 3, NULL);
	((float *)p.data)[2 * 2 + 1] = -0.5f;
	rule.adaptive = 0;
	CHECK(pseudo_label(&o, &p, all, NULL, &rule, "p", NULL, NULL) == -1 && !o.data);
	slab_free(&p), slab_free(&r);
}

int main(void)
{
	progname = "test_pseudo";
	threshold();
	adaptive_threshold();
	confine();
	label();
	label_errors();
	classify();
	label_classes();
	random_classes();
	two_classes();
	merged();
	classes_errors();
	return CHECK_DONE();
}
