// The names a config may give as [sampler] method. The built-in samplers are listed here, once: the config
// validates against this list and the registry (host/samplers/transition.cpp) builds its factories from it.
// Adding a sampler: its file in host/samplers/ (ending with FWMC_SAMPLER(name, Kernel)) and X(name) below.
#pragma once
#include <string>
#include <vector>

#define FWMC_BUILTIN_SAMPLERS(X) X(ula) X(mala) X(hmc)

namespace fwmc {

// The built-in names in list order, then those added at run time.
std::vector<std::string> sampler_method_names();
// Called by register_sampler, so a sampler registered at run time is a valid [sampler] method.
void add_sampler_method_name(const std::string& name);

}  // namespace fwmc
