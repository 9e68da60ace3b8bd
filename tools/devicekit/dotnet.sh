#!/bin/sh
# Run a framework-dependent app with the minimal tree, e.g.:
#   sh .devicekit/dotnet.sh src/Cli/bin/Release/net10.0/engine.dll --help
set -eu
KIT_DIR=$(cd "$(dirname "$0")" && pwd)
. "$KIT_DIR/env.sh"
[ -x "$DOTNET_ROOT/dotnet" ] || sh "$KIT_DIR/setup.sh" >/dev/null
exec "$DOTNET_ROOT/dotnet" "$@"
