// Plain-text (.csv) and MNIST IDX readers.
#include <cmath>
#include <fstream>
#include <sstream>

#include "fwmc/dataset.hpp"
#include "fwmc/errors.hpp"
#include "host/data/stream_bytes.hpp"

namespace fwmc {

NpyArray read_csv(const std::string& path) {
  // Text is parsed into doubles (8 bytes per number of ~2-20 characters): cap it well below the memory it needs.
  std::ifstream in = open_data_file(path, std::ios::in, std::uintmax_t(4) << 30);
  return parse_csv(in, path);
}

NpyArray parse_csv(std::istream& in, const std::string& path) {
  NpyArray a;
  std::string line;
  std::size_t cols = 0, rows = 0, lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos || line[0] == '#') continue;
    std::vector<double> vals;
    std::stringstream ss(line);
    std::string cell;
    bool numeric = true;
    while (std::getline(ss, cell, ',')) {
      char* end = nullptr;
      const char* s = cell.c_str();
      double v = std::strtod(s, &end);
      while (end && (*end == ' ' || *end == '\t')) ++end;
      if (end == s || (end && *end != '\0')) {
        numeric = false;
        break;
      }
      vals.push_back(v);
    }
    if (!numeric) {
      if (rows == 0 && cols == 0) {
        cols = static_cast<std::size_t>(-1);
        continue;
      }  // header line
      throw InputError(path + ":" + std::to_string(lineno) + ": non-numeric value '" + cell + "'");
    }
    if (cols == 0 || cols == static_cast<std::size_t>(-1)) cols = vals.size();
    if (vals.size() != cols)
      throw InputError(path + ":" + std::to_string(lineno) + ": expected " + std::to_string(cols) + " columns, got " +
                       std::to_string(vals.size()));
    a.data.insert(a.data.end(), vals.begin(), vals.end());
    ++rows;
  }
  if (rows == 0) throw InputError(path + ": no data rows");
  a.shape = {rows, cols};
  return a;
}

NpyArray read_idx(const std::string& path) {
  std::ifstream in = open_data_file(path, std::ios::binary, std::uintmax_t(64) << 30);
  return parse_idx(in, path);
}

NpyArray parse_idx(std::istream& in, const std::string& path) {
  unsigned char h[4];
  if (!in.read(reinterpret_cast<char*>(h), 4)) throw InputError(path + ": truncated IDX header");
  if (h[0] != 0 || h[1] != 0 || h[2] != 0x08 || h[3] < 1 || h[3] > 4)
    throw InputError(path + ": bad IDX magic number (expected unsigned-byte data, 0x0000080N)");
  NpyArray a;
  std::size_t count = 1;
  for (int i = 0; i < h[3]; ++i) {
    unsigned char b[4];
    if (!in.read(reinterpret_cast<char*>(b), 4)) throw InputError(path + ": truncated IDX header");
    const std::size_t d = (std::size_t(b[0]) << 24) | (std::size_t(b[1]) << 16) | (std::size_t(b[2]) << 8) | b[3];
    if (d > 0 && count > (std::size_t(1) << 34) / d) throw InputError(path + ": IDX array too large");
    a.shape.push_back(d);
    count *= d;
  }
  if (remaining_bytes(in) < count)
    throw InputError(path + ": truncated IDX data (expected " + std::to_string(count) + " bytes)");
  std::vector<unsigned char> raw(count);
  if (!in.read(reinterpret_cast<char*>(raw.data()), static_cast<std::streamsize>(count)))
    throw InputError(path + ": truncated IDX data (expected " + std::to_string(count) + " bytes)");
  a.data.assign(raw.begin(), raw.end());
  a.integer = true;
  return a;
}

NpyArray box_resize(const NpyArray& img, int h, int w) {
  if (img.shape.size() < 3) throw InputError("resize needs images of shape (P, H, W[, C])");
  const std::size_t P = img.shape[0], H = img.shape[1], W = img.shape[2];
  const std::size_t C = img.shape.size() > 3 ? img.shape[3] : 1;
  // Area weights: output cell o covers [o*in/out, (o+1)*in/out) of the input axis.
  auto weights = [](std::size_t in, std::size_t out) {
    std::vector<std::vector<double>> m(out, std::vector<double>(in, 0.0));
    const double r = double(in) / out;
    for (std::size_t o = 0; o < out; ++o) {
      const double lo = o * r, hi = (o + 1) * r;
      for (std::size_t i = 0; i < in; ++i) {
        double ov = std::min(hi, double(i + 1)) - std::max(lo, double(i));
        if (ov > 0) m[o][i] = ov / r;
      }
    }
    return m;
  };
  auto wh = weights(H, h), ww = weights(W, w);
  NpyArray out;
  out.shape = img.shape;
  out.shape[1] = h;
  out.shape[2] = w;
  out.data.assign(P * h * w * C, 0.0);
  for (std::size_t p = 0; p < P; ++p)
    for (int oh = 0; oh < h; ++oh)
      for (int ow = 0; ow < w; ++ow)
        for (std::size_t c = 0; c < C; ++c) {
          double s = 0;
          for (std::size_t ih = 0; ih < H; ++ih) {
            if (wh[oh][ih] == 0) continue;
            for (std::size_t iw = 0; iw < W; ++iw)
              s += wh[oh][ih] * ww[ow][iw] * img.data[((p * H + ih) * W + iw) * C + c];
          }
          out.data[((p * h + oh) * w + ow) * C + c] = s;
        }
  return out;
}

}  // namespace fwmc
