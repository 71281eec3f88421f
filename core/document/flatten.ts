// A page's visible elements with groups resolved: each leaf placed in page coordinates, with
// the opacity it inherits from its groups. Exporters and preflight walk this list.
import { childToParent } from './geometry';
import type { Element } from './schema';

export type LeafElement = Exclude<Element, { type: 'group' }>;

export function flattenElements(elements: readonly Element[], opacity = 1): { el: LeafElement; opacity: number }[] {
  const out: { el: LeafElement; opacity: number }[] = [];
  for (const el of elements) {
    if (el.hidden) continue;
    if (el.type === 'group')
      out.push(
        ...flattenElements(
          el.children.map((c) => childToParent(c, el)),
          opacity * el.opacity,
        ),
      );
    else out.push({ el, opacity: opacity * el.opacity });
  }
  return out;
}
