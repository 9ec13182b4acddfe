#!/bin/sh
# The SDK proof: build a driver outside the iovlab tree with nothing but
# `cc $(pkg-config --cflags --libs iovlab-ddk)` (the uninstalled .pc of this
# build) and load it through its INF with an ordinary iovlab executable.
#   usage: test_sdk.sh <dir with iovlab-ddk-uninstalled.pc> <sdk_loader> <tests/sdk dir>
set -eu
pcdir=$1
loader=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
src=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

PKG_CONFIG_PATH=$pcdir
export PKG_CONFIG_PATH
flags=$(pkg-config --cflags --libs iovlab-ddk)
echo "pkg-config --cflags --libs iovlab-ddk: $flags"
cp "$src/hello_miniport.c" "$src/hello.inf" "$tmp/"
cd "$tmp"
# shellcheck disable=SC2086
${CC:-cc} -std=c11 -Wall -Wextra -Werror -shared -fPIC -o hello.so hello_miniport.c $flags
# The driver imports its Ndis* functions; the loader process provides them.
if ! nm -D --undefined-only hello.so | grep -q ' NdisMRegisterMiniportDriver$'; then
	echo "hello.so does not import NdisMRegisterMiniportDriver" >&2
	exit 1
fi
"$loader" "$tmp/hello.inf" "$tmp" 'PCI\VEN_8086&DEV_10D3&SUBSYS_00008086&REV_01'
