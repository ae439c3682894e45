#include "c2s_kernels.h"

#include <stdlib.h>

#if defined(__x86_64__)
#include <immintrin.h>

// Eight (or fewer) rows of x against two rows of w, 32 bfloat16 pairs per instruction:
// vdpbf16ps does two multiply-adds per fp32 lane, and the weights take half the bytes of fp32.
__attribute__((target("avx512f,avx512bw,avx512bf16")))
static void block_bf16(const unsigned short *xb, long m, const unsigned short *w, float *y, long k,
                       long ldy, long j0, long j1, int accumulate) {
    const long full = k & ~31L;
    const long rest = k - full;
    const __mmask32 tail = rest ? (__mmask32)((1ull << rest) - 1ull) : 0;
    for (long j = j0; j < j1; j += 2) {
        const long nb = j1 - j < 2 ? j1 - j : 2;
        const unsigned short *w0 = w + j * k, *w1 = w + (j + (nb > 1)) * k;
        const unsigned short *next = w + (j + 2) * k;  // prefetched, as in linear_few_rows.c
        __m512 a[8], b[8];
        for (int r = 0; r < 8; r++) { a[r] = _mm512_setzero_ps(); b[r] = _mm512_setzero_ps(); }
        long p = 0;
        for (; p < full; p += 32) {
            _mm_prefetch((const char *)(next + p), _MM_HINT_T0);
            _mm_prefetch((const char *)(next + k + p), _MM_HINT_T0);
            const __m512bh v0 = (__m512bh)_mm512_loadu_si512(w0 + p), v1 = (__m512bh)_mm512_loadu_si512(w1 + p);
            for (int r = 0; r < 8; r++) {
                if (r >= m) break;
                const __m512bh u = (__m512bh)_mm512_loadu_si512(xb + r * k + p);
                a[r] = _mm512_dpbf16_ps(a[r], u, v0);
                b[r] = _mm512_dpbf16_ps(b[r], u, v1);
            }
        }
        if (rest) {
            const __m512bh v0 = (__m512bh)_mm512_maskz_loadu_epi16(tail, w0 + p), v1 = (__m512bh)_mm512_maskz_loadu_epi16(tail, w1 + p);
            for (int r = 0; r < 8 && r < m; r++) {
                const __m512bh u = (__m512bh)_mm512_maskz_loadu_epi16(tail, xb + r * k + p);
                a[r] = _mm512_dpbf16_ps(a[r], u, v0);
                b[r] = _mm512_dpbf16_ps(b[r], u, v1);
            }
        }
        for (long r = 0; r < m && r < 8; r++) {
            float *yr = y + r * ldy + j;
            const float r0 = _mm512_reduce_add_ps(a[r]);
            yr[0] = accumulate ? yr[0] + r0 : r0;
            if (nb > 1) {
                const float r1 = _mm512_reduce_add_ps(b[r]);
                yr[1] = accumulate ? yr[1] + r1 : r1;
            }
        }
    }
}

__attribute__((target("avx512f,avx512bw,avx512bf16")))
static void round_rows(const float *x, unsigned short *xb, long count) {
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
#endif

int c2s_has_bf16_dot(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512bf16");
#else
    return 0;
#endif
}

void c2s_linear_few_rows_bf16(const float *x, const unsigned short *w, float *y, long m, long k,
                              long ldy, long j0, long j1, int accumulate) {
#if defined(__x86_64__)
    unsigned short stack[8 * 4096];
    unsigned short *xb = m * k <= (long)(sizeof stack / sizeof stack[0]) ? stack : malloc((size_t)(m * k) * sizeof *xb);
    if (!xb) return;
    round_rows(x, xb, m * k);
    for (long r = 0; r < m; r += 8) {
        block_bf16(xb + r * k, m - r < 8 ? m - r : 8, w, y + r * ldy, k, ldy, j0, j1, accumulate);
    }
    if (xb != stack) free(xb);
#else
    (void)x; (void)w; (void)y; (void)m; (void)k; (void)ldy; (void)j0; (void)j1; (void)accumulate;
#endif
}
