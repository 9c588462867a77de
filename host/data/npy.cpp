// .npy reader/writer (format version 1.0/2.0/3.0, little-endian, C order).
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <regex>
#include <sstream>

#include "fwmc/atomic_file.hpp"
#include "fwmc/dataset.hpp"
#include "fwmc/errors.hpp"
#include "host/data/stream_bytes.hpp"

namespace fwmc {

NpyArray read_npy(const std::string& path) {
  std::ifstream in = open_data_file(path, std::ios::binary, std::uintmax_t(128) << 30);
  return parse_npy(in, path);
}

namespace {

// The header's length after the magic and version (2 bytes in format 1.0, 4 in 2.0 and 3.0).
std::uint32_t header_length(std::istream& in, const std::string& path) {
  char magic[8];
  if (!in.read(magic, 8) || std::memcmp(magic, "\x93NUMPY", 6) != 0)
    throw InputError(path + ": not an .npy file (bad magic)");
  const int n = magic[6] == 1 ? 2 : 4;
  unsigned char b[4] = {0, 0, 0, 0};
  if (!in.read(reinterpret_cast<char*>(b), n)) throw InputError(path + ": truncated header");
  const std::uint32_t hlen = b[0] | (b[1] << 8) | (b[2] << 16) | (static_cast<std::uint32_t>(b[3]) << 24);
  if (hlen > (1u << 20)) throw InputError(path + ": header too long");
  return hlen;
}

// The header's shape tuple into a.shape; returns the element count.
std::size_t parse_shape(const std::string& dims, const std::string& path, NpyArray& a) {
  std::stringstream ss(dims);
  std::string tok;
  std::size_t count = 1;
  while (std::getline(ss, tok, ',')) {
    if (tok.find_first_not_of(' ') == std::string::npos) continue;
    char* end = nullptr;
    const long v = std::strtol(tok.c_str(), &end, 10);
    while (*end == ' ' || *end == 'L') ++end;
    if (end == tok.c_str() || *end != '\0') throw InputError(path + ": bad shape entry '" + tok + "'");
    if (v < 0) throw InputError(path + ": negative dimension");
    if (v > (1L << 34) || (v > 0 && count > (std::size_t(1) << 34) / static_cast<std::size_t>(v)))
      throw InputError(path + ": array too large");
    a.shape.push_back(static_cast<std::size_t>(v));
    count *= static_cast<std::size_t>(v);
  }
  if (count > (std::size_t(1) << 34)) throw InputError(path + ": array too large");
  if (count == 0) throw InputError(path + ": the array is empty (shape (" + dims + ")): no data to use");
  return count;
}

// The dtypes fwmc reads (little-endian or native).
struct Dtype {
  const char* descr[2];
  std::size_t item;
  char kind;  // d f l i b
};
constexpr Dtype kDtypes[] = {{{"<f8", "=f8"}, 8, 'd'},
                             {{"<f4", "=f4"}, 4, 'f'},
                             {{"<i8", "=i8"}, 8, 'l'},
                             {{"<i4", "=i4"}, 4, 'i'},
                             {{"|u1", "|u1"}, 1, 'b'}};

template <class V>
double load_as_double(const char* p) {
  V v;
  std::memcpy(&v, p, sizeof v);
  return static_cast<double>(v);
}

double value_at(const char* p, char kind) {
  switch (kind) {
    case 'd':
      return load_as_double<double>(p);
    case 'f':
      return load_as_double<float>(p);
    case 'l':
      return load_as_double<std::int64_t>(p);
    case 'i':
      return load_as_double<std::int32_t>(p);
    default:
      return load_as_double<unsigned char>(p);
  }
}

}  // namespace

NpyArray parse_npy(std::istream& in, const std::string& path) {
  const std::uint32_t hlen = header_length(in, path);
  std::string header(hlen, '\0');
  if (!in.read(header.data(), hlen)) throw InputError(path + ": truncated header");
  std::smatch m;
  if (!std::regex_search(header, m, std::regex("'descr'\\s*:\\s*'([^']*)'")))
    throw InputError(path + ": header has no descr");
  const std::string descr = m[1];
  if (std::regex_search(header, m, std::regex("'fortran_order'\\s*:\\s*(True|False)")) && m[1] == "True")
    throw InputError(path + ": Fortran-order arrays are not supported (save with np.ascontiguousarray)");
  if (!std::regex_search(header, m, std::regex("'shape'\\s*:\\s*\\(([^)]*)\\)")))
    throw InputError(path + ": header has no shape");
  NpyArray a;
  const std::size_t count = parse_shape(m[1], path, a);
  const Dtype* dt = nullptr;
  for (const Dtype& d : kDtypes)
    if (descr == d.descr[0] || descr == d.descr[1]) dt = &d;
  if (!dt) throw InputError(path + ": unsupported dtype '" + descr + "' (use float32, float64, int32, int64 or uint8)");
  if (remaining_bytes(in) < count * dt->item)
    throw InputError(path + ": truncated data (expected " + std::to_string(count) + " values)");
  std::vector<char> raw(count * dt->item);
  if (!in.read(raw.data(), static_cast<std::streamsize>(raw.size())))
    throw InputError(path + ": truncated data (expected " + std::to_string(count) + " values)");
  a.data.resize(count);
  a.integer = dt->kind == 'l' || dt->kind == 'i' || dt->kind == 'b';
  for (std::size_t i = 0; i < count; ++i) a.data[i] = value_at(raw.data() + i * dt->item, dt->kind);
  return a;
}

std::string npy_bytes(const std::vector<std::size_t>& shape, const double* data) {
  std::string dims;
  std::size_t count = 1;
  for (auto s : shape) {
    dims += std::to_string(s) + ", ";
    count *= s;
  }
  if (shape.size() > 1) dims.resize(dims.size() - 2);
  std::string header = "{'descr': '<f8', 'fortran_order': False, 'shape': (" + dims + "), }";
  const std::size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header.push_back('\n');
  std::string blob("\x93NUMPY\x01\x00", 8);
  blob.push_back(static_cast<char>(header.size() & 0xff));
  blob.push_back(static_cast<char>(header.size() >> 8));
  blob += header;
  blob.append(reinterpret_cast<const char*>(data), count * sizeof(double));
  return blob;
}

void write_npy(const std::string& path, const std::vector<std::size_t>& shape, const double* data) {
  write_file_atomic(path, npy_bytes(shape, data));
}

void write_matrix_npy(const std::string& path, const Eigen::MatrixXd& m) {
  Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> r = m;
  write_npy(path, {static_cast<std::size_t>(m.rows()), static_cast<std::size_t>(m.cols())}, r.data());
}

void write_tensor_npy(const std::string& path, const std::vector<std::size_t>& shape, const std::vector<double>& v) {
  write_npy(path, shape, v.data());
}

}  // namespace fwmc
