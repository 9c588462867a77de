// One process: builds without MPI, and library use (tests, embedding) where nobody called MPI_Init.
#include <cstdlib>

#include "fwmc/comm.hpp"

namespace fwmc {

namespace {

class Single final : public Comm {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  int local_rank() const override { return 0; }
  void sum_to_root(std::vector<double>&) override {}
  void sum_to_root(std::vector<long>&) override {}
  void max_to_root(double&) override {}
  void barrier() override {}
  [[noreturn]] void abort(int code) override { std::exit(code); }
};

}  // namespace

Comm& single_process() {
  static Single s;
  return s;
}

#ifndef FWMC_WITH_MPI
Comm& world() { return single_process(); }
void comm_init(int*, char***) {}
void comm_finalize() {}
#endif

}  // namespace fwmc
