/* isa_names.h: the per-instruction-set names of the engine's kernels. The
 * files of the kernel group (ISA_SRC in the Makefile) are compiled once per
 * set with -DSL_ISA=generic|avx2|avx512 and include this header first: each
 * function they define or call among themselves, say gemm_rows, is then
 * gemm_rows_avx512 in the AVX-512 objects, and so on, so the sets live side
 * by side in one program and call their own kind. The rest of the program
 * reaches them through isa.c's entry points of the same plain names and
 * the table of isa_ops.h. A function added to the group and left out here
 * is defined three times: the link fails. (Private to lib/.) */
#ifndef SL_ISA_NAMES_H
#define SL_ISA_NAMES_H

#ifndef SL_ISA
#error "compile the kernel group with -DSL_ISA=generic, avx2 or avx512 (see the Makefile)"
#endif

#define SL_ISA_CAT2(a, b) a##_##b
#define SL_ISA_CAT(a, b) SL_ISA_CAT2(a, b)
/* name, as the build's set calls it */
#define SL_ISA_NAME(name) SL_ISA_CAT(name, SL_ISA)

/* kernels.c (kernels.h) */
#define gemm_rows SL_ISA_NAME(gemm_rows)
#define rows_product SL_ISA_NAME(rows_product)
#define gemm_rows2d SL_ISA_NAME(gemm_rows2d)
#define gemm_rows2d_edges SL_ISA_NAME(gemm_rows2d_edges)
#define gemm_lanes SL_ISA_NAME(gemm_lanes)
#define gemm_dots SL_ISA_NAME(gemm_dots)
#define gemm_dots_pf SL_ISA_NAME(gemm_dots_pf)
#define gemm_dots_finish SL_ISA_NAME(gemm_dots_finish)
#define vec_relu SL_ISA_NAME(vec_relu)
#define vec_relu_mask SL_ISA_NAME(vec_relu_mask)
#define vec_relu_copy SL_ISA_NAME(vec_relu_copy)
#define vec_mask_copy SL_ISA_NAME(vec_mask_copy)
#define vec_add SL_ISA_NAME(vec_add)
#define vec_add_scalar SL_ISA_NAME(vec_add_scalar)
#define vec_rmsprop SL_ISA_NAME(vec_rmsprop)
#define vec_sum SL_ISA_NAME(vec_sum)
#define vec_relu_mask_sum SL_ISA_NAME(vec_relu_mask_sum)
#define vec_add_bias SL_ISA_NAME(vec_add_bias)
#define vec_sum_rows SL_ISA_NAME(vec_sum_rows)
#define kernels_fma_peak SL_ISA_NAME(kernels_fma_peak)
/* winograd.c (winograd.h) and its transforms (winograd_impl.h) */
#define wino_scratch SL_ISA_NAME(wino_scratch)
#define wino_forward SL_ISA_NAME(wino_forward)
#define wino_backward SL_ISA_NAME(wino_backward)
#define wino_row_input SL_ISA_NAME(wino_row_input)
#define wino_row_output SL_ISA_NAME(wino_row_output)
#define wino_row_dout SL_ISA_NAME(wino_row_dout)
#define wino_row_adjoint SL_ISA_NAME(wino_row_adjoint)
#define wino_tile_input SL_ISA_NAME(wino_tile_input)
#define wino_tile_output SL_ISA_NAME(wino_tile_output)
#define wino_tile_dout SL_ISA_NAME(wino_tile_dout)
#define wino_tile_adjoint SL_ISA_NAME(wino_tile_adjoint)
#define wino_tiles_bytes SL_ISA_NAME(wino_tiles_bytes)
#define wino_tiles_point SL_ISA_NAME(wino_tiles_point)
#define wino_tiles_build SL_ISA_NAME(wino_tiles_build)
#define wino_gather_input SL_ISA_NAME(wino_gather_input)
#define wino_gather_output SL_ISA_NAME(wino_gather_output)
#define wino_gather_dout SL_ISA_NAME(wino_gather_dout)
#define wino_gather_adjoint SL_ISA_NAME(wino_gather_adjoint)
#define wino_stage_floats SL_ISA_NAME(wino_stage_floats)
#define wino_staged_input SL_ISA_NAME(wino_staged_input)
#define wino_staged_output SL_ISA_NAME(wino_staged_output)
#define wino_staged_dout SL_ISA_NAME(wino_staged_dout)
#define wino_staged_adjoint SL_ISA_NAME(wino_staged_adjoint)
/* conv_direct.c (conv_impl.h) */
#define conv_direct_scratch SL_ISA_NAME(conv_direct_scratch)
#define conv_direct_forward SL_ISA_NAME(conv_direct_forward)
#define conv_direct_backward SL_ISA_NAME(conv_direct_backward)
/* layers.c (layers.h) */
#define upconv2x2_forward SL_ISA_NAME(upconv2x2_forward)
#define upconv2x2_backward SL_ISA_NAME(upconv2x2_backward)
#define conv1x1_forward SL_ISA_NAME(conv1x1_forward)
#define conv1x1_backward SL_ISA_NAME(conv1x1_backward)
#define maxpool2_forward SL_ISA_NAME(maxpool2_forward)
#define maxpool2_backward SL_ISA_NAME(maxpool2_backward)
#define relu_forward SL_ISA_NAME(relu_forward)
#define relu_backward SL_ISA_NAME(relu_backward)
/* isa_ops.c: the set's table (isa_ops.h) */
#define isa_table SL_ISA_NAME(isa_table)

#endif
