// Hand-written kernels that Swift cannot express efficiently: matrix products with few rows
// (decoding: one row per sequence), where BLAS spends most of its time packing the weight
// matrix it reads only once. Chosen at run time by CPU feature (AVX-512, AVX2+FMA, plain C).
#ifndef C2S_KERNELS_H
#define C2S_KERNELS_H

#include <stddef.h>

/// y[i, j] (+)= sum_p x[i, p] * w[j, p] for rows i < m and output columns j in [j0, j1).
/// x is [m, k] row-major, w is [n, k] row-major (nn.Linear layout), y is [m, n] with row
/// stride ldy. Meant for m up to ~16; callers split [0, n) across threads.
void c2s_linear_few_rows(const float *x, const float *w, float *y, long m, long k, long ldy,
                         long j0, long j1, int accumulate);

/// As c2s_linear_few_rows with w in bfloat16 (rounded weights, half the bytes to read); x is
/// rounded to bfloat16 too and products accumulate in fp32 (AVX512_BF16 dot products).
/// Only call when c2s_has_bf16_dot() is 1.
void c2s_linear_few_rows_bf16(const float *x, const unsigned short *w, float *y, long m, long k,
                              long ldy, long j0, long j1, int accumulate);

/// 1 when the CPU has AVX512_BF16 (with AVX512F and BW).
int c2s_has_bf16_dot(void);

/// c[i, j] (+)= sum_p bf16(a[i, p]) * b[j, p] for i < m, j < n: a GEMM for many rows
/// (prefill) with bfloat16 weights. a is [m, k] fp32 with row stride lda, rounded to bfloat16
/// (round to nearest even) as it is packed; b is [n, k] bfloat16 bits with row stride ldb
/// (nn.Linear layout); c is [m, n] with row stride ldc; products accumulate in fp32
/// (AVX512_BF16 vdpbf16ps). Allocates its packing buffers (~515 KiB) per call; callers split
/// columns (or rows) across threads, one call each. Returns 0, or -1 when the buffers cannot
/// be allocated (c then untouched). Only call when c2s_has_bf16_dot() is 1.
int c2s_gemm_bf16(const float *a, long lda, const unsigned short *b, long ldb, float *c, long ldc,
                  long m, long n, long k, int accumulate);

/// scores[j] = scale * dot(q, keys + j * stride) for j < count (one query against a cache).
void c2s_attention_scores(const float *q, const float *keys, long stride, long count, long dim,
                          float scale, float *scores);

/// out[d] = sum_j weights[j] * values[j * stride + d] for d < dim (attention's weighted sum).
void c2s_attention_sum(const float *weights, const float *values, long stride, long count,
                       long dim, float *out);

/// Name of the code path c2s_linear_few_rows uses on this CPU ("avx512", "avx2", "portable").
const char *c2s_kernels_path(void);

#endif

