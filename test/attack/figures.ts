/** The attack suite's figures: what was sent, what came back, and what should never have. */
export interface Figures {
  requests: number;
  statuses: Record<string, number>;
  serverErrors: number;
  /** Responses that carried something of a workspace the caller is not in. */
  leaks: number;
  /** Error responses that were not `{error:{code,message}}` JSON. */
  badErrorShapes: number;
  socketFrames: number;
  /** Client Yjs writes sent / applied to a room's document. */
  yjsWritesSent: number;
  yjsWritesApplied: number;
}

export const emptyFigures = (): Figures => ({
  requests: 0,
  statuses: {},
  serverErrors: 0,
  leaks: 0,
  badErrorShapes: 0,
  socketFrames: 0,
  yjsWritesSent: 0,
  yjsWritesApplied: 0,
});

export function mergeFigures(a: Figures, b: Figures): Figures {
  const statuses = { ...a.statuses };
  for (const [status, count] of Object.entries(b.statuses))
    statuses[status] = (statuses[status] ?? 0) + count;
  return {
    requests: a.requests + b.requests,
    statuses,
    serverErrors: a.serverErrors + b.serverErrors,
    leaks: a.leaks + b.leaks,
    badErrorShapes: a.badErrorShapes + b.badErrorShapes,
    socketFrames: a.socketFrames + b.socketFrames,
    yjsWritesSent: a.yjsWritesSent + b.yjsWritesSent,
    yjsWritesApplied: a.yjsWritesApplied + b.yjsWritesApplied,
  };
}

export function formatFigures(f: Figures): string {
  const statuses = Object.entries(f.statuses)
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([status, count]) => `${status}×${count}`)
    .join(" ");
  return [
    "",
    "attack suite figures",
    `  requests sent:        ${f.requests}`,
    `  statuses seen:        ${statuses || "none"}`,
    `  5xx responses:        ${f.serverErrors}`,
    `  errors not JSON-shaped or off the code list: ${f.badErrorShapes}`,
    `  leaks found:          ${f.leaks}`,
    `  WebSocket frames sent: ${f.socketFrames}`,
    `  client Yjs writes:    ${f.yjsWritesSent} sent, ${f.yjsWritesApplied} applied`,
    "",
  ].join("\n");
}
