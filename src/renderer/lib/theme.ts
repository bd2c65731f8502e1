/**
 * The theme setting on the page: `data-theme` on <html> ('light' or 'dark') overrides the
 * system's appearance (app.css and theme.css); 'system' removes it. The last choice is kept in
 * localStorage so the next page load starts in it before the settings have arrived.
 */
import type { Theme } from '../../shared/contract';

const STORAGE_KEY = 'burrow.theme';

export function applyTheme(theme: Theme): void {
  const root = document.documentElement;
  if (theme === 'system') root.removeAttribute('data-theme');
  else root.setAttribute('data-theme', theme);
  try {
    localStorage.setItem(STORAGE_KEY, theme);
  } catch {
    // storage may be unavailable (private mode): the setting still applies
  }
}

/** The last theme applied on this page's origin, at once (before the core has answered). */
export function applyRememberedTheme(): void {
  let remembered: string | null = null;
  try {
    remembered = localStorage.getItem(STORAGE_KEY);
  } catch {
    remembered = null;
  }
  if (remembered === 'light' || remembered === 'dark' || remembered === 'system') applyTheme(remembered);
}
