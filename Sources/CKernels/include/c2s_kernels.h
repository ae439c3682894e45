// Hand-written kernels that Swift cannot express efficiently: matrix products with few rows
// (decoding: one row per sequence), where BLAS spends most of its time packing the weight
// matrix it reads only once. Chosen at run time by CPU feature (AVX-512, AVX2+FMA, plain C).
#ifndef C2S_KERNELS_H
#define C2S_KERNELS_H

#include <stddef.h>

/// y[i, j] (+)= sum_p x[i, p] * w[j, p] for rows i < m and output columns j in [j0, j1).
/// x is [m, k] row-major, w is [n, k] row-major (nn.Linear layout), y is [m, n] with row
/// stride ldy. Meant for m up to ~16; callers split [0, n) across threads.
void c2s_linear_few_rows(const float *x, const float *w, float *y, long m, long k, long ldy,
                         long j0, long j1, int accumulate);

/// As c2s_linear_few_rows with w in bfloat16 (rounded weights, half the bytes to read); x is
/// rounded to bfloat16 too and products accumulate in fp32 (AVX512_BF16 dot products).
/// Only call when c2s_has_bf16_dot() is 1.
void c2s_linear_few_rows_bf16(const float *x, const unsigned short *w, float *y, long m, long k,
                              long ldy, long j0, long j1, int accumulate);

/// 1 when the CPU has AVX512_BF16 (with AVX512F and BW).
int c2s_has_bf16_dot(void);

/// c[i, j] (+)= sum_p bf16(a[i, p]) * b[j, p] for i < m, j < n: a GEMM for many rows
/// (prefill) with bfloat16 weights. a is [m, k] fp32 with row stride lda, rounded to bfloat16
/// (round to nearest even) as it is packed; b is [n, k] bfloat16 bits with row stride ldb
/// (nn.Linear layout); c is [m, n] with row stride ldc; products accumulate in fp32
/// (AVX512_BF16 vdpbf16ps). Allocates its packing buffers (~515 KiB) per call; callers split
/// columns (or rows) across threads, one call each. Returns 0, or -1 when the buffers cannot
/// be allocated (c then untouched). Only call when c2s_has_bf16_dot() is 1.
int c2s_gemm_bf16(const float *a, long lda, const unsigned short *b, long ldb, float *c, long ldc,
                  long m, long n, long k, int accumulate);

/// c[i, j] (+)= sum_p bf16(a[i, p]) * b[p, j]: the same GEMM with b stored [k, n] (row stride
/// ldb), as the input gradient dY · W of a layer with bfloat16 weights W [out, in] reads it.
int c2s_gemm_bf16_kn(const float *a, long lda, const unsigned short *b, long ldb, float *c, long ldc,
                     long m, long n, long k, int accumulate);

/// scores[j] = scale * dot(q, keys + j * stride) for j < count (one query against a cache).
void c2s_attention_scores(const float *q, const float *keys, long stride, long count, long dim,
                          float scale, float *scores);

/// out[d] = sum_j weights[j] * values[j * stride + d] for d < dim (attention's weighted sum).
void c2s_attention_sum(const float *weights, const float *values, long stride, long count,
                       long dim, float *out);

/// Name of the code path c2s_linear_few_rows uses on this CPU ("avx512", "avx2", "portable").
const char *c2s_kernels_path(void);

/// Weight-only int8: y[i, j] (+)= scales[j] * sum_p x[i, p] * w[j, p] for rows i < m and
/// output columns j in [j0, j1), w being int8 [n, k] row-major with one fp32 scale per row.
/// The int8 weights are widened in registers; x stays fp32 for one row, and is quantized to
/// int16 per row for several on AVX512_VNNI CPUs (c2s_i8_rounds_activations). AVX-512 where the CPU
/// has it (c2s_has_avx512_i8), the portable loop otherwise. Meant for m up to ~16.
void c2s_linear_few_rows_i8(const float *x, const signed char *w, const float *scales, float *y, long m,
                            long k, long ldy, long j0, long j1, int accumulate);

/// The portable path of c2s_linear_few_rows_i8, callable on any CPU (tests compare the two).
void c2s_linear_few_rows_i8_portable(const float *x, const signed char *w, const float *scales, float *y,
                                     long m, long k, long ldy, long j0, long j1, int accumulate);

/// 1 when c2s_linear_few_rows_i8 quantizes x for an m-row product: m > 1 on AVX512_VNNI CPUs,
/// where each row of x is quantized to int16 (c2s_i8_quantize_activations) and the products use
/// vpdpwssd (the weights widened to int16 exactly).
int c2s_i8_rounds_activations(long m);

/// xq[r, p] = round(x[r, p] / xs[r]) with xs[r] = max_p |x[r, p]| / 16383, row by row (0 and a
/// zero scale for an all-zero row): how c2s_linear_few_rows_i8 reads x where it rounds it.
void c2s_i8_quantize_activations(const float *x, short *xq, float *xs, long m, long k);

/// 1 when c2s_linear_few_rows_i8 takes its AVX-512 path (AVX512F, BW and VL).
int c2s_has_avx512_i8(void);

/// Name of the path c2s_linear_few_rows_i8 uses on this CPU ("avx512", "portable").
const char *c2s_i8_path(void);

/// Quantizes rows x cols floats row by row: scales[i] = max_p |src[i, p]| / 127 and
/// dst[i, p] = round-to-nearest(src[i, p] / scales[i]) in [-127, 127] (0 for an all-zero row).
/// Inputs must be finite.
void c2s_quantize_rows_i8(const float *src, signed char *dst, float *scales, long rows, long cols);

/// dst[i] = src[i] as bfloat16 bits (exact: int8 values fit bfloat16's significand).
void c2s_i8_to_bf16(const signed char *src, unsigned short *dst, long count);

/// 1 when the CPU has AVX512F (the low-rank kernels below take their vector path).
int c2s_has_avx512f(void);

/// The skinny products of LoRA adapters, one side `r` (the rank) wide; callers split the rows
/// (or columns) across threads. `portable` = 1 takes the plain C path on any CPU (for tests);
/// otherwise AVX-512 where the CPU has it. Matrices are row-major with the given row strides.
///
/// c[i, j] (+)= alpha * sum_p a[i, p] * b[p, j] for rows i in [i0, i1), j < r: a is [m, k]
/// (lda), b is [k, r] contiguous (a transposed A, or B as LoRA stores it), c is [m, r] (ldc).
void c2s_rows_times_panel(const float *a, long lda, const float *b, long r, float *c, long ldc, long k,
                          long i0, long i1, float alpha, int accumulate, int portable);

/// y[i, n] += alpha * sum_j u[i, j] * q[j, n] for rows i in [i0, i1), n < w: u is [m, r]
/// (ldu), q is [r, w] (ldq), y is [m, w] (ldy).
void c2s_rows_plus_panel(const float *u, long ldu, const float *q, long ldq, long r, float *y, long ldy, long w,
                         long i0, long i1, float alpha, int portable);

/// g[j * gsj + n * gsn] += alpha * sum_i v[i, j] * m[i, n] for j < r and columns n in
/// [n0, n1), summing over `rows` rows: m is [rows, N] (ldm), v is [rows, r] (ldv). With
/// (gsj, gsn) = (N, 1) g is [r, N]; with (1, r) it is [N, r].
void c2s_columns_reduce(const float *m, long ldm, const float *v, long ldv, long r, long rows, float *g,
                        long gsj, long gsn, long n0, long n1, float alpha, int portable);


/// y[i] = act(x[i]) for i < count (x == y allowed), act by kind: 0 exact GELU, 1 tanh GELU,
/// 2 SiLU, 3 ReLU; the formulas of the engine's Swift FastMath at AVX-512 width. Returns 0, or
/// -1 without touching y on CPUs without AVX512F (the caller's own loop runs then).
int c2s_activation_apply(int kind, const float *x, float *y, long count);

/// gradient[i] *= act'(x[i]) for i < count, kinds as above; 0, or -1 without AVX512F.
int c2s_activation_multiply_by_derivative(int kind, float *gradient, const float *x, long count);


/// Attention's rows at AVX-512 width; each returns 0, or -1 untouched without AVX512F (the
/// caller's own loop runs then). Softmax of x[0 ..< n] in place (n > 0), *log_sum_exp set to
/// max + log(sum of exp(x - max)).
int c2s_softmax_row(float *x, long n, float *log_sum_exp);

/// x[i] = exp(x[i] - shift) for i < n: probabilities again from a saved log-sum-exp.
int c2s_exp_shifted(float *x, long n, float shift);

/// ds[i] = scale * p[i] * (ds[i] - d) for i < n: the softmax's gradient, d = rowsum(dO * O).
int c2s_softmax_gradient(float *ds, const float *p, long n, float d, float scale);


/// Gated units: out[r, i] = act(gate_up[r, i]) * gate_up[r, width + i] for r < rows, i < width
/// (each gate_up row: the gate projection, then the up projection); 0, or -1 without AVX512F.
int c2s_activation_gated(int kind, const float *gate_up, float *out, long rows, long width);

/// Its gradient: d_gate = d_out * up * act'(gate), d_up = d_out * act(gate), written in the
/// gate_up layout; 0, or -1 without AVX512F.
int c2s_activation_gated_backward(int kind, const float *d_out, const float *gate_up, float *d_gate_up, long rows, long width);

#endif
