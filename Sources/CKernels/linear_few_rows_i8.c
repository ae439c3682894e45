#include "c2s_kernels.h"

#include <math.h>
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
// batch of 8 slower than bf16's 32-pair vdpbf16ps; so on AVX512_VNNI CPUs several rows take
// the int16 path below.

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

// Several rows of x: the weights are widened to int16 (vpmovsxbw, one instruction per 32)
// and multiplied with x quantized to int16 per row (vpdpwssd: 32 products per instruction, into
// int32), so a batch costs hardly more arithmetic than bf16's vdpbf16ps and reads half the
// bytes. x's rounding (half of max|row| / 16383) is finer than bf16's for all but elements
// thousands of times smaller than their row's largest. The int32 sums are moved to fp32
// every 1024 columns, before they could overflow (1024 * 127 * 16383 < 2^31).
#define I16_RANGE 16383.0f
#define I16_FLUSH 1024L

#endif

void c2s_i8_quantize_activations(const float *x, short *xq, float *xs, long m, long k) {
    for (long r = 0; r < m; r++) {
        const float *row = x + r * k;
        float top = 0;
        for (long p = 0; p < k; p++) top = fmaxf(top, fabsf(row[p]));
        const float inverse = top > 0 ? I16_RANGE / top : 0.0f;
        for (long p = 0; p < k; p++) xq[r * k + p] = (short)(int)rintf(row[p] * inverse);
        xs[r] = top / I16_RANGE;
    }
}

#if defined(__x86_64__)
__attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni")))
static void block_i8_i16(const short *xq, const float *xs, long m, const signed char *w, const float *scales, float *y,
                         long k, long ldy, long j0, long j1, int accumulate) {
    for (long j = j0; j < j1; j++) {
        const signed char *wj = w + j * k;
        __m512 f[8];
        for (int r = 0; r < 8; r++) f[r] = _mm512_setzero_ps();
        for (long c = 0; c < k; c += I16_FLUSH) {
            const long end = c + I16_FLUSH < k ? c + I16_FLUSH : k;
            const long full = c + ((end - c) & ~31L);
            __m512i a[8];
            for (int r = 0; r < 8; r++) a[r] = _mm512_setzero_si512();
            long p = c;
            for (; p < full; p += 32) {
                const __m512i v = _mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i *)(wj + p)));
                for (int r = 0; r < 8; r++) {
                    if (r >= m) break;
                    a[r] = _mm512_dpwssd_epi32(a[r], _mm512_loadu_si512(xq + r * k + p), v);
                }
            }
            if (p < end) {
                const __mmask32 tail = (__mmask32)((1ull << (end - p)) - 1ull);
                const __m512i v = _mm512_cvtepi8_epi16(_mm256_maskz_loadu_epi8(tail, wj + p));
                for (int r = 0; r < 8 && r < m; r++) {
                    a[r] = _mm512_dpwssd_epi32(a[r], _mm512_maskz_loadu_epi16(tail, xq + r * k + p), v);
                }
            }
            for (int r = 0; r < 8 && r < m; r++) f[r] = _mm512_add_ps(f[r], _mm512_cvtepi32_ps(a[r]));
        }
        for (long r = 0; r < m && r < 8; r++) {
            float *out = y + r * ldy + j;
            const float s = _mm512_reduce_add_ps(f[r]) * (scales[j] * xs[r]);
            *out = accumulate ? *out + s : s;
        }
    }
}

static void linear_i8_i16(const float *x, const signed char *w, const float *scales, float *y, long m, long k,
                          long ldy, long j0, long j1, int accumulate) {
    short stack[16 * 4096];
    float xs[16];
    short *xq = m * k <= (long)(sizeof stack / sizeof stack[0]) ? stack : malloc((size_t)(m * k) * sizeof *xq);
    if (!xq || m > 16) { if (xq && xq != stack) free(xq); c2s_linear_few_rows_i8_portable(x, w, scales, y, m, k, ldy, j0, j1, accumulate); return; }
    c2s_i8_quantize_activations(x, xq, xs, m, k);
    for (long r = 0; r < m; r += 8) {
        block_i8_i16(xq + r * k, xs + r, m - r < 8 ? m - r : 8, w, scales, y + r * ldy, k, ldy, j0, j1, accumulate);
    }
    if (xq != stack) free(xq);
}
#endif

static int has_vnni(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    return c2s_has_avx512_i8() && __builtin_cpu_supports("avx512vnni");
#else
    return 0;
#endif
}

int c2s_i8_rounds_activations(long m) {
#if defined(__x86_64__)
    return m > 1 && has_vnni();
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
    static int vnni = -1;
    if (avx512 < 0) avx512 = c2s_has_avx512_i8();
    if (vnni < 0) vnni = has_vnni();
    if (vnni && m > 1) {
        linear_i8_i16(x, w, scales, y, m, k, ldy, j0, j1, accumulate);
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
