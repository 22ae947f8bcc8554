/** An owner-only list of a workspace (secrets, triggers): the workspace first, then the list if the person owns it. */
import { api, errorMessage } from "./api";
import type { Workspace } from "./api";

export class OwnerList<T> {
  workspace = $state<Workspace | null>(null);
  items = $state<T[] | null>(null);
  error = $state("");
  readonly #fetch: (wsId: string) => Promise<T[]>;

  constructor(fetch: (wsId: string) => Promise<T[]>) {
    this.#fetch = fetch;
  }

  get isOwner(): boolean {
    return this.workspace?.role === "owner";
  }

  async load(wsId: string): Promise<void> {
    try {
      this.workspace = (await api.workspace(wsId)).workspace;
      if (this.isOwner) this.items = await this.#fetch(wsId);
      this.error = "";
    } catch (err) {
      this.error = errorMessage(err);
    }
  }

  /** Applies an owner's change and reloads the list either way; false (with the error shown) when it failed. */
  async change(wsId: string, apply: () => Promise<unknown>): Promise<boolean> {
    let failure = "";
    try {
      await apply();
    } catch (err) {
      failure = errorMessage(err);
    }
    await this.load(wsId);
    if (failure) this.error = failure;
    return !failure;
  }
}
