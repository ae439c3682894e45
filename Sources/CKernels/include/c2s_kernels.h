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

/// Name of the code path c2s_linear_few_rows uses on this CPU ("avx512", "avx2", "portable").
const char *c2s_kernels_path(void);

#endif

