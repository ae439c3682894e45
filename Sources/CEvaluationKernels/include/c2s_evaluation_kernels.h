// Kernels of the evaluation metrics that Swift's portable SIMD types cannot make fast: the
// bit-parallel edit distance needs 64-bit lanes, gathers and masked moves, which the baseline
// x86-64 target Swift compiles for lacks. Chosen at run time by CPU feature.
#ifndef C2S_EVALUATION_KERNELS_H
#define C2S_EVALUATION_KERNELS_H

#include <stdint.h>

/// Edit distances from one pattern to groups of eight texts (Myers/Hyyrö bit-parallel
/// algorithm, `words` 64-bit words per column).
///
/// table: match masks, (symbols + 1) rows of `words` words (row `symbol`, word w at
///   table[symbol * words + w]); the last row is all zero.
/// steps: for each group, `group_longest[g]` steps of eight int32 symbols (one per text; texts
///   shorter than the step point at the zero row), starting at steps + 8 * group_start[g].
/// lengths: eight int64 text lengths per group (-1 for lanes without a text).
/// out: eight int64 distances per group. scratch: 16 * words uint64 of workspace.
/// Returns 1 when computed, 0 when this CPU has no vector path (the caller computes instead).
int c2s_edit_distance_groups(const uint64_t *table, long words, long pattern_length, const int32_t *steps,
                             const long *group_start, const long *group_longest, const int64_t *lengths,
                             long groups, int64_t *out, uint64_t *scratch);

/// The path c2s_edit_distance_groups takes on this CPU ("avx512", "avx2" or "none").
const char *c2s_edit_distance_path(void);

#endif
