/* test_annot: the annotations table and the sparse-mask rule (lib/annot.h),
 * and the source-grid keys (lib/source.h). */
#include "annot.h"
#include "check.h"
#include "provenance.h"
#include "source.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int parse(const char *text, struct annot_table *t)
{
	return annot_parse(text, strlen(text), "a.tsv", t);
}

static void table_good(void)
{
	struct annot_table t;
	const struct annot_case *c;
	const char *text = "case\taxis\tindex\n"
	                   "# a comment\n"
	                   "\n"
	                   "p1\tz\t12\n"
	                   "p2\tz\t3,7\r\n"
	                   "p1\tx\t5\n"
	                   "p3\ty\t0";
	CHECK(parse(text, &t) == 0);
	CHECK(t.n == 3);
	c = annot_find(&t, "p1");
	CHECK(c && c->n == 2 && c->line == 4);
	CHECK(c && c->plane[0].axis == ANNOT_Z && c->plane[0].index == 12);
	CHECK(c && c->plane[1].axis == ANNOT_X && c->plane[1].index == 5 && c->plane[1].line == 6);
	c = annot_find(&t, "p2");
	CHECK(c && c->n == 2 && c->plane[1].index == 7);
	c = annot_find(&t, "p3");
	CHECK(c && c->n == 1 && c->plane[0].axis == ANNOT_Y && c->plane[0].index == 0);
	CHECK(annot_find(&t, "p4") == NULL);
	{
		char *names[] = {"p3", "p2", "p1", "p9"};
		CHECK(annot_check_cases(&t, names, 4) == 0);
		CHECK(annot_check_cases(&t, names, 2) == -1); /* p1 unknown */
	}
	annot_free(&t);
	CHECK(t.n == 0 && t.cases == NULL);
	CHECK(parse("", &t) == 0 && t.n == 0);
	annot_free(&t);
}

static void table_bad(void)
{
	struct annot_table t;
	const char *bad[] = {
		"p1\tz\n",              /* two columns */
		"p1\tz\t1\textra\n",    /* four */
		"p1 z 1\n",             /* spaces, not tabs */
		"p1\tw\t1\n",           /* bad axis */
		"p1\tZ\t1\n",
		"p1\t\t1\n",
		"p1\tzz\t1\n",
		"\tz\t1\n",             /* no case */
		"p1\tz\t-1\n",          /* bad indices */
		"p1\tz\t+1\n",
		"p1\tz\t1.5\n",
		"p1\tz\t\n",
		"p1\tz\t1,\n",
		"p1\tz\t,1\n",
		"p1\tz\t1 \n",
		"p1\tz\t99999999999999999999\n",
		"p1\tz\t3,3\n",         /* an index twice */
		"p1\tz\t3\np1\tz\t4,3\n",
	};
	size_t i;
	for (i = 0; i < sizeof bad / sizeof *bad; i++) {
		int rc = parse(bad[i], &t);
		CHECK(rc == -1);
		CHECK(t.n == 0 && t.cases == NULL);
		if (rc == 0)
			fprintf(stderr, "accepted: %s", bad[i]);
	}
	/* the same index on another axis is no duplicate */
	CHECK(parse("p1\tz\t3\np1\tx\t3\n", &t) == 0 && t.cases[0].n == 2);
	annot_free(&t);
	CHECK(annot_parse("p1\tz\0\t3\n", 8, "a.tsv", &t) == -1);
}

/* A 4x3x5 label volume: value 2 at (1,1,z) for z = 1 and 3, else 0. */
static void make_label(struct slab *lab, struct slab *mask)
{
	int z;
	slab_alloc(lab, "c", 4, 3, 5, 1, SLAB_F32);
	slab_alloc(mask, "c", 4, 3, 5, 1, SLAB_U8);
	for (z = 1; z < 5; z += 2) {
		((float *)lab->data)[slab_index(lab, 1, 1, 0, z)] = 2;
		((uint8_t *)mask->data)[slab_index(mask, 1, 1, 0, z)] = 1;
	}
}

static size_t count(const struct slab *m, int v)
{
	size_t i, n = 0;
	for (i = 0; i < slab_count(m); i++)
		n += ((const uint8_t *)m->data)[i] == v;
	return n;
}

static void sparse_default(void)
{
	struct slab lab, m;
	unsigned char whole[5];
	int prov[5], z;
	size_t dropped = 99;
	make_label(&lab, &m);
	CHECK(annot_sparse(&m, &lab, NULL, NULL, whole, &dropped) == 24);
	CHECK(dropped == 0);
	for (z = 0; z < 5; z++) {
		CHECK(whole[z] == (z == 1 || z == 3));
		CHECK(((uint8_t *)m.data)[slab_index(&m, 0, 0, 0, z)] == (z == 1 || z == 3 ? 0 : 255));
	}
	CHECK(count(&m, 1) == 2 && count(&m, 0) == 22 && count(&m, 255) == 36);
	CHECK(annot_slices(&m, prov) == 2);
	CHECK(prov[0] == PROV_NONE && prov[1] == PROV_GT && prov[2] == PROV_NONE &&
	      prov[3] == PROV_GT && prov[4] == PROV_NONE);
	slab_free(&m);
	/* nothing painted: no voxel annotated */
	slab_alloc(&m, "c", 4, 3, 5, 1, SLAB_U8);
	memset(lab.data, 0, slab_bytes(&lab));
	CHECK(annot_sparse(&m, &lab, NULL, NULL, whole, NULL) == 0);
	CHECK(count(&m, 255) == 60);
	CHECK(annot_slices(&m, prov) == 0);
	slab_free(&m);
	slab_free(&lab);
}

static void sparse_table(void)
{
	struct annot_table t;
	struct slab lab, m;
	unsigned char whole[5];
	int prov[5];
	size_t dropped = 0;
	/* c: z-plane 0 (all background), x-plane 1; painted z = 3 is dropped */
	CHECK(parse("c\tz\t0\nc\tx\t1\n", &t) == 0);
	make_label(&lab, &m);
	CHECK(annot_sparse(&m, &lab, &t, annot_find(&t, "c"), whole, &dropped) == 12 + 15 - 3);
	CHECK(dropped == 0); /* (1,1,3) lies on the x-plane 1 */
	CHECK(whole[0] == 1 && whole[1] == 0 && whole[3] == 0);
	CHECK(count(&m, 1) == 2);
	CHECK(((uint8_t *)m.data)[slab_index(&m, 1, 2, 0, 4)] == 0);
	CHECK(((uint8_t *)m.data)[slab_index(&m, 2, 2, 0, 4)] == 255);
	CHECK(annot_slices(&m, prov) == 5); /* every z-slice crossed by the x-plane */
	slab_free(&m);
	slab_free(&lab);
	annot_free(&t);
	/* a y-plane off the painted voxels: both painted voxels dropped */
	CHECK(parse("c\ty\t2\n", &t) == 0);
	make_label(&lab, &m);
	CHECK(annot_sparse(&m, &lab, &t, annot_find(&t, "c"), whole, &dropped) == 20);
	CHECK(dropped == 2);
	CHECK(count(&m, 1) == 0 && count(&m, 0) == 20);
	slab_free(&m);
	slab_free(&lab);
	annot_free(&t);
	/* out of range on each axis */
	const char *oob[] = {"c\tx\t4\n", "c\ty\t3\n", "c\tz\t5\n", "c\tz\t1,2,9\n"};
	for (size_t i = 0; i < sizeof oob / sizeof *oob; i++) {
		CHECK(parse(oob[i], &t) == 0);
		make_label(&lab, &m);
		CHECK(annot_sparse(&m, &lab, &t, annot_find(&t, "c"), whole, NULL) == -1);
		slab_free(&m);
		slab_free(&lab);
		annot_free(&t);
	}
	CHECK(parse("c\tx\t3\nc\ty\t2\nc\tz\t4\n", &t) == 0);
	make_label(&lab, &m);
	CHECK(annot_sparse(&m, &lab, &t, annot_find(&t, "c"), whole, NULL) == 15 + 20 + 12 - 5 - 4 - 3 + 1);
	slab_free(&m);
	slab_free(&lab);
	annot_free(&t);
}

static void sparse_crop(void)
{
	struct slab lab, m, out;
	unsigned char whole[5];
	make_label(&lab, &m);
	CHECK(annot_sparse(&m, &lab, NULL, NULL, whole, NULL) == 24);
	/* 4x3 -> 6x5: origin (-1, -1); padding 0 on z 1 and 3, 255 elsewhere */
	CHECK(annot_crop(&m, 6, 5, whole, &out) == 0);
	CHECK(out.nx == 6 && out.ny == 5 && out.nz == 5);
	CHECK(((uint8_t *)out.data)[slab_index(&out, 0, 0, 0, 1)] == 0);
	CHECK(((uint8_t *)out.data)[slab_index(&out, 5, 4, 0, 3)] == 0);
	CHECK(((uint8_t *)out.data)[slab_index(&out, 2, 2, 0, 1)] == 1);
	CHECK(((uint8_t *)out.data)[slab_index(&out, 0, 0, 0, 0)] == 255);
	CHECK(((uint8_t *)out.data)[slab_index(&out, 5, 4, 0, 2)] == 255);
	CHECK(count(&out, 255) == 90 && count(&out, 1) == 2 && count(&out, 0) == 58);
	slab_free(&out);
	/* a smaller crop keeps what it covers */
	CHECK(annot_crop(&m, 2, 1, whole, &out) == 0);
	CHECK(count(&out, 1) == 2 && count(&out, 255) == 6);
	slab_free(&out);
	slab_free(&m);
	slab_free(&lab);
}

static void source_keys(void)
{
	struct slab s;
	struct source_grid g;
	double t[12] = {0.1, 0, 0, -90.25, 0, -1.0 / 3, 0, 17, 0, 0, 2.5, 1e-7};
	slab_alloc(&s, "c", 7, 8, 9, 1, SLAB_U8);
	memcpy(s.transform, t, sizeof t);
	CHECK(source_get(&s, &g, "t") == 0);
	CHECK(source_set(&s) == 0);
	CHECK(!strcmp(slab_get_extra(&s, SOURCE_DIMS_KEY), "7 8 9"));
	CHECK(source_get(&s, &g, "t") == 1);
	CHECK(g.dims[0] == 7 && g.dims[1] == 8 && g.dims[2] == 9);
	CHECK(!memcmp(g.transform, t, sizeof t)); /* exact */
	slab_set_extra(&s, SOURCE_DIMS_KEY, "7 8");
	CHECK(source_get(&s, &g, "t") == -1);
	slab_set_extra(&s, SOURCE_DIMS_KEY, "7 8 0");
	CHECK(source_get(&s, &g, "t") == -1);
	slab_set_extra(&s, SOURCE_DIMS_KEY, "7 8 9");
	slab_set_extra(&s, SOURCE_TRANSFORM_KEY, "1 2 3");
	CHECK(source_get(&s, &g, "t") == -1);
	slab_free(&s);
}

/* A hostile but valid table costs n log n: a million indices of one case, a
 * duplicate among them, 300,000 cases (the old parser compared every index
 * and every case with all before it: hours; alarm() fails the test first). */
static void table_large(void)
{
	struct annot_table t;
	size_t cap = 16u << 20, n = 0;
	char *s = xmalloc(cap);
	int i, rc;
	alarm(60);
	n += (size_t)snprintf(s + n, cap - n, "big\tz\t0");
	for (i = 1; i <= 1000000; i++)
		n += (size_t)snprintf(s + n, cap - n, ",%d", i);
	n += (size_t)snprintf(s + n, cap - n, "\nbig\tx\t7\n");
	rc = annot_parse(s, n, "a.tsv", &t);
	CHECK(rc == 0);
	CHECK(rc == 0 && t.n == 1 && t.cases[0].n == 1000002);
	annot_free(&t);
	/* the same index again on a later line: named, on that line */
	n += (size_t)snprintf(s + n, cap - n, "big\tz\t999999\n");
	CHECK(annot_parse(s, n, "a.tsv", &t) == -1);
	n = 0;
	for (i = 0; i < 300000; i++)
		n += (size_t)snprintf(s + n, cap - n, "c%d\tz\t%d\n", i, i % 7);
	n += (size_t)snprintf(s + n, cap - n, "c299999\ty\t1\n");
	rc = annot_parse(s, n, "a.tsv", &t);
	CHECK(rc == 0);
	CHECK(rc == 0 && t.n == 300000 && t.cases[299999].n == 2 && t.cases[299999].line == 300000);
	CHECK(rc == 0 && annot_find(&t, "c123456") == &t.cases[123456]);
	annot_free(&t);
	alarm(0);
	free(s);
}

int main(void)
{
	progname = "test_annot";
	table_good();
	table_bad();
	table_large();
	sparse_default();
	sparse_table();
	sparse_crop();
	source_keys();
	return CHECK_DONE();
}
