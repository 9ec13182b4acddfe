#!/usr/bin/env bash
# Installs what iovlab needs on a Debian machine, and nothing else.
# Called by `make run` and `make test`; safe to run again (it only installs
# what is missing). As root it runs apt-get; otherwise it prints the exact
# apt line and stops, so nothing happens behind the user's back.
set -euo pipefail

packages=(
	meson ninja-build pkg-config gcc make python3
	libjansson-dev libinih-dev libcmocka-dev libpcap-dev liblwip-dev
	mingw-w64-common pciutils clang libclang-rt-14-dev
	tshark graphviz
	iproute2 iputils-ping ethtool
)

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing+=("$p")
	fi
done

[ ${#missing[@]} -eq 0 ] && exit 0

line="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
	echo "iovlab needs these Debian packages: ${missing[*]}" >&2
	echo "Run as root:  apt-get update && $line" >&2
	exit 1
fi

echo "deps: installing ${missing[*]}" >&2
# noninteractive also answers wireshark-common's debconf question (may
# non-root users capture?) with its default, "no": tshark is only read here.
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
