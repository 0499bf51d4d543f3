// The GEMM driver: GotoBLAS/BLIS blocking around an ISA-specific micro-kernel (kernels_impl.h).
//
//   pack all of B into NR-column panels, slab by KC-deep slab                     (parallel region 1)
//   for each tile of C (~128 rows x ~512 columns), one task each:                  (parallel region 2)
//     for each KC-deep slab of k:
//       (A is read in place; only a last panel of < MR rows is packed, zero-padded, in the task's own buffer)
//       for each MR-row panel of A:  (its MR x KC floats stay in L1)
//         for each B panel of the tile:  (KC x ~512 floats of packed B, in L2)
//           micro-kernel: an MR x NR block of C, accumulated in registers over the slab
//
// Two parallel regions per product, whatever its depth: each region ends in a wait for the tasks that workers
// claimed, and on a busy machine a worker descheduled mid-task makes that wait long, so fewer is better.
//
// Packing reads B through its strides, so a transposed B costs only a slower pack, and the micro-kernel always
// streams a contiguous, zero-padded B panel; it broadcasts A's values from wherever they are (row- or
// column-major in place, or a packed panel). The first slab stores into C, later ones add to it (C is a
// fresh allocation whose contents mean nothing), unless the caller asks to accumulate into C. Accumulation is
// float32 with FMA within a slab, as in BLAS.

#include "gemm.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>

namespace axon {

namespace {

// Blocking sizes (overridable with -DAXON_KC=... etc. for tuning runs). Measured on this project's Zen 4 machine
// (family 25 model 17: 32 KiB L1d, 1 MiB L2, AVX-512 executed as two 256-bit halves). Its FMA peak is 1 zmm FMA
// per cycle per core, ~115 GFLOPS per core at ~3.6 GHz (a 12-chain register-only FMA loop gives the same
// 115 GFLOPS with ymm as with zmm), so the 8x32 micro-kernel, which reaches 112-115 GFLOPS alone on packed panels
// with B in L2, is FMA-bound already; larger register tiles (12x32, 6x64) have nothing left to win here and
// would waste rows on the m = 64 convolution products. What the driver loses is packing and edges: with the
// transposing packs vectorized (kernels_impl.h) one core runs 1024^3 at ~105 GFLOPS and 128^3 at ~107.
// KC 256 / 320 / 384 are within noise on square products; 384 is ~4% faster on the convolution shapes
// (64 x 12544 x 289 and its dW): one slab instead of two. Slabs are evened out below.
#ifndef AXON_KC
#define AXON_KC 384
#endif
#ifndef AXON_MC
#define AXON_MC 128
#endif
#ifndef AXON_NC
#define AXON_NC 512
#endif
constexpr long KC = AXON_KC;       // max slab depth: an A panel (8 x 384 floats = 12 KiB) sits in L1 beside B rows
constexpr long MC_ROWS = AXON_MC;  // rows of C per tile before splitting for threads
constexpr long NC_COLS = AXON_NC;  // columns of C per tile: KC x 512 floats of packed B = 768 KiB, within L2
#ifndef AXON_A_IN_PLACE
#define AXON_A_IN_PLACE 1
#endif
#ifndef AXON_LOCAL_B_MAX_ROWS
#define AXON_LOCAL_B_MAX_ROWS 256
#endif
constexpr long LOCAL_B_MAX_ROWS = AXON_LOCAL_B_MAX_ROWS;
// Products with at most this many rows skip packing (Kernels::gemm_small): packing B would cost about as much as
// the multiply. Batch-1 inference of a 784-256-128-10 MLP: ~250 us with packing.
constexpr long SMALL_M_MAX_ROWS = 4;
// ... and so do products with at most this many columns when they are dot products (see sgemm).
constexpr long SMALL_N_MAX_COLS = 16;
// Below this a second thread is not used. Waking and joining it cost 10-30 us on an idle machine, and on a busy one
// a worker preempted mid-task stalls the caller far longer. Measured for a 128^3 product (~40 us on one core),
// with the threshold lowered to include it: best of runs 160-170 GFLOPS on two threads against 107 on one, but
// with other processes busy on the cores (load average 3.5-5.5 on 2 cores) the median fell from 64-107 to 41-96.
// On the idle machine (the benchmark's condition) 128^3 on two threads measured 24 us against 40 on one (raw
// kernel, median of 20,000 calls), so the threshold includes it: 120^3. -DAXON_PAR_MIN=160 restores the
// earlier, more cautious 160^3 (~80 us on one core) for machines shared with other busy processes.
#ifndef AXON_PAR_MIN
#define AXON_PAR_MIN 120
#endif
constexpr double PARALLEL_MIN_FLOPS = 2.0 * AXON_PAR_MIN * AXON_PAR_MIN * AXON_PAR_MIN;
// A one-row product whose B is at least this big is split across threads by columns (see sgemm). At 64 KiB the
// halves of a 256 x 128 layer's weights (128 KiB) took 1.25-1.5 us against 1.75 us on one core, back to back on
// the idle machine; a region whose worker is already spinning costs ~0.1 us.
#ifndef AXON_GEMV_SPLIT_MIN_BYTES
#define AXON_GEMV_SPLIT_MIN_BYTES (64 * 1024)
#endif
constexpr size_t GEMV_SPLIT_MIN_BYTES = AXON_GEMV_SPLIT_MIN_BYTES;


// Packing buffers, one set per thread: the caller's packed B is shared with the pool's workers during one
// product; packed A is always the running thread's own.
thread_local Scratch packA, packB, packBLocal;

// dst[l*MR + r] = A(i0 + r, pc + l) for r < rows, zero for rows <= r < MR.
void pack_a_panel(const Kernels& K, const GemmArgs& g, long i0, long rows, long pc, long kc, long MR, float* dst) {
  if (g.acs == 1) {  // A row-major: a transpose, vectorized in the kernel table
    K.gemm_pack_t(g.a + i0 * g.ars + pc, g.ars, rows, kc, MR, dst);
    return;
  }
  if (g.ars == 1) {  // A stored transposed: a column of the panel is contiguous
    for (long l = 0; l < kc; l++) {
      const float* src = g.a + (pc + l) * g.acs + i0;
      float* d = dst + l * MR;
      for (long r = 0; r < rows; r++) d[r] = src[r];
      for (long r = rows; r < MR; r++) d[r] = 0.0f;
    }
    return;
  }
  for (long r = 0; r < rows; r++) {
    const float* src = g.a + (i0 + r) * g.ars + pc * g.acs;
    for (long l = 0; l < kc; l++) dst[l * MR + r] = src[l * g.acs];
  }
  for (long r = rows; r < MR; r++)
    for (long l = 0; l < kc; l++) dst[l * MR + r] = 0.0f;
}

// dst[l*NR + c] = B(pc + l, j0 + c) for c < cols, zero for cols <= c < NR.
void pack_b_panel(const Kernels& K, const GemmArgs& g, long j0, long cols, long pc, long kc, long NR, float* dst) {
  if (g.bcs == 1) {  // B row-major: each row of the panel is a contiguous run
    for (long l = 0; l < kc; l++) {
      const float* src = g.b + (pc + l) * g.brs + j0;
      float* d = dst + l * NR;
      std::memcpy(d, src, cols * sizeof(float));
      for (long c = cols; c < NR; c++) d[c] = 0.0f;
    }
    return;
  }
  // B stored transposed ([n, k]: a conv's dW = dY @ cols^T, a Linear's x @ W^T): each column of the panel is a
  // contiguous run of B, so the panel is a transpose, vectorized in the kernel table.
  if (g.brs == 1) {
    K.gemm_pack_t(g.b + j0 * g.bcs + pc, g.bcs, cols, kc, NR, dst);
    return;
  }
  // Any other strides (not produced by the addon today). Blocks of 16 rows of the panel at a time, so the 16 lines being written stay in L1 while
  // all NR columns are read (column by column over all kc rows, the panel's kc lines fell out of L1 each time).
  constexpr long LB = 16;
  for (long l0 = 0; l0 < kc; l0 += LB) {
    const long l1 = std::min(kc, l0 + LB);
    for (long c = 0; c < cols; c++) {
      const float* src = g.b + (j0 + c) * g.bcs + pc * g.brs;
      for (long l = l0; l < l1; l++) dst[l * NR + c] = src[l * g.brs];
    }
    for (long c = cols; c < NR; c++)
      for (long l = l0; l < l1; l++) dst[l * NR + c] = 0.0f;
  }
}

// Panels jp0..jp1 of one slab, packed one after another from dst (panel jp at dst + (jp - jp0) * kc * NR).
void pack_b_panels(const Kernels& K, const GemmArgs& g, long jp0, long jp1, long pc, long kc, long NR, float* dst) {
  const long n = g.n;
  if (g.bcs == 1 && jp1 - jp0 > 1) {
    // B row-major: row by row across all the panels, so that B is read in runs of (jp1 - jp0) * NR floats rather
    // than NR. Panel by panel, each 128-byte run came from another row (for a convolution's 12544-column B, another
    // page): packing B took a third of a 64 x 289 x 12544 product on one core.
    for (long l = 0; l < kc; l++) {
      const float* src = g.b + (pc + l) * g.brs;
      for (long jp = jp0; jp < jp1; jp++) {
        const long j0 = jp * NR, cols = std::min(NR, n - j0);
        float* d = dst + (jp - jp0) * kc * NR + l * NR;
        std::memcpy(d, src + j0, cols * sizeof(float));
        for (long c = cols; c < NR; c++) d[c] = 0.0f;
      }
    }
    return;
  }
  for (long jp = jp0; jp < jp1; jp++)
    pack_b_panel(K, g, jp * NR, std::min(NR, n - jp * NR), pc, kc, NR, dst + (jp - jp0) * kc * NR);
}

}  // namespace

bool sgemm(const Kernels& K, const GemmArgs& g, ThreadPool* pool) {
  const long m = g.m, n = g.n, k = g.k;
  if (m == 0 || n == 0) return true;
  if (k == 0) {
    if (!g.accumulate) std::fill(g.c, g.c + m * n, 0.0f);
    return true;
  }
  // Thin products skip packing: a few rows (batch-1 inference), or a few columns of a transposed B against a
  // row-major A (a classifier's last layer, a first conv layer's dW = dY @ cols^T with k = N*H*W), which are
  // contiguous dot products. The rows are split across threads when the product is big enough.
  const bool fewRows = m <= SMALL_M_MAX_ROWS && (g.brs == 1 || g.bcs == 1);
  const bool fewCols = n <= SMALL_N_MAX_COLS && g.brs == 1 && g.acs == 1;
  if ((fewRows || fewCols) && g.accumulate) {
    // gemm_small only stores: multiply into this thread's buffer and add that (thin products are small).
    thread_local Scratch sum;
    float* t = sum.get(static_cast<size_t>(m * n));
    if (!t) return false;
    GemmArgs h = g;
    h.c = t;
    h.accumulate = false;
    if (!sgemm(K, h, pool)) return false;
    for (long i = 0; i < m * n; i++) g.c[i] += t[i];
    return true;
  }
  if (fewRows || fewCols) {
    const long parts = pool && 2.0 * m * n * k >= PARALLEL_MIN_FLOPS ? std::min<long>(pool->size(), m) : 1;
    auto rows = [&](int t, int) {
      const long i0 = m * t / parts, i1 = m * (t + 1) / parts;
      if (i1 > i0) K.gemm_small(i1 - i0, n, k, g.a + i0 * g.ars, g.ars, g.acs, g.b, g.brs, g.bcs, g.c + i0 * n);
    };
    if (parts > 1) {
      pool->parallel_for(static_cast<int>(parts), rows);
      return true;
    }
    // One row (batch-1 inference): a matrix-vector product, bound by reading B, not by arithmetic. Split B's
    // columns across the threads (from GEMV_SPLIT_MIN_BYTES): each core streams its part of B from its own cache
    // at ~90 GB/s, and the next call's same split (the caller always runs task 0: see ThreadPool) finds that
    // part still there. A 784 x 256 layer's 784 KiB would not even fit one core's L2 with the rest of the model.
    // (The row is the output's only row, so a column block of C is contiguous.)
    // Each part gets at least 16 columns, so a product of fewer than 32 columns runs whole on the caller.
    const long T = pool && m == 1 && n * k * sizeof(float) >= GEMV_SPLIT_MIN_BYTES ? std::min<long>(pool->size(), n / 16) : 1;
    if (T > 1) {
      pool->parallel_for(static_cast<int>(T), [&](int t, int) {
        const long j0 = n * t / T / 16 * 16, j1 = t + 1 == T ? n : n * (t + 1) / T / 16 * 16;
        if (j1 > j0) K.gemm_small(1, j1 - j0, k, g.a, g.ars, g.acs, g.b + j0 * g.bcs, g.brs, g.bcs, g.c + j0);
      });
      return true;
    }
    rows(0, 0);
    return true;
  }
  const long MR = K.mr, NR = K.nr;
  const long mPanels = (m + MR - 1) / MR, nPanels = (n + NR - 1) / NR;
  // Slabs of equal depth (a multiple of 8, for the 8x8 transposes of gemm_pack_t), none deeper than KC: a
  // 289-deep convolution product was a 256 slab and a 33 slab, and a 33-deep slab reads and writes its tile of C
  // once per 33 multiply-adds instead of once per 256. Even slabs made 64 x 12544 x 289 ~5% faster on one core.
  const long kcS = std::min(KC, ((k + (k + KC - 1) / KC - 1) / ((k + KC - 1) / KC) + 7) / 8 * 8);
  const long nSlabs = (k + kcS - 1) / kcS;
  // All of B, packed: slab s (rows pc = s*kcS ...) starts at pc * nPanels * NR, its panel jp kc * NR * jp later.
  // With few rows (m <= LOCAL_B_MAX_ROWS: a convolution's weights, a layer's batch) every tile spans all of m, so no
  // two tasks need the same block of B: each packs its own, slab by slab, into a buffer that stays in L2, instead
  // of all of B going out to memory and back (a 64 x 289 x 12544 convolution GEMM streams a 14 MiB B twice).
  const bool localB = m <= LOCAL_B_MAX_ROWS;
  float* pb = localB ? nullptr : packB.get(static_cast<size_t>(k * nPanels * NR));
  if (!localB && !pb) return false;

  const double flops = 2.0 * m * n * k;
  if (flops < PARALLEL_MIN_FLOPS) pool = nullptr;
  const int T = pool ? pool->size() : 1;

  // Tiles of mcP A panels x ncP B panels; with several threads, split them until each thread has a few tiles (an
  // even count keeps the threads' last tiles from finishing at very different times).
  long mcP = localB ? mPanels : std::min(std::max(1L, MC_ROWS / MR), mPanels);
  long ncP = std::min(std::max(1L, NC_COLS / NR), nPanels);
  // Tiles per thread: 2 up to 4 threads, 4 beyond. Square products on a 16-core Xeon (C++ loop, 16 threads): 1024^3
  // went from ~900 to ~990 GFLOPS with 4, and 256^3 from ~840 to ~880; on 2 threads 4 lost (273 -> 221 GFLOPS at
  // 1024^3: smaller tiles re-read more of A and B), and 8 threads were level or slightly better with 4.
  const long tilesPerThread = T > 4 ? 4 : 2;
  auto tiles = [&] { return ((mPanels + mcP - 1) / mcP) * ((nPanels + ncP - 1) / ncP); };
  while (T > 1 && tiles() < tilesPerThread * T) {
    if (ncP > 1 && ncP * NR >= mcP * MR) ncP = (ncP + 1) / 2;
    else if (mcP > 1) mcP = (mcP + 1) / 2;
    else if (ncP > 1) ncP = (ncP + 1) / 2;
    else break;
  }
  const long mTiles = (mPanels + mcP - 1) / mcP, nTiles = (nPanels + ncP - 1) / ncP;

  // Region 1: pack all of B, in chunks of (slab, run of panels).
  const long chunksPerSlab = std::max(1L, std::min(nPanels, 4L * T));
  auto packB_task = [&](int task, int) {
    const long s = task / chunksPerSlab, c = task % chunksPerSlab;
    const long pc = s * kcS, kc = std::min(kcS, k - pc);
    float* slab = pb + pc * nPanels * NR;
    const long jp0 = nPanels * c / chunksPerSlab, jp1 = nPanels * (c + 1) / chunksPerSlab;
    pack_b_panels(K, g, jp0, jp1, pc, kc, NR, slab + jp0 * kc * NR);
  };

  // Region 2: one tile of C per task, over all of k. The micro-kernel reads a row-major or column-major A in place
  // (its broadcasts load from memory anyway); only a last panel of fewer than MR rows, and A with other strides,
  // are packed, slab by slab, into the task's buffer. Packing every panel cost as much as a fifth of an MLP layer's
  // product (128 x 256 x 784, where A is packed again for every column tile). A kernel table that reads A only
  // as packed panels (Kernels::packed_a: AArch64's, whose FMAs take A from vector lanes) gets every panel packed.
  const bool aInPlace = AXON_A_IN_PLACE && !K.packed_a && (g.acs == 1 || g.ars == 1);
  std::atomic<bool> ok{true};
  auto multiply = [&](int tile, int) {
    // Panels are dealt out evenly, so tiles differ by at most one panel: with whole tiles of ncP panels, a 784-column
    // product (25 panels) split 8, 8, 8, 1 and one of two threads ran 16 panels while the other ran 9.
    const long ti = tile / nTiles, tj = tile % nTiles;
    const long ip0 = mPanels * ti / mTiles, ip1 = mPanels * (ti + 1) / mTiles;
    const long jp0 = nPanels * tj / nTiles, jp1 = nPanels * (tj + 1) / nTiles;
    float* pa = packA.get(static_cast<size_t>((ip1 - ip0) * MR * std::min(kcS, k)));
    float* lb = localB ? packBLocal.get(static_cast<size_t>((jp1 - jp0) * NR * std::min(kcS, k))) : nullptr;
    if (!pa || (localB && !lb)) {
      ok.store(false);
      return;
    }
    alignas(64) float edge[16 * 64];  // >= MR * NR for every kernel table
    for (long pc = 0; pc < k; pc += kcS) {
      const long kc = std::min(kcS, k - pc);
      const bool accumulate = g.accumulate || pc > 0;
      // This slab of B: all of its panels (packed in region 1), or this task's own panels jp0..jp1 in lb.
      const float* slab = localB ? lb : pb + pc * nPanels * NR;
      const long jpBase = localB ? jp0 : 0;
      if (localB)
        pack_b_panels(K, g, jp0, jp1, pc, kc, NR, lb);
      for (long ip = ip0; ip < ip1; ip++) {
        const long rows = std::min(MR, m - ip * MR);
        if (!aInPlace || rows < MR) pack_a_panel(K, g, ip * MR, rows, pc, kc, MR, pa + (ip - ip0) * kc * MR);
      }
      for (long ip = ip0; ip < ip1; ip++) {
        const long i0 = ip * MR, rows = std::min(MR, m - i0);
        // The A panel: read in place, or packed (ra = 1, la = MR).
        const bool direct = aInPlace && rows == MR;
        const float* a = direct ? g.a + i0 * g.ars + pc * g.acs : pa + (ip - ip0) * kc * MR;
        const long ra = direct ? g.ars : 1, la = direct ? g.acs : MR;
        for (long jp = jp0; jp < jp1; jp++) {
          const long j0 = jp * NR, cols = std::min(NR, n - j0);
          const float* b = slab + (jp - jpBase) * kc * NR;
          float* c = g.c + i0 * n + j0;
          if (rows == MR && cols == NR) {
            K.gemm_micro(kc, a, ra, la, b, c, n, accumulate);
            continue;
          }
          // An edge tile: the zero padding makes the kernel's result right; keep only the part inside C.
          K.gemm_micro(kc, a, ra, la, b, edge, NR, false);
          for (long r = 0; r < rows; r++) {
            float* dst = c + r * n;
            const float* src = edge + r * NR;
            if (accumulate) for (long j = 0; j < cols; j++) dst[j] += src[j];
            else for (long j = 0; j < cols; j++) dst[j] = src[j];
          }
        }
      }
    }
  };
  const long packTasks = localB ? 0 : nSlabs * chunksPerSlab, mulTasks = mTiles * nTiles;
  if (pool) {
    if (packTasks > 0) pool->parallel_for(static_cast<int>(packTasks), packB_task);
    pool->parallel_for(static_cast<int>(mulTasks), multiply);
  } else {
    for (long t = 0; t < packTasks; t++) packB_task(static_cast<int>(t), 0);
    for (long t = 0; t < mulTasks; t++) multiply(static_cast<int>(t), 0);
  }
  return ok.load();
}

}  // namespace axon
