// The theory part of the output contract: the arrays K<l>_nngp, K<l>_theory, K<l>_theory_se and theory.json.
#pragma once
#include <string>

#include <nlohmann/json.hpp>

#include "fwmc/named_array.hpp"
#include "fwmc/theory.hpp"

namespace fwmc {

void add_theory_arrays(const TheoryResult& t, std::vector<NamedArray>& out);
// Frobenius norm of (theory - nngp) and its standard error (delta method over the per-entry SEs).
void theory_correction_norm(const LayerTheory& lt, double& norm, double& se);
nlohmann::ordered_json theory_json(const TheoryResult& t);

}  // namespace fwmc
