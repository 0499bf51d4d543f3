// The machine's float32 FMA peak: each thread runs 12 independent chains of fused multiply-adds on registers only
// (no memory traffic; 12 chains hide the FMA latency on current x86 cores; -O3 so that they stay in registers:
// at -O2 GCC kept them in memory and measured half the peak) and the program prints GFLOPS
// (2 flops per lane per FMA). It bounds what any matmul can reach here. Run by `npm run bench:peak`.
#include <immintrin.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

#define CHAINS(V, SET, FMA, STORE)                                                   \
  V acc[12];                                                                         \
  for (int i = 0; i < 12; i++) acc[i] = SET(1.0f + i * 1e-7f);                       \
  const V m = SET(0.9999999f), a = SET(1e-7f);                                       \
  for (long it = 0; it < iters; it++)                                                \
    for (int i = 0; i < 12; i++) acc[i] = FMA(acc[i], m, a);                         \
  float out[16], sink = 0;                                                           \
  for (int i = 0; i < 12; i++) { STORE(out, acc[i]); sink += out[0]; }               \
  return sink;

__attribute__((target("avx512f"))) static float zmm(long iters) { CHAINS(__m512, _mm512_set1_ps, _mm512_fmadd_ps, _mm512_storeu_ps) }
__attribute__((target("avx2,fma"))) static float ymm(long iters) { CHAINS(__m256, _mm256_set1_ps, _mm256_fmadd_ps, _mm256_storeu_ps) }

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 1;
  const bool avx512 = __builtin_cpu_supports("avx512f") && !(argc > 2 && argv[2][0] == 'y');
  const int lanes = avx512 ? 16 : 8;
  const long iters = 100'000'000;
  std::vector<std::thread> pool;
  std::vector<float> sinks(threads);
  const auto t0 = std::chrono::steady_clock::now();
  for (int t = 0; t < threads; t++) pool.emplace_back([&, t] { sinks[t] = avx512 ? zmm(iters) : ymm(iters); });
  for (auto& th : pool) th.join();
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double flops = 2.0 * lanes * 12.0 * iters * threads;
  std::printf("{\"isa\":\"%s\",\"threads\":%d,\"gflops\":%.1f,\"sink\":%g}\n", avx512 ? "avx512" : "avx2", threads, flops / s / 1e9, sinks[0]);
  return 0;
}
