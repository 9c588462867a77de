// Plain-text (.csv) and MNIST IDX readers.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

#include "fwmc/dataset.hpp"
#include "fwmc/errors.hpp"
#include "fwmc/interrupt.hpp"
#include "host/data/stream_bytes.hpp"

namespace fwmc {

NpyArray read_csv(const std::string& path, CsvHeader header) {
  // Text is parsed into doubles (8 bytes per number of ~2-20 characters): cap it well below the memory it needs.
  std::ifstream in = open_data_file(path, std::ios::in, std::uintmax_t(4) << 30);
  return parse_csv(in, path, header);
}

namespace {

// The fields of one line, the value of each and whether it is a number at all ("nan" and "inf" are numbers here:
// the finite check names them later with their index).
void split_fields(const std::string& line, std::vector<std::string>& fields, std::vector<double>& values,
                  std::vector<char>& numeric) {
  fields.clear();
  values.clear();
  numeric.clear();
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = line.find(',', start);
    fields.push_back(line.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  for (const std::string& f : fields) {
    const char* s = f.c_str();
    while (*s == ' ' || *s == '\t') ++s;
    char* end = nullptr;
    const double v = std::strtod(s, &end);
    while (end && (*end == ' ' || *end == '\t')) ++end;
    values.push_back(v);
    numeric.push_back(end != s && *end == '\0');
  }
}

std::string shown_field(const std::string& f) {
  return f.empty() ? std::string("an empty field") : "'" + f.substr(0, 40) + "'";
}

}  // namespace

// Strict: every field of every data row is a number; a header is the first row only, and only when none of its
// fields is a number (or header = present). A row with a hole or a typo is an error naming its line and column,
// never a header dropped in silence (which would shift every x/y pair by one).
NpyArray parse_csv(std::istream& in, const std::string& path, CsvHeader header) {
  NpyArray a;
  std::string line;
  std::vector<std::string> fields;
  std::vector<double> vals;
  std::vector<char> numeric;
  std::size_t cols = 0, rows = 0, lineno = 0;
  bool first = true;
  while (std::getline(in, line)) {
    if (++lineno % 4096 == 0) throw_if_interrupted();  // a large file takes seconds
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos || line[0] == '#') continue;
    split_fields(line, fields, vals, numeric);
    if (first) {
      first = false;
      const bool any_number = std::any_of(numeric.begin(), numeric.end(), [](char n) { return n != 0; });
      if (header == CsvHeader::present || (header == CsvHeader::detect && !any_number)) continue;
    }
    for (std::size_t k = 0; k < vals.size(); ++k)
      if (!numeric[k])
        throw InputError(path + ":" + std::to_string(lineno) + ": column " + std::to_string(k + 1) + " holds " +
                         shown_field(fields[k]) + ", not a number" +
                         (rows == 0 && header == CsvHeader::detect
                              ? " (a header is recognised only when none of its fields is a number; set "
                                "[data] csv_header = true if this row is one)"
                              : ""));
    if (cols == 0) cols = vals.size();
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

}  // namespace fwmc
