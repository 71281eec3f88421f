export * from './commands';
export * from './factory';
export * from './geometry';
export * from './history';
export * from './operations';
export * from './schema';
export * from './validate';
