// Image down-sampling for [data] resize. Both methods are linear and separable: each image axis gets a weight
// matrix (out x in), and an image becomes M_h X M_w^T.
#include <cmath>

#include "fwmc/dataset.hpp"
#include "fwmc/errors.hpp"

namespace fwmc {

namespace {

using Weights = std::vector<std::vector<double>>;  // [out][in]

// Area weights: output cell o covers [o*in/out, (o+1)*in/out) of the input axis.
Weights area_weights(std::size_t in, std::size_t out) {
  Weights m(out, std::vector<double>(in, 0.0));
  const double r = double(in) / out;
  for (std::size_t o = 0; o < out; ++o) {
    const double lo = o * r, hi = (o + 1) * r;
    for (std::size_t i = 0; i < in; ++i) {
      double ov = std::min(hi, double(i + 1)) - std::max(lo, double(i));
      if (ov > 0) m[o][i] = ov / r;
    }
  }
  return m;
}

// scipy.ndimage's "mirror" boundary (skimage's mode = "reflect"): d c b | a b c d | c b a.
std::size_t mirror(long i, std::size_t n) {
  if (n == 1) return 0;
  const long period = 2 * (static_cast<long>(n) - 1);
  i = std::labs(i) % period;
  return static_cast<std::size_t>(i < static_cast<long>(n) ? i : period - i);
}

// skimage.transform.resize with its defaults (order 1, mode "reflect", anti_aliasing when down-sampling; the same
// in skimage 0.19 to 0.24): scipy.ndimage.gaussian_filter with sigma = max(0, (in/out - 1) / 2) and truncate 4,
// then ndimage.zoom(order=1, grid_mode=True), which samples input coordinate (o + 1/2) in/out - 1/2 linearly.
Weights skimage_weights(std::size_t in, std::size_t out) {
  const double f = double(in) / out, sigma = std::max(0.0, (f - 1) / 2);
  Weights gauss(in, std::vector<double>(in, 0.0));  // [filtered][input]
  if (sigma > 1e-15) {                              // ndimage skips axes with sigma <= 1e-15
    const long radius = static_cast<long>(4.0 * sigma + 0.5);
    std::vector<double> k(2 * radius + 1);
    double sum = 0;
    for (long x = -radius; x <= radius; ++x) sum += k[x + radius] = std::exp(-0.5 / (sigma * sigma) * x * x);
    for (std::size_t i = 0; i < in; ++i)
      for (long x = -radius; x <= radius; ++x) gauss[i][mirror(long(i) + x, in)] += k[x + radius] / sum;
  } else {
    for (std::size_t i = 0; i < in; ++i) gauss[i][i] = 1.0;
  }
  Weights m(out, std::vector<double>(in, 0.0));
  for (std::size_t o = 0; o < out; ++o) {
    const double c = (o + 0.5) * f - 0.5;
    const long i0 = static_cast<long>(std::floor(c));
    const double t = c - i0;
    const std::size_t a = mirror(i0, in), b = mirror(i0 + 1, in);
    for (std::size_t i = 0; i < in; ++i) m[o][i] = (1 - t) * gauss[a][i] + t * gauss[b][i];
  }
  return m;
}

}  // namespace

NpyArray resize_images(const NpyArray& img, int h, int w, ResizeMethod method) {
  if (img.shape.size() < 3) throw InputError("resize needs images of shape (P, H, W[, C])");
  const std::size_t P = img.shape[0], H = img.shape[1], W = img.shape[2];
  const std::size_t C = img.shape.size() > 3 ? img.shape[3] : 1;
  const bool area = method == ResizeMethod::area;
  const Weights wh = area ? area_weights(H, h) : skimage_weights(H, h);
  const Weights ww = area ? area_weights(W, w) : skimage_weights(W, w);
  NpyArray out;
  out.shape = img.shape;
  out.shape[1] = h;
  out.shape[2] = w;
  out.data.assign(P * h * w * C, 0.0);
  for (std::size_t p = 0; p < P; ++p)
    for (int oh = 0; oh < h; ++oh)
      for (int ow = 0; ow < w; ++ow)
        for (std::size_t c = 0; c < C; ++c) {
          double s = 0;
          for (std::size_t ih = 0; ih < H; ++ih) {
            if (wh[oh][ih] == 0) continue;
            for (std::size_t iw = 0; iw < W; ++iw)
              s += wh[oh][ih] * ww[ow][iw] * img.data[((p * H + ih) * W + iw) * C + c];
          }
          out.data[((p * h + oh) * w + ow) * C + c] = s;
        }
  return out;
}

}  // namespace fwmc
