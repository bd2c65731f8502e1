/**
 * The main window opens where it was left: a pure function puts the saved bounds back on the
 * displays there are now (a monitor unplugged since, a smaller screen), and a tracker saves the
 * bounds as the window moves. No electron import: tested with fake displays and windows.
 */
import type { Rect } from './quick-window';

export interface SavedBounds extends Rect {
  maximized: boolean;
}

export interface Size {
  width: number;
  height: number;
}

/** How much of the window must be on a display to stay there: enough to grab its title bar. */
const MIN_VISIBLE = 64;

function overlap(a: Rect, b: Rect): number {
  const width = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const height = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return width > 0 && height > 0 ? width * height : 0;
}

function visibleEnough(bounds: Rect, area: Rect): boolean {
  const width = Math.min(bounds.x + bounds.width, area.x + area.width) - Math.max(bounds.x, area.x);
  const height = Math.min(bounds.y + bounds.height, area.y + area.height) - Math.max(bounds.y, area.y);
  return width >= MIN_VISIBLE && height >= Math.min(MIN_VISIBLE, bounds.height);
}

/**
 * Where to open the window: the saved bounds on the display they overlap most, made to fit its
 * work area (shrunk to it, then moved inside it). When no display shows enough of them, the
 * saved size centred on the first (primary) display. null without saved bounds or displays:
 * the window's default size, centred by the system.
 */
export function restoreBounds(saved: SavedBounds | null, workAreas: readonly Rect[], minimum: Size): SavedBounds | null {
  if (saved === null || workAreas.length === 0) return null;
  const finite = [saved.x, saved.y, saved.width, saved.height].every(Number.isFinite);
  if (!finite) return null;
  let best: Rect | null = null;
  let bestOverlap = 0;
  for (const area of workAreas) {
    const shared = overlap(saved, area);
    if (shared > bestOverlap && visibleEnough(saved, area)) {
      best = area;
      bestOverlap = shared;
    }
  }
  const area = best ?? (workAreas[0] as Rect);
  const width = Math.max(Math.min(minimum.width, area.width), Math.min(saved.width, area.width));
  const height = Math.max(Math.min(minimum.height, area.height), Math.min(saved.height, area.height));
  let x = best === null ? area.x + Math.round((area.width - width) / 2) : saved.x;
  let y = best === null ? area.y + Math.round((area.height - height) / 2) : saved.y;
  x = Math.min(Math.max(x, area.x), area.x + area.width - width);
  y = Math.min(Math.max(y, area.y), area.y + area.height - height);
  return { x: Math.round(x), y: Math.round(y), width: Math.round(width), height: Math.round(height), maximized: saved.maximized };
}

/** The BrowserWindow methods the tracker uses. */
export interface TrackedWindow {
  getNormalBounds(): Rect;
  isMaximized(): boolean;
  isMinimized(): boolean;
  isDestroyed(): boolean;
  on(event: 'resize' | 'move' | 'maximize' | 'unmaximize' | 'close', listener: () => void): unknown;
  removeListener(event: 'resize' | 'move' | 'maximize' | 'unmaximize' | 'close', listener: () => void): unknown;
}

export interface TrackOptions {
  /** Saves at most this often while the window is dragged or resized. Default 500 ms. */
  debounceMs?: number;
  setTimer?: (callback: () => void, ms: number) => unknown;
  clearTimer?: (timer: unknown) => void;
}

const EVENTS = ['resize', 'move', 'maximize', 'unmaximize'] as const;

/**
 * Saves the window's bounds (its normal ones, so a maximised window comes back maximised over
 * the right size) a moment after it moves, and once more as it closes. Returns the stop function.
 */
export function trackWindowState(window: TrackedWindow, save: (bounds: SavedBounds) => void, options: TrackOptions = {}): () => void {
  const debounceMs = options.debounceMs ?? 500;
  const setTimer = options.setTimer ?? ((callback, ms) => setTimeout(callback, ms));
  const clearTimer = options.clearTimer ?? ((timer) => clearTimeout(timer as ReturnType<typeof setTimeout>));
  let timer: unknown = null;

  const saveNow = (): void => {
    if (timer !== null) clearTimer(timer);
    timer = null;
    if (window.isDestroyed() || window.isMinimized()) return;
    save({ ...window.getNormalBounds(), maximized: window.isMaximized() });
  };
  const later = (): void => {
    if (timer !== null) clearTimer(timer);
    timer = setTimer(saveNow, debounceMs);
  };
  for (const event of EVENTS) window.on(event, later);
  window.on('close', saveNow);
  return () => {
    if (timer !== null) clearTimer(timer);
    timer = null;
    for (const event of EVENTS) window.removeListener(event, later);
    window.removeListener('close', saveNow);
  };
}
