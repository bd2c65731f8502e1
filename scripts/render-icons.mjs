#!/usr/bin/env node
// Renders Burrow's icons from the SVG sources in resources/ into every file the installers and
// the app use. Re-run it after changing a source SVG and commit the outputs:
//
//   node scripts/render-icons.mjs
//
// Sources:  resources/icon.svg        the 1024×1024 app icon (48 px and up, and all of macOS)
//           resources/icon-small.svg  the flat 16–32 px version (Windows and Linux)
//           resources/tray/tray.svg   the tray glyph (16×16)
// Outputs:  resources/icon.png              1024×1024
//           resources/icons/<N>x<N>.png     16…512, for Linux (electron-builder linux.icon)
//           resources/icon.ico              16–256, for Windows
//           resources/icon.icns             16–1024, for macOS
//           resources/tray/trayTemplate.png (+@2x)  black glyph, a macOS template image
//           resources/tray/tray-light.png (+@2x)    dark glyph for light taskbars/panels
//           resources/tray/tray-dark.png (+@2x)     light glyph for dark taskbars/panels
//
// Rasterizing uses Chromium through Playwright (as the tests do): /usr/bin/chromium, or the
// browser named by BURROW_CHROMIUM. The ICO and ICNS containers are written here (PNG entries).
import { chromium } from '@playwright/test';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const resources = join(dirname(fileURLToPath(import.meta.url)), '..', 'resources');
const source = (name) => readFileSync(join(resources, name), 'utf8');

const LINUX_SIZES = [16, 24, 32, 48, 64, 128, 256, 512];
const ICO_SIZES = [16, 24, 32, 48, 64, 128, 256];
/** ICNS entry types (PNG payloads) and their pixel sizes; @2x types reuse the doubled size. */
const ICNS_ENTRIES = [
  ['icp4', 16],
  ['icp5', 32],
  ['ic11', 32],
  ['ic12', 64],
  ['ic07', 128],
  ['ic13', 256],
  ['ic08', 256],
  ['ic14', 512],
  ['ic09', 512],
  ['ic10', 1024],
];
const SMALL_MAX = 32;
const TRAY = { template: '#000000', light: '#8a4420', dark: '#f3dcc6' };

const browser = await chromium.launch({
  executablePath: process.env.BURROW_CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
const page = await browser.newPage({ deviceScaleFactor: 1 });

/** One SVG drawn at size×size pixels, transparent where the SVG is, as PNG bytes. */
async function render(svg, size) {
  await page.setViewportSize({ width: size, height: size });
  const src = `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`;
  await page.setContent(`<html><body style="margin:0;background:transparent"><img src="${src}" width="${size}" height="${size}" style="display:block"></body></html>`);
  await page.locator('img').evaluate((img) => img.decode());
  return page.screenshot({ omitBackground: true, type: 'png', clip: { x: 0, y: 0, width: size, height: size } });
}

const large = source('icon.svg');
const small = source('icon-small.svg');
const appIcon = (size, { flatSmall }) => render(flatSmall && size <= SMALL_MAX ? small : large, size);

function write(relative, bytes) {
  const path = join(resources, relative);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, bytes);
  console.log(`${relative} (${bytes.length} bytes)`);
}

/** A Windows .ico holding PNG images (Vista and later read them; 256 is stored as 0). */
function ico(images) {
  const header = Buffer.alloc(6 + 16 * images.length);
  header.writeUInt16LE(0, 0);
  header.writeUInt16LE(1, 2);
  header.writeUInt16LE(images.length, 4);
  let offset = header.length;
  images.forEach(({ size, png }, index) => {
    const entry = 6 + 16 * index;
    header.writeUInt8(size >= 256 ? 0 : size, entry);
    header.writeUInt8(size >= 256 ? 0 : size, entry + 1);
    header.writeUInt8(0, entry + 2); // palette colours
    header.writeUInt8(0, entry + 3);
    header.writeUInt16LE(1, entry + 4); // planes
    header.writeUInt16LE(32, entry + 6); // bits per pixel
    header.writeUInt32LE(png.length, entry + 8);
    header.writeUInt32LE(offset, entry + 12);
    offset += png.length;
  });
  return Buffer.concat([header, ...images.map(({ png }) => png)]);
}

/** A macOS .icns: 'icns', total length, then (type, length incl. 8-byte header, PNG) entries. */
function icns(entries) {
  const chunks = entries.map(({ type, png }) => {
    const head = Buffer.alloc(8);
    head.write(type, 0, 'ascii');
    head.writeUInt32BE(png.length + 8, 4);
    return Buffer.concat([head, png]);
  });
  const head = Buffer.alloc(8);
  head.write('icns', 0, 'ascii');
  head.writeUInt32BE(8 + chunks.reduce((sum, chunk) => sum + chunk.length, 0), 4);
  return Buffer.concat([head, ...chunks]);
}

try {
  write('icon.png', await appIcon(1024, { flatSmall: false }));
  for (const size of LINUX_SIZES) write(`icons/${size}x${size}.png`, await appIcon(size, { flatSmall: true }));

  const icoImages = [];
  for (const size of ICO_SIZES) icoImages.push({ size, png: await appIcon(size, { flatSmall: true }) });
  write('icon.ico', ico(icoImages));

  const macPngs = new Map();
  for (const [, size] of ICNS_ENTRIES) if (!macPngs.has(size)) macPngs.set(size, await appIcon(size, { flatSmall: false }));
  write('icon.icns', icns(ICNS_ENTRIES.map(([type, size]) => ({ type, png: macPngs.get(size) }))));

  const tray = source('tray/tray.svg');
  const glyph = (colour) => tray.replace('fill="#000"', `fill="${colour}"`);
  write('tray/trayTemplate.png', await render(glyph(TRAY.template), 16));
  write('tray/trayTemplate@2x.png', await render(glyph(TRAY.template), 32));
  for (const variant of ['light', 'dark']) {
    write(`tray/tray-${variant}.png`, await render(glyph(TRAY[variant]), 32));
    write(`tray/tray-${variant}@2x.png`, await render(glyph(TRAY[variant]), 64));
  }
} finally {
  await browser.close();
}
