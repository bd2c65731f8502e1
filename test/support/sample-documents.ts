/**
 * Sample documents the suite builds for itself: a multi-page PDF (optionally encrypted with a
 * user password), a DOCX with headings and a table, an EPUB with chapters. Written by hand from
 * the formats' specifications, small and deterministic; the real-world files in the shared
 * corpus are for trying by hand only.
 */
import { createHash } from 'node:crypto';
import { zip } from './zip-writer';

// ── PDF ───────────────────────────────────────────────────────────────────────────────

export interface PdfOptions {
  title?: string;
  /** Encrypts (standard handler, revision 2, 40-bit RC4) with this user password. */
  userPassword?: string;
}

/** One page per entry, each an array of lines. */
export function pdf(pages: ReadonlyArray<readonly string[]>, options: PdfOptions = {}): Buffer {
  const objects: string[] = [];
  const add = (body: string): number => objects.push(body);
  const catalog = add('');
  const pagesObj = add('');
  const font = add('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>');
  const kids: number[] = [];
  for (const lines of pages) {
    const text = lines.map((line, i) => `${i === 0 ? '72 720 Td' : '0 -16 Td'} (${escapePdf(line)}) Tj`).join('\n');
    const stream = `BT /F1 12 Tf\n${text}\nET`;
    const content = add(`<< /Length ${Buffer.byteLength(stream, 'latin1')} >>\nstream\n${stream}\nendstream`);
    kids.push(add(`<< /Type /Page /Parent ${pagesObj} 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 ${font} 0 R >> >> /Contents ${content} 0 R >>`));
  }
  objects[catalog - 1] = `<< /Type /Catalog /Pages ${pagesObj} 0 R >>`;
  objects[pagesObj - 1] = `<< /Type /Pages /Kids [${kids.map((kid) => `${kid} 0 R`).join(' ')}] /Count ${kids.length} >>`;
  const info = options.title === undefined ? null : add(`<< /Title (${escapePdf(options.title)}) >>`);
  const fileId = createHash('md5').update(pages.flat().join('\n')).digest();
  let encrypt: number | null = null;
  if (options.userPassword !== undefined) {
    const { o, u } = standardSecurity(options.userPassword, 'owner-password', -4, fileId);
    encrypt = add(`<< /Filter /Standard /V 1 /R 2 /O <${o.toString('hex')}> /U <${u.toString('hex')}> /P -4 >>`);
  }
  let out = '%PDF-1.4\n%\xe2\xe3\xcf\xd3\n';
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(Buffer.byteLength(out, 'latin1'));
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = Buffer.byteLength(out, 'latin1');
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((offset) => `${String(offset).padStart(10, '0')} 00000 n \n`).join('')}`;
  const id = `<${fileId.toString('hex')}>`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root ${catalog} 0 R${info === null ? '' : ` /Info ${info} 0 R`}${encrypt === null ? '' : ` /Encrypt ${encrypt} 0 R`} /ID [${id} ${id}] >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

function escapePdf(text: string): string {
  return text.replace(/[\\()]/g, (c) => `\\${c}`);
}

const PASSWORD_PADDING = Buffer.from('28BF4E5E4E758A4164004E56FFFA01082E2E00B6D0683E802F0CA9FE6453697A', 'hex');

function padPassword(password: string): Buffer {
  return Buffer.concat([Buffer.from(password, 'latin1'), PASSWORD_PADDING]).subarray(0, 32);
}

/** PDF 1.7 §7.6.3.3–7.6.3.4, algorithms 2, 3 and 4 (revision 2). */
function standardSecurity(userPassword: string, ownerPassword: string, permissions: number, fileId: Buffer): { o: Buffer; u: Buffer } {
  const ownerKey = createHash('md5').update(padPassword(ownerPassword)).digest().subarray(0, 5);
  const o = rc4(ownerKey, padPassword(userPassword));
  const p = Buffer.alloc(4);
  p.writeInt32LE(permissions, 0);
  const fileKey = createHash('md5').update(Buffer.concat([padPassword(userPassword), o, p, fileId])).digest().subarray(0, 5);
  return { o, u: rc4(fileKey, PASSWORD_PADDING) };
}

function rc4(key: Buffer, data: Buffer): Buffer {
  const s = Array.from({ length: 256 }, (_, i) => i);
  let j = 0;
  for (let i = 0; i < 256; i++) {
    j = (j + (s[i] ?? 0) + (key[i % key.length] ?? 0)) & 0xff;
    [s[i], s[j]] = [s[j] ?? 0, s[i] ?? 0];
  }
  const out = Buffer.alloc(data.length);
  let i = 0;
  j = 0;
  for (let n = 0; n < data.length; n++) {
    i = (i + 1) & 0xff;
    j = (j + (s[i] ?? 0)) & 0xff;
    [s[i], s[j]] = [s[j] ?? 0, s[i] ?? 0];
    out[n] = (data[n] ?? 0) ^ (s[((s[i] ?? 0) + (s[j] ?? 0)) & 0xff] ?? 0);
  }
  return out;
}

// ── DOCX ──────────────────────────────────────────────────────────────────────────────

export type DocxBlock = { heading: string; level?: 1 | 2 } | { paragraph: string } | { table: string[][] };

const W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"';

export function docx(blocks: readonly DocxBlock[]): Buffer {
  const body = blocks
    .map((block) => {
      if ('heading' in block) return paragraphXml(block.heading, `Heading${block.level ?? 1}`);
      if ('paragraph' in block) return paragraphXml(block.paragraph);
      const rows = block.table.map((row) => `<w:tr>${row.map((cell) => `<w:tc>${paragraphXml(cell)}</w:tc>`).join('')}</w:tr>`).join('');
      return `<w:tbl>${rows}</w:tbl>`;
    })
    .join('');
  return zip([
    {
      name: '[Content_Types].xml',
      data: `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/></Types>`,
    },
    {
      name: '_rels/.rels',
      data: `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`,
    },
    {
      name: 'word/_rels/document.xml.rels',
      data: `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>`,
    },
    {
      name: 'word/styles.xml',
      data: `<?xml version="1.0" encoding="UTF-8"?><w:styles ${W}><w:style w:type="paragraph" w:styleId="Heading1"><w:name w:val="heading 1"/></w:style><w:style w:type="paragraph" w:styleId="Heading2"><w:name w:val="heading 2"/></w:style></w:styles>`,
    },
    { name: 'word/document.xml', data: `<?xml version="1.0" encoding="UTF-8"?><w:document ${W}><w:body>${body}</w:body></w:document>` },
  ]);
}

function paragraphXml(text: string, style?: string): string {
  const properties = style === undefined ? '' : `<w:pPr><w:pStyle w:val="${style}"/></w:pPr>`;
  return `<w:p>${properties}<w:r><w:t xml:space="preserve">${escapeXml(text)}</w:t></w:r></w:p>`;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c] ?? c);
}

// ── EPUB ──────────────────────────────────────────────────────────────────────────────

export interface EpubChapterSpec {
  id: string;
  title: string;
  paragraphs: string[];
}

/** Chapters in the spine in the given order; the manifest lists them in reverse, so reading order must come from the spine. */
export function epub(title: string, chapters: readonly EpubChapterSpec[]): Buffer {
  const manifest = [...chapters]
    .reverse()
    .map((chapter) => `<item id="${chapter.id}" href="text/${chapter.id}.xhtml" media-type="application/xhtml+xml"/>`)
    .join('');
  const spine = chapters.map((chapter) => `<itemref idref="${chapter.id}"/>`).join('');
  return zip([
    { name: 'mimetype', data: 'application/epub+zip', method: 'store' },
    {
      name: 'META-INF/container.xml',
      data: `<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles></container>`,
    },
    {
      name: 'OEBPS/content.opf',
      data: `<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>${escapeXml(title)}</dc:title></metadata><manifest>${manifest}<item id="css" href="style.css" media-type="text/css"/></manifest><spine>${spine}</spine></package>`,
    },
    { name: 'OEBPS/style.css', data: 'p { margin: 0 }' },
    ...chapters.map((chapter) => ({
      name: `OEBPS/text/${chapter.id}.xhtml`,
      data: `<?xml version="1.0" encoding="UTF-8"?><html xmlns="http://www.w3.org/1999/xhtml"><head><title>${escapeXml(chapter.title)}</title><style>h1 { color: red }</style></head><body><h1>${escapeXml(chapter.title)}</h1>${chapter.paragraphs.map((p) => `<p>${escapeXml(p)}</p>`).join('')}<script>alert("no")</script></body></html>`,
    })),
  ]);
}

/** Deterministic prose: `count` sentences mentioning `topic`, distinct enough to search. */
export function sentences(topic: string, count: number, seed = 1): string[] {
  const words = ['rabbits', 'tunnels', 'warm', 'moss', 'river', 'stones', 'seeds', 'quiet', 'field', 'night', 'light', 'rain'];
  const out: string[] = [];
  let state = seed;
  for (let i = 0; i < count; i++) {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    const a = words[state % words.length] ?? 'moss';
    const b = words[(state >> 8) % words.length] ?? 'rain';
    out.push(`The ${topic} note ${i + 1} says ${a} and ${b} matter here.`);
  }
  return out;
}
