import type { Element } from '../../../../core/document/schema';
import type { TextEngine } from '../text-engine';
import { makeGroupView } from './group';
import { imageView } from './image';
import { shapeView } from './shape';
import { makeTextView } from './text';
import type { ElementView } from './types';

const groupView = makeGroupView((el) => viewOf(el));
let textView: ElementView | null = null;

/** Text frames need the renderer's typesetting engine; PageCanvas installs it at start. */
export function installTextEngine(engine: TextEngine): void {
  textView = makeTextView(engine) as ElementView;
}

export function viewOf(el: Element): ElementView {
  switch (el.type) {
    case 'image':
      return imageView as ElementView;
    case 'shape':
      return shapeView as ElementView;
    case 'text':
      if (!textView) throw new Error('The text engine is not installed');
      return textView;
    case 'group':
      return groupView as ElementView;
  }
}
