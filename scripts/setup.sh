#!/usr/bin/env bash
# Installs, from Debian's packages (and npm where noted), whatever cairn needs that is
# missing. Idempotent; prints nothing when everything is already present.
#
#   scripts/setup.sh build   what building cairn and running its main job needs
#   scripts/setup.sh test    build + what the full test suite needs
set -euo pipefail

profile="${1:-build}"
build_packages=(g++ cmake ninja-build libeigen3-dev nlohmann-json3-dev)
test_packages=(libgtest-dev clang libclang-rt-14-dev python3-numpy python3-torch
               librsvg2-bin)  # rsvg-convert: the PNG branch of cairn plot (optional at run time)

case "$profile" in
  build) wanted=("${build_packages[@]}") ;;
  test) wanted=("${build_packages[@]}" "${test_packages[@]}") ;;
  *) echo "setup.sh: unknown profile '$profile' (expected 'build' or 'test')" >&2; exit 2 ;;
esac

missing=()
for pkg in "${wanted[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

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
