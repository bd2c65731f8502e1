/**
 * SECURITY.md item 10: model output is untrusted. Hostile answers render as inert text,
 * no script runs, no request leaves, and the page's CSP is never violated.
 */
import { expect, screenshot, test } from './fixtures';

const HOSTILE = [
  '<script>window.__pwned = "script"</script>',
  '<img src=x onerror="window.__pwned = \'img\'">',
  '<svg onload="window.__pwned = \'svg\'"><circle r=5 /></svg>',
  '<iframe src="javascript:window.top.__pwned=\'iframe\'"></iframe>',
  '[click me](javascript:window.__pwned="link")',
  '[data](data:text/html,<script>parent.__pwned="data"</script>)',
  '<a href="javascript:window.__pwned=1" id="raw-link">raw link</a>',
  '![pixel](https://tracker.example/pixel.png)',
  '<style>body { display: none }</style>',
  '<form action="https://evil.example"><button>Submit</button></form>',
  '```html\n<script>window.__pwned = "code"</script>\n```',
  'Safe **bold** and a [real link](https://example.com/docs).',
].join('\n\n');

test('hostile model output renders as inert text', async ({ page, burrow }) => {
  const conversation = burrow.assistant.conversations.create('Hostile answer');
  burrow.assistant.conversations.addMessage({ conversationId: conversation.id, role: 'user', content: '<script>window.__pwned="user"</script>', status: 'complete' });
  burrow.assistant.conversations.addMessage({ conversationId: conversation.id, role: 'assistant', content: HOSTILE, status: 'complete' });

  await page.addInitScript(() => {
    const violations: string[] = [];
    (window as unknown as { __violations: string[] }).__violations = violations;
    document.addEventListener('securitypolicyviolation', (event) => violations.push(`${event.violatedDirective} ${event.blockedURI}`));
  });
  await page.goto(burrow.host.url);
  await page.getByTestId('conversation-item').first().click();
  const answer = page.locator('[data-testid="message"][data-role="assistant"]');
  await expect(answer).toContainText('Safe');

  // Raw HTML is shown as text, not interpreted.
  await expect(answer).toContainText('<script>window.__pwned = "script"</script>');
  await expect(page.locator('[data-testid="message"][data-role="user"]')).toContainText('<script>window.__pwned="user"</script>');
  // Inside the rendered answer (the message frame around it has its own icons).
  const rendered = answer.locator('.markdown');
  for (const selector of ['script', 'img', 'svg', 'iframe', 'style', 'form', '#raw-link', '[onerror]', '[onload]']) {
    await expect(rendered.locator(selector), selector).toHaveCount(0);
  }
  // Only the https link keeps an address; unsafe ones stay as inert text (<a> without href).
  const hrefs = await rendered.locator('a').evaluateAll((links) => links.map((link) => link.getAttribute('href')));
  expect(hrefs.filter((href) => href !== null)).toEqual(['https://example.com/docs']);
  await expect(answer.getByRole('link', { name: 'real link' })).toHaveAttribute('rel', /noopener/);

  await answer.getByText('click me').click();
  expect(await page.evaluate(() => (window as unknown as { __pwned?: string }).__pwned)).toBeUndefined();
  expect(await page.evaluate(() => (window as unknown as { __violations: string[] }).__violations)).toEqual([]);
  await screenshot(page, '05-untrusted-content');
});

test('the page itself enforces a strict Content Security Policy', async ({ page, burrow }) => {
  const response = await page.goto(burrow.host.url);
  // The browser host adds a header policy whose only WebSocket is its own.
  expect(response?.headers()['content-security-policy']).toContain(`connect-src ${burrow.host.origin.replace('http:', 'ws:')};`);
  // The page works under it: the conversation list comes over the WebSocket.
  await expect(page.getByRole('button', { name: /new chat/i }).first()).toBeVisible();
  const otherPort = await page.evaluate(async () => {
    const seen = new Promise<string>((resolve) => document.addEventListener('securitypolicyviolation', (event) => resolve(event.violatedDirective), { once: true }));
    try {
      new WebSocket('ws://127.0.0.1:9/rpc');
    } catch {
      return 'threw';
    }
    return seen;
  });
  expect(otherPort).toMatch(/connect-src|threw/);
  const csp = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
  expect(csp).toMatch(/default-src 'self'/);
  expect(csp).toMatch(/script-src 'self'(;|$)/);
  expect(csp).not.toMatch(/unsafe-eval|script-src[^;]*unsafe-inline|https?:\/\/(?!127\.0\.0\.1)/);
  // A script injected on purpose is blocked by the policy and reported.
  const blocked = await page.evaluate(async () => {
    const seen = new Promise<string>((resolve) => document.addEventListener('securitypolicyviolation', (event) => resolve(event.violatedDirective), { once: true }));
    const script = document.createElement('script');
    script.textContent = 'window.__pwned = "inline"';
    document.body.append(script);
    return { directive: await seen, pwned: (window as unknown as { __pwned?: string }).__pwned };
  });
  expect(blocked.directive).toMatch(/script-src/);
  expect(blocked.pwned).toBeUndefined();
});

test('a link in an answer opens only after the same confirmation the app asks for', async ({ page, context, burrow }) => {
  const conversation = burrow.assistant.conversations.create('Links');
  burrow.assistant.conversations.addMessage({ conversationId: conversation.id, role: 'user', content: 'A link?', status: 'complete' });
  burrow.assistant.conversations.addMessage({ conversationId: conversation.id, role: 'assistant', content: 'See [the docs](https://example.com/docs).', status: 'complete' });
  await page.goto(burrow.host.url);
  await page.getByTestId('conversation-item').filter({ hasText: 'Links' }).click();
  const link = page.locator('[data-testid="message"][data-role="assistant"]').getByRole('link', { name: 'the docs' });
  const asked: string[] = [];
  page.on('dialog', (dialog) => {
    asked.push(dialog.message());
    void dialog.dismiss();
  });
  const popups: unknown[] = [];
  context.on('page', (opened) => popups.push(opened));
  await link.click();
  await link.click({ button: 'middle' });
  await expect.poll(() => asked.length).toBe(2);
  expect(asked[0]).toBe('Open this link in your web browser?\n\nhttps://example.com/docs');
  // Declined: no tab opened, the page did not move.
  expect(popups).toEqual([]);
  expect(page.url()).toBe(burrow.host.url);
});
