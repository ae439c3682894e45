#include "c2s_kernels.h"

#include <stdlib.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

// Weight-only int8 products for decoding: w holds int8 rows with one fp32 scale per row
// (output column of y). A decoding step reads every weight once: one byte per weight here
// against two for bf16 and four for fp32. The weights are widened in registers (exact:
// |q| <= 127) and the scale is applied once per output at the end.
//
// One row of x (one sequence decoding) is bound by reading the weights: they are widened to
// fp32 and multiplied with fp32 x, so the only error is the weights' own rounding. With more
// rows the widening is shared but the multiply-adds grow with m, and 16-lane fp32 FMAs made a
// batch of 8 slower than bf16's 32-pair vdpbf16ps: on AVX512_BF16 CPUs such products widen the
// weights to bf16 (still exact) and round x to bf16, as the bf16 decoding kernel does.

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

// Eight (or fewer) rows of x, pre-rounded to bf16, against two int8 rows of w, 32 columns per
// step: each weight vector is widened once (int8 -> int32 -> fp32 -> bf16, exact) and used by
// up to 8 vdpbf16ps.
__attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))
static inline __m512bh widen_i8_bf16(__m256i q) {
    const __m512 lo = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm256_castsi256_si128(q)));
    const __m512 hi = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm256_extracti128_si256(q, 1)));
    return _mm512_cvtne2ps_pbh(hi, lo);
}

__attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))
static void block_i8_bf16(const unsigned short *xb, long m, const signed char *w, const float *scales, float *y,
                          long k, long ldy, long j0, long j1, int accumulate) {
    const long full = k & ~31L;
    const long rest = k - full;
    const __mmask32 tail = rest ? (__mmask32)((1ull << rest) - 1ull) : 0;
    for (long j = j0; j < j1; j += 2) {
        const long nb = j1 - j < 2 ? j1 - j : 2;
        const signed char *w0 = w + j * k, *w1 = w + (j + (nb > 1)) * k;
        __m512 a[8], b[8];
        for (int r = 0; r < 8; r++) { a[r] = _mm512_setzero_ps(); b[r] = _mm512_setzero_ps(); }
        long p = 0;
        for (; p < full; p += 32) {
            const __m512bh v0 = widen_i8_bf16(_mm256_loadu_si256((const __m256i *)(w0 + p)));
            const __m512bh v1 = widen_i8_bf16(_mm256_loadu_si256((const __m256i *)(w1 + p)));
            for (int r = 0; r < 8; r++) {
                if (r >= m) break;
                const __m512bh u = (__m512bh)_mm512_loadu_si512(xb + r * k + p);
                a[r] = _mm512_dpbf16_ps(a[r], u, v0);
                b[r] = _mm512_dpbf16_ps(b[r], u, v1);
            }
        }
        if (rest) {
            const __m512bh v0 = widen_i8_bf16(_mm256_maskz_loadu_epi8(tail, w0 + p));
            const __m512bh v1 = widen_i8_bf16(_mm256_maskz_loadu_epi8(tail, w1 + p));
            for (int r = 0; r < 8 && r < m; r++) {
                const __m512bh u = (__m512bh)_mm512_maskz_loadu_epi16(tail, xb + r * k + p);
                a[r] = _mm512_dpbf16_ps(a[r], u, v0);
                b[r] = _mm512_dpbf16_ps(b[r], u, v1);
            }
        }
        for (long r = 0; r < m && r < 8; r++) {
            float *yr = y + r * ldy + j;
            const float r0 = _mm512_reduce_add_ps(a[r]) * scales[j];
            yr[0] = accumulate ? yr[0] + r0 : r0;
            if (nb > 1) {
                const float r1 = _mm512_reduce_add_ps(b[r]) * scales[j + 1];
                yr[1] = accumulate ? yr[1] + r1 : r1;
            }
        }
    }
}

__attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))
static void round_rows_bf16(const float *x, unsigned short *xb, long count) {
    long i = 0;
    for (; i + 32 <= count; i += 32) {
        const __m512bh v = _mm512_cvtne2ps_pbh(_mm512_loadu_ps(x + i + 16), _mm512_loadu_ps(x + i));
        _mm512_storeu_si512(xb + i, (__m512i)v);
    }
    for (; i < count; i++) {
        // Round to nearest even, as the instruction does (inputs are finite activations).
        unsigned int bits;
        __builtin_memcpy(&bits, x + i, 4);
        bits += 0x7FFF + ((bits >> 16) & 1);
        xb[i] = (unsigned short)(bits >> 16);
    }
}

static void linear_i8_bf16(const float *x, const signed char *w, const float *scales, float *y, long m, long k,
                           long ldy, long j0, long j1, int accumulate) {
    unsigned short stack[16 * 4096];
    unsigned short *xb = m * k <= (long)(sizeof stack / sizeof stack[0]) ? stack : malloc((size_t)(m * k) * sizeof *xb);
    if (!xb) return;
    round_rows_bf16(x, xb, m * k);
    for (long r = 0; r < m; r += 8) {
        block_i8_bf16(xb + r * k, m - r < 8 ? m - r : 8, w, scales, y + r * ldy, k, ldy, j0, j1, accumulate);
    }
    if (xb != stack) free(xb);
}
#endif

int c2s_i8_rounds_activations(long m) {
#if defined(__x86_64__)
    return m > 1 && c2s_has_avx512_i8() && c2s_has_bf16_dot();
#else
    (void)m;
    return 0;
#endif
}

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
    static int bf16 = -1;
    if (avx512 < 0) avx512 = c2s_has_avx512_i8();
    if (bf16 < 0) bf16 = avx512 && c2s_has_bf16_dot();
    if (bf16 && m > 1) {
        linear_i8_bf16(x, w, scales, y, m, k, ldy, j0, j1, accumulate);
        return;
    }
    if (avx512) {
        linear_i8_avx512(x, w, scales, y, m, k, ldy, j0, j1, accumulate);
        return;
    }
#endif
    c2s_linear_few_rows_i8_portable(x, w, scales, y, m, k, ldy, j0, j1, accumulate);
}

const char *c2s_i8_path(void) { return c2s_has_avx512_i8() ? "avx512" : "portable"; }
