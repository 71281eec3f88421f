// The document schema: plain JSON, versioned, validated with zod. Lengths are millimetres,
// font sizes points, angles degrees (clockwise, about the element's centre), colours #rrggbb.
import { z } from 'zod';
import type { TextStyle } from '../typeset/types';

export const DOCUMENT_FORMAT = 'poster-studio/document';
/**
 * 2: text frames hold styled runs, a text style and an optional second-language text.
 * 3: the project keeps its generation history (`generations`).
 */
export const DOCUMENT_VERSION = 3;

/** Largest page side we accept: a 10 m banner. */
export const MAX_PAGE_MM = 10_000;
export const MAX_ELEMENTS_PER_PAGE = 20_000;
export const MAX_GROUP_DEPTH = 32;

export const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'expected a lowercase sha256 hex digest');
export const Color = z.string().regex(/^#[0-9a-fA-F]{6}$/, 'expected a colour like #1a2b3c');
const Length = z
  .number()
  .finite()
  .min(-MAX_PAGE_MM * 2)
  .max(MAX_PAGE_MM * 2);
const Size = z
  .number()
  .finite()
  .positive()
  .max(MAX_PAGE_MM * 2);
const PageId = z.string().regex(/^page:[0-9a-z]{1,64}$/, 'expected a page id like page:abc') as z.ZodType<`page:${string}`>;
const ElementId = z.string().regex(/^el:[0-9a-z]{1,64}$/, 'expected an element id like el:abc') as z.ZodType<`el:${string}`>;

const elementBase = {
  id: ElementId,
  name: z.string().max(200),
  /** Top-left of the unrotated box, relative to the page trim (or the parent group). */
  x: Length,
  y: Length,
  width: Size,
  height: Size,
  rotation: z.number().finite().min(-360).max(360),
  opacity: z.number().min(0).max(1),
  locked: z.boolean(),
  hidden: z.boolean(),
};

export const ImageElementSchema = z.strictObject({
  ...elementBase,
  type: z.literal('image'),
  asset: Sha256,
});

export const ShapeElementSchema = z.strictObject({
  ...elementBase,
  type: z.literal('shape'),
  shape: z.enum(['rect', 'ellipse']),
  fill: Color.nullable(),
  stroke: Color.nullable(),
  strokeWidth: z.number().finite().min(0).max(1000),
  cornerRadius: z.number().finite().min(0).max(MAX_PAGE_MM),
});

export const TextRunSchema = z.strictObject({
  text: z.string().max(100_000),
  bold: z.boolean().optional(),
  color: Color.optional(),
  /** Points; absent means the frame's size. */
  size: z.number().finite().positive().max(5000).optional(),
});

const FamilyName = z.string().min(1).max(200);
const Align = z.enum(['left', 'center', 'right', 'justify']);

/** Typesetting settings of a text frame (see core/typeset/types.ts). Sizes in points. */
export const TextStyleSchema = z.strictObject({
  latinFamily: FamilyName,
  cjkFamily: FamilyName,
  fontSize: z.number().finite().positive().max(5000),
  color: Color,
  lineHeight: z.number().finite().min(0.5).max(5),
  tracking: z.number().finite().min(-500).max(2000),
  paragraphSpacing: z.number().finite().min(0).max(2000),
  align: Align,
  lastLineAlign: Align,
  vertical: z.boolean(),
  kinsoku: z.enum(['none', 'basic', 'gb', 'strict']),
  compressPunctuation: z.boolean(),
  hanLatinSpacing: z.boolean(),
  overlongWords: z.enum(['break', 'hyphenate']),
  fit: z.enum(['none', 'shrink', 'grow']),
});

/** A text frame: the main text (usually Chinese) and optionally its translation as one unit. */
export const TextElementSchema = z.strictObject({
  ...elementBase,
  type: z.literal('text'),
  runs: z.array(TextRunSchema).max(10_000),
  style: TextStyleSchema,
  secondary: z
    .strictObject({
      runs: z.array(TextRunSchema).max(10_000),
      ratio: z.number().finite().min(0.1).max(3),
      gap: z.number().finite().min(0).max(2000),
      arrangement: z.enum(['stacked', 'side-by-side']),
    })
    .nullable(),
});

export interface GroupElement {
  id: `el:${string}`;
  name: string;
  x: number;
  y: number;
  width: number;
  height: number;
  rotation: number;
  opacity: number;
  locked: boolean;
  hidden: boolean;
  type: 'group';
  children: Element[];
}

export const GroupElementSchema: z.ZodType<GroupElement> = z.lazy(() =>
  z.strictObject({
    ...elementBase,
    type: z.literal('group'),
    children: z.array(ElementSchema).max(MAX_ELEMENTS_PER_PAGE),
  }),
);

export const ElementSchema: z.ZodType<Element> = z.lazy(() =>
  z.discriminatedUnion('type', [
    ImageElementSchema,
    ShapeElementSchema,
    TextElementSchema,
    GroupElementSchema as unknown as typeof ImageElementSchema,
  ]),
) as unknown as z.ZodType<Element>;

export type ImageElement = z.infer<typeof ImageElementSchema>;
export type ShapeElement = z.infer<typeof ShapeElementSchema>;
export type TextElement = z.infer<typeof TextElementSchema>;
export type Element = ImageElement | ShapeElement | TextElement | GroupElement;
export type ElementType = Element['type'];

export const PageSchema = z.strictObject({
  id: PageId,
  name: z.string().max(200),
  width: z.number().finite().min(10).max(MAX_PAGE_MM),
  height: z.number().finite().min(10).max(MAX_PAGE_MM),
  bleed: z.number().finite().min(0).max(50),
  safeMargin: z.number().finite().min(0).max(500),
  background: Color,
  elements: z.array(ElementSchema).max(MAX_ELEMENTS_PER_PAGE),
});
export type Page = z.infer<typeof PageSchema>;

export const ImageMime = z.enum(['image/png', 'image/jpeg', 'image/webp']);
export type ImageMime = z.infer<typeof ImageMime>;

export const AssetSchema = z.strictObject({
  sha256: Sha256,
  mime: ImageMime,
  /** Pixel size of the original file; the file itself is kept unchanged. */
  width: z.number().int().positive().max(100_000),
  height: z.number().int().positive().max(100_000),
  byteLength: z.number().int().nonnegative(),
  name: z.string().max(500),
});
export type Asset = z.infer<typeof AssetSchema>;

export const MAX_GENERATIONS = 10_000;
const GenerationId = z.string().regex(/^gen:[0-9a-z]{1,64}$/, 'expected a generation id like gen:abc') as z.ZodType<`gen:${string}`>;
const PixelSide = z.number().int().min(1).max(100_000);

/** One generated image and the settings that made it; the image is an asset of the project. */
export const GenerationEntrySchema = z.strictObject({
  id: GenerationId,
  asset: Sha256,
  prompt: z.string().max(2000),
  negativePrompt: z.string().max(2000),
  seed: z
    .number()
    .int()
    .min(0)
    .max(2 ** 32 - 1),
  model: z.strictObject({ id: z.string().min(1).max(200), name: z.string().max(200) }),
  steps: z.number().int().min(1).max(1000),
  cfg: z.number().finite().min(0).max(100),
  /** Pixels of the generated image. */
  width: PixelSide,
  height: PixelSide,
  /** ISO 8601 time the image finished. */
  createdAt: z.iso.datetime({ offset: true }),
  durationMs: z
    .number()
    .finite()
    .min(0)
    .max(7 * 24 * 3600 * 1000),
  /** Words the model was asked to paint into the image. */
  textToPaint: z.string().max(2000).optional(),
  /** The entry this one varies or regenerates a region of. */
  parent: GenerationId.optional(),
});
export type GenerationEntry = z.infer<typeof GenerationEntrySchema>;

export const DocumentSchema = z
  .strictObject({
    format: z.literal(DOCUMENT_FORMAT),
    version: z.literal(DOCUMENT_VERSION),
    title: z.string().max(500),
    pages: z.array(PageSchema).min(1).max(500),
    assets: z.record(Sha256, AssetSchema),
    /** Every image generated for this project, oldest first. */
    generations: z.array(GenerationEntrySchema).max(MAX_GENERATIONS),
  })
  .superRefine((doc, ctx) => {
    for (const [key, asset] of Object.entries(doc.assets)) {
      if (asset.sha256 !== key) {
        ctx.addIssue({ code: 'custom', path: ['assets', key, 'sha256'], message: 'does not match its key' });
      }
    }
    const seen = new Set<string>();
    doc.pages.forEach((page, p) => {
      const visit = (els: Element[], path: (string | number)[]) => {
        els.forEach((el, i) => {
          if (seen.has(el.id)) ctx.addIssue({ code: 'custom', path: [...path, i, 'id'], message: `duplicate id ${el.id}` });
          seen.add(el.id);
          if (el.type === 'image' && !doc.assets[el.asset]) {
            ctx.addIssue({ code: 'custom', path: [...path, i, 'asset'], message: 'refers to an asset the document does not list' });
          }
          if (el.type === 'group') visit(el.children, [...path, i, 'children']);
        });
      };
      visit(page.elements, ['pages', p, 'elements']);
    });
    const generationIds = new Set<string>();
    doc.generations.forEach((g, i) => {
      if (generationIds.has(g.id)) ctx.addIssue({ code: 'custom', path: ['generations', i, 'id'], message: `duplicate id ${g.id}` });
      generationIds.add(g.id);
      if (!doc.assets[g.asset]) {
        ctx.addIssue({ code: 'custom', path: ['generations', i, 'asset'], message: 'refers to an asset the document does not list' });
      }
    });
  });
export type PosterDocument = z.infer<typeof DocumentSchema>;

// The document's text style is exactly the typesetter's style type (checked by the compiler).
type StyleInDocument = z.infer<typeof TextStyleSchema>;
export type TextStyleMatches = [TextStyle] extends [StyleInDocument] ? ([StyleInDocument] extends [TextStyle] ? true : never) : never;
export const TEXT_STYLE_MATCHES: TextStyleMatches = true;
