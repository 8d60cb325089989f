import { byId } from "./dom.ts";

/** localStorage key of the theme choice; index.html reads it before first paint. */
const storageKey = "pipeline-dashboard-theme";

/** The light/dark toggle: follows the system until the user picks one, which is remembered. */
export function startThemeToggle(): void {
  const button = byId<HTMLButtonElement>("theme-toggle");
  const systemDark = window.matchMedia("(prefers-color-scheme: dark)");
  const current = () => document.documentElement.dataset.theme ?? (systemDark.matches ? "dark" : "light");
  const show = () => {
    const dark = current() === "dark";
    button.textContent = dark ? "Light theme" : "Dark theme";
    button.setAttribute("aria-label", dark ? "Switch to the light theme" : "Switch to the dark theme");
  };
  button.addEventListener("click", () => {
    const next = current() === "dark" ? "light" : "dark";
    document.documentElement.dataset.theme = next;
    try {
      localStorage.setItem(storageKey, next);
    } catch {
      // Storage may be off (private mode): the choice then lasts for this page only.
    }
    show();
  });
  systemDark.addEventListener("change", show);
  show();
}
