/* winograd_impl.h: what winograd.c (geometry, weights, products, the
 * forward and backward passes) shares with the files of the tile
 * transforms, one per instruction set, each of which compiles to nothing
 * unless its set is the one the object is compiled for (all of them are,
 * once per set: isa.h) (private to them):
 *   winograd_rows.c     vectorized along a tile row (vec.h, any width):
 *                       every build but WINO_STAGED
 *   winograd_avx512.c   narrow rows, gathered 16 tiles at a time (WINO_AVX512)
 *   winograd_generic.c  narrow rows, scalar tile by tile (WINO_GENERIC)
 *   winograd_avx2.c     all rows staged across tile rows (WINO_STAGED)
 * Each of these files sets fp-contract=fast for its functions, as
 * winograd.c does.
 *
 * Tiles and blocks: tile row g = n*th + ty of image n covers image rows
 * 2ty .. 2ty+1. Transformed data: V[xi][c][t], M[xi][k][t] (xi = 4a + b,
 * the position in the 4x4 tile, t the tile in the block; rows xs floats
 * apart), U[xi][k][c]. A transform function takes one plane (N*H*W floats)
 * and the tile row(s) it works on. */
#ifndef SL_WINOGRAD_IMPL_H
#define SL_WINOGRAD_IMPL_H

#include "vec.h"

#include <stddef.h>

/* The build's transforms: exactly one of these is 1. */
#if defined(__AVX512F__)
#define WINO_AVX512 1
#define WINO_STAGED 0
#define WINO_GENERIC 0
#elif defined(__AVX2__)
#define WINO_AVX512 0
#define WINO_STAGED 1
#define WINO_GENERIC 0
#else
#define WINO_AVX512 0
#define WINO_STAGED 0
#define WINO_GENERIC 1
#endif

struct geo {
	int th, tw, ts; /* tile rows and tiles per image row; ts = tw + 1 (a
	                   dummy), or tw for narrow rows (scalar transforms)
	                   and when staged */
	int scalar;     /* narrow rows: tiles packed without dummies and
	                   transformed one at a time (vectors would be mostly
	                   empty), the products still over all tiles */
	int rows;       /* tile rows per block */
};

/* Rows narrower than this many tiles use the narrow-row transforms. */
#define WINO_SCALAR_TW 8

/* The weight transforms, written once for a float or a vector of VL
 * (k, c) pairs: g[j] tap j (row-major 3x3), u[xi] = (G g G^T)[xi]. */
#define WEIGHTS_TRANSFORM(T, g, u)                                                       \
	do {                                                                             \
		T t_[4][3];                                                              \
		for (int j = 0; j < 3; j++) {                                            \
			t_[0][j] = g[j];                                                 \
			t_[1][j] = 0.5f * (g[j] + g[3 + j] + g[6 + j]);                  \
			t_[2][j] = 0.5f * (g[j] - g[3 + j] + g[6 + j]);                  \
			t_[3][j] = g[6 + j];                                             \
		}                                                                        \
		for (int a = 0; a < 4; a++) {                                            \
			u[4 * a + 0] = t_[a][0];                                         \
			u[4 * a + 1] = 0.5f * (t_[a][0] + t_[a][1] + t_[a][2]);          \
			u[4 * a + 2] = 0.5f * (t_[a][0] - t_[a][1] + t_[a][2]);          \
			u[4 * a + 3] = t_[a][2];                                         \
		}                                                                        \
	} while (0)

/* ... and its adjoint: dg[j] = (G^T d G)[j] for d[xi]. */
#define WEIGHTS_ADJOINT(T, d, dg)                                                        \
	do {                                                                             \
		T f_[4][3];                                                              \
		for (int a = 0; a < 4; a++) {                                            \
			T d0 = d[4 * a], d1 = d[4 * a + 1], d2 = d[4 * a + 2], d3 = d[4 * a + 3]; \
			f_[a][0] = d0 + 0.5f * (d1 + d2);                                \
			f_[a][1] = 0.5f * (d1 - d2);                                     \
			f_[a][2] = 0.5f * (d1 + d2) + d3;                                \
		}                                                                        \
		for (int j = 0; j < 3; j++) {                                            \
			dg[j] = f_[0][j] + 0.5f * (f_[1][j] + f_[2][j]);                 \
			dg[3 + j] = 0.5f * (f_[1][j] - f_[2][j]);                        \
			dg[6 + j] = 0.5f * (f_[1][j] + f_[2][j]) + f_[3][j];             \
		}                                                                        \
	} while (0)

/* winograd_rows.c: tile row ty of image n, tiles u < g->ts (a dummy
 * included). input: V[xi*xs + u] = B^T d B, where tile u's patch d is rows
 * 2ty-1 .. 2ty+2, columns 2u-1 .. 2u+2 (zero outside the image). output:
 * rows 2ty, 2ty+1 of the plane = A^T M A + bias, ReLU if relu. dout: its
 * adjoint (no bias), DM = A dY A^T. adjoint: the adjoint of input, ADDS
 * B dV B^T into the plane. */
void wino_row_input(float *V, size_t xs, const float *plane, int H, int W, int n, int ty,
                    const struct geo *g);
void wino_row_output(float *plane, const float *M, size_t xs, float bias, int relu, int H,
                     int W, int n, int ty, const struct geo *g);
void wino_row_dout(float *DM, size_t xs, const float *plane, int H, int W, int n, int ty,
                   const struct geo *g);
void wino_row_adjoint(float *plane, const float *DV, size_t xs, int H, int W, int n, int ty,
                      const struct geo *g);

/* winograd_generic.c: the same for narrow rows, tiles u < g->tw. */
void wino_tile_input(float *V, size_t xs, const float *plane, int H, int W, int n, int ty,
                     const struct geo *g);
void wino_tile_output(float *plane, const float *M, size_t xs, float bias, int relu, int H,
                      int W, int n, int ty, const struct geo *g);
void wino_tile_dout(float *DM, size_t xs, const float *plane, int H, int W, int n, int ty,
                    const struct geo *g);
void wino_tile_adjoint(float *plane, const float *DV, size_t xs, int H, int W, int n, int ty,
                       const struct geo *g);

#if WINO_AVX512
/* winograd_avx512.c: the table of a block's tiles (rows g0 .. g1-1) and
 * the four transforms of all its tiles at once. */
struct wino_tiles {
	int L, nq;         /* tiles, chunks of 16 */
	int W;
	__m512i *org;      /* [nq] patch origin (row 2ty-1, column 2u-1) offsets */
	__mmask16 (*rm)[4], (*cm)[4]; /* [nq][4]: rows / columns i of the patch
	                                 inside the image (and the lane live) */
};
/* Bytes of a table for up to L tiles; point it at mem (aligned inside);
 * fill it. */
size_t wino_tiles_bytes(size_t L);
void wino_tiles_point(struct wino_tiles *tl, void *mem, size_t L);
void wino_tiles_build(struct wino_tiles *tl, int g0, int g1, int H, int W, const struct geo *g);
void wino_gather_input(float *V, size_t xs, const float *plane, const struct wino_tiles *tl);
void wino_gather_output(float *plane, const float *M, size_t xs, float bias, int relu,
                        const struct wino_tiles *tl);
void wino_gather_dout(float *DM, size_t xs, const float *plane, const struct wino_tiles *tl);
void wino_gather_adjoint(float *plane, const float *DV, size_t xs, const struct wino_tiles *tl);
#endif

/* winograd_avx2.c: the floats of staging for segments of up to rows tile
 * rows of tw tiles; the four transforms of a segment, the nr tile rows
 * from ty0 of image n (tiles t < nr*tw, no dummies). */
size_t wino_stage_floats(int rows, int tw);
void wino_staged_input(float *V, size_t xs, const float *plane, int H, int W, int n, int ty0,
                       int nr, int tw, float *S);
void wino_staged_output(float *plane, const float *M, size_t xs, float bias, int relu, int H,
                        int W, int n, int ty0, int nr, int tw, float *S);
void wino_staged_dout(float *DM, size_t xs, const float *plane, int H, int W, int n, int ty0,
                      int nr, int tw, float *S);
void wino_staged_adjoint(float *plane, const float *DV, size_t xs, int H, int W, int n,
                         int ty0, int nr, int tw, float *S);

#endif
