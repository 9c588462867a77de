// Opening data files safely, and the bytes left in a stream, so that parsers can refuse a header that promises more
// data than the file holds before allocating for it.
#pragma once
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <istream>
#include <string>

#include "fwmc/errors.hpp"

namespace fwmc {

// Opens a data file after checking, without opening it, that it is a regular file of at most max_bytes: a FIFO
// would block in open() and a device such as /dev/zero never ends.
inline std::ifstream open_data_file(const std::string& path, std::ios::openmode mode, std::uintmax_t max_bytes) {
  std::error_code ec;
  const auto st = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(st)) throw InputError(path + ": cannot open (no such file)");
  if (!std::filesystem::is_regular_file(st))
    throw InputError(path + ": not a regular file (a directory, FIFO or device); give a data file");
  const auto size = std::filesystem::file_size(path, ec);
  if (!ec && size > max_bytes)
    throw InputError(path + ": " + std::to_string(size >> 20) + " MiB is more than this reader takes (" +
                     std::to_string(max_bytes >> 20) + " MiB)");
  std::ifstream in(path, mode);
  if (!in) throw InputError(path + ": cannot open");
  return in;
}

inline std::size_t remaining_bytes(std::istream& in) {
  const auto here = in.tellg();
  if (here < 0) return 0;
  in.seekg(0, std::ios::end);
  const auto end = in.tellg();
  in.seekg(here);
  return end > here ? static_cast<std::size_t>(end - here) : 0;
}

}  // namespace fwmc
