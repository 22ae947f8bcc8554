/** A workspace's monthly budget and the budget alerts sent (migrations/0006). */

/** The workspace's monthly budget in US dollars, or null when it has none. */
export async function monthlyBudgetUsd(db: D1Database, workspaceId: string): Promise<number | null> {
  const row = await db
    .prepare(`SELECT monthly_budget_usd FROM workspaces WHERE id = ?`)
    .bind(workspaceId)
    .first<{ monthly_budget_usd: number | null }>();
  return row?.monthly_budget_usd ?? null;
}

/** Claims the alert of this kind for the month: true only for the first claim, so it is sent once. */
export async function claimBudgetAlert(
  db: D1Database,
  workspaceId: string,
  month: string,
  kind: string,
  at: number,
): Promise<boolean> {
  const result = await db
    .prepare(`INSERT OR IGNORE INTO budget_alerts (workspace_id, month, kind, at) VALUES (?, ?, ?, ?)`)
    .bind(workspaceId, month, kind, at)
    .run();
  return result.meta.changes > 0;
}

/** The workspace's sessions that run now (Running): a reached budget stops them. */
export async function runningSessionIds(db: D1Database, workspaceId: string): Promise<string[]> {
  const { results } = await db
    .prepare(`SELECT id FROM sessions WHERE workspace_id = ? AND phase = 'Running'`)
    .bind(workspaceId)
    .all<{ id: string }>();
  return results.map((row) => row.id);
}
