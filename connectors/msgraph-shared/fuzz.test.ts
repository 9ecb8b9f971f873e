import { describe, expect, it } from 'vitest';
import { fuzz } from '../../scripts/fuzz/graph.ts';

describe('Graph JSON parsing under fuzzing', () => {
  it('refuses or accepts 2 000 mutated Graph payloads without crashing', () => {
    expect(fuzz(2000, 7).cases).toBe(2000);
  });
});
