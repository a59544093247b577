// The owner's whole flow in a real browser: first-run setup, adding
// sub-accounts up to the limit, Update Task, Deactivate, Activate and Delete,
// with the figures checked after each step, on SQLite and on PostgreSQL.
// axe checks every page and every htmx swap, and the Nu Html Checker
// validates every page and fragment at the end.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkAccessibility, focusedElement } from './accessibility.mjs';
import { backends, figures, launchBrowser, startServer, withPage } from './harness.mjs';
import { validateCollectedHtml } from './html-validity.mjs';

const OWNER = { email: 'owner@example.com', password: 'owner password 1' };

async function waitForFigure(page, name, value) {
  await page.waitForFunction(
    ([stat, expected]) => document.querySelector(`[data-stat="${stat}"]`)?.textContent.trim().replaceAll(',', '') === expected,
    [name, value],
    { timeout: 5_000 },
  ).catch(async () => {
    throw new Error(`figure ${name} should be ${value}; the figures are ${JSON.stringify(await figures(page))}`);
  });
}

async function setUpAgency(page, server) {
  await page.goto(server.setupLink);
  await checkAccessibility(page, 'first-run setup');
  await page.getByLabel('Agency name').fill('Browser Agency');
  await page.getByLabel('Total tasks').fill('10000');
  await page.getByLabel('Sub-account limit').fill('5');
  await page.getByLabel('Your email').fill(OWNER.email);
  await page.getByLabel('Password').fill(OWNER.password);
  await page.getByRole('button', { name: 'Create agency' }).click();
  await page.waitForURL(`${server.baseUrl}/accounts/agency`);
}

async function addSubAccount(page, index, tasks) {
  await page.getByRole('link', { name: 'Add Sub Accounts' }).click();
  const panel = page.locator('#add-panel');
  await panel.getByLabel('Name').waitFor();
  await checkAccessibility(page, 'add form open');
  await panel.getByLabel('Name').fill(`Client ${index}`);
  await panel.getByLabel('Email').fill(`client${index}@example.com`);
  await panel.getByLabel('Password').fill('member password 1');
  await panel.getByLabel('Tasks').fill(String(tasks));
  await panel.getByRole('button', { name: 'Add', exact: true }).click();
  await page.locator('tr.sub-account', { hasText: `client${index}@example.com` }).waitFor();
  await checkAccessibility(page, `after adding client ${index}`);
}

function row(page, index) {
  return page.locator('tr.sub-account', { hasText: `client${index}@example.com` });
}

for (const backend of backends) {
  test(`owner manages sub-accounts (${backend})`, async () => {
    const server = await startServer(backend);
    const browser = await launchBrowser();
    try {
      await withPage(browser.context, `owner-flow-${backend}`, async (page, errors) => {
        await setUpAgency(page, server);
        await checkAccessibility(page, 'empty agency');
        assert.deepEqual(await figures(page), {
          'total-tasks': '10000', 'tasks-consumed': '0', 'tasks-remaining': '10000', allocated: '0',
          unallocated: '10000', 'sub-accounts': '0 of 5', active: '0', inactive: '0',
        });

        for (let index = 1; index <= 5; index += 1) {
          await addSubAccount(page, index, 1000);
          await waitForFigure(page, 'sub-accounts', `${index} of 5`);
        }
        await waitForFigure(page, 'allocated', '5000');
        await waitForFigure(page, 'unallocated', '5000');
        const add = page.getByRole('button', { name: 'Add Sub Accounts' });
        assert.equal(await add.isDisabled(), true, 'the add button is disabled at the limit');
        const focus = await focusedElement(page, '#sub-account-rows tr:last-child th a');
        assert.ok(focus?.matches, `focus moves to the row added last, not to ${focus?.description ?? '(body)'}, as the disabled button cannot take it`);
        assert.match(await page.locator('#limit-reason').innerText(), /limit of 5 sub-accounts is reached/);

        // The form's own URL at the limit shows the form with Add disabled. A
        // sixth add sent anyway, as from a form opened earlier, is refused with a message.
        await page.goto(`${server.baseUrl}/accounts/agency/sub-accounts/new`);
        await checkAccessibility(page, 'add form page at the limit');
        const panel = page.locator('#add-panel');
        await panel.getByLabel('Name').fill('Client 6');
        await panel.getByLabel('Email').fill('client6@example.com');
        await panel.getByLabel('Password').fill('member password 1');
        await panel.getByLabel('Tasks').fill('10');
        const submit = panel.getByRole('button', { name: 'Add', exact: true });
        assert.equal(await submit.isDisabled(), true, 'the add form at the limit cannot be sent');
        await submit.evaluate((button) => { button.disabled = false; });
        await submit.click();
        await page.locator('#add-panel .form-error', { hasText: "the plan's limit of 5" }).waitFor();
        await checkAccessibility(page, 'sixth add rejected');
        await page.goto(`${server.baseUrl}/accounts/agency`);
        await checkAccessibility(page, 'agency page at the limit');
        assert.equal(await page.locator('tr.sub-account').count(), 5);

        // Update Task within the limits, then beyond them.
        await row(page, 1).getByRole('spinbutton').fill('3000');
        await row(page, 1).getByRole('button', { name: 'Update Task' }).click();
        await waitForFigure(page, 'allocated', '7000');
        await waitForFigure(page, 'unallocated', '3000');
        assert.equal(await row(page, 1).locator('[data-column=allocated]').innerText(), '3,000');
        await checkAccessibility(page, 'after Update Task');

        await row(page, 2).getByRole('spinbutton').fill('99999');
        await row(page, 2).getByRole('button', { name: 'Update Task' }).click();
        const message = row(page, 2).locator('.field-error');
        await message.waitFor();
        assert.match(await message.innerText(), /Enter a number from 0 to 4,000\./);
        assert.equal(await message.isVisible(), true);
        await waitForFigure(page, 'allocated', '7000');
        await checkAccessibility(page, 'Update Task rejected');

        // Deactivate and activate.
        await row(page, 3).getByRole('button', { name: 'Deactivate' }).click();
        await waitForFigure(page, 'inactive', '1');
        assert.equal(await row(page, 3).locator('.status').innerText(), 'Inactive');
        await checkAccessibility(page, 'after Deactivate');
        await row(page, 3).getByRole('button', { name: 'Activate' }).click();
        await waitForFigure(page, 'inactive', '0');
        await waitForFigure(page, 'active', '5');
        await checkAccessibility(page, 'after Activate');

        // Delete asks first, then returns the allocation to the pool.
        await row(page, 4).getByRole('link', { name: 'Delete' }).click();
        const dialog = page.getByRole('dialog');
        await dialog.waitFor();
        assert.match(await dialog.innerText(), /1,000 unconsumed tasks return to the unallocated pool/);
        assert.match(await dialog.innerText(), /0 consumed tasks stay counted/);
        await checkAccessibility(page, 'delete dialog open');
        await dialog.getByRole('button', { name: 'Delete' }).click();
        await row(page, 4).waitFor({ state: 'detached' });
        await waitForFigure(page, 'sub-accounts', '4 of 5');
        await waitForFigure(page, 'unallocated', '4000');
        assert.equal(await page.getByRole('link', { name: 'Add Sub Accounts' }).isVisible(), true, 'adding works again');
        assert.equal(await page.getByRole('dialog').count(), 0, 'the dialog closed');
        await checkAccessibility(page, 'after Delete');

        // Every change is in Recent activity.
        const activity = await page.locator('#activity li').allInnerTexts();
        assert.match(activity[0], /deleted “Client 4”/);
        assert.ok(activity.some((entry) => /changed the tasks of “Client 1” from 1,000 to 3,000/.test(entry)));
        assert.deepEqual(errors, [], 'no script errors');
      });
    } finally {
      await browser.close();
      await server.stop();
    }
  });

  test(`owner flow works without JavaScript (${backend})`, async () => {
    const server = await startServer(backend);
    const browser = await launchBrowser();
    try {
      const page = await browser.context.newPage();
      await setUpAgency(page, server);
      await page.close();
      // The scripts are blocked, so the page behaves as with JavaScript off.
      await browser.context.route('**/static/*.js', (route) => route.abort());
      await withPage(browser.context, `no-javascript-${backend}`, async (page) => {
        await page.goto(`${server.baseUrl}/accounts/agency`);
        await checkAccessibility(page, 'agency page without JavaScript');
        await page.getByRole('link', { name: 'Add Sub Accounts' }).click();
        await page.waitForURL(/sub-accounts\/new$/);
        await checkAccessibility(page, 'add form page without JavaScript');
        const panel = page.locator('#add-panel');
        await panel.getByLabel('Name').fill('Plain Client');
        await panel.getByLabel('Email').fill('plain@example.com');
        await panel.getByLabel('Password').fill('member password 1');
        await panel.getByLabel('Tasks').fill('2500');
        await panel.getByRole('button', { name: 'Add', exact: true }).click();
        await page.waitForURL(`${server.baseUrl}/accounts/agency`);
        await waitForFigure(page, 'allocated', '2500');
        assert.match(await page.locator('#flash').innerText(), /Added “Plain Client” with 2,500 tasks/);
        await checkAccessibility(page, 'agency page after adding without JavaScript');

        const plain = page.locator('tr.sub-account', { hasText: 'plain@example.com' });
        await plain.getByRole('spinbutton').fill('20000');
        await plain.getByRole('button', { name: 'Update Task' }).click();
        assert.match(await page.locator('tr.sub-account .field-error').innerText(), /Only 7,500 tasks are unallocated/);
        await checkAccessibility(page, 'Update Task rejected without JavaScript');

        await page.locator('tr.sub-account', { hasText: 'plain@example.com' }).getByRole('link', { name: 'Delete' }).click();
        await page.waitForURL(/\/delete$/);
        await checkAccessibility(page, 'delete confirmation page');
        await page.locator('#delete-dialog').getByRole('button', { name: 'Delete' }).click();
        await page.waitForURL(`${server.baseUrl}/accounts/agency`);
        await waitForFigure(page, 'sub-accounts', '0 of 5');
        await checkAccessibility(page, 'agency page after deleting without JavaScript');
      });
    } finally {
      await browser.close();
      await server.stop();
    }
  });
}

test('owner-flow pages and fragments are valid HTML', async () => {
  const errors = await validateCollectedHtml('owner-flow');
  assert.equal(errors.length, 0, `the Nu Html Checker found ${errors.length} error(s):\n${errors.join('\n')}`);
});
