#include "c2s_kernels.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

// Weight-only int8 products for decoding: w holds int8 rows with one fp32 scale per row
// (output column of y), x stays fp32. A decoding step reads every weight once, so it is bound
// by the bytes of weights read: one per weight here against two for bf16 and four for fp32.
// The weights are widened to fp32 in registers (exact: |q| <= 127) and the scale is applied
// once per output at the end, so the only error is the weights' own rounding to int8.

void c2s_linear_few_rows_i8_portable(const float *x, const signed char *w, const float *scales, float *y, long m,
                                     long k, long ldy, long j0, long j1, int accumulate) {
    for (long j = j0; j < j1; j++) {
        const signed char *wj = w + j * k;
        for (long i = 0; i < m; i++) {
            const float *xi = x + i * k;
            float s = 0;
            for (long p = 0; p < k; p++) s += xi[p] * (float)wj[p];
            s *= scales[j];
            y[i * ldy + j] = accumulate ? y[i * ldy + j] + s : s;
        }
    }
}

#if defined(__x86_64__)
// JB rows of w against RB rows of x, 16 columns per step: each weight vector is widened once
// (vpmovsxbd + vcvtdq2ps) and used by RB fused multiply-adds. Missing rows at the edges point
// at a real row and their results are dropped, so one unrolled body serves every block.
// Inlined with constant JB and RB, so the accumulators stay in registers.
__attribute__((target("avx512f,avx512bw,avx512vl"), always_inline))
static inline void block_i8(const int JB, const int RB, const float *x, long rows, const signed char *w,
                            const float *scales, float *y, long k, long ldy, long j, long j1, int accumulate) {
    const long full = k & ~15L;
    const long rest = k - full;
    const __mmask16 tail = (__mmask16)((1u << rest) - 1u);
    const signed char *wr[8];
    const float *xr[4];
    for (int b = 0; b < JB; b++) wr[b] = w + (j + b < j1 ? j + b : j) * k;
    for (int r = 0; r < RB; r++) xr[r] = x + (r < rows ? r : 0) * k;
    __m512 acc[4][8];
    for (int r = 0; r < RB; r++)
        for (int b = 0; b < JB; b++) acc[r][b] = _mm512_setzero_ps();
    long p = 0;
    for (; p < full; p += 16) {
        __m512 v[8];
        for (int b = 0; b < JB; b++)
            v[b] = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(wr[b] + p))));
        for (int r = 0; r < RB; r++) {
            const __m512 u = _mm512_loadu_ps(xr[r] + p);
            for (int b = 0; b < JB; b++) acc[r][b] = _mm512_fmadd_ps(u, v[b], acc[r][b]);
        }
    }
    if (rest) {
        __m512 v[8];
        for (int b = 0; b < JB; b++)
            v[b] = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(tail, wr[b] + p)));
        for (int r = 0; r < RB; r++) {
            const __m512 u = _mm512_maskz_loadu_ps(tail, xr[r] + p);
            for (int b = 0; b < JB; b++) acc[r][b] = _mm512_fmadd_ps(u, v[b], acc[r][b]);
        }
    }
    for (int r = 0; r < RB && r < rows; r++) {
        for (int b = 0; b < JB && j + b < j1; b++) {
            float *out = y + r * ldy + j + b;
            const float s = _mm512_reduce_add_ps(acc[r][b]) * scales[j + b];
            *out = accumulate ? *out + s : s;
        }
    }
}

// One row of x (greedy decoding of one sequence): eight weight rows at a time keep eight
// independent chains of multiply-adds in flight. Several rows: four by four, the weight rows
// staying in L1 while each group of four x rows passes over them.
__attribute__((target("avx512f,avx512bw,avx512vl")))
static void linear_i8_avx512(const float *x, const signed char *w, const float *scales, float *y, long m, long k,
                             long ldy, long j0, long j1, int accumulate) {
    if (m == 1) {
        for (long j = j0; j < j1; j += 8) block_i8(8, 1, x, 1, w, scales, y, k, ldy, j, j1, accumulate);
        return;
    }
    for (long j = j0; j < j1; j += 4) {
        for (long r = 0; r < m; r += 4) {
            const float *xr = x + r * k;
            float *yr = y + r * ldy;
            switch (m - r) {
            case 1: block_i8(4, 1, xr, 1, w, scales, yr, k, ldy, j, j1, accumulate); break;
            case 2: block_i8(4, 2, xr, 2, w, scales, yr, k, ldy, j, j1, accumulate); break;
            case 3: block_i8(4, 3, xr, 3, w, scales, yr, k, ldy, j, j1, accumulate); break;
            default: block_i8(4, 4, xr, 4, w, scales, yr, k, ldy, j, j1, accumulate); break;
            }
        }
    }
}
#endif

int c2s_has_avx512_i8(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl");
#else
    return 0;
#endif
}

void c2s_linear_few_rows_i8(const float *x, const signed char *w, const float *scales, float *y, long m, long k,
                            long ldy, long j0, long j1, int accumulate) {
#if defined(__x86_64__)
    // Benign race: every thread computes the same answer.
    static int avx512 = -1;
    if (avx512 < 0) avx512 = c2s_has_avx512_i8();
    if (avx512) {
        linear_i8_avx512(x, w, scales, y, m, k, ldy, j0, j1, accumulate);
        return;
    }
#endif
    c2s_linear_few_rows_i8_portable(x, w, scales, y, m, k, ldy, j0, j1, accumulate);
}

const char *c2s_i8_path(void) { return c2s_has_avx512_i8() ? "avx512" : "portable"; }
