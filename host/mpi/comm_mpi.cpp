// MPI's world (builds with FWMC_MPI). Reductions are exact where fwmc uses them: each element is nonzero on at
// most one rank (the rank that owns that chain or group), so the sum reproduces it bit for bit.
#ifdef FWMC_WITH_MPI
#include <mpi.h>

#include <cstdlib>

#include "fwmc/comm.hpp"

namespace fwmc {

namespace {

class Mpi final : public Comm {
 public:
  Mpi() {
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
    MPI_Comm local;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &local);
    MPI_Comm_rank(local, &local_rank_);
    MPI_Comm_free(&local);
  }
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  int local_rank() const override { return local_rank_; }
  void sum_to_root(std::vector<double>& v) override {
    reduce(v.data(), static_cast<int>(v.size()), MPI_DOUBLE, MPI_SUM);
  }
  void sum_to_root(std::vector<long>& v) override { reduce(v.data(), static_cast<int>(v.size()), MPI_LONG, MPI_SUM); }
  void max_to_root(double& x) override { reduce(&x, 1, MPI_DOUBLE, MPI_MAX); }
  void barrier() override {
    if (size_ > 1) MPI_Barrier(MPI_COMM_WORLD);
  }
  [[noreturn]] void abort(int code) override {
    MPI_Abort(MPI_COMM_WORLD, code);
    std::exit(code);
  }

 private:
  void reduce(void* p, int n, MPI_Datatype t, MPI_Op op) {
    if (size_ == 1) return;
    if (rank_ == 0)
      MPI_Reduce(MPI_IN_PLACE, p, n, t, op, 0, MPI_COMM_WORLD);
    else
      MPI_Reduce(p, nullptr, n, t, op, 0, MPI_COMM_WORLD);
  }
  int rank_ = 0, size_ = 1, local_rank_ = 0;
};

bool g_started = false;

}  // namespace

Comm& world() {
  int flag = 0;
  MPI_Initialized(&flag);
  if (!flag) return single_process();  // the library used without the fwmc main (tests, embedding)
  static Mpi m;
  return m;
}

void comm_init(int* argc, char*** argv) {
  int flag = 0;
  MPI_Initialized(&flag);
  if (!flag) MPI_Init(argc, argv);
  g_started = true;
}

void comm_finalize() {
  int flag = 0;
  MPI_Finalized(&flag);
  if (g_started && !flag) MPI_Finalize();
}

}  // namespace fwmc
#endif
