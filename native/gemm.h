#pragma once

#include "kernels.h"
#include "threadpool.h"

namespace axon {

/** One float32 matrix product C[m,n] = A[m,k] @ B[k,n]; A(i,l) = a[i*ars + l*acs], B(l,j) = b[l*brs + j*bcs]. */
struct GemmArgs {
  const float* a;
  const float* b;
  float* c;  // contiguous, row-major [m, n]
  long m, n, k;
  long ars, acs, brs, bcs;
};

/** Runs one product, split across the pool's threads when pool is non-null and the product is big enough.
 *  Returns false only when its packing buffers cannot be allocated. */
bool sgemm(const Kernels& K, const GemmArgs& g, ThreadPool* pool);

}  // namespace axon
