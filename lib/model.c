/* model.c: read and write U-Net model files (formats/model.md). */
#include "model.h"

#include "util.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static void put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int model_write(FILE *f, const struct unet_config *c, const float *params)
{
	size_t n = unet_param_count(c);
	unsigned char h[MODEL_HEADER_BYTES_V2] = {0}, *buf;
	int v2 = unet_outputs(c) > 1;
	memcpy(h, unet_dims(c) == 3 ? MODEL_MAGIC_3D : MODEL_MAGIC, 8);
	put32(h + 8, v2 ? MODEL_VERSION_CLASSES : MODEL_VERSION);
	put32(h + 12, (uint32_t)c->in_channels);
	put32(h + 16, (uint32_t)c->base);
	put32(h + 20, (uint32_t)c->depth);
	put32(h + 24, (uint32_t)n);
	put32(h + 28, (uint32_t)((uint64_t)n >> 32));
	if (v2)
		put32(h + 32, (uint32_t)c->classes);
	if (!(buf = xmalloc(n * 4)))
		return -1;
	for (size_t i = 0; i < n; i++) {
		uint32_t v;
		memcpy(&v, &params[i], 4);
		put32(buf + 4 * i, v);
	}
	fwrite(h, 1, v2 ? MODEL_HEADER_BYTES_V2 : MODEL_HEADER_BYTES, f);
	fwrite(buf, 4, n, f);
	free(buf);
	return 0;
}

int model_save(const char *path, const struct unet_config *c, const float *params)
{
	struct outfile o;
	if (outfile_open(&o, path))
		return -1;
	if (model_write(o.f, c, params)) {
		outfile_abort(&o);
		return -1;
	}
	return outfile_commit(&o);
}

int model_load(const char *path, struct unet_config *c, float **params)
{
	/* The header first, then exactly the parameters it announces: a huge or
	 * endless input (-m /dev/zero) costs no more than its first bytes. */
	unsigned char b[MODEL_HEADER_BYTES_V2], *raw = NULL;
	size_t len, n, hb = MODEL_HEADER_BYTES;
	float *p = NULL;
	uint64_t count;
	uint32_t version;
	char why[128];
	struct limits lim;
	FILE *f = open_in(path);

	*params = NULL;
	if (!f)
		return -1;
	len = fread(b, 1, MODEL_HEADER_BYTES, f);
	if (len < 8 || (memcmp(b, MODEL_MAGIC, 8) && memcmp(b, MODEL_MAGIC_3D, 8))) {
		error("not a model file (no %s or %s magic): '%s'", MODEL_MAGIC, MODEL_MAGIC_3D, path);
		goto fail;
	}
	c->dims = memcmp(b, MODEL_MAGIC_3D, 8) ? 2 : 3;
	if (len < MODEL_HEADER_BYTES) {
		error("truncated model header: '%s'", path);
		goto fail;
	}
	version = get32(b + 8);
	if (version != MODEL_VERSION && version != MODEL_VERSION_CLASSES) {
		error("unsupported model version %u (expected %d or %d): '%s'", version, MODEL_VERSION,
		      MODEL_VERSION_CLASSES, path);
		goto fail;
	}
	c->classes = 0;
	if (version == MODEL_VERSION_CLASSES) {
		hb = MODEL_HEADER_BYTES_V2;
		if (fread(b + MODEL_HEADER_BYTES, 1, 4, f) != 4) {
			error("truncated model header: '%s'", path);
			goto fail;
		}
		uint32_t k = get32(b + 32);
		if (k < 3 || k > 255) {
			error("bad model classes: '%u' (3..255 in a version %d file): '%s'", k,
			      MODEL_VERSION_CLASSES, path);
			goto fail;
		}
		c->classes = (int)k;
	}
	c->in_channels = (int)(get32(b + 12) & 0x7fffffff);
	c->base = (int)(get32(b + 16) & 0x7fffffff);
	c->depth = (int)(get32(b + 20) & 0x7fffffff);
	if (get32(b + 12) > 64 || get32(b + 16) > 256 || get32(b + 20) > UNET_MAX_DEPTH)
		snprintf(why, sizeof why, "channels 1..64, base 1..256, depth 1..%d", UNET_MAX_DEPTH);
	else if (!unet_config_explain(c, why, sizeof why))
		why[0] = '\0';
	if (why[0]) { /* one line: the values, what is wrong with them, the file */
		error("bad model configuration (channels %u, base %u, depth %u): %s: '%s'",
		      get32(b + 12), get32(b + 16), get32(b + 20), why, path);
		goto fail;
	}
	n = unet_param_count(c);
	if (limits_get(&lim))
		goto fail;
	if (n > lim.voxels) {
		error("model has %zu parameters, more than the limit of %llu (%s/4): '%s'", n,
		      (unsigned long long)lim.voxels, LIMIT_ENV, path);
		goto fail;
	}
	count = get32(b + 24) | (uint64_t)get32(b + 28) << 32;
	if (count != n) {
		error("model has %llu parameters, its configuration needs %zu: '%s'",
		      (unsigned long long)count, n, path);
		goto fail;
	}
	/* the parameters as they arrive, the buffer growing with them: a short
	 * file whose header claims gigabytes costs no more than its bytes */
	{
		size_t want = 4 * n + 1, cap = want < (1u << 20) ? want : 1u << 20, got = 0, k;
		unsigned char *grown;
		if (!(raw = xmalloc(cap)))
			goto fail;
		while ((k = fread(raw + got, 1, cap - got, f)) > 0 && (got += k) == cap && cap < want) {
			cap = cap < want / 2 ? 2 * cap : want;
			if (!(grown = realloc(raw, cap))) {
				error("out of memory reading '%s'", path);
				goto fail;
			}
			raw = grown;
		}
		len = hb + got;
	}
	if (ferror(f)) {
		error("cannot read '%s': %s", path, strerror(errno));
		goto fail;
	}
	if (len < hb + 4 * n) {
		error("truncated model: %zu of %zu bytes: '%s'", len, hb + 4 * n, path);
		goto fail;
	}
	if (len > hb + 4 * n) {
		error("trailing bytes after the model parameters: '%s'", path);
		goto fail;
	}
	if (!(p = xmalloc(n * sizeof *p)))
		goto fail;
	for (size_t i = 0; i < n; i++) {
		uint32_t v = get32(raw + 4 * i);
		memcpy(&p[i], &v, 4);
		if (!isfinite(p[i])) {
			error("non-finite model parameter %zu: '%s'", i, path);
			goto fail;
		}
	}
	free(raw);
	close_in(f);
	*params = p;
	return 0;
fail:
	free(raw);
	free(p);
	close_in(f);
	return -1;
}
