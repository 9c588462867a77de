// Bytes left in a seekable stream, so that parsers can refuse a header that promises more data than the file
// holds before allocating for it.
#pragma once
#include <cstddef>
#include <istream>

namespace fwmc {

inline std::size_t remaining_bytes(std::istream& in) {
  const auto here = in.tellg();
  if (here < 0) return 0;
  in.seekg(0, std::ios::end);
  const auto end = in.tellg();
  in.seekg(here);
  return end > here ? static_cast<std::size_t>(end - here) : 0;
}

}  // namespace fwmc
