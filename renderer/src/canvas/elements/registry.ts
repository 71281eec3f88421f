import type { Element } from '../../../../core/document/schema';
import { makeGroupView } from './group';
import { imageView } from './image';
import { shapeView } from './shape';
import { textView } from './text';
import type { ElementView } from './types';

const groupView = makeGroupView((el) => viewOf(el));

export function viewOf(el: Element): ElementView {
  switch (el.type) {
    case 'image':
      return imageView as ElementView;
    case 'shape':
      return shapeView as ElementView;
    case 'text':
      return textView as ElementView;
    case 'group':
      return groupView as ElementView;
  }
}
