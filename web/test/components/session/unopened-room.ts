import { Room } from "#lib/room.svelte.ts";

/** A Room for session s1 of workspace w1 whose socket never opens: its admission never answers. */
export function unopenedRoom(): Room {
  return new Room(
    "w1",
    "s1",
    { id: "u1", name: "Ada", email: "" },
    { host: "tandem.test", admit: () => new Promise(() => {}) },
  );
}
