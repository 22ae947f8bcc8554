/**
 * Presence colours: twelve hues, each in a light-scheme shade (white initials on it) and a dark-scheme tint
 * (dark initials on it), so avatars stay readable and tell people apart in both schemes.
 * web/test/presence.test.ts holds them to 4.5:1 contrast and a visible difference between any two.
 */
export interface PresenceColor {
  light: string;
  dark: string;
}

export const PRESENCE_PALETTE: readonly PresenceColor[] = [
  { light: "#c92a2a", dark: "#ffa8a8" }, // red
  { light: "#1864ab", dark: "#74c0fc" }, // blue
  { light: "#237032", dark: "#8ce99a" }, // green
  { light: "#862e9c", dark: "#e599f7" }, // grape
  { light: "#8f5300", dark: "#ffe066" }, // yellow
  { light: "#0b7285", dark: "#66d9e8" }, // cyan
  { light: "#a61e4d", dark: "#faa2c1" }, // pink
  { light: "#364fc7", dark: "#91a7ff" }, // indigo
  { light: "#c2410c", dark: "#ffc078" }, // orange
  { light: "#087f5b", dark: "#63e6be" }, // teal
  { light: "#5f3dc4", dark: "#b197fc" }, // violet
  { light: "#4a7a0a", dark: "#c0eb75" }, // lime
];

/** The initials' colours: white on the light-scheme shades, near-black on the dark-scheme tints. */
export const PRESENCE_INK = { light: "#ffffff", dark: "#10131a" } as const;

/** The same person gets the same colour in every tab and on every screen: a hash of their id. */
export function presenceColor(id: string): PresenceColor {
  let h = 0;
  for (const c of id) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return PRESENCE_PALETTE[h % PRESENCE_PALETTE.length];
}
