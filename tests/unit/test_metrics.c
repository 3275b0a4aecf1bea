/* Overlap metrics and summary statistics: known answers, every 0/0 case,
 * 255 left out, mask checks, and the sample standard deviation. */
#include "check.h"
#include "metrics.h"
#include "util.h"
#include <string.h>

int main(void)
{
	struct confusion c = { 0, 0, 0, 0, 0 };
	struct runstat st = { 0, 0, 0 };
	struct slab s;
	int u, m;
	size_t unl;
	/* pred 1 1 0 0 1 0, gt 1 0 1 255 255 0 */
	const uint8_t p[6] = { 1, 1, 0, 0, 1, 0 }, g[6] = { 1, 0, 1, 255, 255, 0 };
	uint8_t out[6];

	progname = "test_metrics";
	confusion_add(&c, p, g, 6);
	CHECK(c.tp == 1 && c.fp == 1 && c.fn == 1 && c.tn == 1 && c.ignored == 2);
	CHECK_NEAR(metric_value(&c, M_DSC, 1, &u), 0.5, 1e-15);
	CHECK(u == 0);
	CHECK_NEAR(metric_value(&c, M_IOU, 1, &u), 1.0 / 3, 1e-15);
	CHECK_NEAR(metric_value(&c, M_TPR, 1, &u), 0.5, 1e-15);
	CHECK_NEAR(metric_value(&c, M_TNR, 1, &u), 0.5, 1e-15);
	CHECK_NEAR(metric_value(&c, M_PRECISION, 1, &u), 0.5, 1e-15);

	/* both empty: DSC, IoU, TPR, precision are 0/0; TNR is 1 */
	memset(&c, 0, sizeof c);
	c.tn = 10;
	for (m = 0; m < M_COUNT; m++) {
		double v = metric_value(&c, m, 0.25, &u);
		CHECK(u == (m != M_TNR));
		CHECK_NEAR(v, m == M_TNR ? 1 : 0.25, 0);
	}
	CHECK(isnan(metric_value(&c, M_DSC, NAN, &u)) && u == 1);
	/* prediction empty, ground truth not: DSC 0, precision 0/0 */
	c.fn = 3;
	CHECK(metric_value(&c, M_DSC, 1, &u) == 0 && u == 0);
	CHECK(metric_value(&c, M_PRECISION, 1, &u) == 1 && u == 1);
	/* ground truth all foreground: TNR 0/0 */
	memset(&c, 0, sizeof c);
	c.tp = 4;
	CHECK(metric_value(&c, M_TNR, 0, &u) == 0 && u == 1);

	/* sample sd of 1, 2, 3, 4 is sqrt(5/3); one value has no sd */
	stat_add(&st, 1);
	CHECK(isnan(stat_sd(&st)));
	stat_add(&st, 2), stat_add(&st, 3), stat_add(&st, 4);
	CHECK_NEAR(st.mean, 2.5, 1e-15);
	CHECK_NEAR(stat_sd(&st), sqrt(5.0 / 3), 1e-15);

	/* mask checks: u8 predictions 0/1 only, f32 thresholded, gt 0/1/255 */
	CHECK(slab_alloc(&s, "m", 6, 1, 1, 1, SLAB_U8) == 0);
	memcpy(s.data, g, 6);
	CHECK(gt_check(&s, &unl, "t") == 0 && unl == 2);
	fprintf(stderr, "(two error messages are expected next)\n");
	CHECK(pred_mask(out, &s, 0.5, "t") == -1);
	((uint8_t *)s.data)[0] = 7;
	CHECK(gt_check(&s, &unl, "t") == -1);
	slab_free(&s);
	CHECK(slab_alloc(&s, "f", 4, 1, 1, 1, SLAB_F32) == 0);
	((float *)s.data)[0] = 0.5f, ((float *)s.data)[1] = 0.49f, ((float *)s.data)[2] = 1;
	CHECK(pred_mask(out, &s, 0.5, "t") == 0);
	CHECK(out[0] == 1 && out[1] == 0 && out[2] == 1 && out[3] == 0);
	slab_free(&s);
	return CHECK_DONE();
}
