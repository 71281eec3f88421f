// SVG export: Chromium draws the SVG the same as our PNG export of the same page.
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
    expect(text).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="420mm" height="297mm"/);
    expect(text).toContain('<title>Menu board 菜单板</title>');
    const raster = readPng(readFileSync(png));
    // The PNG includes 3 mm of bleed on each side; the SVG is the trim.
    const bleedPx = Math.round((3 / 25.4) * 48);
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: chromiumArgs });
    try {
      const page = await browser.newPage({ viewport: { width: raster.width, height: raster.height } });
      await page.setContent(
        `<body style="margin:0;background:#fff"><img id="s" src="data:image/svg+xml;base64,${Buffer.from(text).toString('base64')}" style="position:absolute;left:${bleedPx}px;top:${bleedPx}px;width:${raster.width - 2 * bleedPx}px;height:${raster.height - 2 * bleedPx}px"></body>`,
      );
      await page.waitForFunction(() => (document.getElementById('s') as HTMLImageElement).complete);
      const shot = readPng(await page.screenshot());
      // Compare inside the trim only.
      const crop = (img: typeof raster) => ({
        width: img.width - 2 * bleedPx,
        height: img.height - 2 * bleedPx,
        pixel: (x: number, y: number) => img.pixel(x + bleedPx, y + bleedPx),
      });
      expect(mismatchRatio(crop(shot), crop(raster), 60)).toBeLessThan(0.005);
    } finally {
      await browser.close();
    }
  }, 60_000);
});
