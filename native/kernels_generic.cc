// Compiled for the baseline of the target (SSE2 on x86-64, NEON on arm64): runs everywhere.
#define AXON_ISA_NAME "generic"
#define AXON_KERNELS_FN kernels_generic
#define AXON_NS isa_generic
#include "kernels_impl.h"
