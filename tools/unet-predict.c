/* unet-predict: probabilities of the foreground for every slice of image
 * slabs, slice by slice (2-D model) or volume by volume (3-D model). */
#include "layers.h"
#include "model.h"
#include "slab.h"
#include "unet.h"
#include "util.h"
#include "volpool.h"

#include <getopt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"unet-predict -m MODEL [-z A:B] [-b BATCH] [--flip] [-o OUT] [IN]\n"
	"  image slab stream (default stdin) -> f32 probability slabs (same header)\n"
	"  -m MODEL   model file from unet-train\n"
	"  -z A:B     predict z-slices A..B-1 only (A or B may be left out); the other\n"
	"             slices of the output are 0\n"
	"  -b BATCH   slices per forward pass (16; a 3-D model takes whole volumes)\n"
	"  --flip     test-time flips: the probability is the mean of the outputs on the\n"
	"             slice (3-D: volume) and on its flips along x, along y and both, each\n"
	"             flipped back\n"
	"  -o OUT     output file (default stdout)";

/* Parse "A:B", "A:", ":B" into *a, *b (-1 for a missing end). */
static int parse_range(const char *s, long *a, long *b)
{
	const char *colon = strchr(s, ':');
	char buf[64];
	size_t n;
	if (!colon || strlen(s) >= sizeof buf)
		return error("bad slice range: '%s' (expected A:B)", s);
	n = (size_t)(colon - s);
	memcpy(buf, s, n);
	buf[n] = '\0';
	*a = *b = -1;
	if (n && parse_long(buf, 0, 1000000, "range start", a))
		return -1;
	if (colon[1] && parse_long(colon + 1, 1, 1000000, "range end", b))
		return -1;
	if (*a >= 0 && *b >= 0 && *a >= *b)
		return error("empty slice range: '%s'", s);
	return 0;
}

/* Mirror n slices of nc planes of H x W (NCHW) along x (fx) and/or y (fy)
 * from src into dst (distinct buffers). A flip is its own inverse. */
static void flip_planes(float *dst, const float *src, size_t planes, int H, int W, int fx, int fy)
{
	for (size_t p = 0; p < planes; p++)
		for (int y = 0; y < H; y++) {
			const float *s = src + (p * H + (fy ? H - 1 - y : y)) * W;
			float *d = dst + (p * H + y) * W;
			for (int x = 0; x < W; x++)
				d[x] = s[fx ? W - 1 - x : x];
		}
}

int main(int argc, char **argv)
{
	const char *mpath = NULL, *out = "-", *in = "-";
	long za = -1, zb = -1, v;
	int batch = 16, c, have_range = 0, flip = 0;
	struct unet_config cfg;
	float *params;

	progname = "unet-predict";
	enum { O_FLIP = 256 };
	static const struct option lo[] = {{"flip", 0, 0, O_FLIP}, {"help", 0, 0, 'h'},
	                                   {0, 0, 0, 0}};
	while ((c = getopt_long(argc, argv, "m:z:b:o:h", lo, NULL)) != -1) {
		switch (c) {
		case 'm': mpath = optarg; break;
		case 'z':
			if (parse_range(optarg, &za, &zb)) usage_die(usage);
			have_range = 1;
			break;
		case 'b':
			if (parse_long(optarg, 1, 4096, "batch size", &v)) usage_die(usage);
			batch = (int)v;
			break;
		case 'o': out = optarg; break;
		case O_FLIP: flip = 1; break;
		case 'h': printf("usage: %s\n", usage); return 0;
		default: usage_die(usage);
		}
	}
	if (!mpath || argc - optind > 1)
		usage_die(usage);
	if (optind < argc)
		in = argv[optind];
	if (model_load(mpath, &cfg, &params))
		return 1;
	int d3 = unet_dims(&cfg) == 3;

	struct slab_reader r;
	struct outfile o;
	struct unet u = {0};
	int have_net = 0, rc, nslabs = 0;
	if (slab_reader_open(&r, in))
		return 1;
	if (outfile_open(&o, out))
		return 1;
	for (;;) {
		struct slab s, p;
		rc = slab_read(&r, &s);
		if (rc <= 0)
			break;
		rc = -1;
		const char *name = s.name[0] ? s.name : "(unnamed)";
		long a = za < 0 ? 0 : za, b = zb < 0 ? s.nz : zb;
		if (s.nc != cfg.in_channels) {
			error("case %s has %d channels, model '%s' takes %d", name, s.nc, mpath,
			      cfg.in_channels);
		} else if (have_range && b > s.nz) {
			error("slice range %ld:%ld outside the %d slices of case %s", a, b, s.nz, name);
		} else if (have_range && a >= b) {
			error("empty slice range %ld:%ld for the %d slices of case %s", a, b, s.nz, name);
		} else if (unet_check_size(&cfg, s.ny, s.nx) == 0 &&
		           slab_alloc_like(&p, &s, s.nx, s.ny, s.nz, 1, SLAB_F32) == 0) {
			rc = 0;
		}
		if (rc == 0 && d3) {
			/* the whole volume, then the range */
			if (unet_predict_volume(&u, &cfg, params, &s, p.data, flip))
				rc = -1;
			have_net = 1;
			size_t m = (size_t)s.nx * s.ny;
			float *pd = p.data;
			if (rc == 0 && a > 0)
				memset(pd, 0, a * m * sizeof *pd);
			if (rc == 0 && b < s.nz)
				memset(pd + b * m, 0, (s.nz - b) * m * sizeof *pd);
			if (rc == 0 && slab_write(o.f, &p))
				rc = error("cannot write '%s'", out);
			slab_free(&p);
		} else if (rc == 0 && (!have_net || u.H != s.ny || u.W != s.nx)) {
			if (have_net)
				unet_free(&u);
			have_net = 0;
			if (unet_create(&u, &cfg, batch, s.ny, s.nx, 0)) {
				rc = -1;
				slab_free(&p);
			} else {
				memcpy(u.params, params, u.nparams * sizeof(float));
				have_net = 1;
			}
		}
		if (rc == 0 && !d3) {
			size_t m = (size_t)s.nx * s.ny, sl = m * s.nc;
			float *x = xmalloc((size_t)batch * sl * sizeof(float)), *pd = p.data;
			float *xf = flip ? xmalloc((size_t)batch * sl * sizeof(float)) : NULL;
			float *pf = flip ? xmalloc(4 * (size_t)batch * m * sizeof(float)) : NULL;
			if (!x || (flip && (!xf || !pf)))
				rc = -1;
			for (long z = a; rc == 0 && z < b; z += batch) {
				int n = (int)(b - z < batch ? b - z : batch);
				if (s.type == SLAB_F32) {
					memcpy(x, (float *)s.data + z * sl, n * sl * sizeof(float));
				} else {
					for (size_t i = 0; i < n * sl; i++)
						x[i] = (float)slab_get(&s, z * sl + i);
				}
				if (!flip) {
					unet_forward(&u, x, n);
					for (size_t i = 0; i < n * m; i++)
						pd[z * m + i] = sigmoidf(u.a.logit[i]);
					continue;
				}
				/* k = 0 as is, 1 flipped along x, 2 along y, 3 both; then
				 * (p0 + p1) + (p2 + p3): a flip of the input swaps the terms
				 * within or between the pairs, so a symmetric slice gives an
				 * exactly symmetric mean */
				for (int k = 0; k < 4; k++) {
					float *pk = pf + k * n * m;
					if (k)
						flip_planes(xf, x, (size_t)n * s.nc, s.ny, s.nx, k & 1, k >> 1);
					unet_forward(&u, k ? xf : x, n);
					for (size_t i = 0; i < n * m; i++)
						xf[i] = sigmoidf(u.a.logit[i]);
					flip_planes(pk, xf, n, s.ny, s.nx, k & 1, k >> 1);
				}
				for (size_t i = 0; i < n * m; i++) {
					const float *q = pf + i;
					double a = (double)q[0] + q[n * m], b = (double)q[2 * n * m] + q[3 * n * m];
					pd[z * m + i] = (float)((a + b) * 0.25);
				}
			}
			free(x), free(xf), free(pf);
			if (rc == 0 && slab_write(o.f, &p))
				rc = error("cannot write '%s'", out);
			slab_free(&p);
		}
		slab_free(&s);
		if (rc)
			break;
		nslabs++;
	}
	slab_reader_close(&r);
	if (have_net)
		unet_free(&u);
	free(params);
	if (rc < 0) {
		outfile_abort(&o);
		return 1;
	}
	if (nslabs == 0) {
		outfile_abort(&o);
		die("no slabs in '%s'", in);
	}
	if (outfile_commit(&o))
		return 1;
	return close_stdout() ? 1 : 0;
}
