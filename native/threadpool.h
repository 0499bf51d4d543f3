// A fork-join pool for the big kernels: parallel_for(n, fn) runs fn(task, thread) for task < n on the calling
// thread plus the pool's workers, and returns when all tasks are done (so it doubles as a barrier).
//
// Why this shape: Axon's kernels are synchronous calls from JavaScript, so the caller is always one of the
// threads and works through the tasks itself; workers join in when they wake. Tasks are claimed one at a time
// from a single atomic word that holds (region, next task), and the caller waits only for tasks that a worker has
// actually claimed, never for a worker to show up: on a busy machine, where a woken worker may not get a core
// for milliseconds, a region costs what the caller alone would take, not a scheduler time slice. Workers spin
// briefly before sleeping so that the back-to-back regions of one matmul do not pay a futex wake-up each; sleeping
// workers are woken as a tree (the caller wakes one, each woken worker two more), so the caller pays for one
// wake-up, not one per worker. Task 0 is always the caller's, so a kernel that splits its data the same way on
// every call finds the caller's part in the caller's cache.
#pragma once

#include <atomic>
#include <cstdint>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace axon {

/** The CPUs this process can use at once: its CPU affinity, capped by its cgroup's CPU quota (Linux); elsewhere
 *  the logical cores. The pool's default size. */
int available_cpus();
/** The CPU quota, in CPUs, of the cgroups that `proc_self_cgroup` (the format of /proc/self/cgroup) names under
 *  the cgroup mount `root` (/sys/fs/cgroup); 0 when none is set. Parameterized for tests (native/check). */
double cgroup_cpu_quota(const std::string& proc_self_cgroup, const std::string& root);

class ThreadPool {
 public:
  using Task = std::function<void(int task, int thread)>;

  static ThreadPool& instance();

  /** Total threads that run tasks, the caller included (>= 1). */
  int size() const { return static_cast<int>(workers_.size()) + 1; }
  void resize(int threads);
  /** Runs fn(task, thread) for every task < n; thread is in [0, size()). Serial when n <= 1 or nested. */
  void parallel_for(int n, const Task& fn);

 private:
  ThreadPool() = default;
  void worker_loop(int id, uint32_t seen);
  void stop_workers();
  void run_tasks(uint32_t region, int thread);

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  // High 32 bits: the region's number; low 32 bits: the next unclaimed task. A claim is a compare-and-swap that
  // fails once the region has moved on, so a worker that wakes late can never run a finished region's task.
  std::atomic<uint64_t> work_{0};
  std::atomic<int> done_{0};  // tasks of the current region that have finished
  std::atomic<bool> stop_{false};
  std::atomic<int> ntasks_{0};
  const Task* task_ = nullptr;
  std::mutex call_mutex_;  // one parallel region at a time (a second JS thread runs serially instead)
};

}  // namespace axon
