export * from './availability.ts';
export * from './signal.ts';
export * from './register.ts';
export * from './presence.ts';
export * from './person.ts';
export * from "./duration.ts";
