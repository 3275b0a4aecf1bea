/* Fuzz harness: the slab reader (lib/slab.c) over a stream of slabs, and the
 * SLICES key of the masks it reads (lib/provenance.c).
 *
 * Oracle: a slab the reader accepts, written back by slab_write and read
 * again, comes back with the same header (name, dims, type, spacing and
 * transform to the bit, extra lines in order) and the same samples. */
#include "fuzz.h"
#include "provenance.h"
#include "slab.h"

static void same_slab(const struct slab *a, const struct slab *b)
{
	FUZZ_CHECK(!strcmp(a->name, b->name));
	FUZZ_CHECK(a->nx == b->nx && a->ny == b->ny && a->nz == b->nz && a->nc == b->nc);
	FUZZ_CHECK(a->type == b->type);
	FUZZ_CHECK(!memcmp(a->spacing, b->spacing, sizeof a->spacing));
	FUZZ_CHECK(!memcmp(a->transform, b->transform, sizeof a->transform));
	FUZZ_CHECK(a->nextra == b->nextra);
	for (int i = 0; i < a->nextra; i++)
		FUZZ_CHECK(!strcmp(a->extra[i], b->extra[i]));
	FUZZ_CHECK(!memcmp(a->data, b->data, slab_bytes(a)));
}

static void round_trip(const struct slab *s)
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
	slab_reader_init(&r, f, "round trip");
	FUZZ_CHECK(slab_read(&r, &t) == 1);
	same_slab(s, &t);
	slab_free(&t);
	FUZZ_CHECK(slab_read(&r, &t) == 0);
	fclose(f);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct slab_reader r;
	struct slab s;
	FILE *f;
	if (size == 0)
		return 0;
	f = fmemopen((void *)data, size, "rb");
	FUZZ_CHECK(f != NULL);
	slab_reader_init(&r, f, "fuzz");
	for (int k = 0; k < 16 && slab_read(&r, &s) == 1; k++) {
		round_trip(&s);
		if (s.type == SLAB_U8 && s.nc == 1) {
			int *prov = malloc(sizeof *prov * (size_t)s.nz);
			FUZZ_CHECK(prov != NULL);
			if (prov_read(&s, prov, "fuzz") == 0) {
				char *v = prov_format(prov, s.nz);
				FUZZ_CHECK(v != NULL);
				int *again = malloc(sizeof *again * (size_t)s.nz);
				FUZZ_CHECK(again != NULL);
				FUZZ_CHECK(prov_parse(v, s.nz, again, "fuzz", s.name) == 0);
				FUZZ_CHECK(!memcmp(prov, again, sizeof *prov * (size_t)s.nz));
				free(again);
				free(v);
			}
			free(prov);
		}
		slab_free(&s);
	}
	slab_reader_close(&r);
	fclose(f);
	return 0;
}
