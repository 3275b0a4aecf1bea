/* Slab format: round trips of every type, streams of several slabs, extra
 * header lines, and rejection of bad headers and short data. */
#include "check.h"
#include "slab.h"
#include "util.h"
#include <stdlib.h>
#include <string.h>

static FILE *mem(const char *text, size_t n)
{
	FILE *f = tmpfile();
	fwrite(text, 1, n, f);
	rewind(f);
	return f;
}

/* Feed `text` to the reader; return slab_read's result for the first slab. */
static int read_text(const char *text)
{
	struct slab_reader r;
	struct slab s;
	FILE *f = mem(text, strlen(text));
	int rc;
	slab_reader_init(&r, f, "test");
	rc = slab_read(&r, &s);
	if (rc > 0)
		slab_free(&s);
	fclose(f);
	return rc;
}

int main(void)
{
	struct slab a, b, c;
	struct slab_reader r;
	FILE *f;
	size_t i;
	enum slab_type t;

	progname = "test_slab";
	for (t = SLAB_U8; t <= SLAB_F32; t++) {
		CHECK(slab_alloc(&a, "case_1", 5, 4, 3, 2, t) == 0);
		for (i = 0; i < slab_count(&a); i++)
			slab_set(&a, i, (double)(i % 200) - (t == SLAB_I16 ? 100 : 0) + (t == SLAB_F32 ? 0.25 : 0));
		a.spacing[0] = 0.7, a.spacing[2] = 2.5;
		a.transform[3] = -12.125;
		CHECK(slab_set_extra(&a, "SLICES", "g g . 1 2") == 0);
		f = tmpfile();
		CHECK(slab_write(f, &a) == 0);
		CHECK(slab_write(f, &a) == 0);
		rewind(f);
		slab_reader_init(&r, f, "tmp");
		CHECK(slab_read(&r, &b) == 1);
		CHECK(slab_read(&r, &c) == 1);
		slab_free(&c);
		rewind(f);
		slab_reader_init(&r, f, "tmp");
		slab_free(&b);
		CHECK(slab_read(&r, &b) == 1);
		CHECK(slab_read(&r, &c) == 1);
		{
			struct slab d;
			CHECK(slab_read(&r, &d) == 0);
		}
		CHECK(b.nx == 5 && b.ny == 4 && b.nz == 3 && b.nc == 2 && b.type == t);
		CHECK(!strcmp(b.name, "case_1"));
		CHECK(b.spacing[0] == 0.7 && b.spacing[2] == 2.5 && b.transform[3] == -12.125);
		CHECK(slab_get_extra(&b, "SLICES") && !strcmp(slab_get_extra(&b, "SLICES"), "g g . 1 2"));
		CHECK(memcmp(a.data, b.data, slab_bytes(&a)) == 0);
		CHECK(memcmp(a.data, c.data, slab_bytes(&a)) == 0);
		CHECK(slab_index(&a, 1, 2, 1, 2) == ((2 * 2 + 1) * 4 + 2) * 5 + 1);
		fclose(f);
		slab_free(&a), slab_free(&b), slab_free(&c);
	}

	/* byte-exact layout of a tiny slab, as formats/slab.md states */
	{
		const char want[] = "SLAB 1\nNAME x\nDIMS 2 1 1\nCHANNELS 1\nTYPE i16\nSPACING 1 1 1\n"
		                    "TRANSFORM 1 0 0 0 0 1 0 0 0 0 1 0\nENDHDR\n\x01\x00\xff\xff";
		char got[256];
		size_t n;
		slab_alloc(&a, "x", 2, 1, 1, 1, SLAB_I16);
		slab_set(&a, 0, 1), slab_set(&a, 1, -1);
		f = tmpfile();
		slab_write(f, &a);
		rewind(f);
		n = fread(got, 1, sizeof got, f);
		CHECK(n == sizeof want - 1 && memcmp(got, want, n) == 0);
		fclose(f);
		slab_free(&a);
	}

	/* defaults: no TRANSFORM means diag(spacing) */
	{
		const char *t2 = "SLAB 1\nDIMS 1 1 1\nCHANNELS 1\nTYPE u8\nSPACING 2 3 4\nENDHDR\n\x07";
		f = mem(t2, strlen(t2) + 1); /* includes the sample 7; +1 for strlen stops at it */
		slab_reader_init(&r, f, "t");
		CHECK(slab_read(&r, &a) == 1);
		CHECK(a.transform[0] == 2 && a.transform[5] == 3 && a.transform[10] == 4 && a.transform[3] == 0);
		CHECK(((unsigned char *)a.data)[0] == 7);
		slab_free(&a);
		fclose(f);
	}

	/* bad headers and short data are rejected */
	CHECK(read_text("") == 0);
	CHECK(read_text("P7\n") == -1);
	CHECK(read_text("SLAB 2\nENDHDR\n") == -1);
	CHECK(read_text("SLAB 1\nDIMS 2 2 2\nCHANNELS 1\nTYPE u8\nSPACING 1 1 1\n") == -1);
	CHECK(read_text("SLAB 1\nDIMS 2 2\nCHANNELS 1\nTYPE u8\nSPACING 1 1 1\nENDHDR\n12345678") == -1);
	CHECK(read_text("SLAB 1\nDIMS 2 2 x\nCHANNELS 1\nTYPE u8\nSPACING 1 1 1\nENDHDR\n12345678") == -1);
	CHECK(read_text("SLAB 1\nDIMS 2 2 2\nTYPE u8\nSPACING 1 1 1\nENDHDR\n12345678") == -1);
	CHECK(read_text("SLAB 1\nDIMS 2 2 2\nCHANNELS 1\nTYPE u9\nSPACING 1 1 1\nENDHDR\n12345678") == -1);
	CHECK(read_text("SLAB 1\nDIMS 2 2 2\nCHANNELS 1\nTYPE u8\nSPACING 1 0 1\nENDHDR\n12345678") == -1);
	CHECK(read_text("SLAB 1\nDIMS 2 2 2\nCHANNELS 1\nTYPE u8\nSPACING 1 1 1\nENDHDR\n1234567") == -1);
	CHECK(read_text("SLAB 1\nDIMS 2 2 2\nDIMS 2 2 2\nCHANNELS 1\nTYPE u8\nSPACING 1 1 1\nENDHDR\n12345678") == -1);
	CHECK(read_text("SLAB 1\nDIMS 2 2 2\nCHANNELS 1\nTYPE u8\nSPACING 1 1 1\nENDHDR\n12345678") == 1);
	/* absurd dims: rejected or failing on short data, never a giant allocation */
	CHECK(read_text("SLAB 1\nDIMS 1000000 1000000 1000000\nCHANNELS 1\nTYPE f32\nSPACING 1 1 1\nENDHDR\nxxxx") == -1);
	CHECK(read_text("SLAB 1\nDIMS 10000 10000 100\nCHANNELS 1\nTYPE f32\nSPACING 1 1 1\nENDHDR\nxxxx") == -1);
	/* NaN in f32 data */
	{
		char t3[200];
		float nanv = NAN;
		int n = snprintf(t3, sizeof t3, "SLAB 1\nDIMS 1 1 1\nCHANNELS 1\nTYPE f32\nSPACING 1 1 1\nENDHDR\n");
		memcpy(t3 + n, &nanv, 4);
		f = mem(t3, n + 4);
		slab_reader_init(&r, f, "t");
		CHECK(slab_read(&r, &a) == -1);
		fclose(f);
	}
	return CHECK_DONE();
}
