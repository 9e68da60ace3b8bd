set -u
sh .devicekit/setup.sh >/dev/null; . .devicekit/env.sh
D=$DOTNET_ROOT/dotnet; E="$D src/Cli/bin/Release/net10.0/engine.dll"
ENGINE_REQUIRE_CUDA=1 ENGINE_TEST_OPENCL=opencl:1 timeout 300 sh .devicekit/vstest.sh tests/Engine.Tests/bin/Release/net10.0/Engine.Tests.dll > $OUT/tests.log 2>&1; echo "tests exit $?"
grep -E "^\s+Failed |Total tests|Passed:|Failed:" $OUT/tests.log | head -20
timeout 120 $D .benchmin/Engine.Bench.dll --quick cuda --only gemm > $OUT/gemm.jsonl 2>&1; echo "gemm exit $?"; cat $OUT/gemm.jsonl
timeout 90 $E bench --quick --what train --preset small --device cuda --warmup 3 --steps 10 > $OUT/bench-small.jsonl 2>&1; echo "small exit $?"; cat $OUT/bench-small.jsonl
timeout 90 $E profile --device cuda --what train --preset small --trace /tmp/t.json > $OUT/profile-small.txt 2>&1; echo "profile exit $?"; head -16 $OUT/profile-small.txt
