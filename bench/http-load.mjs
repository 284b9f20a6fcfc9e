// Load over real sockets with autocannon: casts, calls and rate-limit checks against the local host (tools/LocalHost)
// on the real engine over a private Azurite, both started here on free ports and stopped at the end.
//   dotnet build -c Release tools/LocalHost && node bench/http-load.mjs [--seconds 10] [--config Release]
// Prints a Markdown table and writes bench/results/http-load.json. CPU per operation comes from /proc (Linux):
// autocannon (this process), the local host and Azurite, each phase measured until its work is done.
import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const seconds = Number(option('--seconds') ?? 10);
const config = option('--config') ?? 'Release';
const keys = 16;
const ticksPerSecond = 100; // USER_HZ on Linux

const data = mkdtempSync(join(tmpdir(), 'http-load-'));
const [blob, queue, table, port] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
const account = 'devstoreaccount1';
// The emulator's well-known development key: public and documented, not a secret.
const key = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
const storage = `DefaultEndpointsProtocol=http;AccountName=${account};AccountKey=${key};` +
  `BlobEndpoint=http://127.0.0.1:${blob}/${account};QueueEndpoint=http://127.0.0.1:${queue}/${account};` +
  `TableEndpoint=http://127.0.0.1:${table}/${account};`;

const azurite = spawn(process.execPath, [join(root, 'node_modules', 'azurite', 'dist', 'src', 'azurite.js'), '--silent',
  '--disableTelemetry', '--skipApiVersionCheck', '--loose', '--location', data, '--blobHost', '127.0.0.1', '--blobPort', blob,
  '--queueHost', '127.0.0.1', '--queuePort', queue, '--tableHost', '127.0.0.1', '--tablePort', table], { stdio: 'ignore' });
const host = spawn('dotnet', [join(root, 'tools', 'LocalHost', 'bin', config, 'net10.0', 'ServerlessGenServer.LocalHost.dll'), '--port', String(port)],
  { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, AzureWebJobsStorage: storage, TASKHUB_NAME: `load${Date.now()}` } });
const base = `http://localhost:${port}`;

try {
  await waitFor(async () => (await fetch(`${base}/api/health`)).status === 200, 120_000, 'the local host');
  // Warm-up: JIT, task hub tables, the first orchestration.
  for (let i = 0; i < keys; i++) await post(`/api/servers/counter/load${i}/cast/increment`);
  await post('/api/servers/counter/load0/call/value');
  await waitFor(async () => (await totals()) === keys, 60_000, 'the warm-up casts');

  const results = [];
  let n = 0;
  results.push(await phase('cast', 16, () => `/api/servers/counter/load${n++ % keys}/cast/increment`, async accepted => {
    // A cast is done when the entity applied it: every 202 must show up in the counters.
    let last = 0;
    await waitFor(async () => (last = await totals()) >= keys + accepted, 300_000, `${accepted} casts applied (last seen ${keys} + ${accepted})`)
      .catch(e => { throw new Error(`${e.message}: counters hold ${last}`); });
    const applied = (await totals()) - keys;
    console.log(`casts: ${accepted} accepted, ${applied} applied${applied === accepted ? ' (exact)' : ''}`);
  }));
  results.push(await phase('call', 8, () => `/api/servers/counter/load${n++ % keys}/call/value`));
  results.push(await phase('ratelimit check', 16, () => `/api/ratelimit/user-${n++ % 1000}`));

  console.log(`\nautocannon ${seconds} s per phase, local host (${config}) on port ${port}, Azurite on disk\n`);
  console.log('| Phase | Connections | Requests | Req/s | p50 ms | p99 ms | Status codes | CPU ms/op autocannon | CPU ms/op local host | CPU ms/op Azurite |');
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const r of results) {
    console.log(`| ${r.name} | ${r.connections} | ${r.requests} | ${r.rps.toFixed(0)} | ${r.p50} | ${r.p99} | ${r.statuses} | ` +
      `${r.cpu.self.toFixed(2)} | ${r.cpu.host.toFixed(2)} | ${r.cpu.azurite.toFixed(2)} |`);
  }

  mkdirSync(join(root, 'bench', 'results'), { recursive: true });
  writeFileSync(join(root, 'bench', 'results', 'http-load.json'), JSON.stringify({ seconds, config, results }, null, 2));
} finally {
  await stop(host);
  await stop(azurite);
  rmSync(data, { recursive: true, force: true });
}

async function phase(name, connections, nextPath, settle) {
  const before = cpu();
  const result = await autocannon({
    url: base, connections, duration: seconds, method: 'POST',
    requests: [{ method: 'POST', setupRequest: request => ({ ...request, path: nextPath() }) }],
  });
  const codes = Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, s]) => [code, s.count]));
  if (settle) await settle(codes['202'] ?? 0);
  const after = cpu();
  const ops = result.requests.total;
  const perOp = k => ((after[k] - before[k]) * 1000 / ticksPerSecond) / ops;
  return {
    name, connections, requests: ops, rps: ops / seconds, p50: result.latency.p50, p99: result.latency.p99,
    statuses: Object.entries(codes).map(([c, k]) => `${c}: ${k}`).join(', ') + (result.errors ? `, errors: ${result.errors}` : ''),
    cpu: { self: perOp('self'), host: perOp('host'), azurite: perOp('azurite') },
  };
}

// utime + stime in clock ticks, of this process, the local host and Azurite.
function cpu() {
  const ticks = pid => {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return Number(fields[11]) + Number(fields[12]);
  };
  return { self: ticks(process.pid), host: ticks(host.pid), azurite: ticks(azurite.pid) };
}

async function totals() {
  let sum = 0;
  for (let i = 0; i < keys; i++) {
    const response = await fetch(`${base}/api/servers/counter/load${i}`);
    if (response.status === 200) sum += (await response.json()).state.value;
  }
  return sum;
}

async function post(path) {
  const response = await fetch(base + path, { method: 'POST' });
  await response.arrayBuffer();
  return response.status;
}

async function waitFor(probe, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try { if (await probe()) return; } catch { /* not up yet */ }
    await new Promise(r => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function stop(child) {
  return new Promise(resolve => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('exit', () => { clearTimeout(timer); resolve(); });
    child.kill('SIGTERM');
  });
}

function freePort() {
  return new Promise(resolve => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(String(port)));
    });
  });
}

function option(name) {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : undefined;
}
