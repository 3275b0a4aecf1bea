/* Fuzz harness: the annotations table reader (lib/annot.c, the
 * annotations.tsv of msd2slab --annotations) and the sparse-mask rule it
 * feeds, on a 5x4x3 mask.
 *
 * Oracles: every case of an accepted table is found by its name; the
 * sparse rule keeps exactly the voxels on the case's planes (counted here
 * by brute force), leaves their values and makes every other voxel
 * unlabelled (255), and marks whole[z] for the z-planes; annot_slices
 * agrees with the mask it sees. */
#include "annot.h"
#include "fuzz.h"
#include "provenance.h"

enum { NX = 5, NY = 4, NZ = 3 };

static int on_plane(const struct annot_case *c, int x, int y, int z)
{
	for (int k = 0; k < c->n; k++) {
		int v = c->plane[k].axis == ANNOT_X ? x : c->plane[k].axis == ANNOT_Y ? y : z;
		if (c->plane[k].index == v)
			return 1;
	}
	return 0;
}

static int fits(const struct annot_case *c)
{
	int dims[3] = {NX, NY, NZ};
	for (int k = 0; k < c->n; k++)
		if (c->plane[k].index >= dims[c->plane[k].axis])
			return 0;
	return 1;
}

static void sparse(const struct annot_table *t, const struct annot_case *c)
{
	struct slab mask, label;
	unsigned char whole[NZ];
	size_t dropped;
	long kept, want = 0;
	int prov[NZ];
	FUZZ_CHECK(slab_alloc(&mask, "m", NX, NY, NZ, 1, SLAB_U8) == 0);
	FUZZ_CHECK(slab_alloc(&label, "m", NX, NY, NZ, 1, SLAB_U8) == 0);
	for (size_t i = 0; i < slab_count(&mask); i++) {
		((uint8_t *)mask.data)[i] = (uint8_t)(i % 3 == 0);
		((uint8_t *)label.data)[i] = (uint8_t)(i % 3 == 0 ? 1 + i % 2 : 0);
	}
	kept = annot_sparse(&mask, &label, t, c, whole, &dropped);
	if (c && !fits(c)) {
		FUZZ_CHECK(kept == -1);
		goto out;
	}
	FUZZ_CHECK(kept >= 0);
	for (int z = 0; z < NZ; z++)
		for (int y = 0; y < NY; y++)
			for (int x = 0; x < NX; x++) {
				size_t i = slab_index(&mask, x, y, 0, z);
				int on = c ? on_plane(c, x, y, z) : whole[z];
				uint8_t v = ((uint8_t *)mask.data)[i];
				want += on;
				FUZZ_CHECK(on ? v == (uint8_t)(i % 3 == 0) : v == SLAB_UNLABELLED);
			}
	FUZZ_CHECK(kept == want);
	if (c)
		for (int z = 0; z < NZ; z++) {
			int declared = 0;
			for (int k = 0; k < c->n; k++)
				declared |= c->plane[k].axis == ANNOT_Z && c->plane[k].index == z;
			FUZZ_CHECK(whole[z] == declared);
		}
	{
		int ng = annot_slices(&mask, prov), n = 0;
		for (int z = 0; z < NZ; z++)
			n += prov[z] == PROV_GT;
		FUZZ_CHECK(ng == n);
	}
out:
	slab_free(&mask);
	slab_free(&label);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct annot_table t;
	char *names[] = {"a", "b", "case_1"};
	if (annot_parse((const char *)data, size, "fuzz", &t))
		return 0;
	for (int i = 0; i < t.n; i++) {
		FUZZ_CHECK(annot_find(&t, t.cases[i].name) == &t.cases[i]);
		FUZZ_CHECK(t.cases[i].n >= 1);
		if (i < 4)
			sparse(&t, &t.cases[i]);
	}
	if (t.n == 0)
		sparse(NULL, NULL); /* the rule without a table */
	(void)annot_check_cases(&t, names, 3);
	annot_free(&t);
	return 0;
}
