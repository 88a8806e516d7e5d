#!/usr/bin/env bash
# Make sure the programs the tests run are installed.
#   tools/ensure-system-packages.sh PROGRAM:PACKAGE ...   e.g. chromium:chromium chromedriver:chromium-driver
# For each PROGRAM missing from PATH: on Debian/Ubuntu as root, `apt-get install -y PACKAGE`
# (with `apt-get update` first only if that fails); anywhere else, print the command to run and
# fail, so that no test is ever skipped for want of a program.
set -euo pipefail

missing_programs=()
missing_packages=()
for pair in "$@"; do
  program="${pair%%:*}"
  package="${pair#*:}"
  if ! command -v "$program" >/dev/null 2>&1; then
    missing_programs+=("$program")
    missing_packages+=("$package")
  fi
done
[ ${#missing_packages[@]} -eq 0 ] && exit 0

echo "The tests need ${missing_programs[*]}, which this machine lacks (Debian packages: ${missing_packages[*]})." >&2
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  echo "Installing them: apt-get install -y ${missing_packages[*]}" >&2
  if ! apt-get install -y --no-install-recommends "${missing_packages[@]}" >&2; then
    apt-get update >&2
    apt-get install -y --no-install-recommends "${missing_packages[@]}" >&2
  fi
  for program in "${missing_programs[@]}"; do
    command -v "$program" >/dev/null 2>&1 || { echo "$program is still missing after the install" >&2; exit 1; }
  done
  exit 0
fi
if command -v apt-get >/dev/null 2>&1; then
  echo "Install them with:  sudo apt-get install -y ${missing_packages[*]}" >&2
else
  echo "Install them with your system's package manager (on Debian/Ubuntu: apt-get install -y ${missing_packages[*]})," >&2
  echo "then run make test again." >&2
fi
exit 1
