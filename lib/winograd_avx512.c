/* winograd_avx512.c: the Winograd transforms of narrow rows with AVX-512:
 * still vectorized, 16 consecutive tiles of a block (any rows, any images)
 * at once, their patches gathered and their results scattered through a
 * table of patch origins and edge masks (struct wino_tiles). */
#include "isa_names.h" /* compiled once per instruction set */

#include "winograd_impl.h"

#if WINO_AVX512

#include <stdint.h>
#include <string.h>

#pragma GCC optimize("fp-contract=fast")

void wino_tiles_build(struct wino_tiles *tl, int g0, int g1, int H, int W,
                      const struct geo *g)
{
	tl->L = (g1 - g0) * g->tw, tl->nq = (tl->L + 15) / 16, tl->W = W;
	for (int q = 0; q < tl->nq; q++) {
		int32_t o[16];
		__mmask16 rm[4] = {0}, cm[4] = {0};
		for (int l = 0; l < 16; l++) {
			int t = 16 * q + l;
			o[l] = 0;
			if (t >= tl->L)
				continue;
			int r = g0 + t / g->tw, n = r / g->th, ty = r % g->th, u = t % g->tw;
			o[l] = (int32_t)(((long)n * H + 2 * ty - 1) * W + 2 * u - 1);
			for (int i = 0; i < 4; i++) {
				if (2 * ty - 1 + i >= 0 && 2 * ty - 1 + i < H)
					rm[i] |= (__mmask16)(1u << l);
				if (2 * u - 1 + i >= 0 && 2 * u - 1 + i < W)
					cm[i] |= (__mmask16)(1u << l);
			}
		}
		tl->org[q] = _mm512_loadu_si512(o);
		memcpy(tl->rm[q], rm, sizeof rm), memcpy(tl->cm[q], cm, sizeof cm);
	}
}

/* Bytes of a table for up to L tiles. */
size_t wino_tiles_bytes(size_t L)
{
	size_t nq = (L + 15) / 16;
	return nq * (sizeof(__m512i) + 8 * sizeof(__mmask16)) + 64;
}

void wino_tiles_point(struct wino_tiles *tl, void *mem, size_t L)
{
	size_t nq = (L + 15) / 16;
	uintptr_t a = ((uintptr_t)mem + 63) & ~(uintptr_t)63;
	tl->org = (__m512i *)a;
	tl->rm = (__mmask16(*)[4])(tl->org + nq);
	tl->cm = tl->rm + nq;
}

static inline __m512i offs(__m512i o, int d)
{
	return _mm512_add_epi32(o, _mm512_set1_epi32(d));
}

void wino_gather_input(float *V, size_t xs, const float *plane,
                       const struct wino_tiles *tl)
{
	int W = tl->W;
	for (int q = 0; q < tl->nq; q++) {
		vf d[4][4], r[4][4];
		_Pragma("GCC unroll 4") for (int i = 0; i < 4; i++)
			_Pragma("GCC unroll 4") for (int j = 0; j < 4; j++)
				d[i][j] = (vf)_mm512_mask_i32gather_ps(_mm512_setzero_ps(),
				                                        tl->rm[q][i] & tl->cm[q][j],
				                                        offs(tl->org[q], i * W + j), plane, 4);
		_Pragma("GCC unroll 4") for (int j = 0; j < 4; j++) {
			r[0][j] = d[0][j] - d[2][j];
			r[1][j] = d[1][j] + d[2][j];
			r[2][j] = d[2][j] - d[1][j];
			r[3][j] = d[1][j] - d[3][j];
		}
		float *v = V + 16 * q;
		int m = tl->L - 16 * q;
		_Pragma("GCC unroll 4") for (int a = 0; a < 4; a++) {
			vstore_upto(v + (4 * a + 0) * xs, r[a][0] - r[a][2], m);
			vstore_upto(v + (4 * a + 1) * xs, r[a][1] + r[a][2], m);
			vstore_upto(v + (4 * a + 2) * xs, r[a][2] - r[a][1], m);
			vstore_upto(v + (4 * a + 3) * xs, r[a][1] - r[a][3], m);
		}
	}
}

void wino_gather_output(float *plane, const float *M, size_t xs, float bias, int relu,
                        const struct wino_tiles *tl)
{
	int W = tl->W;
	vf bv = vbcast(bias), z = vbcast(0);
	for (int q = 0; q < tl->nq; q++) {
		int m = tl->L - 16 * q;
		const float *mp = M + 16 * q;
		vf s[2][4];
		_Pragma("GCC unroll 4") for (int j = 0; j < 4; j++) {
			vf m0 = vload_upto(mp + j * xs, m), m1 = vload_upto(mp + (4 + j) * xs, m);
			vf m2 = vload_upto(mp + (8 + j) * xs, m), m3 = vload_upto(mp + (12 + j) * xs, m);
			s[0][j] = m0 + m1 + m2;
			s[1][j] = m1 - m2 - m3;
		}
		_Pragma("GCC unroll 2") for (int r = 0; r < 2; r++) {
			vf y[2] = {s[r][0] + s[r][1] + s[r][2] + bv, s[r][1] - s[r][2] - s[r][3] + bv};
			_Pragma("GCC unroll 2") for (int c = 0; c < 2; c++) {
				vf v = relu ? vselect(y[c] > z, y[c]) : y[c];
				_mm512_mask_i32scatter_ps(plane, tl->rm[q][1 + r] & tl->cm[q][1 + c],
				                          offs(tl->org[q], (1 + r) * W + 1 + c), (__m512)v, 4);
			}
		}
	}
}

void wino_gather_dout(float *DM, size_t xs, const float *plane,
                      const struct wino_tiles *tl)
{
	int W = tl->W;
	for (int q = 0; q < tl->nq; q++) {
		vf c[2][4];
		_Pragma("GCC unroll 2") for (int r = 0; r < 2; r++) {
			vf d[2];
			_Pragma("GCC unroll 2") for (int k = 0; k < 2; k++)
				d[k] = (vf)_mm512_mask_i32gather_ps(_mm512_setzero_ps(),
				                                     tl->rm[q][1 + r] & tl->cm[q][1 + k],
				                                     offs(tl->org[q], (1 + r) * W + 1 + k),
				                                     plane, 4);
			c[r][0] = d[0], c[r][1] = d[0] + d[1], c[r][2] = d[0] - d[1], c[r][3] = -d[1];
		}
		float *o = DM + 16 * q;
		int m = tl->L - 16 * q;
		_Pragma("GCC unroll 4") for (int j = 0; j < 4; j++) {
			vstore_upto(o + j * xs, c[0][j], m);
			vstore_upto(o + (4 + j) * xs, c[0][j] + c[1][j], m);
			vstore_upto(o + (8 + j) * xs, c[0][j] - c[1][j], m);
			vstore_upto(o + (12 + j) * xs, -c[1][j], m);
		}
	}
}

void wino_gather_adjoint(float *plane, const float *DV, size_t xs,
                         const struct wino_tiles *tl)
{
	int W = tl->W;
	for (int q = 0; q < tl->nq; q++) {
		int m = tl->L - 16 * q;
		const float *v = DV + 16 * q;
		vf e[4][4];
		_Pragma("GCC unroll 4") for (int a = 0; a < 4; a++) {
			vf d0 = vload_upto(v + 4 * a * xs, m), d1 = vload_upto(v + (4 * a + 1) * xs, m);
			vf d2 = vload_upto(v + (4 * a + 2) * xs, m), d3 = vload_upto(v + (4 * a + 3) * xs, m);
			e[a][0] = d0;
			e[a][1] = d1 - d2 + d3;
			e[a][2] = d1 + d2 - d0;
			e[a][3] = -d3;
		}
		_Pragma("GCC unroll 4") for (int i = 0; i < 4; i++)
			_Pragma("GCC unroll 4") for (int j = 0; j < 4; j++) {
				vf dd = i == 0 ? e[0][j] : i == 1 ? e[1][j] - e[2][j] + e[3][j]
				        : i == 2 ? e[1][j] + e[2][j] - e[0][j] : -e[3][j];
				__mmask16 k = tl->rm[q][i] & tl->cm[q][j];
				__m512i ix = offs(tl->org[q], i * W + j);
				__m512 old = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), k, ix, plane, 4);
				_mm512_mask_i32scatter_ps(plane, k, ix, _mm512_add_ps(old, (__m512)dd), 4);
			}
	}
}
#endif
