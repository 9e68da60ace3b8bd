#!/bin/sh
# Run vstest.console from the minimal tree (tools/devicekit/build.sh writes the SDK version below into .devicekit).
# Usage: sh .devicekit/vstest.sh path/to/Engine.Tests.dll [--TestCaseFilter:"..."] [more vstest args]
# Default logger: console;verbosity=normal (override by passing your own --logger).
set -eu
KIT_DIR=$(cd "$(dirname "$0")" && pwd)
. "$KIT_DIR/env.sh"
[ -x "$DOTNET_ROOT/dotnet" ] || sh "$KIT_DIR/setup.sh" >/dev/null
[ $# -ge 1 ] || { echo "usage: $0 TEST.dll [vstest args...]" >&2; exit 2; }
LOGGER='--logger:console;verbosity=normal'
for a in "$@"; do case "$a" in --logger*|/logger*|-l:*|--l:*|/l:*) LOGGER= ;; esac; done
exec "$DOTNET_ROOT/dotnet" "$DOTNET_ROOT/sdk/10.0.401/vstest.console.dll" "$@" ${LOGGER:+"$LOGGER"}
