// Stages 4 and 5: break paragraphs into lines (first fit over the allowed breaks), then place
// every glyph: alignment, justification (inter-character for Chinese, word spaces for Latin),
// vertical columns right to left, bilingual blocks, and shrink-to-fit.
import { breakOpportunities } from './breaks';
import type { FontRegistry } from './font';
import { faceChooser, type ParagraphSource, type ParagraphUnits, paragraphKey, paragraphs, shapeParagraph, type Unit } from './segment';
import { applySpacing, edgeTrim, unitWidth } from './spacing';
import type { GlyphRun, LayoutInput, LayoutLine, PositionedGlyph, TextLayout, TextRun, TextStyle } from './types';

/** Top of the ideographic em box above the baseline, as a fraction of the size (CJK fonts). */
const EM_TOP = 0.88;

interface BrokenLine {
  units: Unit[];
  lastOfParagraph: boolean;
  /** A hyphen glyph added after the last unit (overlong words). */
  hyphen: boolean;
}

// Layout is incremental: a paragraph's shaped units and its placed lines are cached, so typing
// in one paragraph of a long text re-shapes and re-breaks only that paragraph.
const MAX_CACHE = 6000;
const caches = new WeakMap<FontRegistry, Map<string, unknown>>();

function cached<T>(registry: FontRegistry, key: string, make: () => T): T {
  let cache = caches.get(registry);
  if (!cache) {
    cache = new Map();
    caches.set(registry, cache);
  }
  const hit = cache.get(key) as T | undefined;
  if (hit !== undefined) return hit;
  const value = make();
  if (cache.size >= MAX_CACHE) {
    let n = 0;
    for (const k of cache.keys()) {
      cache.delete(k);
      if (++n >= MAX_CACHE / 4) break;
    }
  }
  cache.set(key, value);
  return value;
}

const shapeStyleKey = (s: TextStyle, scale: number, baseSize: number) =>
  [s.latinFamily, s.cjkFamily, s.color, s.vertical, s.compressPunctuation, s.hanLatinSpacing, scale, baseSize].join('|');

function shapeBlock(registry: FontRegistry, runs: TextRun[], style: TextStyle, scale: number, baseSize: number) {
  const faces = faceChooser(registry, style);
  const { text, paras } = paragraphs(runs);
  const styleKey = shapeStyleKey(style, scale, baseSize);
  const shaped = paras.map((p) => {
    const key = `shape|${styleKey}|${paragraphKey(p)}`;
    const units = cached(registry, key, (): ParagraphUnits => {
      const u = shapeParagraph(p, style, faces, scale, baseSize);
      applySpacing(u, style);
      return { text: p.text, units: u };
    });
    return { para: p, key, units };
  });
  return { text, shaped };
}

function breakParagraph(p: ParagraphUnits, style: TextStyle, maxLength: number): BrokenLine[] {
  const { units } = p;
  if (units.length === 0) return [{ units: [], lastOfParagraph: true, hyphen: false }];
  const allowed = breakOpportunities(p.text, style.kinsoku);
  const lines: BrokenLine[] = [];
  let start = 0;
  while (start < units.length) {
    let width = 0;
    let lastBreak = -1; // unit index before which we may break
    let end = start;
    let hyphen = false;
    for (; end < units.length; end++) {
      const u = units[end] as Unit;
      if (end > start && allowed[u.start]) lastBreak = end;
      // Width if the line ended after this unit (trailing spaces hang in the margin).
      const w = width + unitWidth(u, style, end === start, true);
      const fits = u.space || w <= maxLength + 1e-6;
      if (!fits) break;
      width += unitWidth(u, style, end === start, false);
    }
    if (end >= units.length) {
      lines.push({ units: units.slice(start), lastOfParagraph: true, hyphen: false });
      break;
    }
    let cut: number;
    if (lastBreak > start) cut = lastBreak;
    else {
      // A word longer than the line: break it, with a hyphen inside Latin words if asked.
      cut = Math.max(start + 1, end);
      const prev = units[cut - 1] as Unit;
      const next = units[cut] as Unit;
      if (style.overlongWords === 'hyphenate' && prev.latin && next.latin && !prev.cjk && cut - 1 > start) {
        // Take letters back until the hyphen itself fits on the line.
        const hy = prev.face.glyphFor(0x2d);
        const hyAdvance = hy === undefined ? 0 : (prev.face.glyphAdvance(hy) * prev.size) / prev.face.upem;
        let w = 0;
        for (let k = start; k < cut; k++) w += unitWidth(units[k] as Unit, style, k === start, false);
        while (cut - 1 > start && w + hyAdvance > maxLength + 1e-6) {
          cut -= 1;
          w -= unitWidth(units[cut] as Unit, style, cut === start, false);
        }
        hyphen = cut > start + 1 || w + hyAdvance <= maxLength + 1e-6;
      }
    }
    lines.push({ units: units.slice(start, cut), lastOfParagraph: false, hyphen });
    start = cut;
    // Spaces at the start of the next line are dropped (they belong to the break).
    while (start < units.length && (units[start] as Unit).space && (units[start] as Unit).cp !== 0x3000) start++;
  }
  return lines;
}

function lineNaturalLength(units: Unit[], style: TextStyle): { length: number; lastInk: number } {
  let lastInk = units.length - 1;
  while (lastInk >= 0 && (units[lastInk] as Unit).space) lastInk--;
  let length = 0;
  for (let i = 0; i <= lastInk; i++) length += unitWidth(units[i] as Unit, style, i === 0, i === lastInk);
  return { length, lastInk };
}

interface PlaceContext {
  style: TextStyle;
  block: 0 | 1;
  paraOffset: number;
  /** Line box: for horizontal text x/y of the top-left; vertical: the column's left x and top. */
  x: number;
  y: number;
  length: number;
  pitch: number;
  size: number;
}

function placeLine(line: BrokenLine, ctx: PlaceContext): LayoutLine {
  const { style, paraOffset } = ctx;
  const units = line.units;
  const { length: natural, lastInk } = lineNaturalLength(units, style);
  const hyphenUnit = line.hyphen ? (units[units.length - 1] as Unit) : null;
  const hyphenGlyph = hyphenUnit ? hyphenUnit.face.glyphFor(0x2d) : undefined;
  const hyphenAdvance =
    hyphenUnit && hyphenGlyph !== undefined ? (hyphenUnit.face.glyphAdvance(hyphenGlyph) * hyphenUnit.size) / hyphenUnit.face.upem : 0;
  const extra = Math.max(0, ctx.length - natural - hyphenAdvance);
  const align = line.lastOfParagraph && style.align === 'justify' ? style.lastLineAlign : style.align;
  let offset = 0;
  const gapExtra = new Array<number>(units.length).fill(0);
  if (align === 'center') offset = extra / 2;
  else if (align === 'right') offset = extra;
  else if (align === 'justify' && extra > 0) {
    // Chinese: every gap next to a CJK character; Latin: word spaces.
    const weights: number[] = units.map((u, i) => {
      if (i >= lastInk) return 0;
      const next = units[i + 1] as Unit;
      if (u.space) return 1;
      if (next.space) return 0;
      return u.cjk || next.cjk || u.orientation === 'tcy' ? 1 : 0;
    });
    const total = weights.reduce((a, b) => a + b, 0);
    if (total > 0) {
      weights.forEach((w, i) => {
        gapExtra[i] = (extra * w) / total;
      });
    }
  }

  const vertical = style.vertical;
  const runs: GlyphRun[] = [];
  const carets: LayoutLine['carets'] = [];
  let pen = offset - (units[0] ? edgeTrim(units[0], style, 'start') : 0);
  // Baseline (horizontal) or column centre (vertical).
  const base = vertical ? ctx.x + ctx.pitch / 2 : ctx.y + (ctx.pitch - ctx.size) / 2 + EM_TOP * ctx.size;
  const at = (along: number, across: number) =>
    vertical ? { x: base + across, y: ctx.y + along } : { x: ctx.x + along, y: base - across };

  const push = (u: Unit, glyph: PositionedGlyph) => {
    let run = runs[runs.length - 1];
    const rotate = glyph.rotate;
    if (
      !run ||
      run.fontId !== u.face.meta.id ||
      run.size !== u.size ||
      run.color !== u.color ||
      (run.glyphs[0]?.rotate ?? 0) !== (rotate ?? 0)
    ) {
      run = { fontId: u.face.meta.id, size: u.size, color: u.color, glyphs: [], start: u.start + paraOffset, end: u.end + paraOffset };
      runs.push(run);
    }
    run.glyphs.push(glyph);
    run.end = u.end + paraOffset;
  };

  units.forEach((u, i) => {
    carets.push({ index: u.start + paraOffset, ...at(pen, 0) });
    const unitPen = pen - u.trimBefore;
    for (const g of u.glyphs) {
      const cluster = g.cluster + paraOffset;
      if (!vertical || u.orientation === 'horizontal') {
        const p = at(unitPen + g.along, g.across);
        push(u, { id: g.id, x: p.x, y: p.y, cluster });
      } else if (u.orientation === 'upright') {
        if (u.cjk) push(u, { id: g.id, x: base + g.across, y: ctx.y + unitPen + g.along + EM_TOP * u.size, cluster });
        else push(u, { id: g.id, x: base - u.cross / 2 + g.across, y: ctx.y + unitPen + EM_TOP * u.size, cluster });
      } else if (u.orientation === 'tcy') {
        const squeeze = u.cross > u.size ? u.size / u.cross : 1;
        const glyph: PositionedGlyph = {
          id: g.id,
          x: base + (g.across - u.cross / 2) * squeeze,
          y: ctx.y + unitPen + EM_TOP * u.size,
          cluster,
        };
        if (squeeze < 1) glyph.scaleX = squeeze;
        push(u, glyph);
      } else {
        // Rotated a quarter turn clockwise: the baseline runs down the column, centred on it.
        const asc = (u.face.ascender / u.face.upem) * u.size;
        const desc = (-u.face.descender / u.face.upem) * u.size;
        push(u, { id: g.id, x: base - (asc - desc) / 2 + g.across, y: ctx.y + unitPen + g.along, rotate: 90, cluster });
      }
    }
    pen += unitWidth(u, style, i === 0, i === lastInk) + (gapExtra[i] ?? 0);
    if (i === 0) pen += edgeTrim(u, style, 'start');
  });
  if (hyphenUnit && hyphenGlyph !== undefined) {
    const p = at(pen, 0);
    push(hyphenUnit, {
      id: hyphenGlyph,
      x: p.x,
      y: p.y,
      cluster: hyphenUnit.start + paraOffset,
      ...(vertical ? { rotate: 90 as const } : {}),
    });
  }
  const endIndex = units.length ? (units[units.length - 1] as Unit).end + paraOffset : paraOffset;
  carets.push({ index: endIndex, ...at(pen, 0) });
  return {
    block: ctx.block,
    start: units.length ? (units[0] as Unit).start + paraOffset : paraOffset,
    end: endIndex,
    x: ctx.x,
    y: ctx.y,
    width: vertical ? ctx.pitch : ctx.length,
    height: vertical ? ctx.length : ctx.pitch,
    runs,
    carets,
  };
}

interface BlockResult {
  lines: LayoutLine[];
  /** Extent across the lines (height of horizontal text, width of vertical text). */
  extent: number;
  text: string;
}

/** Lays out one block of runs in a box starting at (x, y) with the given line length. */
function layoutBlock(
  registry: FontRegistry,
  runs: TextRun[],
  style: TextStyle,
  block: 0 | 1,
  box: { x: number; y: number; width: number; height: number },
  scale: number,
  baseSize: number,
): BlockResult {
  const { text, shaped } = shapeBlock(registry, runs, style, scale, baseSize);
  const lineLength = style.vertical ? box.height : box.width;
  const placeKey = [
    block,
    box.x,
    box.y,
    box.width,
    lineLength,
    style.align,
    style.lastLineAlign,
    style.kinsoku,
    style.tracking,
    style.lineHeight,
    style.overlongWords,
  ].join('|');
  const lines: LayoutLine[] = [];
  let cross = 0;
  shaped.forEach(({ para, key, units }: { para: ParagraphSource; key: string; units: ParagraphUnits }, pi) => {
    if (pi > 0) cross += style.paragraphSpacing * scale;
    // Lines of this paragraph placed as if it began the block at offset 0, then moved.
    const placed = cached(registry, `place|${placeKey}|${key}`, () => {
      const out: LayoutLine[] = [];
      let c = 0;
      for (const l of breakParagraph(units, style, lineLength)) {
        const size = Math.max(baseSize * scale, ...l.units.map((u) => u.size));
        const pitch = size * style.lineHeight;
        const x = style.vertical ? box.x + box.width - c - pitch : box.x;
        const y = style.vertical ? box.y : box.y + c;
        out.push(placeLine(l, { style, block, paraOffset: 0, x, y, length: lineLength, pitch, size }));
        c += pitch;
      }
      return { lines: out, extent: c };
    });
    const dx = style.vertical ? -cross : 0;
    const dy = style.vertical ? 0 : cross;
    for (const l of placed.lines) lines.push(dx === 0 && dy === 0 && para.offset === 0 ? l : movedLine(l, dx, dy, para.offset));
    cross += placed.extent;
  });
  return { lines, extent: cross, text };
}

/** A copy of a line moved by (dx, dy) with its text offsets advanced by `offset`. */
function movedLine(l: LayoutLine, dx: number, dy: number, offset: number): LayoutLine {
  return {
    ...l,
    start: l.start + offset,
    end: l.end + offset,
    x: l.x + dx,
    y: l.y + dy,
    runs: l.runs.map((r) => ({
      ...r,
      start: r.start + offset,
      end: r.end + offset,
      glyphs: r.glyphs.map((g) => ({ ...g, x: g.x + dx, y: g.y + dy, cluster: g.cluster + offset })),
    })),
    carets: l.carets.map((c) => ({ index: c.index + offset, x: c.x + dx, y: c.y + dy })),
  };
}

function layoutAt(registry: FontRegistry, input: LayoutInput, scale: number, unbounded: boolean): TextLayout {
  const { style, width, height } = input;
  const sec = input.secondary?.runs.some((r) => r.text.length > 0) ? input.secondary : null;
  const big = 1e7;
  const frame = { x: 0, y: 0, width: style.vertical && unbounded ? big : width, height: !style.vertical && unbounded ? big : height };
  let first: BlockResult;
  let second: BlockResult | null = null;
  if (sec && sec.arrangement === 'side-by-side' && !style.vertical) {
    const half = (width - sec.gap * scale) / 2;
    first = layoutBlock(registry, input.runs, style, 0, { ...frame, width: half }, scale, style.fontSize);
    second = layoutBlock(
      registry,
      sec.runs,
      style,
      1,
      { ...frame, x: half + sec.gap * scale, width: half },
      scale,
      style.fontSize * sec.ratio,
    );
  } else {
    first = layoutBlock(registry, input.runs, style, 0, frame, scale, style.fontSize);
    if (sec) {
      const gap = sec.gap * scale;
      const shifted = style.vertical
        ? { ...frame, width: frame.width - first.extent - gap }
        : { ...frame, y: first.extent + gap, height: frame.height - first.extent - gap };
      second = layoutBlock(registry, sec.runs, style, 1, shifted, scale, style.fontSize * sec.ratio);
      second.extent += first.extent + gap;
    }
  }
  const extent = Math.max(first.extent, second?.extent ?? 0);
  const lines = [...first.lines, ...(second?.lines ?? [])];
  if (style.vertical && unbounded) {
    // Columns were placed from a far-right edge; move them to start at the frame's right.
    const shift = width - big;
    for (let i = 0; i < lines.length; i++) lines[i] = movedLine(lines[i] as LayoutLine, shift, 0, 0);
  }
  const contentWidth = style.vertical ? extent : width;
  const contentHeight = style.vertical ? height : extent;
  const overflow = style.vertical ? contentWidth > width + 1e-6 : contentHeight > height + 1e-6;
  return { lines, contentWidth, contentHeight, overflow, scale, texts: [first.text, second?.text ?? ''] };
}

/** Lays out a text frame. Output is plain data every renderer draws the same way. */
export function layoutText(registry: FontRegistry, input: LayoutInput): TextLayout {
  const { style } = input;
  // The frame follows the text, so nothing overflows.
  if (style.fit === 'grow') return { ...layoutAt(registry, input, 1, true), overflow: false };
  const full = layoutAt(registry, input, 1, false);
  if (style.fit !== 'shrink' || !full.overflow) return full;
  // Largest scale (to 1/256) at which the text fits the frame.
  let lo = 0.05;
  let hi = 1;
  let best: TextLayout | null = null;
  for (let k = 0; k < 9; k++) {
    const mid = (lo + hi) / 2;
    const attempt = layoutAt(registry, input, mid, false);
    if (attempt.overflow) hi = mid;
    else {
      lo = mid;
      best = attempt;
    }
  }
  return best ?? { ...layoutAt(registry, input, lo, false), overflow: true };
}
