// madge ships no types; the part check-imports.ts uses.
declare module 'madge' {
  interface MadgeResult {
    obj(): Record<string, string[]>;
    circular(): string[][];
  }
  function madge(path: string | string[], config?: Record<string, unknown>): Promise<MadgeResult>;
  export default madge;
}
