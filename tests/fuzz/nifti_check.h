/* nifti_check.h: the NIfTI harnesses' common part (tests/fuzz/nifti.c and
 * nifti_gz.c): load a file with the reader's three non-finite policies and
 * check what comes back.
 *
 * Oracles, for a file the reader accepts:
 * - every sample is finite (the reader refuses or replaces the others);
 * - the slab is one a slab reader takes back unchanged (spacing and
 *   transform to the bit, the samples);
 * - nifti_write and nifti_write_like (with the file's own geometry) write
 *   files that nifti_load reads back with the same dims and samples. */
#ifndef SL_FUZZ_NIFTI_CHECK_H
#define SL_FUZZ_NIFTI_CHECK_H

#include "fuzz.h"
#include "nifti.h"
#include "slab.h"

#include <math.h>

static void nifti_slab_round_trip(const struct slab *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct slab_reader r;
	struct slab t;
	FUZZ_CHECK(f != NULL);
	FUZZ_CHECK(slab_write(f, s) == 0);
	FUZZ_CHECK(fclose(f) == 0);
	f = fmemopen(buf, len, "rb");
	FUZZ_CHECK(f != NULL);
	slab_reader_init(&r, f, "slab of a NIfTI");
	FUZZ_CHECK(slab_read(&r, &t) == 1);
	FUZZ_CHECK(t.nx == s->nx && t.ny == s->ny && t.nz == s->nz && t.nc == s->nc);
	FUZZ_CHECK(!memcmp(t.spacing, s->spacing, sizeof t.spacing));
	FUZZ_CHECK(!memcmp(t.transform, s->transform, sizeof t.transform));
	FUZZ_CHECK(!memcmp(t.data, s->data, slab_bytes(s)));
	slab_free(&t);
	fclose(f);
	free(buf);
}

/* Write s with nifti_write (geom NULL) or nifti_write_like, read it back. */
static void nifti_write_read(const struct slab *s, const struct nifti_geom *geom, int gz)
{
	static char path[600];
	struct slab t;
	int rc;
	FILE *f = fopen(fuzz_path(path, sizeof path, "written.nii"), "wb");
	FUZZ_CHECK(f != NULL);
	rc = geom ? nifti_write_like(f, s, geom, gz) : nifti_write(f, s, gz);
	FUZZ_CHECK(fclose(f) == 0);
	if (rc)
		return; /* refused with a message: fine, as long as nothing lies */
	FUZZ_CHECK(nifti_load(path, &t, NULL) == 0);
	FUZZ_CHECK(t.nx == s->nx && t.ny == s->ny && t.nz == s->nz && t.nc == s->nc);
	FUZZ_CHECK(!memcmp(t.data, s->data, slab_bytes(s)));
	slab_free(&t);
}

/* Load path with the policy picked by `sel` and check the result. */
static void nifti_check(const char *path, unsigned sel)
{
	struct slab s;
	struct nifti_info info;
	size_t replaced, n;
	enum nifti_nan policy = (enum nifti_nan)(sel % 3);
	if (nifti_load_nan(path, &s, &info, policy, &replaced))
		return;
	FUZZ_CHECK(s.type == SLAB_F32);
	n = slab_count(&s);
	for (size_t i = 0; i < n; i++)
		FUZZ_CHECK(isfinite(((const float *)s.data)[i]));
	FUZZ_CHECK(policy != NII_NAN_REFUSE || replaced == 0);
	FUZZ_CHECK(replaced <= n);
	nifti_slab_round_trip(&s);
	nifti_write_read(&s, NULL, (sel / 3) & 1);
	nifti_write_read(&s, &info.geom, 0);
	slab_free(&s);
}

#endif
