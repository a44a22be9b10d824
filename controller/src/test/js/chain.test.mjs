import {test} from 'node:test';
import assert from 'node:assert/strict';
import {chainView, traceStepsOf} from '../../main/resources/io/astaire/controller/ui/chain.js';

const topology = {
  functions: [{name: 'acl', kind: 'acl', address: '10.99.0.11:4790', replicas: 2}, {name: 'count', kind: 'counter', address: 'c:4790'}],
  chains: [{name: 'demo', spi: 10, symmetric: true, functions: ['acl', 'count']}],
  ingress: {address: '10.99.0.1:4790'}, egress: {address: '10.99.0.2:4790'},
};
const nodes = [
  {name: 'ingress@vm', role: 'ingress', appliedVersion: 3, counters: {'ingress.sent': 10, 'ingress.delivered': 30, 'ingress.drop_no_match': 4}, stale: false},
  {name: 'sf-acl-0', role: 'sf', functions: ['acl'], appliedVersion: 3,
    counters: {datagrams: 40, 'path.10.packets': 15, 'path.8388618.packets': 25, 'dropped.function_verdict': 2, 'dropped.ttl_expired': 0}},
  {name: 'sf-acl-1', role: 'sf', functions: ['acl'], appliedVersion: 2, counters: {datagrams: 0}, stale: true},
  {name: 'egress@vm', role: 'egress', appliedVersion: 3, counters: {'egress.delivered': 9, 'egress.sent': 31}},
];

test('hops in path order, each function with the nodes serving it', () => {
  const view = chainView(topology, 'demo', nodes, new Map(), 3);
  assert.deepEqual(view.hops.map(h => h.id), ['ingress', 'acl', 'count', 'egress']);
  assert.deepEqual(view.hops[1].nodes.map(n => n.name), ['sf-acl-0', 'sf-acl-1']);
  assert.equal(view.hops[1].replicas, 2);
  assert.deepEqual(view.hops[2].nodes, []);
  assert.equal(view.reverseSpi, 8388618);
});

test('packets by direction at the edges and, by SPI, at a function node; drops by reason, zeros left out', () => {
  const rates = new Map([['ingress@vm', {'ingress.sent': 5, 'ingress.delivered': 15}],
    ['sf-acl-0', {datagrams: 20, 'path.10.packets': 8, 'path.8388618.packets': 12, 'dropped.function_verdict': 1}]]);
  const [ingress, acl] = chainView(topology, 'demo', nodes, rates, 3).hops;
  const i = ingress.nodes[0];
  assert.deepEqual([i.forward, i.reverse, i.all, i.ppsForward, i.ppsReverse, i.ppsAll], [10, 30, 40, 5, 15, 20]);
  assert.deepEqual(i.drops, {no_match: 4});
  const a = acl.nodes[0];
  assert.deepEqual([a.forward, a.reverse, a.all, a.ppsForward, a.ppsReverse, a.ppsAll], [15, 25, 40, 8, 12, 20],
      'a function node: its directions are the chain\'s two SPIs, all is every datagram');
  const old = chainView(topology, 'demo', nodes, rates, 3).hops[1].nodes[1]; // reports no path counters
  assert.deepEqual([old.forward, old.reverse, old.ppsForward], [null, null, null]);
  assert.deepEqual(a.drops, {function_verdict: 2});
  assert.deepEqual(a.dropRates, {function_verdict: 1});
  assert.equal(a.bytesPerSecond, null, 'no bytes counter in these reports');
  assert.equal(a.latencyMicros, null, 'nor a latency one');
});

test('bytes/s from every bytes counter, hop latency as the ratio of the time and packet rates', () => {
  const rates = new Map([['ingress@vm', {'ingress.sent_bytes': 1000, 'ingress.delivered_bytes': 500}],
    ['sf-acl-0', {bytes: 2000, 'latency.count': 100, 'latency.sum_ns': 1_234_000}]]);
  const [ingress, acl] = chainView(topology, 'demo', nodes, rates, 3).hops;
  assert.equal(ingress.nodes[0].bytesPerSecond, 1500);
  assert.equal(ingress.nodes[0].latencyMicros, null, 'an edge does not measure it');
  assert.equal(acl.nodes[0].bytesPerSecond, 2000);
  assert.equal(acl.nodes[0].latencyMicros, 12.3);
  const idle = chainView(topology, 'demo', nodes, new Map([['sf-acl-0', {'latency.count': 0, 'latency.sum_ns': 0}]]), 3).hops[1];
  assert.equal(idle.nodes[0].latencyMicros, null, 'no packets: no latency, not NaN');
});

test('a node behind the controller, a stale one, one not measured yet', () => {
  const acl = chainView(topology, 'demo', nodes, new Map(), 3).hops[1];
  assert.equal(acl.nodes[0].behind, false);
  assert.equal(acl.nodes[1].behind, true);
  assert.equal(acl.nodes[1].stale, true);
  assert.equal(acl.nodes[0].measured, false);
  assert.equal(acl.nodes[0].ppsAll, null);
});

test('an unknown chain gives no view', () => {
  assert.equal(chainView(topology, 'nope', nodes, new Map(), 3), null);
});

test('trace hops land on the graph hop by role, and by function at function nodes', () => {
  const view = chainView(topology, 'demo', nodes, new Map(), 3);
  const trace = [
    {role: 'ingress', functions: [], direction: 'forward', verdict: 'classified'},
    {role: 'sf', functions: ['acl'], direction: 'forward', verdict: 'dropped'},
  ];
  assert.deepEqual(traceStepsOf(view.hops[0], trace).map(s => s.index), [1]);
  assert.deepEqual(traceStepsOf(view.hops[1], trace).map(s => s.hop.verdict), ['dropped']);
  assert.deepEqual(traceStepsOf(view.hops[2], trace), []);
  assert.deepEqual(traceStepsOf(view.hops[3], trace), []);
});
