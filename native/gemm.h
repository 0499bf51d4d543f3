#pragma once

#include <cstddef>
#include <cstdlib>

#include "kernels.h"
#include "threadpool.h"

namespace axon {

/** A growable, 64-byte-aligned float buffer, for per-thread scratch (declare it thread_local). */
struct Scratch {
  float* p = nullptr;
  size_t cap = 0;
  /** At least n floats (contents undefined), or null when out of memory; never null for n = 0. */
  float* get(size_t n) {
    if (n > cap || p == nullptr) {
      n = n == 0 ? 1 : n;
      std::free(p);
      size_t bytes = ((n * sizeof(float)) + 63) / 64 * 64;
      p = static_cast<float*>(std::aligned_alloc(64, bytes));
      cap = p ? n : 0;
    }
    return p;
  }
};

/** One float32 matrix product C[m,n] = A[m,k] @ B[k,n]; A(i,l) = a[i*ars + l*acs], B(l,j) = b[l*brs + j*bcs]. */
struct GemmArgs {
  const float* a;
  const float* b;
  float* c;  // contiguous, row-major [m, n]
  long m, n, k;
  long ars, acs, brs, bcs;
  /** Add the product to C instead of overwriting it. */
  bool accumulate = false;
};

/** Runs one product, split across the pool's threads when pool is non-null and the product is big enough.
 *  Returns false only when its packing buffers cannot be allocated. */
bool sgemm(const Kernels& K, const GemmArgs& g, ThreadPool* pool);

}  // namespace axon
