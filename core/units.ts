// Physical units. The document stores millimetres; points (1/72 in) are for type and PDF.
export const MM_PER_INCH = 25.4;
export const PT_PER_INCH = 72;

export const mmToPt = (mm: number): number => (mm / MM_PER_INCH) * PT_PER_INCH;
export const ptToMm = (pt: number): number => (pt / PT_PER_INCH) * MM_PER_INCH;
export const inchToMm = (inch: number): number => inch * MM_PER_INCH;
export const mmToPx = (mm: number, dpi: number): number => (mm / MM_PER_INCH) * dpi;
export const pxToMm = (px: number, dpi: number): number => (px / dpi) * MM_PER_INCH;

/** Rounds to 0.01 mm, the precision shown in the UI and kept after gestures. */
export const roundMm = (mm: number): number => Math.round(mm * 100) / 100;

export interface PageSizePreset {
  id: string;
  /** Label keys are translated by the UI; the raw label is a fallback. */
  label: string;
  widthMm: number;
  heightMm: number;
}

/** Portrait sizes; landscape is the same with sides swapped. */
export const PAGE_PRESETS: readonly PageSizePreset[] = [
  { id: 'A5', label: 'A5', widthMm: 148, heightMm: 210 },
  { id: 'A4', label: 'A4', widthMm: 210, heightMm: 297 },
  { id: 'A3', label: 'A3', widthMm: 297, heightMm: 420 },
  { id: 'A2', label: 'A2', widthMm: 420, heightMm: 594 },
  { id: 'A1', label: 'A1', widthMm: 594, heightMm: 841 },
  { id: 'A0', label: 'A0', widthMm: 841, heightMm: 1189 },
  { id: '50x70', label: '50 × 70 cm', widthMm: 500, heightMm: 700 },
  { id: '18x24in', label: '18 × 24 in', widthMm: inchToMm(18), heightMm: inchToMm(24) },
  { id: '24x36in', label: '24 × 36 in', widthMm: inchToMm(24), heightMm: inchToMm(36) },
  { id: 'rollup', label: 'Roll-up banner 80 × 200 cm', widthMm: 800, heightMm: 2000 },
];

export type Orientation = 'portrait' | 'landscape';

export function presetSize(id: string, orientation: Orientation): { widthMm: number; heightMm: number } | null {
  const p = PAGE_PRESETS.find((x) => x.id === id);
  if (!p) return null;
  const short = Math.min(p.widthMm, p.heightMm);
  const long = Math.max(p.widthMm, p.heightMm);
  return orientation === 'portrait' ? { widthMm: short, heightMm: long } : { widthMm: long, heightMm: short };
}

/** The preset a page size matches (either orientation), within 0.5 mm. */
export function matchPreset(widthMm: number, heightMm: number): { id: string; orientation: Orientation } | null {
  for (const p of PAGE_PRESETS) {
    for (const orientation of ['portrait', 'landscape'] as const) {
      const s = presetSize(p.id, orientation);
      if (s && Math.abs(s.widthMm - widthMm) < 0.5 && Math.abs(s.heightMm - heightMm) < 0.5) {
        return { id: p.id, orientation };
      }
    }
  }
  return null;
}
