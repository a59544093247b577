// Collects every page and htmx fragment the server sends to the browser tests
// and validates them with the Nu Html Checker (vnu) in one run per test file,
// because each start of the checker's JVM takes seconds.
//
// Fragments are not documents, so each one is wrapped in a minimal document
// before validation; a fragment that starts with <tr> goes inside
// <table><tbody>, where htmx also parses it.

import { execFile } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { artifactsDir, browserTestsDir } from './paths.mjs';

export const vnuJar = path.join(browserTestsDir, 'node_modules', 'vnu-jar', 'build', 'dist', 'vnu.jar');

const runFile = promisify(execFile);

/** Bodies collected in this process: { label, html, fragment }, in the order received. */
const collected = [];
/** Reads of response bodies still running, awaited before validation. */
const pendingReads = new Set();
/** Responses whose body could not be read, so they would go unchecked. */
const unreadable = [];

/**
 * Records the body of every HTML document loaded in `page` and of every
 * htmx response (requests with the HX-Request header). `testName` labels
 * the saved files.
 */
export function collectHtml(page, testName) {
  page.on('response', (response) => {
    const request = response.request();
    const fragment = request.headers()['hx-request'] === 'true';
    const document = request.resourceType() === 'document' && request.frame() === page.mainFrame();
    const status = response.status();
    if (!(fragment || document) || (status >= 300 && status < 400)) {
      return;
    }
    if (!(response.headers()['content-type'] ?? '').startsWith('text/html')) {
      return;
    }
    const url = new URL(response.url());
    const label = `${testName} ${request.method()} ${url.pathname}${url.search} ${status}${fragment ? ' fragment' : ''}`;
    const read = response.text()
      .then((html) => { collected.push({ label, html, fragment }); })
      .catch((error) => { unreadable.push(`${label}: ${error.message}`); })
      .finally(() => pendingReads.delete(read));
    pendingReads.add(read);
  });
}

function fileOf(message) {
  return message.url ? decodeURIComponent(new URL(message.url).pathname) : '(no file)';
}

/** Wraps an htmx fragment in the smallest valid document that can hold it. */
export function wrapFragment(html) {
  const body = /^\s*<tr[\s>]/i.test(html) ? `<table><tbody>${html}</tbody></table>` : html;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>htmx fragment</title></head><body>${body}</body></html>`;
}

/**
 * Writes the collected bodies under test-artifacts/browser/html/`batchName`,
 * runs vnu on them once and returns its errors, and its warnings on whole
 * pages, as lines that name the saved file, the position and the source.
 */
export async function validateCollectedHtml(batchName) {
  await Promise.all([...pendingReads]);
  if (unreadable.length > 0) {
    throw new Error(`response bodies could not be read for validation:\n${unreadable.join('\n')}`);
  }
  if (collected.length === 0) {
    throw new Error('no page or fragment was collected for validation');
  }

  const folder = path.join(artifactsDir, 'html', batchName);
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(folder, { recursive: true });
  // Saved file → { label, fragment }; identical bodies are checked once.
  const saved = new Map();
  const seen = new Set();
  collected.forEach(({ label, html, fragment }, index) => {
    const document = fragment ? wrapFragment(html) : html;
    if (seen.has(document)) {
      return;
    }
    seen.add(document);
    const file = path.join(folder, `${String(index).padStart(3, '0')}-${label.replace(/[^a-z0-9-]+/gi, '-').slice(0, 80)}.html`);
    writeFileSync(file, document);
    saved.set(file, { label, fragment });
  });

  let report;
  try {
    const { stdout } = await runFile('java', ['-jar', vnuJar, '--format', 'json', '--stdout', '--no-langdetect', ...saved.keys()], { maxBuffer: 64 * 1024 * 1024 });
    report = stdout;
  } catch (error) {
    // vnu exits with 1 when it reports errors; its report is read below.
    if (error.code !== 1 || !error.stdout) {
      throw new Error(`vnu failed to run (exit ${error.code}): ${error.stderr || error.message}`);
    }
    report = error.stdout;
  }

  const { messages } = JSON.parse(report);
  const failures = [];
  for (const message of messages) {
    const file = message.url ? decodeURIComponent(new URL(message.url).pathname) : '(no file)';
    const source = saved.get(file);
    const error = message.type === 'error' || message.type === 'non-document-error';
    // A wrapped fragment has no <h1>, which vnu warns about, so warnings
    // count on whole pages only.
    const pageWarning = message.subType === 'warning' && source && !source.fragment;
    if (!error && !pageWarning) {
      continue;
    }
    const where = message.lastLine ? `:${message.lastLine}:${message.firstColumn ?? message.lastColumn}` : '';
    const extract = message.extract ? `\n    ${message.extract.replaceAll('\n', ' ').trim()}` : '';
    failures.push(`${source?.label ?? file}\n  ${file}${where}: ${error ? 'error' : 'warning'}: ${message.message}${extract}`);
  }
  return failures;
}
