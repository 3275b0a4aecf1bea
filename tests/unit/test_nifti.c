/* NIfTI reader and writer: hand-built headers of every datatype, both byte
 * orders and both versions, plain and gzip; scl_slope/scl_inter; 4-D to
 * channels; sform/qform/pixdim choice; the quaternion against an independent
 * axis-angle rotation; writer round trips; and every rejection (truncated,
 * corrupt, bad magic, bad sizeof_hdr, bad datatype, bad dims, NaN) with a
 * one-line message naming the file. */
#include "check.h"
#include "nifti.h"
#include "slab.h"
#include "util.h"

#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#ifdef __SANITIZE_ADDRESS__
/* Under AddressSanitizer (make SANITIZE=1), whose shadow memory needs
 * terabytes of address space, RLIMIT_AS cannot bound a test: its malloc
 * hook records the largest block asked for instead. (The runtime's own
 * declaration is in clang's sanitizer/allocator_interface.h; gcc has none.) */
int __sanitizer_install_malloc_and_free_hooks(void (*)(const volatile void *, size_t),
                                              void (*)(const volatile void *));
static int watching;
static size_t biggest;

static void note_malloc(const volatile void *p, size_t n)
{
	(void)p;
	if (watching && n > biggest)
		biggest = n;
}

static void note_free(const volatile void *p)
{
	(void)p;
}
#endif

static char dir[256];

/* ---- an independent header builder ---- */

struct hb {
	unsigned char b[1 << 16];
	int be, version;
};

static void put(struct hb *h, int off, uint64_t v, int n)
{
	int i;
	for (i = 0; i < n; i++)
		h->b[off + (h->be ? n - 1 - i : i)] = (unsigned char)(v >> (8 * i));
}
static void put_f(struct hb *h, int off, double v)
{
	if (h->version == 1) {
		float f = (float)v;
		uint32_t u;
		memcpy(&u, &f, 4);
		put(h, off, u, 4);
	} else {
		uint64_t u;
		memcpy(&u, &v, 8);
		put(h, off, u, 8);
	}
}

/* Field offsets for the two versions. */
struct layout {
	int size, dim, dimw, datatype, pixdim, vox_offset, slope, inter, qcode, scode, codew,
	    quatern, qoffset, srow, fw, magic;
	const char *magic_text;
	int magic_len;
};
static const struct layout L1 = {348, 40, 2, 70, 76, 108, 112, 116, 252, 254, 2, 256, 268, 280,
                                 4, 344, "n+1\0", 4};
static const struct layout L2 = {540, 16, 8, 12, 104, 168, 176, 184, 344, 348, 4, 352, 376, 400,
                                 8, 4, "n+2\0\r\n\032\n", 8};

/* Start a header: dims (nd of them), datatype, voxel sizes 1, no xform. */
static const struct layout *hdr_init(struct hb *h, int version, int be, int nd, const int *dims,
                                     int datatype)
{
	const struct layout *l = version == 1 ? &L1 : &L2;
	int i;
	memset(h->b, 0, sizeof h->b);
	h->be = be, h->version = version;
	put(h, 0, (uint64_t)l->size, 4);
	memcpy(h->b + l->magic, l->magic_text, l->magic_len);
	put(h, l->dim, (uint64_t)nd, l->dimw);
	for (i = 1; i < 8; i++)
		put(h, l->dim + i * l->dimw, i <= nd ? (uint64_t)dims[i - 1] : 1, l->dimw);
	put(h, l->datatype, (uint64_t)datatype, 2);
	for (i = 0; i < 8; i++)
		put_f(h, l->pixdim + i * l->fw, 1.0);
	if (version == 1)
		put_f(h, l->vox_offset, 352);
	else
		put(h, l->vox_offset, 544, 8);
	return l;
}

/* Store sample k of type dt with value v at data offset. */
static int tsize(int dt)
{
	return dt == NII_U8 || dt == NII_I8 ? 1 : dt == NII_I16 || dt == NII_U16 ? 2 : dt == NII_F64 ? 8 : 4;
}
static void put_sample(struct hb *h, int off, int dt, double v)
{
	int n = tsize(dt);
	uint64_t u = 0;
	if (dt == NII_F32) {
		float f = (float)v;
		uint32_t w;
		memcpy(&w, &f, 4);
		u = w;
	} else if (dt == NII_F64) {
		memcpy(&u, &v, 8);
	} else {
		u = (uint64_t)(int64_t)v;
	}
	put(h, off, u, n);
}

static char *path_of(const char *name)
{
	static char p[512];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	return p;
}

/* Write n bytes of h as a file, gzip-compressed or plain. */
static void write_file(const char *path, const void *buf, size_t n, int gz)
{
	if (gz) {
		gzFile g = gzopen(path, "wb");
		gzwrite(g, buf, (unsigned)n);
		gzclose(g);
	} else {
		FILE *f = fopen(path, "wb");
		fwrite(buf, 1, n, f);
		fclose(f);
	}
}

/* Value of sample k for a datatype: negative ones only where signed. */
static double sample_value(int dt, int k)
{
	switch (dt) {
	case NII_U8: return k * 7 % 256;
	case NII_I8: return k * 7 % 256 - 128;
	case NII_I16: return k * 1000 - 12000;
	case NII_U16: return k * 2000 + 1;
	case NII_I32: return k * 100003 - 1000000;
	case NII_F32: return k * 0.25 - 3.5;
	default: return k * 1e-3 - 0.0123;
	}
}

/* ---- capturing the one error line ---- */

static char errbuf[4096];

static int load_capture(const char *path, struct slab *s, struct nifti_info *info)
{
	int saved = dup(2), fd, rc;
	char tmp[300];
	ssize_t n;
	snprintf(tmp, sizeof tmp, "%s/stderr.txt", dir);
	fflush(stderr);
	fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC, 0644);
	dup2(fd, 2);
	rc = nifti_load(path, s, info);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	lseek(fd, 0, SEEK_SET);
	n = read(fd, errbuf, sizeof errbuf - 1);
	errbuf[n > 0 ? n : 0] = '\0';
	close(fd);
	return rc;
}

/* The load fails with one line naming the file and containing `what`. */
static void expect_fail(const char *path, const char *what)
{
	struct slab s;
	int rc = load_capture(path, &s, NULL), lines = 0;
	const char *p;
	for (p = errbuf; *p; p++)
		lines += *p == '\n';
	CHECK(rc == -1);
	CHECK(lines == 1);
	CHECK(strstr(errbuf, path) != NULL);
	CHECK(strstr(errbuf, what) != NULL);
	if (rc != -1 || lines != 1 || !strstr(errbuf, path) || !strstr(errbuf, what))
		fprintf(stderr, "  for '%s' want '%s', got: %s\n", path, what, errbuf);
	if (rc == 0)
		slab_free(&s);
}

/* ---- the tests ---- */

static void test_types(void)
{
	static const int types[] = {NII_U8, NII_I8, NII_I16, NII_U16, NII_I32, NII_F32, NII_F64};
	int dims[3] = {3, 2, 4}, version, be, ti, gz, k, n = 24;
	struct hb h;
	for (version = 1; version <= 2; version++)
		for (be = 0; be <= 1; be++)
			for (ti = 0; ti < 7; ti++)
				for (gz = 0; gz <= 1; gz++) {
					int dt = types[ti], off = version == 1 ? 352 : 544, ok = 1;
					struct slab s;
					struct nifti_info info;
					char name[64];
					hdr_init(&h, version, be, 3, dims, dt);
					for (k = 0; k < n; k++)
						put_sample(&h, off + k * tsize(dt), dt, sample_value(dt, k));
					snprintf(name, sizeof name, "t_v%d_be%d_%d%s", version, be, dt,
					         gz ? ".nii.gz" : ".nii");
					write_file(path_of(name), h.b, off + n * tsize(dt), gz);
					CHECK(nifti_load(path_of(name), &s, &info) == 0);
					CHECK(s.nx == 3 && s.ny == 2 && s.nz == 4 && s.nc == 1 && s.type == SLAB_F32);
					CHECK(info.version == version && info.big_endian == be &&
					      info.datatype == dt && info.gzipped == gz);
					CHECK(info.xform == NII_FROM_PIXDIM);
					for (k = 0; k < n; k++)
						if (((float *)s.data)[k] != (float)sample_value(dt, k))
							ok = 0;
					CHECK(ok);
					if (!ok)
						fprintf(stderr, "  values differ in %s\n", name);
					slab_free(&s);
				}
}

static void test_scaling(void)
{
	struct hb h;
	int dims[3] = {4, 1, 1}, k;
	const struct layout *l;
	struct slab s;
	double slopes[] = {2.0, 0.0, NAN}, inters[] = {-3.0, 5.0, 5.0};
	int i;
	for (i = 0; i < 3; i++) {
		l = hdr_init(&h, 1, i == 1, 3, dims, NII_I16);
		put_f(&h, l->slope, slopes[i]);
		put_f(&h, l->inter, inters[i]);
		for (k = 0; k < 4; k++)
			put_sample(&h, 352 + 2 * k, NII_I16, k * 10 - 7);
		write_file(path_of("scl.nii"), h.b, 352 + 8, 0);
		CHECK(nifti_load(path_of("scl.nii"), &s, NULL) == 0);
		for (k = 0; k < 4; k++) {
			double raw = k * 10 - 7, want = i == 0 ? raw * 2 - 3 : raw;
			CHECK_NEAR(((float *)s.data)[k], want, 0);
		}
		slab_free(&s);
	}
	/* NIfTI-2 with f64 slope */
	l = hdr_init(&h, 2, 1, 3, dims, NII_U8);
	put_f(&h, l->slope, 0.5);
	put_f(&h, l->inter, 100);
	for (k = 0; k < 4; k++)
		put_sample(&h, 544 + k, NII_U8, 200 + k);
	write_file(path_of("scl2.nii.gz"), h.b, 544 + 4, 1);
	CHECK(nifti_load(path_of("scl2.nii.gz"), &s, NULL) == 0);
	for (k = 0; k < 4; k++)
		CHECK_NEAR(((float *)s.data)[k], (200 + k) * 0.5 + 100, 0);
	slab_free(&s);
}

static void test_4d(void)
{
	struct hb h;
	int dims[4] = {2, 3, 4, 3}, x, y, z, t, ok = 1;
	struct slab s;
	hdr_init(&h, 2, 0, 4, dims, NII_I16);
	for (t = 0; t < 3; t++)
		for (z = 0; z < 4; z++)
			for (y = 0; y < 3; y++)
				for (x = 0; x < 2; x++)
					put_sample(&h, 544 + 2 * (((t * 4 + z) * 3 + y) * 2 + x), NII_I16,
					           1000 * t + 100 * z + 10 * y + x);
	write_file(path_of("4d.nii.gz"), h.b, 544 + 2 * 72, 1);
	CHECK(nifti_load(path_of("4d.nii.gz"), &s, NULL) == 0);
	CHECK(s.nx == 2 && s.ny == 3 && s.nz == 4 && s.nc == 3);
	for (t = 0; t < 3; t++)
		for (z = 0; z < 4; z++)
			for (y = 0; y < 3; y++)
				for (x = 0; x < 2; x++)
					if (((float *)s.data)[slab_index(&s, x, y, t, z)] !=
					    1000 * t + 100 * z + 10 * y + x)
						ok = 0;
	CHECK(ok);
	slab_free(&s);
}

/* Rotation matrix of angle th about unit axis u (Rodrigues), independent
 * of the quaternion formulas. */
static void rodrigues(const double u[3], double th, double r[3][3])
{
	double c = cos(th), s = sin(th), k[3][3] = {{0, -u[2], u[1]}, {u[2], 0, -u[0]}, {-u[1], u[0], 0}};
	int i, j;
	for (i = 0; i < 3; i++)
		for (j = 0; j < 3; j++)
			r[i][j] = (i == j) * c + s * k[i][j] + (1 - c) * u[i] * u[j];
}

static void test_qform(void)
{
	struct hb h;
	int dims[3] = {2, 2, 2}, i, j, v;
	const struct layout *l;
	struct slab s;
	struct nifti_info info;
	double m[12];
	/* 90 degrees about z: a = d = sqrt(1/2); pixdim 2 3 4, qfac -1 */
	double want[12] = {0, -3, 0, 10, 2, 0, 0, 20, 0, 0, -4, 30};
	for (v = 1; v <= 2; v++) {
		l = hdr_init(&h, v, v == 2, 3, dims, NII_U8);
		put(&h, l->qcode, 1, l->codew);
		put_f(&h, l->quatern + 2 * l->fw, sqrt(0.5));
		put_f(&h, l->qoffset, 10);
		put_f(&h, l->qoffset + l->fw, 20);
		put_f(&h, l->qoffset + 2 * l->fw, 30);
		put_f(&h, l->pixdim, -1);
		put_f(&h, l->pixdim + l->fw, 2);
		put_f(&h, l->pixdim + 2 * l->fw, 3);
		put_f(&h, l->pixdim + 3 * l->fw, 4);
		write_file(path_of("q.nii"), h.b, (v == 1 ? 352 : 544) + 8, 0);
		CHECK(nifti_load(path_of("q.nii"), &s, &info) == 0);
		CHECK(info.xform == NII_FROM_QFORM);
		for (i = 0; i < 12; i++)
			CHECK_NEAR(s.transform[i], want[i], 1e-6);
		CHECK_NEAR(s.spacing[0], 2, 1e-6);
		CHECK_NEAR(s.spacing[1], 3, 1e-6);
		CHECK_NEAR(s.spacing[2], 4, 1e-6);
		slab_free(&s);

		/* an sform wins over the qform */
		put(&h, l->scode, 2, l->codew);
		for (i = 0; i < 12; i++)
			put_f(&h, l->srow + i * l->fw, i * 0.5 + 1);
		write_file(path_of("s.nii.gz"), h.b, (v == 1 ? 352 : 544) + 8, 1);
		CHECK(nifti_load(path_of("s.nii.gz"), &s, &info) == 0);
		CHECK(info.xform == NII_FROM_SFORM);
		for (i = 0; i < 12; i++)
			CHECK_NEAR(s.transform[i], i * 0.5 + 1, 0);
		slab_free(&s);

		/* neither: diag(pixdim), zero offset */
		put(&h, l->scode, 0, l->codew);
		put(&h, l->qcode, 0, l->codew);
		write_file(path_of("p.nii"), h.b, (v == 1 ? 352 : 544) + 8, 0);
		CHECK(nifti_load(path_of("p.nii"), &s, &info) == 0);
		CHECK(info.xform == NII_FROM_PIXDIM);
		{
			double d[12] = {2, 0, 0, 0, 0, 3, 0, 0, 0, 0, 4, 0};
			for (i = 0; i < 12; i++)
				CHECK_NEAR(s.transform[i], d[i], 0);
		}
		slab_free(&s);
	}

	/* general quaternions against Rodrigues, and back */
	{
		struct rng r;
		int trial;
		rng_seed(&r, 7);
		for (trial = 0; trial < 200; trial++) {
			double u[3], len = 0, th = (rng_uniform(&r) * 2 - 1) * 3.14159, rot[3][3];
			double sc[3] = {0.5 + rng_uniform(&r), 0.5 + rng_uniform(&r), 0.5 + rng_uniform(&r)};
			double qfac = trial % 2 ? -1 : 1, b, c, d, dx, dy, dz, qf, m2[12];
			for (i = 0; i < 3; i++)
				u[i] = rng_normal(&r), len += u[i] * u[i];
			for (i = 0; i < 3; i++)
				u[i] /= sqrt(len);
			rodrigues(u, th, rot);
			/* quaternion (cos th/2, sin th/2 u); a >= 0 since |th| < pi */
			nifti_quatern_to_mat(sin(th / 2) * u[0], sin(th / 2) * u[1], sin(th / 2) * u[2],
			                     1, 2, 3, sc[0], sc[1], sc[2], qfac, m);
			for (i = 0; i < 3; i++)
				for (j = 0; j < 3; j++)
					CHECK_NEAR(m[4 * i + j], rot[i][j] * sc[j] * (j == 2 ? qfac : 1), 1e-12);
			CHECK(m[3] == 1 && m[7] == 2 && m[11] == 3);
			nifti_mat_to_quatern(m, &b, &c, &d, &dx, &dy, &dz, &qf);
			CHECK_NEAR(dx, sc[0], 1e-12);
			CHECK_NEAR(dy, sc[1], 1e-12);
			CHECK_NEAR(dz, sc[2], 1e-12);
			CHECK(qf == qfac);
			nifti_quatern_to_mat(b, c, d, m[3], m[7], m[11], dx, dy, dz, qf, m2);
			for (i = 0; i < 12; i++)
				CHECK_NEAR(m2[i], m[i], 1e-9);
		}
	}
}

static void test_write(void)
{
	enum slab_type t;
	int gz, nc;
	for (t = SLAB_U8; t <= SLAB_F32; t++)
		for (gz = 0; gz <= 1; gz++)
			for (nc = 1; nc <= 2; nc++) {
				struct slab a, b;
				struct nifti_info info;
				size_t i;
				int ok = 1;
				const char *p = path_of(gz ? "w.nii.gz" : "w.nii");
				double tr[12] = {0, -1.5, 0, 12.25, 0.8, 0, 0, -7, 0, 0, 2.5, 33};
				CHECK(slab_alloc(&a, "w", 5, 4, 3, nc, t) == 0);
				for (i = 0; i < slab_count(&a); i++)
					slab_set(&a, i, t == SLAB_F32 ? i * 0.37 - 5 : t == SLAB_I16 ? (double)i * 97 - 3000 : i % 256);
				memcpy(a.transform, tr, sizeof tr);
				a.spacing[0] = 0.8, a.spacing[1] = 1.5, a.spacing[2] = 2.5;
				CHECK(nifti_save(p, &a) == 0);
				CHECK(nifti_load(p, &b, &info) == 0);
				CHECK(info.gzipped == gz && info.version == 1 && info.xform == NII_FROM_SFORM);
				CHECK(info.qform_code == 1 && info.sform_code == 1);
				CHECK(info.datatype == (t == SLAB_U8 ? NII_U8 : t == SLAB_I16 ? NII_I16 : NII_F32));
				CHECK(b.nx == 5 && b.ny == 4 && b.nz == 3 && b.nc == nc);
				for (i = 0; i < slab_count(&a); i++)
					if ((float)slab_get(&a, i) != ((float *)b.data)[i])
						ok = 0;
				CHECK(ok);
				for (i = 0; i < 12; i++)
					CHECK_NEAR(b.transform[i], tr[i], 1e-6);
				CHECK_NEAR(b.spacing[0], 0.8, 1e-6);
				CHECK_NEAR(b.spacing[2], 2.5, 1e-6);
				slab_free(&b);
				/* the qform alone gives the same matrix */
				{
					FILE *f = fopen(p, "r+b");
					unsigned char zero[2] = {0, 0};
					if (!gz) {
						fseek(f, 254, SEEK_SET);
						fwrite(zero, 1, 2, f);
						fclose(f);
						CHECK(nifti_load(p, &b, &info) == 0);
						CHECK(info.xform == NII_FROM_QFORM);
						for (i = 0; i < 12; i++)
							CHECK_NEAR(b.transform[i], tr[i], 1e-5);
						slab_free(&b);
					} else {
						fclose(f);
					}
				}
				slab_free(&a);
			}
}

/* nifti_write_like: a reference's grid (both versions, both byte orders,
 * qform and sform codes that differ, odd floats, 4-D) comes back field for
 * field, bit for bit, in the written file; dims that differ are refused. */
static void test_write_like(void)
{
	struct hb h;
	int v, be, i, j;
	for (v = 1; v <= 2; v++)
		for (be = 0; be <= 1; be++) {
			int dims[4] = {3, 2, 4, 2}, off = v == 1 ? 352 : 544;
			const struct layout *l = hdr_init(&h, v, be, 4, dims, NII_I16);
			const double pix[8] = {-1, 0.1, 1.0 / 3, 2.7, 1.5, 0.3, 7, 9};
			const double sr[12] = {0.1, -0.2, 0.01, -90.3, 0.05, 1.0 / 3, 0.2, 126.1,
			                       -0.02, 0.3, 2.7, -72.7};
			struct slab ref, a, b;
			struct nifti_info ri, bi;
			unsigned char raw[600];
			FILE *f;
			const char *p = path_of(be ? "like.nii" : "like.nii.gz");
			for (i = 0; i < 8; i++)
				put_f(&h, l->pixdim + i * l->fw, pix[i]);
			put(&h, l->qcode, 2, l->codew);
			put(&h, l->scode, 4, l->codew);
			put_f(&h, l->quatern, 0.1);
			put_f(&h, l->quatern + l->fw, -0.2);
			put_f(&h, l->quatern + 2 * l->fw, 0.3);
			for (i = 0; i < 3; i++)
				put_f(&h, l->qoffset + i * l->fw, -90.1 + 100.7 * i);
			for (i = 0; i < 12; i++)
				put_f(&h, l->srow + i * l->fw, sr[i]);
			if (v == 1)
				h.b[123] = 10; /* mm and s */
			else
				put(&h, 500, 10, 4);
			write_file(path_of("ref.nii"), h.b, (size_t)off + 3 * 2 * 4 * 2 * 2, 0);
			CHECK(nifti_load(path_of("ref.nii"), &ref, &ri) == 0);
			CHECK(ri.geom.version == v && ri.geom.dim[0] == 4 && ri.geom.dim[4] == 2);
			CHECK(ri.geom.xyzt_units == 10);
			/* one channel under a 4-D reference: its 3-D grid */
			CHECK(slab_alloc(&a, "one", 3, 2, 4, 1, SLAB_F32) == 0);
			for (i = 0; i < 24; i++)
				((float *)a.data)[i] = i * 0.5f;
			CHECK(nifti_save_like(p, &a, &ri.geom) == 0);
			CHECK(nifti_load(p, &b, &bi) == 0);
			CHECK(bi.version == v && bi.big_endian == 0 && bi.datatype == NII_F32);
			CHECK(bi.geom.dim[0] == 3 && bi.geom.dim[4] == 1 && b.nc == 1);
			for (i = 1; i <= 3; i++)
				CHECK(bi.geom.dim[i] == ri.geom.dim[i]);
			for (i = 0; i < 8; i++)
				CHECK(bi.geom.pixdim[i] == ri.geom.pixdim[i]);
			CHECK(bi.geom.qform_code == 2 && bi.geom.sform_code == 4 && bi.geom.xyzt_units == 10);
			for (i = 0; i < 3; i++)
				CHECK(bi.geom.quatern[i] == ri.geom.quatern[i] &&
				      bi.geom.qoffset[i] == ri.geom.qoffset[i]);
			for (i = 0; i < 12; i++)
				CHECK(bi.geom.srow[i] == ri.geom.srow[i] && b.transform[i] == ref.transform[i]);
			for (i = 0; i < 24; i++)
				CHECK(((float *)b.data)[i] == i * 0.5f);
			/* version 2 keeps doubles: 0.1 is not a float */
			CHECK((v == 2) == (bi.geom.srow[0] == 0.1));
			slab_free(&b);
			/* the bytes as the standard places them (little-endian) */
			if (be) {
				f = fopen(p, "rb");
				CHECK(f && fread(raw, 1, sizeof raw, f) >= (size_t)off);
				fclose(f);
				if (v == 1) {
					float x;
					int16_t c;
					memcpy(&x, raw + 280, 4);
					CHECK(x == (float)0.1);
					memcpy(&x, raw + 76, 4);
					CHECK(x == -1);
					memcpy(&c, raw + 254, 2);
					CHECK(c == 4);
					CHECK(raw[123] == 10 && !memcmp(raw + 344, "n+1", 4));
				} else {
					double x;
					int32_t c;
					memcpy(&x, raw + 400, 8);
					CHECK(x == 0.1);
					memcpy(&c, raw + 348, 4);
					CHECK(c == 4);
					CHECK(!memcmp(raw + 4, "n+2\0\r\n\032\n", 8));
				}
			}
			/* as many channels as the reference's volumes: its 4-D dims */
			slab_free(&a);
			CHECK(slab_alloc(&a, "two", 3, 2, 4, 2, SLAB_U8) == 0);
			CHECK(nifti_save_like(p, &a, &ri.geom) == 0);
			CHECK(nifti_load(p, &b, &bi) == 0);
			CHECK(bi.geom.dim[0] == 4 && bi.geom.dim[4] == 2 && bi.datatype == NII_U8);
			slab_free(&b);
			slab_free(&a);
			/* other dims, other channel counts: refused, nothing written */
			unlink(p);
			for (j = 0; j < 2; j++) {
				CHECK(slab_alloc(&a, "bad", 3, 2, j ? 4 : 5, j ? 3 : 1, SLAB_U8) == 0);
				fprintf(stderr, "(expected) ");
				CHECK(nifti_save_like(p, &a, &ri.geom) == -1);
				CHECK(access(p, F_OK) != 0);
				slab_free(&a);
			}
			slab_free(&ref);
		}
}

/* nifti_load_nan: refuse, zero, min (per channel), the count. */
static void test_nan(void)
{
	struct slab a, b;
	size_t n = 99;
	const char *p = path_of("nan.nii");
	/* 2x1x2, 2 channels: c0 = 3 NaN / -2 inf, c1 = 5 7 / -inf 6 */
	const float v[8] = {3, NAN, 5, 7, -2, INFINITY, -INFINITY, 6};
	CHECK(slab_alloc(&a, "n", 2, 1, 2, 2, SLAB_F32) == 0);
	memcpy(a.data, v, sizeof v);
	CHECK(nifti_save(p, &a) == 0);
	CHECK(nifti_load(p, &b, NULL) == -1);
	CHECK(nifti_load_nan(p, &b, NULL, NII_NAN_REFUSE, &n) == -1 && n == 0);
	CHECK(nifti_load_nan(p, &b, NULL, NII_NAN_ZERO, &n) == 0 && n == 3);
	{
		const float w[8] = {3, 0, 5, 7, -2, 0, 0, 6};
		CHECK(!memcmp(b.data, w, sizeof w));
	}
	slab_free(&b);
	CHECK(nifti_load_nan(p, &b, NULL, NII_NAN_MIN, &n) == 0 && n == 3);
	{
		const float w[8] = {3, -2, 5, 7, -2, -2, 5, 6};
		CHECK(!memcmp(b.data, w, sizeof w));
	}
	slab_free(&b);
	/* no count asked for; a volume with no finite voxel: min fails, zero does not */
	CHECK(nifti_load_nan(path_of("nan.nii"), &b, NULL, NII_NAN_MIN, NULL) == 0);
	slab_free(&b);
	((float *)a.data)[2] = NAN, ((float *)a.data)[3] = NAN, ((float *)a.data)[7] = NAN;
	CHECK(nifti_save(p, &a) == 0);
	CHECK(nifti_load_nan(p, &b, NULL, NII_NAN_MIN, &n) == -1);
	CHECK(b.data == NULL);
	CHECK(nifti_load_nan(p, &b, NULL, NII_NAN_ZERO, &n) == 0 && n == 6);
	slab_free(&b);
	slab_free(&a);
}

/* An extreme sform: what nifti_load accepts, a slab carries and reads back
 * (huge values: finite spacing by hypot, written and read again); what a
 * slab cannot carry (a denormal entry) is refused with one line. */
static void test_extreme_sform(void)
{
	struct hb h;
	int dims[3] = {2, 2, 2}, i;
	const struct layout *l;
	struct slab s, r;
	const double big[2] = {3e38, 1e200}; /* float32's largest; NIfTI-2 doubles */
	for (int v = 1; v <= 2; v++) {
		l = hdr_init(&h, v, 0, 3, dims, NII_U8);
		put(&h, l->scode, 1, l->codew);
		for (i = 0; i < 12; i++)
			put_f(&h, l->srow + i * l->fw, i % 5 == 0 ? big[v - 1] : 0);
		write_file(path_of("big.nii"), h.b, (v == 1 ? 352 : 544) + 8, 0);
		CHECK(nifti_load(path_of("big.nii"), &s, NULL) == 0);
		for (i = 0; i < 3; i++)
			CHECK(isfinite(s.spacing[i]) && s.spacing[i] > 1e38);
		CHECK(slab_save(path_of("big.slab"), &s) == 0);
		CHECK(slab_load(path_of("big.slab"), &r) == 0);
		for (i = 0; i < 12; i++)
			CHECK(r.transform[i] == s.transform[i]);
		slab_free(&r);
		slab_free(&s);
		/* a denormal double (NIfTI-2): refused, since a slab header cannot
		 * carry it back; a float32 denormal (NIfTI-1) is a normal double */
		put_f(&h, l->srow + l->fw, v == 1 ? 1e-42 : 1e-310);
		write_file(path_of("tiny.nii"), h.b, (v == 1 ? 352 : 544) + 8, 0);
		if (v == 2) {
			expect_fail(path_of("tiny.nii"), "out of range");
			continue;
		}
		CHECK(nifti_load(path_of("tiny.nii"), &s, NULL) == 0);
		CHECK(slab_save(path_of("tiny.slab"), &s) == 0);
		CHECK(slab_load(path_of("tiny.slab"), &r) == 0);
		CHECK(r.transform[1] == s.transform[1] && r.transform[1] != 0);
		slab_free(&r);
		slab_free(&s);
	}
}

static void test_errors(void)
{
	struct hb h;
	int dims[3] = {4, 4, 4}, k, n;
	const struct layout *l;
	unsigned char *gzbytes;
	FILE *f;
	long len;

	/* a good file to damage */
	hdr_init(&h, 1, 0, 3, dims, NII_F32);
	for (k = 0; k < 64; k++)
		put_sample(&h, 352 + 4 * k, NII_F32, k);
	write_file(path_of("good.nii"), h.b, 352 + 256, 0);
	write_file(path_of("good.nii.gz"), h.b, 352 + 256, 1);

	write_file(path_of("trunc.nii"), h.b, 352 + 100, 0);
	expect_fail(path_of("trunc.nii"), "truncated");
	write_file(path_of("trunc_hdr.nii"), h.b, 200, 0);
	expect_fail(path_of("trunc_hdr.nii"), "truncated");
	write_file(path_of("empty.nii"), h.b, 0, 0);
	expect_fail(path_of("empty.nii"), "truncated");

	/* gzip damage: cut, flip a byte of the deflate data, flip the CRC */
	f = fopen(path_of("good.nii.gz"), "rb");
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	gzbytes = malloc(len);
	CHECK(fread(gzbytes, 1, len, f) == (size_t)len);
	fclose(f);
	for (n = 12; n < len; n += 17) {
		write_file(path_of("cut.nii.gz"), gzbytes, n, 0);
		expect_fail(path_of("cut.nii.gz"), "gzip");
	}
	gzbytes[len - 6] ^= 0xff; /* CRC32 */
	write_file(path_of("crc.nii.gz"), gzbytes, len, 0);
	expect_fail(path_of("crc.nii.gz"), "corrupt gzip");
	gzbytes[len - 6] ^= 0xff;
	gzbytes[len / 2] ^= 0x55;
	write_file(path_of("bad.nii.gz"), gzbytes, len, 0);
	expect_fail(path_of("bad.nii.gz"), "gzip");
	free(gzbytes);

	memcpy(h.b + 344, "n+3", 4);
	write_file(path_of("magic.nii"), h.b, 352 + 256, 0);
	expect_fail(path_of("magic.nii"), "magic");
	memcpy(h.b + 344, "ni1", 4);
	write_file(path_of("pair.nii"), h.b, 352 + 256, 0);
	expect_fail(path_of("pair.nii"), "two-file");
	memcpy(h.b + 344, "n+1", 4);

	put(&h, 0, 349, 4);
	write_file(path_of("size.nii.gz"), h.b, 352 + 256, 1);
	expect_fail(path_of("size.nii.gz"), "sizeof_hdr");
	put(&h, 0, 348, 4);

	put(&h, 70, 128, 2); /* RGB24 */
	write_file(path_of("rgb.nii"), h.b, 352 + 256, 0);
	expect_fail(path_of("rgb.nii"), "unsupported datatype");
	put(&h, 70, NII_F32, 2);

	put(&h, 42, 0, 2);
	write_file(path_of("dim0.nii"), h.b, 352 + 256, 0);
	expect_fail(path_of("dim0.nii"), "dim[1]");
	put(&h, 42, (uint64_t)-5, 2);
	write_file(path_of("dimneg.nii"), h.b, 352 + 256, 0);
	expect_fail(path_of("dimneg.nii"), "dim[1]");
	put(&h, 42, 4, 2);
	put(&h, 40, 9, 2);
	write_file(path_of("nd.nii"), h.b, 352 + 256, 0);
	expect_fail(path_of("nd.nii"), "dim[0]");
	put(&h, 40, 5, 2);
	put(&h, 50, 2, 2);
	write_file(path_of("5d.nii"), h.b, 352 + 256, 0);
	expect_fail(path_of("5d.nii"), "more than 4");
	put(&h, 40, 3, 2);
	put(&h, 50, 1, 2);

	put_sample(&h, 352 + 4 * 37, NII_F32, NAN);
	write_file(path_of("nan.nii.gz"), h.b, 352 + 256, 1);
	expect_fail(path_of("nan.nii.gz"), "NaN");
	CHECK(strstr(errbuf, "x 1 y 1 z 2") != NULL);
	put_sample(&h, 352 + 4 * 37, NII_F32, INFINITY);
	write_file(path_of("inf.nii"), h.b, 352 + 256, 0);
	expect_fail(path_of("inf.nii"), "infinity");

	/* finite f64 that overflows f32 after scaling */
	l = hdr_init(&h, 2, 0, 3, dims, NII_F64);
	put_f(&h, l->slope, 1e300);
	put_sample(&h, 544 + 8 * 5, NII_F64, 1.0);
	write_file(path_of("big.nii"), h.b, 544 + 64 * 8, 0);
	expect_fail(path_of("big.nii"), "infinity");

	expect_fail(path_of("no-such-file.nii"), "cannot open");
	expect_fail(dir, "directory");
	write_file(path_of("text.nii"), "hello world, not nifti at all", 29, 0);
	expect_fail(path_of("text.nii"), "sizeof_hdr");

	/* huge claimed dims (within the limits), tiny data: must not allocate
	 * before data arrives. Under a 512 MiB address-space limit, an eager
	 * 600 MB malloc would fail with "out of memory" instead of the
	 * truncation message. */
	{
		int big[3] = {30000, 20000, 1};
		struct rlimit old, lim;
		hdr_init(&h, 1, 1, 3, big, NII_U8);
		write_file(path_of("huge.nii.gz"), h.b, 352 + 1000, 1);
#ifdef __SANITIZE_ADDRESS__
		(void)old, (void)lim;
		CHECK(__sanitizer_install_malloc_and_free_hooks(note_malloc, note_free) != 0);
		watching = 1, biggest = 0;
		expect_fail(path_of("huge.nii.gz"), "truncated");
		watching = 0;
		CHECK(biggest < (size_t)512 << 20);
#else
		getrlimit(RLIMIT_AS, &old);
		lim = old;
		lim.rlim_cur = (rlim_t)512 << 20;
		if (setrlimit(RLIMIT_AS, &lim) == 0) {
			expect_fail(path_of("huge.nii.gz"), "truncated");
			setrlimit(RLIMIT_AS, &old);
		}
#endif
		big[2] = 30000; /* 1.8e13 bytes: refused from the header alone */
		hdr_init(&h, 2, 0, 3, big, NII_F32);
		write_file(path_of("huge2.nii"), h.b, 544 + 10, 0);
		expect_fail(path_of("huge2.nii"), "more voxels than the limit");
	}
}

/* The limits (util.h): declared voxels, header bytes, what is inflated past
 * the declared size, dim[0] read whole, SELFLABEL_MAX_BYTES, a FIFO. */
static void test_limits(void)
{
	struct hb h;
	int dims[3] = {4, 4, 4};
	const struct layout *l;
	struct slab s;
	unsigned char *big;
	size_t n;

	/* NIfTI-2 dim[0] = 2^32 + 3 is not 3 */
	l = hdr_init(&h, 2, 0, 3, dims, NII_U8);
	put(&h, l->dim, ((uint64_t)1 << 32) + 3, 8);
	write_file(path_of("dim0big.nii"), h.b, 544 + 64, 0);
	expect_fail(path_of("dim0big.nii"), "dim[0]");
	CHECK(strstr(errbuf, "4294967299") != NULL);

	/* one voxel more than 2^30 (the default SELFLABEL_MAX_BYTES / 4):
	 * refused from the header, before any data */
	{
		int d[3] = {1024, 1024, 1025};
		hdr_init(&h, 1, 0, 3, d, NII_U8);
		write_file(path_of("over.nii.gz"), h.b, 352 + 100, 1);
		expect_fail(path_of("over.nii.gz"), "more voxels than the limit of 1073741824");
		d[2] = 1024; /* exactly 2^30: accepted, then short */
		hdr_init(&h, 1, 0, 3, d, NII_U8);
		write_file(path_of("at.nii.gz"), h.b, 352 + 100, 1);
		expect_fail(path_of("at.nii.gz"), "truncated");
		/* stored data past SELFLABEL_MAX_BYTES: 2^30 float64 voxels are 8 GiB */
		hdr_init(&h, 1, 0, 3, d, NII_F64);
		write_file(path_of("at64.nii.gz"), h.b, 352 + 100, 1);
		expect_fail(path_of("at64.nii.gz"), "more voxel data than the limit of 4294967296 bytes");
		d[2] = 512; /* 4 GiB of float64: accepted, then short */
		hdr_init(&h, 1, 0, 3, d, NII_F64);
		write_file(path_of("at64.nii.gz"), h.b, 352 + 100, 1);
		expect_fail(path_of("at64.nii.gz"), "truncated");
	}

	/* header and extensions: vox_offset past limits.text (64 MiB) */
	hdr_init(&h, 1, 0, 3, dims, NII_U8);
	put_f(&h, 108, 1e8);
	write_file(path_of("voxoff.nii"), h.b, 352 + 64, 0);
	expect_fail(path_of("voxoff.nii"), "vox_offset");

	/* a small gzip file that inflates far past its declared size: 64
	 * voxels, then 8 MiB of zeros; 1 MiB past the data is the most read */
	n = 352 + 64 + ((size_t)8 << 20);
	big = calloc(n, 1);
	hdr_init(&h, 1, 0, 3, dims, NII_U8);
	memcpy(big, h.b, 352);
	write_file(path_of("bomb.nii.gz"), big, n, 1);
	expect_fail(path_of("bomb.nii.gz"), "more than 1048576 bytes after the voxel data");
	/* up to 1 MiB of padding after the data is read and ignored */
	write_file(path_of("pad.nii.gz"), big, 352 + 64 + (1 << 20), 1);
	CHECK(load_capture(path_of("pad.nii.gz"), &s, NULL) == 0 && s.nx == 4);
	if (s.data)
		slab_free(&s);
	free(big);

	/* SELFLABEL_MAX_BYTES lowers (and raises) the limits: 64K allows 16384
	 * voxels, a 32x32x16 volume of 16384 passes and one more slice fails */
	{
		int d[3] = {32, 32, 16};
		static unsigned char vol[352 + 32 * 32 * 17];
		hdr_init(&h, 1, 0, 3, d, NII_U8);
		memcpy(vol, h.b, 352);
		write_file(path_of("lim16.nii"), vol, 352 + 32 * 32 * 16, 0);
		d[2] = 17;
		hdr_init(&h, 1, 0, 3, d, NII_U8);
		memcpy(vol, h.b, 352);
		write_file(path_of("lim17.nii"), vol, 352 + 32 * 32 * 17, 0);
		setenv("SELFLABEL_MAX_BYTES", "64K", 1);
		CHECK(load_capture(path_of("lim16.nii"), &s, NULL) == 0);
		if (s.data)
			slab_free(&s);
		expect_fail(path_of("lim17.nii"), "more voxels than the limit of 16384");
		setenv("SELFLABEL_MAX_BYTES", "64", 1); /* below 64K: refused, one line */
		CHECK(load_capture(path_of("lim16.nii"), &s, NULL) == -1);
		CHECK(!strcmp(errbuf, "test_nifti: SELFLABEL_MAX_BYTES: want a size of 64K..256T "
		                      "(bytes, or a number with K, M, G or T): '64'\n"));
		unsetenv("SELFLABEL_MAX_BYTES");
		CHECK(load_capture(path_of("lim17.nii"), &s, NULL) == 0);
		if (s.data)
			slab_free(&s);
	}

	/* a FIFO without a writer: refused at once, never waited on (the
	 * alarm kills a reader that blocks) */
	CHECK(mkfifo(path_of("fifo.nii"), 0600) == 0);
	alarm(10);
	expect_fail(path_of("fifo.nii"), "truncated");
	alarm(0);
}

int main(void)
{
	char cmd[300];
	progname = "test_nifti";
	snprintf(dir, sizeof dir, "/tmp/test_nifti.XXXXXX");
	if (!mkdtemp(dir)) {
		printf("cannot make a temp folder\n");
		return 1;
	}
	test_types();
	test_scaling();
	test_4d();
	test_qform();
	test_write();
	test_write_like();
	test_errors();
	test_limits();
	test_nan();
	test_extreme_sform();
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	return CHECK_DONE();
}
