#include "c2s_evaluation_kernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

// Each stored entry of a reference row scales one 16-double row of the query block into the
// row's accumulators. Four entries are in flight at a time, each with its own accumulators,
// so the multiply-adds do not wait on one another; the four are summed at the end.

__attribute__((target("avx512f")))
static void dots_avx512(const double *block, const long *indptr, const int32_t *indices, const double *values,
                        long r0, long r1, double *dots) {
    for (long r = r0; r < r1; r++) {
        __m512d a0 = _mm512_setzero_pd(), a1 = a0, b0 = a0, b1 = a0, c0 = a0, c1 = a0, d0 = a0, d1 = a0;
        long p = indptr[r];
        const long end = indptr[r + 1];
        for (; p + 4 <= end; p += 4) {
            const double *q0 = block + 16 * (long)indices[p], *q1 = block + 16 * (long)indices[p + 1];
            const double *q2 = block + 16 * (long)indices[p + 2], *q3 = block + 16 * (long)indices[p + 3];
            const __m512d v0 = _mm512_set1_pd(values[p]), v1 = _mm512_set1_pd(values[p + 1]);
            const __m512d v2 = _mm512_set1_pd(values[p + 2]), v3 = _mm512_set1_pd(values[p + 3]);
            a0 = _mm512_fmadd_pd(v0, _mm512_loadu_pd(q0), a0); a1 = _mm512_fmadd_pd(v0, _mm512_loadu_pd(q0 + 8), a1);
            b0 = _mm512_fmadd_pd(v1, _mm512_loadu_pd(q1), b0); b1 = _mm512_fmadd_pd(v1, _mm512_loadu_pd(q1 + 8), b1);
            c0 = _mm512_fmadd_pd(v2, _mm512_loadu_pd(q2), c0); c1 = _mm512_fmadd_pd(v2, _mm512_loadu_pd(q2 + 8), c1);
            d0 = _mm512_fmadd_pd(v3, _mm512_loadu_pd(q3), d0); d1 = _mm512_fmadd_pd(v3, _mm512_loadu_pd(q3 + 8), d1);
        }
        for (; p < end; p++) {
            const double *q = block + 16 * (long)indices[p];
            const __m512d v = _mm512_set1_pd(values[p]);
            a0 = _mm512_fmadd_pd(v, _mm512_loadu_pd(q), a0); a1 = _mm512_fmadd_pd(v, _mm512_loadu_pd(q + 8), a1);
        }
        double *out = dots + 16 * (r - r0);
        _mm512_storeu_pd(out, _mm512_add_pd(_mm512_add_pd(a0, b0), _mm512_add_pd(c0, d0)));
        _mm512_storeu_pd(out + 8, _mm512_add_pd(_mm512_add_pd(a1, b1), _mm512_add_pd(c1, d1)));
    }
}

__attribute__((target("avx2,fma")))
static void dots_avx2(const double *block, const long *indptr, const int32_t *indices, const double *values,
                      long r0, long r1, double *dots) {
    for (long r = r0; r < r1; r++) {
        __m256d a0 = _mm256_setzero_pd(), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        long p = indptr[r];
        const long end = indptr[r + 1];
        for (; p + 2 <= end; p += 2) {
            const double *q0 = block + 16 * (long)indices[p], *q1 = block + 16 * (long)indices[p + 1];
            const __m256d v0 = _mm256_set1_pd(values[p]), v1 = _mm256_set1_pd(values[p + 1]);
            a0 = _mm256_fmadd_pd(v0, _mm256_loadu_pd(q0), a0); a1 = _mm256_fmadd_pd(v0, _mm256_loadu_pd(q0 + 4), a1);
            a2 = _mm256_fmadd_pd(v0, _mm256_loadu_pd(q0 + 8), a2); a3 = _mm256_fmadd_pd(v0, _mm256_loadu_pd(q0 + 12), a3);
            b0 = _mm256_fmadd_pd(v1, _mm256_loadu_pd(q1), b0); b1 = _mm256_fmadd_pd(v1, _mm256_loadu_pd(q1 + 4), b1);
            b2 = _mm256_fmadd_pd(v1, _mm256_loadu_pd(q1 + 8), b2); b3 = _mm256_fmadd_pd(v1, _mm256_loadu_pd(q1 + 12), b3);
        }
        for (; p < end; p++) {
            const double *q = block + 16 * (long)indices[p];
            const __m256d v = _mm256_set1_pd(values[p]);
            a0 = _mm256_fmadd_pd(v, _mm256_loadu_pd(q), a0); a1 = _mm256_fmadd_pd(v, _mm256_loadu_pd(q + 4), a1);
            a2 = _mm256_fmadd_pd(v, _mm256_loadu_pd(q + 8), a2); a3 = _mm256_fmadd_pd(v, _mm256_loadu_pd(q + 12), a3);
        }
        double *out = dots + 16 * (r - r0);
        _mm256_storeu_pd(out, _mm256_add_pd(a0, b0));
        _mm256_storeu_pd(out + 4, _mm256_add_pd(a1, b1));
        _mm256_storeu_pd(out + 8, _mm256_add_pd(a2, b2));
        _mm256_storeu_pd(out + 12, _mm256_add_pd(a3, b3));
    }
}

typedef void (*dots_fn)(const double *, const long *, const int32_t *, const double *, long, long, double *);

static dots_fn choose(void) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return dots_avx512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return dots_avx2;
    return 0;
}
#endif

int c2s_sparse_block_dots(const double *block, const long *indptr, const int32_t *indices, const double *values,
                          long r0, long r1, double *dots) {
#if defined(__x86_64__)
    // Chosen once; threads racing here all store the same pointer (atomically).
    static dots_fn chosen_fn = 0;
    static int chosen = 0;
    dots_fn fn;
    if (__atomic_load_n(&chosen, __ATOMIC_ACQUIRE)) {
        fn = __atomic_load_n(&chosen_fn, __ATOMIC_RELAXED);
    } else {
        fn = choose();
        __atomic_store_n(&chosen_fn, fn, __ATOMIC_RELAXED);
        __atomic_store_n(&chosen, 1, __ATOMIC_RELEASE);
    }
    if (!fn) return 0;
    fn(block, indptr, indices, values, r0, r1, dots);
    return 1;
#else
    (void)block; (void)indptr; (void)indices; (void)values; (void)r0; (void)r1; (void)dots;
    return 0;
#endif
}
