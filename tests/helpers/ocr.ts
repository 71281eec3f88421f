// The app's offline OCR and text comparison, as the tests use them.
export { charAccuracy, normaliseOcr } from '../../core/text-diff';
export { type OcrLine, type ReadTextOptions, readText } from '../../electron/engine/text-check/ocr';
