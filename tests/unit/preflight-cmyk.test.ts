// Preflight of a CMYK export: RGB content reported as converted (with the real bundled profile),
// converted colours over the ink limit flagged, and info lines not counted as warnings.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CmykTransform } from '../../core/color/icc';
import { createImageFor } from '../../core/document/factory';
import type { PosterDocument } from '../../core/document/schema';
import { preflight, summarise } from '../../core/preflight';
import { docWith, rect, testImage, text } from '../helpers/fixtures';

const t = new CmykTransform(new Uint8Array(readFileSync(path.resolve('resources/icc/PosterStudio-CoatedFOGRA39L.icc'))));
const families = ['Noto Sans SC', 'Inter'];

function doc(): PosterDocument {
  const img = testImage(2400, 2400, 'photo.png');
  const base = docWith([]);
  const page = base.pages[0]!;
  const image = { ...createImageFor(page, img.asset, undefined, 'el:img'), x: 50, y: 50, width: 100, height: 100 };
  return {
    ...base,
    assets: { [img.asset.sha256]: img.asset },
    pages: [
      {
        ...page,
        background: '#ffffff',
        elements: [image, rect('el:black', 50, 200, 40, 40, { fill: '#000000' } as never), text('el:t', 50, 300, 150, 30, '你好 Hello')],
      },
    ],
  };
}

describe('CMYK preflight', () => {
  it('lists the RGB images and colours converted, with the profile name, as info', () => {
    const found = preflight(doc(), { families, cmyk: { profile: 'Coated test', inkLimit: 300, convert: (h) => t.fromHex(h) } });
    const info = found.filter((f) => f.code === 'rgb-converted');
    expect(info).toHaveLength(1);
    expect(info[0]!.severity).toBe('info');
    // Background white, the black square, the text colour.
    expect(info[0]!.message).toMatch(/^1 RGB image and 3 RGB colours converted to CMYK with Coated test\.$/);
    expect(found.some((f) => f.code === 'ink-limit')).toBe(false);
    expect(summarise(found)).toBe('Preflight: 0 errors, 0 warnings');
  });

  it('warns when a converted colour needs more ink than the press takes', () => {
    const black = t.fromHex('#000000').reduce((a, v) => a + v * 100, 0);
    expect(black).toBeGreaterThan(260);
    const found = preflight(doc(), { families, cmyk: { profile: 'Coated test', inkLimit: 240, convert: (h) => t.fromHex(h) } });
    const over = found.filter((f) => f.code === 'ink-limit');
    expect(over.map((f) => f.elementId)).toContain('el:black');
    expect(over.find((f) => f.elementId === 'el:black')!.message).toMatch(
      new RegExp(`#000000 converts to ${Math.round(black)}% total ink, over the 240% limit`),
    );
    expect(over.every((f) => f.severity === 'warning')).toBe(true);
    expect(summarise(found)).toBe(`Preflight: 0 errors, ${over.length} warning${over.length === 1 ? '' : 's'}`);
  });

  it('adds nothing about colour to an RGB export', () => {
    expect(preflight(doc(), { families }).filter((f) => f.code === 'rgb-converted' || f.code === 'ink-limit')).toEqual([]);
  });
});
