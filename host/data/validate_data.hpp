// The one validation pass every data source goes through (npy, csv and idx files, in-memory arrays, synthetic),
// after loading and before anything is allocated for the run: an input that would give a silently wrong, NaN or
// crashing run is an InputError naming the file (or array) and the row, column or key.
#pragma once
#include <string>

#include "fwmc/config.hpp"
#include "fwmc/dataset.hpp"

namespace fwmc {

// The raw arrays of a file or array source, with the names messages give them ("data.x (array)" or a path).
struct DataSources {
  NpyArray x, y, x_test;
  std::string x_name, y_name, x_test_name;
  bool has_test = false;
};

// Shapes and values before assembly: x as (P, ...) with at least one row and one feature, reshaped to
// [data] input_shape (x and x_test alike) and resized; y with as many rows as x and at least one column;
// x_test with x's per-example shape; n_train and n_test within the rows there are; every value finite.
void check_sources(const Config& c, DataSources& s);

// The assembled, normalised data: at least one example, feature and output; finite; and every example's
// x.x / n0 within the range where kernels are representable in the run's precision.
void check_dataset(const Config& c, const Dataset& ds, const std::string& x_name, const std::string& x_test_name);

}  // namespace fwmc
