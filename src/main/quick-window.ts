/**
 * The quick-prompt window's life: created hidden at start and reused, so the shortcut shows it
 * at once (no page to load); centred on the display under the mouse; hidden again on blur and
 * by Esc (the page asks, through quick.dismiss). Exactly one window however often the shortcut
 * is pressed. Written against small interfaces (no electron import) so it is tested with fakes;
 * desktop.ts hands it a real BrowserWindow and the real screen.
 */

import { APP_ORIGIN } from './policy';

/** The quick window's page: app://burrow/quick.html, or the dev server's in `npm run dev`. */
export function quickRendererUrl(env: NodeJS.ProcessEnv = process.env): string {
  const dev = env.ELECTRON_RENDERER_URL;
  return dev === undefined ? `${APP_ORIGIN}/quick.html` : new URL('quick.html', dev.endsWith('/') ? dev : `${dev}/`).toString();
}

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Point {
  x: number;
  y: number;
}

/** The BrowserWindow methods the controller uses. */
export interface QuickWindow {
  show(): void;
  hide(): void;
  focus(): void;
  /** Puts keyboard focus in the page, so the page's own focus handling reaches its input. */
  focusPage(): void;
  isVisible(): boolean;
  isDestroyed(): boolean;
  getSize(): number[];
  setPosition(x: number, y: number): void;
  on(event: 'blur' | 'closed', listener: () => void): unknown;
  removeListener(event: 'blur' | 'closed', listener: () => void): unknown;
  destroy(): void;
}

export interface ScreenInfo {
  cursor(): Point;
  /** The work area (without task bars and docks) of the display nearest to `point`. */
  workAreaNear(point: Point): Rect;
}

export interface QuickWindowControllerOptions {
  create: () => QuickWindow;
  screen: ScreenInfo;
}

/** Horizontally centred; vertically a little above the middle, where the eye lands first. */
export function quickWindowPosition(size: { width: number; height: number }, workArea: Rect): Point {
  const x = workArea.x + Math.round((workArea.width - size.width) / 2);
  const y = workArea.y + Math.round((workArea.height - size.height) * 0.4);
  // A display smaller than the window: keep its top-left corner (and the input) on screen.
  return { x: Math.max(workArea.x, x), y: Math.max(workArea.y, y) };
}

export class QuickWindowController {
  readonly #options: QuickWindowControllerOptions;
  #window: QuickWindow | null = null;
  #detach: (() => void) | null = null;

  constructor(options: QuickWindowControllerOptions) {
    this.#options = options;
  }

  /** The window, created (hidden) if there is none yet. Call at start so the first show is instant. */
  prepare(): QuickWindow {
    if (this.#window !== null && !this.#window.isDestroyed()) return this.#window;
    this.#release();
    const window = this.#options.create();
    const onBlur = (): void => this.hide();
    const onClosed = (): void => {
      if (this.#window === window) this.#release();
    };
    window.on('blur', onBlur);
    window.on('closed', onClosed);
    this.#window = window;
    this.#detach = () => {
      window.removeListener('blur', onBlur);
      window.removeListener('closed', onClosed);
    };
    return window;
  }

  get visible(): boolean {
    return this.#window !== null && !this.#window.isDestroyed() && this.#window.isVisible();
  }

  /** The shortcut: shows the window, or hides it when it is showing. */
  toggle(): void {
    if (this.visible) this.hide();
    else this.show();
  }

  show(): void {
    const window = this.prepare();
    const [width = 0, height = 0] = window.getSize();
    const { x, y } = quickWindowPosition({ width, height }, this.#options.screen.workAreaNear(this.#options.screen.cursor()));
    window.setPosition(x, y);
    window.show();
    window.focus();
    window.focusPage();
  }

  hide(): void {
    if (this.visible) this.#window?.hide();
  }

  /** Quitting: the window goes with its listeners. */
  dispose(): void {
    const window = this.#window;
    this.#release();
    if (window !== null && !window.isDestroyed()) window.destroy();
  }

  #release(): void {
    this.#detach?.();
    this.#detach = null;
    this.#window = null;
  }
}
