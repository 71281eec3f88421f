// SVG export: Chromium draws the SVG (page with bleed, text in embedded fonts) the same as our
// PNG export of the same page.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../electron/cli/poster';
import { mismatchRatio, readPng } from '../helpers/png';
import { CHROMIUM, chromiumArgs } from './harness';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'poster-svg-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('SVG export', () => {
  it('draws the page as the raster export does', async () => {
    const svg = path.join(dir, 'menu.svg');
    const png = path.join(dir, 'menu.png');
    await main(['render', 'menu-board', '--out', svg], () => {});
    await main(['render', 'menu-board', '--out', png, '--dpi', '48'], () => {});
    const text = readFileSync(svg, 'utf8');
    // The page with its 3 mm bleed, like the PDF's MediaBox and the PNG.
    expect(text).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="426mm" height="303mm" viewBox="-3 -3 426 303"/);
    expect(text).toContain('<title>Menu board 菜单板</title>');
    expect(text).toContain('@font-face');
    const raster = readPng(readFileSync(png));
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: chromiumArgs });
    try {
      const page = await browser.newPage({ viewport: { width: raster.width, height: raster.height } });
      await page.setContent(
        `<body style="margin:0;background:#fff"><img id="s" src="data:image/svg+xml;base64,${Buffer.from(text).toString('base64')}" style="position:absolute;left:0;top:0;width:${raster.width}px;height:${raster.height}px"></body>`,
      );
      await page.waitForFunction(() => (document.getElementById('s') as HTMLImageElement).complete);
      const shot = readPng(await page.screenshot());
      expect(mismatchRatio(shot, raster, 60)).toBeLessThan(0.005);
    } finally {
      await browser.close();
    }
  }, 60_000);
});
