// Every enumerated setting of a config as a type, with the names the TOML and the outputs use. The config layer
// parses a name once into its enum; nothing below it compares a setting's string (docs/architecture.md).
#pragma once
#include <cstddef>
#include <ostream>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "kernels/shared/activation.cuh"

namespace fwmc {

enum class DataKind { synthetic, npy, csv, idx, arrays };  // arrays: given in memory (the Python API)
enum class Targets { teacher, noise };                     // synthetic targets
enum class Normalize { none, center_unit, center_l2, standardize };
// How [data] resize shrinks images: area-weighted box averaging, or what the original code did with
// skimage.transform.resize (a Gaussian anti-aliasing filter, then bilinear sampling; docs/configuration.md).
enum class ResizeMethod { area, skimage };
// Whether a CSV file's first row is a header: detect (only when none of its fields is a number), present, absent.
enum class CsvHeader { detect, present, absent };
enum class Arch { fcn, cnn1d, cnn2d };
enum class Activation {
  linear = shared::kLinear,
  relu = shared::kRelu,
  erf = shared::kErf,
  tanh = shared::kTanh,
  quadratic = shared::kQuadratic
};
// How a linear fcn evaluates U and grad U: through the layers' activations (cost ~ P n^2 per layer) or through
// products of the weight matrices (~ n^2 n_d per layer; f = X W_1 ... W_{L+1} by associativity). automatic picks
// the cheaper; nonlinear and cnn models always go through the layers.
enum class Evaluation { automatic, product, layers };
enum class DeviceKind { automatic, cpu, cuda };
enum class Precision { f32, f64 };
enum class TheoryMethod { automatic, closed_form, prior_moments };
enum class CnnForm { propagated, unpropagated };
enum class KernelPositions { all, diagonal };
// output.estimator: which estimate a run reports under the kernels' names ("both": stein, plus the plain files).
enum class EstimatorChoice { plain, stein, both };

// Each enum's names as the config writes them, in order (the first is what name_of returns for the value).
template <class E>
const std::vector<std::pair<const char*, E>>& setting_names();

// The name of a value, and the value of a name (nullptr / false when there is none).
template <class E>
const char* name_of(E value) {
  for (const auto& [n, v] : setting_names<E>())
    if (v == value) return n;
  return "?";
}
template <class E>
bool value_of(const std::string& name, E& out) {
  for (const auto& [n, v] : setting_names<E>())
    if (name == n) {
      out = v;
      return true;
    }
  return false;
}

// The enums above (for printing: tests, messages).
template <class E>
inline constexpr bool is_setting_v =
    std::disjunction_v<std::is_same<E, DataKind>, std::is_same<E, Targets>, std::is_same<E, Normalize>,
                       std::is_same<E, ResizeMethod>, std::is_same<E, CsvHeader>, std::is_same<E, Arch>,
                       std::is_same<E, Activation>, std::is_same<E, Evaluation>, std::is_same<E, DeviceKind>,
                       std::is_same<E, Precision>, std::is_same<E, TheoryMethod>, std::is_same<E, CnnForm>,
                       std::is_same<E, KernelPositions>, std::is_same<E, EstimatorChoice>>;
template <class E, class = std::enable_if_t<is_setting_v<E>>>
std::ostream& operator<<(std::ostream& os, E value) {
  return os << name_of(value);
}

inline std::size_t precision_bytes(Precision p) { return p == Precision::f64 ? 8 : 4; }

}  // namespace fwmc
