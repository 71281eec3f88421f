// SVG export with embedded subset fonts: real, selectable text in web fonts that carry only the
// glyphs used, under names no installed font has; Chromium draws the file like poppler draws
// the PDF of the same page; an unreadable font fails cleanly.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as fontkit from 'fontkit';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createImageFor, createText } from '../../core/document/factory';
import type { PosterDocument, TextElement } from '../../core/document/schema';
import { FontRegistry } from '../../core/typeset/font';
import { main } from '../../electron/cli/poster';
import { ExportError, layoutOf, renderPdf } from '../../electron/export/pdf';
import { renderSvg, writeSvg } from '../../electron/export/svg';
import { FontLibrary } from '../../electron/store/font-library';
import { CHROMIUM, chromiumArgs } from '../helpers/chromium';
import { docWith, testImage } from '../helpers/fixtures';
import { bundledRegistry } from '../helpers/fonts';
import { mismatchRatio, readPng } from '../helpers/png';

const ZH = '春节快乐，万事如意';
const EN = 'Happy Spring Festival';
const VERTICAL = '新年好（2026）';

let dir: string;
let browser: Browser;
let registry: FontRegistry;
const library = new FontLibrary(path.join(os.tmpdir(), 'poster-no-user-fonts'));
const bytesOf = new Map<string, Uint8Array>();
const image = testImage(320, 200, 'photo.png', 7);

function textEl(id: string, box: [number, number, number, number], content: string, style: Partial<TextElement['style']>): TextElement {
  const t = createText({ x: box[0], y: box[1], width: box[2], height: box[3] }, content, id as TextElement['id']);
  return { ...t, style: { ...t.style, ...style } };
}

function poster(): PosterDocument {
  const base = docWith([], 'Spring 春节');
  const page = { ...base.pages[0]!, width: 105, height: 148, background: '#fff4e0' };
  const img = { ...createImageFor(page, image.asset), x: 10, y: 90, width: 85, height: 53 };
  return {
    ...base,
    assets: { [image.asset.sha256]: image.asset },
    pages: [
      {
        ...page,
        elements: [
          img,
          textEl('el:zh', [8, 8, 90, 20], ZH, { cjkFamily: 'Noto Serif SC', fontSize: 26, color: '#b3161b' }),
          textEl('el:en', [8, 30, 90, 14], EN, { latinFamily: 'Source Serif 4', fontSize: 20, color: '#1a1a1a' }),
          textEl('el:v', [80, 40, 18, 48], VERTICAL, { fontSize: 16, vertical: true, color: '#204080' }),
        ],
      },
    ],
  };
}

const sources = () => ({
  registry,
  fontBytes: (id: string) => bytesOf.get(id) as Uint8Array,
  asset: (sha: string) => (sha === image.asset.sha256 ? { mime: 'image/png', bytes: image.bytes } : undefined),
});

/** @font-face rules of an SVG: family and decoded font bytes. */
function faces(svg: string): { family: string; bytes: Buffer }[] {
  return [...svg.matchAll(/@font-face\{font-family:'([^']+)';src:url\(data:font\/(?:ttf|otf);base64,([A-Za-z0-9+/=]+)\)/g)].map((m) => ({
    family: m[1] as string,
    bytes: Buffer.from(m[2] as string, 'base64'),
  }));
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'poster-svg-fonts-'));
  registry = await bundledRegistry();
  for (const f of await library.list()) bytesOf.set(f.id, await library.read(f.id));
  browser = await chromium.launch({ executablePath: CHROMIUM, args: chromiumArgs });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('SVG with embedded subset fonts', () => {
  it('embeds one subset per font used, holding only the glyphs drawn', () => {
    const doc = poster();
    const svg = renderSvg(doc, sources());
    // Glyphs each face draws, from the same layout the exporter uses.
    // A glyph is drawn as a character when it is the font's own glyph for the character it
    // renders; vertical alternates (the brackets in vertical text) are drawn as outlines.
    const used = new Map<string, Set<number>>();
    const alternates = new Set<number>();
    for (const el of doc.pages[0]!.elements) {
      if (el.type !== 'text') continue;
      const l = layoutOf(el, registry);
      for (const line of l.lines)
        for (const run of line.runs)
          for (const g of run.glyphs) {
            const cp = l.texts[line.block].codePointAt(g.cluster) as number;
            if (registry.get(run.fontId)?.glyphFor(cp) === g.id) used.set(run.fontId, (used.get(run.fontId) ?? new Set()).add(g.id));
            else alternates.add(g.id);
          }
    }
    expect(alternates.size).toBe(2);
    const embedded = faces(svg);
    expect(embedded.length).toBe(used.size);
    expect(used.size).toBeGreaterThanOrEqual(3);
    const installed = execFileSync('fc-list', [':', 'family'], { encoding: 'utf8' });
    for (const f of embedded) {
      expect(f.family).toMatch(/^[A-Z]{6}\+[A-Za-z0-9-]+$/);
      expect(installed).not.toContain(f.family.slice(7));
      const font = fontkit.create(f.bytes) as fontkit.Font;
      expect(font.familyName).toBe(f.family);
    }
    // Match each subset to its face by the characters it maps, then count glyphs.
    for (const [fontId, glyphs] of used) {
      const full = bytesOf.get(fontId)!;
      const fullFont = fontkit.create(Buffer.from(full)) as fontkit.Font;
      const match = embedded.find((f) => {
        const sub = fontkit.create(f.bytes) as fontkit.Font;
        return sub.postscriptName.endsWith(fullFont.postscriptName.replace(/[^A-Za-z0-9-]/g, ''));
      });
      expect(match, `no subset for ${fontId}`).toBeDefined();
      const sub = fontkit.create(match!.bytes) as fontkit.Font;
      expect(sub.numGlyphs).toBe(glyphs.size + 1);
      expect(match!.bytes.length).toBeLessThan(full.length / 50);
      // Every character mapped in the subset draws the same outline as in the full font.
      for (const cp of sub.characterSet) {
        expect(sub.glyphForCodePoint(cp).path.toSVG()).toBe(fullFont.glyphForCodePoint(cp).path.toSVG());
      }
    }
  });

  it('writes the page with its bleed and the image at its own resolution', () => {
    const svg = renderSvg(poster(), sources());
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="111mm" height="154mm" viewBox="-3 -3 111 154">/);
    const href = /<image [^>]*href="data:image\/png;base64,([^"]+)"/.exec(svg)?.[1];
    expect(Buffer.from(href as string, 'base64').equals(Buffer.from(image.bytes))).toBe(true);
  });

  it('keeps the text selectable in both languages and draws it with the embedded fonts only', async () => {
    const svg = renderSvg(poster(), sources());
    const page = await browser.newPage();
    try {
      await page.setContent(`<!doctype html><body style="margin:0">${svg}</body>`);
      await page.evaluate(() => document.fonts.ready);
      const state = await page.evaluate(() => {
        const faces = [...document.fonts].map((f) => ({ family: f.family, status: f.status }));
        const text = (id: string) => {
          const g = document.querySelectorAll('svg > g')[id === 'zh' ? 1 : id === 'en' ? 2 : 3] as SVGGElement;
          const sel = window.getSelection() as Selection;
          sel.removeAllRanges();
          sel.selectAllChildren(g);
          return sel.toString();
        };
        return { faces, zh: text('zh'), en: text('en'), v: text('v') };
      });
      expect(state.faces.length).toBe(faces(svg).length);
      for (const f of state.faces) expect(f.status).toBe('loaded');
      expect(state.zh).toBe(ZH);
      expect(state.en).toBe(EN);
      expect(state.v.replace(/\s/g, '')).toBe(VERTICAL);
    } finally {
      await page.close();
    }
  }, 60_000);

  it('looks in Chromium like the PDF of the same page looks in poppler', async () => {
    const doc = poster();
    const pdfFile = path.join(dir, 'p.pdf');
    writeFileSync(pdfFile, await renderPdf(doc, sources()));
    const dpi = 150;
    execFileSync('pdftoppm', ['-r', String(dpi), '-png', pdfFile, path.join(dir, 'p')]);
    const ref = readPng(readFileSync(path.join(dir, 'p-1.png')));
    const shoot = async (svg: string) => {
      const page = await browser.newPage({ viewport: { width: ref.width, height: ref.height } });
      try {
        await page.setContent(
          `<!doctype html><body style="margin:0;background:#fff"><img id="s" src="data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}" style="display:block;width:${ref.width}px;height:${ref.height}px"></body>`,
        );
        await page.waitForFunction(() => (document.getElementById('s') as HTMLImageElement).complete);
        return readPng(await page.screenshot());
      } finally {
        await page.close();
      }
    };
    // Chromium and poppler scale the photo with different filters; its bytes are checked
    // above, so the comparison masks it and looks at everything else.
    const px = (mm: number) => Math.round(((mm + 3) / 25.4) * dpi);
    const masked = (img: ReturnType<typeof readPng>) => ({
      ...img,
      pixel: (x: number, y: number): [number, number, number] =>
        x >= px(9) && x <= px(96) && y >= px(89) && y <= px(144) ? [0, 0, 0] : img.pixel(x, y),
    });
    const svg = renderSvg(doc, sources());
    const shot = await shoot(svg);
    expect([shot.width, shot.height]).toEqual([ref.width, ref.height]);
    expect(mismatchRatio(masked(shot), masked(ref), 60)).toBeLessThan(0.002);
    // The same file with its font names pointing nowhere falls back to installed fonts and
    // no longer matches: the embedded subsets are what draws the text.
    const fallback = await shoot(svg.replace(/font-family="'[A-Z]{6}\+[^']+'"/g, `font-family="'not-embedded'"`));
    expect(mismatchRatio(masked(fallback), masked(ref), 60)).toBeGreaterThan(0.004);
  }, 60_000);

  it('draws every glyph as an outline and embeds no font with outlineText', () => {
    const svg = renderSvg(poster(), sources(), { outlineText: true });
    expect(faces(svg)).toEqual([]);
    expect(svg).not.toContain('<text');
    expect(svg).not.toContain('@font-face');
    expect((svg.match(/<use /g) ?? []).length).toBeGreaterThan(ZH.length + EN.length);
  });

  it('subsets a CFF font from a collection (OpenType .ttc) just as well', async () => {
    // Debian's Noto Sans CJK: CFF outlines, four regional faces in one collection file.
    const ttc = new Uint8Array(readFileSync('/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc'));
    const reg = new FontRegistry();
    reg.add({ id: 'cjk-otf', family: 'CJK OTF', weight: 400, italic: false, script: 'cjk' }, ttc);
    reg.add(registry.get('inter-400')!.meta, bytesOf.get('inter-400')!);
    const base = poster();
    const content = `${ZH} ${EN}`;
    const doc = {
      ...base,
      pages: [{ ...base.pages[0]!, elements: [textEl('el:zh', [8, 8, 90, 40], content, { cjkFamily: 'CJK OTF', fontSize: 24 })] }],
    };
    const src = { registry: reg, fontBytes: (id: string) => (id === 'cjk-otf' ? ttc : bytesOf.get(id)!), asset: () => undefined };
    const svg = renderSvg(doc, src);
    const otf = faces(svg).find((f) => /\+NotoSansCJK/.test(f.family));
    expect(otf).toBeDefined();
    expect(svg).toContain(`font-family:'${otf!.family}';src:url(data:font/otf;`);
    const sub = fontkit.create(otf!.bytes) as fontkit.Font;
    const full = (fontkit.create(Buffer.from(ttc)) as unknown as { fonts: fontkit.Font[] }).fonts[0]!;
    // The .notdef and one glyph per character (the full-width comma included).
    expect(sub.numGlyphs).toBe(new Set([...ZH]).size + 1);
    // fontkit keeps the global subroutines whole: about 100 KB here, against 19 MB.
    expect(otf!.bytes.length).toBeLessThan(ttc.length / 100);
    for (const ch of ZH) {
      const cp = ch.codePointAt(0)!;
      expect(sub.glyphForCodePoint(cp).path.toSVG()).toBe(full.glyphForCodePoint(cp).path.toSVG());
    }
    // Chromium accepts both fonts, the text is selectable, and it draws what the outlines draw.
    const p = await browser.newPage({ viewport: { width: 420, height: 580 } });
    try {
      await p.setContent(
        `<!doctype html><body style="margin:0">${svg.replace(/width="111mm" height="154mm"/, 'width="420" height="583"')}</body>`,
      );
      const got = await p.evaluate(async () => {
        await document.fonts.ready;
        const sel = window.getSelection() as Selection;
        sel.selectAllChildren(document.querySelector('svg > g') as SVGGElement);
        const text = sel.toString();
        sel.removeAllRanges();
        return { status: [...document.fonts].map((f) => f.status), text };
      });
      expect(got.status).toEqual(['loaded', 'loaded']);
      expect(got.text.replace(/\s+/g, ' ').trim()).toBe(content);
      const asText = readPng(await p.screenshot());
      await p.setContent(
        `<!doctype html><body style="margin:0">${renderSvg(doc, src, { outlineText: true }).replace(/width="111mm" height="154mm"/, 'width="420" height="583"')}</body>`,
      );
      // FreeType hints CFF glyphs; filled outlines are not hinted.
      expect(mismatchRatio(asText, readPng(await p.screenshot()), 60)).toBeLessThan(0.004);
    } finally {
      await p.close();
    }
  }, 60_000);

  it('stops with a clear error naming a font it cannot read, and writes nothing', async () => {
    const target = path.join(dir, 'broken.svg');
    const broken = (id: string) => (id.startsWith('noto-serif-sc') ? (bytesOf.get(id) as Uint8Array).subarray(0, 4096) : bytesOf.get(id)!);
    const src = { ...sources(), fontBytes: broken };
    expect(() => renderSvg(poster(), src)).toThrow(ExportError);
    await expect(writeSvg(poster(), src, target)).rejects.toThrow(/font "Noto Serif SC" \(\d+\) could not be read/);
    expect(existsSync(target)).toBe(false);
    // An existing file at the destination is left as it was.
    writeFileSync(target, 'old');
    await expect(writeSvg(poster(), src, target)).rejects.toThrow(ExportError);
    expect(readFileSync(target, 'utf8')).toBe('old');
    expect(statSync(target).size).toBe(3);
  });

  it('poster render: --outline-text applies to SVG, and a font it cannot embed stops the export with no file', async () => {
    const logs: string[] = [];
    const outlined = path.join(dir, 'outlined.svg');
    expect(await main(['render', 'spring-festival', '--out', outlined, '--outline-text', '--no-generate'], (l) => logs.push(l))).toBe(0);
    const svg = readFileSync(outlined, 'utf8');
    expect(svg).not.toContain('@font-face');
    expect(svg).not.toContain('<text');
    expect(logs.join('\n')).toMatch(/Wrote .*outlined\.svg .*303 × 426 mm with 3 mm bleed, text as outlines/);

    // A user font HarfBuzz lays out but that lacks the OS/2 table a web font needs.
    const inter = new Uint8Array(bytesOf.get('inter-400')!);
    const at = Buffer.from(inter).indexOf('OS/2');
    expect(at).toBeGreaterThan(0);
    inter[at] = 'X'.charCodeAt(0);
    const data = path.join(dir, 'data');
    await new FontLibrary(path.join(data, 'fonts')).add('Brokenface-Regular.ttf', inter);
    const t = textEl('el:t', [10, 10, 200, 40], 'Broken face', { latinFamily: 'Brokenface' });
    const docFile = path.join(dir, 'broken.json');
    writeFileSync(docFile, JSON.stringify(docWith([t], 'Broken')));
    const target = path.join(dir, 'broken-cli.svg');
    const before = process.env.POSTER_DATA_DIR;
    process.env.POSTER_DATA_DIR = data;
    try {
      await expect(main(['render', docFile, '--out', target, '--no-generate'], () => {})).rejects.toThrow(
        /font "Brokenface" \(400\) could not be read to embed it in the SVG \(the font has no OS\/2 table\)/,
      );
      expect(existsSync(target)).toBe(false);
      // The PDF of the same document still renders: only web-font embedding needs the table.
      expect(await main(['render', docFile, '--out', path.join(dir, 'broken.pdf'), '--no-generate'], () => {})).toBe(0);
    } finally {
      if (before === undefined) delete process.env.POSTER_DATA_DIR;
      else process.env.POSTER_DATA_DIR = before;
    }
  }, 60_000);
});
