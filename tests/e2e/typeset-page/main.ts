// Test page: runs core/typeset in Chromium with the bundled fonts (fetched from the web-mode
// server), so tests compare its output with Node's, and draws glyph runs two ways (outlines,
// as the app draws them, and the browser's own text rendering of the same font).
import { FontRegistry } from '../../../core/typeset/font';
import { layoutText } from '../../../core/typeset/layout';
import type { LayoutInput, TextLayout } from '../../../core/typeset/types';
import { typingTimes } from './typing';

interface FontRef {
  id: string;
  family: string;
  weight: number;
  script: 'latin' | 'cjk';
}

const registry = new FontRegistry();
const cssFamilies = new Map<string, string>();

async function loadFonts(fonts: FontRef[], token: string): Promise<void> {
  for (const f of fonts) {
    if (registry.get(f.id)) continue;
    const res = await fetch(`/api/font/${f.id}`, { headers: { authorization: `Bearer ${token}` } });
    const bytes = new Uint8Array(await res.arrayBuffer());
    registry.add({ id: f.id, family: f.family, weight: f.weight, italic: false, script: f.script }, bytes);
    const css = `test-${f.id}`;
    const face = new FontFace(css, bytes);
    await face.load();
    document.fonts.add(face);
    cssFamilies.set(f.id, css);
  }
}

function layouts(inputs: LayoutInput[]): TextLayout[] {
  return inputs.map((i) => layoutText(registry, i));
}

/** Draws a layout's glyphs as outlines (like the app) or as browser text; returns RGBA bytes. */
function draw(layout: TextLayout, width: number, height: number, mode: 'outline' | 'text', chars: string[]): number[] {
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d') as CanvasRenderingContext2D;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, width, height);
  ctx.fillStyle = '#000';
  for (const line of layout.lines) {
    for (const run of line.runs) {
      const face = registry.get(run.fontId);
      if (!face) continue;
      const s = run.size / face.upem;
      run.glyphs.forEach((g) => {
        if (mode === 'outline') {
          ctx.save();
          ctx.translate(g.x, g.y);
          ctx.scale(s, -s);
          ctx.fill(new Path2D(face.glyphPath(g.id)));
          ctx.restore();
        } else {
          ctx.font = `${run.size}px "${cssFamilies.get(run.fontId)}"`;
          ctx.fillText(chars[g.cluster] ?? '', g.x, g.y);
        }
      });
    }
  }
  return Array.from(ctx.getImageData(0, 0, width, height).data);
}

declare global {
  interface Window {
    typesetTest: {
      loadFonts: typeof loadFonts;
      layouts: typeof layouts;
      draw: typeof draw;
    };
  }
}

window.typesetTest = { loadFonts, layouts, draw };
document.title = 'ready';

/** Benchmark helpers: the same text laid out by Chromium's own engine and by ours, in-page. */
export interface BrowserBench {
  domFullMs: number;
  domTypingMs: number[];
  oursFullMs: number;
  oursTypingMs: number[];
}

function benchInBrowser(input: LayoutInput, cssWidthPx: number, fontPx: number, typedAt: number[]): BrowserBench {
  const text = input.runs.map((r) => r.text).join('');
  const div = document.createElement('div');
  div.style.cssText = `width:${cssWidthPx}px;font-size:${fontPx}px;line-height:1.4;text-align:justify;white-space:pre-wrap;font-family:"test-inter-400","test-noto-sans-sc-400";line-break:strict;position:absolute;left:0;top:0`;
  document.body.appendChild(div);
  const node = document.createTextNode('');
  div.appendChild(node);
  let t = performance.now();
  node.data = text;
  void div.offsetHeight;
  const domFullMs = performance.now() - t;
  const domTypingMs = typedAt.map((at) => {
    const t0 = performance.now();
    node.insertData(at, '新');
    void div.offsetHeight;
    return performance.now() - t0;
  });
  div.remove();
  t = performance.now();
  layoutText(registry, input);
  const oursFullMs = performance.now() - t;
  const oursTypingMs = typingTimes(registry, input, typedAt);
  return { domFullMs, domTypingMs, oursFullMs, oursTypingMs };
}

window.typesetBench = benchInBrowser;
declare global {
  interface Window {
    typesetBench: typeof benchInBrowser;
  }
}
