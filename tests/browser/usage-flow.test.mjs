// A script reports usage the way an automation engine would, through
// POST /api/v1/usage with the member's API key. Meanwhile the owner and the
// member watch the figures, the usage bars, the SVG chart and the warnings
// at 75%, 90% and 100% of the allocation change in their browsers. Deactivation
// stops the script's calls at once with 423 and activation lets them through
// again. Support staff then see the same numbers read-only. Runs on SQLite
// and on PostgreSQL. axe checks every page and swap, and the Nu Html Checker
// validates every page and fragment at the end.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { checkAccessibility } from './accessibility.mjs';
import { backends, figures, launchBrowser, startServer, withPage } from './harness.mjs';
import { validateCollectedHtml } from './html-validity.mjs';

const PASSWORD = 'a long password 1';
const OWNER_EMAIL = 'owner@example.com';
const MEMBER_EMAIL = 'script@example.com';
const STAFF_EMAIL = 'staff@platform.example';
const ALLOCATION = 1000;

async function signIn(page, server, email) {
  if (new URL(page.url()).pathname !== '/login') {
    await page.goto(`${server.baseUrl}/login`);
  }
  await checkAccessibility(page, 'sign-in page');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => !url.pathname.startsWith('/login'));
  await checkAccessibility(page, `signed in as ${email}`);
}

/** Sends `tasks` of usage as the script does and returns the status and the JSON body. */
async function reportUsage(server, key, automation, tasks) {
  const response = await fetch(`${server.baseUrl}/api/v1/usage`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ automation, tasks }),
  });
  return { status: response.status, body: await response.json() };
}

async function reportAccepted(server, key, automation, tasks) {
  const { status, body } = await reportUsage(server, key, automation, tasks);
  assert.equal(status, 200, `usage of ${tasks} tasks is accepted: ${JSON.stringify(body)}`);
  return body;
}

/** Reads the usage chart of a page: the total under its title, the tasks in its bars and its tallest bar. */
async function chart(page) {
  return page.$eval('section.usage', (section) => {
    const bars = [...section.querySelectorAll('svg.chart rect.bar')];
    return {
      total: section.querySelector(':scope > p.hint').textContent.trim(),
      barTasks: bars
        .map((bar) => Number(bar.querySelector('title').textContent.match(/: ([\d,]+) tasks$/)[1].replaceAll(',', '')))
        .reduce((sum, tasks) => sum + tasks, 0),
      tallestBar: Math.max(...bars.map((bar) => Number(bar.getAttribute('height')))),
    };
  });
}

/** Reads what the member's page or the support view of the sub-account shows. */
async function subAccountPage(page) {
  const stats = await figures(page);
  return {
    status: stats.status,
    allocated: stats.allocated,
    consumed: stats.consumed,
    remaining: stats.remaining,
    meter: await page.locator('section.figures meter').getAttribute('value'),
    alert: await page.locator('.usage-alert').count() > 0 ? await page.locator('.usage-alert').innerText() : null,
    chart: await chart(page),
  };
}

/** Reads the sub-account's row on the Agency page or in the support view of the agency. */
async function agencyRow(page) {
  const row = page.locator('tr.sub-account', { hasText: MEMBER_EMAIL });
  const badge = row.locator('.alert-badge');
  return {
    consumed: await row.locator('[data-column=consumed]').innerText(),
    remaining: await row.locator('.remaining').innerText(),
    meter: await row.locator('meter').getAttribute('value'),
    badge: await badge.count() > 0 ? await badge.innerText() : null,
  };
}

/**
 * Reloads the member's and the owner's pages, checks both with axe and
 * asserts what they show for `consumed` tasks with the warning `level`
 * ('75% used', '90% used', 'allocation used up' or null).
 */
async function expectUsage(memberPage, ownerPage, consumed, level, step) {
  const consumedText = consumed.toLocaleString('en-US');
  const remainingText = (ALLOCATION - consumed).toLocaleString('en-US');

  await memberPage.reload();
  await checkAccessibility(memberPage, `member page ${step}`);
  const member = await subAccountPage(memberPage);
  assert.equal(member.consumed, String(consumed), `member page consumed ${step}`);
  assert.equal(member.remaining, String(ALLOCATION - consumed), `member page remaining ${step}`);
  assert.equal(member.meter, String(consumed), `member usage bar ${step}`);
  assert.equal(member.chart.total, `${consumedText} tasks in this period.${consumed === 0 ? ' Nothing was consumed yet.' : ''}`, `member chart total ${step}`);
  assert.equal(member.chart.barTasks, consumed, `member chart bars ${step}`);
  assert.equal(member.chart.tallestBar > 0, consumed > 0, `member chart draws a bar ${step}`);
  if (level === null) {
    assert.equal(member.alert, null, `member page warning ${step}`);
  } else {
    assert.equal(member.alert, `Usage warning: ${level}. ${consumedText} of ${ALLOCATION.toLocaleString('en-US')} tasks consumed this billing period.`, `member page warning ${step}`);
  }

  await ownerPage.reload();
  await checkAccessibility(ownerPage, `agency page ${step}`);
  const row = await agencyRow(ownerPage);
  assert.equal(row.consumed, consumedText, `agency row consumed ${step}`);
  assert.equal(row.remaining, remainingText, `agency row remaining ${step}`);
  assert.equal(row.meter, String(consumed), `agency row usage bar ${step}`);
  assert.equal(row.badge, level === null ? null : level.replace(/^a/, 'A'), `agency row badge ${step}`);
  assert.equal((await figures(ownerPage))['tasks-consumed'], String(consumed), `agency figure tasks consumed ${step}`);
  const agencyChart = await chart(ownerPage);
  assert.equal(agencyChart.barTasks, consumed, `agency chart bars ${step}`);
  assert.equal(agencyChart.tallestBar > 0, consumed > 0, `agency chart draws a bar ${step}`);
}

for (const backend of backends) {
  test(`script usage shows live (${backend})`, async () => {
    const server = await startServer(backend);
    server.cli(['agency', 'create', '--name', 'Usage Agency', '--owner-email', OWNER_EMAIL, '--tasks', '10000', '--password-stdin'], `${PASSWORD}\n`);
    server.cli(['staff', 'create', '--email', STAFF_EMAIL, '--password-stdin'], `${PASSWORD}\n`);
    const ownerBrowser = await launchBrowser();
    const memberBrowser = await launchBrowser();
    try {
      await withPage(ownerBrowser.context, `usage-owner-${backend}`, async (ownerPage, ownerErrors) => {
        await withPage(memberBrowser.context, `usage-member-${backend}`, async (memberPage, memberErrors) => {
          // The owner adds the sub-account with 1,000 tasks.
          await signIn(ownerPage, server, OWNER_EMAIL);
          await ownerPage.getByRole('link', { name: 'Add Sub Accounts' }).click();
          const panel = ownerPage.locator('#add-panel');
          await panel.getByLabel('Name').waitFor();
          await checkAccessibility(ownerPage, 'add form open');
          await panel.getByLabel('Name').fill('Script Client');
          await panel.getByLabel('Email').fill(MEMBER_EMAIL);
          await panel.getByLabel('Password').fill(PASSWORD);
          await panel.getByLabel('Tasks').fill(String(ALLOCATION));
          await panel.getByRole('button', { name: 'Add', exact: true }).click();
          const row = ownerPage.locator('tr.sub-account', { hasText: MEMBER_EMAIL });
          await row.waitFor();
          await checkAccessibility(ownerPage, 'sub-account added');

          // The member creates an API key, shown once, and an automation.
          await signIn(memberPage, server, MEMBER_EMAIL);
          assert.equal(new URL(memberPage.url()).pathname, '/account');
          await memberPage.getByLabel('New key name').fill('Automation engine');
          await memberPage.getByRole('button', { name: 'Create API key' }).click();
          await memberPage.locator('#new-api-key').waitFor();
          await checkAccessibility(memberPage, 'API key created');
          const key = (await memberPage.locator('#new-api-key').innerText()).trim();
          assert.ok(key.length >= 20, `the new key is shown: ${key}`);
          await memberPage.getByLabel('New automation name').fill('Nightly sync');
          await memberPage.getByRole('button', { name: 'Create automation' }).click();
          const automationRow = memberPage.locator('tr[id^="automation-"]', { hasText: 'Nightly sync' });
          await automationRow.waitFor();
          await checkAccessibility(memberPage, 'automation created');
          const automation = Number(await automationRow.locator('td').first().innerText());
          assert.ok(Number.isInteger(automation), `the automation id is in the first column: ${automation}`);
          assert.ok(automation > 0, `the automation id is positive: ${automation}`);
          assert.equal(await memberPage.locator('#new-api-key').count(), 0, 'the key is shown only once');

          await expectUsage(memberPage, ownerPage, 0, null, 'before any usage');

          // Below 75% no warning shows, and at 75% and 90% both pages warn.
          const first = await reportAccepted(server, key, automation, 740);
          assert.equal(first.consumed, 740);
          assert.equal(first.remaining, 260);
          await expectUsage(memberPage, ownerPage, 740, null, 'at 74%');
          await reportAccepted(server, key, automation, 10);
          await expectUsage(memberPage, ownerPage, 750, '75% used', 'at 75%');
          await reportAccepted(server, key, automation, 150);
          await expectUsage(memberPage, ownerPage, 900, '90% used', 'at 90%');

          // The script keeps reporting 1 task at a time while the owner
          // deactivates. Every call sent after the row shows Inactive gets 423.
          const calls = [];
          let reporting = true;
          const script = (async () => {
            while (reporting) {
              const sent = Date.now();
              const result = await reportUsage(server, key, automation, 1);
              calls.push({ ...result, sent, received: Date.now() });
              await sleep(20);
            }
          })();
          const waitForCalls = async (count, after) => {
            while (calls.filter((call) => call.sent > after).length < count) {
              await sleep(20);
            }
          };
          await waitForCalls(3, 0);
          const clicked = Date.now();
          await row.getByRole('button', { name: 'Deactivate' }).click();
          await row.locator('.status', { hasText: 'Inactive' }).waitFor();
          const deactivated = Date.now();
          await checkAccessibility(ownerPage, 'after Deactivate');
          await waitForCalls(3, deactivated);
          reporting = false;
          await script;

          const before = calls.filter((call) => call.received < clicked);
          const after = calls.filter((call) => call.sent > deactivated);
          assert.ok(before.length >= 3, `calls before the deactivation: ${before.length}`);
          assert.deepEqual(before.map((call) => call.status), before.map(() => 200), 'calls before the deactivation are accepted');
          assert.deepEqual(after.map((call) => call.status), after.map(() => 423), 'calls after the deactivation are rejected with 423');
          assert.deepEqual(after.map((call) => call.body.code), after.map(() => 'sub_account_inactive'));
          const accepted = calls.filter((call) => call.status === 200).length;
          const consumed = 900 + accepted;

          await memberPage.reload();
          await checkAccessibility(memberPage, 'member page while inactive');
          const inactive = await subAccountPage(memberPage);
          assert.equal(inactive.status, 'Inactive');
          assert.equal(inactive.consumed, String(consumed), 'only accepted calls are counted');
          assert.match(await memberPage.locator('.notice', { hasText: 'inactive' }).innerText(), /Your agency deactivated it on .* UTC/);
          assert.equal(await automationRow.locator('td').nth(1).innerText(), 'Paused by the agency');

          // Activation lets the script through again, up to the whole allocation.
          await row.getByRole('button', { name: 'Activate' }).click();
          await row.locator('.status', { hasText: 'Active' }).waitFor();
          await checkAccessibility(ownerPage, 'after Activate');
          const last = await reportAccepted(server, key, automation, ALLOCATION - consumed);
          assert.equal(last.remaining, 0);
          await expectUsage(memberPage, ownerPage, ALLOCATION, 'allocation used up', 'at 100%');
          assert.equal(await automationRow.locator('td').nth(1).innerText(), 'Running');
          const overdrawn = await reportUsage(server, key, automation, 1);
          assert.equal(overdrawn.status, 402, 'nothing remains to consume');
          assert.equal(overdrawn.body.code, 'not_enough_tasks');

          // Recent activity logs each warning once.
          const activity = await ownerPage.locator('#activity li').allInnerTexts();
          const alerts = [
            /usage alert “Script Client” reached 75% of its allocation \(750 of 1,000 tasks\)/,
            /usage alert “Script Client” reached 90% of its allocation \(900 of 1,000 tasks\)/,
            /usage alert “Script Client” used its whole allocation \(1,000 of 1,000 tasks\)/,
          ];
          for (const alert of alerts) {
            assert.equal(activity.filter((entry) => alert.test(entry)).length, 1, `one entry matches ${alert} in Recent activity:\n${activity.join('\n')}`);
          }

          // Support staff see the same numbers read-only.
          await memberPage.getByRole('button', { name: 'Sign out' }).click();
          await memberPage.waitForURL(/\/login$/);
          await signIn(memberPage, server, STAFF_EMAIL);
          await memberPage.getByLabel('Agency name, owner email or sub-account email').fill(MEMBER_EMAIL);
          await memberPage.getByRole('button', { name: 'Search' }).click();
          await memberPage.waitForURL(/\/support\?q=/);
          await checkAccessibility(memberPage, 'support search results');
          await memberPage.getByRole('link', { name: 'Usage Agency' }).click();
          await memberPage.locator('.read-only').waitFor();
          await checkAccessibility(memberPage, 'support view of the agency');
          assert.deepEqual(await agencyRow(memberPage), { consumed: '1,000', remaining: '0', meter: '1000', badge: 'Allocation used up' });
          await memberPage.getByRole('link', { name: 'View Script Client' }).click();
          await memberPage.locator('.read-only').waitFor();
          await checkAccessibility(memberPage, 'support view of the sub-account');
          const supportView = await subAccountPage(memberPage);
          assert.equal(supportView.consumed, '1000');
          assert.equal(supportView.meter, '1000');
          assert.equal(supportView.alert, 'Usage warning: allocation used up. 1,000 of 1,000 tasks consumed this billing period.');
          assert.equal(supportView.chart.barTasks, ALLOCATION);

          assert.deepEqual(memberErrors, [], 'no script errors on the member page');
        });
        assert.deepEqual(ownerErrors, [], 'no script errors on the owner page');
      });
    } finally {
      await memberBrowser.close();
      await ownerBrowser.close();
      await server.stop();
    }
  });
}

test('usage-flow pages and fragments are valid HTML', async () => {
  const errors = await validateCollectedHtml('usage-flow');
  assert.equal(errors.length, 0, `the Nu Html Checker found ${errors.length} error(s):\n${errors.join('\n')}`);
});
