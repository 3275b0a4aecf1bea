/* test_classes: the CLASSES, CLASS_NAMES and CLASS_VALUES keys
 * (lib/classes.h), read, checked and written back. */
#include "check.h"
#include "classes.h"
#include "util.h"

#include <string.h>

/* A 2x1x1 u8 slab named "a" with the keys given (NULL: absent). */
static void make(struct slab *s, const char *n, const char *names, const char *vals)
{
	memset(s, 0, sizeof *s);
	slab_alloc(s, "a", 2, 1, 1, 1, SLAB_U8);
	if (n)
		slab_set_extra(s, CLASSES_KEY, n);
	if (names)
		slab_set_extra(s, CLASS_NAMES_KEY, names);
	if (vals)
		slab_set_extra(s, CLASS_VALUES_KEY, vals);
}

/* Does a slab with these keys read without an error? */
static int reads(const char *n, const char *names, const char *vals, struct classes *k)
{
	struct slab s;
	int rc;
	make(&s, n, names, vals);
	rc = classes_get(&s, k, "t");
	slab_free(&s);
	return rc == 0;
}

static void get_good(void)
{
	struct classes k;
	CHECK(reads(NULL, NULL, NULL, &k) && k.n == 2 && k.values[1] == 1 && !classes_named(&k));
	CHECK(reads("3", NULL, NULL, &k) && k.n == 3 && k.values[2] == 2 && !k.names[0][0]);
	CHECK(reads(" 3\t", "bg  Anterior\tPosterior ", "0 1 2", &k) && k.n == 3 &&
	      classes_named(&k) && !strcmp(k.names[1], "Anterior") && !strcmp(k.names[2], "Posterior"));
	CHECK(reads("3", NULL, "0 4 17", &k) && k.values[1] == 4 && k.values[2] == 17 &&
	      classes_of_value(&k, 17) == 2 && classes_of_value(&k, 2) == -1);
	CHECK(reads("2", NULL, NULL, &k) && k.n == 2);
	CHECK(reads("255", NULL, NULL, &k) && k.n == 255 && k.values[254] == 254);
	CHECK(reads("2", NULL, "0 32767", &k) && k.values[1] == 32767);
}

static void get_bad(void)
{
	struct classes k;
	const char *badn[] = { "1", "0", "256", "-3", "+3", "3.0", "3e0", "x", "", "3 4", "0x3",
		               "99999999999" };
	for (size_t i = 0; i < sizeof badn / sizeof *badn; i++) {
		int ok = reads(badn[i], NULL, NULL, &k);
		CHECK(!ok);
		if (ok)
			fprintf(stderr, "accepted CLASSES '%s'\n", badn[i]);
	}
	CHECK(!reads(NULL, "a b", NULL, &k));      /* names without CLASSES */
	CHECK(!reads(NULL, NULL, "0 1", &k));      /* values without CLASSES */
	CHECK(!reads("3", "a b", NULL, &k));       /* too few names */
	CHECK(!reads("3", "a b c d", NULL, &k));   /* too many */
	CHECK(!reads("3", "a b a", NULL, &k));     /* a repeated name */
	CHECK(!reads("3", "a b \x01", NULL, &k));  /* a control byte */
	CHECK(!reads("3", "a b \xc3\xa9", NULL, &k)); /* not ASCII */
	char longname[80];
	memset(longname, 'x', 64);
	strcpy(longname + 64, " b c");
	CHECK(!reads("3", longname, NULL, &k));    /* 64 bytes */
	memmove(longname + 63, longname + 64, strlen(longname + 64) + 1); /* 63 bytes */
	CHECK(reads("3", longname, NULL, &k) && strlen(k.names[0]) == 63);
	CHECK(!reads("3", NULL, "0 1", &k));
	CHECK(!reads("3", NULL, "0 1 2 3", &k));
	CHECK(!reads("3", NULL, "0 1 1", &k));     /* a repeated value */
	CHECK(!reads("3", NULL, "0 1 32768", &k));
	CHECK(!reads("3", NULL, "0 1 -2", &k));
	CHECK(!reads("3", NULL, "0 1 2.5", &k));
}

static void set_round_trip(void)
{
	struct classes k, back;
	struct slab s;
	make(&s, NULL, NULL, NULL);
	classes_default(&k, 4);
	CHECK(classes_set(&s, &k) == 0);
	CHECK(!strcmp(slab_get_extra(&s, CLASSES_KEY), "4"));
	CHECK(!slab_get_extra(&s, CLASS_NAMES_KEY) && !slab_get_extra(&s, CLASS_VALUES_KEY));
	strcpy(k.names[0], "bg");
	strcpy(k.names[1], "a");
	strcpy(k.names[2], "b");
	strcpy(k.names[3], "c");
	k.values[3] = 9;
	CHECK(classes_set(&s, &k) == 0);
	CHECK(!strcmp(slab_get_extra(&s, CLASS_NAMES_KEY), "bg a b c"));
	CHECK(!strcmp(slab_get_extra(&s, CLASS_VALUES_KEY), "0 1 2 9"));
	CHECK(classes_get(&s, &back, "t") == 0 && classes_equal(&k, &back));
	/* set again without names and values: both keys go, nothing else */
	classes_default(&k, 3);
	CHECK(classes_set(&s, &k) == 0 && s.nextra == 1);
	CHECK(classes_get(&s, &back, "t") == 0 && classes_equal(&k, &back));
	back.values[2] = 5;
	CHECK(!classes_equal(&k, &back));
	slab_free(&s);
}

static void check_labels(void)
{
	struct classes k;
	struct slab s;
	uint8_t *m;
	make(&s, NULL, NULL, NULL);
	m = s.data;
	classes_default(&k, 3);
	m[0] = 2;
	m[1] = 255;
	CHECK(classes_check_labels(&s, &k, "t") == 0);
	m[1] = 3;
	CHECK(classes_check_labels(&s, &k, "t") == -1);
	classes_default(&k, 4);
	CHECK(classes_check_labels(&s, &k, "t") == 0);
	slab_free(&s);
	slab_alloc(&s, "a", 2, 1, 1, 1, SLAB_F32);
	CHECK(classes_check_labels(&s, &k, "t") == -1);
	slab_free(&s);
}

/* classes_argmax against a brute force through slab_index on random
 * probabilities (some of them tied), and its refusals. */
static void argmax(void)
{
	struct slab p;
	uint8_t out[3 * 2 * 4];
	uint64_t r = 7;
	int x, y, z, c, bad = 0;
	slab_alloc(&p, "p", 3, 2, 4, 5, SLAB_F32);
	for (size_t i = 0; i < slab_count(&p); i++) {
		r = r * 6364136223846793005ULL + 1442695040888963407ULL;
		((float *)p.data)[i] = (float)((r >> 33) % 4) / 4; /* 0 .25 .5 .75: many ties */
	}
	CHECK(classes_argmax(&p, out, "t") == 0);
	for (z = 0; z < 4; z++)
		for (y = 0; y < 2; y++)
			for (x = 0; x < 3; x++) {
				int best = 0;
				for (c = 1; c < 5; c++)
					if (slab_get(&p, slab_index(&p, x, y, c, z)) >
					    slab_get(&p, slab_index(&p, x, y, best, z)))
						best = c;
				bad += out[(z * 2 + y) * 3 + x] != best;
			}
	CHECK(bad == 0);
	((float *)p.data)[7] = 0.0f / 0.0f;
	CHECK(classes_argmax(&p, out, "t") == -1);
	slab_free(&p);
	slab_alloc(&p, "p", 3, 2, 4, 1, SLAB_F32);
	CHECK(classes_argmax(&p, out, "t") == -1); /* one channel */
	slab_free(&p);
}

/* classes_to_values: u8 while every value fits, else i16; 255 -> background. */
static void to_values(void)
{
	struct classes k;
	struct slab s, v;
	uint8_t *m;
	slab_alloc(&s, "a", 4, 1, 1, 1, SLAB_U8);
	m = s.data;
	m[0] = 0, m[1] = 1, m[2] = 2, m[3] = 255;
	classes_default(&k, 3);
	k.values[0] = 4, k.values[1] = 3, k.values[2] = 7;
	CHECK(classes_to_values(&s, &k, &v) == 0 && v.type == SLAB_U8);
	CHECK(((uint8_t *)v.data)[0] == 4 && ((uint8_t *)v.data)[1] == 3 &&
	      ((uint8_t *)v.data)[2] == 7 && ((uint8_t *)v.data)[3] == 4);
	slab_free(&v);
	k.values[2] = 300;
	CHECK(classes_to_values(&s, &k, &v) == 0 && v.type == SLAB_I16);
	CHECK(((int16_t *)v.data)[2] == 300 && ((int16_t *)v.data)[1] == 3);
	slab_free(&v);
	slab_free(&s);
}

static void describe(void)
{
	struct classes k;
	char buf[64], small[8];
	classes_default(&k, 3);
	classes_describe(&k, buf, sizeof buf);
	CHECK(!strcmp(buf, "3"));
	strcpy(k.names[0], "bg"), strcpy(k.names[1], "ant"), strcpy(k.names[2], "post");
	classes_describe(&k, buf, sizeof buf);
	CHECK(!strcmp(buf, "3 named bg ant post"));
	k.values[2] = 7;
	classes_describe(&k, buf, sizeof buf);
	CHECK(!strcmp(buf, "3 named bg ant post of values 0 1 7"));
	/* cut short, always terminated */
	classes_describe(&k, small, sizeof small);
	CHECK(!strcmp(small, "3 named"));
}

int main(void)
{
	progname = "test_classes";
	get_good();
	get_bad();
	set_round_trip();
	check_labels();
	argmax();
	to_values();
	describe();
	return CHECK_DONE();
}
