#!/usr/bin/env bash
# Makes a base image for deploy/docker/Dockerfile without a registry: a root file system with
# busybox-static as /bin/sh and its tools, the shared libraries that the release folder's binary and
# native libraries load (found with ldd on this machine), OpenSSL and the CA certificates, imported
# with `docker import`. Use it where mcr.microsoft.com cannot be reached; the image then carries this
# machine's glibc, so build it on the oldest distribution the image must match.
#   deploy/docker/offline-base.sh NAME:TAG artifacts/release/linux-x64
set -euo pipefail
name="${1:?usage: offline-base.sh NAME:TAG RELEASE_FOLDER}"
release="${2:?usage: offline-base.sh NAME:TAG RELEASE_FOLDER}"
busybox="${BUSYBOX:-/bin/busybox}"
if [ ! -x "$busybox" ] || ldd "$busybox" >/dev/null 2>&1; then
  echo "offline-base.sh: a static busybox is needed at $busybox (apt-get install busybox-static, or set BUSYBOX)" >&2
  exit 1
fi
rootfs=$(mktemp -d)
trap 'rm -rf "$rootfs"' EXIT
mkdir -p "$rootfs"/{bin,etc,tmp,root,var/lib/tc-worker,etc/tc-worker}
chmod 1777 "$rootfs/tmp"
cp "$busybox" "$rootfs/bin/busybox"
for applet in $("$busybox" --list); do [ "$applet" = busybox ] || ln -s busybox "$rootfs/bin/$applet"; done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$rootfs/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$rootfs/etc/group"
# Every library the binary and the release's native libraries need, and the ones .NET opens by name.
libs=$( { ldd "$release/tc-worker"; find "$release" -name '*.so' -exec ldd {} \; ; } 2>/dev/null | awk '/=> \//{print $3} /^\t\/lib/{print $1}' | sort -u)
for extra in libssl.so.3 libcrypto.so.3 libgcc_s.so.1 libstdc++.so.6; do
  found=$(ldconfig -p | awk -v lib="$extra" '$1 == lib && /x86-64|x86_64|64/ {print $NF; exit}')
  if [ -n "$found" ]; then libs="$libs $found"; fi
done
for lib in $libs; do
  mkdir -p "$rootfs$(dirname "$lib")"
  cp -L "$lib" "$rootfs$lib"
done
if [ -d /etc/ssl/certs ]; then mkdir -p "$rootfs/etc/ssl" && cp -rL /etc/ssl/certs "$rootfs/etc/ssl/certs"; fi
tar -C "$rootfs" -c . | docker import -c 'ENV PATH=/usr/local/bin:/usr/bin:/bin' - "$name" >/dev/null
echo "$name"
