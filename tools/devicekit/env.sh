# Source this (". .devicekit/env.sh") to use the minimal tree: sets DOTNET_ROOT, PATH and quiet/offline env.
DOTNET_MIN_DIR=${DOTNET_MIN_DIR:-/tmp/dotnet-min}
export DOTNET_ROOT="$DOTNET_MIN_DIR/dotnet"
export DOTNET_ROOT_X64="$DOTNET_ROOT"
export DOTNET_MULTILEVEL_LOOKUP=0
export DOTNET_CLI_TELEMETRY_OPTOUT=1
export DOTNET_NOLOGO=1
export DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
export DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1   # no libicu needed on the target
export PATH="$DOTNET_ROOT:$PATH"
