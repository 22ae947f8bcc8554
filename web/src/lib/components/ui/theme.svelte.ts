/**
 * The colour theme the person picked in the user menu: light, dark, or the system's. Remembered in this
 * browser and applied as data-theme on <html>, which app.css's color-scheme follows.
 */
export type Theme = "light" | "dark" | "system";

const KEY = "tandem.theme";
const THEMES: readonly Theme[] = ["light", "dark", "system"];

function isTheme(v: unknown): v is Theme {
  return typeof v === "string" && (THEMES as readonly string[]).includes(v);
}

function stored(): Theme {
  try {
    const v = localStorage.getItem(KEY);
    return isTheme(v) ? v : "system";
  } catch {
    // Storage refused (a locked-down browser): the system's scheme.
    return "system";
  }
}

export const theme = $state<{ current: Theme }>({ current: "system" });

function apply(t: Theme) {
  if (t === "system") document.documentElement.removeAttribute("data-theme");
  else document.documentElement.dataset.theme = t;
}

/** Reads the remembered theme and applies it; the root layout calls it once, before the first paint. */
export function loadTheme(): void {
  theme.current = stored();
  apply(theme.current);
}

export function setTheme(t: Theme): void {
  theme.current = t;
  apply(t);
  try {
    if (t === "system") localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, t);
  } catch {
    // Not remembered, still applied.
  }
}
