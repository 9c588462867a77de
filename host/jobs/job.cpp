#include "fwmc/job.hpp"

#include <cstdarg>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace fwmc::jobs {

Config resolve_config(const JobInput& in) {
  Config c = !in.config_path.empty()   ? load_config_file(in.config_path, in.overrides)
             : !in.config_text.empty() ? parse_config(in.config_text, in.config_name, in.overrides)
                                       : load_default_config(in.overrides);
  if (!in.out_dir.empty()) c.output.dir = in.out_dir;
  return c;
}

std::vector<std::pair<std::string, std::string>> config_identity(const JobInput& in) {
  std::string ov;
  for (const auto& o : in.overrides) ov += o + "\n";
  const std::string path = in.config_path.empty() ? "" : std::filesystem::absolute(in.config_path).string();
  std::string text = in.config_text;  // no path: the text given (a dict from Python) or, when none, the default
  if (!path.empty()) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    text = ss.str();
  }
  return {{"config/path", path}, {"config/text", text}, {"config/overrides", ov}};
}

void log_note(const JobHooks& hooks, const char* fmt, ...) {
  if (!hooks.log) return;
  va_list ap;
  va_start(ap, fmt);
  std::vfprintf(hooks.log, fmt, ap);
  va_end(ap);
}

}  // namespace fwmc::jobs
