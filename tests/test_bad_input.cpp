// The bad-input table: every way a user can hand fwmc run something unusable ends with exit code 2, a one-line
// message naming the problem, and nothing left behind in the output directory.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "fwmc/dataset.hpp"
#include "fwmc/devices.hpp"
#include "test_helpers.hpp"

using namespace fwmc;
using namespace fwmc::test;
namespace fs = std::filesystem;

namespace {

struct Case {
  std::string name;
  std::string config;      // TOML text written to c.toml ("" : embedded default)
  std::string extra_args;  // appended to the command line
  std::string expect;      // substring of the error message
};

const char* kOk =
    "[data]\nn_train=4\nn_test=1\ninput_dim=3\n[model]\nwidths=[4,4]\n"
    "[sampler]\nchains=4\ngroups=2\nwarmup=5\nsamples=5\n";

std::string with(const std::string& extra) { return std::string(kOk) + extra; }

std::string npy_config(const std::string& x, const std::string& y) {
  return "[data]\nkind='npy'\nx='" + x + "'\ny='" + y +
         "'\n[model]\nwidths=[4]\n"
         "[sampler]\nchains=4\ngroups=2\nwarmup=5\nsamples=5\n";
}

void write_bytes(const std::string& path, const std::string& b) { std::ofstream(path, std::ios::binary) << b; }

// A minimal .npy header for descr/fortran/shape, padded as the format requires, then `payload`.
std::string npy(const std::string& descr, bool fortran, const std::string& shape, const std::string& payload) {
  std::string h =
      "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False") + ", 'shape': " + shape + ", }";
  while ((10 + h.size() + 1) % 64 != 0) h += ' ';
  h += '\n';
  std::string s = "\x93NUMPY\x01";
  s += '\0';
  s += static_cast<char>(h.size() & 0xff);
  s += static_cast<char>(h.size() >> 8);
  return s + h + payload;
}

std::string doubles(std::initializer_list<double> v) {
  std::string s;
  for (double x : v) s.append(reinterpret_cast<const char*>(&x), sizeof x);
  return s;
}

}  // namespace

TEST(BadInput, EveryCaseExitsTwoNamesTheProblemAndLeavesNothing) {
  const std::string dir = temp_dir("bad");
  // Data files, good and bad.
  const double x6[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, y4[] = {1, 0, 1, 0};
  write_npy(dir + "/x.npy", {4, 3}, x6);
  write_npy(dir + "/y.npy", {4, 1}, y4);
  write_npy(dir + "/y3.npy", {3, 1}, y4);
  write_npy(dir + "/xt2.npy", {1, 2}, x6);
  write_bytes(dir + "/empty.npy", "");
  write_bytes(dir + "/zero_rows.npy", npy("<f8", false, "(0, 3)", ""));
  write_bytes(dir + "/trunc.npy", npy("<f8", false, "(4, 3)", doubles({1, 2, 3})));
  write_bytes(dir + "/nan.npy", npy("<f8", false, "(4, 3)", doubles({1, 2, 3, 4, 5, NAN, 7, 8, 9, 10, 11, 12})));
  write_bytes(dir + "/inf.npy", npy("<f8", false, "(4, 3)", doubles({1, 2, 3, 4, 5, 6, 7, 8, INFINITY, 10, 11, 12})));
  write_bytes(dir + "/complex.npy", npy("<c16", false, "(4, 3)", std::string(4 * 3 * 16, '\0')));
  write_bytes(dir + "/fortran.npy", npy("<f8", true, "(4, 3)", doubles({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})));
  write_bytes(dir + "/badmagic.npy", "NOTNUMPY at all");
  write_bytes(dir + "/ragged.csv", "1,2,3\n4,5\n7,8,9\n1,1,1\n");
  write_bytes(dir + "/text.csv", "1,2,3\n4,five,6\n7,8,9\n1,1,1\n");
  write_bytes(dir + "/empty.csv", "");
  write_bytes(dir + "/y.csv", "1\n0\n1\n0\n");
  write_bytes(dir + "/badmagic.idx", std::string("\x00\x00\x07\x03\x00\x00\x00\x01", 8));
  write_bytes(dir + "/trunc.idx",
              std::string("\x00\x00\x08\x03\x00\x00\x00\x04\x00\x00\x00\x02\x00\x00\x00\x02\x01", 17));
  write_bytes(dir + "/labels.idx", std::string("\x00\x00\x08\x01\x00\x00\x00\x04\x01\x02\x03\x04", 12));
  const double xc[] = {1, 1, 1, 2, 3, 4, 5, 6, 7, 9, 8, 7}, xz[12] = {},
               xd[] = {1e6, 2e6, 3e6, 1e6, 2e6, 3e6, 4e6, 5e6, 6e6, 7e6, 8e6, 8e6};
  write_npy(dir + "/x_constant_row.npy", {4, 3}, xc);
  write_npy(dir + "/x_zero.npy", {4, 3}, xz);
  write_npy(dir + "/x_duplicate.npy", {4, 3}, xd);
  write_bytes(dir + "/y_huge_label.npy", npy("<i8", false, "(4,)", [] {
                std::string b;
                for (long long v : {0LL, 1LL, 1000000000000LL, 1LL}) b.append(reinterpret_cast<const char*>(&v), 8);
                return b;
              }()));
  write_bytes(dir + "/binary.toml", std::string("[data]\nn_train=\x01\x02\x1b[31m\xff\xfe\n", 22));
  mkfifo((dir + "/fifo.npy").c_str(), 0644);  // would block a reader that opens it
  fs::create_directories(dir + "/a_folder.npy");
  fs::create_directories(dir + "/occupied");
  write_bytes(dir + "/occupied/keep.txt", "mine");
  fs::create_directories(dir + "/no_checkpoint");
  // The hostile battery's classes (#30): csv rows with a hole or a typo (not a header), targets with more rows than
  // the inputs, too few test rows, inputs too small or too large for their kernels, an IDX file with no rows.
  write_bytes(dir + "/hole.csv", "1,,3\n4,5,6\n7,8,9\n1,2,2\n");
  write_bytes(dir + "/typo.csv", "1,2,5x\n4,5,6\n7,8,9\n1,2,2\n");
  write_bytes(dir + "/x4.csv", "1,2,3\n4,5,6\n7,8,9\n1,2,2\n");
  write_bytes(dir + "/y5.csv", "1\n0\n1\n0\n1\n");
  const double y5[] = {1, 0, 1, 0, 1}, tiny[] = {1e-310, 2e-310, 3e-310, 1e-310, 2e-310, 5e-310,
                                                 3e-310, 2e-310, 1e-310, 4e-310, 1e-310, 2e-310};
  const double huge[] = {1e200, 2e200, 3e200, 1e200, 2e200, 5e200, 3e200, 2e200, 1e200, 4e200, 1e200, 2e200};
  write_npy(dir + "/y5.npy", {5, 1}, y5);
  write_npy(dir + "/x_tiny.npy", {4, 3}, tiny);
  write_npy(dir + "/x_huge.npy", {4, 3}, huge);
  write_npy(dir + "/xt1.npy", {1, 3}, x6);
  write_bytes(dir + "/zero_rows.idx",
              std::string("\x00\x00\x08\x03\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00\x02", 16));
  write_bytes(dir + "/labels0.idx", std::string("\x00\x00\x08\x01\x00\x00\x00\x00", 8));

  std::vector<Case> cases = {
      // TOML syntax
      {"unclosed table header", "[data\nn_train=4\n", "", "TOML syntax error"},
      {"double equals", "[data]\nn_train == 4\n", "", "TOML syntax error"},
      {"duplicate key", "[data]\nn_train=4\nn_train=5\n", "", "TOML syntax error"},
      {"unterminated string", "[model]\nactivation='relu\n", "", "TOML syntax error"},
      // unknown or misspelt keys
      {"misspelt key", with("[theory]\nmethd='auto'\n"), "", "did you mean"},
      {"misspelt section", std::string(kOk) + "[sampeler]\nthin=2\n", "", "sampeler"},
      {"misspelt activation key", with("[posterior]\nbetta=1.0\n"), "", "did you mean"},
      {"unknown --set key", kOk, "--set sampler.chain=4", "chain"},
      {"malformed --set", kOk, "--set sampler.chains", "--set"},
      // wrong types
      {"string for an integer", kOk, "--set sampler.chains='many'", "chains"},
      {"scalar for a list", kOk, "--set model.widths=16", "widths"},
      {"string for a number", kOk, "--set posterior.beta='high'", "beta"},
      {"integer for a bool", kOk, "--set sampler.adapt=1", "adapt"},
      {"mixed list", kOk, "--set model.sigma=[1.0,'a',1.0]", "sigma"},
      // out of range or not allowed
      {"zero chains", kOk, "--set sampler.chains=0", "chains"},
      {"negative beta", kOk, "--set posterior.beta=-1.0", "beta"},
      {"zero step size", kOk, "--set sampler.step_size=0.0", "step_size"},
      {"zero width", kOk, "--set model.widths=[0,4]", "widths"},
      {"groups not dividing chains", kOk, "--set sampler.groups=3", "groups"},
      {"zero thin", kOk, "--set sampler.thin=0", "thin"},
      {"too few theory draws", kOk, "--set theory.draws=1", "draws"},
      {"negative noise", kOk, "--set data.noise=-1.0", "noise"},
      {"unknown activation", kOk, "--set model.activation='softmax'", "activation"},
      {"unknown evaluation", kOk, "--set model.evaluation='fast'", "[model] evaluation"},
      {"weight product of a relu net", kOk, "--set model.evaluation='product' --set model.activation='relu'",
       "[model] evaluation"},
      {"unknown method", kOk, "--set sampler.method='nuts'", "method"},
      {"zero checkpoint period", kOk, "--set output.checkpoint_every=0.0", "checkpoint_every"},
      {"even cnn window", "[data]\nn_train=3\ninput_shape=[5,1]\n[model]\narch='cnn1d'\nwidths=[4]\nwindow=4\n", "",
       "window"},
      {"duplicate kernel input", kOk, "--set output.kernel_inputs=[1,1]", "kernel_inputs"},
      // inconsistent shapes
      {"sigma list of the wrong length", kOk, "--set model.sigma=[1.0,1.0]", "sigma"},
      {"cnn without a spatial shape", "[data]\nn_train=3\ninput_shape=[5]\n[model]\narch='cnn1d'\nwidths=[4]\n", "",
       "input_shape"},
      {"window larger than the input",
       "[data]\nn_train=3\ninput_shape=[3,1]\n[model]\narch='cnn1d'\nwidths=[4]\nwindow=5\n", "", "window"},
      {"x and y row counts differ", npy_config("x.npy", "y3.npy"), "", "rows"},
      {"test inputs of another width", npy_config("x.npy", "y.npy") + "", "--set data.x_test='" + dir + "/xt2.npy'",
       "do not have the per-example shape of"},
      {"kernel input out of range", kOk, "--set output.kernel_inputs=[0,5]", "kernel_inputs"},
      // data files
      {"missing file", npy_config("nope.npy", "y.npy"), "", "nope.npy"},
      {"empty npy", npy_config("empty.npy", "y.npy"), "", "empty.npy"},
      {"FIFO as a data file", npy_config("fifo.npy", "y.npy"), "", "fifo.npy: not a regular file"},
      {"directory as a data file", npy_config("a_folder.npy", "y.npy"), "", "a_folder.npy: not a regular file"},
      {"arrays from the command line", "[data]\nkind='arrays'\n[model]\nwidths=[4]\n", "",
       "kind = \"arrays\": the arrays are passed in memory"},
      {"a path with kind arrays", "[data]\nkind='arrays'\nx='x.npy'\n[model]\nwidths=[4]\n", "", "[data] x"},
      {"device as a csv file", "[data]\nkind='csv'\nx='/dev/zero'\ny='y.csv'\n[model]\nwidths=[4]\n", "",
       "/dev/zero: not a regular file"},
      {"closed form for a deep relu net", kOk, "--set theory.method='closed_form' --set model.activation='relu'",
       "prior_moments"},
      {"truncated npy", npy_config("trunc.npy", "y.npy"), "", "trunc"},
      {"npy with zero rows", npy_config("zero_rows.npy", "y.npy"), "", "zero_rows.npy: the array is empty"},
      {"npy with zero rows, --dry-run", npy_config("zero_rows.npy", "y.npy"), "--dry-run",
       "zero_rows.npy: the array is empty"},
      {"NaN in npy", npy_config("nan.npy", "y.npy"), "", "non-finite value (nan) at index (1, 2)"},
      {"Inf in npy", npy_config("inf.npy", "y.npy"), "", "inf.npy"},
      {"complex npy dtype", npy_config("complex.npy", "y.npy"), "", "<c16"},
      {"Fortran-order npy", npy_config("fortran.npy", "y.npy"), "", "Fortran"},
      {"npy with a bad magic", npy_config("badmagic.npy", "y.npy"), "", "badmagic.npy"},
      {"ragged csv", "[data]\nkind='csv'\nx='ragged.csv'\ny='y.csv'\n[model]\nwidths=[4]\n", "", "ragged.csv"},
      {"non-numeric csv", "[data]\nkind='csv'\nx='text.csv'\ny='y.csv'\n[model]\nwidths=[4]\n", "", "text.csv"},
      {"empty csv", "[data]\nkind='csv'\nx='empty.csv'\ny='y.csv'\n[model]\nwidths=[4]\n", "", "empty.csv"},
      {"IDX with a bad magic", "[data]\nkind='idx'\nx='badmagic.idx'\ny='labels.idx'\n[model]\nwidths=[4]\n", "",
       "badmagic.idx"},
      {"truncated IDX", "[data]\nkind='idx'\nx='trunc.idx'\ny='labels.idx'\n[model]\nwidths=[4]\n", "", "trunc.idx"},
      // degenerate data (input errors, not all-zero kernels)
      {"constant example under centring", npy_config("x_constant_row.npy", "y.npy"),
       "--set data.normalize='center_unit'", "example 0 is constant"},
      {"all inputs zero", npy_config("x_zero.npy", "y.npy"), "--set data.normalize='none'", "every input is zero"},
      {"singular Gamma", npy_config("x_duplicate.npy", "y.npy"),
       "--set data.normalize='none' --set posterior.beta=1e12", "Gamma = K_out + I/beta is singular"},
      {"huge class label", npy_config("x.npy", "y_huge_label.npy"), "", "class label 1000000000000 at index 2"},
      // silent wrong results (#30 class 1): refused, naming the file, line, column or key
      {"csv row with a hole is not a header", "[data]\nkind='csv'\nx='hole.csv'\ny='y.csv'\n[model]\nwidths=[4]\n", "",
       "hole.csv:1: column 2 holds an empty field, not a number"},
      {"csv row with a typo is not a header", "[data]\nkind='csv'\nx='typo.csv'\ny='y.csv'\n[model]\nwidths=[4]\n", "",
       "typo.csv:1: column 3 holds '5x', not a number"},
      {"y with more rows than x (npy)", npy_config("x.npy", "y5.npy"), "", "y5.npy: has 5 rows but"},
      {"y with more rows than x (csv)", "[data]\nkind='csv'\nx='x4.csv'\ny='y5.csv'\n[model]\nwidths=[4]\n", "",
       "y5.csv: has 5 rows but"},
      {"n_test beyond the test file", npy_config("x.npy", "y.npy"),
       "--set data.x_test='" + dir + "/xt1.npy' --set data.n_test=3", "[data] n_test = 3 but the file has 1 rows"},
      {"inputs whose kernels underflow", npy_config("x_tiny.npy", "y.npy"), "--set data.normalize='none'",
       "x_tiny.npy: example 0 has x.x / n0 ="},
      {"inputs whose kernels overflow", npy_config("x_huge.npy", "y.npy"), "--set data.normalize='none'",
       "x_huge.npy: example 0 has x.x / n0 ="},
      {"csv_header on an npy file", npy_config("x.npy", "y.npy"), "--set data.csv_header=true", "csv_header"},
      {"resize on synthetic data", kOk, "--set data.resize=[2,2]", "[data] resize"},
      // NaN results (#30 class 2) refused up front, naming model.sigma
      {"sigma whose kernels overflow", kOk, "--set model.sigma=1e6", "[model] sigma"},
      {"sigma whose kernels underflow", kOk, "--set model.sigma=1e-300", "[model] sigma"},
      // crashes (#30 class 4): no rows
      {"IDX with zero rows", "[data]\nkind='idx'\nx='zero_rows.idx'\ny='labels0.idx'\n[model]\nwidths=[4]\n", "",
       "zero_rows.idx: has no rows"},
      // messages that name the key (#30 class 7)
      {"samples whose traces do not fit", kOk, "--set sampler.samples=1000000000", "[sampler] samples = 1000000000"},
      {"resume with --dry-run", "", "@resume:no_checkpoint --dry-run", "--dry-run"},
      // messages that name the right thing
      {"folder as the config", "@@a_folder.npy", "", "not a config file"},
      {"binary config", "@@binary.toml", "", "binary.toml"},
      {"100 KB --set key", kOk, "--set sampler." + std::string(100000, 'k') + "=1", "more bytes"},
      {"one chain does not fit", kOk,
       "--set model.widths=[300000,300000] --set data.targets='noise' --set sampler.chains=4",
       "[model] widths = [300000,300000]: one chain needs"},
      // impossible requests
      {"more memory than the machine has", kOk,
       "--set model.widths=[6000,6000] --set data.targets='noise' --set sampler.chains=4096 --set sampler.groups=32",
       "GiB available"},
      {"teacher network too big", kOk, "--set model.widths=[60000,60000]", "teacher"},
      {"a GPU demanded where none answers", kOk, "--set sampler.device='cuda'", "device"},
      // output directory
      {"occupied output dir without --force", kOk, "@occupied", "--force"},
      {"output dir that cannot be created", kOk, "@/proc/fwmc_cannot_exist/out", "cannot create"},
      {"resume without a checkpoint", "", "@resume:no_checkpoint", "holds no run to resume"},
      {"resume into another --out", "", "@resume:no_checkpoint --out " + dir + "/elsewhere", "own folder"},
  };
  ASSERT_GE(cases.size(), 40u);
  if (!cuda_devices().empty())  // on a GPU machine a demanded GPU answers: not an error there
    cases.erase(
        std::remove_if(cases.begin(), cases.end(),
                       [](const auto& c) { return c.name == std::string("a GPU demanded where none answers"); }),
        cases.end());
  int n = 0;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    std::string cfg = dir + "/c" + std::to_string(n) + ".toml";
    const std::string out = dir + "/out" + std::to_string(n++);
    std::string cmd;
    if (c.extra_args.rfind("@resume:", 0) == 0) {
      cmd = "run --resume " + dir + "/" + c.extra_args.substr(8);
    } else {
      if (c.config.rfind("@@", 0) == 0)
        cfg = dir + "/" + c.config.substr(2);  // an existing file or folder
      else
        write_text(cfg, c.config);
      std::string target = out, extra = c.extra_args;
      if (!extra.empty() && extra[0] == '@') {
        target = extra[1] == '/' ? extra.substr(1) : dir + "/" + extra.substr(1);
        extra.clear();
      }
      cmd = "run " + cfg + " --out " + target + " " + extra;
    }
    const CmdResult r = run_fwmc(cmd);
    EXPECT_EQ(r.code, 2) << r.output;
    EXPECT_NE(r.output.find(c.expect), std::string::npos) << r.output;
    // One line: the error, nothing else (no progress, no stack of messages).
    EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
    // Readable: no raw control or binary bytes echoed to the terminal, and short.
    EXPECT_LT(r.output.size(), 700u) << r.output.substr(0, 700);
    for (unsigned char ch : r.output) EXPECT_TRUE(ch >= 0x20 || ch == '\n') << int(ch);
    EXPECT_FALSE(fs::exists(out)) << out;
  }
  // The occupied directory keeps exactly what it had.
  EXPECT_EQ(std::distance(fs::directory_iterator(dir + "/occupied"), fs::directory_iterator()), 1);
  EXPECT_TRUE(fs::is_empty(dir + "/no_checkpoint"));
}
