/** The list shows the pull request a session's last push opened (the room is the truth; D1 mirrors it). */
export function setSessionPullRequest(db: D1Database, sessionId: string, url: string): Promise<D1Result> {
  return db.prepare(`UPDATE sessions SET pull_request_url = ? WHERE id = ?`).bind(url, sessionId).run();
}
