// node --test controller/src/test/js (WebViewScriptsTest runs it when node is installed)
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {RateTracker} from '../../main/resources/io/astaire/controller/ui/rates.js';

const node = (seconds, counters, name = 'sf-acl-0') =>
  ({name, lastSeen: new Date(Date.UTC(2026, 0, 1, 0, 0, seconds)).toISOString(), counters});

test('a rate needs two reports, and is the delta over the time between them', () => {
  const t = new RateTracker();
  assert.equal(t.update([node(0, {datagrams: 100})]).get('sf-acl-0'), null);
  assert.deepEqual(t.update([node(2, {datagrams: 300})]).get('sf-acl-0'), {datagrams: 100});
});

test('polling the same report again keeps its rates rather than showing 0', () => {
  const t = new RateTracker();
  t.update([node(0, {datagrams: 0})]);
  t.update([node(2, {datagrams: 50})]);
  assert.deepEqual(t.update([node(2, {datagrams: 50})]).get('sf-acl-0'), {datagrams: 25});
});

test('no traffic is 0, never NaN', () => {
  const t = new RateTracker();
  t.update([node(0, {datagrams: 7})]);
  const r = t.update([node(2, {datagrams: 7})]).get('sf-acl-0');
  assert.equal(r.datagrams, 0);
});

test('a node that restarted (counters went back) has no rate until its next report', () => {
  const t = new RateTracker();
  t.update([node(0, {datagrams: 500})]);
  assert.equal(t.update([node(2, {datagrams: 3})]).get('sf-acl-0'), null);
  assert.deepEqual(t.update([node(4, {datagrams: 13})]).get('sf-acl-0'), {datagrams: 5});
});

test('a counter that appears (a first drop reason) counts from 0', () => {
  const t = new RateTracker();
  t.update([node(0, {datagrams: 0})]);
  assert.equal(t.update([node(2, {datagrams: 0, 'dropped.function_verdict': 4})]).get('sf-acl-0')['dropped.function_verdict'], 2);
});

test('a node that is no longer listed is forgotten (a controller restart starts afresh)', () => {
  const t = new RateTracker();
  t.update([node(0, {datagrams: 0})]);
  assert.equal(t.update([]).size, 0);
  assert.equal(t.update([node(2, {datagrams: 10})]).get('sf-acl-0'), null);
});

test('a report older than the last (a clock step back) gives no rate, not a negative one', () => {
  const t = new RateTracker();
  t.update([node(4, {datagrams: 0})]);
  assert.equal(t.update([node(2, {datagrams: 10})]).get('sf-acl-0'), null);
});
