// The samplers fwmc knows by name: the built-in ones of fwmc/sampler_names.hpp's list (each file ends with
// FWMC_SAMPLER(name, Kernel)), and those registered at run time.
#include <map>

#include "fwmc/errors.hpp"
#include "fwmc/sampler_names.hpp"
#include "fwmc/transition.hpp"

#define FWMC_DECLARE_SAMPLER(name) std::unique_ptr<fwmc::SamplerFactory> fwmc_sampler_##name();
FWMC_BUILTIN_SAMPLERS(FWMC_DECLARE_SAMPLER)

namespace fwmc {

namespace {

std::map<std::string, std::unique_ptr<SamplerFactory>>& registry() {
  static std::map<std::string, std::unique_ptr<SamplerFactory>> r = [] {
    std::map<std::string, std::unique_ptr<SamplerFactory>> m;
#define FWMC_ADD_SAMPLER(name) m.emplace(#name, fwmc_sampler_##name());
    FWMC_BUILTIN_SAMPLERS(FWMC_ADD_SAMPLER)
    return m;
  }();
  return r;
}

}  // namespace

void register_sampler(const std::string& name, std::unique_ptr<SamplerFactory> factory) {
  registry()[name] = std::move(factory);
  add_sampler_method_name(name);
}

const SamplerFactory& find_sampler(const std::string& name) {
  const auto it = registry().find(name);
  if (it != registry().end()) return *it->second;
  std::string known;
  for (const auto& n : sampler_names()) known += (known.empty() ? "" : "|") + n;
  throw InputError("[sampler] method = \"" + name + "\": must be " + known);
}

std::vector<std::string> sampler_names() {
  std::vector<std::string> n;
  for (const auto& [name, f] : registry()) n.push_back(name);
  return n;
}

}  // namespace fwmc
