/* slab.c: read and write the slab format (formats/slab.md). */
#include "slab.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define LINE_MAX_BYTES 65536
#define HEADER_MAX_LINES 1024
#define DIM_MAX 1000000
#define DATA_MAX ((uint64_t)1 << 38) /* 256 GiB: a header claiming more is absurd */

static const char *type_names[] = {"u8", "i16", "f32"};

size_t slab_type_size(enum slab_type t) { return t == SLAB_U8 ? 1 : t == SLAB_I16 ? 2 : 4; }
const char *slab_type_name(enum slab_type t) { return type_names[t]; }

int slab_type_parse(const char *s, enum slab_type *t)
{
	int i;
	for (i = 0; i < 3; i++)
		if (!strcmp(s, type_names[i])) {
			*t = (enum slab_type)i;
			return 0;
		}
	return -1;
}

size_t slab_slice_count(const struct slab *s) { return (size_t)s->nx * s->ny * s->nc; }
size_t slab_count(const struct slab *s) { return slab_slice_count(s) * s->nz; }
size_t slab_bytes(const struct slab *s) { return slab_count(s) * slab_type_size(s->type); }

static void set_identity(struct slab *s)
{
	int i;
	for (i = 0; i < 3; i++)
		s->spacing[i] = 1.0;
	memset(s->transform, 0, sizeof s->transform);
	s->transform[0] = s->transform[5] = s->transform[10] = 1.0;
}

static int check_dims(const char *what, int nx, int ny, int nz, int nc, enum slab_type type)
{
	uint64_t n;
	if (nx < 1 || ny < 1 || nz < 1 || nc < 1 || nx > DIM_MAX || ny > DIM_MAX ||
	    nz > DIM_MAX || nc > DIM_MAX)
		return error("%s: bad dims: '%d %d %d' channels %d", what, nx, ny, nz, nc);
	n = (uint64_t)nx * ny;
	n *= (uint64_t)nz;
	if (n > DATA_MAX || n * nc > DATA_MAX || n * nc * slab_type_size(type) > DATA_MAX)
		return error("%s: dims too large: '%d %d %d' channels %d", what, nx, ny, nz, nc);
	return 0;
}

int slab_alloc(struct slab *s, const char *name, int nx, int ny, int nz, int nc,
               enum slab_type type)
{
	memset(s, 0, sizeof *s);
	if (check_dims("slab", nx, ny, nz, nc, type))
		return -1;
	snprintf(s->name, sizeof s->name, "%s", name ? name : "");
	s->nx = nx, s->ny = ny, s->nz = nz, s->nc = nc, s->type = type;
	set_identity(s);
	s->data = xcalloc(slab_count(s), slab_type_size(type));
	if (!s->data) {
		memset(s, 0, sizeof *s);
		return -1;
	}
	return 0;
}

int slab_alloc_like(struct slab *dst, const struct slab *src, int nx, int ny, int nz,
                    int nc, enum slab_type type)
{
	if (slab_alloc(dst, src->name, nx, ny, nz, nc, type))
		return -1;
	if (slab_copy_meta(dst, src)) {
		slab_free(dst);
		return -1;
	}
	return 0;
}

static void free_extra(struct slab *s)
{
	int i;
	for (i = 0; i < s->nextra; i++)
		free(s->extra[i]);
	free(s->extra);
	s->extra = NULL;
	s->nextra = 0;
}

void slab_free(struct slab *s)
{
	free(s->data);
	free_extra(s);
	memset(s, 0, sizeof *s);
}

double slab_get(const struct slab *s, size_t i)
{
	switch (s->type) {
	case SLAB_U8: return ((const uint8_t *)s->data)[i];
	case SLAB_I16: return ((const int16_t *)s->data)[i];
	default: return ((const float *)s->data)[i];
	}
}

void slab_set(struct slab *s, size_t i, double v)
{
	switch (s->type) {
	case SLAB_U8:
		v = v < 0 ? 0 : v > 255 ? 255 : v;
		((uint8_t *)s->data)[i] = (uint8_t)lrint(v);
		break;
	case SLAB_I16:
		v = v < -32768 ? -32768 : v > 32767 ? 32767 : v;
		((int16_t *)s->data)[i] = (int16_t)lrint(v);
		break;
	default:
		((float *)s->data)[i] = (float)v;
	}
}

void slab_to_float(const struct slab *s, float *out)
{
	size_t i, n = slab_count(s);
	if (s->type == SLAB_F32) {
		memcpy(out, s->data, n * sizeof(float));
		return;
	}
	for (i = 0; i < n; i++)
		out[i] = (float)slab_get(s, i);
}

static int extra_key_len(const char *line)
{
	int n = 0;
	while (line[n] && line[n] != ' ')
		n++;
	return n;
}

const char *slab_get_extra(const struct slab *s, const char *key)
{
	int i, kl = (int)strlen(key);
	for (i = 0; i < s->nextra; i++)
		if (extra_key_len(s->extra[i]) == kl && !strncmp(s->extra[i], key, kl))
			return s->extra[i][kl] ? s->extra[i] + kl + 1 : s->extra[i] + kl;
	return NULL;
}

int slab_set_extra(struct slab *s, const char *key, const char *value)
{
	int i, kl = (int)strlen(key);
	size_t n = kl + strlen(value) + 2;
	char *line = xmalloc(n), **ne;
	if (!line)
		return -1;
	snprintf(line, n, "%s %s", key, value);
	for (i = 0; i < s->nextra; i++)
		if (extra_key_len(s->extra[i]) == kl && !strncmp(s->extra[i], key, kl)) {
			free(s->extra[i]);
			s->extra[i] = line;
			return 0;
		}
	ne = realloc(s->extra, (s->nextra + 1) * sizeof *ne);
	if (!ne) {
		free(line);
		return error("out of memory");
	}
	s->extra = ne;
	s->extra[s->nextra++] = line;
	return 0;
}

void slab_del_extra(struct slab *s, const char *key)
{
	int i, j, kl = (int)strlen(key);
	for (i = j = 0; i < s->nextra; i++) {
		if (extra_key_len(s->extra[i]) == kl && !strncmp(s->extra[i], key, kl))
			free(s->extra[i]);
		else
			s->extra[j++] = s->extra[i];
	}
	s->nextra = j;
}

int slab_copy_meta(struct slab *dst, const struct slab *src)
{
	int i;
	if (dst == src)
		return 0;
	memcpy(dst->name, src->name, sizeof dst->name);
	memcpy(dst->spacing, src->spacing, sizeof dst->spacing);
	memcpy(dst->transform, src->transform, sizeof dst->transform);
	free_extra(dst);
	for (i = 0; i < src->nextra; i++) {
		int kl = extra_key_len(src->extra[i]);
		char key[256];
		const char *v = src->extra[i] + kl;
		if (kl >= (int)sizeof key)
			return error("header key too long");
		memcpy(key, src->extra[i], kl);
		key[kl] = '\0';
		if (slab_set_extra(dst, key, *v ? v + 1 : v))
			return -1;
	}
	return 0;
}

int slab_reader_open(struct slab_reader *r, const char *path)
{
	memset(r, 0, sizeof *r);
	r->f = open_in(path);
	if (!r->f)
		return -1;
	r->src = strcmp(path, "-") ? path : "<stdin>";
	r->own = r->f != stdin;
	return 0;
}

void slab_reader_init(struct slab_reader *r, FILE *f, const char *src)
{
	memset(r, 0, sizeof *r);
	r->f = f;
	r->src = src;
}

void slab_reader_close(struct slab_reader *r)
{
	if (r->own && r->f)
		fclose(r->f);
	r->f = NULL;
}

/* Read one header line into buf (without the newline). Returns its length,
 * -2 at end of stream before any byte, -1 on error (too long, NUL, EOF
 * inside the line). */
static int read_line(struct slab_reader *r, char *buf, int *eof_first)
{
	int c, n = 0;
	*eof_first = 0;
	while ((c = getc(r->f)) != EOF) {
		r->pos++;
		if (c == '\n') {
			buf[n] = '\0';
			return n;
		}
		if (c == '\0' || n >= LINE_MAX_BYTES - 1)
			return -1;
		buf[n++] = (char)c;
	}
	if (n == 0)
		*eof_first = 1;
	return -1;
}

/* Parse exactly `n` numbers from `v`. 0 or -1. */
static int parse_numbers(const char *v, double *out, int n)
{
	int i;
	char *end;
	for (i = 0; i < n; i++) {
		while (*v == ' ' || *v == '\t')
			v++;
		if (!*v)
			return -1;
		errno = 0;
		out[i] = strtod(v, &end);
		if (end == v || errno == ERANGE || !isfinite(out[i]))
			return -1;
		if (*end && *end != ' ' && *end != '\t')
			return -1;
		v = end;
	}
	while (*v == ' ' || *v == '\t')
		v++;
	return *v ? -1 : 0;
}

static int parse_ints(const char *v, int *out, int n)
{
	double d[3];
	int i;
	if (n > 3 || parse_numbers(v, d, n))
		return -1;
	for (i = 0; i < n; i++) {
		if (d[i] != floor(d[i]) || d[i] < 1 || d[i] > DIM_MAX)
			return -1;
		out[i] = (int)d[i];
	}
	return 0;
}

static int valid_key(const char *k, int n)
{
	int i;
	if (n == 0 || n > 64)
		return 0;
	for (i = 0; i < n; i++)
		if (!(isupper((unsigned char)k[i]) || isdigit((unsigned char)k[i]) || k[i] == '_'))
			return 0;
	return isupper((unsigned char)k[0]);
}

static int host_little_endian(void)
{
	const uint16_t one = 1;
	return *(const uint8_t *)&one == 1;
}

static void swap_bytes(void *data, size_t count, size_t size)
{
	uint8_t *p = data, t;
	size_t i;
	if (size == 1 || host_little_endian())
		return;
	for (i = 0; i < count; i++, p += size) {
		if (size == 2) {
			t = p[0], p[0] = p[1], p[1] = t;
		} else {
			t = p[0], p[0] = p[3], p[3] = t;
			t = p[1], p[1] = p[2], p[2] = t;
		}
	}
}

int slab_read(struct slab_reader *r, struct slab *s)
{
	char *line = NULL;
	int len, eof_first, nlines = 0, have_dims = 0, have_ch = 0, have_type = 0,
	    have_sp = 0, have_tr = 0, have_name = 0, dims[3];
	uint64_t start = r->pos, linepos;
	size_t total, got = 0, cap;
	double d[12];
	uint8_t *buf;
	struct limits lim;

	memset(s, 0, sizeof *s);
	set_identity(s);
	line = xmalloc(LINE_MAX_BYTES);
	if (!line)
		return -1;
	len = read_line(r, line, &eof_first);
	if (len < 0 && eof_first) {
		free(line);
		return 0;
	}
	if (len < 0 || strcmp(line, "SLAB 1")) {
		if (len >= 0 && !strncmp(line, "SLAB ", 5))
			error("%s: unsupported slab version at byte %llu: '%.40s'", r->src,
			      (unsigned long long)start, line + 5);
		else
			error("%s: not a slab (no 'SLAB 1' magic line) at byte %llu", r->src,
			      (unsigned long long)start);
		goto fail;
	}
	for (;;) {
		char *key, *val;
		int kl;
		linepos = r->pos;
		len = read_line(r, line, &eof_first);
		if (len < 0) {
			error("%s: slab header ends without ENDHDR at byte %llu", r->src,
			      (unsigned long long)linepos);
			goto fail;
		}
		if (++nlines > HEADER_MAX_LINES) {
			error("%s: slab header has more than %d lines at byte %llu", r->src,
			      HEADER_MAX_LINES, (unsigned long long)linepos);
			goto fail;
		}
		if (line[0] == '#')
			continue;
		if (!strcmp(line, "ENDHDR"))
			break;
		key = line;
		kl = extra_key_len(line);
		val = line[kl] ? line + kl + 1 : line + kl;
		if (!valid_key(key, kl)) {
			error("%s: bad slab header line at byte %llu: '%.60s'", r->src,
			      (unsigned long long)linepos, line);
			goto fail;
		}
		key[kl] = '\0';
#define DUP(flag) if (flag) { error("%s: duplicate %s header line at byte %llu", r->src, key, (unsigned long long)linepos); goto fail; } flag = 1
#define BAD() do { error("%s: bad %s header value at byte %llu: '%.60s'", r->src, key, (unsigned long long)linepos, val); goto fail; } while (0)
		if (!strcmp(key, "DIMS")) {
			DUP(have_dims);
			if (parse_ints(val, dims, 3))
				BAD();
		} else if (!strcmp(key, "CHANNELS")) {
			DUP(have_ch);
			if (parse_ints(val, &s->nc, 1))
				BAD();
		} else if (!strcmp(key, "TYPE")) {
			DUP(have_type);
			if (slab_type_parse(val, &s->type))
				BAD();
		} else if (!strcmp(key, "SPACING")) {
			DUP(have_sp);
			if (parse_numbers(val, s->spacing, 3) || !(s->spacing[0] > 0) ||
			    !(s->spacing[1] > 0) || !(s->spacing[2] > 0))
				BAD();
		} else if (!strcmp(key, "TRANSFORM")) {
			DUP(have_tr);
			if (parse_numbers(val, d, 12))
				BAD();
			memcpy(s->transform, d, sizeof d);
		} else if (!strcmp(key, "NAME")) {
			size_t i, n = strlen(val);
			DUP(have_name);
			if (n == 0 || n > SLAB_NAME_MAX)
				BAD();
			for (i = 0; i < n; i++)
				if (isspace((unsigned char)val[i]) || !isprint((unsigned char)val[i]))
					BAD();
			memcpy(s->name, val, n + 1);
		} else {
			if (slab_get_extra(s, key)) {
				error("%s: duplicate %s header line at byte %llu", r->src, key,
				      (unsigned long long)linepos);
				goto fail;
			}
			if (slab_set_extra(s, key, val))
				goto fail;
		}
#undef DUP
#undef BAD
	}
	if (!have_dims || !have_ch || !have_type || !have_sp) {
		error("%s: no %s header line in slab at byte %llu", r->src,
		      !have_dims ? "DIMS" : !have_ch ? "CHANNELS" : !have_type ? "TYPE" : "SPACING",
		      (unsigned long long)start);
		goto fail;
	}
	if (!have_tr) {
		s->transform[0] = s->spacing[0];
		s->transform[5] = s->spacing[1];
		s->transform[10] = s->spacing[2];
	}
	s->nx = dims[0], s->ny = dims[1], s->nz = dims[2];
	if (check_dims(r->src, s->nx, s->ny, s->nz, s->nc, s->type) || limits_get(&lim))
		goto fail;
	if (slab_count(s) > lim.voxels) {
		error("%s: more samples (voxels x channels) than the limit of %llu per volume (%s/4) "
		      "at byte %llu: '%d %d %d' channels %d", r->src, (unsigned long long)lim.voxels,
		      LIMIT_ENV, (unsigned long long)start, s->nx, s->ny, s->nz, s->nc);
		goto fail;
	}
	free(line);
	line = NULL;

	/* Grow the buffer as data arrive, so a short stream fails before a
	 * header's claim can cost a giant allocation. */
	total = slab_bytes(s);
	cap = total < (1u << 20) ? total : (1u << 20);
	buf = xmalloc(cap);
	if (!buf)
		goto fail;
	s->data = buf;
	while (got < total) {
		size_t n;
		if (got == cap) {
			size_t ncap = cap * 2 < total ? cap * 2 : total;
			uint8_t *nb = realloc(buf, ncap);
			if (!nb) {
				error("%s: out of memory for slab data (%zu bytes)", r->src, total);
				goto fail;
			}
			buf = nb, s->data = nb, cap = ncap;
		}
		n = fread(buf + got, 1, cap - got, r->f);
		if (n == 0)
			break;
		got += n;
		r->pos += n;
	}
	if (got < total) {
		error("%s: slab data short at byte %llu: %zu of %zu bytes", r->src,
		      (unsigned long long)r->pos, got, total);
		goto fail;
	}
	swap_bytes(s->data, slab_count(s), slab_type_size(s->type));
	if (s->type == SLAB_F32) {
		const float *f = s->data;
		size_t i, n = slab_count(s);
		for (i = 0; i < n; i++)
			if (!isfinite(f[i])) {
				error("%s: slab '%s' has a non-finite sample at index %zu", r->src,
				      s->name, i);
				goto fail;
			}
	}
	return 1;
fail:
	free(line);
	slab_free(s);
	return -1;
}

void slab_format_number(char *buf, size_t n, double v)
{
	snprintf(buf, n, "%.17g", v);
	/* shortest form that reads back exactly, without an exponent for
	 * whole-number digits (10, not 1e+01) */
	int p0 = fabs(v) >= 1 && fabs(v) < 1e15 ? (int)floor(log10(fabs(v))) + 1 : 1;
	for (int p = p0; p < 17; p++) {
		char t[64];
		snprintf(t, sizeof t, "%.*g", p, v);
		if (strtod(t, NULL) == v) {
			snprintf(buf, n, "%s", t);
			return;
		}
	}
}

int slab_write(FILE *f, const struct slab *s)
{
	char a[64], b[64], c[64];
	int i;
	size_t n = slab_count(s), sz = slab_type_size(s->type);

	fprintf(f, "SLAB 1\n");
	if (s->name[0])
		fprintf(f, "NAME %s\n", s->name);
	fprintf(f, "DIMS %d %d %d\nCHANNELS %d\nTYPE %s\n", s->nx, s->ny, s->nz, s->nc,
	        slab_type_name(s->type));
	slab_format_number(a, sizeof a, s->spacing[0]);
	slab_format_number(b, sizeof b, s->spacing[1]);
	slab_format_number(c, sizeof c, s->spacing[2]);
	fprintf(f, "SPACING %s %s %s\nTRANSFORM", a, b, c);
	for (i = 0; i < 12; i++) {
		slab_format_number(a, sizeof a, s->transform[i]);
		fprintf(f, " %s", a);
	}
	fputc('\n', f);
	for (i = 0; i < s->nextra; i++)
		fprintf(f, "%s\n", s->extra[i]);
	fprintf(f, "ENDHDR\n");
	if (host_little_endian() || sz == 1) {
		if (fwrite(s->data, sz, n, f) != n)
			return error("write error: %s", strerror(errno));
	} else {
		uint8_t tmp[4];
		const uint8_t *p = s->data;
		for (size_t i2 = 0; i2 < n; i2++, p += sz) {
			for (size_t j = 0; j < sz; j++)
				tmp[j] = p[sz - 1 - j];
			if (fwrite(tmp, sz, 1, f) != 1)
				return error("write error: %s", strerror(errno));
		}
	}
	if (ferror(f))
		return error("write error: %s", strerror(errno));
	return 0;
}

int slab_load(const char *path, struct slab *s)
{
	struct slab_reader r;
	struct slab extra;
	int rc;
	if (slab_reader_open(&r, path))
		return -1;
	rc = slab_read(&r, s);
	if (rc == 0) {
		error("%s: empty, no slab in it", r.src);
		rc = -1;
	} else if (rc > 0) {
		int more = slab_read(&r, &extra);
		if (more != 0) {
			if (more > 0) {
				error("%s: holds more than one slab", r.src);
				slab_free(&extra);
			}
			slab_free(s);
			rc = -1;
		} else {
			rc = 0;
		}
	}
	slab_reader_close(&r);
	return rc;
}

int slab_save(const char *path, const struct slab *s)
{
	return slab_save_all(path, s, 1);
}

int slab_save_all(const char *path, const struct slab *s, int n)
{
	struct outfile o;
	if (outfile_open(&o, path))
		return -1;
	for (int i = 0; i < n; i++)
		if (slab_write(o.f, &s[i])) {
			outfile_abort(&o);
			return -1;
		}
	return outfile_commit(&o);
}

int slab_load_named(const char *path, const char *name, struct slab *s)
{
	struct slab_reader r;
	int rc;
	if (!name)
		return slab_load(path, s);
	if (slab_reader_open(&r, path))
		return -1;
	while ((rc = slab_read(&r, s)) > 0) {
		if (!strcmp(s->name, name))
			break;
		slab_free(s);
	}
	if (rc == 0)
		error("%s: no slab named '%s'", r.src, name);
	slab_reader_close(&r);
	return rc > 0 ? 0 : -1;
}
