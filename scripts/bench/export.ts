// Export benchmark (npm run bench): an A2 poster (420 × 594 mm, 3 mm bleed) with two photos at
// 300 dpi (5031 × 3543 px JPEGs, drawn procedurally: gradients, soft shapes, grain) and 20
// bilingual text blocks, exported by the `poster` command to PDF, SVG and 300-dpi PNG, each in
// its own process so its peak RSS is its own; then Chromium prints an equivalent HTML page
// (same images, same TTF fonts through @font-face) to PDF in the same run. Writes
// bench/results/export.json and prints a table.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createCanvas } from '@napi-rs/canvas';
import { chromium } from 'playwright-core';
import { it } from 'vitest';
import { createDocument, createImageFor, createText } from '../../core/document/factory';
import type { Asset, Element, PosterDocument, TextElement } from '../../core/document/schema';
import { writeProjectFile } from '../../electron/store/project-file';
import { CHROMIUM, chromiumArgs } from '../../tests/helpers/chromium';
import { sha256 } from '../../tests/helpers/fixtures';
import { bundledFontFile } from '../../tests/helpers/fonts';
import { writeBenchResult } from './results';

const root = path.resolve(import.meta.dirname, '../..');
const r2 = (x: number) => Math.round(x * 100) / 100;
const mb = (bytes: number) => r2(bytes / 2 ** 20);

/** What the `poster` command is asked to write; a new export is one more line here. */
const EXPORTS: { name: string; file: string; args: string[] }[] = [
  { name: 'PDF (RGB)', file: 'poster.pdf', args: [] },
  { name: 'PDF (CMYK)', file: 'poster-cmyk.pdf', args: ['--cmyk'] },
  { name: 'SVG (fonts embedded)', file: 'poster.svg', args: [] },
  { name: 'PNG 300 dpi', file: 'poster.png', args: ['--dpi', '300'] },
];

const PAGE = { width: 420, height: 594, bleed: 3 };
const PHOTO = { width: 5031, height: 3543 }; // 426 × 300 mm at 300 dpi

const BLOCKS: [string, string][] = [
  ['春季音乐节', 'Spring Music Festival'],
  ['城市之声，一起聆听', 'Voices of the city, heard together'],
  ['四月十八日至二十日', 'April 18 to 20'],
  ['滨江公园主舞台', 'Riverside Park, Main Stage'],
  ['三十支乐队，三个舞台', 'Thirty bands on three stages'],
  ['夜场灯光秀每晚八点开始', 'Light show every night at 8 pm'],
  ['学生凭证件享半价优惠', 'Students half price with ID'],
  ['现场美食市集与手作摊位', 'Food market and craft stalls on site'],
  ['地铁二号线江边站下车', 'Metro Line 2, Riverside station'],
  ['请勿携带玻璃瓶入场', 'No glass bottles, please'],
  ['儿童区全天开放', 'Kids area open all day'],
  ['免费饮用水补给站', 'Free water refill points'],
  ['无障碍通道位于东门', 'Step-free entrance at the East Gate'],
  ['门票在线购买更优惠', 'Tickets are cheaper online'],
  ['雨天活动照常进行', 'The festival goes ahead rain or shine'],
  ['请保管好个人物品', 'Please keep your belongings with you'],
  ['志愿者身穿绿色上衣', 'Volunteers wear green shirts'],
  ['医疗站位于主舞台左侧', 'First aid to the left of the main stage'],
  ['扫码关注获取最新消息', 'Scan the code for the latest news'],
  ['主办：滨江文化中心', 'Presented by Riverside Arts Centre'],
];

/** A photo-like JPEG: sky and ground gradients, soft blurred shapes, sensor grain. */
async function photo(width: number, height: number, seed: number): Promise<Uint8Array> {
  let s = seed >>> 0;
  const rnd = () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const c = createCanvas(width, height);
  const ctx = c.getContext('2d');
  const sky = ctx.createLinearGradient(0, 0, 0, height);
  sky.addColorStop(0, `hsl(${200 + seed * 20} 60% 35%)`);
  sky.addColorStop(0.55, `hsl(${30 + seed * 10} 70% 70%)`);
  sky.addColorStop(1, `hsl(${100 + seed * 15} 35% 25%)`);
  ctx.fillStyle = sky;
  ctx.fillRect(0, 0, width, height);
  for (let i = 0; i < 90; i++) {
    const x = rnd() * width;
    const y = rnd() * height;
    const r = (0.02 + rnd() * 0.18) * width;
    const g = ctx.createRadialGradient(x, y, 0, x, y, r);
    const hue = Math.floor(rnd() * 360);
    g.addColorStop(0, `hsla(${hue} 70% ${40 + rnd() * 40}% / ${0.25 + rnd() * 0.5})`);
    g.addColorStop(1, `hsla(${hue} 70% 50% / 0)`);
    ctx.fillStyle = g;
    ctx.beginPath();
    ctx.ellipse(x, y, r, r * (0.4 + rnd()), rnd() * Math.PI, 0, Math.PI * 2);
    ctx.fill();
  }
  // Grain, in bands so the pixel buffer is never copied whole.
  const band = 256;
  for (let y = 0; y < height; y += band) {
    const rows = Math.min(band, height - y);
    const img = ctx.getImageData(0, y, width, rows);
    const d = img.data;
    for (let i = 0; i < d.length; i += 4) {
      const n = (rnd() + rnd() + rnd() - 1.5) * 18;
      d[i] = Math.max(0, Math.min(255, (d[i] as number) + n));
      d[i + 1] = Math.max(0, Math.min(255, (d[i + 1] as number) + n));
      d[i + 2] = Math.max(0, Math.min(255, (d[i + 2] as number) + n));
    }
    ctx.putImageData(img, 0, y);
  }
  return new Uint8Array(await c.encode('jpeg', 90));
}

function poster(photos: Asset[]): PosterDocument {
  const base = createDocument('Spring Music Festival 春季音乐节', 'A2');
  const page = { ...base.pages[0]!, width: PAGE.width, height: PAGE.height, bleed: PAGE.bleed, background: '#101828' };
  const elements: Element[] = photos.map((a, i) => ({
    ...createImageFor(page, a),
    x: -PAGE.bleed,
    y: i === 0 ? -PAGE.bleed : PAGE.height + PAGE.bleed - 300,
    width: 426,
    height: 300,
  }));
  BLOCKS.forEach(([zh, en], i) => {
    const title = i < 2;
    const col = i < 2 ? 0 : (i - 2) % 2;
    const row = i < 2 ? i : 2 + Math.floor((i - 2) / 2);
    const t = createText(
      { x: 20 + col * 195, y: i === 0 ? 20 : 20 + row * 52 + (i >= 2 ? 40 : 30), width: title ? 380 : 185, height: title ? 60 : 45 },
      zh,
    );
    elements.push({
      ...t,
      runs: [{ text: zh, bold: title }],
      style: { ...t.style, fontSize: i === 0 ? 96 : title ? 40 : 24, color: '#ffffff', lineHeight: 1.25 },
      secondary: { runs: [{ text: en, bold: title }], ratio: 0.6, gap: 4, arrangement: 'stacked' },
    } satisfies TextElement);
  });
  return { ...base, pages: [{ ...page, elements }] };
}

/** The same poster as an HTML page for Chromium: images and text blocks at the same places. */
function html(doc: PosterDocument, photoFiles: string[]): string {
  const page = doc.pages[0]!;
  const b = page.bleed;
  const face = (family: string, id: string, weight: number) =>
    `@font-face{font-family:'${family}';font-weight:${weight};src:url('${pathToFileURL(bundledFontFile(id)).href}') format('truetype')}`;
  const parts: string[] = [];
  let img = 0;
  for (const el of page.elements) {
    const pos = `left:${el.x + b}mm;top:${el.y + b}mm;width:${el.width}mm;height:${el.height}mm`;
    if (el.type === 'image') parts.push(`<img src="${pathToFileURL(photoFiles[img++] as string).href}" style="position:absolute;${pos}">`);
    else if (el.type === 'text') {
      const size = el.style.fontSize;
      const weight = el.runs[0]?.bold ? 700 : 400;
      parts.push(
        `<div style="position:absolute;${pos};color:${el.style.color};font-weight:${weight};line-height:1.25;line-break:strict"><div style="font-size:${size}pt">${el.runs[0]?.text}</div><div style="font-size:${size * (el.secondary?.ratio ?? 1)}pt;margin-top:${el.secondary?.gap ?? 0}pt">${el.secondary?.runs[0]?.text ?? ''}</div></div>`,
      );
    }
  }
  return `<!doctype html><html><head><meta charset="utf-8"><style>
${face('Inter', 'inter-400', 400)}${face('Inter', 'inter-700', 700)}${face('Noto Sans SC', 'noto-sans-sc-400', 400)}${face('Noto Sans SC', 'noto-sans-sc-700', 700)}
@page{size:${page.width + 2 * b}mm ${page.height + 2 * b}mm;margin:0}
html{margin:0;background:${page.background}}
body{margin:0}
#page{position:relative;width:${page.width + 2 * b}mm;height:calc(${page.height + 2 * b}mm - 1px);font-family:'Inter','Noto Sans SC';overflow:hidden}
</style></head><body><div id="page">${parts.join('')}</div></body></html>`;
}

/** Runs the built `poster` command in a child; wall time, the export's own time, peak RSS. */
async function runPoster(args: string[], probe: string, rssFile: string) {
  const t0 = performance.now();
  const out: string[] = [];
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', pathToFileURL(probe).href, path.join(root, 'bin/poster.mjs'), ...args], {
      cwd: root,
      env: { ...process.env, BENCH_RSS_FILE: rssFile },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (d) => out.push(String(d)));
    child.stderr.on('data', (d) => out.push(String(d)));
    child.on('error', reject);
    child.on('exit', (c) => resolve(c ?? 1));
  });
  const wallS = (performance.now() - t0) / 1000;
  const log = out.join('');
  if (code !== 0) throw new Error(`poster ${args.join(' ')} failed (${code}):\n${log}`);
  const exportS = Number(/ in ([\d.]+) s\./.exec(log)?.[1] ?? Number.NaN);
  return { wallS, exportS, maxRssMB: r2(Number(readFileSync(rssFile, 'utf8')) / 1024), log };
}

it('export benchmark', async () => {
  if (!existsSync(path.join(root, 'out/main/poster.js'))) {
    execFileSync(process.execPath, [path.join(root, 'node_modules/.bin/electron-vite'), 'build'], { cwd: root, stdio: 'inherit' });
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'poster-bench-export-'));
  try {
    // 1. The poster: two photos and 20 text blocks, saved as a project.
    const photoFiles: string[] = [];
    const assets: Asset[] = [];
    const bytes = new Map<string, Uint8Array>();
    for (const seed of [1, 2]) {
      const jpg = await photo(PHOTO.width, PHOTO.height, seed);
      const file = path.join(dir, `photo-${seed}.jpg`);
      writeFileSync(file, jpg);
      photoFiles.push(file);
      const a: Asset = {
        sha256: sha256(jpg),
        mime: 'image/jpeg',
        width: PHOTO.width,
        height: PHOTO.height,
        byteLength: jpg.length,
        name: `photo-${seed}.jpg`,
      };
      assets.push(a);
      bytes.set(a.sha256, jpg);
    }
    const base = poster(assets);
    const doc = { ...base, assets: Object.fromEntries(assets.map((a) => [a.sha256, a])) };
    const project = path.join(dir, 'poster.poster');
    await writeProjectFile(project, doc, (sha) => ({ mime: 'image/jpeg', bytes: bytes.get(sha) as Uint8Array }));

    // 2. Our exports, one process each; a preload reports the process's peak RSS at exit.
    const probe = path.join(dir, 'rss-probe.mjs');
    writeFileSync(
      probe,
      // VmHWM (KiB), not getrusage's maxRSS: that one keeps the forking parent's (this script's) size across exec.
      "import { readFileSync, writeFileSync } from 'node:fs';\nprocess.on('exit', () => { const m = /^VmHWM:\\s+(\\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8')); writeFileSync(process.env.BENCH_RSS_FILE, String(m ? Number(m[1]) : process.resourceUsage().maxRSS)); });\n",
    );
    const data = path.join(dir, 'data');
    process.env.POSTER_DATA_DIR = data;
    // What every command costs before it exports anything: start, load the CLI, list templates.
    const startup = await runPoster(['templates'], probe, path.join(dir, 'rss.txt'));
    const ours: { name: string; wallS: number; exportS: number; maxRssMB: number; sizeMB: number }[] = [];
    for (const e of EXPORTS) {
      const target = path.join(dir, e.file);
      const r = await runPoster(['render', project, '--out', target, '--no-generate', ...e.args], probe, path.join(dir, 'rss.txt'));
      ours.push({ name: e.name, wallS: r2(r.wallS), exportS: r.exportS, maxRssMB: r.maxRssMB, sizeMB: mb(statSync(target).size) });
    }

    // 3. Chromium prints the same page to PDF: launch, load (fonts and images), print.
    const page = doc.pages[0]!;
    const htmlFile = path.join(dir, 'poster.html');
    writeFileSync(htmlFile, html(doc, photoFiles));
    const chromePdf = path.join(dir, 'chromium.pdf');
    const c0 = performance.now();
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: chromiumArgs });
    let printS = 0;
    try {
      const tab = await browser.newPage();
      await tab.goto(pathToFileURL(htmlFile).href, { waitUntil: 'load' });
      await tab.evaluate(() => document.fonts.ready.then(() => document.fonts.size));
      const p0 = performance.now();
      await tab.pdf({
        path: chromePdf,
        width: `${page.width + 2 * page.bleed}mm`,
        height: `${page.height + 2 * page.bleed}mm`,
        printBackground: true,
        margin: { top: '0', right: '0', bottom: '0', left: '0' },
      });
      printS = (performance.now() - p0) / 1000;
    } finally {
      await browser.close();
    }
    const chromeS = (performance.now() - c0) / 1000;
    const chromeSize = statSync(chromePdf).size;
    const chromePages = Number(/Pages:\s+(\d+)/.exec(execFileSync('pdfinfo', [chromePdf], { encoding: 'utf8' }))?.[1]);
    if (chromePages !== 1) throw new Error(`Chromium printed ${chromePages} pages instead of one`);
    const pdf = ours[0] as (typeof ours)[number];

    const result = {
      date: new Date().toISOString(),
      machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, node: process.version, load: os.loadavg().map(r2) },
      poster: {
        page: `${PAGE.width} × ${PAGE.height} mm + ${PAGE.bleed} mm bleed (A2)`,
        images: `2 JPEG, ${PHOTO.width} × ${PHOTO.height} px (300 dpi at 426 × 300 mm), ${assets.map((a) => `${mb(a.byteLength)} MB`).join(' + ')}`,
        textBlocks: BLOCKS.length,
      },
      startup: { wallS: r2(startup.wallS), maxRssMB: startup.maxRssMB, command: 'poster templates' },
      exports: ours,
      chromium: { wallS: r2(chromeS), printS: r2(printS), sizeMB: mb(chromeSize), pages: chromePages },
      ratios: {
        pdfTimeOursOverChromium: r2(pdf.wallS / chromeS),
        pdfSizeOursOverChromium: r2(pdf.sizeMB / mb(chromeSize)),
      },
      note: 'PDF (CMYK): JPEG photos go in as CMYK JPEGs (DCTDecode, quality 90, electron/export/jpeg-cmyk.ts), PNG images as Flate. wallS: process start to exit (start-up, fonts loaded, project read, preflight, export, write); startup: the same for a command that exports nothing; exportS: the time the command reports for the export itself; maxRssMB: the child process peak RSS (VmHWM). Chromium: launch, load the HTML page (same JPEG files, same TTF fonts via @font-face), print to PDF at the page size with bleed; printS is page.pdf() alone. Chromium is several processes; its memory is not measured.',
    };
    writeBenchResult('export', result, { quiet: true });
    const rows = [
      ['export', 'wall s', 'export s', 'peak RSS MB', 'size MB'],
      ...ours.map((o) => [o.name, o.wallS, o.exportS, o.maxRssMB, o.sizeMB].map(String)),
      ['Chromium print to PDF', r2(chromeS), r2(printS), '-', mb(chromeSize)].map(String),
    ];
    console.log(rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(24) : c.padStart(12))).join('')).join('\n'));
    console.log(`PDF vs Chromium: time × ${result.ratios.pdfTimeOursOverChromium}, size × ${result.ratios.pdfSizeOursOverChromium}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 900_000);
