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

/** A value that never changes: what a settled message or block reads as. */
class Fixed<T> {
  readonly current: T;
  constructor(value: T) {
    this.current = value;
  }
}

/** A view of a message or block: live (a Yjs type) it follows its changes; settled (a plain value) it is fixed. */
export function viewOf<T>(node: unknown, read: () => T, deep = false): { readonly current: T } {
  return isObserved(node) ? new YView(node, read, deep) : new Fixed(read());
}

function isObserved(node: unknown): node is Observed {
  return (
    typeof node === "object" && node !== null && typeof (node as Partial<Observed>).observe === "function"
  );
}
