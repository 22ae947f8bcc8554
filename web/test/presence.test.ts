import { describe, expect, it } from "vitest";
import { PRESENCE_INK, PRESENCE_PALETTE, presenceColor } from "#lib/presence.ts";

// WCAG 2 relative luminance and contrast; CIE76 distance in Lab (D65) for "tell two people apart".
const channels = (hex: string) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255);
const linear = (c: number) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
function luminance(hex: string) {
  const [r, g, b] = channels(hex).map(linear);
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}
function contrast(a: string, b: string) {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}
function lab(hex: string) {
  const [r, g, b] = channels(hex).map(linear);
  const f = (t: number) => (t > 0.008856 ? Math.cbrt(t) : 7.787 * t + 16 / 116);
  const x = f((0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047);
  const y = f(0.2126 * r + 0.7152 * g + 0.0722 * b);
  const z = f((0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883);
  return [116 * y - 16, 500 * (x - y), 200 * (y - z)];
}
const distance = (a: string, b: string) => Math.hypot(...lab(a).map((v, i) => v - lab(b)[i]));

describe("presence colours", () => {
  it("has at least 8 colours, each readable under its initials in light and dark", () => {
    expect(PRESENCE_PALETTE.length).toBeGreaterThanOrEqual(8);
    for (const c of PRESENCE_PALETTE) {
      expect(contrast(c.light, PRESENCE_INK.light), c.light).toBeGreaterThanOrEqual(4.5);
      expect(contrast(c.dark, PRESENCE_INK.dark), c.dark).toBeGreaterThanOrEqual(4.5);
    }
  });

  it("keeps any two colours of a scheme visibly apart", () => {
    for (const scheme of ["light", "dark"] as const) {
      const colours = PRESENCE_PALETTE.map((c) => c[scheme]);
      for (let i = 0; i < colours.length; i++)
        for (let j = i + 1; j < colours.length; j++)
          expect(distance(colours[i], colours[j]), `${colours[i]} vs ${colours[j]}`).toBeGreaterThan(15);
    }
  });

  it("gives one person one colour, and spreads a room over the palette", () => {
    expect(presenceColor("u_alice")).toBe(presenceColor("u_alice"));
    const used = new Set(Array.from({ length: 60 }, (_, i) => presenceColor(`user-${i}`).light));
    expect(used.size).toBeGreaterThanOrEqual(10);
  });
});
