// `npm start`: Azurite on loopback (data in .azurite/, telemetry off), then the Functions host for src/Functions.
// `npm run azurite`: Azurite only (for `func start` run by hand, or for a debugger).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const azuriteOnly = process.argv.includes('--azurite-only');
const azuriteJs = join(root, 'node_modules', 'azurite', 'dist', 'src', 'azurite.js');
const output = join(root, 'src', 'Functions', 'bin', 'Debug', 'net10.0');
const children = [];

function stopAll(code = 0) {
  for (const child of children) child.kill('SIGINT');
  process.exit(code);
}
process.on('SIGINT', () => stopAll(0));
process.on('SIGTERM', () => stopAll(0));

if (!existsSync(azuriteJs)) {
  console.error('Azurite is not installed. Run `npm install` in the repository root first.');
  process.exit(1);
}

const data = join(root, '.azurite');
mkdirSync(data, { recursive: true });
const azurite = spawn(process.execPath, [azuriteJs, '--silent', '--disableTelemetry', '--location', data,
  '--blobHost', '127.0.0.1', '--queueHost', '127.0.0.1', '--tableHost', '127.0.0.1',
  '--skipApiVersionCheck', '--loose'], { stdio: 'inherit' });
children.push(azurite);
azurite.on('exit', code => { console.error(`Azurite stopped (${code}).`); stopAll(code ?? 1); });
console.log('Azurite: blob 127.0.0.1:10000, queue :10001, table :10002 (data in .azurite/)');

if (azuriteOnly) {
  console.log('Azurite only. Stop with Ctrl+C.');
} else {
  const build = spawnSync('dotnet', ['build', join(root, 'src', 'Functions'), '-c', 'Debug', '--nologo', '-v', 'q'], { stdio: 'inherit' });
  if (build.status !== 0) stopAll(build.status ?? 1);

  const localFunc = join(root, 'node_modules', '.bin', process.platform === 'win32' ? 'func.cmd' : 'func');
  const func = existsSync(localFunc) ? localFunc : findOnPath('func');
  if (!func) {
    console.error([
      '',
      'Azure Functions Core Tools (func) are not installed, so the Functions host cannot start.',
      'Install Core Tools v4 (https://learn.microsoft.com/azure/azure-functions/functions-run-local), for example',
      '  npm install --global azure-functions-core-tools@4',
      'then run `npm start` again. Azurite keeps running meanwhile; stop it with Ctrl+C.',
    ].join('\n'));
  } else {
    // The host runs the build output: host.json, local.settings.json and functions.metadata are all there.
    const host = spawn(func, ['start', '--script-root', output],
      { stdio: 'inherit', env: { ...process.env, FUNCTIONS_WORKER_RUNTIME: 'dotnet-isolated' } });
    children.push(host);
    host.on('exit', code => stopAll(code ?? 0));
  }
}

function findOnPath(name) {
  const which = spawnSync(process.platform === 'win32' ? 'where' : 'which', [name], { encoding: 'utf8' });
  return which.status === 0 ? which.stdout.split(/\r?\n/)[0].trim() : null;
}
