/* components.h: connected components of a binary 3-D mask, and the
 * post-processing step that keeps only the largest one of a probability map
 * (of each class of a C-channel one).
 *
 * Grids are nx*ny*nz, x fastest, then y, then z (a one-channel slab's
 * samples). Two foreground voxels are neighbours when their coordinates
 * differ by at most 1 on every axis and, for 6-connectivity, on one axis
 * only (faces), for 18-connectivity on at most two (faces and edges), for
 * 26-connectivity on up to three (faces, edges and corners).
 *
 * The method is a raster scan with union-find kept inside the label array
 * itself: no recursion, no queue, no memory beyond one uint32 per voxel. Each
 * voxel is visited a fixed number of times (one scan joins it to its earlier
 * neighbours, one more gives it its final label); the set lookups in between
 * are shortened by path halving, and every set is rooted at its lowest voxel
 * index, so the time is close to linear in the number of voxels. */
#ifndef SL_COMPONENTS_H
#define SL_COMPONENTS_H

#include <stddef.h>
#include <stdint.h>

/* Label the components of mask (nx*ny*nz bytes, nonzero: foreground) with
 * connectivity conn (6, 18 or 26) into labels (nx*ny*nz uint32): 0 on the
 * background, 1..*ncomp on the foreground, numbered in the order of each
 * component's lowest voxel index. Returns 0, or -1 with an error (dims not
 * >= 1, conn not 6, 18 or 26, more than 2^32 - 1 voxels). */
int cc_label(const uint8_t *mask, int nx, int ny, int nz, int conn, uint32_t *labels,
             uint32_t *ncomp);

/* Keep the largest component of the mask p >= thr of the probability map p
 * (nx*ny*nz floats): every voxel with p >= thr outside that component is set
 * to 0; every other voxel keeps its value, so thresholding the result at thr
 * gives exactly the largest component. Of components of equal size the one
 * with the lowest voxel index is kept; with no voxel >= thr nothing changes.
 * thr must be above 0. *kept (the largest component's voxel count), *removed
 * (the voxels set to 0) and *ncomp (the number of components), each when not
 * NULL. Returns 0, or -1 with an error (as cc_label, thr not above 0, out of
 * memory: one uint32 per voxel is allocated; p is then unchanged). */
int cc_keep_largest(float *p, int nx, int ny, int nz, double thr, int conn, size_t *kept,
                    size_t *removed, size_t *ncomp);

/* Keep the largest component of each foreground class of the C-class
 * probabilities p (nc = C >= 2 channels, a slab's samples: index ((z * nc +
 * c) * ny + y) * nx + x). The mask of class k = 1..C-1 is argmax_c p_c ==
 * k (ties to the lower class); of its components the largest is kept (ties:
 * the lowest voxel index), and every voxel of class k outside it gives its
 * p_k to the background: p_0 += p_k (at most 1: a sum's rounding never
 * makes it more), p_k = 0. Every other voxel keeps its
 * values, so the argmax of the result is exactly, per class, the largest
 * component of the input's argmax (the others become class 0; p_0 + p_k is
 * at least every p_c). A class without voxels changes nothing. *kept (the
 * voxels of the kept components), *removed (the voxels given to the
 * background) and *ncomp (the components of all classes), each when not
 * NULL. Returns 0, or -1 with an error (as cc_label, nc not 2..255, out of
 * memory; p is then unchanged). */
int cc_keep_largest_classes(float *p, int nx, int ny, int nz, int nc, int conn, int merged,
                            size_t *kept, size_t *removed, size_t *ncomp);
/* (merged: the same on the merged foreground instead, the mask argmax_c
 * p_c != 0; a voxel of any foreground class outside its largest component
 * gives every p_k, k >= 1, to the background, so the result's argmax is
 * the input's inside that component and 0 outside.) */

#endif
