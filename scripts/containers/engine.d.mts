/** The engine the container tooling uses: DOCKER_HOST, else the socket of scripts/containers/docker-up.sh's dockerd if present. */
export function dockerHost(): string | undefined;
/** null when Docker answers; otherwise why it cannot be used here. */
export function dockerUnavailable(host?: string): string | null;
/** Builds the agent image unless an image of the same inputs exists; its name. */
export function agentImage(host?: string): string;
