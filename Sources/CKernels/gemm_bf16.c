#include "c2s_kernels.h"

#include <stdlib.h>
#include <string.h>

// A bfloat16 GEMM for many rows (prefill): c[m, n] (+)= bf16(a)[m, k] · b[n, k]ᵀ with fp32
// accumulation, built on vdpbf16ps, which adds to each fp32 lane the products of one pair of
// bf16 values: acc[i] += x[2i] * y[2i] + x[2i+1] * y[2i+1].
//
// Blocking (BLIS-like, one call per thread over its own columns):
//   for each block of NC columns of b:
//     for each block of KC of the reduction:
//       pack b[cols, ks] into NR-column micro-panels: for every pair (p, p+1) of k, the
//         (b[j, p], b[j, p+1]) pairs of NR consecutive columns j, as NR 32-bit words
//         (NC x KC bf16 = 512 KiB stays in L2), zero past n and past k;
//       for each MR rows of a:
//         round them to bf16 (round to nearest even) into a small row-major buffer that stays
//         in L1 (rows past m are zero);
//         for each micro-panel: the MR x NR microkernel, 24 fp32 accumulators in zmm
//           registers; per pair of k, NR/16 loads of b and MR broadcasts of a's pair (as one
//           32-bit word, folded into vdpbf16ps as a {1to16} memory operand).
// The first KC block stores c (or adds to it when accumulating), later ones add to it.
//
// On Zen 4 one zmm vdpbf16ps issues per cycle (64 flops), latency ~6 cycles: 24 independent
// accumulators keep the unit busy and the loads (4 vectors + 6 broadcasts per 24 products)
// leave the load ports mostly idle.

#if defined(__x86_64__)
#include <immintrin.h>

// Blocking (overridable with -D for tuning experiments; NC must stay a multiple of NR).
#ifndef MR
#define MR 6
#endif
#ifndef NR
#define NR 64
#endif
#ifndef KC
#define KC 256                // bf16 elements of the reduction per block (KC / 2 pairs)
#endif
#ifndef PF_HINT
#define PF_HINT _MM_HINT_T1
#endif
#define KCP (KC / 2)          // pairs per block
#ifndef NC
#define NC 1024               // columns per packed block of b
#endif

#define TARGET __attribute__((target("avx512f,avx512bw,avx512bf16")))

// 16 x 16 transpose of 32-bit words, in registers.
TARGET static inline void transpose16(__m512i r[16]) {
    __m512i t[16];
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_epi32(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_epi32(r[i], r[i + 1]);
    }
    for (int i = 0; i < 16; i += 4) {
        r[i] = _mm512_unpacklo_epi64(t[i], t[i + 2]);
        r[i + 1] = _mm512_unpackhi_epi64(t[i], t[i + 2]);
        r[i + 2] = _mm512_unpacklo_epi64(t[i + 1], t[i + 3]);
        r[i + 3] = _mm512_unpackhi_epi64(t[i + 1], t[i + 3]);
    }
    // r[4q + s] now holds, in each 128-bit lane L, words (4L..4L+3) of rows 4q..4q+3 for
    // column s of the lane: lane L of r[4q + s] = column 4L + s, rows 4q..4q+3.
    for (int i = 0; i < 4; i++) {
        t[i] = _mm512_shuffle_i32x4(r[i], r[i + 4], 0x88);        // lanes 0,2 of r[i], 0,2 of r[i+4]
        t[i + 4] = _mm512_shuffle_i32x4(r[i], r[i + 4], 0xDD);    // lanes 1,3 ...
        t[i + 8] = _mm512_shuffle_i32x4(r[i + 8], r[i + 12], 0x88);
        t[i + 12] = _mm512_shuffle_i32x4(r[i + 8], r[i + 12], 0xDD);
    }
    for (int i = 0; i < 4; i++) {
        r[i] = _mm512_shuffle_i32x4(t[i], t[i + 8], 0x88);        // column 0+i (lane 0)
        r[i + 8] = _mm512_shuffle_i32x4(t[i], t[i + 8], 0xDD);    // column 8+i (lane 2)
        r[i + 4] = _mm512_shuffle_i32x4(t[i + 4], t[i + 12], 0x88);  // column 4+i (lane 1)
        r[i + 12] = _mm512_shuffle_i32x4(t[i + 4], t[i + 12], 0xDD); // column 12+i (lane 3)
    }
}

// Packs columns [j0, j0 + cols) and reduction elements [p0, p0 + kc) of b (row j of b is
// column j of the product) into dst: micro-panel q (columns j0 + NR q ...) holds, for pair
// t < ceil(kc / 2), NR words at dst[q * NR * kcp + t * NR + col].
TARGET static void pack_b(const unsigned short *b, long ldb, long j0, long cols, long p0, long kc,
                          long kcp, unsigned int *dst) {
    for (long q = 0; q * NR < cols; q++) {
        unsigned int *panel = dst + q * NR * kcp;
        for (long g = 0; g < NR / 16; g++) {
            const long jg = q * NR + g * 16;  // first column of this group of 16
            const long rows = cols - jg < 16 ? (cols - jg < 0 ? 0 : cols - jg) : 16;
            for (long t = 0; t < kcp; t += 16) {
                // 16 pairs (32 bf16) of each of 16 columns.
                const long left = kc - 2 * t;  // bf16 elements left in this block
                const __mmask32 mask = left >= 32 ? 0xFFFFFFFFu : (__mmask32)((1ull << left) - 1ull);
                __m512i r[16];
                for (int i = 0; i < 16; i++) {
                    r[i] = i < rows ? _mm512_maskz_loadu_epi16(mask, b + (j0 + jg + i) * ldb + p0 + 2 * t)
                                    : _mm512_setzero_si512();
                }
                transpose16(r);
                const long pairs = kcp - t < 16 ? kcp - t : 16;
                for (long s = 0; s < pairs; s++) _mm512_store_si512(panel + (t + s) * NR + g * 16, r[s]);
            }
        }
    }
}

// The same micro-panels from b stored [k, n] (reduction-major: element (p, j) at b[p * ldb + j],
// as a weight `W [out, in]` is for the input gradient dY · W): each pair of k is two rows of b,
// whose 16-bit elements are interleaved into (b[p, j], b[p + 1, j]) words, 32 columns a time.
TARGET static void pack_b_kn(const unsigned short *b, long ldb, long j0, long cols, long p0, long kc,
                             long kcp, unsigned int *dst) {
    // unpacklo/hi interleave within 128-bit lanes (columns 8L..8L+3 and 8L+4..8L+7 of lane L);
    // these put the lanes back in column order.
    const __m512i first = _mm512_set_epi64(11, 10, 3, 2, 9, 8, 1, 0);
    const __m512i second = _mm512_set_epi64(15, 14, 7, 6, 13, 12, 5, 4);
    for (long q = 0; q * NR < cols; q++) {
        unsigned int *panel = dst + q * NR * kcp;
        for (long g = 0; g < NR / 32; g++) {
            const long jg = q * NR + g * 32;  // first column of this group of 32
            const long left = cols - jg;
            const __mmask32 mask = left >= 32 ? 0xFFFFFFFFu : left <= 0 ? 0u : (__mmask32)((1ull << left) - 1ull);
            for (long t = 0; t < kcp; t++) {
                const unsigned short *row = b + (p0 + 2 * t) * ldb + j0 + jg;
                const __m512i r0 = _mm512_maskz_loadu_epi16(mask, row);
                const __m512i r1 = 2 * t + 1 < kc ? _mm512_maskz_loadu_epi16(mask, row + ldb) : _mm512_setzero_si512();
                const __m512i lo = _mm512_unpacklo_epi16(r0, r1), hi = _mm512_unpackhi_epi16(r0, r1);
                _mm512_store_si512(panel + t * NR + g * 32, _mm512_permutex2var_epi64(lo, first, hi));
                _mm512_store_si512(panel + t * NR + g * 32 + 16, _mm512_permutex2var_epi64(lo, second, hi));
            }
        }
    }
}

// Rounds rows [i0, i0 + rows) and reduction elements [p0, p0 + kc) of a to bf16 into dst
// (MR rows of KCP words each; pairs past kc and rows past `rows` are zero).
TARGET static void pack_a(const float *a, long lda, long i0, long rows, long p0, long kc, unsigned int *dst) {
    const long kcp = (kc + 1) / 2;
    for (long r = 0; r < MR; r++) {
        unsigned int *row = dst + r * KCP;
        if (r >= rows) {
            memset(row, 0, (size_t)kcp * 4);
            continue;
        }
        const float *x = a + (i0 + r) * lda + p0;
        long p = 0;
        for (; p + 32 <= kc; p += 32) {
            const __m512bh v = _mm512_cvtne2ps_pbh(_mm512_loadu_ps(x + p + 16), _mm512_loadu_ps(x + p));
            _mm512_storeu_si512(row + p / 2, (__m512i)v);
        }
        if (p < kc) {
            const long left = kc - p;
            const __mmask16 lo = left >= 16 ? 0xFFFF : (__mmask16)((1u << left) - 1u);
            const __mmask16 hi = left >= 32 ? 0xFFFF : left > 16 ? (__mmask16)((1u << (left - 16)) - 1u) : 0;
            const __m512bh v = _mm512_cvtne2ps_pbh(_mm512_maskz_loadu_ps(hi, x + p + 16), _mm512_maskz_loadu_ps(lo, x + p));
            const long words = (left + 1) / 2;
            _mm512_mask_storeu_epi32(row + p / 2, (__mmask16)((1u << words) - 1u), (__m512i)v);
        }
    }
}

// Where the next block of b is being fetched from memory: a line every `every` pairs of k
// (a power of two) inside the microkernels, so that the loads spread over the compute.
typedef struct {
    const unsigned short *row;  // start of the current row's span
    long ldb, line, lines, rows_left, every;
} prefetch_cursor;

// c[MR x NR] (+)= ap · bp over `pairs` pairs of k; only `rows` rows and `cols` columns are
// written. ap: MR rows of KCP words; bp: pairs x NR words.
TARGET static inline void micro_kernel(long pairs, const unsigned int *ap, const unsigned int *bp,
                                       float *c, long ldc, long rows, long cols, int add,
                                       prefetch_cursor *pf) {
    // c's tile is read at the end: ask for it in L2 now (L1 would lose it to b's stream).
    for (int r = 0; r < MR; r++) {
        if (r >= rows) break;
        for (int g = 0; g < NR / 16; g++) _mm_prefetch((const char *)(c + r * ldc + g * 16), _MM_HINT_T1);
    }
    __m512 acc[MR][NR / 16];
    for (int r = 0; r < MR; r++)
        for (int g = 0; g < NR / 16; g++) acc[r][g] = _mm512_setzero_ps();
    for (long t = 0; t < pairs; t++) {
        __m512bh w[NR / 16];
        for (int g = 0; g < NR / 16; g++) w[g] = (__m512bh)_mm512_load_si512(bp + t * NR + g * 16);
        for (int r = 0; r < MR; r++) {
            const __m512bh x = (__m512bh)_mm512_set1_epi32((int)ap[r * KCP + t]);
            for (int g = 0; g < NR / 16; g++) acc[r][g] = _mm512_dpbf16_ps(acc[r][g], w[g], x);
        }
        if (((t + 1) & (pf->every - 1)) == 0 && pf->rows_left > 0) {
            _mm_prefetch((const char *)(pf->row + pf->line * 32), PF_HINT);
            if (++pf->line == pf->lines) {
                pf->line = 0;
                pf->row += pf->ldb;
                pf->rows_left--;
            }
        }
    }
    if (rows == MR && cols == NR) {
        for (int r = 0; r < MR; r++) {
            float *cr = c + r * ldc;
            for (int g = 0; g < NR / 16; g++) {
                __m512 v = acc[r][g];
                if (add) v = _mm512_add_ps(v, _mm512_loadu_ps(cr + g * 16));
                _mm512_storeu_ps(cr + g * 16, v);
            }
        }
        return;
    }
    for (int r = 0; r < MR; r++) {
        if (r >= rows) break;
        float *cr = c + r * ldc;
        for (int g = 0; g < NR / 16; g++) {
            const long left = cols - g * 16;
            if (left <= 0) break;
            const __mmask16 mask = left >= 16 ? 0xFFFF : (__mmask16)((1u << left) - 1u);
            __m512 v = acc[r][g];
            if (add) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(mask, cr + g * 16));
            _mm512_mask_storeu_ps(cr + g * 16, mask, v);
        }
    }
}

// kn: b is [k, n] (pack_b_kn) instead of [n, k] (pack_b).
TARGET static int gemm_bf16(const float *a, long lda, const unsigned short *b, long ldb, float *c,
                            long ldc, long m, long n, long k, int accumulate, int kn) {
    unsigned int *bpack = aligned_alloc(64, (size_t)NC * KCP * 4);
    unsigned int *apack = aligned_alloc(64, (size_t)MR * KCP * 4);
    if (!bpack || !apack) {
        free(bpack);
        free(apack);
        return -1;
    }
    // Equal column blocks of at most NC (multiples of NR where possible).
    const long nblocks = (n + NC - 1) / NC;
    long ncols = (n + nblocks - 1) / nblocks;
    ncols = (ncols + NR - 1) / NR * NR;
    if (ncols > NC) ncols = NC;
    for (long jc = 0; jc < n; jc += ncols) {
        const long cols = n - jc < ncols ? n - jc : ncols;
        for (long pc = 0; pc < k; pc += KC) {
            const long kc = k - pc < KC ? k - pc : KC;
            const long kcp = (kc + 1) / 2;
            const int add = accumulate || pc > 0;
            if (kn) pack_b_kn(b, ldb, jc, cols, pc, kc, kcp, bpack);
            else pack_b(b, ldb, jc, cols, pc, kc, kcp, bpack);
            // While this block computes, the next block of b is fetched, a few lines after
            // each microkernel, so that packing it does not wait on memory (with few rows the
            // product is otherwise half reading b, half computing).
            long jn = jc, pn = pc + KC;
            if (pn >= k) { jn = jc + ncols; pn = 0; }
            const long coln = jn >= n ? 0 : (n - jn < ncols ? n - jn : ncols);
            const long kcn = k - pn < KC ? k - pn : KC;
            // The next block is coln rows of kcn elements ([n, k]) or kcn rows of coln ([k, n]).
            const long span = kn ? coln : kcn, spans = kn ? (coln > 0 ? kcn : 0) : coln;
            const long row_lines = (span + 31) / 32 + 1;  // 32 bf16 per line, +1 if unaligned
            const long calls = (m + MR - 1) / MR * ((cols + NR - 1) / NR);
            const long per_call = (spans * row_lines + calls - 1) / calls;
            long every = 1;
            while (per_call > 0 && every * 2 * per_call <= kcp) every *= 2;
            prefetch_cursor pf = {kn ? b + pn * ldb + jn : b + jn * ldb + pn, ldb, 0, row_lines, spans, every};
            for (long ic = 0; ic < m; ic += MR) {
                const long rows = m - ic < MR ? m - ic : MR;
                pack_a(a, lda, ic, rows, pc, kc, apack);
                // The next rows of a, for the next pack_a, into L2 while the kernels run.
                for (long r = ic + MR; r < ic + 2 * MR && r < m; r++)
                    for (long p = 0; p < kc; p += 16) _mm_prefetch((const char *)(a + r * lda + pc + p), _MM_HINT_T1);
                for (long jr = 0; jr < cols; jr += NR) {
                    const long nr = cols - jr < NR ? cols - jr : NR;
                    micro_kernel(kcp, apack, bpack + jr * kcp, c + ic * ldc + jc + jr, ldc, rows, nr, add, &pf);
                }
            }
        }
    }
    free(bpack);
    free(apack);
    return 0;
}
#endif

static int gemm_bf16_entry(const float *a, long lda, const unsigned short *b, long ldb, float *c, long ldc,
                           long m, long n, long k, int accumulate, int kn) {
#if defined(__x86_64__)
    if (m <= 0 || n <= 0) return 0;
    if (k <= 0) {
        if (!accumulate)
            for (long i = 0; i < m; i++) memset(c + i * ldc, 0, (size_t)n * sizeof *c);
        return 0;
    }
    return gemm_bf16(a, lda, b, ldb, c, ldc, m, n, k, accumulate, kn);
#else
    (void)a; (void)lda; (void)b; (void)ldb; (void)c; (void)ldc; (void)m; (void)n; (void)k; (void)accumulate; (void)kn;
    return -1;
#endif
}

int c2s_gemm_bf16(const float *a, long lda, const unsigned short *b, long ldb, float *c, long ldc,
                  long m, long n, long k, int accumulate) {
    return gemm_bf16_entry(a, lda, b, ldb, c, ldc, m, n, k, accumulate, 0);
}

int c2s_gemm_bf16_kn(const float *a, long lda, const unsigned short *b, long ldb, float *c, long ldc,
                     long m, long n, long k, int accumulate) {
    return gemm_bf16_entry(a, lda, b, ldb, c, ldc, m, n, k, accumulate, 1);
}
