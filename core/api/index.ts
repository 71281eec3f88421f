export * from './codec';
export * from './contract';
