# Sourced by bench/gpu_check.sh and tests/carrier_check.sh: unpacks the carried Debian packages (the .deb files in
# DEBS, made by bench/fetch_gpu_deps.sh) into PREFIX (never into /), points LD_LIBRARY_PATH at its libraries and
# sets FWMC_DEPS_CMAKE_ARGS, the CMake arguments of a build that finds its dependencies in PREFIX and nowhere under
# /usr (CUDA, the compiler and OpenMP come from the machine).
#   usage: source bench/gpu_deps_env.sh DEBS PREFIX
fwmc_debs=$1
fwmc_prefix=$2
mkdir -p "$fwmc_prefix"
for f in "$fwmc_debs"/*.deb; do dpkg -x "$f" "$fwmc_prefix"; done
fwmc_arch=$fwmc_prefix/usr/lib/x86_64-linux-gnu
export LD_LIBRARY_PATH=$fwmc_arch/openblas-pthread:$fwmc_arch:${LD_LIBRARY_PATH:-}
FWMC_DEPS_CMAKE_ARGS=(
  -DCMAKE_PREFIX_PATH="$fwmc_prefix/usr;$fwmc_arch/cmake"
  -DCMAKE_IGNORE_PREFIX_PATH="/usr;/"
  -Dtomlplusplus_DIR="$fwmc_arch/cmake/tomlplusplus" -DGTest_DIR="$fwmc_arch/cmake/GTest"
  -DEigen3_DIR="$fwmc_prefix/usr/share/eigen3/cmake" -Dnlohmann_json_DIR="$fwmc_prefix/usr/share/cmake/nlohmann_json"
  -DCLI11_DIR="$fwmc_prefix/usr/share/cmake/CLI11"
  -DFWMC_BLAS_LIBRARIES="$fwmc_arch/openblas-pthread/libopenblas.so.0"
  -DCMAKE_CXX_FLAGS="-I$fwmc_prefix/usr/include -I$fwmc_prefix/usr/include/x86_64-linux-gnu/openblas-pthread -I$fwmc_prefix/usr/include/eigen3")
