// Resuming a run: the config is rebuilt from what its checkpoint records (the config's text, path and
// overrides), checked against the checkpoint's own hash and against any config the caller gives.
#include <filesystem>
#include <sstream>

#include <nlohmann/json.hpp>

#include "fwmc/errors.hpp"
#include "fwmc/run_job.hpp"
#include "fwmc/version.hpp"

namespace fwmc::jobs {

namespace {

Config config_from_checkpoint(const CheckpointData& ck, const std::string& dir) {
  std::vector<std::string> ov;
  std::stringstream ss(ck.get_string("config/overrides"));
  for (std::string line; std::getline(ss, line);) ov.push_back(line);
  const std::string path = ck.get_string("config/path");
  const std::string text = ck.get_string("config/text");
  Config c = !path.empty()   ? load_config_text(text, path, ov)
             : !text.empty() ? parse_config(text, "<config dict>", ov)
                             : load_default_config(ov);
  c.output.dir = dir;
  return c;
}

// A config given with resume must be the run's own: InputError naming the keys that differ.
void check_given_config(const std::string& dir, const CheckpointData& ck, const Config& c, const JobInput& given) {
  if (given.config_path.empty() && given.config_text.empty() && given.overrides.empty()) return;
  Config g;
  if (given.config_path.empty() && given.config_text.empty()) {
    // Overrides alone change the run's own config (not the embedded default): the message names just those keys.
    CheckpointData with = ck;
    std::string ov = ck.get_string("config/overrides");
    for (const auto& o : given.overrides) ov += o + "\n";
    with.put_string("config/overrides", ov);
    g = config_from_checkpoint(with, dir);
  } else {
    JobInput in = given;
    in.out_dir = dir;
    g = resolve_config(in);
  }
  if (config_hash(g) != ck.config_hash)
    throw InputError(
        dir + "/checkpoint.bin: was written by a different config than " +
        (given.config_path.empty() ? std::string("the --set given") : given.config_path) + " (" +
        config_difference(nlohmann::json::parse(config_to_json(c)), nlohmann::json::parse(config_to_json(g))) +
        "); resume without a config, or start a new run");
}

}  // namespace

RunOutcome resume_job(const std::string& dir, const JobInput& given, const JobHooks& hooks) {
  if (!given.out_dir.empty() &&
      std::filesystem::absolute(given.out_dir).lexically_normal() != std::filesystem::absolute(dir).lexically_normal())
    throw InputError("--resume " + dir + " --out " + given.out_dir +
                     ": a resumed run finishes in its own folder; "
                     "drop --out (or copy the folder first and resume the copy)");
  const std::string ckpt = checkpoint_path(dir, 0);
  if (!std::filesystem::exists(ckpt) && std::filesystem::exists(dir + "/summary.json"))
    throw InputError("--resume " + dir + ": holds a finished run (summary.json), nothing to resume");
  if (!std::filesystem::exists(ckpt))
    throw InputError("--resume " + dir + ": holds no run to resume (" + ckpt +
                     " is missing: the run never started, or finished); start it with "
                     "fwmc run CONFIG --out DIR --resume-or-start");
  const CheckpointData ck = read_checkpoint(ckpt);
  if (ck.version != kVersion)
    throw InputError(dir + "/checkpoint.bin: written by fwmc " + ck.version + ", this is fwmc " + kVersion +
                     "; finish it with that version or start again");
  const Config c = config_from_checkpoint(ck, dir);
  if (config_hash(c) != ck.config_hash)
    throw InputError(dir + "/checkpoint.bin: does not belong to its own config (corrupted?)");
  check_given_config(dir, ck, c, given);
  if (has_sampling_state(ck))
    log_note(hooks, "fwmc run: resuming %s (batch %d, iteration %ld)\n", dir.c_str(), ck.get_value<int>("batch"),
             ck.get_value<long>("next_iteration"));
  else
    log_note(hooks, "fwmc run: resuming %s from step 0 (it stopped before sampling began)\n", dir.c_str());
  RunSettings s;
  s.resume = &ck;
  s.arrays = given.arrays;
  s.identity = {{"config/path", ck.get_string("config/path")},
                {"config/text", ck.get_string("config/text")},
                {"config/overrides", ck.get_string("config/overrides")}};
  return run_config(c, s, hooks);
}

}  // namespace fwmc::jobs
