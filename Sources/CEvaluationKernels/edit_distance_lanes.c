#include "c2s_evaluation_kernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

// One column of the dynamic programme per text symbol, for eight texts at once (one per
// 64-bit lane). Per word: D0 = (((X & VP) + VP) ^ VP) | X | VN with X = match mask | incoming
// negative horizontal difference, HP = VN | ~(D0 | VP), HN = D0 & VP; the top bits of HP and HN
// carry into the next word (the last word's carry is the score change), and the shifted
// differences give the next VP and VN. Identical to the Swift fallback in EditDistance.swift.

__attribute__((target("avx512f")))
static void groups_avx512(const uint64_t *table, long words, long m, const int32_t *steps, const long *group_start,
                          const long *group_longest, const int64_t *lengths, long groups, int64_t *out, uint64_t *scratch) {
    uint64_t *vp = scratch, *vn = scratch + 8 * words;
    const __m512i ones = _mm512_set1_epi64(1), all = _mm512_set1_epi64(-1), zero = _mm512_setzero_si512();
    const __m128i last = _mm_cvtsi64_si128((m - 1) & 63);
    const __m256i stride = _mm256_set1_epi32((int)words);
    for (long g = 0; g < groups; g++) {
        for (long w = 0; w < words; w++) {
            _mm512_storeu_si512(vp + 8 * w, all);
            _mm512_storeu_si512(vn + 8 * w, zero);
        }
        __m512i score = _mm512_set1_epi64(m), final = score;
        const __m512i len = _mm512_loadu_si512(lengths + 8 * g);
        const int32_t *base = steps + 8 * group_start[g];
        for (long t = 0; t < group_longest[g]; t++) {
            const __m256i row = _mm256_mullo_epi32(_mm256_loadu_si256((const __m256i *)(base + 8 * t)), stride);
            __m512i hp_carry = ones, hn_carry = zero;
            for (long w = 0; w < words; w++) {
                const __m512i pm = _mm512_i32gather_epi64(_mm256_add_epi32(row, _mm256_set1_epi32((int)w)), (const void *)table, 8);
                const __m512i x = _mm512_or_si512(pm, hn_carry);
                const __m512i v = _mm512_loadu_si512(vp + 8 * w), n = _mm512_loadu_si512(vn + 8 * w);
                const __m512i d0 = _mm512_or_si512(_mm512_or_si512(_mm512_xor_si512(_mm512_add_epi64(_mm512_and_si512(x, v), v), v), x), n);
                __m512i hp = _mm512_or_si512(n, _mm512_andnot_si512(_mm512_or_si512(d0, v), all));
                __m512i hn = _mm512_and_si512(d0, v);
                __m512i out_hp, out_hn;
                if (w < words - 1) {
                    out_hp = _mm512_srli_epi64(hp, 63);
                    out_hn = _mm512_srli_epi64(hn, 63);
                } else {
                    out_hp = _mm512_and_si512(_mm512_srl_epi64(hp, last), ones);
                    out_hn = _mm512_and_si512(_mm512_srl_epi64(hn, last), ones);
                }
                hp = _mm512_or_si512(_mm512_slli_epi64(hp, 1), hp_carry);
                hn = _mm512_or_si512(_mm512_slli_epi64(hn, 1), hn_carry);
                _mm512_storeu_si512(vp + 8 * w, _mm512_or_si512(hn, _mm512_andnot_si512(_mm512_or_si512(d0, hp), all)));
                _mm512_storeu_si512(vn + 8 * w, _mm512_and_si512(hp, d0));
                hp_carry = out_hp;
                hn_carry = out_hn;
            }
            score = _mm512_sub_epi64(_mm512_add_epi64(score, hp_carry), hn_carry);
            final = _mm512_mask_mov_epi64(final, _mm512_cmpeq_epi64_mask(len, _mm512_set1_epi64(t + 1)), score);
        }
        _mm512_storeu_si512(out + 8 * g, final);
    }
}

__attribute__((target("avx2")))
static void groups_avx2(const uint64_t *table, long words, long m, const int32_t *steps, const long *group_start,
                        const long *group_longest, const int64_t *lengths, long groups, int64_t *out, uint64_t *scratch) {
    uint64_t *vp = scratch, *vn = scratch + 8 * words;
    const __m256i ones = _mm256_set1_epi64x(1), all = _mm256_set1_epi64x(-1), zero = _mm256_setzero_si256();
    const __m128i last = _mm_cvtsi64_si128((m - 1) & 63);
    const __m128i stride = _mm_set1_epi32((int)words);
    for (long g = 0; g < groups; g++) {
        for (long w = 0; w < 2 * words; w++) {
            _mm256_storeu_si256((__m256i *)(vp + 4 * w), all);
            _mm256_storeu_si256((__m256i *)(vn + 4 * w), zero);
        }
        for (int half = 0; half < 2; half++) {
            __m256i score = _mm256_set1_epi64x(m), final = score;
            const __m256i len = _mm256_loadu_si256((const __m256i *)(lengths + 8 * g + 4 * half));
            const int32_t *base = steps + 8 * group_start[g] + 4 * half;
            uint64_t *hvp = vp + 4 * words * half, *hvn = vn + 4 * words * half;
            for (long t = 0; t < group_longest[g]; t++) {
                const __m128i row = _mm_mullo_epi32(_mm_loadu_si128((const __m128i *)(base + 8 * t)), stride);
                __m256i hp_carry = ones, hn_carry = zero;
                for (long w = 0; w < words; w++) {
                    const __m256i pm = _mm256_i32gather_epi64((const long long *)table, _mm_add_epi32(row, _mm_set1_epi32((int)w)), 8);
                    const __m256i x = _mm256_or_si256(pm, hn_carry);
                    const __m256i v = _mm256_loadu_si256((const __m256i *)(hvp + 4 * w)), n = _mm256_loadu_si256((const __m256i *)(hvn + 4 * w));
                    const __m256i d0 = _mm256_or_si256(_mm256_or_si256(_mm256_xor_si256(_mm256_add_epi64(_mm256_and_si256(x, v), v), v), x), n);
                    __m256i hp = _mm256_or_si256(n, _mm256_andnot_si256(_mm256_or_si256(d0, v), all));
                    __m256i hn = _mm256_and_si256(d0, v);
                    __m256i out_hp, out_hn;
                    if (w < words - 1) {
                        out_hp = _mm256_srli_epi64(hp, 63);
                        out_hn = _mm256_srli_epi64(hn, 63);
                    } else {
                        out_hp = _mm256_and_si256(_mm256_srl_epi64(hp, last), ones);
                        out_hn = _mm256_and_si256(_mm256_srl_epi64(hn, last), ones);
                    }
                    hp = _mm256_or_si256(_mm256_slli_epi64(hp, 1), hp_carry);
                    hn = _mm256_or_si256(_mm256_slli_epi64(hn, 1), hn_carry);
                    _mm256_storeu_si256((__m256i *)(hvp + 4 * w), _mm256_or_si256(hn, _mm256_andnot_si256(_mm256_or_si256(d0, hp), all)));
                    _mm256_storeu_si256((__m256i *)(hvn + 4 * w), _mm256_and_si256(hp, d0));
                    hp_carry = out_hp;
                    hn_carry = out_hn;
                }
                score = _mm256_sub_epi64(_mm256_add_epi64(score, hp_carry), hn_carry);
                final = _mm256_blendv_epi8(final, score, _mm256_cmpeq_epi64(len, _mm256_set1_epi64x(t + 1)));
            }
            _mm256_storeu_si256((__m256i *)(out + 8 * g + 4 * half), final);
        }
    }
}

typedef void (*groups_fn)(const uint64_t *, long, long, const int32_t *, const long *, const long *, const int64_t *, long,
                          int64_t *, uint64_t *);

static groups_fn choose(const char **name) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) { *name = "avx512"; return groups_avx512; }
    if (__builtin_cpu_supports("avx2")) { *name = "avx2"; return groups_avx2; }
    *name = "none";
    return 0;
}
#endif

int c2s_edit_distance_groups(const uint64_t *table, long words, long pattern_length, const int32_t *steps,
                             const long *group_start, const long *group_longest, const int64_t *lengths,
                             long groups, int64_t *out, uint64_t *scratch) {
#if defined(__x86_64__)
    // Chosen once; threads racing here all store the same pointer (atomically).
    static groups_fn chosen_fn = 0;
    static int chosen = 0;
    groups_fn fn;
    if (__atomic_load_n(&chosen, __ATOMIC_ACQUIRE)) {
        fn = __atomic_load_n(&chosen_fn, __ATOMIC_RELAXED);
    } else {
        const char *name;
        fn = choose(&name);
        __atomic_store_n(&chosen_fn, fn, __ATOMIC_RELAXED);
        __atomic_store_n(&chosen, 1, __ATOMIC_RELEASE);
    }
    if (!fn) return 0;
    fn(table, words, pattern_length, steps, group_start, group_longest, lengths, groups, out, scratch);
    return 1;
#else
    (void)table; (void)words; (void)pattern_length; (void)steps; (void)group_start; (void)group_longest;
    (void)lengths; (void)groups; (void)out; (void)scratch;
    return 0;
#endif
}

const char *c2s_edit_distance_path(void) {
#if defined(__x86_64__)
    const char *name = "none";
    (void)choose(&name);
    return name;
#else
    return "none";
#endif
}
