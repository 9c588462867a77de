#include "fwmc/messages.hpp"

#include <cstdio>
#include <string>

#include "fwmc/cpu_info.hpp"
#include "fwmc/devices.hpp"
#include "fwmc/version.hpp"

namespace fwmc::jobs {

std::string version_text() {
  std::string s =
      std::string("fwmc ") + kVersion + "\nCUDA backend: " + (cuda_compiled() ? "compiled in" : "not compiled in");
  const CpuIsa isa = detect_isa();
  const BlasInfo blas = blas_info();
  s += "\nCPU: " + isa.name() + "\nBLAS: " + blas.config + "\nBLAS kernels: " + blas.kernel +
       (blas.selected_by == "fwmc" ? " (selected by fwmc; OpenBLAS chose " + blas.replaced + " for this CPU)"
        : blas.selected_by.empty() ? ""
                                   : " (OPENBLAS_CORETYPE)");
  auto devs = cuda_devices();
  s += "\nCUDA devices: " + std::to_string(devs.size());
  for (std::size_t i = 0; i < devs.size(); ++i) s += "\n  [" + std::to_string(i) + "] " + devs[i];
  return s + "\n";
}

std::string printable(const std::string& msg) {
  // Bytes that are not printable text (from a binary file, a pasted escape sequence) are shown as \xNN; a word
  // (a path, a key, a value) longer than 120 bytes is shortened, so that a message stays one readable line.
  std::string out;
  std::size_t word = 0;
  for (std::size_t i = 0; i < msg.size(); ++i) {
    const auto c = static_cast<unsigned char>(msg[i]);
    if (c == ' ')
      word = 0;
    else if (++word > 120) {
      std::size_t j = i;
      while (j < msg.size() && msg[j] != ' ') ++j;
      out += "...(" + std::to_string(j - i) + " more bytes)";
      i = j - 1;
      continue;
    }
    std::size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    bool ok = len == 1 ? (c >= 0x20 && c != 0x7f) : len > 0 && i + len <= msg.size();
    for (std::size_t k = 1; ok && k < len; ++k) ok = (static_cast<unsigned char>(msg[i + k]) >> 6) == 2;
    if (ok) {
      out.append(msg, i, len);
      i += len - 1;
    } else {
      char b[8];
      std::snprintf(b, sizeof b, "\\x%02x", c);
      out += b;
    }
  }
  return out;
}

}  // namespace fwmc::jobs
