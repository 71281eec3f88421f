/**
 * The pipeline's array arithmetic outside the graphs: latent packing, the sinusoidal timestep
 * projection, true CFG with norm rescale, RoPE tables and attention biases. float32 throughout,
 * rounding where the reference rounds.
 */
const f32 = Math.fround;

/** [C,H,W] latents -> [(H/2)(W/2), C*4] tokens, channel index c*4 + dy*2 + dx. */
export function packLatents(x: Float32Array, c: number, h: number, w: number): Float32Array {
  const out = new Float32Array(x.length);
  const hh = h / 2;
  const ww = w / 2;
  for (let i = 0; i < hh; i++) {
    for (let j = 0; j < ww; j++) {
      const base = (i * ww + j) * c * 4;
      for (let ch = 0; ch < c; ch++) {
        for (let dy = 0; dy < 2; dy++) {
          for (let dx = 0; dx < 2; dx++) out[base + ch * 4 + dy * 2 + dx] = x[(ch * h + i * 2 + dy) * w + j * 2 + dx] as number;
        }
      }
    }
  }
  return out;
}

export function unpackLatents(tokens: Float32Array, c: number, h: number, w: number): Float32Array {
  const out = new Float32Array(tokens.length);
  const hh = h / 2;
  const ww = w / 2;
  for (let i = 0; i < hh; i++) {
    for (let j = 0; j < ww; j++) {
      const base = (i * ww + j) * c * 4;
      for (let ch = 0; ch < c; ch++) {
        for (let dy = 0; dy < 2; dy++) {
          for (let dx = 0; dx < 2; dx++) out[(ch * h + i * 2 + dy) * w + j * 2 + dx] = tokens[base + ch * 4 + dy * 2 + dx] as number;
        }
      }
    }
  }
  return out;
}

/** Sinusoidal projection of timesteps (cos first), 256 wide, scale 1000, as the reference. */
export function timestepProjection(t: ArrayLike<number>, dim = 256, scale = 1000): Float32Array {
  const half = dim / 2;
  const freqs = new Float32Array(half);
  const k = f32(-Math.log(10000));
  for (let i = 0; i < half; i++) freqs[i] = Math.exp(f32(f32(k * i) / half));
  const out = new Float32Array(t.length * dim);
  for (let n = 0; n < t.length; n++) {
    for (let i = 0; i < half; i++) {
      const a = f32(scale * f32((t[n] as number) * (freqs[i] as number)));
      out[n * dim + i] = Math.cos(a);
      out[n * dim + half + i] = Math.sin(a);
    }
  }
  return out;
}

/**
 * True CFG: comb = neg + s (cond - neg), then each token's vector rescaled to the norm of the
 * conditional prediction. Writes into `cond`.
 */
export function trueCfg(cond: Float32Array, neg: Float32Array, scale: number, width: number): void {
  for (let r = 0; r < cond.length; r += width) {
    let cn = 0;
    let bn = 0;
    for (let k = r; k < r + width; k++) {
      const cv = cond[k] as number;
      const comb = f32((neg[k] as number) + f32(scale * f32(cv - (neg[k] as number))));
      cn += cv * cv;
      bn += comb * comb;
      neg[k] = comb;
    }
    const ratio = f32(f32(Math.sqrt(cn)) / f32(Math.sqrt(bn)));
    for (let k = r; k < r + width; k++) cond[k] = f32((neg[k] as number) * ratio);
  }
}

export interface RopeTable {
  cos: Float32Array;
  sin: Float32Array;
  /** Rows (positions). */
  length: number;
  /** Columns (head_dim / 2). */
  width: number;
}

function axisFreqs(dim: number, theta: number): Float32Array {
  const f = new Float32Array(dim / 2);
  for (let i = 0; i < dim / 2; i++) f[i] = f32(1 / f32(theta ** f32((2 * i) / dim)));
  return f;
}

/**
 * MSRoPE of Qwen-Image for text of `textLen` tokens followed by an image of h x w patches:
 * image rows/columns centred (-(n - n/2) .. n/2 - 1), frame 0; text at max(h/2, w/2) + i on all
 * axes. Text rows come first, as in the joint attention.
 */
export function qwenImageRope(axes: number[], textLen: number, h: number, w: number, theta = 10000): RopeTable {
  const [af, ah, aw] = axes as [number, number, number];
  const width = (af + ah + aw) / 2;
  const freqs = [axisFreqs(af, theta), axisFreqs(ah, theta), axisFreqs(aw, theta)] as const;
  const length = textLen + h * w;
  const cos = new Float32Array(length * width);
  const sin = new Float32Array(length * width);
  const put = (row: number, pos: [number, number, number]): void => {
    let col = 0;
    for (let a = 0; a < 3; a++) {
      const f = freqs[a] as Float32Array;
      for (let i = 0; i < f.length; i++) {
        const angle = f32((pos[a] as number) * (f[i] as number));
        cos[row * width + col] = Math.cos(angle);
        sin[row * width + col] = Math.sin(angle);
        col++;
      }
    }
  };
  const start = Math.max(Math.floor(h / 2), Math.floor(w / 2));
  for (let t = 0; t < textLen; t++) put(t, [start + t, start + t, start + t]);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) put(textLen + y * w + x, [0, y - (h - Math.floor(h / 2)), x - (w - Math.floor(w / 2))]);
  }
  return { cos, sin, length, width };
}

/** 1-D RoPE of the text encoder (rotate-half layout: each frequency appears twice). */
export function textRope(length: number, headDim: number, theta: number): RopeTable {
  const inv = axisFreqs(headDim, theta);
  const half = headDim / 2;
  const cos = new Float32Array(length * headDim);
  const sin = new Float32Array(length * headDim);
  for (let p = 0; p < length; p++) {
    for (let i = 0; i < half; i++) {
      const angle = f32(p * (inv[i] as number));
      const c = Math.cos(angle);
      const s = Math.sin(angle);
      cos[p * headDim + i] = c;
      cos[p * headDim + half + i] = c;
      sin[p * headDim + i] = s;
      sin[p * headDim + half + i] = s;
    }
  }
  return { cos, sin, length, width: headDim };
}

/** Additive attention bias: 0 where a key may be attended, -inf-like where masked. */
export const MASKED = -3.4028234663852886e38;

export function causalBias(mask: ArrayLike<number>): Float32Array {
  const t = mask.length;
  const out = new Float32Array(t * t);
  for (let i = 0; i < t; i++) {
    for (let j = 0; j < t; j++) out[i * t + j] = j > i || !mask[j] ? MASKED : 0;
  }
  return out;
}
