export * from './aggregate.ts';
export * from './rules-config.ts';
