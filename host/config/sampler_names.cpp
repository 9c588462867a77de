#include "fwmc/sampler_names.hpp"

#include <algorithm>
#include <mutex>

namespace fwmc {

namespace {

std::mutex names_mutex;

std::vector<std::string>& names() {
#define FWMC_SAMPLER_NAME(name) #name,
  static std::vector<std::string> n = {FWMC_BUILTIN_SAMPLERS(FWMC_SAMPLER_NAME)};
#undef FWMC_SAMPLER_NAME
  return n;
}

}  // namespace

std::vector<std::string> sampler_method_names() {
  std::lock_guard<std::mutex> lock(names_mutex);
  return names();
}

void add_sampler_method_name(const std::string& name) {
  std::lock_guard<std::mutex> lock(names_mutex);
  if (std::find(names().begin(), names().end(), name) == names().end()) names().push_back(name);
}

}  // namespace fwmc
