// Loaders, normalisations and the synthetic generator.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "fwmc/config.hpp"
#include "fwmc/dataset.hpp"
#include "fwmc/errors.hpp"
#include "test_helpers.hpp"

using namespace fwmc;
using fwmc::test::temp_dir;
using fwmc::test::write_text;

namespace {

// A raw .npy with any descr/header, for malformed-file cases.
void write_raw_npy(const std::string& path, const std::string& dict, const std::string& payload) {
  std::string header = dict;
  header.append((64 - (10 + header.size() + 1) % 64) % 64, ' ');
  header.push_back('\n');
  std::string blob("\x93NUMPY\x01\x00", 8);
  blob.push_back(static_cast<char>(header.size() & 0xff));
  blob.push_back(static_cast<char>(header.size() >> 8));
  std::ofstream(path, std::ios::binary) << blob << header << payload;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

void write_idx(const std::string& path, std::vector<int> dims, const std::vector<unsigned char>& v, int magic3 = 0x08) {
  std::ofstream o(path, std::ios::binary);
  unsigned char h[4] = {0, 0, static_cast<unsigned char>(magic3), static_cast<unsigned char>(dims.size())};
  o.write(reinterpret_cast<char*>(h), 4);
  for (int d : dims) {
    unsigned char b[4] = {static_cast<unsigned char>(d >> 24), static_cast<unsigned char>(d >> 16),
                          static_cast<unsigned char>(d >> 8), static_cast<unsigned char>(d)};
    o.write(reinterpret_cast<char*>(b), 4);
  }
  o.write(reinterpret_cast<const char*>(v.data()), static_cast<std::streamsize>(v.size()));
}

}  // namespace

TEST(Npy, RoundTripFloat64) {
  auto dir = temp_dir("npy");
  std::vector<double> v = {1.5, -2, 3, 4, 5, 6.25};
  write_npy(dir + "/a.npy", {2, 3}, v.data());
  NpyArray a = read_npy(dir + "/a.npy");
  EXPECT_EQ(a.shape, (std::vector<std::size_t>{2, 3}));
  EXPECT_EQ(a.data, v);
}

TEST(Npy, Float32AndErrors) {
  auto dir = temp_dir("npy");
  float f[4] = {1, 2, 3, 4.5f};
  write_raw_npy(dir + "/f.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }",
                std::string(reinterpret_cast<char*>(f), sizeof f));
  EXPECT_DOUBLE_EQ(read_npy(dir + "/f.npy").data[3], 4.5);
  write_raw_npy(dir + "/fo.npy", "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }",
                std::string(reinterpret_cast<char*>(f), sizeof f));
  EXPECT_NE(error_of([&] { read_npy(dir + "/fo.npy"); }).find("Fortran"), std::string::npos);
  write_raw_npy(dir + "/tr.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }",
                std::string(reinterpret_cast<char*>(f), sizeof f));
  EXPECT_NE(error_of([&] { read_npy(dir + "/tr.npy"); }).find("truncated"), std::string::npos);
  write_raw_npy(dir + "/c.npy", "{'descr': '<c16', 'fortran_order': False, 'shape': (1,), }", std::string(16, '\0'));
  EXPECT_NE(error_of([&] { read_npy(dir + "/c.npy"); }).find("unsupported dtype '<c16'"), std::string::npos);
  write_text(dir + "/bad.npy", "hello");
  EXPECT_NE(error_of([&] { read_npy(dir + "/bad.npy"); }).find("bad magic"), std::string::npos);
  EXPECT_NE(error_of([&] { read_npy(dir + "/missing.npy"); }).find("cannot open"), std::string::npos);
}

TEST(Data, NaNIsReportedWithItsIndex) {
  auto dir = temp_dir("nan");
  std::vector<double> x = {1, 2, 3, 4, NAN, 6}, y = {1, 2, 3};
  write_npy(dir + "/x.npy", {3, 2}, x.data());
  write_npy(dir + "/y.npy", {3}, y.data());
  Config c = parse_config("[data]\nkind='npy'\nx='" + dir + "/x.npy'\ny='" + dir + "/y.npy'\n", "t.toml");
  std::string e = error_of([&] { load_dataset(c); });
  EXPECT_NE(e.find("x.npy: non-finite value"), std::string::npos) << e;
  EXPECT_NE(e.find("(2, 0)"), std::string::npos) << e;
}

TEST(Data, NpyInputsWithTestSetAndIntegerLabels) {
  auto dir = temp_dir("npyds");
  std::vector<double> x(5 * 3), xt(2 * 3), lab = {0, 2, 1, 2, 0};
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = std::sin(double(i));
  for (std::size_t i = 0; i < xt.size(); ++i) xt[i] = std::cos(double(i));
  write_npy(dir + "/x.npy", {5, 3}, x.data());
  write_npy(dir + "/xt.npy", {2, 3}, xt.data());
  // Integer labels -> one-hot (int64 file).
  std::vector<long long> li(lab.begin(), lab.end());
  write_raw_npy(dir + "/y.npy", "{'descr': '<i8', 'fortran_order': False, 'shape': (5,), }",
                std::string(reinterpret_cast<char*>(li.data()), li.size() * 8));
  Config c = parse_config(
      "[data]\nkind='npy'\nx='" + dir + "/x.npy'\ny='" + dir + "/y.npy'\nx_test='" + dir + "/xt.npy'\n", "t.toml");
  Dataset d = load_dataset(c);
  EXPECT_EQ(d.P, 5);
  EXPECT_EQ(d.P_test, 2);
  EXPECT_EQ(d.n_out(), 3);
  EXPECT_EQ(d.Y(1, 2), 1.0);
  EXPECT_DOUBLE_EQ(d.X(6, 2), std::cos(5.0));
  c.data.n_train = 9;
  EXPECT_NE(error_of([&] { load_dataset(c); }).find("n_train = 9"), std::string::npos);
}

TEST(Data, ArraysInMemoryLoadAsTheSameNpyFilesAndHashAsTheirBytes) {
  auto dir = temp_dir("arrays");
  std::vector<double> x(5 * 3), xt(2 * 3), y = {0.5, -1, 2, 0, 1};
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = std::sin(double(i));
  for (std::size_t i = 0; i < xt.size(); ++i) xt[i] = std::cos(double(i));
  write_npy(dir + "/x.npy", {5, 3}, x.data());
  write_npy(dir + "/xt.npy", {2, 3}, xt.data());
  write_npy(dir + "/y.npy", {5, 1}, y.data());
  const std::string rest = "normalize='center_unit'\n[model]\nwidths=[4]\n";
  const Config files = parse_config(
      "[data]\nkind='npy'\nx='" + dir + "/x.npy'\ny='" + dir + "/y.npy'\nx_test='" + dir + "/xt.npy'\n" + rest, "f");
  const Config mem = parse_config("[data]\nkind='arrays'\n" + rest, "m");
  const InputArrays a{read_npy(dir + "/x.npy"), read_npy(dir + "/y.npy"), read_npy(dir + "/xt.npy")};
  const Dataset df = load_dataset(files), dm = load_dataset(mem, &a);
  EXPECT_EQ(dm.P, 5);
  EXPECT_EQ(dm.P_test, 2);
  EXPECT_TRUE(dm.X == df.X);  // bitwise, after the same normalisation
  EXPECT_TRUE(dm.Y == df.Y);
  // The provenance of arrays: the hashes of the .npy files they would be.
  const auto h = input_array_hashes(a);
  ASSERT_EQ(h.size(), 3u);
  const char* names[] = {"/x.npy", "/y.npy", "/xt.npy"};
  for (int i = 0; i < 3; ++i) {
    std::uintmax_t bytes = 0;
    EXPECT_EQ(h[i].fnv1a, file_fnv1a(dir + names[i], &bytes)) << i;
    EXPECT_EQ(h[i].bytes, bytes);
    EXPECT_EQ(h[i].path, "<array>");
  }
  // Without test inputs there is no x_test; without arrays, kind = "arrays" is an input error.
  const InputArrays no_test{a.x, a.y, {}};
  EXPECT_EQ(load_dataset(mem, &no_test).P_test, 0);
  EXPECT_EQ(input_array_hashes(no_test).size(), 2u);
  EXPECT_NE(error_of([&] { load_dataset(mem); }).find("passed in memory"), std::string::npos);
  InputArrays bad = a;
  bad.x.data[4] = NAN;
  EXPECT_NE(error_of([&] { load_dataset(mem, &bad); }).find("data.x (array)"), std::string::npos);
}

TEST(Data, CsvWithHeaderAndErrors) {
  auto dir = temp_dir("csv");
  write_text(dir + "/x.csv", "a,b\n1,2\n3,4\n5,6\n");
  write_text(dir + "/y.csv", "1\n0\n1\n");
  Config c = parse_config("[data]\nkind='csv'\nx='" + dir + "/x.csv'\ny='" + dir + "/y.csv'\n", "t.toml");
  Dataset d = load_dataset(c);
  EXPECT_EQ(d.P, 3);
  EXPECT_EQ(d.X(2, 1), 6.0);
  write_text(dir + "/bad.csv", "1,2\n3\n");
  EXPECT_NE(error_of([&] { read_csv(dir + "/bad.csv"); }).find("bad.csv:2: expected 2 columns"), std::string::npos);
  write_text(dir + "/nn.csv", "1,2\n3,x\n");
  EXPECT_NE(error_of([&] { read_csv(dir + "/nn.csv"); }).find("nn.csv:2: column 2 holds 'x', not a number"),
            std::string::npos);
  write_text(dir + "/empty.csv", "");
  EXPECT_NE(error_of([&] { read_csv(dir + "/empty.csv"); }).find("no data rows"), std::string::npos);
}

TEST(Data, IdxImagesLabelsResize) {
  auto dir = temp_dir("idx");
  std::vector<unsigned char> img(3 * 4 * 4);
  for (std::size_t i = 0; i < img.size(); ++i) img[i] = static_cast<unsigned char>(i * 5 % 256);
  write_idx(dir + "/img.idx", {3, 4, 4}, img);
  write_idx(dir + "/lab.idx", {3}, {7, 1, 3});
  Config c =
      parse_config("[data]\nkind='idx'\nx='" + dir + "/img.idx'\ny='" + dir + "/lab.idx'\nresize=[2,2]\n", "t.toml");
  Dataset d = load_dataset(c);
  EXPECT_EQ(d.dim(), 4);
  EXPECT_EQ(d.n_out(), 8);
  EXPECT_EQ(d.Y(0, 7), 1.0);
  // 4x4 -> 2x2 box: each output pixel is the mean of a 2x2 block.
  const double expect = (img[0] + img[1] + img[4] + img[5]) / 4.0;
  EXPECT_NEAR(d.X(0, 0), expect, 1e-12);
  write_idx(dir + "/badmagic.idx", {3}, {1, 2, 3}, 0x0D);
  EXPECT_NE(error_of([&] { read_idx(dir + "/badmagic.idx"); }).find("bad IDX magic"), std::string::npos);
}

TEST(Data, BoxResizeNonIntegerRatioPreservesMean) {
  NpyArray a;
  a.shape = {1, 3, 3};
  a.data = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  NpyArray r = resize_images(a, 2, 2, ResizeMethod::area);
  double m = 0;
  for (double v : r.data) m += v / 4;
  EXPECT_NEAR(m, 5.0, 1e-12);
  EXPECT_NEAR(r.data[0], (1 + 0.5 * 2 + 0.5 * 4 + 0.25 * 5) / 2.25, 1e-12);
}

TEST(Data, Normalisations) {
  Dataset d;
  d.P = 3;
  d.P_test = 1;
  d.X = Eigen::MatrixXd::Random(4, 5) * 3 + Eigen::MatrixXd::Constant(4, 5, 2.0);
  Dataset c = d;
  normalize_inputs(c, Normalize::center_unit);
  for (int i = 0; i < 4; ++i) {
    EXPECT_NEAR(c.X.row(i).mean(), 0, 1e-12);
    EXPECT_NEAR(c.X.row(i).squaredNorm() / 5, 1, 1e-12);
  }
  Dataset l2 = d;
  normalize_inputs(l2, Normalize::center_l2);  // the original code's preprocessing: unit Euclidean norm, G_aa = 1/n0
  for (int i = 0; i < 4; ++i) {
    EXPECT_NEAR(l2.X.row(i).mean(), 0, 1e-12);
    EXPECT_NEAR(l2.X.row(i).squaredNorm(), 1, 1e-12);
    EXPECT_NEAR((l2.X.row(i) * std::sqrt(5.0) - c.X.row(i)).norm(), 0, 1e-12);
  }
  Dataset s = d;
  normalize_inputs(s, Normalize::standardize);
  for (int j = 0; j < 5; ++j) {
    EXPECT_NEAR(s.X.col(j).head(3).mean(), 0, 1e-12);
    EXPECT_NEAR(s.X.col(j).head(3).squaredNorm() / 3, 1, 1e-12);
  }
}

TEST(Data, NormalisationIsScaleFreeAndRefusesDegenerateInputs) {
  Dataset d;
  d.P = 3;
  d.P_test = 1;
  d.X = Eigen::MatrixXd::Random(4, 5) + Eigen::MatrixXd::Constant(4, 5, 0.5);
  for (Normalize mode : {Normalize::center_unit, Normalize::center_l2, Normalize::standardize}) {
    SCOPED_TRACE(name_of(mode));
    Dataset a = d, huge = d;
    huge.X *= 1e300;  // used to overflow to all-zero kernels
    normalize_inputs(a, mode);
    normalize_inputs(huge, mode);
    EXPECT_LT((a.X - huge.X).norm(), 1e-12);
    EXPECT_GT(a.X.norm(), 1.0);
  }
  Dataset row = d;
  row.X.row(1).setConstant(5.0);  // one constant example: centring would make it zero
  EXPECT_THROW(normalize_inputs(row, Normalize::center_unit, "x.npy"), InputError);
  EXPECT_NO_THROW(normalize_inputs(row, Normalize::standardize));
  Dataset flat = d;
  flat.X.rowwise() = d.X.row(0);  // every feature constant over the examples
  EXPECT_THROW(normalize_inputs(flat, Normalize::standardize), InputError);
  Dataset zero = d;
  zero.X.setZero();
  EXPECT_THROW(normalize_inputs(zero, Normalize::none), InputError);
}

TEST(Data, SyntheticIsDeterministicAndTeacherHasSignal) {
  Config c = parse_config("[data]\nn_train=20\nn_test=3\ninput_dim=6\noutput_dim=2\nnoise=0.0\n[model]\nwidths=[50]\n",
                          "t.toml");
  Dataset a = load_dataset(c), b = load_dataset(c);
  EXPECT_EQ(a.X, b.X);
  EXPECT_EQ(a.Y, b.Y);
  EXPECT_EQ(a.N(), 23);
  EXPECT_GT(a.Y.norm(), 1.0);
  c.data.targets = Targets::noise;
  c.data.noise = 0.5;
  Dataset n = load_dataset(c);
  EXPECT_NEAR(n.Y.squaredNorm() / 40, 0.25, 0.25 * 4 * std::sqrt(2.0 / 40));
}
