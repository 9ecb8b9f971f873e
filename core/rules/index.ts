export * from './aggregate.ts';
export * from './rules-config.ts';
export * from './summary.ts';
