#!/bin/sh
# Extract the minimal dotnet tree (host + Microsoft.NETCore.App 10.0.12 + vstest.console).
# Usage: sh .devicekit/setup.sh   -> tree at ${DOTNET_MIN_DIR:-/tmp/dotnet-min}/dotnet
# Idempotent: skips extraction if the stamp matches the archive.
set -eu
KIT_DIR=$(cd "$(dirname "$0")" && pwd)
DEST=${DOTNET_MIN_DIR:-/tmp/dotnet-min}
ARCHIVE="$KIT_DIR/dotnet-min.tar.xz"
[ -f "$ARCHIVE" ] || { echo "setup.sh: missing $ARCHIVE" >&2; exit 1; }
STAMP_VAL=$(cksum < "$ARCHIVE")
if [ -x "$DEST/dotnet/dotnet" ] && [ -f "$DEST/.stamp" ] && [ "$(cat "$DEST/.stamp")" = "$STAMP_VAL" ]; then
  echo "dotnet-min ready: $DEST/dotnet/dotnet"; exit 0
fi
rm -rf "$DEST.tmp"; mkdir -p "$DEST.tmp"
if command -v xz >/dev/null 2>&1; then
  xz -dc "$ARCHIVE" | tar -xf - -C "$DEST.tmp"
elif command -v python3 >/dev/null 2>&1; then
  python3 -c 'import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), sys.stdout.buffer)' "$ARCHIVE" | tar -xf - -C "$DEST.tmp"
else
  tar -xJf "$ARCHIVE" -C "$DEST.tmp"   # last resort (needs tar built with xz/lzma support)
fi
rm -rf "$DEST/dotnet"; mkdir -p "$DEST"; mv "$DEST.tmp/dotnet" "$DEST/dotnet"; rmdir "$DEST.tmp"
echo "$STAMP_VAL" > "$DEST/.stamp"
echo "dotnet-min ready: $DEST/dotnet/dotnet"
