/* winograd_generic.c: the Winograd transforms of narrow rows (fewer than
 * WINO_SCALAR_TW tiles, where vectors along a row would be mostly empty)
 * in the generic build (neither AVX-512 nor AVX2): scalar, one tile at a
 * time, the same arithmetic as the row transforms. */
#include "isa_names.h" /* compiled once per instruction set */

#include "winograd_impl.h"

#if WINO_GENERIC

#include <stddef.h>

#pragma GCC optimize("fp-contract=fast")

/* The scalar transforms of narrow rows, tile by tile, the same arithmetic
 * as the vector ones. in(y, x): 0 outside the image. */
static float at(const float *img, int H, int W, int y, int x)
{
	return y >= 0 && y < H && x >= 0 && x < W ? img[(size_t)y * W + x] : 0;
}

void wino_tile_input(float *V, size_t xs, const float *plane, int H, int W, int n,
                     int ty, const struct geo *g)
{
	const float *img = plane + (size_t)n * H * W;
	for (int u = 0; u < g->tw; u++) {
		float d[4][4], r[4][4];
		for (int i = 0; i < 4; i++)
			for (int j = 0; j < 4; j++)
				d[i][j] = at(img, H, W, 2 * ty - 1 + i, 2 * u - 1 + j);
		for (int j = 0; j < 4; j++) {
			r[0][j] = d[0][j] - d[2][j];
			r[1][j] = d[1][j] + d[2][j];
			r[2][j] = d[2][j] - d[1][j];
			r[3][j] = d[1][j] - d[3][j];
		}
		for (int a = 0; a < 4; a++) {
			V[(4 * a + 0) * xs + u] = r[a][0] - r[a][2];
			V[(4 * a + 1) * xs + u] = r[a][1] + r[a][2];
			V[(4 * a + 2) * xs + u] = r[a][2] - r[a][1];
			V[(4 * a + 3) * xs + u] = r[a][1] - r[a][3];
		}
	}
}

void wino_tile_output(float *plane, const float *M, size_t xs, float bias, int relu,
                      int H, int W, int n, int ty, const struct geo *g)
{
	float *img = plane + (size_t)n * H * W;
	for (int u = 0; u < g->tw; u++) {
		float s[2][4];
		for (int j = 0; j < 4; j++) {
			float m0 = M[j * xs + u], m1 = M[(4 + j) * xs + u];
			float m2 = M[(8 + j) * xs + u], m3 = M[(12 + j) * xs + u];
			s[0][j] = m0 + m1 + m2;
			s[1][j] = m1 - m2 - m3;
		}
		for (int r = 0; r < 2 && 2 * ty + r < H; r++) {
			float y0 = s[r][0] + s[r][1] + s[r][2] + bias;
			float y1 = s[r][1] - s[r][2] - s[r][3] + bias;
			if (relu)
				y0 = y0 > 0 ? y0 : 0, y1 = y1 > 0 ? y1 : 0;
			float *o = img + (size_t)(2 * ty + r) * W + 2 * u;
			o[0] = y0;
			if (2 * u + 1 < W)
				o[1] = y1;
		}
	}
}

void wino_tile_dout(float *DM, size_t xs, const float *plane, int H, int W, int n,
                    int ty, const struct geo *g)
{
	const float *img = plane + (size_t)n * H * W;
	for (int u = 0; u < g->tw; u++) {
		float c[2][4];
		for (int r = 0; r < 2; r++) {
			float d0 = at(img, H, W, 2 * ty + r, 2 * u), d1 = at(img, H, W, 2 * ty + r, 2 * u + 1);
			c[r][0] = d0, c[r][1] = d0 + d1, c[r][2] = d0 - d1, c[r][3] = -d1;
		}
		for (int j = 0; j < 4; j++) {
			DM[j * xs + u] = c[0][j];
			DM[(4 + j) * xs + u] = c[0][j] + c[1][j];
			DM[(8 + j) * xs + u] = c[0][j] - c[1][j];
			DM[(12 + j) * xs + u] = -c[1][j];
		}
	}
}

void wino_tile_adjoint(float *plane, const float *DV, size_t xs, int H, int W, int n,
                       int ty, const struct geo *g)
{
	float *img = plane + (size_t)n * H * W;
	for (int u = 0; u < g->tw; u++) {
		float e[4][4];
		for (int a = 0; a < 4; a++) {
			float d0 = DV[(4 * a) * xs + u], d1 = DV[(4 * a + 1) * xs + u];
			float d2 = DV[(4 * a + 2) * xs + u], d3 = DV[(4 * a + 3) * xs + u];
			e[a][0] = d0;
			e[a][1] = d1 - d2 + d3;
			e[a][2] = d1 + d2 - d0;
			e[a][3] = -d3;
		}
		for (int i = 0; i < 4; i++) {
			int y = 2 * ty - 1 + i;
			if (y < 0 || y >= H)
				continue;
			for (int j = 0; j < 4; j++) {
				int x = 2 * u - 1 + j;
				if (x < 0 || x >= W)
					continue;
				float dd = i == 0 ? e[0][j] : i == 1 ? e[1][j] - e[2][j] + e[3][j]
				           : i == 2 ? e[1][j] + e[2][j] - e[0][j] : -e[3][j];
				img[(size_t)y * W + x] += dd;
			}
		}
	}
}

#endif
