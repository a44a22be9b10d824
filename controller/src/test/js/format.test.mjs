import {test} from 'node:test';
import assert from 'node:assert/strict';
import {formatRate, formatBytes} from '../../main/resources/io/astaire/controller/ui/panel.js';

test('rates: 0 is 0, unknown is a dash, never NaN', () => {
  assert.equal(formatRate(0), '0');
  assert.equal(formatRate(null), '–');
  assert.equal(formatRate(NaN), '–');
  assert.equal(formatRate(Infinity), '–');
  assert.equal(formatRate(2.25), '2.3');
  assert.equal(formatRate(1284.6), '1,285');
});

test('bytes per second in SI units', () => {
  assert.equal(formatBytes(null), null);
  assert.equal(formatBytes(999), '999 B/s');
  assert.equal(formatBytes(2_500_000), '2.5 MB/s');
});
