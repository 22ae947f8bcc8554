/** What the container suite's control server tells of a session's container (test/containers/global-setup.ts). */
export interface ContainerFacts {
  id: string;
  running: boolean;
  user: string;
  /** Names only. */
  envNames: string[];
  /** The key the container was started with: the session's own. */
  agentKey: string | null;
  /** Host addresses its ports are published on. */
  publishedOn: string[];
  workingDir: string;
  /** Its memory limit (the instance type's). */
  memoryBytes: number;
}
