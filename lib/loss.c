/* loss.c: binary cross-entropy, class-weighted BCE and soft Dice on
 * logits (see loss.h). */
#include "loss.h"

#include <math.h>

float sigmoidf(float z)
{
	if (z >= 0)
		return 1.0f / (1.0f + expf(-z));
	float e = expf(z);
	return e / (1.0f + e);
}

size_t loss_labelled(const uint8_t *mask, size_t n)
{
	size_t cnt = 0;
	for (size_t i = 0; i < n; i++)
		cnt += mask[i] != 255;
	return cnt;
}

double wbce_forward(const float *logit, const uint8_t *mask, const float *sw, int N, size_t P,
                    double pw, size_t *nlab)
{
	double s = 0;
	size_t cnt = 0;
	for (int n = 0; n < N; n++) {
		double wn = sw ? sw[n] : 1.0, sn = 0;
		for (size_t i = 0; i < P; i++) {
			uint8_t m = mask[n * P + i];
			if (m == 255)
				continue;
			double z = logit[n * P + i];
			double l = (z > 0 ? z : 0) - z * (m ? 1 : 0) + log1p(exp(-fabs(z)));
			sn += m ? pw * l : l;
			cnt++;
		}
		s += wn * sn;
	}
	if (nlab)
		*nlab = cnt;
	return cnt ? s / cnt : 0;
}

void wbce_backward(float *dlogit, const float *logit, const uint8_t *mask, const float *sw,
                   int N, size_t P, double pw, double scale)
{
	size_t cnt = loss_labelled(mask, (size_t)N * P);
	if (!cnt)
		return;
	for (int n = 0; n < N; n++) {
		double g = (sw ? sw[n] : 1.0) * scale / cnt;
		float g0 = (float)g, g1 = (float)(g * pw);
		for (size_t i = 0; i < P; i++) {
			uint8_t m = mask[n * P + i];
			if (m == 255)
				continue;
			float p = sigmoidf(logit[n * P + i]);
			dlogit[n * P + i] += m ? g1 * (p - 1.0f) : g0 * p;
		}
	}
}

double wbce_loss_grad(float *dlogit, const float *logit, const uint8_t *mask, const float *sw,
                      int N, size_t P, double pw, double scale)
{
	size_t cnt = loss_labelled(mask, (size_t)N * P);
	double s = 0;
	for (int n = 0; n < N; n++) {
		double wn = sw ? sw[n] : 1.0, sn = 0, g = cnt ? wn * scale / cnt : 0;
		float g0 = (float)g, g1 = (float)(g * pw);
		const float *z = logit + n * P;
		const uint8_t *m = mask + n * P;
		float *d = dlogit + n * P;
		/* the sums of log1p(e) over negative and positive pixels, as the
		 * logs of products of 1 + e (each in [1, 2], so 512 of them stay
		 * far from overflow): one log per LOG_RUN pixels instead of one
		 * log1p per pixel (1.4 % of a 176x144x4 training step), exact to
		 * about 1e-13 */
		enum { LOG_RUN = 512 };
		double prod[2] = {1, 1};
		for (size_t i0 = 0; i0 < P; i0 += LOG_RUN) {
			size_t i1 = P - i0 < LOG_RUN ? P : i0 + LOG_RUN;
			for (size_t i = i0; i < i1; i++) {
				if (m[i] == 255) {
					d[i] = 0;
					continue;
				}
				/* one exp for both: e = exp(-|z|), sigmoid(z) as sigmoidf has it */
				float e = expf(-fabsf(z[i]));
				float pr = z[i] >= 0 ? 1.0f / (1.0f + e) : e / (1.0f + e);
				double l = (z[i] > 0 ? z[i] : 0) - (m[i] ? z[i] : 0);
				sn += m[i] ? pw * l : l;
				prod[m[i] != 0] *= 1.0 + e;
				d[i] = m[i] ? g1 * (pr - 1.0f) : g0 * pr;
			}
			sn += log(prod[0]) + pw * log(prod[1]);
			prod[0] = prod[1] = 1;
		}
		s += wn * sn;
	}
	return cnt ? s / cnt : 0;
}

double bce_forward(const float *logit, const uint8_t *mask, const float *sw, int N,
                   size_t P, size_t *nlab)
{
	return wbce_forward(logit, mask, sw, N, P, 1.0, nlab);
}

void bce_backward(float *dlogit, const float *logit, const uint8_t *mask, const float *sw,
                  int N, size_t P, double scale)
{
	wbce_backward(dlogit, logit, mask, sw, N, P, 1.0, scale);
}

void dice_sums(const float *logit, const uint8_t *mask, const float *sw, int N,
                      size_t P, double *si, double *ss)
{
	*si = *ss = 0;
	for (int n = 0; n < N; n++) {
		double wn = sw ? sw[n] : 1.0;
		for (size_t i = 0; i < P; i++) {
			uint8_t m = mask[n * P + i];
			if (m == 255)
				continue;
			double p = sigmoidf(logit[n * P + i]), y = m ? 1 : 0;
			*si += wn * p * y;
			*ss += wn * (p + y);
		}
	}
}

double dice_forward(const float *logit, const uint8_t *mask, const float *sw, int N, size_t P)
{
	double si, ss;
	dice_sums(logit, mask, sw, N, P, &si, &ss);
	return dice_of_sums(si, ss);
}

double dice_of_sums(double si, double ss)
{
	return 1 - (2 * si + 1) / (ss + 1);
}

void dice_backward(float *dlogit, const float *logit, const uint8_t *mask, const float *sw,
                   int N, size_t P, double scale)
{
	double si, ss;
	dice_sums(logit, mask, sw, N, P, &si, &ss);
	dice_backward_sums(dlogit, logit, mask, sw, N, P, si, ss, scale);
}

void dice_backward_sums(float *dlogit, const float *logit, const uint8_t *mask, const float *sw,
                        int N, size_t P, double si, double ss, double scale)
{
	double den = (ss + 1) * (ss + 1);
	for (int n = 0; n < N; n++) {
		double wn = sw ? sw[n] : 1.0;
		for (size_t i = 0; i < P; i++) {
			uint8_t m = mask[n * P + i];
			if (m == 255)
				continue;
			double p = sigmoidf(logit[n * P + i]), y = m ? 1 : 0;
			double dp = wn * ((2 * si + 1) - 2 * y * (ss + 1)) / den;
			dlogit[n * P + i] += (float)(scale * dp * p * (1 - p));
		}
	}
}

/* ---- K >= 3 classes --------------------------------------------------- */

double softmax_at(const float *z, size_t stride, int K, double *p)
{
	double m = z[0], s = 0;
	for (int k = 1; k < K; k++)
		if (z[k * stride] > m)
			m = z[k * stride];
	for (int k = 0; k < K; k++)
		s += p[k] = exp(z[k * stride] - m);
	for (int k = 0; k < K; k++)
		p[k] /= s;
	return m + log(s);
}

double sce_weight_sum(const uint8_t *mask, const double *cw, int K, size_t n)
{
	double s = 0;
	for (size_t i = 0; i < n; i++)
		if (mask[i] < K)
			s += cw ? cw[mask[i]] : 1;
	return s;
}

/* The loss over den; mode 0: no gradient, 1: write, 2: add. */
static double sce_core(float *dlogit, const float *logit, const uint8_t *mask, const float *sw,
                       const double *cw, int N, int K, size_t P, double den, double scale,
                       int mode)
{
	double p[256], s = 0;
	for (int n = 0; n < N; n++) {
		double wn = sw ? sw[n] : 1.0, sn = 0;
		const float *z = logit + (size_t)n * K * P;
		float *d = dlogit ? dlogit + (size_t)n * K * P : NULL;
		for (size_t i = 0; i < P; i++) {
			int y = mask[(size_t)n * P + i];
			if (y >= K) {
				if (mode == 1)
					for (int k = 0; k < K; k++)
						d[k * P + i] = 0;
				continue;
			}
			double lse = softmax_at(z + i, P, K, p), wy = cw ? cw[y] : 1;
			sn += wy * (lse - z[y * P + i]);
			if (!mode)
				continue;
			double g = den > 0 ? scale * wn * wy / den : 0;
			for (int k = 0; k < K; k++) {
				float v = (float)(g * (p[k] - (k == y)));
				if (mode == 1)
					d[k * P + i] = v;
				else
					d[k * P + i] += v;
			}
		}
		s += wn * sn;
	}
	return den > 0 ? s / den : 0;
}

double sce_loss_grad(float *dlogit, const float *logit, const uint8_t *mask, const float *sw,
                     const double *cw, int N, int K, size_t P, double den, double scale)
{
	return sce_core(dlogit, logit, mask, sw, cw, N, K, P, den, scale, dlogit ? 1 : 0);
}

double sce_forward(const float *logit, const uint8_t *mask, const float *sw, const double *cw,
                   int N, int K, size_t P)
{
	double den = sce_weight_sum(mask, cw, K, (size_t)N * P);
	return sce_core(NULL, logit, mask, sw, cw, N, K, P, den, 1, 0);
}

void sce_backward(float *dlogit, const float *logit, const uint8_t *mask, const float *sw,
                  const double *cw, int N, int K, size_t P, double scale)
{
	double den = sce_weight_sum(mask, cw, K, (size_t)N * P);
	sce_core(dlogit, logit, mask, sw, cw, N, K, P, den, scale, 2);
}

void mdice_sums(const float *logit, const uint8_t *mask, const float *sw, int N, int K,
                size_t P, double *s)
{
	double p[256];
	for (int c = 0; c < 2 * (K - 1); c++)
		s[c] = 0;
	for (int n = 0; n < N; n++) {
		double wn = sw ? sw[n] : 1.0;
		const float *z = logit + (size_t)n * K * P;
		for (size_t i = 0; i < P; i++) {
			int y = mask[(size_t)n * P + i];
			if (y >= K)
				continue;
			softmax_at(z + i, P, K, p);
			for (int c = 1; c < K; c++) {
				s[2 * (c - 1)] += wn * p[c] * (y == c);
				s[2 * (c - 1) + 1] += wn * (p[c] + (y == c));
			}
		}
	}
}

double mdice_of_sums(const double *s, int K)
{
	double t = 0;
	for (int c = 1; c < K; c++)
		t += dice_of_sums(s[2 * (c - 1)], s[2 * (c - 1) + 1]);
	return t / (K - 1);
}

double mdice_forward(const float *logit, const uint8_t *mask, const float *sw, int N, int K,
                     size_t P)
{
	double s[2 * 254];
	mdice_sums(logit, mask, sw, N, K, P, s);
	return mdice_of_sums(s, K);
}

void mdice_backward_sums(float *dlogit, const float *logit, const uint8_t *mask, const float *sw,
                         int N, int K, size_t P, const double *s, double scale)
{
	/* dL/dp_c = ((2 si_c + 1) - 2 [y=c] (ss_c + 1)) w / (ss_c + 1)^2 / (K - 1)
	 * for c >= 1 (0 for c = 0); through the softmax:
	 * dL/dz_k = p_k (dL/dp_k - sum_c p_c dL/dp_c) */
	double p[256], g[256];
	for (int n = 0; n < N; n++) {
		double wn = sw ? sw[n] : 1.0;
		const float *z = logit + (size_t)n * K * P;
		float *d = dlogit + (size_t)n * K * P;
		for (size_t i = 0; i < P; i++) {
			int y = mask[(size_t)n * P + i];
			if (y >= K)
				continue;
			softmax_at(z + i, P, K, p);
			double dot = 0;
			g[0] = 0;
			for (int c = 1; c < K; c++) {
				double si = s[2 * (c - 1)], ss = s[2 * (c - 1) + 1];
				g[c] = wn * ((2 * si + 1) - 2 * (y == c) * (ss + 1)) / ((ss + 1) * (ss + 1)) /
				       (K - 1);
				dot += p[c] * g[c];
			}
			for (int k = 0; k < K; k++)
				d[k * P + i] += (float)(scale * p[k] * (g[k] - dot));
		}
	}
}

void mdice_backward(float *dlogit, const float *logit, const uint8_t *mask, const float *sw,
                    int N, int K, size_t P, double scale)
{
	double s[2 * 254];
	mdice_sums(logit, mask, sw, N, K, P, s);
	mdice_backward_sums(dlogit, logit, mask, sw, N, K, P, s, scale);
}
