// What the CPU can run and which kernels the BLAS picked. Debian's OpenBLAS (DYNAMIC_ARCH) chooses its kernels by
// CPU model, and falls back to generic SSE3 "Prescott" kernels on models it does not know (new Xeons, virtual
// machines that hide the model) even when the instruction set has AVX-512. fwmc reads the instruction set from
// cpuid and, when the BLAS chose weaker kernels, restarts itself once with OPENBLAS_CORETYPE set (the BLAS reads
// it when it loads, before main).
#pragma once
#include <string>

namespace fwmc {

struct CpuIsa {
  bool sse3 = false, avx = false, avx2 = false, fma = false;
  bool avx512 = false;       // F, VL, BW, DQ, CD with the OS saving the ZMM state
  bool avx512_bf16 = false;  // Cooper Lake and later
  std::string name() const;  // "AVX-512", "AVX2+FMA", ...
  // Single-precision FLOPs per cycle per core at full FMA throughput (2 FMA ports assumed).
  int sp_flops_per_cycle() const;
};

CpuIsa detect_isa();

struct BlasInfo {
  std::string config;       // e.g. "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH ..."
  std::string kernel;       // the core type whose kernels run, e.g. "SkylakeX"
  std::string selected_by;  // "" (the BLAS's own choice), "fwmc" or "OPENBLAS_CORETYPE" (the user's)
  std::string replaced;     // the BLAS's own choice when fwmc replaced it
};
BlasInfo blas_info();

// The OpenBLAS core type with the best kernels this instruction set runs ("SkylakeX", "Haswell", "Sandybridge";
// "" when nothing beats the generic kernels).
std::string openblas_core_for(const CpuIsa& isa);
// Orders OpenBLAS core types by the instruction set their kernels use (-1: unknown name).
int openblas_core_rank(const std::string& core);
// The core type to force, or "" when `chosen` is already as good as the ISA allows (or unknown).
std::string openblas_core_correction(const std::string& chosen, const CpuIsa& isa);

// Called first in main: when the BLAS's kernels are weaker than the ISA's (FWMC_BLAS_CORETYPE = auto, the
// default, unless OPENBLAS_CORETYPE is set; keep: never; always: also over a weaker OPENBLAS_CORETYPE), and when
// OMP_WAIT_POLICY is unset, sets them and re-executes the program once.
void tune_cpu_runtime(char** argv);

// "" when the BLAS's kernels run on this CPU, else why not, naming OPENBLAS_CORETYPE: that variable can name
// kernels for instructions the CPU lacks (SkylakeX without AVX-512, Bulldozer's FMA4 on Intel), and the BLAS then
// dies of SIGILL at its first product. Checked by a product in a forked child, only when the environment chose
// the kernels.
std::string blas_kernels_problem();

}  // namespace fwmc
