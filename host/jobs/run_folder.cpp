#include "host/jobs/run_folder.hpp"

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "fwmc/dataset.hpp"
#include "fwmc/errors.hpp"
#include "fwmc/output_folder.hpp"
#include "fwmc/safe_file.hpp"
#include "fwmc/version.hpp"

namespace fwmc::jobs {

FolderSurvey survey_run_folder(const Config& c, const Provenance& now) {
  FolderSurvey s;
  const std::string summary = c.output.dir + "/summary.json", ckpt = c.output.dir + "/checkpoint.bin";
  // summary.json is published last, so with it the results are complete even if a checkpoint is still there.
  if (std::filesystem::exists(summary)) {
    try {
      const auto j = nlohmann::json::parse(read_regular_file(summary, std::uintmax_t(256) << 20));
      s.differs = j.contains("provenance") ? provenance_difference(Provenance::from_json(j["provenance"], summary), now)
                                           : "no provenance record (an older fwmc)";
    } catch (const nlohmann::json::exception&) {
      s.differs = "summary.json is not valid JSON";
    } catch (const InputError& e) {
      s.differs = e.what();
    }
    if (s.differs.empty()) {
      const auto bad = verify_manifest(c.output.dir, "summary.json");
      if (!bad.empty()) s.differs = "its files do not match summary.json (" + bad[0] + ")";
    }
    if (s.differs.empty()) s.holds = FolderHolds::finished;
  } else if (std::filesystem::exists(ckpt)) {
    s.checkpoint = read_checkpoint(ckpt);
    const CheckpointData& ck = s.checkpoint;
    s.differs = ck.version != kVersion ? "checkpoint of fwmc " + ck.version
                : !ck.has("provenance")
                    ? "checkpoint without provenance"
                    : provenance_difference(
                          Provenance::from_json(nlohmann::json::parse(ck.get_string("provenance")), ckpt), now);
    if (s.differs.empty()) s.holds = FolderHolds::resumable;
  }
  return s;
}

RunOutcome read_run_outcome(const std::string& dir) {
  auto json_of = [&](const std::string& name) {
    return nlohmann::ordered_json::parse(read_regular_file(dir + "/" + name, std::uintmax_t(256) << 20));
  };
  RunOutcome o;
  o.summary = json_of("summary.json");
  o.theory = json_of("theory.json");
  for (const auto& f : o.summary["files"]) {
    const std::string name = f["name"];
    if (name.size() < 4 || name.compare(name.size() - 4, 4, ".npy") != 0) continue;
    NpyArray a = read_npy(dir + "/" + name);
    o.arrays.push_back({name.substr(0, name.size() - 4), std::move(a.shape), std::move(a.data)});
  }
  o.out_dir = dir;
  o.finished_earlier = true;
  return o;
}

}  // namespace fwmc::jobs
