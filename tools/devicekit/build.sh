#!/usr/bin/env bash
# Builds .devicekit/ (git-ignored) for running Engine on a lent GPU machine that has no .NET: a minimal dotnet tree
# (host, hostfxr, Microsoft.NETCore.App, and the pieces of the SDK that vstest.console needs, ~28 MB as .tar.xz) and the
# scripts beside this one. Also copies ../shared/data into shared/ (ignored too), where the tests look for the corpus.
# Then, on the GPU machine (carry .devicekit, tests/Engine.Tests/bin/Release/net10.0 and src/Cli/bin/Release/net10.0):
#   sh .devicekit/setup.sh; . .devicekit/env.sh
#   DOTNET=$DOTNET_ROOT/dotnet VSTEST="sh .devicekit/vstest.sh" bash tools/gpu-check.sh
# Usage: tools/devicekit/build.sh          Environment: DOTNET_ROOT (default: the SDK's folder on this machine)
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
root="${DOTNET_ROOT:-$(dirname "$(readlink -f "$(command -v dotnet)")")}"
runtime="$(ls -d "$root"/shared/Microsoft.NETCore.App/*/ | sort -V | tail -1)"
sdk="$(ls -d "$root"/sdk/*/ | sort -V | tail -1)"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
tree="$stage/dotnet"
mkdir -p "$tree/shared/Microsoft.NETCore.App" "$tree/host" "$tree/sdk/$(basename "$sdk")/Extensions"
cp "$root/dotnet" "$tree/"
cp -r "$root/host/fxr" "$tree/host/"
cp -r "$runtime" "$tree/shared/Microsoft.NETCore.App/"
# vstest.console and what it loads; Microsoft.Extensions.DependencyModel is needed though its deps.json omits it.
( cd "$sdk" && cp vstest.console.* testhost* Microsoft.TestPlatform.*.dll Microsoft.VisualStudio.TestPlatform.*.dll \
    Microsoft.Extensions.DependencyModel.dll Microsoft.Extensions.FileSystemGlobbing.dll Newtonsoft.Json.dll \
    "$tree/sdk/$(basename "$sdk")/" )
rm -f "$tree/sdk/$(basename "$sdk")/Microsoft.TestPlatform.Build.dll"
cp "$sdk"/Extensions/*.dll "$tree/sdk/$(basename "$sdk")/Extensions/"
mkdir -p "$repo/.devicekit"
tar -C "$stage" -cf - dotnet | xz -T0 -9 > "$repo/.devicekit/dotnet-min.tar.xz"
cp "$repo"/tools/devicekit/{setup,env,vstest,dotnet}.sh "$repo/.devicekit/"
sed -i "s|sdk/10.0.401/vstest.console.dll|sdk/$(basename "$sdk")/vstest.console.dll|" "$repo/.devicekit/vstest.sh"
grep -qx '/.devicekit/' "$repo/.git/info/exclude" 2>/dev/null || echo '/.devicekit/' >> "$repo/.git/info/exclude"
if [ -d "$repo/../shared/data" ]; then
  mkdir -p "$repo/shared" && cp -r "$repo/../shared/data" "$repo/shared/"
  grep -qx '/shared/' "$repo/.git/info/exclude" || echo '/shared/' >> "$repo/.git/info/exclude"
fi
echo "devicekit: $(du -sh "$repo/.devicekit" | cut -f1) in $repo/.devicekit (runtime $(basename "$runtime"), sdk $(basename "$sdk"))"
