export * from './caret';
export * from './font';
export { layoutText } from './layout';
export * from './runs';
export * from './types';
