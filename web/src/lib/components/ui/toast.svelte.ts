/**
 * Short notes that something happened ("Secret saved"), shown by `<Toasts/>` (mounted once in the root
 * layout) and gone after a few seconds, instead of success lines that stay on the page.
 */
export type ToastKind = "success" | "error" | "info";

export interface Toast {
  id: number;
  message: string;
  kind: ToastKind;
}

/** Long enough to read a sentence; errors stay until dismissed. */
export const TOAST_MS = 5000;

export const toasts = $state<Toast[]>([]);
let nextId = 1;

export function dismissToast(id: number): void {
  const at = toasts.findIndex((t) => t.id === id);
  if (at >= 0) toasts.splice(at, 1);
}

export function toast(message: string, opts: { kind?: ToastKind } = {}): number {
  const kind = opts.kind ?? "success";
  const id = nextId++;
  toasts.push({ id, message, kind });
  if (kind !== "error") setTimeout(() => dismissToast(id), TOAST_MS);
  return id;
}
