// `npm start`: Azurite on loopback (data in .azurite/, telemetry off), then the app: `func start` when Azure Functions
// Core Tools are installed, else the local host (tools/LocalHost), which serves the same functions.metadata.
// `npm run azurite`: Azurite only (for `func start` or the local host run by hand, or for a debugger).
// Options: --port N (the API's port, default 7071), --no-build (run what is built), --azurite-ports B,Q,T and
// --azurite-location DIR (another Azurite than the default 10000-10002 in .azurite/, e.g. beside a running one).
// Ctrl+C (SIGINT) or SIGTERM stops every process this script started and waits until they are gone.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const azuriteOnly = args.includes('--azurite-only');
const noBuild = args.includes('--no-build');
const port = option('--port') ?? '7071';
const [blobPort, queuePort, tablePort] = (option('--azurite-ports') ?? '10000,10001,10002').split(',');
const data = resolve(option('--azurite-location') ?? join(root, '.azurite'));
const azuriteJs = join(root, 'node_modules', 'azurite', 'dist', 'src', 'azurite.js');
const functionsOutput = join(root, 'src', 'Functions', 'bin', 'Debug', 'net10.0');
const localHostDll = join(root, 'tools', 'LocalHost', 'bin', 'Debug', 'net10.0', 'ServerlessGenServer.LocalHost.dll');
const children = new Set();
let stopping = false;

process.on('SIGINT', () => stopAll(0));
process.on('SIGTERM', () => stopAll(0));

if (!existsSync(azuriteJs)) {
  console.error('Azurite is not installed. Run `npm install` in the repository root first.');
  process.exit(1);
}

mkdirSync(data, { recursive: true });
// Azurite runs in a process group of its own, so a Ctrl+C in the terminal reaches only this script and the host:
// the script stops Azurite after the host, which still writes to storage while it stops.
const azurite = start('Azurite', process.execPath, [azuriteJs, '--silent', '--disableTelemetry', '--location', data,
  '--blobHost', '127.0.0.1', '--blobPort', blobPort, '--queueHost', '127.0.0.1', '--queuePort', queuePort,
  '--tableHost', '127.0.0.1', '--tablePort', tablePort, '--skipApiVersionCheck', '--loose'], process.env, { detached: true });
console.log(`Azurite: blob 127.0.0.1:${blobPort}, queue :${queuePort}, table :${tablePort} (data in ${data})`);

// The default ports are what UseDevelopmentStorage=true (local.settings.json) means; others need explicit endpoints.
const env = { ...process.env };
if (blobPort !== '10000' || queuePort !== '10001' || tablePort !== '10002') {
  const account = 'devstoreaccount1';
  // The emulator's well-known development key: public and documented, not a secret.
  const key = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
  env.AzureWebJobsStorage = `DefaultEndpointsProtocol=http;AccountName=${account};AccountKey=${key};` +
    `BlobEndpoint=http://127.0.0.1:${blobPort}/${account};QueueEndpoint=http://127.0.0.1:${queuePort}/${account};` +
    `TableEndpoint=http://127.0.0.1:${tablePort}/${account};`;
}

if (azuriteOnly) {
  console.log('Azurite only. Stop with Ctrl+C.');
} else {
  const localFunc = join(root, 'node_modules', '.bin', process.platform === 'win32' ? 'func.cmd' : 'func');
  const func = existsSync(localFunc) ? localFunc : findOnPath('func');
  if (stopping) {
    // Stopped while Azurite started.
  } else if (func) {
    console.log(`Host: Azure Functions Core Tools (func found at ${func}).`);
    await build(join(root, 'src', 'Functions'));
    // The host runs the build output: host.json, local.settings.json and functions.metadata are all there.
    start('func', func, ['start', '--script-root', functionsOutput, '--port', port], { ...env, FUNCTIONS_WORKER_RUNTIME: 'dotnet-isolated' });
  } else {
    console.log('Host: the local host (tools/LocalHost), because Azure Functions Core Tools (func) are not on the PATH.');
    console.log('      It serves the same functions.metadata on the real Durable Task engine; function keys are not checked.');
    await build(join(root, 'tools', 'LocalHost'));
    start('local host', 'dotnet', [localHostDll, '--port', port], env);
  }

  if (!stopping) console.log(`API: http://localhost:${port}/api/health once the host says it is ready. Stop with Ctrl+C.`);
}

function option(name) {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : undefined;
}

// Asynchronous, so that Ctrl+C during the build stops it and Azurite at once.
async function build(project) {
  if (noBuild || stopping) return;
  const dotnet = spawn('dotnet', ['build', project, '-c', 'Debug', '--nologo', '-v', 'q', '-clp:ErrorsOnly;NoSummary', '-nr:false'], { stdio: 'inherit' });
  children.add(dotnet);
  const code = await new Promise(done => dotnet.on('exit', (c, signal) => done(signal ? 1 : c)));
  children.delete(dotnet);
  if (stopping) stopNext();
  if (code !== 0 && !stopping) {
    console.error(`The build of ${project} failed (${code}).`);
    stopAll(code ?? 1);
  }
}

function start(name, command, commandArgs, childEnv = process.env, options = {}) {
  if (stopping) return null;
  const child = spawn(command, commandArgs, { stdio: 'inherit', env: childEnv, ...options });
  children.add(child);
  child.on('exit', (code, signal) => {
    children.delete(child);
    if (!stopping) {
      console.error(`${name} stopped (${signal ?? code}); stopping the rest.`);
      stopAll(code ?? 1);
    } else {
      stopNext();
    }
  });
  return child;
}

// Asks every child to stop (the host and builds first, Azurite once they are gone, so the host can still write to
// storage while it stops), waits for all of them to exit (SIGKILL after 30 s), then exits.
function stopAll(code) {
  if (stopping) return;
  stopping = true;
  process.exitCode = code;
  stopNext();
  setTimeout(() => {
    for (const child of children) child.kill('SIGKILL');
  }, 30_000).unref();
}

function stopNext() {
  if (children.size === 0) process.exit(process.exitCode ?? 0);
  const others = [...children].filter(c => c !== azurite);
  for (const child of others.length > 0 ? others : [azurite]) child.kill('SIGTERM');
}

function findOnPath(name) {
  const which = spawnSync(process.platform === 'win32' ? 'where' : 'which', [name], { encoding: 'utf8' });
  return which.status === 0 ? which.stdout.split(/\r?\n/)[0].trim() : null;
}
