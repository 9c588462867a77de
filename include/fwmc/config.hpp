// The resolved run configuration (docs/configuration.md), parsed from TOML and validated key by key into typed
// settings.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "fwmc/settings.hpp"

namespace fwmc {

struct DataConfig {
  DataKind kind = DataKind::synthetic;
  std::string x, y, x_test;      // paths (npy/csv/idx)
  int n_train = 0, n_test = 0;   // synthetic sizes; files: 0 = all rows
  int input_dim = 16;            // synthetic fcn input dimension
  std::vector<int> input_shape;  // synthetic cnn: [D, c0] or [H, W, c0]; csv reshape; npy/idx: after resize
  int output_dim = 1;            // synthetic n_d
  std::uint64_t seed = 1;
  Targets targets = Targets::teacher;  // synthetic: a random net of the same arch (+ noise), or noise
  double noise = 0.1;                  // synthetic: std of the target noise
  Normalize normalize = Normalize::none;
  std::vector<int> resize;  // [h, w] down-sampling of images
  ResizeMethod resize_method = ResizeMethod::area;
  CsvHeader csv_header = CsvHeader::detect;  // csv_header = "auto" | true | false
};

struct ModelConfig {
  Arch arch = Arch::fcn;
  std::vector<int> widths = {64, 64};  // hidden widths (fcn) or channels (cnn)
  Activation activation = Activation::linear;
  std::vector<double> sigma;                      // L+1 prior stds, readout last (a scalar is broadcast)
  int window = 3;                                 // cnn window (odd)
  Evaluation evaluation = Evaluation::automatic;  // see ModelSpec::evaluation
};

struct PosteriorConfig {
  double beta = 1.0;
};

struct SamplerConfig {
  std::string method = "hmc";  // ula | mala | hmc
  int chains = 64;
  int warmup = 500;
  int samples = 1000;
  int thin = 1;
  double step_size = 0.01;
  int leapfrog_steps = 10;
  double trajectory_length = 0;  // HMC: each chain takes round(T / h) leapfrog steps, h its adapted step (0: off)
  double jitter = 0.5;           // HMC: step size (so path length) uniform in h (1 +- jitter) per chain and iteration
  double target_accept = 0.0;    // 0: method default (MALA 0.574, HMC 0.8)
  bool adapt = true;             // dual averaging during warm-up (ULA: never)
  int groups = 32;               // chain groups for MCSE
  int chain_batch = 0;           // chains advanced together (0: all); a multiple of chains/groups
  std::vector<double> mass;      // HMC diagonal mass per layer (empty: identity; scalar broadcast)
  long divergence_budget = -1;   // drop a chain after this many post-warm-up divergences (-1: never)
  std::uint64_t seed = 0;
  DeviceKind device = DeviceKind::automatic;
  Precision precision = Precision::f32;
};

struct TheoryConfig {
  TheoryMethod method = TheoryMethod::automatic;
  long draws = 200000;  // Monte Carlo draws where the theory needs them
  std::uint64_t seed = 7;
  CnnForm cnn_form = CnnForm::propagated;
  bool compare_cnn_forms = false;  // fwmc run on a linear cnn: distance to both forms in MCSE units
};

struct OutputConfig {
  std::string dir = "fwmc_out";
  double checkpoint_every = 600;   // seconds
  std::vector<int> kernel_inputs;  // accumulate the kernel over these inputs only (empty: all N)
  KernelPositions kernel_positions = KernelPositions::all;  // diagonal: cnn's K(a,b)_ii only, for large D
  EstimatorChoice estimator = EstimatorChoice::stein;       // docs/theory.md 11, 12
};

// fwmc sweep's defaults, so that a config names its whole study (the command line's --widths, --repeats and
// --widths-pattern override them). Not part of a run's identity: a run of one width does not depend on them.
struct SweepConfig {
  std::vector<int> widths;
  std::string pattern;  // hidden widths per layer with n for the sweep width, e.g. "n,50,n"
  int repeats = 1;
  std::string title;  // report.md's heading, e.g. the figure a config reproduces
};

// The widest hidden layer a config may ask for (fwmc sweep checks its widths against it too).
inline constexpr int kMaxWidth = 1000000;

struct Config {
  DataConfig data;
  ModelConfig model;
  PosteriorConfig posterior;
  SamplerConfig sampler;
  SweepConfig sweep;
  TheoryConfig theory;
  OutputConfig output;
  std::string source;  // file name, or "<embedded default>", for messages
};

// Parses TOML text, applies `section.key=value` overrides (values in TOML syntax), validates every key.
// Throws InputError naming the source, key and value.
Config parse_config(const std::string& toml_text, const std::string& source,
                    const std::vector<std::string>& overrides = {});
Config load_config_file(const std::string& path, const std::vector<std::string>& overrides = {});
Config load_default_config(const std::vector<std::string>& overrides = {});
// As load_config_file, from the file's text (relative data paths resolve against path's directory).
Config load_config_text(const std::string& text, const std::string& path,
                        const std::vector<std::string>& overrides = {});

// The fully resolved config as a JSON string (echoed into outputs).
std::string config_to_json(const Config& c);

// Levenshtein distance, for did-you-mean hints.
std::size_t edit_distance(const std::string& a, const std::string& b);

}  // namespace fwmc
