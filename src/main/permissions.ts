/**
 * Web permissions, as a pure decision (session handlers in index.ts apply it). Every request is
 * refused — camera, microphone, notifications, geolocation, HID/USB/serial… — except the
 * clipboard, and only for Burrow's own pages: reading it is the quick window's "Use clipboard"
 * (always at the user's request, by key or button), writing it is "Copy answer".
 */
import { isOurPage } from './policy';

const CLIPBOARD = new Set(['clipboard-read', 'clipboard-sanitized-write']);

export function isPermissionAllowed(permission: string, requestingUrl: string | undefined, env: NodeJS.ProcessEnv = process.env): boolean {
  return CLIPBOARD.has(permission) && requestingUrl !== undefined && requestingUrl !== '' && isOurPage(requestingUrl, env);
}
