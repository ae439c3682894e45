#include "c2s_kernels.h"

#include <math.h>

// Row operations of attention over a query block's scores (softmax, exp against a saved
// log-sum-exp, the softmax gradient) at AVX-512 width; see vector_math.h for why.

#if defined(__x86_64__)
#include "vector_math.h"

AVX512 static float softmax_avx512(float *x, long n) {
    __m512 m = _mm512_set1_ps(-3.402823466e38f);
    long i = 0;
    for (; i + 16 <= n; i += 16) m = _mm512_max_ps(m, _mm512_loadu_ps(x + i));
    if (i < n) m = _mm512_mask_max_ps(m, tail_mask(n - i), m, _mm512_maskz_loadu_ps(tail_mask(n - i), x + i));
    const float maximum = _mm512_reduce_max_ps(m);
    const __m512 mv = _mm512_set1_ps(maximum);
    __m512 acc = _mm512_setzero_ps();
    for (i = 0; i + 16 <= n; i += 16) {
        const __m512 e = exp_ps(_mm512_sub_ps(_mm512_loadu_ps(x + i), mv));
        _mm512_storeu_ps(x + i, e);
        acc = _mm512_add_ps(acc, e);
    }
    if (i < n) {
        const __mmask16 t = tail_mask(n - i);
        const __m512 e = _mm512_maskz_mov_ps(t, exp_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(t, x + i), mv)));
        _mm512_mask_storeu_ps(x + i, t, e);
        acc = _mm512_add_ps(acc, e);
    }
    const float sum = _mm512_reduce_add_ps(acc);
    const __m512 inv = _mm512_set1_ps(1.0f / sum);
    for (i = 0; i + 16 <= n; i += 16) _mm512_storeu_ps(x + i, _mm512_mul_ps(_mm512_loadu_ps(x + i), inv));
    if (i < n) _mm512_mask_storeu_ps(x + i, tail_mask(n - i), _mm512_mul_ps(_mm512_maskz_loadu_ps(tail_mask(n - i), x + i), inv));
    return maximum + logf(sum);
}

AVX512 static void exp_shifted_avx512(float *x, long n, float shift) {
    const __m512 s = _mm512_set1_ps(shift);
    long i = 0;
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(x + i, exp_ps(_mm512_sub_ps(_mm512_loadu_ps(x + i), s)));
    if (i < n) {
        const __mmask16 t = tail_mask(n - i);
        _mm512_mask_storeu_ps(x + i, t, exp_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(t, x + i), s)));
    }
}

AVX512 static void softmax_gradient_avx512(float *ds, const float *p, long n, float d, float scale) {
    const __m512 dv = _mm512_set1_ps(d), sv = _mm512_set1_ps(scale);
    long i = 0;
    for (; i + 16 <= n; i += 16)
        _mm512_storeu_ps(ds + i, _mm512_mul_ps(_mm512_mul_ps(sv, _mm512_loadu_ps(p + i)), _mm512_sub_ps(_mm512_loadu_ps(ds + i), dv)));
    if (i < n) {
        const __mmask16 t = tail_mask(n - i);
        const __m512 v = _mm512_mul_ps(_mm512_mul_ps(sv, _mm512_maskz_loadu_ps(t, p + i)), _mm512_sub_ps(_mm512_maskz_loadu_ps(t, ds + i), dv));
        _mm512_mask_storeu_ps(ds + i, t, v);
    }
}
#endif

int c2s_softmax_row(float *x, long n, float *log_sum_exp) {
#if defined(__x86_64__)
    if (n > 0 && c2s_has_avx512f()) { *log_sum_exp = softmax_avx512(x, n); return 0; }
#endif
    (void)x; (void)n; (void)log_sum_exp;
    return -1;
}

int c2s_exp_shifted(float *x, long n, float shift) {
#if defined(__x86_64__)
    if (c2s_has_avx512f()) { exp_shifted_avx512(x, n, shift); return 0; }
#endif
    (void)x; (void)n; (void)shift;
    return -1;
}

int c2s_softmax_gradient(float *ds, const float *p, long n, float d, float scale) {
#if defined(__x86_64__)
    if (c2s_has_avx512f()) { softmax_gradient_avx512(ds, p, n, d, scale); return 0; }
#endif
    (void)ds; (void)p; (void)n; (void)d; (void)scale;
    return -1;
}
