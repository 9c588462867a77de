// Placeholder entry points until the sampler lands: they refuse clearly rather than pretend.
#include "fwmc/errors.hpp"
#include "host/cli/commands.hpp"

namespace fwmc::cli {
int cmd_run(const CommonArgs&) { throw RuntimeError("fwmc run: the sampler is not built yet"); }
int cmd_oracle(const CommonArgs&, long) { throw RuntimeError("fwmc oracle: not built yet"); }
}  // namespace fwmc::cli
