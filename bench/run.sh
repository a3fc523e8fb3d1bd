#!/usr/bin/env bash
# Builds the benchmarks in Release and runs the whole set of figures, each next to its raw baseline
# measured in the same run, then prints the table. Arguments go to the driver (--quick: small counts).
# The micro-benchmarks run separately: dotnet run -c Release --project bench/TcWorker.Bench.Micro -- --filter '*'
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
dotnet build bench/TcWorker.Bench/TcWorker.Bench.csproj -c Release -v quiet -nologo
# The figures of the real binary measure it as deployed: published (ReadyToRun), as README.md says.
export TCWORKER_BENCH_CLI="$PWD/artifacts/bench/tc-worker/"
dotnet publish src/Cli -c Release -o "$TCWORKER_BENCH_CLI" -v quiet -nologo
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -h | awk '/^Mem:/ {print $2 " memory, " $7 " available"}'), dotnet $(dotnet --version)"
exec dotnet bench/TcWorker.Bench/bin/Release/net10.0/TcWorker.Bench.dll "$@"
