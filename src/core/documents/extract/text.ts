/**
 * Bytes → text: UTF-8 (with or without BOM), UTF-16 LE/BE with a BOM; anything invalid becomes
 * U+FFFD and NUL characters are dropped, so a binary or mis-encoded file still yields readable
 * text instead of an error.
 */

export type TextEncoding = 'utf-8' | 'utf-16le' | 'utf-16be';

export function detectEncoding(bytes: Uint8Array): { encoding: TextEncoding; bomLength: number } {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return { encoding: 'utf-8', bomLength: 3 };
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return { encoding: 'utf-16le', bomLength: 2 };
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return { encoding: 'utf-16be', bomLength: 2 };
  return { encoding: 'utf-8', bomLength: 0 };
}

/**
 * Decodes `bytes`. `truncated`: the bytes are the first part of a longer file, so a character
 * cut at the end is dropped rather than shown as U+FFFD.
 */
export function decodeText(bytes: Uint8Array, truncated = false): string {
  const { encoding, bomLength } = detectEncoding(bytes);
  let body = bytes.subarray(bomLength);
  if (encoding !== 'utf-8' && body.length % 2 === 1) body = body.subarray(0, body.length - 1);
  const decoder = new TextDecoder(encoding, { fatal: false, ignoreBOM: true });
  // stream: true holds back an incomplete final character instead of replacing it.
  const text = decoder.decode(body, { stream: truncated });
  return text.replace(/\0+/g, '');
}
