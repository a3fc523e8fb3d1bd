#!/usr/bin/env bash
# A task printing one line of SIZE bytes (default 1 GiB) and no newline, through `tc-worker run` with
# the live log and secret masking: prints the worker's peak resident memory (VmHWM) and the size of
# the backing log it saved. Needs a built tc-worker (dotnet build src/Cli -c Release).
set -euo pipefail
size=${1:-1073741824}
root=$(cd "$(dirname "$0")/.." && pwd)
folder=$(mktemp -d /tmp/tcw-long-line.XXXXXX)
trap 'rm -rf "$folder"' EXIT
cd "$folder"
cat > line.json <<JSON
{"command": [["sh", "-c", "head -c $size /dev/zero | tr '\\\\0' x"]], "env": {"SOME_TOKEN": "masked-value-that-never-comes"}}
JSON
cat > config.json <<'JSON'
{"engine": "native", "engines": {"native": {"createUser": false}}, "plugins": {"env": {}, "maxruntime": {}, "success": {}, "livelog": {}, "secretmask": {}}, "worker": {"workerPoolId": "local/native"}}
JSON
"$root/src/Cli/bin/Release/net10.0/tc-worker" run line.json --config config.json --out out >/dev/null 2>stderr.txt &
pid=$!
peak=0
while kill -0 "$pid" 2>/dev/null; do
  v=$(awk '/VmHWM/{print $2}' "/proc/$pid/status" 2>/dev/null || true)
  if [ -n "$v" ] && [ "$v" -gt "$peak" ]; then peak=$v; fi
  sleep 0.2
done
wait "$pid"
echo "line of $size bytes: tc-worker run peak RSS $((peak / 1024)) MiB; backing log $(stat -c %s out/public/logs/live_backing.log) bytes"
