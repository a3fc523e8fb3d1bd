#!/usr/bin/env bash
# Builds self-contained release folders of tc-worker: artifacts/release/<rid>/ holds the binary, the
# .NET runtime and plugins/<Name>/ for every stock engine and plugin, and artifacts/release/ gets a
# tc-worker-<version>-<rid>.tar.gz (zip for Windows) of it. No .NET installation is needed where it runs.
#   eng/release.sh                      # linux-x64 linux-arm64 osx-arm64 win-x64
#   eng/release.sh linux-x64            # some of them
#   eng/release.sh --folder-only linux-x64   # the folder, no archive
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
archive=true
if [ "${1:-}" = "--folder-only" ]; then archive=false; shift; fi
rids=("$@")
[ ${#rids[@]} -gt 0 ] || rids=(linux-x64 linux-arm64 osx-arm64 win-x64)
version=$(sed -n 's:.*<VersionPrefix>\(.*\)</VersionPrefix>.*:\1:p' Directory.Build.props)
for rid in "${rids[@]}"; do
  out="artifacts/release/$rid"
  rm -rf "$out"
  echo "== tc-worker $version for $rid"
  # The binary and the runtime that ships with it are precompiled together (composite ReadyToRun) for
  # its platform: the framework's generic code the worker instantiates is precompiled too, about a
  # quarter off start-up (docs/benchmarks.md, start-up third round). Plugin folders stay portable and
  # run in that runtime (see TcWorkerPluginLayoutDir in Directory.Build.targets).
  # Its own build folders: a composite image of tc-worker.dll (or a self-contained runtimeconfig) left where a plain `dotnet publish -r`
  # looks would be copied into that publish, whose runtime then cannot load it.
  dotnet publish src/Cli -c Release -r "$rid" --self-contained -p:PublishReadyToRun=true -p:PublishReadyToRunComposite=true \
    -p:IntermediateOutputPath="obj/Release/composite-$rid/" -p:OutputPath="bin/Release/composite-$rid/" --nologo -v quiet -o "$out"
  $archive || continue
  case "$rid" in
    win-*) (cd artifacts/release && rm -f "tc-worker-$version-$rid.zip" && python3 -m zipfile -c "tc-worker-$version-$rid.zip" "$rid") ;;
    *) tar -C artifacts/release -czf "artifacts/release/tc-worker-$version-$rid.tar.gz" "$rid" ;;
  esac
done
