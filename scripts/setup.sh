#!/usr/bin/env bash
# Installs, from Debian's packages (and npm where noted), whatever cairn needs that is
# missing. Idempotent; prints nothing when everything is already present.
#
#   scripts/setup.sh build   what building cairn and running its main job needs
#   scripts/setup.sh test    build + what the full test suite needs
#   scripts/setup.sh bench   build + what bench/side_by_side.sh's peers need
set -euo pipefail

profile="${1:-build}"
# The exporters need the ONNX protobuf library (ONNX export), Node.js with npm (ONNX
# Runtime verifies every ONNX export) and a C compiler (verifies every C export).
# MuJoCo (libmujoco-dev) runs the MuJoCo environments (docs/mujoco.md); Debian's MuJoCo
# CMake package names /usr/include/libqhull_r as an include folder without depending on
# libqhull-dev, which provides it.
# cairn render (docs/render.md), which the main job's summary suggests: GLFW for MuJoCo's
# OpenGL context (libglfw3-dev), Xvfb with Mesa's software OpenGL for headless machines
# (xvfb, xauth, libgl1-mesa-dri), and ffmpeg for MP4 videos.
# OpenMPI (libopenmpi-dev for the build, openmpi-bin for mpirun) runs distributed training
# (docs/distributed.md); cairn builds without it and says so when asked to run distributed.
# The Python module (docs/python.md) is built with pybind11 for Debian's Python, with NumPy.
build_packages=(g++ cmake ninja-build libeigen3-dev nlohmann-json3-dev
  libonnx-dev libprotobuf-dev protobuf-compiler libmujoco-dev libqhull-dev
  libglfw3-dev xvfb xauth libgl1-mesa-dri ffmpeg libopenmpi-dev openmpi-bin
  pybind11-dev python3-dev python3-numpy)
# python3-pil: the render tests decode cairn's GIF and PNG files with PIL.
test_packages=(libgtest-dev clang libclang-rt-14-dev python3-numpy python3-torch
               librsvg2-bin  # rsvg-convert: the PNG branch of cairn plot (optional at run time)
               python3-pil)

# The side-by-side benchmark's peers (bench/side_by_side.sh, ../shared/peers/README.md):
# RLtools is compared as its own CMake builds it, with its BLAS backend, and Debian's
# libblas.so resolves to OpenBLAS only once libopenblas-dev is installed (without it,
# RLtools links the reference BLAS and runs about 15x slower: an unfair peer).
# Stable-Baselines3 runs on Debian's Python with these modules.
bench_packages=(libopenblas-dev python3-numpy python3-torch python3-cloudpickle
                python3-pandas python3-matplotlib)

case "$profile" in
  build) wanted=("${build_packages[@]}") ;;
  test) wanted=("${build_packages[@]}" "${test_packages[@]}") ;;
  bench) wanted=("${build_packages[@]}" "${bench_packages[@]}") ;;
  *) echo "setup.sh: unknown profile '$profile' (expected 'build', 'test' or 'bench')" >&2; exit 2 ;;
esac

missing=()
for pkg in "${wanted[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
# Node.js and npm: any installation will do (NodeSource's nodejs package bundles npm and
# conflicts with Debian's npm package), so Debian's are installed only when absent.
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)

if ((${#missing[@]})); then
  echo "setup.sh: installing ${missing[*]}"
  sudo_cmd=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "setup.sh: need root (or sudo) to install ${missing[*]}" >&2; exit 1; }
    sudo_cmd=(sudo)
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# ONNX Runtime for the export verification: the onnxruntime-node npm package pinned by
# tools/onnxruntime/package-lock.json, installed into tools/onnxruntime/node_modules. The
# package ships its CPU binaries; its install script (which would download optional GPU
# binaries) is skipped, so nothing but the npm package is fetched, and nothing ever is
# at test time.
ort_dir="$(cd "$(dirname "$0")/.." && pwd)/tools/onnxruntime"
ort_wanted="$(sed -n 's/.*"onnxruntime-node": *"\([^"]*\)".*/\1/p' "$ort_dir/package.json")"
ort_have="$(sed -n 's/^  "version": *"\([^"]*\)".*/\1/p' \
  "$ort_dir/node_modules/onnxruntime-node/package.json" 2>/dev/null || true)"
if [ "$ort_have" != "$ort_wanted" ]; then
  echo "setup.sh: installing onnxruntime-node $ort_wanted into tools/onnxruntime"
  (cd "$ort_dir" && ONNXRUNTIME_NODE_INSTALL=skip npm ci --ignore-scripts --no-audit --no-fund \
    --loglevel=error >/dev/null)
fi
