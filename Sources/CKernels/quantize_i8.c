#include "c2s_kernels.h"

#include <math.h>

// Symmetric per-row int8 quantization (scale = max|row| / 127, round to nearest) and the
// widening of int8 rows to bfloat16 for products too large for the decoding kernel. Both run
// over whole matrices (at load, or a panel per product), so the loops are compiled twice: a
// baseline copy and an AVX-512 copy that the compiler vectorises, chosen at run time.

#define QUANTIZE_BODY                                                                        \
    for (long i = 0; i < rows; i++) {                                                        \
        const float *row = src + i * cols;                                                   \
        signed char *out = dst + i * cols;                                                   \
        float top = 0;                                                                       \
        for (long p = 0; p < cols; p++) top = fmaxf(top, fabsf(row[p]));                     \
        const float scale = top / 127.0f;                                                    \
        /* An all-zero row keeps scale 0 and zeros (no division by zero). */                 \
        const float inverse = top > 0 ? 127.0f / top : 0.0f;                                 \
        for (long p = 0; p < cols; p++) {                                                    \
            float q = rintf(row[p] * inverse);                                               \
            q = q > 127.0f ? 127.0f : (q < -127.0f ? -127.0f : q);                           \
            out[p] = (signed char)(int)q;                                                    \
        }                                                                                    \
        scales[i] = scale;                                                                   \
    }

static void quantize_portable(const float *src, signed char *dst, float *scales, long rows, long cols) {
    QUANTIZE_BODY
}

#define WIDEN_BODY                                                                           \
    for (long i = 0; i < count; i++) {                                                       \
        /* |q| <= 127 fits bfloat16's 8-bit significand: the top half of the float is exact. */ \
        const float f = (float)src[i];                                                       \
        unsigned int bits;                                                                   \
        __builtin_memcpy(&bits, &f, 4);                                                      \
        dst[i] = (unsigned short)(bits >> 16);                                               \
    }

static void widen_portable(const signed char *src, unsigned short *dst, long count) { WIDEN_BODY }

#if defined(__x86_64__)
__attribute__((target("avx512f,avx512bw,avx512vl")))
static void quantize_avx512(const float *src, signed char *dst, float *scales, long rows, long cols) {
    QUANTIZE_BODY
}

__attribute__((target("avx512f,avx512bw,avx512vl")))
static void widen_avx512(const signed char *src, unsigned short *dst, long count) { WIDEN_BODY }
#endif

void c2s_quantize_rows_i8(const float *src, signed char *dst, float *scales, long rows, long cols) {
#if defined(__x86_64__)
    if (c2s_has_avx512_i8()) { quantize_avx512(src, dst, scales, rows, cols); return; }
#endif
    quantize_portable(src, dst, scales, rows, cols);
}

void c2s_i8_to_bf16(const signed char *src, unsigned short *dst, long count) {
#if defined(__x86_64__)
    if (c2s_has_avx512_i8()) { widen_avx512(src, dst, count); return; }
#endif
    widen_portable(src, dst, count);
}
