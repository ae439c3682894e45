// This CPU's bfloat16 dot-product peak: each thread runs a tight loop of independent
// vdpbf16ps on zmm registers (24 accumulators, more than latency x throughput), counting
// 64 flops per instruction (16 fp32 lanes x 2 products x multiply+add). Prints one JSON line
// with the rate of 1 thread and of THREADS threads at once (default 2).
// Built by bench/bf16-gemm/run.sh: clang -O2 -pthread peak.c
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define ACC 24
static const long iterations = 20000000;  // x 24 instructions

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

__attribute__((target("avx512f,avx512bw,avx512bf16"), noinline)) static float loop(long n) {
    __m512 acc[ACC];
    for (int i = 0; i < ACC; i++) acc[i] = _mm512_set1_ps((float)i);
    const __m512bh a = (__m512bh)_mm512_set1_epi32(0x3f803f80), b = (__m512bh)_mm512_set1_epi32(0x00010001);
    for (long i = 0; i < n; i++) {
        for (int j = 0; j < ACC; j++) acc[j] = _mm512_dpbf16_ps(acc[j], a, b);
        // Keep the compiler from merging or hoisting anything: the accumulators stay live.
        __asm__ volatile("" : "+v"(acc[0]), "+v"(acc[1]), "+v"(acc[2]), "+v"(acc[3]), "+v"(acc[4]), "+v"(acc[5]),
                         "+v"(acc[6]), "+v"(acc[7]), "+v"(acc[8]), "+v"(acc[9]), "+v"(acc[10]), "+v"(acc[11]));
        __asm__ volatile("" : "+v"(acc[12]), "+v"(acc[13]), "+v"(acc[14]), "+v"(acc[15]), "+v"(acc[16]), "+v"(acc[17]),
                         "+v"(acc[18]), "+v"(acc[19]), "+v"(acc[20]), "+v"(acc[21]), "+v"(acc[22]), "+v"(acc[23]));
    }
    float s = 0;
    for (int i = 0; i < ACC; i++) s += _mm512_reduce_add_ps(acc[i]);
    return s;
}

static void *worker(void *out) {
    *(float *)out = loop(iterations);
    return NULL;
}

int main(void) {
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx512bf16")) {
        printf("{\"error\":\"no AVX512_BF16\"}\n");
        return 0;
    }
    const char *env = getenv("THREADS");
    int threads = env ? atoi(env) : 2;
    if (threads < 1 || threads > 64) threads = 2;
    const double flops = (double)iterations * ACC * 64;
    double best1 = 0, bestn = 0;
    for (int rep = 0; rep < 3; rep++) {
        double t = now();
        volatile float sink = loop(iterations);
        (void)sink;
        t = now() - t;
        if (flops / t > best1) best1 = flops / t;
        pthread_t th[64];
        float out[64];
        t = now();
        for (int i = 0; i < threads; i++) pthread_create(&th[i], NULL, worker, &out[i]);
        for (int i = 0; i < threads; i++) pthread_join(th[i], NULL);
        t = now() - t;
        if (threads * flops / t > bestn) bestn = threads * flops / t;
    }
    printf("{\"peak_gflops_1\":%.1f,\"peak_gflops\":%.1f,\"threads\":%d}\n", best1 / 1e9, bestn / 1e9, threads);
    return 0;
}
