#!/usr/bin/env node
// One bounded autocannon run against 127.0.0.1; prints one JSON line with the figures (req/s, p50 and
// p99 in ms with two decimals, errors).
//   node load.js <url> <connections> <amount> [--bodies file.json] [--body json] [--token jwt] [--get]
// With --bodies, every request takes the next body (each one used once: replay protection stays on).
'use strict';
const fs = require('fs');
const path = require('path');
const autocannon = require(path.join(__dirname, '..', 'tools', 'node_modules', 'autocannon'));

const [url, connections, amount, ...rest] = process.argv.slice(2);
if (!url || !new URL(url).hostname.match(/^(127\.0\.0\.1|localhost)$/)) {
  console.error('usage: node load.js <http://127.0.0.1:port/path> <connections> <amount> [--bodies f] [--body json] [--token jwt]');
  process.exit(2);
}
const opt = (name) => { const i = rest.indexOf(name); return i >= 0 ? rest[i + 1] : undefined; };
const bodies = opt('--bodies') ? JSON.parse(fs.readFileSync(opt('--bodies'), 'utf8')) : null;
const headers = { 'content-type': 'application/json' };
if (opt('--token')) headers.authorization = `Bearer ${opt('--token')}`;
let next = 0;
// autocannon ends a run bounded by count on its once-a-second tick, so result.duration is rounded
// up to whole seconds; the rate is taken from our own clock: first request to last response.
const started = process.hrtime.bigint();
let lastResponse = started;

const instance = autocannon({
  url,
  method: rest.includes('--get') ? 'GET' : 'POST',
  headers,
  connections: Number(connections),
  amount: Number(amount),
  timeout: 10,
  body: bodies || rest.includes('--get') ? undefined : (opt('--body') ?? ''),
  requests: bodies ? [{ setupRequest: (req) => ({ ...req, body: bodies[next++ % bodies.length] }) }] : undefined,
}, (err, result) => {
  if (err) { console.error(err); process.exit(1); }
  console.log(JSON.stringify({
    rps: Math.round(result.requests.total / (Number(lastResponse - started) / 1e9)),
    p50: percentile(0.5),
    p99: percentile(0.99),
    errors: result.errors + result.timeouts + result.non2xx,
    total: result.requests.total,
  }));
});
// Latencies from each response's own timing (float ms): autocannon's histogram keeps whole
// milliseconds, too coarse to compare a 3.6 ms p99 with a 4 ms one.
const latencies = new Float64Array(Number(amount));
let recorded = 0;
instance.on('response', (client, statusCode, bytes, responseTime) => {
  lastResponse = process.hrtime.bigint();
  if (statusCode >= 200 && statusCode < 300 && recorded < latencies.length) latencies[recorded++] = responseTime;
});
function percentile(q) {
  if (recorded === 0) return null;
  const sorted = latencies.subarray(0, recorded).sort();
  return Math.round(sorted[Math.min(recorded - 1, Math.ceil(q * recorded) - 1)] * 100) / 100;
}
