#include "fwmc/settings.hpp"

namespace fwmc {

#define FWMC_NAMES(E, ...)                                                 \
  template <>                                                              \
  const std::vector<std::pair<const char*, E>>& setting_names() {          \
    static const std::vector<std::pair<const char*, E>> n = {__VA_ARGS__}; \
    return n;                                                              \
  }

FWMC_NAMES(DataKind, {"synthetic", DataKind::synthetic}, {"npy", DataKind::npy}, {"csv", DataKind::csv},
           {"idx", DataKind::idx}, {"arrays", DataKind::arrays})
FWMC_NAMES(Targets, {"teacher", Targets::teacher}, {"noise", Targets::noise})
FWMC_NAMES(Normalize, {"none", Normalize::none}, {"center_unit", Normalize::center_unit},
           {"center_l2", Normalize::center_l2}, {"standardize", Normalize::standardize})
FWMC_NAMES(ResizeMethod, {"area", ResizeMethod::area}, {"skimage", ResizeMethod::skimage})
FWMC_NAMES(CsvHeader, {"auto", CsvHeader::detect}, {"true", CsvHeader::present}, {"false", CsvHeader::absent})
FWMC_NAMES(Arch, {"fcn", Arch::fcn}, {"cnn1d", Arch::cnn1d}, {"cnn2d", Arch::cnn2d})
FWMC_NAMES(Activation, {"linear", Activation::linear}, {"relu", Activation::relu}, {"erf", Activation::erf},
           {"tanh", Activation::tanh}, {"quadratic", Activation::quadratic})
FWMC_NAMES(Evaluation, {"auto", Evaluation::automatic}, {"product", Evaluation::product},
           {"layers", Evaluation::layers})
FWMC_NAMES(DeviceKind, {"auto", DeviceKind::automatic}, {"cpu", DeviceKind::cpu}, {"cuda", DeviceKind::cuda})
FWMC_NAMES(Precision, {"float", Precision::f32}, {"double", Precision::f64})
FWMC_NAMES(TheoryMethod, {"auto", TheoryMethod::automatic}, {"closed_form", TheoryMethod::closed_form},
           {"prior_moments", TheoryMethod::prior_moments})
FWMC_NAMES(CnnForm, {"propagated", CnnForm::propagated}, {"unpropagated", CnnForm::unpropagated})
FWMC_NAMES(KernelPositions, {"all", KernelPositions::all}, {"diagonal", KernelPositions::diagonal})
FWMC_NAMES(EstimatorChoice, {"stein", EstimatorChoice::stein}, {"plain", EstimatorChoice::plain},
           {"both", EstimatorChoice::both})

#undef FWMC_NAMES

}  // namespace fwmc
