// A C++ check of the kernel tables, for CPUs that the JavaScript suite cannot run on here: the AArch64 build
// (its NEON GEMM kernels) runs under qemu on an x86-64 machine. scripts/check-native-arch.mjs builds it with the
// flags of binding.gyp and runs it; on the host it checks every table the CPU supports.
//
// Every product the driver (gemm.cc) can take is compared with a float64 product of the same float32 inputs:
// thin products (unpacked, rows or columns), the packed path with B shared or packed per task, edge tiles, two
// slabs of k, transposed operands, accumulation into C, one thread and several. Then the vectorized elementwise
// kernels that have an exact definition: exp, tanh and sigmoid against the C library, softmax rows against float64.
// And, on Linux, how the thread pool reads a cgroup's CPU quota (its default size).
//
// Exits 1 after printing the failures, 0 with one line per table.

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>
#include <fstream>
#if defined(__linux__)
#include <sys/stat.h>
#include <unistd.h>
#endif

#include "../gemm.h"
#include "../kernels.h"
#include "../threadpool.h"

using namespace axon;

namespace {

int failures = 0;

void fail(const std::string& what) {
  if (++failures <= 20) std::printf("FAIL %s\n", what.c_str());
}

std::vector<const Kernels*> tables() {
  std::vector<const Kernels*> t;
#if defined(AXON_HAVE_X86_KERNELS)  // as in addon.cc: the x86 tables are built (scripts/check-native-arch.mjs)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
      __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("fma"))
    t.push_back(kernels_avx512());
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) t.push_back(kernels_avx2());
#endif
  t.push_back(kernels_generic());
  return t;
}

// One product C[m, n] (+)= op(A) @ op(B), A stored [m, k] or (transA) [k, m], B stored [k, n] or (transB) [n, k].
void check_gemm(const Kernels& K, ThreadPool* pool, long m, long n, long k, bool transA, bool transB, bool accumulate,
                std::mt19937& rng) {
  std::normal_distribution<float> normal;
  std::vector<float> a(m * k), b(k * n), c(m * n);
  for (float& v : a) v = normal(rng);
  for (float& v : b) v = normal(rng);
  for (float& v : c) v = normal(rng);
  const std::vector<float> c0 = c;
  GemmArgs g;
  g.a = a.data();
  g.b = b.data();
  g.c = c.data();
  g.m = m, g.n = n, g.k = k;
  g.ars = transA ? 1 : k, g.acs = transA ? m : 1;
  g.brs = transB ? 1 : n, g.bcs = transB ? k : 1;
  g.accumulate = accumulate;
  if (!sgemm(K, g, pool)) return fail("sgemm could not allocate");
  char shape[160];
  std::snprintf(shape, sizeof shape, "%s: %ld x %ld x %ld%s%s%s, %d thread(s)", K.name, m, n, k, transA ? " A^T" : "",
                transB ? " B^T" : "", accumulate ? " +=" : "", pool ? pool->size() : 1);
  for (long i = 0; i < m; i++)
    for (long j = 0; j < n; j++) {
      double want = accumulate ? c0[i * n + j] : 0.0, scale = std::fabs(want);
      for (long l = 0; l < k; l++) {
        const double p = static_cast<double>(a[i * g.ars + l * g.acs]) * b[l * g.brs + j * g.bcs];
        want += p;
        scale += std::fabs(p);
      }
      // float32 accumulation of k + 1 terms: each partial sum rounds once, by at most 2^-24 of the running |sum|.
      const double tol = (k + 2) * std::ldexp(1.0, -24) * scale + 1e-30;
      const double got = c[i * n + j];
      if (!(std::fabs(got - want) <= tol)) {
        char at[120];
        std::snprintf(at, sizeof at, " at [%ld, %ld]: %.9g, want %.9g (tolerance %.3g)", i, j, got, want, tol);
        return fail(shape + std::string(at));
      }
    }
}

// |got - want| within `ulps` float32 units of the wanted value (or both NaN).
bool close_ulps(float got, double want, double ulps) {
  if (std::isnan(want)) return std::isnan(got);
  if (std::isinf(want)) return got == want;
  const double unit = std::ldexp(1.0, std::max(std::ilogb(std::fabs(want) + 1e-300), -126) - 23);
  return std::fabs(got - want) <= ulps * unit;
}

void check_elementwise(const Kernels& K, std::mt19937& rng) {
  std::uniform_real_distribution<float> wide(-30.0f, 30.0f);
  std::vector<float> x(1003), y(x.size());
  for (float& v : x) v = wide(rng);
  x[0] = 0.0f, x[1] = -0.0f, x[2] = NAN, x[3] = INFINITY, x[4] = -INFINITY, x[5] = 88.5f, x[6] = -103.0f;
  struct Op { int code; const char* name; double (*f)(double); double ulps; };
  const Op ops[] = {
    {U_EXP, "exp", [](double v) { return std::exp(v); }, 4},
    {U_TANH, "tanh", [](double v) { return std::tanh(v); }, 4},
    {U_SIGMOID, "sigmoid", [](double v) { return 1.0 / (1.0 + std::exp(-v)); }, 4},
  };
  for (const Op& op : ops) {
    K.unary(op.code, x.data(), y.data(), x.size(), 0, 0);
    for (size_t i = 0; i < x.size(); i++)
      if (!close_ulps(y[i], op.f(x[i]), op.ulps)) {
        char at[160];
        std::snprintf(at, sizeof at, "%s: %s(%.9g) = %.9g, want %.9g", K.name, op.name, x[i], y[i], op.f(x[i]));
        fail(at);
        break;
      }
  }
  // Softmax of 37 lines of 10 and of 3 lines of 300; the exp of each x - max is float32's, so allow its rounding.
  for (long size : {10L, 300L}) {
    const long rows = size == 10 ? 37 : 3;
    std::normal_distribution<float> normal(0.0f, 3.0f);
    std::vector<float> in(rows * size), out(in.size());
    for (float& v : in) v = normal(rng);
    K.softmax_rows(in.data(), rows, size, out.data(), false);
    for (long r = 0; r < rows; r++) {
      double mx = -INFINITY, sum = 0;
      for (long j = 0; j < size; j++) mx = std::max(mx, static_cast<double>(in[r * size + j]));
      for (long j = 0; j < size; j++) sum += std::exp(in[r * size + j] - mx);
      for (long j = 0; j < size; j++) {
        const double want = std::exp(in[r * size + j] - mx) / sum;
        if (!close_ulps(out[r * size + j], want, 8 + std::fabs(in[r * size + j] - mx))) {
          fail(std::string(K.name) + ": softmax_rows of size " + std::to_string(size));
          r = rows;
          break;
        }
      }
    }
  }
}

#if defined(__linux__)
// cgroup_cpu_quota (threadpool.cc) on fake cgroup trees: v2 with the quota on an ancestor, v1 seen from inside a
// container (its own cgroup at the root of the mount), unlimited ones, and no /proc file at all.
void check_cgroup_quota() {
  char tmpl[] = "/tmp/axon-cgroup-XXXXXX";
  const char* dir = mkdtemp(tmpl);
  if (!dir) return fail("cgroup: mkdtemp failed");
  const std::string root = dir;
  std::vector<std::string> made;
  auto write = [&](const std::string& rel, const std::string& text) {
    std::string path = root;
    for (size_t i = 1; i < rel.size(); i++)
      if (rel[i] == '/') {
        path = root + "/" + rel.substr(0, i);
        if (mkdir(path.c_str(), 0700) == 0) made.push_back(path);
      }
    std::ofstream(root + "/" + rel) << text;
    made.push_back(root + "/" + rel);
  };
  struct Case { const char* what; const char* proc; std::vector<std::pair<std::string, std::string>> files; double want; };
  const Case cases[] = {
    {"v2, quota on the parent", "0::/a/b\n", {{"v2/a/b/cpu.max", "max 100000\n"}, {"v2/a/cpu.max", "250000 100000\n"}}, 2.5},
    {"v2, unlimited", "0::/a\n", {{"v2/a/cpu.max", "max 100000\n"}, {"v2/cpu.max", "max 100000\n"}}, 0},
    {"v1, container's own cgroup at the mount's root", "5:memory:/docker/x\n4:cpu,cpuacct:/docker/x\n",
     {{"v1/cpu,cpuacct/cpu.cfs_quota_us", "150000\n"}, {"v1/cpu,cpuacct/cpu.cfs_period_us", "100000\n"}}, 1.5},
    {"v1, unlimited", "1:cpu:/\n", {{"v1/cpu/cpu.cfs_quota_us", "-1\n"}, {"v1/cpu/cpu.cfs_period_us", "100000\n"}}, 0},
  };
  int n = 0;
  for (const Case& c : cases) {
    const std::string tree = std::string(c.files[0].first).substr(0, 2);  // "v1" or "v2": each case its own mount
    const std::string proc = "proc" + std::to_string(n++);
    write(proc, c.proc);
    for (const auto& [rel, text] : c.files) write(rel, text);
    const double got = cgroup_cpu_quota(root + "/" + proc, root + "/" + tree);
    if (std::fabs(got - c.want) > 1e-12) fail(std::string("cgroup quota, ") + c.what + ": got " + std::to_string(got));
    for (auto it = made.rbegin(); it != made.rend(); ++it) std::remove(it->c_str());  // files, then directories
    made.clear();
  }
  if (cgroup_cpu_quota(root + "/missing", root) != 0) fail("cgroup quota with no /proc file");
  rmdir(dir);
}
#endif

}  // namespace

int main() {
  // (m, n, k): thin products (<= 4 rows; <= 16 columns as dot products), a 1-row product big enough to split its
  // columns, tiles with edges in both directions, B packed per task (m <= 256) and shared (m > 256), two slabs.
  const long shapes[][3] = {{1, 256, 784}, {3, 40, 50}, {4, 17, 33}, {128, 10, 128}, {37, 16, 64}, {5, 16, 7},
                            {7, 13, 5},   {33, 47, 129}, {64, 100, 289}, {128, 256, 784}, {300, 200, 500}, {9, 70, 1}};
  std::mt19937 rng(12345);
  ThreadPool& pool = ThreadPool::instance();
  pool.resize(3);
  for (const Kernels* K : tables()) {
    const int before = failures;
    int products = 0;
    for (const auto& s : shapes)
      for (int layout = 0; layout < 4; layout++)
        for (bool accumulate : {false, true})
          for (ThreadPool* p : {static_cast<ThreadPool*>(nullptr), &pool}) {
            check_gemm(*K, p, s[0], s[1], s[2], layout & 1, layout & 2, accumulate, rng);
            products++;
          }
    check_elementwise(*K, rng);
    std::printf("%s (%d x %d GEMM tile): %d products, exp/tanh/sigmoid, softmax rows: %s\n", K->name, K->mr, K->nr,
                products, failures == before ? "ok" : "FAILED");
  }
#if defined(__linux__)
  const int before = failures;
  check_cgroup_quota();
  std::printf("thread pool: cgroup CPU quotas (v1, v2, nested, unlimited): %s\n", failures == before ? "ok" : "FAILED");
#endif
  return failures == 0 ? 0 : 1;
}
