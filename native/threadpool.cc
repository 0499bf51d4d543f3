#include "threadpool.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#if defined(__linux__)
#include <sched.h>
#endif

namespace axon {

// How long an idle worker spins before it sleeps: AXON_SPIN_US at first, and up to AXON_SPIN_MAX_US for a program
// whose parallel regions come in bursts with short gaps (see worker_loop).
#ifndef AXON_SPIN_US
#define AXON_SPIN_US 50
#endif
#ifndef AXON_SPIN_MAX_US
#define AXON_SPIN_MAX_US 1000
#endif

// Set while a thread runs pool tasks, so a kernel that calls parallel_for from inside a task runs serially.
static thread_local bool in_pool_task = false;

static inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

// The CPU time this process's cgroup may use, in CPUs (a container's --cpus), or 0 when unlimited or unknown. Each
// cgroup from the process's own up to the root may set a quota; the smallest applies. cgroup v2 keeps it in
// cpu.max ("200000 100000", or "max 100000"), v1 in cpu.cfs_quota_us (-1 when unlimited) over cpu.cfs_period_us.
// A container usually sees its own cgroup as the root of the mount; one that sees the host's path for it does not
// have that path under its mount, and the loop then reaches the root of the mount, which is the container's.
double cgroup_cpu_quota(const std::string& proc_self_cgroup, const std::string& root) {
  auto read_file = [](const std::string& path) {
    std::ifstream f(path);
    std::stringstream ss;
    if (f) ss << f.rdbuf();
    return ss.str();
  };
  double best = 0;
  auto consider = [&](double quota, double period) {
    if (quota > 0 && period > 0 && (best == 0 || quota / period < best)) best = quota / period;
  };
  std::istringstream lines(read_file(proc_self_cgroup));
  for (std::string line; std::getline(lines, line);) {
    // "hierarchy-id:controllers:path": "0::/path" for v2, "4:cpu,cpuacct:/path" for v1's cpu controller.
    const size_t a = line.find(':'), b = a == std::string::npos ? a : line.find(':', a + 1);
    if (b == std::string::npos) continue;
    const std::string controllers = line.substr(a + 1, b - a - 1);
    std::string path = line.substr(b + 1);
    const bool v2 = line.compare(0, a, "0") == 0 && controllers.empty();
    bool cpu = false;
    for (size_t i = 0; i <= controllers.size();) {
      const size_t j = std::min(controllers.find(',', i), controllers.size());
      cpu = cpu || controllers.compare(i, j - i, "cpu") == 0;
      i = j + 1;
    }
    if (!v2 && !cpu) continue;
    for (;;) {
      if (v2) {
        std::istringstream max(read_file(root + path + "/cpu.max"));
        std::string quota;
        double period = 0;
        if (max >> quota >> period && quota != "max") consider(std::atof(quota.c_str()), period);
      } else {
        for (const char* mount : {"/cpu", "/cpu,cpuacct"}) {
          const std::string dir = root + mount + (path == "/" ? "" : path);
          const std::string quota = read_file(dir + "/cpu.cfs_quota_us"), period = read_file(dir + "/cpu.cfs_period_us");
          if (!quota.empty()) consider(std::atof(quota.c_str()), std::atof(period.c_str()));
        }
      }
      if (path.empty() || path == "/") break;
      const size_t slash = path.find_last_of('/');
      path = slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
    }
  }
  return best;
}

// The threads this process can run at once: the CPUs it may run on (its affinity: taskset, a container's cpuset),
// no more than its cgroup's CPU quota rounded up. std::thread::hardware_concurrency() counts every CPU of the host:
// in a container limited to 2 CPUs of a 64-core host, a pool that size would have 63 workers spinning for the
// time of 2 CPUs.
int available_cpus() {
  const unsigned hw = std::thread::hardware_concurrency();
  int n = hw == 0 ? 1 : static_cast<int>(hw);
#if defined(__linux__)
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) n = CPU_COUNT(&set);
  const double quota = cgroup_cpu_quota("/proc/self/cgroup", "/sys/fs/cgroup");
  if (quota > 0) n = std::min(n, std::max(1, static_cast<int>(std::ceil(quota - 1e-9))));
#endif
  return n;
}

ThreadPool& ThreadPool::instance() {
  // Never destroyed: joining threads from a static destructor at process exit is a source of hangs, and the OS
  // reclaims sleeping workers anyway.
  // AXON_NUM_THREADS sets the starting size (for shared machines and CI); otherwise one thread per CPU this process
  // can use (available_cpus).
  static ThreadPool* pool = [] {
    auto* p = new ThreadPool();
    int n = available_cpus();
    if (const char* env = std::getenv("AXON_NUM_THREADS")) {
      const int v = std::atoi(env);
      if (v >= 1 && v <= 1024) n = v;
    }
    p->resize(n);
    return p;
  }();
  return *pool;
}

void ThreadPool::resize(int threads) {
  if (threads < 1) threads = 1;
  std::lock_guard<std::mutex> call(call_mutex_);
  if (threads == size()) return;
  stop_workers();
  stop_.store(false);
  // Each worker starts from the region number current now: reading it inside the new thread instead could see a
  // later stop_workers()'s increment and then wait forever for another one.
  const uint32_t region = static_cast<uint32_t>(work_.load() >> 32);
  for (int i = 1; i < threads; i++) workers_.emplace_back([this, i, region] { worker_loop(i, region); });
}

void ThreadPool::stop_workers() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_.store(true);
    work_.fetch_add(uint64_t{1} << 32);
  }
  wake_.notify_all();
  for (auto& w : workers_) w.join();
  workers_.clear();
}

// Claims and runs tasks of region `region` until none is left (or the region is over).
void ThreadPool::run_tasks(uint32_t region, int thread) {
  const bool was = in_pool_task;
  in_pool_task = true;
  uint64_t w = work_.load(std::memory_order_acquire);
  for (;;) {
    if (static_cast<uint32_t>(w >> 32) != region) break;
    const int t = static_cast<int>(static_cast<uint32_t>(w));
    if (t >= ntasks_.load(std::memory_order_relaxed)) break;
    if (!work_.compare_exchange_weak(w, w + 1, std::memory_order_acq_rel, std::memory_order_acquire)) continue;
    // The claim succeeded, so the region (and task_) cannot change before this task reports done.
    (*task_)(t, thread);
    done_.fetch_add(1, std::memory_order_acq_rel);
    w = work_.load(std::memory_order_acquire);
  }
  in_pool_task = was;
}

void ThreadPool::worker_loop(int id, uint32_t seen) {
  long spin_us = AXON_SPIN_US;
  for (;;) {
    // Spin for up to spin_us for the next region before sleeping on the condition variable: a matmul's regions come
    // microseconds apart, while between JavaScript-side work a spinning worker would steal a core.
    auto region = [&] { return static_cast<uint32_t>(work_.load(std::memory_order_acquire) >> 32); };
    uint32_t r = region();
    if (r == seen) {
      const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(spin_us);
      for (int spin = 0; r == seen; spin++) {
        cpu_relax();
        r = region();
        if ((spin & 255) == 255 && std::chrono::steady_clock::now() > until) break;
      }
    }
    if (r == seen) {
      const auto slept = std::chrono::steady_clock::now();
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return region() != seen || stop_.load(); });
        r = region();
      }
      // Woken soon after giving up (a training step's gaps of JavaScript between its products): spin through such
      // a gap next time, since each wake-up costs the caller a system call and the region this worker's late
      // start. Asleep for long (a program that computes now and then): back towards the short spin, so that an
      // idle program does not keep a core busy.
      const long gap = static_cast<long>(std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - slept).count()) + spin_us;
      spin_us = gap <= AXON_SPIN_MAX_US ? std::min<long>(AXON_SPIN_MAX_US, std::max(2 * spin_us, gap + gap / 2))
                                        : std::max<long>(AXON_SPIN_US, spin_us / 2);
      // Pass the wake-up on: the caller wakes one sleeping worker and each woken worker wakes two more, so all of
      // them are up after ~log2(workers) wake-ups in a row (see parallel_for).
      wake_.notify_one();
      wake_.notify_one();
    }
    seen = r;
    if (stop_.load()) return;
    run_tasks(r, id);
  }
}

void ThreadPool::parallel_for(int n, const Task& fn) {
  if (n <= 0) return;
  std::unique_lock<std::mutex> call(call_mutex_, std::try_to_lock);
  if (n == 1 || workers_.empty() || in_pool_task || !call.owns_lock()) {
    const bool was = in_pool_task;
    in_pool_task = true;
    for (int t = 0; t < n; t++) fn(t, 0);
    in_pool_task = was;
    return;
  }
  uint32_t region;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    // First close the previous region: a worker still in run_tasks for it may hold that region's word and, once it
    // reads the new ntasks_, would pass the bound check; with the word changed its claim (a CAS on the whole word)
    // fails. Without this, such a stale claim ran a task of the new region twice and pushed done_ past n, and
    // the wait below spun forever. The closed index is above any task count, so nothing is claimed from it.
    const uint32_t previous = static_cast<uint32_t>(work_.load(std::memory_order_relaxed) >> 32);
    work_.store((static_cast<uint64_t>(previous + 1) << 32) | 0x7fffffffu, std::memory_order_seq_cst);
    task_ = &fn;
    ntasks_.store(n, std::memory_order_relaxed);
    done_.store(0, std::memory_order_relaxed);
    // Then open the new region at task 1, task 0 being the caller's own; the release publishes task_, ntasks_ and
    // done_ to the claimers.
    region = previous + 2;
    work_.store((static_cast<uint64_t>(region) << 32) | 1u, std::memory_order_release);
  }
  // One sleeping worker is woken here, and it wakes others. A wake-up is a system call that costs the caller
  // 10-15 us on a virtual machine whose other vCPUs are idle (the host must wake one), and notify_all paid it once
  // per sleeping worker: with 15 workers asleep, a 256^3 product after an idle spell ran slower than on one core.
  wake_.notify_one();
  // The caller always runs task 0 and the first worker to wake task 1, so a kernel that splits its data the same
  // way call after call (a matrix-vector product's halves of W) finds each part in the same core's cache. Claimed
  // from the counter, task 0 went to the worker a quarter of the time, and a batch-1 layer read its 400 KB half of
  // W from the other core's cache.
  {
    const bool was = in_pool_task;
    in_pool_task = true;
    fn(0, 0);
    in_pool_task = was;
    done_.fetch_add(1, std::memory_order_acq_rel);
  }
  run_tasks(region, 0);
  // Every task has been claimed; wait for those that workers are still running (fn is the caller's local).
  for (int spin = 0; done_.load(std::memory_order_acquire) < n; spin++) {
    if (spin < 4096) cpu_relax();
    else std::this_thread::yield();  // the worker running the last task was descheduled: let it run
  }
}

}  // namespace axon
