#!/usr/bin/env bash
# Builds the agent image from containers/agent/Dockerfile on the local base (base-image.sh), unless an
# image of the same inputs is there already: the tag is a hash of the Dockerfile, the files the image copies
# (the `!` entries of Dockerfile.dockerignore, less its other patterns) and the base image's id. Prints the
# image's name. BASE_IMAGE=node:22-slim builds on the public base instead (a machine that reaches Docker Hub).
set -euo pipefail
cd "$(dirname "$0")/../.."
DOCKERFILE=containers/agent/Dockerfile
IGNORE="$DOCKERFILE.dockerignore"
BASE="${BASE_IMAGE:-$(bash scripts/containers/base-image.sh)}"

# The build context: only what the dockerignore lets through (the legacy builder, the one Debian ships,
# reads no <Dockerfile>.dockerignore, so the context is made here from it).
mapfile -t INCLUDE < <(sed -n 's/^!//p' "$IGNORE")
mapfile -t EXCLUDE < <(grep -v -e '^#' -e '^!' -e '^\*$' -e '^$' "$IGNORE" | sed 's#^\*\*/##')
CONTEXT="$(mktemp -d "${TMPDIR:-/tmp}/tandem-agent-context.XXXXXX")"
trap 'rm -rf "$CONTEXT"' EXIT
tar -c "${EXCLUDE[@]/#/--exclude=}" "${INCLUDE[@]}" "$DOCKERFILE" | tar -x -C "$CONTEXT"
HASH="$( { (cd "$CONTEXT" && find . -type f -print0 | sort -z | xargs -0 sha256sum); docker image inspect -f '{{.Id}}' "$BASE"; } | sha256sum | cut -c1-16)"
NAME="tandem-agent:$HASH"
if docker image inspect "$NAME" >/dev/null 2>&1; then echo "$NAME"; exit 0; fi

echo "[agent-image] building $NAME on $BASE" >&2
# The build's RUN steps use the host's network (apt and the npm registry); the containers started from the
# image do not.
DOCKER_BUILDKIT=0 docker build --network host --build-arg "BASE_IMAGE=$BASE" -f "$CONTEXT/$DOCKERFILE" -t "$NAME" "$CONTEXT" >"$CONTEXT/build.log" 2>&1 \
  || { tail -30 "$CONTEXT/build.log" >&2; exit 1; }
# Images of other inputs a day old or more go (what they share with this one stays); a newer one may be
# another checkout's, in use.
cutoff=$(( $(date +%s) - 86400 ))
for old in $(docker image ls tandem-agent --format '{{.Repository}}:{{.Tag}}'); do
  [ "$old" = "$NAME" ] && continue
  created="$(date -d "$(docker image inspect -f '{{.Created}}' "$old")" +%s 2>/dev/null || echo "$cutoff")"
  [ "$created" -lt "$cutoff" ] && docker image rm "$old" >/dev/null 2>&1 || true
done
docker image prune --force >/dev/null 2>&1 || true
echo "$NAME"
