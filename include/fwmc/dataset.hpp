// Training/test data: loaders (npy, csv, IDX), the synthetic generator and normalisations.
#pragma once
#include <cstdint>
#include <istream>
#include <string>
#include <vector>

#include <Eigen/Dense>

#include "fwmc/config.hpp"
#include "fwmc/provenance.hpp"

namespace fwmc {

struct Dataset {
  std::vector<int> input_shape;  // per example: {n0}, {D, c0} or {H, W, c0}
  Eigen::MatrixXd X;             // N x d, training rows first, then test rows; d = prod(input_shape)
  Eigen::MatrixXd Y;             // P x n_d (training targets)
  int P = 0, P_test = 0;
  int N() const { return P + P_test; }
  int dim() const { return static_cast<int>(X.cols()); }
  int n_out() const { return static_cast<int>(Y.cols()); }
  std::string description;
};

// .npy array: shape and values as double (float32/float64/int inputs accepted where noted).
struct NpyArray {
  std::vector<std::size_t> shape;
  std::vector<double> data;  // C order
  bool integer = false;      // the file held an integer dtype
};

// Data given in memory (the Python API's data=...), read in place of files when [data] kind = "arrays".
// An empty x_test (no shape) means no test inputs.
struct InputArrays {
  NpyArray x, y, x_test;
};

// The fingerprints of in-memory data for the provenance record: the bytes write_npy would write, path "<array>".
std::vector<DataFileHash> input_array_hashes(const InputArrays& a);

// Loads (or generates) the data a config describes, validates it against the model and normalises it.
// kind = "arrays" reads `arrays` (an InputError when there are none).
Dataset load_dataset(const Config& c, const InputArrays* arrays = nullptr);
NpyArray read_npy(const std::string& path);
// The parsers behind read_npy/read_csv/read_idx, on any stream (`name` for messages); InputError on bad input.
NpyArray parse_npy(std::istream& in, const std::string& name);
NpyArray parse_csv(std::istream& in, const std::string& name, CsvHeader header = CsvHeader::detect);
NpyArray parse_idx(std::istream& in, const std::string& name);
// Writes float64, C order, via a temporary file and rename (never a half-written file).
void write_npy(const std::string& path, const std::vector<std::size_t>& shape, const double* data);
// The bytes write_npy writes (float64, C order).
std::string npy_bytes(const std::vector<std::size_t>& shape, const double* data);
// Writes an (N, N) matrix or an (N, N, D, D) tensor stored as N*N blocks of D x D (row-major) as float64 .npy.
void write_matrix_npy(const std::string& path, const Eigen::MatrixXd& m);
void write_tensor_npy(const std::string& path, const std::vector<std::size_t>& shape, const std::vector<double>& v);

NpyArray read_csv(const std::string& path, CsvHeader header = CsvHeader::detect);
NpyArray read_idx(const std::string& path);

// The kernel values a run can represent in its precision: inputs, sigmas and activations
// whose kernels leave [lo, hi] are refused before sampling (they would underflow to zero or overflow to NaN).
struct KernelRange {
  double lo, hi;
};
KernelRange representable_kernels(Precision precision);

// (P, H, W[, C]) images to (P, h, w[, C]): area-weighted box averaging, or skimage.transform.resize's defaults
// (Gaussian anti-aliasing, then bilinear sampling, mirror boundaries); values keep their range.
NpyArray resize_images(const NpyArray& images, int h, int w, ResizeMethod method);
// Throws InputError naming `source` when the inputs are degenerate: an example constant under centring, every
// feature constant under standardize, every input zero, or an overflow.
void normalize_inputs(Dataset& d, Normalize mode, const std::string& source = "");

}  // namespace fwmc
