#include "c2s_kernels.h"

// The MLP's element-wise activations at AVX-512 width. The same formulas as the engine's Swift
// `FastMath` (which the compiler, targeting baseline x86-64, emits 4 lanes at a time): a
// Cephes-style exp, erf by Abramowitz & Stegun 7.1.26, tanh from exp. Over a training step of a
// 410M model these run on 800M values, so the width matters.

#if defined(__x86_64__)
#include "vector_math.h"

// Kinds as c2s_kernels.h numbers them: 0 exact GELU, 1 tanh GELU, 2 SiLU, 3 ReLU.
AVX512 static inline __m512 act_ps(int kind, __m512 x) {
    const __m512 half = _mm512_set1_ps(0.5f), one = _mm512_set1_ps(1.0f);
    switch (kind) {
    case 0: return _mm512_mul_ps(_mm512_mul_ps(half, x), _mm512_add_ps(one, erf_ps(_mm512_mul_ps(x, _mm512_set1_ps(0.70710678118654752f)))));
    case 1: {
        const __m512 cube = _mm512_mul_ps(_mm512_mul_ps(x, x), x);
        const __m512 inner = _mm512_mul_ps(_mm512_set1_ps(0.7978845608028654f), _mm512_fmadd_ps(_mm512_set1_ps(0.044715f), cube, x));
        return _mm512_mul_ps(_mm512_mul_ps(half, x), _mm512_add_ps(one, tanh_ps(inner)));
    }
    case 2: return _mm512_div_ps(x, _mm512_add_ps(one, exp_ps(_mm512_sub_ps(_mm512_setzero_ps(), x))));
    default: return _mm512_max_ps(x, _mm512_setzero_ps());
    }
}

AVX512 static inline __m512 derivative_ps(int kind, __m512 x) {
    const __m512 half = _mm512_set1_ps(0.5f), one = _mm512_set1_ps(1.0f);
    switch (kind) {
    case 0: {
        // Phi(x) + x * phi(x)
        const __m512 cdf = _mm512_mul_ps(half, _mm512_add_ps(one, erf_ps(_mm512_mul_ps(x, _mm512_set1_ps(0.70710678118654752f)))));
        const __m512 pdf = exp_ps(_mm512_mul_ps(_mm512_set1_ps(-0.5f), _mm512_mul_ps(x, x)));
        return _mm512_fmadd_ps(_mm512_mul_ps(x, _mm512_set1_ps(0.3989422804014327f)), pdf, cdf);
    }
    case 1: {
        const __m512 x2 = _mm512_mul_ps(x, x);
        const __m512 t = tanh_ps(_mm512_mul_ps(_mm512_set1_ps(0.7978845608028654f), _mm512_fmadd_ps(_mm512_set1_ps(0.044715f), _mm512_mul_ps(x2, x), x)));
        const __m512 slope = _mm512_mul_ps(_mm512_set1_ps(0.7978845608028654f), _mm512_fmadd_ps(_mm512_set1_ps(3 * 0.044715f), x2, one));
        const __m512 sech2 = _mm512_fnmadd_ps(t, t, one);
        return _mm512_fmadd_ps(_mm512_mul_ps(_mm512_mul_ps(half, x), sech2), slope, _mm512_mul_ps(half, _mm512_add_ps(one, t)));
    }
    case 2: {
        const __m512 s = _mm512_div_ps(one, _mm512_add_ps(one, exp_ps(_mm512_sub_ps(_mm512_setzero_ps(), x))));
        return _mm512_mul_ps(s, _mm512_fmadd_ps(x, _mm512_sub_ps(one, s), one));
    }
    default: return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_GT_OQ), one);
    }
}

AVX512 static void apply_avx512(int kind, const float *x, float *y, long count) {
    long i = 0;
    for (; i + 16 <= count; i += 16) _mm512_storeu_ps(y + i, act_ps(kind, _mm512_loadu_ps(x + i)));
    if (i < count) {
        const __mmask16 m = tail_mask(count - i);
        _mm512_mask_storeu_ps(y + i, m, act_ps(kind, _mm512_maskz_loadu_ps(m, x + i)));
    }
}

AVX512 static void multiply_by_derivative_avx512(int kind, float *g, const float *x, long count) {
    long i = 0;
    for (; i + 16 <= count; i += 16)
        _mm512_storeu_ps(g + i, _mm512_mul_ps(_mm512_loadu_ps(g + i), derivative_ps(kind, _mm512_loadu_ps(x + i))));
    if (i < count) {
        const __mmask16 m = tail_mask(count - i);
        const __m512 d = derivative_ps(kind, _mm512_maskz_loadu_ps(m, x + i));
        _mm512_mask_storeu_ps(g + i, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, g + i), d));
    }
}

// Gated units (GeGLU, SwiGLU): each row holds the gate projection, then the up projection.
AVX512 static void gated_avx512(int kind, const float *gate_up, float *out, long rows, long width) {
    for (long r = 0; r < rows; r++) {
        const float *g = gate_up + r * 2 * width;
        float *o = out + r * width;
        for (long i = 0; i < width; i += 16) {
            const __mmask16 m = tail_mask(width - i);
            _mm512_mask_storeu_ps(o + i, m, _mm512_mul_ps(act_ps(kind, _mm512_maskz_loadu_ps(m, g + i)), _mm512_maskz_loadu_ps(m, g + width + i)));
        }
    }
}

AVX512 static void gated_backward_avx512(int kind, const float *d_out, const float *gate_up, float *d_gate_up, long rows, long width) {
    for (long r = 0; r < rows; r++) {
        const float *g = gate_up + r * 2 * width, *d = d_out + r * width;
        float *o = d_gate_up + r * 2 * width;
        for (long i = 0; i < width; i += 16) {
            const __mmask16 m = tail_mask(width - i);
            const __m512 gate = _mm512_maskz_loadu_ps(m, g + i), up = _mm512_maskz_loadu_ps(m, g + width + i);
            const __m512 dv = _mm512_maskz_loadu_ps(m, d + i);
            _mm512_mask_storeu_ps(o + i, m, _mm512_mul_ps(_mm512_mul_ps(dv, up), derivative_ps(kind, gate)));
            _mm512_mask_storeu_ps(o + width + i, m, _mm512_mul_ps(dv, act_ps(kind, gate)));
        }
    }
}
#endif

int c2s_activation_apply(int kind, const float *x, float *y, long count) {
#if defined(__x86_64__)
    if (c2s_has_avx512f()) { apply_avx512(kind, x, y, count); return 0; }
#endif
    (void)kind; (void)x; (void)y; (void)count;
    return -1;
}

int c2s_activation_multiply_by_derivative(int kind, float *gradient, const float *x, long count) {
#if defined(__x86_64__)
    if (c2s_has_avx512f()) { multiply_by_derivative_avx512(kind, gradient, x, count); return 0; }
#endif
    (void)kind; (void)gradient; (void)x; (void)count;
    return -1;
}

int c2s_activation_gated(int kind, const float *gate_up, float *out, long rows, long width) {
#if defined(__x86_64__)
    if (c2s_has_avx512f()) { gated_avx512(kind, gate_up, out, rows, width); return 0; }
#endif
    (void)kind; (void)gate_up; (void)out; (void)rows; (void)width;
    return -1;
}

int c2s_activation_gated_backward(int kind, const float *d_out, const float *gate_up, float *d_gate_up, long rows, long width) {
#if defined(__x86_64__)
    if (c2s_has_avx512f()) { gated_backward_avx512(kind, d_out, gate_up, d_gate_up, rows, width); return 0; }
#endif
    (void)kind; (void)d_out; (void)gate_up; (void)d_gate_up; (void)rows; (void)width;
    return -1;
}
