// The committed MNIST subset (data/mnist5k) and the original code's resize, against references made outside fwmc.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "fwmc/dataset.hpp"
#include "fwmc/errors.hpp"

using namespace fwmc;

namespace {

const std::string kMnist = std::string(FWMC_SOURCE_DIR) + "/data/mnist5k/";

}  // namespace

// The files' SHA-256 sums as written by data/mnist5k/make_mnist5k.py (sha256sum, so no hashing code of ours).
TEST(Mnist5k, FilesMatchTheirRecordedHashes) {
  const std::string cmd = "cd '" + kMnist + "' && sha256sum --check --strict --quiet SHA256SUMS 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[256];
  while (fgets(buf, sizeof buf, p)) out += buf;
  EXPECT_EQ(pclose(p), 0) << out;
  std::ifstream sums(kMnist + "SHA256SUMS");  // the hashes the README gives, so a regenerated set must match them
  std::stringstream ss;
  ss << sums.rdbuf();
  EXPECT_NE(ss.str().find("d880cf6cc71c80335012c59deb78e95e7b2c1d8aa8b78312f62bb489ae9ffb96  train-images-idx3-ubyte"),
            std::string::npos);
  EXPECT_NE(ss.str().find("e18e6fe44bbeb980f85a745210a0a269a8bb7b98201e0f223576115fd7d5dc6c  train-labels-idx1-ubyte"),
            std::string::npos);
}

TEST(Mnist5k, RowsAreClassInterleaved) {
  NpyArray y = read_idx(kMnist + "train-labels-idx1-ubyte");
  NpyArray x = read_idx(kMnist + "train-images-idx3-ubyte");
  ASSERT_EQ(y.shape, (std::vector<std::size_t>{5000}));
  ASSERT_EQ(x.shape, (std::vector<std::size_t>{5000, 28, 28}));
  for (std::size_t k = 0; k < 5000; ++k) ASSERT_EQ(y.data[k], double(k % 10)) << "row " << k;
}

// resize_method = "skimage" against skimage.transform.resize (scikit-image 0.24.0; tests/data/make_skimage_resize.py)
// at 10x10, 5x5 and 7x40 (down one axis, up the other).
TEST(Mnist5k, SkimageResizeMatchesScikitImage) {
  NpyArray x = read_idx(kMnist + "train-images-idx3-ubyte");
  x.shape[0] = 4;
  x.data.resize(4 * 28 * 28);
  std::ifstream in(std::string(FWMC_SOURCE_DIR) + "/tests/data/skimage_resize.csv");
  ASSERT_TRUE(in);
  std::string line;
  int rows = 0;
  double worst = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::stringstream ls(line);
    std::vector<double> v;
    for (std::string t; std::getline(ls, t, ',');) v.push_back(std::stod(t));
    const int h = int(v[0]), w = int(v[1]), i = int(v[2]);
    ASSERT_EQ(v.size(), std::size_t(3 + h * w));
    NpyArray r = resize_images(x, h, w, ResizeMethod::skimage);
    for (int k = 0; k < h * w; ++k) worst = std::max(worst, std::abs(r.data[i * h * w + k] - v[3 + k]));
    ++rows;
  }
  EXPECT_EQ(rows, 12);
  EXPECT_LT(worst, 1e-10);  // pixels are 0..255: agreement to rounding
  // Area averaging is a different filter: the two differ visibly on real digits.
  NpyArray a = resize_images(x, 10, 10, ResizeMethod::area), s = resize_images(x, 10, 10, ResizeMethod::skimage);
  double diff = 0;
  for (std::size_t k = 0; k < a.data.size(); ++k) diff = std::max(diff, std::abs(a.data[k] - s.data[k]));
  EXPECT_GT(diff, 1.0);
}

// input_shape reshapes idx images after resize; a shape of another size is an input error naming the key, and the
// CLI exits 2 writing nothing.
TEST(Mnist5k, InputShapeAfterResizeMustHoldEveryPixel) {
  const std::string base = "[data]\nkind = 'idx'\nx = '" + kMnist + "train-images-idx3-ubyte'\ny = '" + kMnist +
                           "train-labels-idx1-ubyte'\nn_train = 10\nresize = [5, 5]\nresize_method = 'skimage'\n";
  const Dataset ok = load_dataset(parse_config(base + "input_shape = [25, 1]\n[model]\narch = 'cnn1d'\n", "t.toml"));
  EXPECT_EQ(ok.input_shape, (std::vector<int>{25, 1}));
  try {
    load_dataset(parse_config(base + "input_shape = [24, 1]\n[model]\narch = 'cnn1d'\n", "t.toml"));
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("[data] input_shape needs 24"), std::string::npos) << e.what();
  }
}
