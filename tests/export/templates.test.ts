// The bundled templates, their fields, and CSV batches of bilingual signs.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyFields, FieldError, fieldNames, parseCsv } from '../../core/document/fields';
import { parseDocumentJson } from '../../core/document/validate';
import { main, templatesDir } from '../../electron/cli/poster';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'poster-templates-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const pdfText = (file: string) => execFileSync('pdftotext', [file, '-'], { encoding: 'utf8' }).replace(/\s+/g, '');
const template = (name: string) => parseDocumentJson(readFileSync(path.join(templatesDir(), `${name}.json`), 'utf8'));

describe('bundled templates', () => {
  const names = readdirSync(templatesDir())
    .filter((n) => n.endsWith('.json'))
    .map((n) => n.replace(/\.json$/, ''));

  it('ships the six designs a user starts from', () => {
    expect(names.sort()).toEqual(['event-poster', 'menu-board', 'rollup-banner', 'shop-sale', 'spring-festival', 'wayfinding-sign']);
  });

  for (const name of ['event-poster', 'menu-board', 'rollup-banner', 'shop-sale', 'spring-festival', 'wayfinding-sign']) {
    it(`${name} renders with a clean preflight and all its text`, async () => {
      const logs: string[] = [];
      const out = path.join(dir, `${name}.pdf`);
      // The generated backdrop is upscaled from the bundled model's native size: preflight says so.
      const generated = name === 'event-poster';
      expect(await main(['render', name, '--out', out], (s) => logs.push(s))).toBe(0);
      expect(logs).toContain(generated ? 'Preflight: 0 errors, 1 warning' : 'Preflight: 0 errors, 0 warnings');
      if (generated) expect(logs.join('\n')).toMatch(/warning @image:backdrop .*dpi at its printed size/);
      const text = pdfText(out);
      const doc = template(name);
      for (const el of doc.pages[0]!.elements) {
        if (el.type !== 'text') continue;
        for (const r of [...el.runs, ...(el.secondary?.runs ?? [])]) expect(text).toContain(r.text.replace(/\s+/g, ''));
      }
    }, 30_000);
  }
});

describe('fields', () => {
  it('fills main and second-language text, keeping the style, and names unknown fields', () => {
    const doc = template('wayfinding-sign');
    expect(fieldNames(doc)).toEqual(['arrow', 'label', 'label.en']);
    const filled = applyFields(doc, { label: '洗手间', 'label.en': 'Toilets' });
    const label = filled.pages[0]!.elements.find((e) => e.name === '@label');
    expect(label).toMatchObject({ runs: [{ text: '洗手间', bold: true }], secondary: { runs: [{ text: 'Toilets' }] } });
    expect(() => applyFields(doc, { headline: 'x' })).toThrow(FieldError);
    expect(() => applyFields(doc, { headline: 'x' })).toThrow(/arrow, label, label\.en/);
  });

  it('parses CSV with quotes, commas, line breaks and a BOM', () => {
    expect(parseCsv('\uFEFFa,b\r\n"1, one","say ""hi"""\n"two\nlines",x\n\n')).toEqual([
      ['a', 'b'],
      ['1, one', 'say "hi"'],
      ['two\nlines', 'x'],
    ]);
    expect(() => parseCsv('a\n"open')).toThrow(/quoted/);
  });

  it('--set fills a template from the command line', async () => {
    const out = path.join(dir, 'set.pdf');
    await main(['render', 'wayfinding-sign', '--out', out, '--set', 'label=电梯', '--set', 'label.en=Lifts', '--set', 'arrow=↑'], () => {});
    expect(pdfText(out)).toBe('电梯Lifts↑');
  });
});

describe('CSV batches', () => {
  it('renders one sign per row, reports a failed row and still renders the others', async () => {
    const csv = path.join(dir, 'signs.csv');
    writeFileSync(csv, 'file,label,label.en,arrow\nexit,出口,Exit,→\nblocked,电梯,Lifts,↑\nstairs,楼梯,Stairs,↓\n');
    const outDir = path.join(dir, 'signs');
    mkdirSync(path.join(outDir, 'blocked.pdf'), { recursive: true }); // a folder where the file should go
    const logs: string[] = [];
    expect(await main(['render', 'wayfinding-sign', '--csv', csv, '--out-dir', outDir], (s) => logs.push(s))).toBe(1);
    expect(pdfText(path.join(outDir, 'exit.pdf'))).toContain('出口Exit');
    expect(pdfText(path.join(outDir, 'stairs.pdf'))).toContain('楼梯Stairs');
    expect(logs.join('\n')).toMatch(/row 3 failed/);
    expect(logs.at(-1)).toBe('2 of 3 rendered, 1 failed.');
    expect(existsSync(path.join(outDir, 'blocked.pdf'))).toBe(true);
  }, 30_000);

  it('warns in preflight when a row’s text does not fit the sign', async () => {
    const csv = path.join(dir, 'long.csv');
    writeFileSync(csv, 'label,label.en\n无障碍卫生间及母婴室,"Accessible toilets and baby care room"\n');
    const logs: string[] = [];
    await main(['render', 'wayfinding-sign', '--csv', csv, '--out-dir', path.join(dir, 'long')], (s) => logs.push(s));
    expect(logs.join('\n')).toMatch(/ERROR\s+@label: the text does not fit its frame/);
    expect(existsSync(path.join(dir, 'long', '001.pdf'))).toBe(true);
  }, 30_000);
});

describe('generated-image slots', () => {
  const images = (file: string) =>
    execFileSync('pdfimages', ['-list', file], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .slice(2)
      .map((l) => l.trim().split(/\s+/));

  it('fills the slot with an image from the bundled model, the same for the same prompt, another for another prompt', async () => {
    const logs: string[] = [];
    const a = path.join(dir, 'slot-a.pdf');
    const b = path.join(dir, 'slot-b.pdf');
    const c = path.join(dir, 'slot-c.pdf');
    expect(await main(['render', 'event-poster', '--out', a], (s) => logs.push(s))).toBe(0);
    expect(logs.join('\n')).toMatch(/generated @backdrop "blue gradient background with gold bokeh" \(2048 × 1200 px, seed \d+\)/);
    const [img] = images(a);
    expect(img?.slice(3, 5)).toEqual(['2048', '1200']);
    expect(fieldNames(template('event-poster'))).toContain('backdrop');
    await main(['render', 'event-poster', '--out', b], () => {});
    await main(['render', 'event-poster', '--set', 'backdrop=红色渐变背景，金色圆点', '--out', c], () => {});
    const pixels = (file: string) => {
      execFileSync('pdfimages', ['-png', file, path.join(dir, path.basename(file, '.pdf'))]);
      return readFileSync(path.join(dir, `${path.basename(file, '.pdf')}-000.png`));
    };
    expect(pixels(a).equals(pixels(b))).toBe(true);
    expect(pixels(a).equals(pixels(c))).toBe(false);
  }, 180_000);

  it('--no-generate keeps the placeholder and generates nothing', async () => {
    const out = path.join(dir, 'slot-none.pdf');
    const logs: string[] = [];
    expect(await main(['render', 'event-poster', '--no-generate', '--out', out], (s) => logs.push(s))).toBe(0);
    expect(logs).toContain('Preflight: 0 errors, 0 warnings');
    expect(logs.join('\n')).not.toMatch(/generated @/);
    expect(images(out)).toEqual([]);
  });
});
