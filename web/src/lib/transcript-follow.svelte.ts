/**
 * Following the transcript as it grows: while the reader is at the bottom, new content scrolls into view;
 * once they scroll up to read, it stays where they are and a "Jump to latest" control offers the way back.
 */

/** Within this many pixels of the end counts as at the bottom (a last line half hidden still follows). */
export const AT_BOTTOM_PX = 80;

export class Follow {
  /** The reader is at the bottom: new content scrolls into view. */
  atBottom = $state(true);
  /** Content arrived while the reader was scrolled up: "Jump to latest" shows. */
  unseen = $state(false);

  /** The reader scrolled (or the page did): `distance` is how far the view's end is from the content's. */
  scrolled(distance: number): void {
    this.atBottom = distance < AT_BOTTOM_PX;
    if (this.atBottom) this.unseen = false;
  }

  /** Content changed: true when the view should scroll to the end; otherwise it is marked unseen. */
  grew(): boolean {
    if (this.atBottom) return true;
    this.unseen = true;
    return false;
  }

  /** The reader asked for the latest: follow again. */
  jump(): void {
    this.atBottom = true;
    this.unseen = false;
  }
}
