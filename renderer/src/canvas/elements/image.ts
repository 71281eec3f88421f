import { FabricImage } from 'fabric';
import type { ImageElement } from '../../../../core/document/schema';
import { applyCommon, boxFrom, type ElementView } from './types';

function placeholder(): HTMLCanvasElement {
  const c = document.createElement('canvas');
  c.width = 16;
  c.height = 16;
  const g = c.getContext('2d');
  if (g) {
    g.fillStyle = '#d8d8de';
    g.fillRect(0, 0, 16, 16);
  }
  return c;
}

const loadedAsset = new WeakMap<FabricImage, string>();
const latestElement = new WeakMap<FabricImage, ImageElement>();

function fitToBox(obj: FabricImage, el: ImageElement) {
  const src = obj.getElement() as HTMLCanvasElement;
  obj.set({ width: src.width, height: src.height, scaleX: el.width / src.width, scaleY: el.height / src.height });
  applyCommon(obj, el);
  obj.setCoords();
}

export const imageView: ElementView<ImageElement> = {
  create(el, ctx) {
    const obj = new FabricImage(placeholder());
    this.update?.(obj, el, ctx);
    return obj;
  },
  update(obj, el, ctx) {
    const img = obj as FabricImage;
    fitToBox(img, el);
    latestElement.set(img, el);
    if (loadedAsset.get(img) === el.asset) return;
    loadedAsset.set(img, el.asset);
    ctx.images
      .get(el.asset)
      .then((source) => {
        if (loadedAsset.get(img) !== el.asset) return;
        img.setElement(source);
        // The element may have changed while loading; re-fit to the latest box.
        fitToBox(img, latestElement.get(img) ?? el);
        ctx.requestRender();
      })
      .catch(() => {
        loadedAsset.delete(img);
      });
  },
  readBack(obj, _el, t) {
    return boxFrom(t, obj.width, obj.height);
  },
};
