/* unet-predict: probabilities of the foreground for every slice of image slabs. */
#include "layers.h"
#include "model.h"
#include "slab.h"
#include "unet.h"
#include "util.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"unet-predict -m MODEL [-z A:B] [-b BATCH] [-o OUT] [IN]\n"
	"  image slab stream (default stdin) -> f32 probability slabs (same header)\n"
	"  -m MODEL   model file from unet-train\n"
	"  -z A:B     predict z-slices A..B-1 only (A or B may be left out); the other\n"
	"             slices of the output are 0\n"
	"  -b BATCH   slices per forward pass (16)\n"
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

int main(int argc, char **argv)
{
	const char *mpath = NULL, *out = "-", *in = "-";
	long za = -1, zb = -1, v;
	int batch = 16, c, have_range = 0;
	struct unet_config cfg;
	float *params;

	progname = "unet-predict";
	while ((c = getopt(argc, argv, "m:z:b:o:h")) != -1) {
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
		if (rc == 0 && (!have_net || u.H != s.ny || u.W != s.nx)) {
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
		if (rc == 0) {
			size_t m = (size_t)s.nx * s.ny, sl = m * s.nc;
			float *x = xmalloc((size_t)batch * sl * sizeof(float)), *pd = p.data;
			if (!x)
				rc = -1;
			for (long z = a; rc == 0 && z < b; z += batch) {
				int n = (int)(b - z < batch ? b - z : batch);
				if (s.type == SLAB_F32) {
					memcpy(x, (float *)s.data + z * sl, n * sl * sizeof(float));
				} else {
					for (size_t i = 0; i < n * sl; i++)
						x[i] = (float)slab_get(&s, z * sl + i);
				}
				unet_forward(&u, x, n);
				for (size_t i = 0; i < n * m; i++)
					pd[z * m + i] = sigmoidf(u.a.logit[i]);
			}
			free(x);
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
