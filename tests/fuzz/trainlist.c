/* Fuzz harness: the training list reader (lib/trainset.c's
 * trainset_load_list, unet-train's TRAIN.list and VAL.list) and the slab
 * pairs it loads, as slices (the 2-D U-Net) and as volumes padded to a
 * multiple of 4 (the 3-D U-Net).
 *
 * The input is the list. It is read in a folder made once (the harness
 * works there), holding small slab files whose names the seeds use: images
 * i1 (u8 16x16x3), i2 (f32 16x16x2, 2 channels), i3 (u8 32x16x1), ii (two
 * slabs, cases c1 c2), masks m1 (SLICES "g . 3"), m2 (one slice labelled,
 * the rest 255), m3, mm (two, c1 c2), mx (c9, a name that matches no image),
 * bad (a mask value 7), e (empty). Inputs holding '/' or '-' are skipped:
 * they could name files outside the folder or standard input.
 *
 * Oracles: items hold the mask values 0, 1 or 255 and the slice index
 * fraction in 0..1; a volume set's depth is a multiple of 4;
 * trainset_keep_gt keeps exactly the ground-truth items. */
#include "fuzz.h"
#include "provenance.h"
#include "trainset.h"
#include "util.h"

static void put(const char *name, const char *cname, int nx, int ny, int nz, int nc,
                enum slab_type type, int kind, const char *slices, int append)
{
	struct slab s[2];
	int n = append ? 2 : 1;
	for (int k = 0; k < n; k++) {
		FUZZ_CHECK(slab_alloc(&s[k], k ? "c2" : cname, nx, ny, nz, nc, type) == 0);
		for (size_t i = 0; i < slab_count(&s[k]); i++) {
			size_t z = i / ((size_t)nx * ny * nc);
			double v = kind == 0 ? (double)(i % 5) :               /* image */
			           kind == 1 ? (double)(i % 7 == 0) :          /* mask */
			           kind == 2 ? (z == 1 ? (double)(i % 2) : 255) /* one slice */
			                     : (i == 3 ? 7 : 0);                /* a bad value */
			slab_set(&s[k], i, v);
		}
		if (slices)
			FUZZ_CHECK(slab_set_extra(&s[k], PROV_KEY, slices) == 0);
	}
	FUZZ_CHECK(slab_save_all(name, s, n) == 0);
	for (int k = 0; k < n; k++)
		slab_free(&s[k]);
}

static void setup(void)
{
	static char dir[600];
	FUZZ_CHECK(mkdir_p(fuzz_path(dir, sizeof dir, "list")) == 0);
	FUZZ_CHECK(chdir(dir) == 0);
	put("i1", "c1", 16, 16, 3, 1, SLAB_U8, 0, NULL, 0);
	put("i2", "", 16, 16, 2, 2, SLAB_F32, 0, NULL, 0);
	put("i3", "c3", 32, 16, 1, 1, SLAB_U8, 0, NULL, 0);
	put("ii", "c1", 16, 16, 3, 1, SLAB_U8, 0, NULL, 1);
	put("m1", "c1", 16, 16, 3, 1, SLAB_U8, 1, "g . 3", 0);
	put("m2", "", 16, 16, 2, 1, SLAB_U8, 2, NULL, 0);
	put("m3", "c3", 32, 16, 1, 1, SLAB_U8, 1, NULL, 0);
	put("mm", "c1", 16, 16, 3, 1, SLAB_U8, 1, NULL, 1);
	put("mx", "c9", 16, 16, 3, 1, SLAB_U8, 1, NULL, 0);
	put("bad", "c1", 16, 16, 3, 1, SLAB_U8, 3, NULL, 0);
	fuzz_write("e", "", 0);
}

static void check(struct trainset *t, int zmult)
{
	size_t m = trainset_item_size(t), ngt = 0;
	FUZZ_CHECK(t->volumes >= 1);
	FUZZ_CHECK(zmult == 0 || (t->Z > 0 && t->Z % zmult == 0) || t->n == 0);
	for (size_t i = 0; i < t->n; i++) {
		FUZZ_CHECK(t->nsi[i] >= 0 && t->nsi[i] <= 1);
		FUZZ_CHECK(t->gt[i] <= 1);
		ngt += t->gt[i];
		for (size_t j = 0; j < m; j++) {
			uint8_t v = t->mask[i * m + j];
			FUZZ_CHECK(v == 0 || v == 1 || v == 255);
		}
	}
	FUZZ_CHECK(trainset_keep_gt(t) == ngt);
	for (size_t i = 0; i < t->n; i++)
		FUZZ_CHECK(t->gt[i] == 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	static char path[600];
	if (memchr(data, '/', size) || memchr(data, '-', size))
		return 0;
	if (!ready)
		setup(), ready = 1;
	fuzz_write(fuzz_path(path, sizeof path, "list/the.list"), data, size);
	for (int zmult = 0; zmult <= 4; zmult += 4) {
		struct trainset t;
		memset(&t, 0, sizeof t);
		t.zmult = zmult;
		if (trainset_load_list(&t, "the.list") == 0)
			check(&t, zmult);
		trainset_free(&t);
	}
	return 0;
}
