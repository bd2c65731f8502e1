/**
 * Whether the conversation sidebar shows. In a wide window it sits beside the main area and the
 * user may hide it (⌘/Ctrl+B or its button); that choice is kept in localStorage. Below
 * NARROW_SIDEBAR_QUERY's width it is hidden and opens as a drawer over the main area, which Esc,
 * the backdrop or choosing somewhere to go closes again.
 */
import { createContext } from 'svelte';

/** The window width below which the sidebar folds away into a drawer. */
export const NARROW_SIDEBAR_QUERY = '(max-width: 760px)';
const STORAGE_KEY = 'burrow.sidebar';

function rememberedHidden(): boolean {
  try {
    return localStorage.getItem(STORAGE_KEY) === 'hidden';
  } catch {
    return false;
  }
}

export class SidebarState {
  #narrow = $state(typeof matchMedia === 'function' && matchMedia(NARROW_SIDEBAR_QUERY).matches);
  /** The user's choice for wide windows. */
  #hiddenWhenWide = $state(rememberedHidden());
  /** The drawer, in a narrow window. */
  #drawerOpen = $state(false);

  /** True below the narrow width: the sidebar is a drawer. */
  get narrow(): boolean {
    return this.#narrow;
  }

  get visible(): boolean {
    return this.#narrow ? this.#drawerOpen : !this.#hiddenWhenWide;
  }

  /** Shown as a drawer over the main area. */
  get drawer(): boolean {
    return this.#narrow && this.#drawerOpen;
  }

  toggle(): void {
    if (this.#narrow) {
      this.#drawerOpen = !this.#drawerOpen;
      return;
    }
    this.#hiddenWhenWide = !this.#hiddenWhenWide;
    try {
      localStorage.setItem(STORAGE_KEY, this.#hiddenWhenWide ? 'hidden' : 'shown');
    } catch {
      // storage may be unavailable: the choice holds for this page
    }
  }

  /** Closes the drawer (no effect on a wide window's sidebar). */
  closeDrawer(): void {
    this.#drawerOpen = false;
  }

  /** Follows the window's width; returns the function that stops. */
  connect(): () => void {
    const query = matchMedia(NARROW_SIDEBAR_QUERY);
    const onchange = (): void => {
      this.#narrow = query.matches;
      this.#drawerOpen = false;
    };
    query.addEventListener('change', onchange);
    return () => query.removeEventListener('change', onchange);
  }
}

export const [useSidebar, setSidebar] = createContext<SidebarState>();
