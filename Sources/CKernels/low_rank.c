#include "c2s_kernels.h"


// The products of a LoRA adapter: one side is `rank` wide (16 or so), the other is a whole
// activation (thousands of rows by a model width). BLAS packs the large operand into panels as
// it would for a square product, which costs about what the arithmetic does here, and the
// small side cannot fill its register tiles. These kernels read the large operand once, in
// place, and keep the small one in L1/L2: each broadcast element of the large operand meets a
// vector of `rank` lanes (or each vector of it meets `rank` broadcasts).

// ---------------------------------------------------------------------------------------------
// Portable versions: the definitions the vector ones must match, for every CPU and the tests.

static void rows_times_panel_portable(const float *a, long lda, const float *b, long r, float *c, long ldc,
                                      long k, long i0, long i1, float alpha, int accumulate) {
    for (long i = i0; i < i1; i++) {
        float acc[64];
        for (long j0 = 0; j0 < r; j0 += 64) {
            const long nj = r - j0 < 64 ? r - j0 : 64;
            for (long j = 0; j < nj; j++) acc[j] = 0;
            for (long p = 0; p < k; p++) {
                const float x = a[i * lda + p];
                for (long j = 0; j < nj; j++) acc[j] += x * b[p * r + j0 + j];
            }
            for (long j = 0; j < nj; j++) {
                float *out = c + i * ldc + j0 + j;
                *out = accumulate ? *out + alpha * acc[j] : alpha * acc[j];
            }
        }
    }
}

static void rows_plus_panel_portable(const float *u, long ldu, const float *q, long ldq, long r, float *y, long ldy,
                                     long w, long i0, long i1, float alpha) {
    for (long i = i0; i < i1; i++)
        for (long j = 0; j < r; j++) {
            const float s = alpha * u[i * ldu + j];
            for (long n = 0; n < w; n++) y[i * ldy + n] += s * q[j * ldq + n];
        }
}

static void columns_reduce_portable(const float *m, long ldm, const float *v, long ldv, long r, long rows,
                                    float *g, long gsj, long gsn, long n0, long n1, float alpha) {
    for (long n = n0; n < n1; n++)
        for (long j = 0; j < r; j++) {
            float s = 0;
            for (long i = 0; i < rows; i++) s += m[i * ldm + n] * v[i * ldv + j];
            g[j * gsj + n * gsn] += alpha * s;
        }
}

#if defined(__x86_64__)
#include "vector_math.h"

// c[i, j0..] for NR rows at once and one 16-lane block of the panel: NR accumulators, one
// panel load and NR broadcasts per step of k.
#define C2S_ROWS_TIMES_PANEL(NR)                                                                   \
    static inline void rows_times_panel_##NR(const float *a, long lda, const float *b, long r,    \
                                             float *c, long ldc, long k, long i, long j0,          \
                                             __mmask16 mask, float alpha, int accumulate) AVX512;  \
    static inline void rows_times_panel_##NR(const float *a, long lda, const float *b, long r,    \
                                             float *c, long ldc, long k, long i, long j0,          \
                                             __mmask16 mask, float alpha, int accumulate) {        \
        __m512 acc[NR];                                                                            \
        for (int q = 0; q < NR; q++) acc[q] = _mm512_setzero_ps();                                 \
        const float *rowA = a + i * lda;                                                           \
        for (long p = 0; p < k; p++) {                                                             \
            const __m512 panel = _mm512_maskz_loadu_ps(mask, b + p * r + j0);                      \
            for (int q = 0; q < NR; q++)                                                           \
                acc[q] = _mm512_fmadd_ps(_mm512_set1_ps(rowA[q * lda + p]), panel, acc[q]);        \
        }                                                                                          \
        const __m512 scale = _mm512_set1_ps(alpha);                                                \
        for (int q = 0; q < NR; q++) {                                                             \
            float *out = c + (i + q) * ldc + j0;                                                   \
            __m512 v = _mm512_mul_ps(acc[q], scale);                                               \
            if (accumulate) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(mask, out));                \
            _mm512_mask_storeu_ps(out, mask, v);                                                   \
        }                                                                                          \
    }
C2S_ROWS_TIMES_PANEL(8)
C2S_ROWS_TIMES_PANEL(1)

AVX512 static void rows_times_panel_avx512(const float *a, long lda, const float *b, long r, float *c, long ldc,
                                           long k, long i0, long i1, float alpha, int accumulate) {
    for (long j0 = 0; j0 < r; j0 += 16) {
        const __mmask16 mask = tail_mask(r - j0);
        long i = i0;
        for (; i + 8 <= i1; i += 8) rows_times_panel_8(a, lda, b, r, c, ldc, k, i, j0, mask, alpha, accumulate);
        for (; i < i1; i++) rows_times_panel_1(a, lda, b, r, c, ldc, k, i, j0, mask, alpha, accumulate);
    }
}

// y[i.., n0..n0+16] for NR rows: the rows' outputs stay in registers while the r panel rows
// (already scaled by alpha) stream from L1.
#define C2S_ROWS_PLUS_PANEL(NR)                                                                    \
    static inline void rows_plus_panel_##NR(const float *u, long ldu, const float *q, long ldq,   \
                                            long r, float *y, long ldy, long i, long n0,           \
                                            __mmask16 mask, __m512 scale) AVX512;                   \
    static inline void rows_plus_panel_##NR(const float *u, long ldu, const float *q, long ldq,   \
                                            long r, float *y, long ldy, long i, long n0,           \
                                            __mmask16 mask, __m512 scale) {                        \
        __m512 acc[NR];                                                                            \
        for (int s = 0; s < NR; s++) acc[s] = _mm512_maskz_loadu_ps(mask, y + (i + s) * ldy + n0); \
        const float *rowU = u + i * ldu;                                                           \
        for (long j = 0; j < r; j++) {                                                             \
            const __m512 panel = _mm512_mul_ps(scale, _mm512_maskz_loadu_ps(mask, q + j * ldq + n0)); \
            for (int s = 0; s < NR; s++)                                                           \
                acc[s] = _mm512_fmadd_ps(_mm512_set1_ps(rowU[s * ldu + j]), panel, acc[s]);        \
        }                                                                                          \
        for (int s = 0; s < NR; s++) _mm512_mask_storeu_ps(y + (i + s) * ldy + n0, mask, acc[s]);  \
    }
C2S_ROWS_PLUS_PANEL(8)
C2S_ROWS_PLUS_PANEL(1)

AVX512 static void rows_plus_panel_avx512(const float *u, long ldu, const float *q, long ldq, long r, float *y,
                                          long ldy, long w, long i0, long i1, float alpha) {
    const __m512 scale = _mm512_set1_ps(alpha);
    // Rows in groups of 8 outermost, so a group's u rows and y rows stay in L1 across the
    // width; the panel (r x w) stays in L2.
    long i = i0;
    for (; i + 8 <= i1; i += 8)
        for (long n0 = 0; n0 < w; n0 += 16) rows_plus_panel_8(u, ldu, q, ldq, r, y, ldy, i, n0, tail_mask(w - n0), scale);
    for (; i < i1; i++)
        for (long n0 = 0; n0 < w; n0 += 16) rows_plus_panel_1(u, ldu, q, ldq, r, y, ldy, i, n0, tail_mask(w - n0), scale);
}

// sums[j, c..c+16] += the sums over `rows` rows of one 16-column block, for j < NJ: NJ
// accumulators, one column load and NJ broadcasts per row.
#define C2S_COLUMNS_REDUCE(NJ)                                                                     \
    static inline void columns_reduce_##NJ(const float *m, long ldm, const float *v, long ldv,    \
                                           long rows, float *sums, long width, __mmask16 mask) AVX512; \
    static inline void columns_reduce_##NJ(const float *m, long ldm, const float *v, long ldv,    \
                                           long rows, float *sums, long width, __mmask16 mask) {   \
        __m512 acc[NJ];                                                                            \
        for (int j = 0; j < NJ; j++) acc[j] = _mm512_setzero_ps();                                 \
        for (long i = 0; i < rows; i++) {                                                          \
            /* Rows a page or more apart defeat the hardware prefetchers: fetch ahead. */          \
            _mm_prefetch((const char *)(m + (i + 12) * ldm), _MM_HINT_T0);                         \
            const __m512 col = _mm512_maskz_loadu_ps(mask, m + i * ldm);                           \
            const float *rowV = v + i * ldv;                                                       \
            for (int j = 0; j < NJ; j++) acc[j] = _mm512_fmadd_ps(_mm512_set1_ps(rowV[j]), col, acc[j]); \
        }                                                                                          \
        for (int j = 0; j < NJ; j++) {                                                             \
            float *out = sums + j * width;                                                         \
            _mm512_mask_storeu_ps(out, mask, _mm512_add_ps(acc[j], _mm512_maskz_loadu_ps(mask, out))); \
        }                                                                                          \
    }
C2S_COLUMNS_REDUCE(16)
C2S_COLUMNS_REDUCE(8)
C2S_COLUMNS_REDUCE(4)
C2S_COLUMNS_REDUCE(1)

// Rows are taken a tile at a time across a chunk of column blocks: a column block alone walks
// all rows at the activation's row stride (16 KB for a 4,096-wide one), a new page per row,
// and misses the TLB on every load once the rows span more pages than it holds. The chunk's
// sums live on the stack (a heap buffer this size would be mapped and zeroed on every call).
enum { REDUCE_TILE_ROWS = 256, REDUCE_CHUNK_COLUMNS = 256, REDUCE_RANKS = 64 };

AVX512 static void columns_reduce_avx512(const float *m, long ldm, const float *v, long ldv, long r, long rows,
                                         float *g, long gsj, long gsn, long n0, long n1, float alpha) {
    float sums[REDUCE_RANKS * REDUCE_CHUNK_COLUMNS];
    for (long jg = 0; jg < r; jg += REDUCE_RANKS) {
        const long ranks = r - jg < REDUCE_RANKS ? r - jg : REDUCE_RANKS;
        for (long c0 = n0; c0 < n1; c0 += REDUCE_CHUNK_COLUMNS) {
            const long width = n1 - c0 < REDUCE_CHUNK_COLUMNS ? n1 - c0 : REDUCE_CHUNK_COLUMNS;
            for (long e = 0; e < ranks * width; e++) sums[e] = 0;
            for (long i0 = 0; i0 < rows; i0 += REDUCE_TILE_ROWS) {
                const long tile = rows - i0 < REDUCE_TILE_ROWS ? rows - i0 : REDUCE_TILE_ROWS;
                const float *vt = v + i0 * ldv + jg;
                for (long c = 0; c < width; c += 16) {
                    const __mmask16 mask = tail_mask(width - c);
                    const float *mc = m + i0 * ldm + c0 + c;
                    float *sc = sums + c;
                    long j = 0;
                    for (; j + 16 <= ranks; j += 16) columns_reduce_16(mc, ldm, vt + j, ldv, tile, sc + j * width, width, mask);
                    for (; j + 8 <= ranks; j += 8) columns_reduce_8(mc, ldm, vt + j, ldv, tile, sc + j * width, width, mask);
                    for (; j + 4 <= ranks; j += 4) columns_reduce_4(mc, ldm, vt + j, ldv, tile, sc + j * width, width, mask);
                    for (; j < ranks; j++) columns_reduce_1(mc, ldm, vt + j, ldv, tile, sc + j * width, width, mask);
                }
            }
            for (long j = 0; j < ranks; j++)
                for (long c = 0; c < width; c++) g[(jg + j) * gsj + (c0 + c) * gsn] += alpha * sums[j * width + c];
        }
    }
}
#endif

int c2s_has_avx512f(void) {
#if defined(__x86_64__)
    static int known = -1;
    if (known < 0) {
        __builtin_cpu_init();
        known = __builtin_cpu_supports("avx512f") ? 1 : 0;
    }
    return known;
#else
    return 0;
#endif
}

void c2s_rows_times_panel(const float *a, long lda, const float *b, long r, float *c, long ldc, long k,
                          long i0, long i1, float alpha, int accumulate, int portable) {
#if defined(__x86_64__)
    if (!portable && c2s_has_avx512f()) { rows_times_panel_avx512(a, lda, b, r, c, ldc, k, i0, i1, alpha, accumulate); return; }
#endif
    rows_times_panel_portable(a, lda, b, r, c, ldc, k, i0, i1, alpha, accumulate);
}

void c2s_rows_plus_panel(const float *u, long ldu, const float *q, long ldq, long r, float *y, long ldy, long w,
                         long i0, long i1, float alpha, int portable) {
#if defined(__x86_64__)
    if (!portable && c2s_has_avx512f()) { rows_plus_panel_avx512(u, ldu, q, ldq, r, y, ldy, w, i0, i1, alpha); return; }
#endif
    rows_plus_panel_portable(u, ldu, q, ldq, r, y, ldy, w, i0, i1, alpha);
}

void c2s_columns_reduce(const float *m, long ldm, const float *v, long ldv, long r, long rows, float *g,
                        long gsj, long gsn, long n0, long n1, float alpha, int portable) {
#if defined(__x86_64__)
    if (!portable && c2s_has_avx512f()) { columns_reduce_avx512(m, ldm, v, ldv, r, rows, g, gsj, gsn, n0, n1, alpha); return; }
#endif
    columns_reduce_portable(m, ldm, v, ldv, r, rows, g, gsj, gsn, n0, n1, alpha);
}
