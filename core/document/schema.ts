// The document schema: plain JSON, versioned, validated with zod. Lengths are millimetres,
// font sizes points, angles degrees (clockwise, about the element's centre), colours #rrggbb.
import { z } from 'zod';

export const DOCUMENT_FORMAT = 'poster-studio/document';
export const DOCUMENT_VERSION = 1;

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

/** A text frame. Until the typesetting engine lands it holds plain text in one style. */
export const TextElementSchema = z.strictObject({
  ...elementBase,
  type: z.literal('text'),
  text: z.string().max(100_000),
  fontSize: z.number().finite().positive().max(5000),
  color: Color,
  align: z.enum(['left', 'center', 'right', 'justify']),
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

export const DocumentSchema = z
  .strictObject({
    format: z.literal(DOCUMENT_FORMAT),
    version: z.literal(DOCUMENT_VERSION),
    title: z.string().max(500),
    pages: z.array(PageSchema).min(1).max(500),
    assets: z.record(Sha256, AssetSchema),
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
  });
export type PosterDocument = z.infer<typeof DocumentSchema>;
