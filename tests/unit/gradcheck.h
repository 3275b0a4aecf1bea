/* gradcheck.h: central finite differences of a double-accumulated loss,
 * compared with an analytic gradient; the worst relative error per tensor. */
#ifndef SL_GRADCHECK_H
#define SL_GRADCHECK_H
#include <math.h>
#include <stdio.h>
#include <stddef.h>

/* The loss at the current values; *ok = 0 when this evaluation must not
 * be used (e.g. a ReLU or max-pool decision flipped). */
typedef double (*gc_loss)(void *ctx, int *ok);

/* Compare g[i] with (L(x_i + h) - L(x_i - h)) / 2h for up to `samples`
 * elements of x (evenly spread, all when n <= samples), with the largest of
 * h, h/4, h/16, h/64 for which f says ok. The relative error
 * is |a - d| / max(|a|, |d|, floor), floor = 1e-3 * max |g| (errors on
 * gradients a thousand times smaller than the tensor's largest are rounding).
 * Prints one line and returns the worst relative error. */
static double gc_tensor(const char *name, float *x, const float *g, size_t n, size_t samples,
                        float h, gc_loss f, void *ctx)
{
	double gmax = 0, worst = 0;
	size_t step = n <= samples ? 1 : n / samples, used = 0, skipped = 0;
	for (size_t i = 0; i < n; i++)
		if (fabs(g[i]) > gmax)
			gmax = fabs(g[i]);
	for (size_t i = 0; i < n; i += step) {
		/* the largest of h, h/4, h/16, h/64 whose evaluations are usable */
		float save = x[i], xp = save, xm = save;
		double lp = 0, lm = 0, hh = h;
		int ok = 0;
		for (int t = 0; t < 4 && !ok; t++, hh /= 4) {
			int okp = 1, okm = 1;
			xp = (float)(save + hh), xm = (float)(save - hh);
			x[i] = xp;
			lp = f(ctx, &okp);
			x[i] = xm;
			lm = f(ctx, &okm);
			ok = okp && okm;
		}
		x[i] = save;
		if (!ok) {
			skipped++;
			continue;
		}
		double d = (lp - lm) / ((double)xp - (double)xm), a = g[i];
		double den = fmax(fmax(fabs(a), fabs(d)), 1e-3 * gmax + 1e-30);
		double e = fabs(a - d) / den;
		if (e > worst)
			worst = e;
		used++;
	}
	printf("gradcheck %-24s n=%-7zu checked=%-4zu skipped=%-3zu max|g|=%-10.3g worst rel err %.2e\n",
	       name, n, used, skipped, gmax, worst);
	return worst;
}
#endif
