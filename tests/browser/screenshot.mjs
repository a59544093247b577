// Renders docs/agency-page.png: the demo agency's page with the add form
// open. Run it inside a loopback-only network namespace, as tests/run runs
// the browser tests:
//   unshare --net sh -c 'ip link set lo up && cd tests/browser && node screenshot.mjs'

import path from 'node:path';
import { launchBrowser, projectRoot, startServer } from './harness.mjs';

const server = await startServer('sqlite');
const browser = await launchBrowser();
try {
  const printed = server.cli(['demo']);
  const password = printed.match(/password for all of them: (\S+)/)?.[1];
  if (!password) {
    throw new Error(`the demo command printed no password:\n${printed}`);
  }
  const page = await browser.context.newPage();
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto(`${server.baseUrl}/login`);
  await page.getByLabel('Email').fill('owner@demo.example');
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${server.baseUrl}/accounts/agency`);
  await page.getByRole('link', { name: 'Add Sub Accounts' }).click();
  await page.locator('#add-panel').getByLabel('Name').waitFor();
  const target = path.join(projectRoot, 'docs', 'agency-page.png');
  await page.screenshot({ path: target, fullPage: true });
  console.log(`wrote ${target}`);
} finally {
  await browser.close();
  await server.stop();
}
