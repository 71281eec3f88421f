// Colour-space maths the colour engine and its checks share: sRGB (IEC 61966-2-1 curves, the
// D50-adapted matrix of the ICC sRGB profiles) to XYZ D50, CIE Lab and back, and CIE76 ΔE.

export const D50 = [0.9642, 1.0, 0.8249] as const;

/** The sRGB matrix to XYZ D50 (Bradford-adapted), as in the ICC's sRGB profiles. Rows X, Y, Z. */
const SRGB_D50 = [0.436066, 0.385147, 0.143066, 0.222488, 0.716873, 0.060608, 0.013916, 0.097076, 0.714096];
const srgbDecode = (c: number) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);

export function srgbToXyzD50(r: number, g: number, b: number): [number, number, number] {
  const l = [srgbDecode(r), srgbDecode(g), srgbDecode(b)];
  const m = SRGB_D50;
  return [0, 1, 2].map((i) => m[3 * i]! * l[0]! + m[3 * i + 1]! * l[1]! + m[3 * i + 2]! * l[2]!) as [number, number, number];
}

export function xyzToLab([x, y, z]: readonly number[]): [number, number, number] {
  const f = (t: number) => (t > 216 / 24389 ? Math.cbrt(t) : ((24389 / 27) * t + 16) / 116);
  const fx = f(x! / D50[0]);
  const fy = f(y! / D50[1]);
  const fz = f(z! / D50[2]);
  return [116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)];
}

export function labToXyz([L, a, b]: readonly number[]): [number, number, number] {
  const fy = (L! + 16) / 116;
  const fx = fy + a! / 500;
  const fz = fy - b! / 200;
  const inv = (t: number) => (t ** 3 > 216 / 24389 ? t ** 3 : (116 * t - 16) / (24389 / 27));
  return [inv(fx) * D50[0], inv(fy) * D50[1], inv(fz) * D50[2]];
}

export function srgbToLab(r: number, g: number, b: number): [number, number, number] {
  return xyzToLab(srgbToXyzD50(r, g, b));
}

/** CIE76 colour difference. */
export const deltaE = (p: readonly number[], q: readonly number[]) => Math.hypot(p[0]! - q[0]!, p[1]! - q[1]!, p[2]! - q[2]!);
