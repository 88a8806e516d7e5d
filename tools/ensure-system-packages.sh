#!/bin/sh
# Make sure the programs the tests run are installed.
#   tools/ensure-system-packages.sh caddy:caddy nginx:nginx-light chromedriver:chromium-driver
# Each argument is PROGRAM:PACKAGE (the Debian/Ubuntu package that provides PROGRAM).
# For every PROGRAM not on PATH (nor in /usr/sbin, /sbin): as root on Debian/Ubuntu it runs
# `apt-get install -y PACKAGE...` (and `apt-get update` first only if that install fails);
# otherwise it prints the exact command to run and exits 1. Nothing to do: silent, exit 0.
set -eu

missing=""
for pair in "$@"; do
    case "$pair" in
        *:?*) ;;
        *) echo "ensure-system-packages: '$pair' is not PROGRAM:PACKAGE" >&2; exit 2 ;;
    esac
    program=${pair%%:*}
    package=${pair#*:}
    if ! PATH="$PATH:/usr/sbin:/sbin" command -v "$program" >/dev/null 2>&1; then
        case " $missing " in
            *" $package "*) ;;
            *) missing="$missing $package" ;;
        esac
    fi
done
[ -z "$missing" ] && exit 0
missing=${missing# }

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "ensure-system-packages: installing $missing"
    export DEBIAN_FRONTEND=noninteractive
    # shellcheck disable=SC2086  # one word per package
    if ! apt-get install -y $missing; then
        apt-get update
        # shellcheck disable=SC2086
        apt-get install -y $missing
    fi
    exit 0
fi

if command -v apt-get >/dev/null 2>&1; then
    echo "ensure-system-packages: missing $missing; install with:" >&2
    echo "    sudo apt-get install -y $missing" >&2
else
    echo "ensure-system-packages: missing $missing (Debian/Ubuntu package names);" >&2
    echo "    install them with your system's package manager, then run make again" >&2
fi
exit 1
