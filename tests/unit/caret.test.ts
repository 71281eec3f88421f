// Caret placement and hit-testing on typeset text, and editing styled runs as plain text.
import { describe, expect, it } from 'vitest';
import { caretAt, DEFAULT_TEXT_STYLE, hitTest, layoutText } from '../../core/typeset';
import { applyStyle, diffText, plainText, replaceText } from '../../core/typeset/runs';
import { bundledRegistry } from '../helpers/fonts';

const style = { ...DEFAULT_TEXT_STYLE, fontSize: 20, hanLatinSpacing: false };

describe('carets and hit-testing', () => {
  it('puts a caret before every character and finds the character under a point', async () => {
    const reg = await bundledRegistry();
    const text = '春节快乐';
    const l = layoutText(reg, { runs: [{ text }], style, width: 400, height: 200 });
    for (let i = 0; i <= text.length; i++) {
      const c = caretAt(l, 0, i)!;
      expect(c.x).toBeCloseTo(i * 20, 5); // one em per Han character
      expect(c.vertical).toBe(false);
    }
    // A point in the right half of 节 lands after it, in its left half before it.
    expect(hitTest(l, 20 + 14, 10)).toEqual({ block: 0, index: 2 });
    expect(hitTest(l, 20 + 6, 10)).toEqual({ block: 0, index: 1 });
  });

  it('uses the second line for points below the first, and handles vertical columns', async () => {
    const reg = await bundledRegistry();
    const l = layoutText(reg, { runs: [{ text: '一二三四五六' }], style, width: 60, height: 200 });
    expect(l.lines).toHaveLength(2);
    expect(hitTest(l, 1, l.lines[1]!.y + 5)).toEqual({ block: 0, index: 3 });
    const v = layoutText(reg, { runs: [{ text: '一二三四' }], style: { ...style, vertical: true }, width: 200, height: 200 });
    const c = caretAt(v, 0, 2)!;
    expect(c.vertical).toBe(true);
    expect(c.y).toBeCloseTo(40, 5);
    expect(hitTest(v, v.lines[0]!.x + 5, 45)).toEqual({ block: 0, index: 2 });
  });
});

describe('editing styled runs', () => {
  const runs = [{ text: '春节' }, { text: '快乐', bold: true }, { text: ' Happy', color: '#ff0000' }];

  it('inserts text with the style of the character before it', () => {
    const next = replaceText(runs, 3, 3, '好');
    expect(plainText(next)).toBe('春节快好乐 Happy');
    expect(next).toEqual([{ text: '春节' }, { text: '快好乐', bold: true }, { text: ' Happy', color: '#ff0000' }]);
  });

  it('deletes across runs and merges what becomes equal', () => {
    const next = replaceText(runs, 1, 5, '');
    expect(next).toEqual([{ text: '春' }, { text: 'Happy', color: '#ff0000' }]);
    expect(replaceText(runs, 0, plainText(runs).length, '')).toEqual([{ text: '' }]);
  });

  it('styles a range and unstyles it again', () => {
    const bold = applyStyle(runs, 0, 2, { bold: true });
    expect(bold).toEqual([
      { text: '春节快乐', bold: true },
      { text: ' Happy', color: '#ff0000' },
    ]);
    expect(applyStyle(bold, 0, 4, { bold: undefined })).toEqual([{ text: '春节快乐' }, { text: ' Happy', color: '#ff0000' }]);
  });

  it('finds the single edit between two texts', () => {
    expect(diffText('春节快乐', '春节很快乐')).toEqual({ start: 2, end: 2, insert: '很' });
    expect(diffText('Happy day', 'Hay day')).toEqual({ start: 2, end: 4, insert: '' });
    expect(diffText('abc', 'abc')).toEqual({ start: 3, end: 3, insert: '' });
  });
});
