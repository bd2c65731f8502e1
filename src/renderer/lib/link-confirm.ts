/**
 * Links in answers open only after the user confirms, as in the app (where main asks, see
 * src/main/windows.ts). In the browser host nothing sits between a click and a new tab, so
 * the page asks itself, with the app's own words.
 */
export const OPEN_LINK_QUESTION = 'Open this link in your web browser?';

export function confirmLinkClicks(container: HTMLElement, ask: (question: string) => boolean = (question) => window.confirm(question)): () => void {
  const onClick = (event: MouseEvent): void => {
    const target = event.target;
    const link = target instanceof Element ? target.closest('a') : null;
    if (link === null || !container.contains(link)) return;
    event.preventDefault();
    const href = link.getAttribute('href');
    // Links DOMPurify left without an address (javascript:, file:, data:) never open.
    if (href === null) return;
    if (ask(`${OPEN_LINK_QUESTION}\n\n${href}`)) window.open(href, '_blank', 'noopener,noreferrer');
  };
  container.addEventListener('click', onClick);
  // A middle click opens a tab without a click event.
  container.addEventListener('auxclick', onClick);
  return () => {
    container.removeEventListener('click', onClick);
    container.removeEventListener('auxclick', onClick);
  };
}
