/**
 * Accessibility scans of a view: axe-core's WCAG 2 A/AA rules (`axeProblems`, serious and
 * critical violations) and our own focused check (`accessibilityProblems`), which keeps a few
 * things axe reports only as "incomplete" (contrast over translucent layers) as hard failures.
 * `scanAccessibility` runs both. Our own check covers:
 *  - every visible button, link, input, select, textarea and switch has an accessible name;
 *  - no positive tabindex;
 *  - images have alt text, and SVG icons are hidden from assistive technology or named;
 *  - the page has a main landmark and a title, and <html> a language;
 *  - every visible text meets WCAG AA contrast against what is behind it (4.5:1; 3:1 for large
 *    text), computed from getComputedStyle, translucent backgrounds composited.
 * Returns one line per problem; an empty list passes.
 */
import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';

/** Both scans; one line per problem, an empty list passes. */
export async function scanAccessibility(page: Page): Promise<string[]> {
  await animationsSettled(page);
  return [...(await axeProblems(page)), ...(await accessibilityProblems(page))];
}

/**
 * Waits for every finite animation on the page to end. A dialog fades in over 140 ms; scanned
 * halfway, its text is a blend with the backdrop and fails contrast that the settled sheet
 * passes (CI once caught the keyboard sheet at 4.05:1). Endless ones (spinners) are skipped, and
 * the wait is bounded.
 */
export async function animationsSettled(page: Page): Promise<void> {
  await page.evaluate(() => {
    const finite = document
      .getAnimations()
      .filter((animation) => animation.playState === 'running' && Number.isFinite(animation.effect?.getComputedTiming().endTime ?? Number.POSITIVE_INFINITY));
    // Bounded: a scan must not hang on an animation something else holds back.
    const ceiling = new Promise((resolve) => setTimeout(resolve, 2000));
    return Promise.race([Promise.all(finite.map((animation) => animation.finished.catch(() => undefined))), ceiling]);
  });
}

/** axe-core's serious and critical WCAG 2.0/2.1/2.2 A and AA violations, one line per element. */
export async function axeProblems(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']).analyze();
  return results.violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .flatMap((violation) => violation.nodes.map((node) => `axe ${violation.id} (${violation.impact}): ${node.target.join(' ')}: ${node.failureSummary?.replace(/\s+/g, ' ') ?? violation.help}`));
}

export async function accessibilityProblems(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const problems: string[] = [];
    type Rgba = [number, number, number, number];

    const describe = (element: Element): string => {
      const id = element.id ? `#${element.id}` : '';
      const testId = element.getAttribute('data-testid');
      const text = (element.textContent ?? '').trim().replace(/\s+/g, ' ').slice(0, 40);
      return `<${element.tagName.toLowerCase()}${id}${testId ? ` data-testid="${testId}"` : ''}>${text ? ` “${text}”` : ''}`;
    };

    const visible = (element: Element): boolean => {
      if (!(element instanceof HTMLElement || element instanceof SVGElement)) return false;
      if (!element.checkVisibility({ checkOpacity: false, checkVisibilityCSS: true })) return false;
      const box = element.getBoundingClientRect();
      return box.width > 0 && box.height > 0;
    };

    /** Inside an inert page behind a modal dialog, or hidden from assistive technology. */
    const hiddenFromAt = (element: Element): boolean => element.closest('[aria-hidden="true"], [inert]') !== null;

    const textOf = (id: string): string => document.getElementById(id)?.textContent?.trim() ?? '';

    const accessibleName = (element: Element): string => {
      const labelledBy = element.getAttribute('aria-labelledby');
      if (labelledBy) return labelledBy.split(/\s+/).map(textOf).join(' ').trim();
      const label = element.getAttribute('aria-label');
      if (label?.trim()) return label.trim();
      if (element instanceof HTMLInputElement || element instanceof HTMLTextAreaElement || element instanceof HTMLSelectElement) {
        const labels = [...(element.labels ?? [])].map((entry) => entry.textContent?.trim() ?? '').join(' ').trim();
        if (labels) return labels;
        if (element instanceof HTMLInputElement && ['button', 'submit', 'reset'].includes(element.type)) return element.value;
        return element.getAttribute('title')?.trim() ?? '';
      }
      const text = (element.textContent ?? '').trim();
      return text || (element.getAttribute('title')?.trim() ?? '');
    };

    // Names.
    const controls = document.querySelectorAll('button, a[href], input:not([type="hidden"]), select, textarea, [role="button"], [role="switch"], [role="link"], [role="menuitem"], [role="tab"]');
    for (const control of controls) {
      if (!visible(control) && !(control instanceof HTMLInputElement && (control.type === 'radio' || control.type === 'checkbox'))) continue;
      if (hiddenFromAt(control)) continue;
      if (!accessibleName(control)) problems.push(`no accessible name: ${describe(control)}`);
    }

    // Tab order.
    for (const element of document.querySelectorAll('[tabindex]')) {
      if (Number(element.getAttribute('tabindex')) > 0) problems.push(`positive tabindex: ${describe(element)}`);
    }

    // Images and icons.
    for (const image of document.querySelectorAll('img')) {
      if (!image.hasAttribute('alt')) problems.push(`image without alt: ${describe(image)}`);
    }
    for (const svg of document.querySelectorAll('svg')) {
      if (svg.closest('[aria-hidden="true"]')) continue;
      const named = svg.getAttribute('role') === 'img' && (svg.getAttribute('aria-label') || svg.getAttribute('aria-labelledby') || svg.querySelector('title'));
      if (!named) problems.push(`svg neither hidden nor named: ${describe(svg.parentElement ?? svg)}`);
    }

    // Landmarks and document.
    if (document.querySelector('main, [role="main"]') === null) problems.push('no main landmark');
    if (!document.title.trim()) problems.push('no document title');
    if (!document.documentElement.lang) problems.push('<html> has no lang');

    // Contrast.
    const parse = (value: string): Rgba | null => {
      const rgb = /^rgba?\(([^)]+)\)$/.exec(value);
      if (rgb) {
        const parts = rgb[1]!.split(/[\s,/]+/).filter(Boolean).map(Number);
        return [parts[0]! / 255, parts[1]! / 255, parts[2]! / 255, parts[3] ?? 1];
      }
      const srgb = /^color\(srgb ([^)]+)\)$/.exec(value);
      if (srgb) {
        const parts = srgb[1]!.split(/[\s/]+/).filter(Boolean).map(Number);
        return [parts[0]!, parts[1]!, parts[2]!, parts[3] ?? 1];
      }
      return null;
    };
    const over = (top: Rgba, bottom: Rgba): Rgba => {
      const alpha = top[3] + bottom[3] * (1 - top[3]);
      if (alpha === 0) return [0, 0, 0, 0];
      const mix = (index: 0 | 1 | 2): number => (top[index] * top[3] + bottom[index] * bottom[3] * (1 - top[3])) / alpha;
      return [mix(0), mix(1), mix(2), alpha];
    };
    const backgroundOf = (element: Element): Rgba | null => {
      const layers: Rgba[] = [];
      for (let current: Element | null = element; current !== null; current = current.parentElement) {
        const style = getComputedStyle(current);
        // Text over a picture or gradient cannot be judged from colours alone.
        if (style.backgroundImage !== 'none' && current !== document.documentElement) return null;
        const colour = parse(style.backgroundColor);
        if (colour === null) return null;
        if (colour[3] > 0) layers.push(colour);
        if (colour[3] >= 1) break;
      }
      let result: Rgba = [1, 1, 1, 1];
      for (const layer of layers.reverse()) result = over(layer, result);
      return result;
    };
    const luminance = ([r, g, b]: Rgba): number => {
      const channel = (value: number): number => (value <= 0.03928 ? value / 12.92 : ((value + 0.055) / 1.055) ** 2.4);
      return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
    };
    const ratio = (a: Rgba, b: Rgba): number => {
      const [high, low] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
      return (high + 0.05) / (low + 0.05);
    };
    const dimmed = (element: Element): boolean => {
      for (let current: Element | null = element; current !== null; current = current.parentElement) {
        if (Number(getComputedStyle(current).opacity) < 1) return true;
        if (current instanceof HTMLButtonElement && current.disabled) return true;
        if ((current instanceof HTMLInputElement || current instanceof HTMLTextAreaElement) && current.disabled) return true;
      }
      return false;
    };

    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const checked = new Set<Element>();
    for (let node = walker.nextNode(); node !== null; node = walker.nextNode()) {
      const element = node.parentElement;
      if (element === null || checked.has(element) || !(node.textContent ?? '').trim()) continue;
      checked.add(element);
      if (!visible(element) || hiddenFromAt(element) || element.closest('.visually-hidden') !== null) continue;
      // Disabled controls are exempt from the contrast requirement (WCAG 1.4.3).
      if (dimmed(element)) continue;
      const style = getComputedStyle(element);
      const colour = parse(style.color);
      const background = backgroundOf(element);
      if (colour === null || background === null) continue;
      const foreground = over(colour, background);
      const size = parseFloat(style.fontSize);
      const bold = Number(style.fontWeight) >= 700;
      const large = size >= 24 || (bold && size >= 18.66);
      const needed = large ? 3 : 4.5;
      const actual = ratio(foreground, background);
      if (actual + 0.005 < needed) problems.push(`contrast ${actual.toFixed(2)}:1 < ${needed}:1 (${style.color} on ${background.map((v, i) => (i < 3 ? Math.round(v * 255) : v)).join(',')}): ${describe(element)}`);
    }
    return problems;
  });
}
