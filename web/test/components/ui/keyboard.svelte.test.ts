import { describe, expect, it } from "vitest";
import { paletteKeys, shortcutFor } from "#lib/components/ui/keyboard.svelte.ts";

function press(key: string, target: Element = document.body, mods: KeyboardEventInit = {}) {
  const e = new KeyboardEvent("keydown", { key, bubbles: true, ...mods });
  Object.defineProperty(e, "target", { value: target });
  return shortcutFor(e);
}

function field(html: string): Element {
  const holder = document.createElement("div");
  holder.innerHTML = html;
  document.body.append(holder);
  return holder.firstElementChild as Element;
}

describe("shortcutFor", () => {
  it("maps the app's keys", () => {
    expect(press("c")).toBe("new-session");
    expect(press("/")).toBe("search");
    expect(press("?")).toBe("help");
    expect(press("k", document.body, { metaKey: true })).toBe("palette");
    expect(press("k", document.body, { ctrlKey: true })).toBe("palette");
    expect(press("x")).toBeNull();
    expect(press("c", document.body, { ctrlKey: true })).toBeNull();
  });

  it("ignores single keys while typing in a field, but not ⌘K", () => {
    for (const html of [
      "<input>",
      '<input type="search">',
      "<textarea></textarea>",
      "<select></select>",
      '<div contenteditable="true"></div>',
    ]) {
      const el = field(html);
      if (el instanceof HTMLElement && el.hasAttribute("contenteditable")) {
        Object.defineProperty(el, "isContentEditable", { value: true });
      }
      expect(press("c", el), html).toBeNull();
      expect(press("/", el), html).toBeNull();
      expect(press("k", el, { ctrlKey: true }), html).toBe("palette");
    }
    expect(press("c", field('<input type="checkbox">'))).toBe("new-session");
  });
});

describe("paletteKeys", () => {
  it("spells the palette's key the way the computer's keyboard does", () => {
    expect(paletteKeys("MacIntel")).toEqual(["⌘", "K"]);
    expect(paletteKeys("Linux x86_64")).toEqual(["Ctrl", "K"]);
    expect(paletteKeys("Win32")).toEqual(["Ctrl", "K"]);
  });
});
