// Typed ids ("el:3f9a…") so a page id can never be passed where an element id is expected.
export type PageId = `page:${string}`;
export type ElementId = `el:${string}`;
/** One entry of the project's generation history. */
export type GenerationId = `gen:${string}`;

function randomPart(): string {
  const bytes = new Uint8Array(9);
  // Web Crypto exists in browsers, Node and Electron alike.
  (globalThis as unknown as { crypto: { getRandomValues(a: Uint8Array): Uint8Array } }).crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export const newPageId = (): PageId => `page:${randomPart()}`;
export const newElementId = (): ElementId => `el:${randomPart()}`;
export const newGenerationId = (): GenerationId => `gen:${randomPart()}`;
export const newSessionId = (): string => randomPart();
