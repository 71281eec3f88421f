// Stage 3: where a line may break. Unicode UAX #14 (css-line-break) gives the opportunities;
// clreq kinsoku at the chosen level, Chinese quotation marks, doubled dashes and ellipses, and
// numbers with their units refine them.
import { LineBreaker } from 'css-line-break';
import { isCjk, isDigit, isHanUnit, isInseparablePair, isLatinUnit, isSpace, kinsoku } from './chars';
import type { KinsokuLevel } from './types';

/**
 * Returns, for each UTF-16 offset in `text`, whether a line may break before it (offset 0 and
 * text.length are never breaks here).
 */
export function breakOpportunities(text: string, level: KinsokuLevel): boolean[] {
  const allowed = new Array<boolean>(text.length + 1).fill(false);
  const breaker = LineBreaker(text, { lineBreak: level === 'strict' ? 'strict' : 'normal', wordBreak: 'normal' });
  let pos = 0;
  for (let r = breaker.next(); !r.done; r = breaker.next()) {
    pos += r.value.slice().length;
    if (pos < text.length) allowed[pos] = true;
  }
  // Code points with their UTF-16 offsets.
  const cps: { cp: number; at: number }[] = [];
  for (let i = 0; i < text.length; ) {
    const cp = text.codePointAt(i) as number;
    cps.push({ cp, at: i });
    i += cp > 0xffff ? 2 : 1;
  }
  const rules = kinsoku(level);
  for (let k = 1; k < cps.length; k++) {
    const prev = cps[k - 1] as { cp: number; at: number };
    const cur = cps[k] as { cp: number; at: number };
    const at = cur.at;
    const cjkContext = isCjk(prev.cp) || isCjk(cur.cp);
    // Level none: any two CJK characters may be split.
    if (level === 'none' && isCjk(prev.cp) && isCjk(cur.cp)) allowed[at] = true;
    // Curly quotes beside Chinese open and close like brackets (UAX #14 keeps them glued).
    if (cjkContext) {
      if ((cur.cp === 0x201c || cur.cp === 0x2018) && !isSpace(prev.cp)) allowed[at] = true;
      if ((prev.cp === 0x201d || prev.cp === 0x2019) && !isSpace(cur.cp)) allowed[at] = true;
    }
    if (level !== 'none') {
      if (rules.noStart(cur.cp) || rules.noEnd(prev.cp)) allowed[at] = false;
      if (prev.cp === 0x201c || prev.cp === 0x2018) allowed[at] = false;
      if (cur.cp === 0x201d || cur.cp === 0x2019) allowed[at] = false;
    }
    if (isInseparablePair(prev.cp, cur.cp)) allowed[at] = false;
    // Numbers keep their units: "100元", "30%", "5 kg".
    if (isDigit(prev.cp) && isHanUnit(cur.cp)) allowed[at] = false;
  }
  // "100 元": a space between a number and a Han unit does not break either.
  const hanUnit = /(\d) ([元角分年月日时秒个件米克吨斤两升号层楼岁次位名人折倍度万亿千百])/g;
  for (let m = hanUnit.exec(text); m; m = hanUnit.exec(text)) {
    allowed[m.index + 1] = false;
    allowed[m.index + 2] = false;
  }
  // "5 kg": no break at the space between a number and a unit word.
  const re = /(\d)( )([A-Za-z%‰℃℉]+)(?![A-Za-z])/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (isLatinUnit(m[3] as string)) {
      const spaceAt = m.index + 1;
      allowed[spaceAt] = false;
      allowed[spaceAt + 1] = false;
    }
  }
  allowed[0] = false;
  allowed[text.length] = false;
  return allowed;
}
