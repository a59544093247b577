// Starts the dashboard and Chromium for the browser tests, and saves a
// screenshot and the page's HTML when a test fails.
//
// The tests expect to run inside a network namespace that has only loopback
// (tests/run arranges it), so PostgreSQL is reached through its Unix socket.

import { spawn, execFileSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { axePath, trackViews, uncheckedViews } from './accessibility.mjs';
import { collectHtml, vnuJar } from './html-validity.mjs';
import { artifactsDir, browserTestsDir, projectRoot } from './paths.mjs';

export { artifactsDir, projectRoot };

const binary = process.env.SUBACCOUNTS_BIN ?? path.join(projectRoot, 'target', 'debug', 'subaccounts');
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const postgresSocketDir = process.env.POSTGRES_SOCKET_DIR ?? '/var/run/postgresql';

/** The databases to run each browser test on, from BROWSER_BACKENDS (default: both). */
export const backends = (process.env.BROWSER_BACKENDS ?? 'sqlite,postgres').split(',').filter(Boolean);

function isExecutable(file) {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(command) {
  return (process.env.PATH ?? '').split(path.delimiter).some((folder) => folder && isExecutable(path.join(folder, command)));
}

function isReadable(file) {
  try {
    accessSync(file, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Lists what the browser tests need but cannot find. A missing tool fails
 * every test file at import, with or without CI=true, so nothing is skipped.
 */
function missingTools() {
  const missing = [];
  if (!isExecutable(chromiumPath)) {
    missing.push(`Chromium at ${chromiumPath} (Debian package chromium, or set CHROMIUM_PATH)`);
  }
  if (!onPath('java')) {
    missing.push('java on PATH, which runs the Nu Html Checker (Debian package default-jre-headless)');
  }
  if (backends.includes('postgres') && !onPath('psql')) {
    missing.push('psql on PATH, which creates the PostgreSQL test databases (Debian package postgresql-client)');
  }
  const packages = [
    ['playwright-core', path.join(browserTestsDir, 'node_modules', 'playwright-core', 'package.json')],
    ['axe-core', axePath],
    ['vnu-jar', vnuJar],
  ];
  for (const [name, file] of packages) {
    if (!isReadable(file)) {
      missing.push(`the npm package ${name} (${file}); run 'npm ci --ignore-scripts' in tests/browser`);
    }
  }
  if (!isExecutable(binary)) {
    missing.push(`the dashboard binary ${binary}; run 'cargo build' first (or set SUBACCOUNTS_BIN)`);
  }
  return missing;
}

const missing = missingTools();
if (missing.length > 0) {
  throw new Error(`The browser tests cannot run because these are missing:\n- ${missing.join('\n- ')}\nAs root on Debian, 'bash .ci/install' installs them.`);
}
// Imported only after the check, so a missing package is named above
// instead of failing with a bare module-not-found error.
const { chromium } = await import('playwright-core');

function createPostgresDatabase() {
  const name = `subaccounts_browser_${process.pid}_${Date.now()}`;
  execFileSync('psql', ['-h', postgresSocketDir, '-U', 'postgres', '-d', 'postgres', '-v', 'ON_ERROR_STOP=1', '-qc', `CREATE DATABASE ${name}`]);
  return {
    url: `postgres://postgres@/${name}?host=${encodeURIComponent(postgresSocketDir)}`,
    drop() {
      execFileSync('psql', ['-h', postgresSocketDir, '-U', 'postgres', '-d', 'postgres', '-qc', `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`]);
    },
  };
}

/**
 * Starts the server on a random port with an empty database of `backend` and
 * resolves once it prints its first-run setup link.
 */
export async function startServer(backend) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'subaccounts-browser-'));
  const database = backend === 'postgres'
    ? createPostgresDatabase()
    : { url: path.join(dataDir, 'dashboard.sqlite3'), drop() {} };
  const env = {
    PATH: process.env.PATH,
    DATABASE_URL: database.url,
    SUBACCOUNTS_ADDRESS: '127.0.0.1:0',
    SUBACCOUNTS_DATA_DIR: dataDir,
    SUBACCOUNTS_BCRYPT_COST: '4',
    SUBACCOUNTS_LOG: 'warn',
  };
  const child = spawn(binary, ['serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => { stderr += chunk; });
  const setupLink = await new Promise((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => reject(new Error(`the server printed no setup link in 20 s:\n${stdout}\n${stderr}`)), 20_000);
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      const match = stdout.match(/http:\/\/127\.0\.0\.1:\d+\/setup\/\S+/);
      if (match) {
        clearTimeout(timer);
        resolve(match[0]);
      }
    });
    child.on('exit', (code) => reject(new Error(`the server exited with ${code}:\n${stderr}`)));
  });
  const baseUrl = new URL(setupLink).origin;
  return {
    backend,
    baseUrl,
    setupLink,
    /** Runs a command of the same binary on the same database, with `input` on standard input. */
    cli(args, input = '') {
      return execFileSync(binary, args, { env, input, encoding: 'utf8' });
    },
    async stop() {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
      database.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Launches Debian's Chromium headless with a fresh profile. */
export async function launchBrowser() {
  const profile = mkdtempSync(path.join(tmpdir(), 'subaccounts-chromium-'));
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
  return {
    context: browser,
    async close() {
      await browser.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Saves a screenshot and the HTML of `page` under test-artifacts/browser and returns their paths. */
export async function saveArtifacts(page, name) {
  mkdirSync(artifactsDir, { recursive: true });
  const base = path.join(artifactsDir, name.replace(/[^a-z0-9-]+/gi, '-'));
  await page.screenshot({ path: `${base}.png`, fullPage: true }).catch(() => {});
  writeFileSync(`${base}.html`, await page.content().catch(() => ''));
  return [`${base}.png`, `${base}.html`];
}

/**
 * Runs `body(page, errors)` in a new page and, when it throws, saves the
 * page's screenshot and HTML and names them in the error. `errors` collects
 * script errors and failed loads, except responses with a status in
 * `expectedStatuses` (by default the 409 and 422 of rejected forms).
 *
 * Every page and htmx fragment the page receives is kept for the HTML
 * validation at the end of the test file, and the test fails when a page
 * load or an htmx response was not followed by `checkAccessibility`.
 */
export async function withPage(context, name, body, expectedStatuses = [409, 422]) {
  const page = await context.newPage();
  collectHtml(page, name);
  trackViews(page);
  const errors = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    // Chromium logs every 4xx response as an error, expected ones included.
    const status = Number(message.text().match(/status of (\d{3}) /)?.[1]);
    if (message.type() === 'error' && !expectedStatuses.includes(status)) {
      errors.push(message.text());
    }
  });
  try {
    await body(page, errors);
    const unchecked = uncheckedViews(page);
    if (unchecked.length > 0) {
      throw new Error(`no axe run followed these page loads and htmx responses:\n${unchecked.join('\n')}`);
    }
  } catch (error) {
    const saved = await saveArtifacts(page, name);
    error.message += `\nScreenshot and HTML of the page: ${saved.join(', ')}`;
    throw error;
  } finally {
    await page.close();
  }
}

/** Returns the page's figures by their data-stat name, commas removed. */
export async function figures(page) {
  return page.$$eval('[data-stat]', (elements) => Object.fromEntries(
    elements.map((element) => [element.dataset.stat, element.textContent.trim().replaceAll(',', '')]),
  ));
}
