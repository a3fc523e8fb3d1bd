#!/usr/bin/env bash
# Makes the packages of this tree the API baseline: packs every project that sets TcWorkerApiBaseline
# (without validating it against the old baseline) and copies each package over
# eng/baseline/<PackageId>.nupkg. Run it when a version ships (1.0.0, then 1.1.0, ...) and commit the
# result; from then on `dotnet pack` (and so ./test.sh and CI) fails on anything that would break a
# component or kit subclass built against that version.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
version=$(dotnet msbuild src/Abstractions/TcWorker.Abstractions.csproj -getProperty:Version)
mapfile -t projects < <(grep -l '<TcWorkerApiBaseline>true</TcWorkerApiBaseline>' src/*/*.csproj engines/*/*.csproj plugins/*/*.csproj | sort)
for project in "${projects[@]}"; do
  id=$(basename "$project" .csproj)
  # A package may carry a version of its own (TcWorker.Sdk).
  own=$(dotnet msbuild "$project" -getProperty:Version)
  echo "packing $id $own"
  dotnet pack "$project" -c Release --nologo -v quiet -p:DisablePackageBaselineValidation=true -p:PackageOutputPath="$out/"
  cp "$out/$id.$own.nupkg" "eng/baseline/$id.nupkg"
done
printf '%s\n' "$version" > eng/baseline/VERSION
echo "eng/baseline now holds ${#projects[@]} packages of version $version; review and commit it."
