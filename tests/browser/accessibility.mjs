// Accessibility checks for the browser tests: axe-core on the live page, a
// record of the pages and htmx swaps not yet checked, keyboard navigation
// and the visible focus.
//
// axe is evaluated through the DevTools protocol, which the page's
// Content-Security-Policy does not govern, so the product's CSP stays in
// force during every test and a violation still shows up as a console error.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { browserTestsDir } from './paths.mjs';

export const axePath = path.join(browserTestsDir, 'node_modules', 'axe-core', 'axe.min.js');

let axeSource = null;

/**
 * Per page, the views that no axe run followed: `missed` were replaced by a
 * later view before any check, `pending` are the views since the last check.
 */
const views = new WeakMap();

/**
 * Starts recording every main-frame page load and every htmx response in
 * `page`, so that `uncheckedViews` can name those no axe run followed.
 */
export function trackViews(page) {
  const record = { missed: [], pending: [] };
  views.set(page, record);
  const add = (view) => {
    record.missed.push(...record.pending);
    record.pending = [view];
  };
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame() && frame.url().startsWith('http')) {
      add(`page ${new URL(frame.url()).pathname}`);
    }
  });
  page.on('response', (response) => {
    const request = response.request();
    if (request.headers()['hx-request'] === 'true') {
      add(`htmx ${request.method()} ${new URL(response.url()).pathname} (${response.status()})`);
    }
  });
}

/** Returns the page loads and htmx responses of `page` that no axe run followed. */
export function uncheckedViews(page) {
  const record = views.get(page);
  return record ? [...record.missed, ...record.pending] : [];
}

function describeViolations(violations) {
  return violations.map((violation) => {
    const nodes = violation.nodes.map((node) => `    ${node.target.join(' ')}: ${node.failureSummary.replaceAll('\n', ' ')}\n      ${node.html}`);
    return `  ${violation.id} (${violation.impact}): ${violation.help}\n${nodes.join('\n')}`;
  }).join('\n');
}

/**
 * Runs axe-core on the whole document of `page` and throws when it reports
 * any violation; `label` names the state of the page in the message.
 */
export async function checkAccessibility(page, label) {
  axeSource ??= readFileSync(axePath, 'utf8');
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) {
    await page.evaluate(axeSource);
  }
  const violations = await page.evaluate(async () => {
    const results = await window.axe.run(document, { resultTypes: ['violations'] });
    return results.violations.map(({ id, impact, help, nodes }) => ({
      id,
      impact,
      help,
      nodes: nodes.map(({ target, html, failureSummary }) => ({ target, html, failureSummary })),
    }));
  });
  const record = views.get(page);
  if (record) {
    record.pending = [];
  }
  if (violations.length > 0) {
    throw new Error(`axe found ${violations.length} accessibility violation(s) on ${new URL(page.url()).pathname} (${label}):\n${describeViolations(violations)}`);
  }
}

/**
 * Returns the focused element of `page` as { description, matches,
 * focusVisible, outlineStyle, outlineWidth, outlineContrast }, or null when
 * nothing but the body has focus. `matches` is true when it matches
 * `selector`, and `outlineContrast` is the contrast ratio of its outline
 * colour with the nearest background behind it, as WCAG 2.2 defines it.
 */
export async function focusedElement(page, selector) {
  return page.evaluate((wanted) => {
    const element = document.activeElement;
    if (!element || element === document.body) {
      return null;
    }
    const channels = (color) => (color.match(/[\d.]+/g) ?? []).map(Number);
    const luminance = (color) => {
      const [r, g, b] = channels(color).slice(0, 3).map((value) => {
        const c = value / 255;
        return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
      });
      return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    let background = 'rgb(255, 255, 255)';
    for (let ancestor = element.parentElement; ancestor; ancestor = ancestor.parentElement) {
      const color = getComputedStyle(ancestor).backgroundColor;
      const alpha = channels(color)[3] ?? 1;
      if (alpha > 0) {
        background = color;
        break;
      }
    }
    const style = getComputedStyle(element);
    const [lighter, darker] = [luminance(style.outlineColor), luminance(background)].sort((a, b) => b - a);
    const name = (element.getAttribute('aria-label') || element.textContent || '').trim().replace(/\s+/g, ' ').slice(0, 60);
    return {
      description: `<${element.tagName.toLowerCase()}${element.id ? ` id="${element.id}"` : ''}${element.name ? ` name="${element.name}"` : ''}> ${name}`,
      matches: element.matches(wanted),
      focusVisible: element.matches(':focus-visible'),
      outlineStyle: style.outlineStyle,
      outlineWidth: Number.parseFloat(style.outlineWidth),
      outlineContrast: (lighter + 0.05) / (darker + 0.05),
    };
  }, selector);
}

/**
 * Asserts that the element matching `selector` has focus and shows it: it
 * matches :focus-visible and has an outline at least 2 px wide with a
 * contrast of at least 3:1. `context` names the step in the messages.
 */
export async function expectFocus(page, selector, context) {
  const focus = await focusedElement(page, selector);
  assert.ok(focus, `${context}: nothing has focus, but ${selector} should`);
  assert.ok(focus.matches, `${context}: focus is on ${focus.description}, not on ${selector}`);
  assert.ok(focus.focusVisible, `${context}: ${focus.description} has focus but does not match :focus-visible`);
  assert.notEqual(focus.outlineStyle, 'none', `${context}: ${focus.description} shows no focus outline`);
  assert.ok(focus.outlineWidth >= 2, `${context}: the focus outline of ${focus.description} is ${focus.outlineWidth}px wide, expected at least 2px`);
  assert.ok(focus.outlineContrast >= 3, `${context}: the focus outline of ${focus.description} has a contrast of ${focus.outlineContrast.toFixed(2)}:1, expected at least 3:1`);
}

/**
 * Presses Tab (Shift+Tab when `backwards`) until the element matching
 * `selector` has focus, and throws after `maxPresses` presses with the
 * elements focused on the way.
 */
export async function tabTo(page, selector, { backwards = false, maxPresses = 40 } = {}) {
  const path = [];
  for (let press = 0; press < maxPresses; press += 1) {
    await page.keyboard.press(backwards ? 'Shift+Tab' : 'Tab');
    const focus = await focusedElement(page, selector);
    if (focus?.matches) {
      return;
    }
    path.push(focus?.description ?? '(body)');
  }
  throw new Error(`${maxPresses} presses of ${backwards ? 'Shift+Tab' : 'Tab'} did not reach ${selector}; focus went through:\n${path.join('\n')}`);
}
