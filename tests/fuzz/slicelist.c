/* Fuzz harness: the small list readers of command lines and headers: slice
 * LISTs and RANGEs (lib/slicelist.c), SLICES values (lib/provenance.c) and
 * "N<sep>N" tuples (lib/util.c's parse_tuple).
 *
 * Input: byte 0 picks the slice count nz (1..64, or 255 for INT_MAX: the
 * syntax alone), byte 1 the buffer size given to slicelist_format (1..64),
 * the rest is the text.
 *
 * Oracles: the count slicelist_parse returns is the number of slices it
 * marks, and it agrees with the syntax-only call; a formatted LIST that fits
 * parses back to the same slices (also for a set of slices made from the
 * input's bits); a RANGE lies in 0..nz; a SLICES value written back parses
 * to the same provenance. */
#include "fuzz.h"
#include "provenance.h"
#include "slicelist.h"
#include "util.h"

#include <limits.h>

static void format_back(const unsigned char *keep, int nz, int count, int n)
{
	char buf[80];
	unsigned char again[64];
	size_t len;
	FUZZ_CHECK(slicelist_format(keep, nz, buf, n) == count);
	len = strlen(buf);
	FUZZ_CHECK(len < (size_t)n);
	if (count == 0 || (len >= 3 && !strcmp(buf + len - 3, "...")) || len == 0)
		return;
	FUZZ_CHECK(slicelist_parse(buf, nz, again) == count);
	FUZZ_CHECK(!memcmp(again, keep, (size_t)nz));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char keep[64], keep2[64];
	int nz, n, count, a, b, prov[64], prov2[64];
	double t[3] = {0, 0, 0};
	char *s;
	if (size < 2)
		return 0;
	nz = data[0] == 255 ? INT_MAX : data[0] % 64 + 1;
	n = data[1] % 64 + 1;
	s = fuzz_string(data + 2, size - 2);

	count = slicelist_parse(s, nz, NULL);
	FUZZ_CHECK(count == -1 || count == 1);
	if (nz != INT_MAX) {
		int c2 = slicelist_parse(s, nz, keep), sum = 0;
		FUZZ_CHECK((c2 > 0) == (count > 0));
		if (c2 > 0) {
			for (int z = 0; z < nz; z++)
				sum += keep[z];
			FUZZ_CHECK(sum == c2);
			format_back(keep, nz, c2, n);
			FUZZ_CHECK(slicesel_keep(s, NULL, nz, keep2) == 0);
			FUZZ_CHECK(!memcmp(keep, keep2, (size_t)nz));
		}
		/* any set of slices, from the input's bits */
		count = 0;
		for (int z = 0; z < nz; z++) {
			keep[z] = size > 2 ? (unsigned char)(data[2 + (size_t)z / 8 % (size - 2)] >> (z % 8) & 1) : 0;
			count += keep[z];
		}
		format_back(keep, nz, count, n);
	}

	if (slicerange_parse(s, nz, &a, &b) == 0) {
		FUZZ_CHECK(0 <= a && a < b && b <= nz);
		if (nz != INT_MAX) {
			FUZZ_CHECK(slicesel_keep(NULL, s, nz, keep) == 0);
			for (int z = 0; z < nz; z++)
				FUZZ_CHECK(keep[z] == (z >= a && z < b));
		}
	}

	if (nz != INT_MAX && prov_parse(s, nz, prov, "fuzz", "x") == 0) {
		char *v = prov_format(prov, nz);
		FUZZ_CHECK(v != NULL);
		FUZZ_CHECK(prov_parse(v, nz, prov2, "fuzz", "x") == 0);
		FUZZ_CHECK(!memcmp(prov, prov2, sizeof *prov * (size_t)nz));
		free(v);
	}

	if (parse_tuple(s, data[1] & 1 ? 'x' : ':', data[1] & 2 ? 3 : 2, data[0] & 1, -1e6, 1e6,
	                data[0] & 2, "fuzz", t) == 0)
		for (int i = 0; i < (data[1] & 2 ? 3 : 2); i++)
			FUZZ_CHECK(!(t[i] < -1e6 || t[i] > 1e6));
	free(s);
	return 0;
}
