#include "c2s_kernels.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

// Decoding attention: one query row against every cached key of its head, then the weighted
// sum of the cached values. Keys and values of one head are rows of `dim` floats `stride`
// apart (the cache holds all heads of a token side by side).

static void scores_portable(const float *q, const float *keys, long stride, long count, long dim,
                            float scale, float *scores) {
    for (long j = 0; j < count; j++) {
        const float *k = keys + j * stride;
        float s = 0;
        for (long d = 0; d < dim; d++) s += q[d] * k[d];
        scores[j] = s * scale;
    }
}

static void sum_portable(const float *weights, const float *values, long stride, long count, long dim,
                         float *out) {
    for (long d = 0; d < dim; d++) out[d] = 0;
    for (long j = 0; j < count; j++) {
        const float *v = values + j * stride;
        const float w = weights[j];
        for (long d = 0; d < dim; d++) out[d] += w * v[d];
    }
}

#if defined(__x86_64__)
__attribute__((target("avx512f")))
static void scores_avx512(const float *q, const float *keys, long stride, long count, long dim,
                          float scale, float *scores) {
    const long full = dim & ~15L;
    const __mmask16 tail = (__mmask16)((1u << (dim & 15)) - 1u);
    long j = 0;
    for (; j + 4 <= count; j += 4) {
        const float *k0 = keys + j * stride, *k1 = k0 + stride, *k2 = k1 + stride, *k3 = k2 + stride;
        for (long r = 8; r < 12; r++) {  // the rows four blocks ahead (first 64 floats of each)
            const float *ahead = keys + (j + r) * stride;
            for (long d = 0; d < dim && d < 64; d += 16) _mm_prefetch((const char *)(ahead + d), _MM_HINT_T0);
        }
        __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        long d = 0;
        for (; d < full; d += 16) {
            const __m512 qv = _mm512_loadu_ps(q + d);
            a0 = _mm512_fmadd_ps(qv, _mm512_loadu_ps(k0 + d), a0);
            a1 = _mm512_fmadd_ps(qv, _mm512_loadu_ps(k1 + d), a1);
            a2 = _mm512_fmadd_ps(qv, _mm512_loadu_ps(k2 + d), a2);
            a3 = _mm512_fmadd_ps(qv, _mm512_loadu_ps(k3 + d), a3);
        }
        if (d < dim) {
            const __m512 qv = _mm512_maskz_loadu_ps(tail, q + d);
            a0 = _mm512_fmadd_ps(qv, _mm512_maskz_loadu_ps(tail, k0 + d), a0);
            a1 = _mm512_fmadd_ps(qv, _mm512_maskz_loadu_ps(tail, k1 + d), a1);
            a2 = _mm512_fmadd_ps(qv, _mm512_maskz_loadu_ps(tail, k2 + d), a2);
            a3 = _mm512_fmadd_ps(qv, _mm512_maskz_loadu_ps(tail, k3 + d), a3);
        }
        scores[j] = _mm512_reduce_add_ps(a0) * scale;
        scores[j + 1] = _mm512_reduce_add_ps(a1) * scale;
        scores[j + 2] = _mm512_reduce_add_ps(a2) * scale;
        scores[j + 3] = _mm512_reduce_add_ps(a3) * scale;
    }
    for (; j < count; j++) {
        const float *k0 = keys + j * stride;
        __m512 a0 = _mm512_setzero_ps();
        long d = 0;
        for (; d < full; d += 16) a0 = _mm512_fmadd_ps(_mm512_loadu_ps(q + d), _mm512_loadu_ps(k0 + d), a0);
        if (d < dim) a0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, q + d), _mm512_maskz_loadu_ps(tail, k0 + d), a0);
        scores[j] = _mm512_reduce_add_ps(a0) * scale;
    }
}

__attribute__((target("avx512f")))
static void sum_avx512(const float *weights, const float *values, long stride, long count, long dim,
                       float *out) {
    // Up to 128 output floats (8 registers) per pass over the values.
    for (long d0 = 0; d0 < dim; d0 += 128) {
        const long width = dim - d0 < 128 ? dim - d0 : 128;
        const long vectors = (width + 15) / 16;
        __mmask16 masks[8];
        for (long v = 0; v < 8; v++) {
            const long left = width - v * 16;
            masks[v] = left >= 16 ? (__mmask16)0xFFFF : left > 0 ? (__mmask16)((1u << left) - 1u) : 0;
        }
        __m512 acc[8];
        for (long v = 0; v < 8; v++) acc[v] = _mm512_setzero_ps();
        for (long j = 0; j < count; j++) {
            const float *row = values + j * stride + d0;
            // Rows are `stride` apart (all heads of a token sit together): fetch a few ahead.
            _mm_prefetch((const char *)(row + 8 * stride), _MM_HINT_T0);
            _mm_prefetch((const char *)(row + 8 * stride + 16 * (vectors > 1)), _MM_HINT_T0);
            _mm_prefetch((const char *)(row + 8 * stride + 32 * (vectors > 2)), _MM_HINT_T0);
            _mm_prefetch((const char *)(row + 8 * stride + 48 * (vectors > 3)), _MM_HINT_T0);
            const __m512 w = _mm512_set1_ps(weights[j]);
            for (long v = 0; v < vectors; v++)
                acc[v] = _mm512_fmadd_ps(w, _mm512_maskz_loadu_ps(masks[v], row + v * 16), acc[v]);
        }
        for (long v = 0; v < vectors; v++) _mm512_mask_storeu_ps(out + d0 + v * 16, masks[v], acc[v]);
    }
}
#endif

static int use_avx512 = -1;

static int avx512(void) {
    if (use_avx512 < 0) {
#if defined(__x86_64__)
        __builtin_cpu_init();
        use_avx512 = __builtin_cpu_supports("avx512f") ? 1 : 0;
#else
        use_avx512 = 0;
#endif
    }
    return use_avx512;
}

void c2s_attention_scores(const float *q, const float *keys, long stride, long count, long dim,
                          float scale, float *scores) {
#if defined(__x86_64__)
    if (avx512()) { scores_avx512(q, keys, stride, count, dim, scale, scores); return; }
#endif
    scores_portable(q, keys, stride, count, dim, scale, scores);
}

void c2s_attention_sum(const float *weights, const float *values, long stride, long count, long dim,
                       float *out) {
#if defined(__x86_64__)
    if (avx512()) { sum_avx512(weights, values, stride, count, dim, out); return; }
#endif
    sum_portable(weights, values, stride, count, dim, out);
}
