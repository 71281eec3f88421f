// Print guides drawn over the page: the pasteboard outside the bleed is dimmed (it will not
// print), the trim edge is a solid line, the bleed edge red, the safe area dashed.
import type { Page } from '../../../core/document/schema';

export interface GuideOptions {
  showBleed: boolean;
  showSafe: boolean;
}

export function drawGuides(
  ctx: CanvasRenderingContext2D,
  vpt: number[],
  page: Page,
  cssWidth: number,
  cssHeight: number,
  opts: GuideOptions,
) {
  const [z, , , , px, py] = vpt as [number, number, number, number, number, number];
  const sx = (mm: number) => px + mm * z;
  const sy = (mm: number) => py + mm * z;
  const b = page.bleed;
  ctx.save();
  ctx.setTransform(window.devicePixelRatio || 1, 0, 0, window.devicePixelRatio || 1, 0, 0);
  // Dim everything outside the bleed box.
  ctx.fillStyle = 'rgba(200, 200, 208, 0.82)';
  ctx.beginPath();
  ctx.rect(0, 0, cssWidth, cssHeight);
  ctx.rect(sx(-b), sy(-b), (page.width + 2 * b) * z, (page.height + 2 * b) * z);
  ctx.fill('evenodd');
  ctx.lineWidth = 1;
  if (opts.showBleed && b > 0) {
    ctx.strokeStyle = 'rgba(220, 40, 40, 0.9)';
    ctx.strokeRect(sx(-b) - 0.5, sy(-b) - 0.5, (page.width + 2 * b) * z + 1, (page.height + 2 * b) * z + 1);
  }
  ctx.strokeStyle = 'rgba(20, 20, 30, 0.85)';
  ctx.strokeRect(Math.round(sx(0)) + 0.5, Math.round(sy(0)) + 0.5, Math.round(page.width * z) - 1, Math.round(page.height * z) - 1);
  if (opts.showSafe && page.safeMargin > 0) {
    const m = page.safeMargin;
    ctx.setLineDash([4, 4]);
    ctx.strokeStyle = 'rgba(0, 150, 200, 0.9)';
    ctx.strokeRect(sx(m) + 0.5, sy(m) + 0.5, (page.width - 2 * m) * z - 1, (page.height - 2 * m) * z - 1);
  }
  ctx.restore();
}
