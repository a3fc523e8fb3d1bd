#!/usr/bin/env bash
# Runs every test of TcWorker on a fresh machine: prepares what the tests need (restore, npm ci of
# the committed lock files, Debian packages when run as root), builds, and runs every test project.
# Tests start their own servers on free loopback ports. Exit code: 0 when every test passed.
set -euo pipefail
cd "$(dirname "$0")"
root=$(pwd)
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

echo "== preparing"
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  missing=()
  for pkg in $(grep -v '^#' "$root/.ci/apt-packages.txt" 2>/dev/null || true); do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
fi
while IFS= read -r lock; do
  dir=$(dirname "$lock")
  echo "npm ci in ${dir#"$root"/}"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
done < <(find "$root/tests" "$root/bench" -name package-lock.json -not -path '*/node_modules/*' 2>/dev/null | sort)

# The Docker engine's tests need a daemon. Without one on the default socket (and no DOCKER_HOST),
# start one for this run: data under the build output, sockets in a short temporary folder (socket
# paths are limited to 108 bytes), no bridge and no iptables (containers use --network none or host);
# stopped, and its folders removed, when the script ends.
dockerd_pid=""
dockerd_exec=""
stop_dockerd() {
  if [ -n "$dockerd_pid" ]; then
    kill "$dockerd_pid" 2>/dev/null || true
    for _ in $(seq 1 150); do kill -0 "$dockerd_pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$dockerd_pid" 2>/dev/null || true
    dockerd_pid=""
  fi
  if [ -n "$dockerd_exec" ]; then
    # A daemon that could not finish its own clean-up leaves its data folder mounted: unmount it, and
    # never let the clean-up decide the script's exit status.
    if command -v findmnt >/dev/null 2>&1; then
      findmnt -rn -o TARGET | grep -F "$root/artifacts/dockerd" | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
    fi
    rm -rf "$dockerd_exec" "$root/artifacts/dockerd" 2>/dev/null || echo "note: could not remove $root/artifacts/dockerd"
    dockerd_exec=""
  fi
}
trap stop_dockerd EXIT
if [ -z "${DOCKER_HOST:-}" ] && command -v dockerd >/dev/null 2>&1 && [ "$(id -u)" = 0 ] \
  && ! curl -sf --max-time 5 --unix-socket /var/run/docker.sock http://localhost/_ping >/dev/null 2>&1; then
  echo "== starting dockerd for the Docker engine's tests"
  dockerd_exec=$(mktemp -d /tmp/tcw-dockerd.XXXXXX)
  mkdir -p "$root/artifacts/dockerd"
  dockerd --bridge=none --iptables=false --ip6tables=false \
    --data-root "$root/artifacts/dockerd/data" --exec-root "$dockerd_exec/exec" \
    --pidfile "$dockerd_exec/dockerd.pid" -H "unix://$dockerd_exec/docker.sock" \
    >"$root/artifacts/dockerd/dockerd.log" 2>&1 &
  dockerd_pid=$!
  for _ in $(seq 1 150); do
    curl -sf --max-time 2 --unix-socket "$dockerd_exec/docker.sock" http://localhost/_ping >/dev/null 2>&1 && break
    sleep 0.2
  done
  if curl -sf --max-time 2 --unix-socket "$dockerd_exec/docker.sock" http://localhost/_ping >/dev/null 2>&1; then
    export DOCKER_HOST="unix://$dockerd_exec/docker.sock"
  else
    echo "dockerd did not answer; its log:"; tail -n 20 "$root/artifacts/dockerd/dockerd.log" || true
  fi
fi

echo "== building"
dotnet restore TcWorker.slnx
dotnet build TcWorker.slnx -c Release --no-restore
echo "== packing"
rm -rf "$root/artifacts/packages"
dotnet pack TcWorker.slnx -c Release --no-build --nologo -v quiet
if [ "$(uname -sm)" = "Linux x86_64" ]; then
  echo "== release folder (linux-x64, self-contained)"
  "$root/eng/release.sh" --folder-only linux-x64
fi

echo "== testing"
results="$root/artifacts/test-results"
rm -rf "$results"
status=0
dotnet test TcWorker.slnx -c Release --no-build --logger trx --results-directory "$results" "$@" || status=$?

passed=0; failed=0; skipped=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters"); passed=$((passed + ${p:-0}))
  f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters"); failed=$((failed + ${f:-0}))
  t=$(sed -n 's/.* total="\([0-9]*\)".*/\1/p' <<<"$counters")
  e=$(sed -n 's/.* executed="\([0-9]*\)".*/\1/p' <<<"$counters"); skipped=$((skipped + ${t:-0} - ${e:-0}))
done
echo "Tests: $passed passed, $failed failed, $skipped skipped"
if [ "$status" -ne 0 ] || [ "$failed" -ne 0 ] || [ "$passed" -eq 0 ]; then
  exit 1
fi
