// Writes the theory part of the output contract: K<l>_nngp.npy, K<l>_theory.npy, K<l>_theory_se.npy.
#pragma once
#include <string>

#include <nlohmann/json.hpp>

#include "fwmc/theory.hpp"

namespace fwmc {

void write_theory_arrays(const std::string& dir, const TheoryResult& t);
// Frobenius norm of (theory - nngp) and its standard error (delta method over the per-entry SEs).
void theory_correction_norm(const LayerTheory& lt, double& norm, double& se);
nlohmann::ordered_json theory_json(const TheoryResult& t);

}  // namespace fwmc
