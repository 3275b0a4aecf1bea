/* permute.c: see permute.h. */
#include "permute.h"
#include "classes.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

int permute_parse(const char *order, int perm[3])
{
	int a, seen = 0;
	if (strlen(order) != 3)
		return error("axis order is a permutation of xyz: '%s'", order);
	for (a = 0; a < 3; a++) {
		const char *p = strchr("xyz", order[a]);
		if (!order[a] || !p || seen & 1 << (p - "xyz"))
			return error("axis order is a permutation of xyz: '%s'", order);
		perm[a] = (int)(p - "xyz");
		seen |= 1 << perm[a];
	}
	return 0;
}

int slab_permute(struct slab *dst, const struct slab *src, const int perm[3], const int dims[3])
{
	int od[3] = { src->nx, src->ny, src->nz }, nd[3], fd[3], a, c, n[3], o[3];
	double pad = src->type == SLAB_U8 ? 255 : 0;
	/* C-channel probabilities pad as certain background: p_0 = 1 */
	int bg = src->type != SLAB_U8 && src->nc > 1 && slab_get_extra(src, CLASSES_KEY);

	for (a = 0; a < 3; a++) {
		nd[a] = od[perm[a]];
		fd[a] = dims[a] > 0 ? dims[a] : nd[a];
	}
	if (slab_alloc_like(dst, src, fd[0], fd[1], fd[2], src->nc, src->type))
		return -1;
	for (a = 0; a < 3; a++) {
		int r;
		dst->spacing[a] = src->spacing[perm[a]];
		for (r = 0; r < 3; r++)
			dst->transform[r * 4 + a] = src->transform[r * 4 + perm[a]];
	}
	if (!(perm[2] == 2 && fd[2] == od[2]))
		slab_del_extra(dst, "SLICES");
	for (n[2] = 0; n[2] < fd[2]; n[2]++)
		for (c = 0; c < src->nc; c++)
			for (n[1] = 0; n[1] < fd[1]; n[1]++)
				for (n[0] = 0; n[0] < fd[0]; n[0]++) {
					size_t i = slab_index(dst, n[0], n[1], c, n[2]);
					if (n[0] >= nd[0] || n[1] >= nd[1] || n[2] >= nd[2]) {
						slab_set(dst, i, bg && c == 0 ? 1 : pad);
						continue;
					}
					for (a = 0; a < 3; a++)
						o[perm[a]] = n[a];
					slab_set(dst, i, slab_get(src, slab_index(src, o[0], o[1], c, o[2])));
				}
	return 0;
}
