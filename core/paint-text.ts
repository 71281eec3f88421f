// The words a user asks the model to paint, and how they enter the prompt. Qwen-Image renders
// text that the prompt quotes ("a red banner with the text "春节快乐""), so the engine appends the
// words in quotes unless the prompt already quotes them.

/** Longest text-to-paint the API accepts (characters). */
export const MAX_PAINT_TEXT = 200;

const QUOTES: [string, string][] = [
  ['"', '"'],
  ['“', '”'],
  ['「', '」'],
];

/** The prompt the text encoder sees for `prompt` with `paintText` to be rendered in the image. */
export function promptWithText(prompt: string, paintText: string | undefined): string {
  const words = paintText?.trim();
  if (!words) return prompt;
  if (QUOTES.some(([open, close]) => prompt.includes(`${open}${words}${close}`))) return prompt;
  const base = prompt.trim().replace(/[\s,，.。;；]+$/u, '');
  // Straight quotes inside the words would end the quotation early: use the CJK pair instead.
  const quoted = words.includes('"') ? `“${words}”` : `"${words}"`;
  return `${base}, with the text ${quoted}`;
}
