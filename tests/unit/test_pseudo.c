/* test_pseudo: the pseudo-labelling rules (lib/pseudo.h) on known answers. */
#include "check.h"
#include "provenance.h"
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
	CHECK(pseudo_check_prob(&r, "r") == -1 && pseudo_check_prob(&p, "p") == 0);
	CHECK(slab_alloc(&u, "c", 4, 1, 5, 2, SLAB_F32) == 0);
	CHECK(pseudo_check_prob(&u, "u") == -1);
	CHECK(pseudo_label(&o, &r, all, &r, &rule, "p", "r", NULL) == -1);
	slab_free(&u), slab_free(&p), slab_free(&r);
}

int main(void)
{
	progname = "test_pseudo";
	threshold();
	adaptive_threshold();
	confine();
	label();
	label_errors();
	return CHECK_DONE();
}
