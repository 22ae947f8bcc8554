import { afterEach, describe, expect, it } from "vitest";
import { loadTheme, setTheme, theme } from "#lib/components/ui/theme.svelte.ts";

afterEach(() => {
  localStorage.clear();
  document.documentElement.removeAttribute("data-theme");
});

describe("theme", () => {
  it("is remembered across loads and applied to <html>", () => {
    setTheme("dark");
    expect(document.documentElement.dataset.theme).toBe("dark");
    document.documentElement.removeAttribute("data-theme");
    theme.current = "system";
    loadTheme();
    expect(theme.current).toBe("dark");
    expect(document.documentElement.dataset.theme).toBe("dark");
  });

  it("system removes the choice: the browser's scheme decides", () => {
    setTheme("light");
    setTheme("system");
    expect(document.documentElement.hasAttribute("data-theme")).toBe(false);
    expect(localStorage.getItem("tandem.theme")).toBeNull();
    loadTheme();
    expect(theme.current).toBe("system");
  });
});
