#!/usr/bin/env bash
# Installs every build, test and viewer dependency of ecsim from Debian 12
# (bookworm) packages. Idempotent: when everything is present it prints
# nothing and exits 0. Works as root, or through sudo otherwise.
set -euo pipefail

packages=(
  build-essential cmake ninja-build git pkg-config
  clang-14 libclang-rt-14-dev libfuzzer-14-dev
  libfmt-dev libcli11-dev libyaml-cpp-dev catch2
  libimgui-dev libglfw3-dev libgl-dev libgl1-mesa-dri libglx-mesa0 libstb-dev
  libssl-dev libbenchmark-dev nlohmann-json3-dev libxxhash-dev libzstd-dev zstd
  xvfb xauth python3
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ $status == "install ok installed" ]] || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

sudo=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "setup.sh: not root and no sudo; install: ${missing[*]}" >&2; exit 1; }
  sudo=(sudo)
fi
echo "setup.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
