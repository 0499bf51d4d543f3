# PyTorch side of bench/matmul.ts: times square float32 matmuls and prints one JSON object on stdout.
# usage: python3 matmul_torch.py THREADS N REPS [WARMUP]
# Output: {"torch": version, "threads": n, "n": N, "samples_ms": [...]}. Inputs are standard normal, as on the
# TypeScript side; matmul time does not depend on the values. Each rep allocates its result, as the other
# contenders' do.
import json
import sys
import time

import torch

threads, n, reps = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
warmup = int(sys.argv[4]) if len(sys.argv) > 4 else 5
torch.set_num_threads(threads)
a = torch.randn(n, n, dtype=torch.float32)
b = torch.randn(n, n, dtype=torch.float32)
with torch.no_grad():
    for _ in range(warmup):
        torch.matmul(a, b)
    samples = []
    for _ in range(reps):
        t0 = time.perf_counter()
        torch.matmul(a, b)
        samples.append((time.perf_counter() - t0) * 1000.0)
print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "n": n, "samples_ms": samples}))
