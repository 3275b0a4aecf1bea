/* nifti.c: NIfTI-1/NIfTI-2 reader and NIfTI-1 writer (see nifti.h).
 *
 * Header layouts (byte offsets) follow nifti1.h and nifti2.h of the NIfTI
 * standard; only the fields used here are read. Input goes through zlib's
 * gz* functions, which read gzip and plain files alike. */
#include "nifti.h"
#include "util.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define N1_HDR 348
#define N2_HDR 540
#define DIM_MAX 1000000

const char *nifti_type_name(int dt)
{
	switch (dt) {
	case NII_U8: return "uint8";
	case NII_I8: return "int8";
	case NII_I16: return "int16";
	case NII_U16: return "uint16";
	case NII_I32: return "int32";
	case NII_F32: return "float32";
	case NII_F64: return "float64";
	default: return "unknown";
	}
}

static int type_size(int dt)
{
	switch (dt) {
	case NII_U8: case NII_I8: return 1;
	case NII_I16: case NII_U16: return 2;
	case NII_I32: case NII_F32: return 4;
	case NII_F64: return 8;
	default: return 0;
	}
}

static int host_big_endian(void)
{
	const uint16_t one = 1;
	return *(const uint8_t *)&one == 0;
}

/* Fixed-width fields of a header buffer, in the file's byte order. */
static uint64_t get_uint(const unsigned char *p, int n, int be)
{
	uint64_t v = 0;
	int i;
	for (i = 0; i < n; i++)
		v |= (uint64_t)p[be ? n - 1 - i : i] << (8 * i);
	return v;
}
static int32_t get_i16(const unsigned char *p, int be) { return (int16_t)get_uint(p, 2, be); }
static int32_t get_i32(const unsigned char *p, int be) { return (int32_t)get_uint(p, 4, be); }
static int64_t get_i64(const unsigned char *p, int be) { return (int64_t)get_uint(p, 8, be); }
static double get_f32(const unsigned char *p, int be)
{
	uint32_t u = (uint32_t)get_uint(p, 4, be);
	float f;
	memcpy(&f, &u, 4);
	return f;
}
static double get_f64(const unsigned char *p, int be)
{
	uint64_t u = get_uint(p, 8, be);
	double d;
	memcpy(&d, &u, 8);
	return d;
}

void nifti_quatern_to_mat(double b, double c, double d, double qx, double qy, double qz,
                          double dx, double dy, double dz, double qfac, double m[12])
{
	double a = 1.0 - (b * b + c * c + d * d);
	if (a < 1e-7) {
		/* not a unit quaternion: 180 degree rotation, renormalise b c d */
		a = 1.0 / sqrt(b * b + c * c + d * d);
		if (isfinite(a))
			b *= a, c *= a, d *= a;
		a = 0.0;
	} else {
		a = sqrt(a);
	}
	dx = dx > 0 ? dx : 1.0;
	dy = dy > 0 ? dy : 1.0;
	dz = dz > 0 ? dz : 1.0;
	if (qfac < 0)
		dz = -dz;
	m[0] = (a * a + b * b - c * c - d * d) * dx;
	m[1] = 2.0 * (b * c - a * d) * dy;
	m[2] = 2.0 * (b * d + a * c) * dz;
	m[3] = qx;
	m[4] = 2.0 * (b * c + a * d) * dx;
	m[5] = (a * a + c * c - b * b - d * d) * dy;
	m[6] = 2.0 * (c * d - a * b) * dz;
	m[7] = qy;
	m[8] = 2.0 * (b * d - a * c) * dx;
	m[9] = 2.0 * (c * d + a * b) * dy;
	m[10] = (a * a + d * d - c * c - b * b) * dz;
	m[11] = qz;
}

static double det3(const double r[3][3])
{
	return r[0][0] * (r[1][1] * r[2][2] - r[1][2] * r[2][1]) -
	       r[0][1] * (r[1][0] * r[2][2] - r[1][2] * r[2][0]) +
	       r[0][2] * (r[1][0] * r[2][1] - r[1][1] * r[2][0]);
}

/* Replace r by its orthogonal polar factor (Newton iteration
 * X <- (X + X^-T) / 2), which leaves a rotation unchanged. */
static void polar3(double r[3][3])
{
	int it, i, j;
	for (it = 0; it < 100; it++) {
		double det = det3(r), inv_t[3][3], diff = 0;
		if (fabs(det) < 1e-300)
			return;
		/* inverse transposed = cofactor matrix / det */
		for (i = 0; i < 3; i++)
			for (j = 0; j < 3; j++) {
				int i1 = (i + 1) % 3, i2 = (i + 2) % 3, j1 = (j + 1) % 3, j2 = (j + 2) % 3;
				inv_t[i][j] = (r[i1][j1] * r[i2][j2] - r[i1][j2] * r[i2][j1]) / det;
			}
		for (i = 0; i < 3; i++)
			for (j = 0; j < 3; j++) {
				double v = 0.5 * (r[i][j] + inv_t[i][j]);
				diff += fabs(v - r[i][j]);
				r[i][j] = v;
			}
		if (diff < 1e-15)
			return;
	}
}

void nifti_mat_to_quatern(const double m[12], double *qb, double *qc, double *qd,
                          double *dx, double *dy, double *dz, double *qfac)
{
	double r[3][3], len[3], a, b, c, d, trace;
	int i, j;
	for (j = 0; j < 3; j++) {
		len[j] = sqrt(m[j] * m[j] + m[4 + j] * m[4 + j] + m[8 + j] * m[8 + j]);
		for (i = 0; i < 3; i++)
			r[i][j] = len[j] > 0 ? m[4 * i + j] / len[j] : (i == j);
		if (!(len[j] > 0))
			len[j] = 1.0;
	}
	polar3(r);
	*qfac = 1.0;
	if (det3(r) < 0) {
		*qfac = -1.0;
		for (i = 0; i < 3; i++)
			r[i][2] = -r[i][2];
	}
	trace = r[0][0] + r[1][1] + r[2][2] + 1.0;
	if (trace > 0.5) {
		a = 0.5 * sqrt(trace);
		b = 0.25 * (r[2][1] - r[1][2]) / a;
		c = 0.25 * (r[0][2] - r[2][0]) / a;
		d = 0.25 * (r[1][0] - r[0][1]) / a;
	} else {
		double xd = 1.0 + r[0][0] - (r[1][1] + r[2][2]);
		double yd = 1.0 + r[1][1] - (r[0][0] + r[2][2]);
		double zd = 1.0 + r[2][2] - (r[0][0] + r[1][1]);
		if (xd > 1.0) {
			b = 0.5 * sqrt(xd);
			c = 0.25 * (r[0][1] + r[1][0]) / b;
			d = 0.25 * (r[0][2] + r[2][0]) / b;
			a = 0.25 * (r[2][1] - r[1][2]) / b;
		} else if (yd > 1.0) {
			c = 0.5 * sqrt(yd);
			b = 0.25 * (r[0][1] + r[1][0]) / c;
			d = 0.25 * (r[1][2] + r[2][1]) / c;
			a = 0.25 * (r[0][2] - r[2][0]) / c;
		} else {
			d = 0.5 * sqrt(zd);
			b = 0.25 * (r[0][2] + r[2][0]) / d;
			c = 0.25 * (r[1][2] + r[2][1]) / d;
			a = 0.25 * (r[1][0] - r[0][1]) / d;
		}
		if (a < 0)
			b = -b, c = -c, d = -d;
	}
	*qb = b, *qc = c, *qd = d;
	*dx = len[0], *dy = len[1], *dz = len[2];
}

/* ---- reading ---- */

struct gzin {
	gzFile gz;
	const char *src;
};

/* Read up to n bytes; returns the count, or -1 with a message on a zlib
 * error (a truncated gzip stream reads short and is reported by the caller). */
static long long gz_read(struct gzin *in, void *buf, size_t n)
{
	size_t got = 0;
	while (got < n) {
		unsigned chunk = n - got > (1u << 30) ? 1u << 30 : (unsigned)(n - got);
		int k = gzread(in->gz, (char *)buf + got, chunk);
		if (k < 0) {
			int err;
			const char *msg = gzerror(in->gz, &err);
			return error("%s: corrupt gzip data: %s", in->src, msg ? msg : "read error");
		}
		if (k == 0)
			break;
		got += (size_t)k;
	}
	return (long long)got;
}

/* Explain a short read: truncated gzip stream or plain short file. */
static int short_read(struct gzin *in, const char *what, size_t got, size_t want)
{
	int err = Z_OK;
	gzerror(in->gz, &err);
	if (err == Z_BUF_ERROR)
		return error("%s: truncated gzip data: %s ends after %zu of %zu bytes", in->src,
		             what, got, want);
	if (err != Z_OK && err != Z_STREAM_END)
		return error("%s: corrupt gzip data in %s: %s", in->src, what, gzerror(in->gz, &err));
	return error("%s: truncated: %s ends after %zu of %zu bytes", in->src, what, got, want);
}

static int read_exact(struct gzin *in, void *buf, size_t n, const char *what)
{
	long long k = gz_read(in, buf, n);
	if (k < 0)
		return -1;
	if ((size_t)k < n)
		return short_read(in, what, (size_t)k, n);
	return 0;
}

struct hdr {
	int version, be;
	int64_t dim[8];
	int datatype;
	double pixdim[8];
	double vox_offset, slope, inter;
	int qform_code, sform_code, xyzt_units;
	double quatern[3], qoffset[3], srow[12];
};

/* Decode the 348 or 540 header bytes. */
static int parse_header(struct gzin *in, const unsigned char *h, struct hdr *x)
{
	int i, be = x->be;
	if (x->version == 1) {
		if (memcmp(h + 344, "n+1\0", 4) != 0) {
			if (memcmp(h + 344, "ni1\0", 4) == 0)
				return error("%s: two-file NIfTI (.hdr/.img) is not supported", in->src);
			return error("%s: bad NIfTI-1 magic: '%.3s'", in->src, (const char *)h + 344);
		}
		for (i = 0; i < 8; i++)
			x->dim[i] = get_i16(h + 40 + 2 * i, be);
		x->datatype = get_i16(h + 70, be);
		for (i = 0; i < 8; i++)
			x->pixdim[i] = get_f32(h + 76 + 4 * i, be);
		x->vox_offset = get_f32(h + 108, be);
		x->slope = get_f32(h + 112, be);
		x->inter = get_f32(h + 116, be);
		x->xyzt_units = h[123];
		x->qform_code = get_i16(h + 252, be);
		x->sform_code = get_i16(h + 254, be);
		for (i = 0; i < 3; i++) {
			x->quatern[i] = get_f32(h + 256 + 4 * i, be);
			x->qoffset[i] = get_f32(h + 268 + 4 * i, be);
		}
		for (i = 0; i < 12; i++)
			x->srow[i] = get_f32(h + 280 + 4 * i, be);
	} else {
		if (memcmp(h + 4, "n+2\0\r\n\032\n", 8) != 0) {
			if (memcmp(h + 4, "ni2\0", 4) == 0)
				return error("%s: two-file NIfTI (.hdr/.img) is not supported", in->src);
			return error("%s: bad NIfTI-2 magic: '%.3s'", in->src, (const char *)h + 4);
		}
		x->datatype = get_i16(h + 12, be);
		for (i = 0; i < 8; i++)
			x->dim[i] = get_i64(h + 16 + 8 * i, be);
		for (i = 0; i < 8; i++)
			x->pixdim[i] = get_f64(h + 104 + 8 * i, be);
		x->vox_offset = (double)get_i64(h + 168, be);
		x->slope = get_f64(h + 176, be);
		x->inter = get_f64(h + 184, be);
		x->xyzt_units = get_i32(h + 500, be);
		x->qform_code = get_i32(h + 344, be);
		x->sform_code = get_i32(h + 348, be);
		for (i = 0; i < 3; i++) {
			x->quatern[i] = get_f64(h + 352 + 8 * i, be);
			x->qoffset[i] = get_f64(h + 376 + 8 * i, be);
		}
		for (i = 0; i < 12; i++)
			x->srow[i] = get_f64(h + 400 + 8 * i, be);
	}
	return 0;
}

/* Check dims and type against the limits; set nx..nt. */
static int check_header(struct gzin *in, const struct hdr *x, const struct limits *lim, int n[4])
{
	int i, nd;
	uint64_t total = 1;
	/* dim[0] whole: a NIfTI-2 value of 2^32 + 3 is no 3 */
	if (x->dim[0] < 1 || x->dim[0] > 7)
		return error("%s: bad number of dimensions (dim[0]): '%lld'", in->src,
		             (long long)x->dim[0]);
	nd = (int)x->dim[0];
	for (i = 1; i <= nd; i++) {
		if (x->dim[i] < 1 || x->dim[i] > DIM_MAX)
			return error("%s: bad dimension dim[%d]: '%lld'", in->src, i,
			             (long long)x->dim[i]);
		if (i > 4 && x->dim[i] > 1)
			return error("%s: more than 4 dimensions are not supported: dim[%d] = %lld",
			             in->src, i, (long long)x->dim[i]);
	}
	for (i = 0; i < 4; i++)
		n[i] = i + 1 <= nd ? (int)x->dim[i + 1] : 1;
	if (!type_size(x->datatype))
		return error("%s: unsupported datatype: '%d'", in->src, x->datatype);
	for (i = 0; i < 4; i++) {
		if ((uint64_t)n[i] > lim->voxels / total)
			return error("%s: more voxels than the limit of %llu per volume (%s/4): "
			             "'%d %d %d %d'", in->src, (unsigned long long)lim->voxels, LIMIT_ENV,
			             n[0], n[1], n[2], n[3]);
		total *= (uint64_t)n[i];
	}
	/* the stored data too (float64: 8 bytes a voxel) */
	if (total * (uint64_t)type_size(x->datatype) > lim->bytes)
		return error("%s: more voxel data than the limit of %llu bytes (%s): '%d %d %d %d' %s",
		             in->src, (unsigned long long)lim->bytes, LIMIT_ENV, n[0], n[1], n[2], n[3],
		             nifti_type_name(x->datatype));
	return 0;
}

/* Read the sample bytes, growing the buffer as they arrive so a header
 * that lies about its size costs no more memory than the data present. */
static unsigned char *read_data(struct gzin *in, size_t want)
{
	size_t cap = want < (1u << 20) ? want : (1u << 20), got = 0;
	unsigned char *buf = xmalloc(cap), *nb;
	if (!buf)
		return NULL;
	for (;;) {
		long long k = gz_read(in, buf + got, cap - got);
		if (k < 0)
			goto fail;
		got += (size_t)k;
		if (got < cap) {
			short_read(in, "voxel data", got, want);
			goto fail;
		}
		if (got == want)
			return buf;
		cap = cap > want / 2 ? want : cap * 2;
		nb = realloc(buf, cap);
		if (!nb) {
			error("%s: out of memory for voxel data (%zu bytes)", in->src, cap);
			goto fail;
		}
		buf = nb;
	}
fail:
	free(buf);
	return NULL;
}

/* Read to the end so that gzip's CRC and length check runs, but inflate
 * no more than TRAIL_MAX bytes past the declared data: a small gzip file
 * cannot make the reader inflate gigabytes that no voxel needs. */
#define TRAIL_MAX (1 << 20)
static int read_trailer(struct gzin *in)
{
	char tmp[4096];
	long long k;
	size_t past = 0;
	int err = Z_OK;
	do {
		k = gz_read(in, tmp, sizeof tmp);
		past += k > 0 ? (size_t)k : 0;
		if (past > TRAIL_MAX)
			return error("%s: more than %d bytes after the voxel data its header declares",
			             in->src, TRAIL_MAX);
	} while (k > 0);
	if (k < 0)
		return -1;
	gzerror(in->gz, &err);
	if (err == Z_BUF_ERROR)
		return error("%s: truncated gzip data: stream ends without its trailer", in->src);
	if (err != Z_OK && err != Z_STREAM_END)
		return error("%s: corrupt gzip data: %s", in->src, gzerror(in->gz, &err));
	return 0;
}

/* Decode one stored sample of type T at p (byte-swapped when asked). */
#define LOAD(T, p, swap, out) do { \
	unsigned char t_[sizeof(T)]; const unsigned char *q_ = (p); \
	if (swap) { size_t b_; for (b_ = 0; b_ < sizeof(T); b_++) t_[b_] = q_[sizeof(T) - 1 - b_]; q_ = t_; } \
	T v_; memcpy(&v_, q_, sizeof(T)); (out) = v_; } while (0)

/* Convert samples of type T; one loop per type keeps the hot path tight. */
#define CONVERT(T) do { \
	const unsigned char *p_ = src; \
	if (!scaled) { \
		for (i = 0; i < count; i++, p_ += sizeof(T)) { T v; LOAD(T, p_, swap, v); dst[i] = (float)v; } \
	} else { \
		for (i = 0; i < count; i++, p_ += sizeof(T)) { \
			T v; LOAD(T, p_, swap, v); dst[i] = (float)((double)v * slope + inter); } \
	} } while (0)

/* Convert `count` samples at `src` (file order) to scaled floats; reject
 * NaN and infinity unless `keep_nonfinite` (`base` and `n` locate a bad
 * voxel in the message). */
static int convert(struct gzin *in, const unsigned char *src, float *dst, size_t count,
                   int dt, int swap, double slope, double inter, int scaled, size_t base,
                   const int n[4], int keep_nonfinite)
{
	size_t i;
	switch (dt) {
	case NII_U8: CONVERT(uint8_t); break;
	case NII_I8: CONVERT(int8_t); break;
	case NII_I16: CONVERT(int16_t); break;
	case NII_U16: CONVERT(uint16_t); break;
	case NII_I32: CONVERT(int32_t); break;
	case NII_F32: CONVERT(float); break;
	default: CONVERT(double); break;
	}
	if (keep_nonfinite || (!scaled && dt != NII_F32 && dt != NII_F64))
		return 0;
	for (i = 0; i < count; i++)
		if (!isfinite(dst[i])) {
			size_t at = base + i;
			size_t x = at % n[0], y = at / n[0] % n[1], z = at / n[0] / n[1] % n[2];
			size_t t4 = at / n[0] / n[1] / n[2];
			return error("%s: non-finite voxel value (%s) at x %zu y %zu z %zu t %zu", in->src,
			             isnan(dst[i]) ? "NaN" : "infinity", x, y, z, t4);
		}
	return 0;
}

/* The voxel-to-world matrix by the NIfTI rules. */
static int pick_transform(struct gzin *in, const struct hdr *x, double m[12],
                          enum nifti_xform *from)
{
	int i;
	if (x->sform_code > 0) {
		for (i = 0; i < 12; i++)
			if (!isfinite(x->srow[i]))
				return error("%s: non-finite sform (srow) value", in->src);
		memcpy(m, x->srow, 12 * sizeof *m);
		*from = NII_FROM_SFORM;
		return 0;
	}
	if (x->qform_code > 0) {
		for (i = 0; i < 3; i++)
			if (!isfinite(x->quatern[i]) || !isfinite(x->qoffset[i]) || !isfinite(x->pixdim[i + 1]))
				return error("%s: non-finite qform value", in->src);
		nifti_quatern_to_mat(x->quatern[0], x->quatern[1], x->quatern[2], x->qoffset[0],
		                     x->qoffset[1], x->qoffset[2], x->pixdim[1], x->pixdim[2],
		                     x->pixdim[3], x->pixdim[0], m);
		*from = NII_FROM_QFORM;
		return 0;
	}
	memset(m, 0, 12 * sizeof *m);
	for (i = 0; i < 3; i++) {
		double p = fabs(x->pixdim[i + 1]);
		m[5 * i] = isfinite(p) && p > 0 ? p : 1.0;
	}
	*from = NII_FROM_PIXDIM;
	return 0;
}

/* nifti_load, keeping NaN and infinite voxels when keep_nonfinite. */
static int load(const char *path, struct slab *s, struct nifti_info *info, int keep_nonfinite)
{
	struct gzin in = {NULL, path};
	unsigned char h[N2_HDR], *raw = NULL;
	struct hdr x;
	int fd, n[4], be, hsize, sz, scaled, z, t, rc = -1;
	int32_t le;
	size_t nxy, want;
	double skip, m[12];
	enum nifti_xform from;
	struct limits lim;

	memset(s, 0, sizeof *s);
	memset(&x, 0, sizeof x);
	if (!strcmp(path, "-"))
		in.src = "standard input";
	if (limits_get(&lim) || (fd = open_input(path)) < 0)
		return -1;
	in.gz = gzdopen(fd, "rb");
	if (!in.gz) {
		close(fd);
		return error("%s: out of memory opening", in.src);
	}
	gzbuffer(in.gz, 1 << 17);

	if (read_exact(&in, h, 4, "header"))
		goto out;
	le = get_i32(h, 0);
	be = get_i32(h, 1) == N1_HDR || get_i32(h, 1) == N2_HDR;
	if (be)
		le = get_i32(h, 1);
	if (le != N1_HDR && le != N2_HDR) {
		error("%s: not a NIfTI file: header size (sizeof_hdr) is %d, not 348 or 540", in.src,
		      (int)get_i32(h, 0));
		goto out;
	}
	x.version = le == N1_HDR ? 1 : 2;
	x.be = be;
	hsize = le;
	if (read_exact(&in, h + 4, (size_t)hsize - 4, "header"))
		goto out;
	if (parse_header(&in, h, &x) || check_header(&in, &x, &lim, n))
		goto out;

	/* data start: vox_offset, at least just past the 4 extension bytes */
	if (!isfinite(x.vox_offset) || x.vox_offset < 0) {
		error("%s: bad vox_offset: '%g'", in.src, x.vox_offset);
		goto out;
	}
	if (x.vox_offset > (double)lim.text) {
		error("%s: header and extensions (vox_offset) larger than the limit of %llu bytes "
		      "(%s/64): '%.0f'", in.src, (unsigned long long)lim.text, LIMIT_ENV, x.vox_offset);
		goto out;
	}
	skip = floor(x.vox_offset) - hsize;
	if (skip < 4)
		skip = 4;
	while (skip > 0) {
		unsigned char tmp[4096];
		size_t k = skip > sizeof tmp ? sizeof tmp : (size_t)skip;
		if (read_exact(&in, tmp, k, "header extension"))
			goto out;
		skip -= (double)k;
	}

	sz = type_size(x.datatype);
	want = (size_t)n[0] * n[1] * n[2] * n[3] * (size_t)sz;
	raw = read_data(&in, want);
	if (!raw || read_trailer(&in))
		goto out;

	if (pick_transform(&in, &x, m, &from))
		goto out;
	if (slab_alloc(s, "", n[0], n[1], n[2], n[3], SLAB_F32))
		goto out;
	scaled = isfinite(x.slope) && x.slope != 0;
	if (scaled && !isfinite(x.inter))
		x.inter = 0;
	if (scaled && x.slope == 1 && x.inter == 0)
		scaled = 0;
	nxy = (size_t)n[0] * n[1];
	/* file order x, y, z, t -> slab order x, y, t (channel), z */
	for (t = 0; t < n[3]; t++)
		for (z = 0; z < n[2]; z++) {
			size_t from_i = ((size_t)t * n[2] + z) * nxy;
			float *dst = (float *)s->data + ((size_t)z * n[3] + t) * nxy;
			if (convert(&in, raw + from_i * sz, dst, nxy, x.datatype,
			            be != host_big_endian(), x.slope, x.inter, scaled, from_i, n,
			            keep_nonfinite))
				goto out;
		}
	/* what a slab header can carry back: finite, and 0 or a normal number
	 * (readers refuse a denormal, strtod's ERANGE) */
	for (z = 0; z < 12; z++)
		if (!isfinite(m[z]) || (m[z] != 0 && fabs(m[z]) < DBL_MIN)) {
			error("%s: the voxel-to-world transform holds a value out of range: %g", in.src,
			      m[z]);
			goto out;
		}
	memcpy(s->transform, m, sizeof m);
	for (z = 0; z < 3; z++) {
		/* hypot: no overflow on huge entries (1e200 squared is infinite) */
		double len = hypot(hypot(m[z], m[4 + z]), m[8 + z]);
		double p = fabs(x.pixdim[z + 1]);
		if (!isfinite(len)) {
			error("%s: voxel size out of range along axis %d: %g", in.src, z, len);
			goto out;
		}
		s->spacing[z] = len >= DBL_MIN ? len : isfinite(p) && p >= DBL_MIN ? p : 1.0;
	}
	if (info) {
		info->version = x.version;
		info->big_endian = be;
		info->gzipped = !gzdirect(in.gz);
		info->datatype = x.datatype;
		info->qform_code = x.qform_code;
		info->sform_code = x.sform_code;
		info->xform = from;
		for (z = 0; z < 4; z++)
			info->pixdim[z] = x.pixdim[z];
		info->geom.version = x.version;
		for (z = 0; z < 8; z++) {
			info->geom.dim[z] = x.dim[z];
			info->geom.pixdim[z] = x.pixdim[z];
		}
		/* dims past dim[0] are 1 by the standard; check_header allowed only 1s */
		for (z = (int)x.dim[0] + 1; z < 8; z++)
			info->geom.dim[z] = 1;
		info->geom.xyzt_units = x.xyzt_units;
		info->geom.qform_code = x.qform_code;
		info->geom.sform_code = x.sform_code;
		memcpy(info->geom.quatern, x.quatern, sizeof x.quatern);
		memcpy(info->geom.qoffset, x.qoffset, sizeof x.qoffset);
		memcpy(info->geom.srow, x.srow, sizeof x.srow);
	}
	rc = 0;
out:
	if (rc)
		slab_free(s);
	free(raw);
	gzclose_r(in.gz);
	return rc;
}

int nifti_load(const char *path, struct slab *s, struct nifti_info *info)
{
	return load(path, s, info, 0);
}

/* Replace the non-finite voxels of each channel by 0 or by the channel's
 * finite minimum; their count into *replaced. 0 or -1 (no finite voxel). */
static int replace_nonfinite(struct slab *s, enum nifti_nan policy, const char *path,
                             size_t *replaced)
{
	size_t per = (size_t)s->nx * s->ny, i, n = 0;
	float *d = s->data;
	int c, z;
	for (c = 0; c < s->nc; c++) {
		float fill = 0, lo = INFINITY;
		size_t bad = 0;
		for (z = 0; z < s->nz; z++) {
			const float *p = d + slab_index(s, 0, 0, c, z);
			for (i = 0; i < per; i++) {
				if (!isfinite(p[i]))
					bad++;
				else if (p[i] < lo)
					lo = p[i];
			}
		}
		if (!bad)
			continue;
		if (policy == NII_NAN_MIN) {
			if (!isfinite(lo))
				return error("%s: no finite voxel in volume %d to take the minimum of", path,
				             c);
			fill = lo;
		}
		for (z = 0; z < s->nz; z++) {
			float *p = d + slab_index(s, 0, 0, c, z);
			for (i = 0; i < per; i++)
				if (!isfinite(p[i]))
					p[i] = fill;
		}
		n += bad;
	}
	if (replaced)
		*replaced = n;
	return 0;
}

int nifti_load_nan(const char *path, struct slab *s, struct nifti_info *info,
                   enum nifti_nan policy, size_t *replaced)
{
	if (replaced)
		*replaced = 0;
	if (policy == NII_NAN_REFUSE)
		return load(path, s, info, 0);
	if (load(path, s, info, 1))
		return -1;
	if (replace_nonfinite(s, policy, strcmp(path, "-") ? path : "standard input", replaced)) {
		slab_free(s);
		return -1;
	}
	return 0;
}

/* ---- writing ---- */

static void put_uint(unsigned char *p, uint64_t v, int n)
{
	int i;
	for (i = 0; i < n; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}
static void put_i16(unsigned char *p, int v) { put_uint(p, (uint16_t)(int16_t)v, 2); }
static void put_i32(unsigned char *p, long long v) { put_uint(p, (uint32_t)(int32_t)v, 4); }
static void put_i64(unsigned char *p, long long v) { put_uint(p, (uint64_t)v, 8); }
static void put_f64(unsigned char *p, double v)
{
	uint64_t u;
	memcpy(&u, &v, 8);
	put_uint(p, u, 8);
}
static void put_f32(unsigned char *p, double v)
{
	float f = (float)v;
	uint32_t u;
	memcpy(&u, &f, 4);
	put_uint(p, u, 4);
}

struct sink {
	FILE *f;
	int gz;
	z_stream zs;
	unsigned char out[1 << 16];
};

static int sink_put(struct sink *k, const void *buf, size_t n, int finish)
{
	if (!k->gz) {
		if (n && fwrite(buf, 1, n, k->f) != n)
			return error("write error: %s", strerror(errno));
		return 0;
	}
	k->zs.next_in = (unsigned char *)buf;
	k->zs.avail_in = (uInt)n;
	for (;;) {
		int zr;
		k->zs.next_out = k->out;
		k->zs.avail_out = sizeof k->out;
		zr = deflate(&k->zs, finish ? Z_FINISH : Z_NO_FLUSH);
		if (zr == Z_STREAM_ERROR)
			return error("gzip compression failed");
		size_t have = sizeof k->out - k->zs.avail_out;
		if (have && fwrite(k->out, 1, have, k->f) != have)
			return error("write error: %s", strerror(errno));
		if (finish ? zr == Z_STREAM_END : k->zs.avail_in == 0)
			return 0;
	}
}

/* The NIfTI datatype and bitpix of a slab's type. */
static void slab_datatype(const struct slab *s, int *dt, int *bitpix)
{
	switch (s->type) {
	case SLAB_U8: *dt = NII_U8, *bitpix = 8; break;
	case SLAB_I16: *dt = NII_I16, *bitpix = 16; break;
	default: *dt = NII_F32, *bitpix = 32; break;
	}
}

/* Write the header bytes h[0..hn-1] and then the slab's samples in file
 * order, through gzip when gz. 0 or -1. */
static int write_body(FILE *f, const unsigned char *h, size_t hn, const struct slab *s, int gz)
{
	struct sink *k;
	int z, ch, rc = -1;
	size_t nxy = (size_t)s->nx * s->ny, es = slab_type_size(s->type);
	unsigned char *blk;

	k = xcalloc(1, sizeof *k);
	blk = xmalloc(nxy * es);
	if (!k || !blk)
		goto out;
	k->f = f;
	k->gz = gz;
	if (gz && deflateInit2(&k->zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
		error("gzip compression failed to start");
		k->gz = 0;
		goto out;
	}
	if (sink_put(k, h, hn, 0))
		goto out;
	/* slab order x, y, channel, z -> file order x, y, z, t (channel) */
	for (ch = 0; ch < s->nc; ch++)
		for (z = 0; z < s->nz; z++) {
			const unsigned char *src =
				(const unsigned char *)s->data + ((size_t)z * s->nc + ch) * nxy * es;
			memcpy(blk, src, nxy * es);
			if (host_big_endian() && es > 1) {
				size_t j;
				for (j = 0; j < nxy; j++) {
					unsigned char *p = blk + j * es, tmp;
					size_t q;
					for (q = 0; q < es / 2; q++)
						tmp = p[q], p[q] = p[es - 1 - q], p[es - 1 - q] = tmp;
				}
			}
			if (sink_put(k, blk, nxy * es, 0))
				goto out;
		}
	if (sink_put(k, NULL, 0, 1))
		goto out;
	if (ferror(f)) {
		error("write error: %s", strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (k && k->gz)
		deflateEnd(&k->zs);
	free(k);
	free(blk);
	return rc;
}

int nifti_write(FILE *f, const struct slab *s, int gz)
{
	unsigned char h[352];
	double b, c, d, dx, dy, dz, qfac;
	int dt, bitpix, i;

	slab_datatype(s, &dt, &bitpix);
	if (s->nx > 32767 || s->ny > 32767 || s->nz > 32767 || s->nc > 32767)
		return error("dims too large for NIfTI-1: '%d %d %d' channels %d", s->nx, s->ny,
		             s->nz, s->nc);
	/* the header's fields are floats: a larger value would be written as
	 * inf, which readers (this one too) refuse */
	for (i = 0; i < 12; i++)
		if (!(fabs(s->transform[i]) <= FLT_MAX))
			return error("%s%s%stransform value out of NIfTI-1's float range: '%g'",
			             s->name[0] ? "slab '" : "", s->name, s->name[0] ? "': " : "",
			             s->transform[i]);
	memset(h, 0, sizeof h);
	put_uint(h, N1_HDR, 4);
	h[38] = 'r';
	put_i16(h + 40, s->nc > 1 ? 4 : 3);
	put_i16(h + 42, s->nx);
	put_i16(h + 44, s->ny);
	put_i16(h + 46, s->nz);
	for (i = 4; i < 8; i++)
		put_i16(h + 40 + 2 * i, i == 4 ? s->nc : 1);
	put_i16(h + 70, dt);
	put_i16(h + 72, bitpix);
	nifti_mat_to_quatern(s->transform, &b, &c, &d, &dx, &dy, &dz, &qfac);
	put_f32(h + 76, qfac);
	put_f32(h + 80, dx);
	put_f32(h + 84, dy);
	put_f32(h + 88, dz);
	for (i = 4; i < 8; i++)
		put_f32(h + 76 + 4 * i, 1.0);
	put_f32(h + 108, 352);
	put_f32(h + 112, 1.0);
	put_f32(h + 116, 0.0);
	h[123] = 2; /* xyzt_units: millimetres */
	snprintf((char *)h + 148, 80, "selflabel %.69s", s->name);
	put_i16(h + 252, 1);
	put_i16(h + 254, 1);
	put_f32(h + 256, b);
	put_f32(h + 260, c);
	put_f32(h + 264, d);
	put_f32(h + 268, s->transform[3]);
	put_f32(h + 272, s->transform[7]);
	put_f32(h + 276, s->transform[11]);
	for (i = 0; i < 12; i++)
		put_f32(h + 280 + 4 * i, s->transform[i]);
	memcpy(h + 344, "n+1\0", 4);
	return write_body(f, h, sizeof h, s, gz);
}

int nifti_write_like(FILE *f, const struct slab *s, const struct nifti_geom *g, int gz)
{
	unsigned char h[544];
	long long dim[8];
	int dt, bitpix, i;
	size_t hn;

	if (g->version != 1 && g->version != 2)
		return error("reference NIfTI version is not 1 or 2: '%d'", g->version);
	if (s->nx != g->dim[1] || s->ny != g->dim[2] || s->nz != g->dim[3])
		return error("volume dims differ from the reference's: '%d %d %d' vs '%lld %lld %lld'",
		             s->nx, s->ny, s->nz, g->dim[1], g->dim[2], g->dim[3]);
	memcpy(dim, g->dim, sizeof dim);
	if (s->nc != dim[4]) {
		if (s->nc != 1)
			return error("channels differ from the reference's 4th dimension: '%d' vs '%lld'",
			             s->nc, dim[4]);
		/* one volume under a 4-D reference: the 3-D grid of its volumes */
		dim[0] = 3;
		dim[4] = 1;
	}
	slab_datatype(s, &dt, &bitpix);
	memset(h, 0, sizeof h);
	if (g->version == 1) {
		hn = 352;
		put_uint(h, N1_HDR, 4);
		h[38] = 'r';
		for (i = 0; i < 8; i++)
			put_i16(h + 40 + 2 * i, (int)dim[i]);
		put_i16(h + 70, dt);
		put_i16(h + 72, bitpix);
		for (i = 0; i < 8; i++)
			put_f32(h + 76 + 4 * i, g->pixdim[i]);
		put_f32(h + 108, 352);
		put_f32(h + 112, 1.0);
		put_f32(h + 116, 0.0);
		h[123] = (unsigned char)g->xyzt_units;
		snprintf((char *)h + 148, 80, "selflabel %.69s", s->name);
		put_i16(h + 252, g->qform_code);
		put_i16(h + 254, g->sform_code);
		for (i = 0; i < 3; i++) {
			put_f32(h + 256 + 4 * i, g->quatern[i]);
			put_f32(h + 268 + 4 * i, g->qoffset[i]);
		}
		for (i = 0; i < 12; i++)
			put_f32(h + 280 + 4 * i, g->srow[i]);
		memcpy(h + 344, "n+1\0", 4);
	} else {
		hn = 544;
		put_uint(h, N2_HDR, 4);
		memcpy(h + 4, "n+2\0\r\n\032\n", 8);
		put_i16(h + 12, dt);
		put_i16(h + 14, bitpix);
		for (i = 0; i < 8; i++)
			put_i64(h + 16 + 8 * i, dim[i]);
		for (i = 0; i < 8; i++)
			put_f64(h + 104 + 8 * i, g->pixdim[i]);
		put_i64(h + 168, 544);
		put_f64(h + 176, 1.0);
		put_f64(h + 184, 0.0);
		snprintf((char *)h + 240, 80, "selflabel %.69s", s->name);
		put_i32(h + 344, g->qform_code);
		put_i32(h + 348, g->sform_code);
		for (i = 0; i < 3; i++) {
			put_f64(h + 352 + 8 * i, g->quatern[i]);
			put_f64(h + 376 + 8 * i, g->qoffset[i]);
		}
		for (i = 0; i < 12; i++)
			put_f64(h + 400 + 8 * i, g->srow[i]);
		put_i32(h + 500, g->xyzt_units);
	}
	return write_body(f, h, hn, s, gz);
}

/* Write through nifti_write (geom NULL) or nifti_write_like, whole or not at all. */
static int save(const char *path, const struct slab *s, const struct nifti_geom *geom)
{
	struct outfile o;
	size_t n = strlen(path);
	int gz = !(n >= 4 && !strcmp(path + n - 4, ".nii"));
	if (outfile_open(&o, path))
		return -1;
	if (geom ? nifti_write_like(o.f, s, geom, gz) : nifti_write(o.f, s, gz)) {
		outfile_abort(&o);
		return -1;
	}
	return outfile_commit(&o);
}

int nifti_save(const char *path, const struct slab *s)
{
	return save(path, s, NULL);
}

int nifti_save_like(const char *path, const struct slab *s, const struct nifti_geom *geom)
{
	return save(path, s, geom);
}
