/** Svelte reactivity over Yjs types: a read is tracked, and the Yjs type's own events invalidate it. */
import { createSubscriber } from "svelte/reactivity";

interface Observed {
  observe(f: () => void): void;
  unobserve(f: () => void): void;
  observeDeep(f: () => void): void;
  unobserveDeep(f: () => void): void;
}

/** `current` re-reads on access; effects and deriveds depending on it re-run when the type changes. */
export class YView<T> {
  readonly #subscribe: () => void;
  readonly #read: () => T;

  constructor(type: Observed, read: () => T, deep = false) {
    this.#read = read;
    this.#subscribe = createSubscriber((update) => {
      if (deep) type.observeDeep(update);
      else type.observe(update);
      return () => (deep ? type.unobserveDeep(update) : type.unobserve(update));
    });
  }

  get current(): T {
    this.#subscribe();
    return this.#read();
  }
}
