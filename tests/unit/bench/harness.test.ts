import { strict as assert } from 'node:assert';
import { spreadOf } from '../../../bench/harness.js';

describe('bench/harness spreadOf', () => {
  it('gives the median, quartiles (linear interpolation) and range of unsorted samples', () => {
    assert.deepEqual(spreadOf([5, 1, 4, 2, 3]), { median: 3, p25: 2, p75: 4, min: 1, max: 5, n: 5 });
    const s = spreadOf([0.9, 0.7, 0.8, 1.0]);
    assert.ok(Math.abs(s.median - 0.85) < 1e-12 && Math.abs(s.p25 - 0.775) < 1e-12 && Math.abs(s.p75 - 0.925) < 1e-12);
  });
});
