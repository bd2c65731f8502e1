/**
 * EPUB → one section per chapter, in the spine's reading order, titled by the chapter's first
 * heading. The container and package files are read with htmlparser2 in XML mode; chapters
 * with html.ts. Every byte comes through the capped zip reader.
 */
import { posix } from 'node:path';
import { Parser } from 'htmlparser2';
import type { ExtractionCaps } from '../types';
import { ExtractionError } from './errors';
import { htmlToSections } from './html';
import { openZip } from './zip';

export interface EpubChapter {
  title: string;
  text: string;
}

export interface EpubText {
  title: string | null;
  chapters: EpubChapter[];
}

const NOT_EPUB = 'This file could not be read: it is not an EPUB book (an EPUB is a zip file, and this is not one).';
const CHAPTER_TYPES = new Set(['application/xhtml+xml', 'text/html', 'application/xml', 'text/xml']);

export async function extractEpub(fd: number, caps: ExtractionCaps, full: () => boolean): Promise<EpubText> {
  const zip = await openZip(fd, caps, NOT_EPUB);
  try {
    const container = await zip.read('META-INF/container.xml').catch(() => {
      throw new ExtractionError('This file could not be read: it is not an EPUB book (it has no META-INF/container.xml).');
    });
    const opfPath = firstAttribute(container.toString('utf8'), 'rootfile', 'full-path');
    if (opfPath === null) throw new ExtractionError('This file could not be read: the EPUB does not say where its contents are.');
    const opf = parsePackage((await zip.read(opfPath)).toString('utf8'));
    const base = posix.dirname(opfPath);
    const chapters: EpubChapter[] = [];
    for (const idref of opf.spine) {
      if (full()) break;
      const item = opf.manifest.get(idref);
      if (item === undefined || !CHAPTER_TYPES.has(item.mediaType)) continue;
      const path = posix.normalize(posix.join(base === '.' ? '' : base, safeDecode(item.href.split('#')[0] ?? '')));
      if (!zip.entries.has(path)) continue;
      const html = htmlToSections((await zip.read(path)).toString('utf8'));
      const text = html.sections.map((section, i) => (i > 0 && section.title !== null ? `${section.title}\n\n${section.text}` : section.text)).join('\n\n');
      if (text.trim().length === 0) continue;
      const title = html.sections.find((section) => section.title !== null)?.title ?? html.title ?? `Chapter ${chapters.length + 1}`;
      chapters.push({ title, text });
    }
    if (chapters.length === 0 && opf.spine.length === 0) throw new ExtractionError('This file could not be read: the EPUB lists no chapters.');
    return { title: opf.title, chapters };
  } finally {
    zip.close();
  }
}

interface PackageInfo {
  title: string | null;
  manifest: Map<string, { href: string; mediaType: string }>;
  spine: string[];
}

function parsePackage(xml: string): PackageInfo {
  const manifest = new Map<string, { href: string; mediaType: string }>();
  const spine: string[] = [];
  let title = '';
  let inTitle = false;
  let haveTitle = false;
  const parser = new Parser(
    {
      onopentag(name, attributes) {
        const local = name.replace(/^.*:/, '');
        if (local === 'item' && attributes.id !== undefined && attributes.href !== undefined) {
          manifest.set(attributes.id, { href: attributes.href, mediaType: (attributes['media-type'] ?? '').toLowerCase() });
        } else if (local === 'itemref' && attributes.idref !== undefined && attributes.linear !== 'no') {
          spine.push(attributes.idref);
        } else if (local === 'title' && !haveTitle) {
          inTitle = true;
        }
      },
      ontext(text) {
        if (inTitle) title += text;
      },
      onclosetag(name) {
        if (name.replace(/^.*:/, '') === 'title' && inTitle) {
          inTitle = false;
          haveTitle = true;
        }
      },
    },
    { xmlMode: true, decodeEntities: true },
  );
  parser.write(xml);
  parser.end();
  const trimmed = title.replace(/\s+/g, ' ').trim();
  return { title: trimmed.length > 0 ? trimmed.slice(0, 200) : null, manifest, spine };
}

function firstAttribute(xml: string, element: string, attribute: string): string | null {
  let found: string | null = null;
  const parser = new Parser(
    {
      onopentag(name, attributes) {
        if (found === null && name.replace(/^.*:/, '') === element) found = attributes[attribute] ?? null;
      },
    },
    { xmlMode: true },
  );
  parser.write(xml);
  parser.end();
  return found;
}

function safeDecode(href: string): string {
  try {
    return decodeURIComponent(href);
  } catch {
    return href;
  }
}
