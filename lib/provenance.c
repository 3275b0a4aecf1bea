/* provenance.c: the SLICES header key, read and written in one place. */
#include "provenance.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The longest SLICES value written: its header line must stay within the
 * 65535 bytes a slab header line may have. */
#define PROV_VALUE_MAX 65000

/* The value of one token of length n, or 0 when it is none. */
static int token_value(const char *t, size_t n, int *out)
{
	long it = 0;
	size_t i;
	if (n == 1 && *t == 'g')
		return *out = PROV_GT, 1;
	if (n == 1 && *t == '.')
		return *out = PROV_NONE, 1;
	for (i = 0; i < n; i++) {
		if (t[i] < '0' || t[i] > '9')
			return 0;
		it = it * 10 + (t[i] - '0');
		if (it > PROV_ITER_MAX)
			return 0;
	}
	return *out = (int)it, 1;
}

int prov_parse(const char *v, int nz, int *prov, const char *src, const char *name)
{
	int z;
	for (z = 0; z < nz; z++) {
		size_t n;
		v += strspn(v, PROV_SEPS);
		n = strcspn(v, PROV_SEPS);
		if (n == 0)
			return error("%s: SLICES has %d tokens, want %d in '%s'", src, z, nz, name);
		if (!token_value(v, n, &prov[z]))
			return error("%s: bad SLICES token: '%.*s' in '%s'", src, n > 60 ? 60 : (int)n,
			             v, name);
		v += n;
	}
	v += strspn(v, PROV_SEPS);
	if (*v)
		return error("%s: SLICES has more than %d tokens in '%s'", src, nz, name);
	return 0;
}

int prov_get(const struct slab *m, int *prov, const char *src)
{
	const char *v = slab_get_extra(m, PROV_KEY);
	if (!v)
		return 0;
	return prov_parse(v, m->nz, prov, src, m->name) ? -1 : 1;
}

int prov_read(const struct slab *m, int *prov, const char *src)
{
	size_t per = slab_slice_count(m), j;
	int z, rc = prov_get(m, prov, src);
	if (rc)
		return rc < 0 ? -1 : 0;
	for (z = 0; z < m->nz; z++) {
		const uint8_t *d = (const uint8_t *)m->data + z * per;
		prov[z] = PROV_NONE;
		for (j = 0; j < per && prov[z] == PROV_NONE; j++)
			if (d[j] != SLAB_UNLABELLED)
				prov[z] = PROV_GT;
	}
	return 0;
}

char *prov_format(const int *prov, int nz)
{
	/* a token is at most 6 digits, plus a separator each */
	size_t cap = (size_t)nz * 8 + 1, len = 0;
	char *buf = xmalloc(cap);
	int z;
	if (!buf)
		return NULL;
	buf[0] = '\0';
	for (z = 0; z < nz; z++) {
		const char *sep = z ? PROV_SEP : "";
		if (prov[z] == PROV_GT)
			len += snprintf(buf + len, cap - len, "%sg", sep);
		else if (prov[z] == PROV_NONE)
			len += snprintf(buf + len, cap - len, "%s.", sep);
		else if (prov[z] >= 0 && prov[z] <= PROV_ITER_MAX)
			len += snprintf(buf + len, cap - len, "%s%d", sep, prov[z]);
		else {
			free(buf);
			error("bad provenance of slice %d: '%d'", z, prov[z]);
			return NULL;
		}
	}
	return buf;
}

int prov_write(struct slab *m, const int *prov)
{
	char *v = prov_format(prov, m->nz);
	int rc;
	if (!v)
		return -1;
	if (strlen(v) > PROV_VALUE_MAX) {
		free(v);
		return error("too many slices to record in SLICES: '%d' in '%s'", m->nz, m->name);
	}
	rc = slab_set_extra(m, PROV_KEY, v);
	free(v);
	return rc;
}

int prov_any_gt(const int *prov, int nz)
{
	for (int z = 0; z < nz; z++)
		if (prov[z] == PROV_GT)
			return 1;
	return 0;
}

int prov_nearest(const int *prov, int nz, int z)
{
	for (int k = 0; k < nz; k++) {
		if (z - k >= 0 && z - k < nz && prov_labelled(prov[z - k]))
			return z - k;
		if (z + k >= 0 && z + k < nz && prov_labelled(prov[z + k]))
			return z + k;
	}
	return -1;
}
