import { describe, expect, it } from 'vitest';
import { fuzz } from '../../scripts/fuzz/entra-directory.ts';

describe('users delta and group member pages under fuzzing', () => {
  it('refuses or maps 1 000 mutated pages without crashing or emitting an invalid person', () => {
    expect(fuzz(1000, 11).cases).toBe(1000);
  });
});
