// Text frames until the typesetting engine lands: Fabric's Textbox, wrapped per character so
// Chinese wraps, not editable on canvas (edited in the properties panel).
import { Textbox } from 'fabric';
import type { TextElement } from '../../../../core/document/schema';
import { ptToMm } from '../../../../core/units';
import { applyCommon, boxFrom, type ElementView } from './types';

export const UI_FONT_STACK = '"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif';

export const textView: ElementView<TextElement> = {
  create(el, ctx) {
    const obj = new Textbox(el.text, { editable: false, splitByGrapheme: true, fontFamily: UI_FONT_STACK, lockScalingFlip: true });
    this.update?.(obj, el, ctx);
    return obj;
  },
  update(obj, el) {
    const t = obj as Textbox;
    t.set({ text: el.text, width: el.width, fontSize: ptToMm(el.fontSize), fill: el.color, textAlign: el.align, scaleX: 1, scaleY: 1 });
    t.initDimensions();
    applyCommon(t, { ...el, height: t.height });
    // Keep the frame's top where the document says, whatever height the text takes.
    t.set({ top: el.y + t.height / 2 });
    t.setCoords();
  },
  readBack(obj, el, t) {
    const box = boxFrom(t, obj.width, obj.height);
    const scaled = Math.abs(t.scaleY - 1) > 1e-6;
    return {
      ...box,
      height: Math.max(el.height * Math.abs(t.scaleY), 1),
      ...(scaled ? { fontSize: Math.max(1, el.fontSize * Math.abs(t.scaleY)) } : {}),
    };
  },
};
