/**
 * The one confirmation the app asks before something it cannot undo: `await confirm({...})` opens the
 * dialog `<ConfirmHost/>` (mounted once in the root layout) renders, and resolves with the person's answer.
 */
export interface ConfirmRequest {
  title: string;
  body?: string;
  confirmLabel?: string;
  /** Deleting, revoking, removing: the confirm button is styled as dangerous. */
  danger?: boolean;
}

interface Pending extends ConfirmRequest {
  id: number;
  answer: (yes: boolean) => void;
}

export const confirmState = $state<{ pending: Pending | null }>({ pending: null });
let asked = 0;

export function confirm(request: ConfirmRequest): Promise<boolean> {
  // A second question while one is open answers the first with "no": one dialog at a time.
  confirmState.pending?.answer(false);
  return new Promise<boolean>((resolve) => {
    // Compared by id: the state holds a proxy of this object, never the object itself.
    const id = ++asked;
    confirmState.pending = {
      ...request,
      id,
      answer: (yes) => {
        if (confirmState.pending?.id === id) confirmState.pending = null;
        resolve(yes);
      },
    };
  });
}
