// An output array held in memory under the name of its file in the output contract (K1_mean for K1_mean.npy):
// what a job returns to its front end, and what writing the output folder writes.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

#include "fwmc/dataset.hpp"

namespace fwmc {

struct NamedArray {
  std::string name;  // the file name without .npy
  std::vector<std::size_t> shape;
  std::vector<double> values;  // C order
};

inline void write_named_arrays(const std::string& dir, const std::vector<NamedArray>& arrays) {
  for (const auto& a : arrays) write_tensor_npy(dir + "/" + a.name + ".npy", a.shape, a.values);
}

}  // namespace fwmc
