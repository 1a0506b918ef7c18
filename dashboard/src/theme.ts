/** Light, dark or system appearance, remembered across visits (localStorage: a preference, not a credential). */
export type ThemeChoice = "light" | "dark" | "system";
const KEY = "docflare.theme";
const listeners = new Set<() => void>();

export function getThemeChoice(): ThemeChoice {
  const v = localStorage.getItem(KEY);
  return v === "light" || v === "dark" ? v : "system";
}

export function setThemeChoice(choice: ThemeChoice): void {
  localStorage.setItem(KEY, choice);
  for (const l of listeners) l();
}

export function onThemeChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function resolveTheme(choice: ThemeChoice, prefersDark: boolean): "light" | "dark" {
  return choice === "system" ? (prefersDark ? "dark" : "light") : choice;
}
