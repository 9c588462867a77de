// libFuzzer targets for fwmc's input parsers. Bad input must end in fwmc::InputError (exit 2 in the CLI); any
// other exception, a crash, a leak or undefined behaviour is a finding. One source, four targets, chosen by the
// FWMC_FUZZ_TARGET macro: config (TOML text + one --set override), npy, csv, idx.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "fwmc/config.hpp"
#include "fwmc/dataset.hpp"
#include "fwmc/errors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  try {
#if FWMC_FUZZ_TARGET == 0
    // First line: a --set override; the rest: the TOML document.
    const std::size_t nl = bytes.find('\n');
    const std::string ov = bytes.substr(0, nl), text = nl == std::string::npos ? "" : bytes.substr(nl + 1);
    fwmc::parse_config(text, "fuzz.toml", ov.empty() ? std::vector<std::string>{} : std::vector<std::string>{ov});
#else
    std::istringstream in(bytes);
#if FWMC_FUZZ_TARGET == 1
    fwmc::parse_npy(in, "fuzz.npy");
#elif FWMC_FUZZ_TARGET == 2
    fwmc::parse_csv(in, "fuzz.csv");
#else
    fwmc::parse_idx(in, "fuzz.idx");
#endif
#endif
  } catch (const fwmc::InputError&) {}
  return 0;
}
