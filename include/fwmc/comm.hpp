// The processes of one job: a single process, or the ranks of an MPI job (`mpirun -np K fwmc run ...`).
// Chains are independent, so ranks only meet at the end of sampling, where rank 0 receives the sums.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

namespace fwmc {

class Comm {
 public:
  virtual ~Comm() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  virtual int local_rank() const = 0;  // rank within the node (which GPU to use)
  // Element-wise sums (maxima) over the ranks, delivered to rank 0 (other ranks' buffers are left as they were).
  virtual void sum_to_root(std::vector<double>& v) = 0;
  virtual void sum_to_root(std::vector<long>& v) = 0;
  virtual void max_to_root(double& x) = 0;
  // Every rank waits here until all have arrived (e.g. until rank 0 has claimed the output folder).
  virtual void barrier() = 0;
  // Ends every rank of the job (after a failure on this one).
  [[noreturn]] virtual void abort(int code) = 0;
};

// The job's processes: MPI's world when fwmc was built with MPI and MPI was initialised (comm_init), else one
// process.
Comm& world();
Comm& single_process();
// Starts and finishes MPI around main() (no-ops without MPI).
void comm_init(int* argc, char*** argv);
void comm_finalize();

}  // namespace fwmc
