/* winograd_avx2.c: the Winograd transforms with AVX2 and no AVX-512
 * (WINO_STAGED). With 8-float vectors and no masked stores worth using,
 * rows of tiles are mostly a vector and a fraction wide, and their edges
 * cost more than their insides. So the tiles of a block are vectorized over their index in
 * the block instead, across tile rows, with no dummy tile (ts = tw): the
 * image rows that a run of tile rows of one image ("a segment") reads are
 * first copied, zero border included, into small arrays where element t
 * is the value tile t needs ("staging", columns split into even and odd
 * ones), so that each transform is plain vector loads and stores; results
 * go the other way. Stores run up to a vector past a segment's last tile:
 * into the next segment (written afterwards) or the slack at the end of
 * each row of V and M (winograd.c's struct blk: stride Ls). */
#include "isa_names.h" /* compiled once per instruction set */

#include "winograd_impl.h"

#if WINO_STAGED

#include <stddef.h>
#include <string.h>

#pragma GCC optimize("fp-contract=fast")

/* Even and odd lanes of a:b, in order (2 shuffles, not gcc's 3). */
static inline vf even2(vf a, vf b)
{
	__m256 t = _mm256_shuffle_ps((__m256)a, (__m256)b, 0x88);
	return (vf)_mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(t), 0xd8));
}

static inline vf odd2(vf a, vf b)
{
	__m256 t = _mm256_shuffle_ps((__m256)a, (__m256)b, 0xdd);
	return (vf)_mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(t), 0xd8));
}

/* Columns x0 .. x0 + 2VL-1 of a row (0 outside it) as even and odd ones. */
static inline void load_split(const float *row, int x0, int W, vf *ev, vf *od)
{
	vf a = vload_row(row, x0, W), b = vload_row(row, x0 + VL, W);
	*ev = even2(a, b), *od = odd2(a, b);
}

/* W floats from s to d; whole vectors, the last one overlapping. */
static void copy_row(float *d, const float *s, int W)
{
	if (W < VL) {
		for (int x = 0; x < W; x++)
			d[x] = s[x];
		return;
	}
	int x = 0;
	for (; x + VL <= W; x += VL)
		vstore(d + x, vload(s + x));
	if (x < W)
		vstore(d + W - VL, vload(s + W - VL));
}

/* Even and odd columns of the 2VL floats at p. */
static inline void split(const float *p, vf *ev, vf *od)
{
	vf a = vload(p), b = vload(p + VL);
	*ev = even2(a, b), *od = odd2(a, b);
}

/* An image row, given as pad[x + 2] = column x with zeros around (NULL: a
 * zero row), into S[0..3] + o with the horizontal half of the input
 * transform done: element u of S[j] is (d B)[j] of the row's patch columns
 * d[i] = column 2u - 1 + i. */
static void stage_row4(float *const S[4], size_t o, const float *pad, int tw)
{
	for (int u0 = 0; u0 < tw; u0 += VL) {
		vf e = vbcast(0), od = e, e1 = e, o1 = e, x;
		if (pad) {
			split(pad + 2 * u0, &x, &e);
			split(pad + 2 * u0 + 2, &od, &e1);
			split(pad + 2 * u0 + 4, &o1, &x);
		}
		vstore(S[0] + o + u0, e - e1), vstore(S[1] + o + u0, od + e1);
		vstore(S[2] + o + u0, e1 - od), vstore(S[3] + o + u0, od - o1);
	}
}

/* Floats of a padded row (pad_row), and of staging for segments of up to
 * `rows` tile rows of tw tiles. */
static size_t pad_floats(int tw)
{
	return 2 * (size_t)tw + 4 * VL;
}

size_t wino_stage_floats(int rows, int tw)
{
	size_t in = 8 * ((size_t)(rows + 1) * tw + 2 * VL) + 2 * (rows + 1) * pad_floats(tw) + VL;
	size_t adj = 16 * ((size_t)(rows + 2) * tw + 4 * VL) + tw + 2 * VL + 2;
	return in > adj ? in : adj;
}

/* pad[x + 2] = row[x], x < W, and 0 for x = -2, -1 and W .. 2tw + 2VL + 1. */
static void pad_row(float *pad, const float *row, int W, int tw)
{
	vstore(pad, vbcast(0));
	copy_row(pad + 2, row, W);
	for (int x = W + 2; x < (int)pad_floats(tw); x += VL)
		vstore(pad + x, vbcast(0));
}

/* wino_row_input for the nr tile rows from ty0 of image n into V[xi*xs + t]:
 * patch rows 0, 2 are odd image rows 2ty - 1 (+2), staged in A, rows 1, 3
 * even ones 2ty (+2) in B; tile row ty + 1's first rows are ty's last. */
void wino_staged_input(float *V, size_t xs, const float *plane, int H, int W, int n,
                       int ty0, int nr, int tw, float *S)
{
	size_t sl = (size_t)(nr + 1) * tw + 2 * VL, pl = pad_floats(tw);
	float *A[4], *B[4], *pad = S + 8 * sl;
	for (int j = 0; j < 4; j++)
		A[j] = S + j * sl, B[j] = S + (4 + j) * sl;
	/* all rows padded first: reading a row right after writing it, at other
	 * offsets, would stall on the stores */
	const float *img = plane + (size_t)n * H * W;
	int y0 = 2 * ty0 - 1, y1 = 2 * (ty0 + nr) + 1; /* rows y0 .. y1 */
	for (int y = y0 < 0 ? 0 : y0; y <= y1 && y < H; y++)
		pad_row(pad + (y - y0) * pl, img + (size_t)y * W, W, tw);
	for (int t = 0; t <= nr; t++)
		for (int h = 0; h < 2; h++) {
			int y = 2 * (ty0 + t) - 1 + h;
			stage_row4(h ? B : A, (size_t)t * tw, y >= 0 && y < H ? pad + (y - y0) * pl : NULL,
			           tw);
		}
	int ns = nr * tw;
	for (int s = 0; s < ns; s += VL) {
		float *v = V + s;
		_Pragma("GCC unroll 4") for (int j = 0; j < 4; j++) {
			vf d0 = vload(A[j] + s), d1 = vload(B[j] + s);
			vf d2 = vload(A[j] + s + tw), d3 = vload(B[j] + s + tw);
			vstore(v + j * xs, d0 - d2);
			vstore(v + (4 + j) * xs, d1 + d2);
			vstore(v + (8 + j) * xs, d2 - d1);
			vstore(v + (12 + j) * xs, d1 - d3);
		}
	}
}

/* wino_row_output of a segment: its image rows 2ty, 2ty + 1 are built in
 * R[0], R[1] (2tw floats per tile row), then copied into the plane. */
void wino_staged_output(float *plane, const float *M, size_t xs, float bias, int relu,
                        int H, int W, int n, int ty0, int nr, int tw, float *S)
{
	size_t sl = (size_t)nr * 2 * tw + 2 * VL;
	float *R[2] = {S, S + sl};
	vf bv = vbcast(bias), z = vbcast(0);
	int ns = nr * tw;
	for (int i = 0; i < ns; i += VL) {
		vf s[2][4];
		_Pragma("GCC unroll 4") for (int j = 0; j < 4; j++) {
			vf m0 = vload(M + j * xs + i), m1 = vload(M + (4 + j) * xs + i);
			vf m2 = vload(M + (8 + j) * xs + i), m3 = vload(M + (12 + j) * xs + i);
			s[0][j] = m0 + m1 + m2;
			s[1][j] = m1 - m2 - m3;
		}
		_Pragma("GCC unroll 2") for (int r = 0; r < 2; r++) {
			vf y0 = s[r][0] + s[r][1] + s[r][2] + bv, y1 = s[r][1] - s[r][2] - s[r][3] + bv;
			if (relu)
				y0 = vselect(y0 > z, y0), y1 = vselect(y1 > z, y1);
			vstore(R[r] + 2 * i, vilo(y0, y1));
			vstore(R[r] + 2 * i + VL, vihi(y0, y1));
		}
	}
	float *img = plane + (size_t)n * H * W;
	for (int t = 0; t < nr; t++)
		for (int r = 0; r < 2; r++) {
			int y = 2 * (ty0 + t) + r;
			if (y < H)
				copy_row(img + (size_t)y * W, R[r] + (size_t)t * 2 * tw, W);
		}
}

/* wino_row_dout of a segment: rows 2ty + r staged as even (D[r][0]) and
 * odd (D[r][1]) columns. */
void wino_staged_dout(float *DM, size_t xs, const float *plane, int H, int W, int n,
                      int ty0, int nr, int tw, float *S)
{
	size_t sl = (size_t)nr * tw + 2 * VL;
	float *D[2][2] = {{S, S + sl}, {S + 2 * sl, S + 3 * sl}};
	const float *img = plane + (size_t)n * H * W;
	for (int t = 0; t < nr; t++)
		for (int r = 0; r < 2; r++) {
			int y = 2 * (ty0 + t) + r;
			float *e = D[r][0] + (size_t)t * tw, *o = D[r][1] + (size_t)t * tw;
			for (int u0 = 0; u0 < tw; u0 += VL) {
				vf ev = vbcast(0), od = ev;
				if (y < H)
					load_split(img + (size_t)y * W, 2 * u0, W, &ev, &od);
				vstore(e + u0, ev), vstore(o + u0, od);
			}
		}
	int ns = nr * tw;
	for (int i = 0; i < ns; i += VL) {
		vf c[2][4];
		_Pragma("GCC unroll 2") for (int r = 0; r < 2; r++) {
			vf d0 = vload(D[r][0] + i), d1 = vload(D[r][1] + i);
			c[r][0] = d0, c[r][1] = d0 + d1, c[r][2] = d0 - d1, c[r][3] = -d1;
		}
		float *o = DM + i;
		_Pragma("GCC unroll 4") for (int j = 0; j < 4; j++) {
			vstore(o + (0 + j) * xs, c[0][j]);
			vstore(o + (4 + j) * xs, c[0][j] + c[1][j]);
			vstore(o + (8 + j) * xs, c[0][j] - c[1][j]);
			vstore(o + (12 + j) * xs, -c[1][j]);
		}
	}
}

/* wino_row_adjoint of a segment: the 16 values each tile adds to its patch
 * go to T[i][j] (patch row i, column j) at the tile's index, plus tw for
 * rows 2, 3, so that element u of row t of T[i][.] and T[i + 2][.] both
 * belong to image row 2(ty0 + t) - 1 + i; then each image row sums its
 * four arrays, column 2u + 1 taking j = 0 of tile u + 1 and j = 2 of tile
 * u, column 2u taking j = 1 of u and j = 3 of u - 1. */
void wino_staged_adjoint(float *plane, const float *DV, size_t xs, int H, int W, int n,
                         int ty0, int nr, int tw, float *S)
{
	size_t sl = (size_t)(nr + 2) * tw + 4 * VL;
	float *T[4][4];
	int ns = nr * tw;
	for (int i = 0; i < 4; i++)
		for (int j = 0; j < 4; j++)
			T[i][j] = S + (4 * i + j) * sl + VL;
	for (int s = 0; s < ns; s += VL) {
		vf e[4][4];
		_Pragma("GCC unroll 4") for (int a = 0; a < 4; a++) {
			const float *v = DV + s + 4 * a * xs;
			vf d0 = vload(v), d1 = vload(v + xs), d2 = vload(v + 2 * xs), d3 = vload(v + 3 * xs);
			e[a][0] = d0;
			e[a][1] = d1 - d2 + d3;
			e[a][2] = d1 + d2 - d0;
			e[a][3] = -d3;
		}
		_Pragma("GCC unroll 4") for (int j = 0; j < 4; j++) {
			vstore(T[0][j] + s, e[0][j]);
			vstore(T[1][j] + s, e[1][j] - e[2][j] + e[3][j]);
			vstore(T[2][j] + s + tw, e[1][j] + e[2][j] - e[0][j]);
			vstore(T[3][j] + s + tw, -e[3][j]);
		}
	}
	/* columns -1 and 2tw are 0, and the tile rows before the first and
	 * after the last (Z, zeros) */
	for (int i = 0; i < 4; i++) {
		size_t lo = i < 2 ? 0 : (size_t)tw;
		for (int t = 0; t <= nr; t++) {
			T[i][0][lo + (size_t)t * tw] = 0;
			T[i][3][lo + (size_t)t * tw - 1] = 0;
		}
	}
	float *Z = S + 16 * sl + 1;
	memset(Z - 1, 0, ((size_t)tw + 2 * VL + 2) * sizeof *Z);
	float *img = plane + (size_t)n * H * W;
	for (int t = 0; t <= nr; t++)
		for (int h = 0; h < 2; h++) {
			int y = 2 * (ty0 + t) - 1 + h;
			if (y < 0 || y >= H)
				continue;
			float *row = img + (size_t)y * W;
			const float *p[4], *q[4];
			for (int j = 0; j < 4; j++) {
				p[j] = t < nr ? T[h][j] + (size_t)t * tw : Z;
				q[j] = t > 0 ? T[h + 2][j] + (size_t)t * tw : Z;
			}
			for (int u = 0; u < tw && 2 * u < W; u += VL) {
				vf oc = (vload(p[1] + u) + vload(q[1] + u)) +
				        (vload(p[3] + u - 1) + vload(q[3] + u - 1));
				vf ec = (vload(p[0] + u + 1) + vload(q[0] + u + 1)) +
				        (vload(p[2] + u) + vload(q[2] + u));
				vadd_row(row, 2 * u, W, vilo(oc, ec));
				vadd_row(row, 2 * u + VL, W, vihi(oc, ec));
			}
		}
}
#endif
