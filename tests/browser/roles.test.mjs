// What each role sees in a real browser: a member sees only their own
// sub-account, another agency's owner gets "Not found" for this agency's ids,
// and support staff search and inspect read-only, which the owner then sees
// in Recent activity. Runs on SQLite and on PostgreSQL. axe checks every
// page, and the Nu Html Checker validates them all at the end.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkAccessibility } from './accessibility.mjs';
import { backends, launchBrowser, startServer, withPage } from './harness.mjs';
import { validateCollectedHtml } from './html-validity.mjs';

const PASSWORD = 'a long password 1';

async function signIn(page, server, email) {
  // Signing out already ends on the sign-in page.
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

async function signOut(page) {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(/\/login$/);
}

/** Asserts that every invalid field names its error, which is announced as an alert. */
async function expectFieldErrors(page) {
  const fields = await page.$$eval('input[aria-invalid="true"]', (inputs) => inputs.map((input) => {
    const error = (input.getAttribute('aria-describedby') ?? '').split(/\s+/)
      .map((id) => document.getElementById(id))
      .find((element) => element?.classList.contains('field-error'));
    return { id: input.id, error: error?.textContent.trim(), role: error?.getAttribute('role') };
  }));
  assert.ok(fields.length > 0, 'a field is marked invalid');
  for (const field of fields) {
    assert.ok(field.error, `#${field.id} names its error in aria-describedby`);
    assert.equal(field.role, 'alert', `the error of #${field.id} is an alert`);
  }
}

for (const backend of backends) {
  test(`each role sees only what it may (${backend})`, async () => {
    const server = await startServer(backend);
    server.cli(['agency', 'create', '--name', 'Agency A', '--owner-email', 'owner-a@example.com', '--tasks', '10000', '--password-stdin'], `${PASSWORD}\n`);
    server.cli(['agency', 'create', '--name', 'Agency B', '--owner-email', 'owner-b@example.com', '--tasks', '5000', '--password-stdin'], `${PASSWORD}\n`);
    server.cli(['staff', 'create', '--email', 'staff@platform.example', '--password-stdin'], `${PASSWORD}\n`);
    const browser = await launchBrowser();
    try {
      await withPage(browser.context, `roles-${backend}`, async (page, errors) => {
        // Owner A adds a sub-account and deactivates it.
        await signIn(page, server, 'owner-a@example.com');
        await page.getByRole('link', { name: 'Add Sub Accounts' }).click();
        const panel = page.locator('#add-panel');
        await panel.getByLabel('Name').waitFor();
        await checkAccessibility(page, 'add form open');
        await panel.getByLabel('Name').fill('Client One');
        await panel.getByLabel('Email').fill('one@example.com');
        await panel.getByLabel('Password').fill(PASSWORD);
        await panel.getByLabel('Tasks').fill('1500');
        await panel.getByRole('button', { name: 'Add', exact: true }).click();
        const row = page.locator('tr.sub-account', { hasText: 'one@example.com' });
        await row.waitFor();
        await checkAccessibility(page, 'sub-account added');
        const rowId = (await row.getAttribute('id')).replace('sub-account-', '');
        await row.getByRole('button', { name: 'Deactivate' }).click();
        await row.locator('.status', { hasText: 'Inactive' }).waitFor();
        await checkAccessibility(page, 'sub-account deactivated');

        // The owner's own view of the sub-account, and the password forms
        // with their errors tied to the fields.
        await row.getByRole('link', { name: 'Client One', exact: true }).click();
        await page.waitForURL(`${server.baseUrl}/accounts/agency/sub-accounts/${rowId}`);
        await checkAccessibility(page, "owner's view of the sub-account");
        assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'Client One');
        await page.goto(`${server.baseUrl}/accounts/agency`);
        await checkAccessibility(page, 'agency page');
        await page.getByRole('link', { name: 'Set password for Client One' }).click();
        await checkAccessibility(page, 'set password form');
        await page.getByLabel('New password', { exact: true }).fill('a new password 1');
        await page.getByLabel('Repeat the new password').fill('another password 1');
        await page.getByRole('button', { name: 'Set password' }).click();
        await page.locator('.field-error').first().waitFor();
        await checkAccessibility(page, 'set password rejected');
        await expectFieldErrors(page);
        await page.getByRole('link', { name: 'Change password' }).click();
        await checkAccessibility(page, 'change password form');
        await page.getByRole('button', { name: 'Change password' }).click();
        await page.locator('.field-error').first().waitFor();
        await checkAccessibility(page, 'change password rejected');
        await expectFieldErrors(page);
        await signOut(page);

        // The member sees their own page, explained in plain words, and nothing of the agency.
        await signIn(page, server, 'one@example.com');
        assert.equal(new URL(page.url()).pathname, '/account');
        assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'Client One');
        assert.match(await page.locator('.notice').innerText(), /Your agency deactivated it on .* UTC/);
        assert.equal(await page.locator('[data-stat=allocated]').innerText(), '1,500');
        const agencyAsMember = await page.goto(`${server.baseUrl}/accounts/agency`);
        assert.equal(agencyAsMember.status(), 404);
        assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'Not found');
        await checkAccessibility(page, 'not found page');
        await page.goto(`${server.baseUrl}/account`);
        await checkAccessibility(page, 'member page');
        await signOut(page);

        // Another agency's owner cannot reach agency A's sub-account.
        await signIn(page, server, 'owner-b@example.com');
        assert.equal(await page.locator('tr.sub-account').count(), 0);
        const foreign = await page.goto(`${server.baseUrl}/accounts/agency/sub-accounts/${rowId}/delete`);
        assert.equal(foreign.status(), 404);
        await checkAccessibility(page, 'not found page for another agency');
        await page.goto(`${server.baseUrl}/accounts/agency`);
        await checkAccessibility(page, 'agency page without sub-accounts');
        await signOut(page);

        // Support searches by a sub-account email and inspects agency A read-only.
        await signIn(page, server, 'staff@platform.example');
        assert.equal(new URL(page.url()).pathname, '/support');
        await page.getByLabel('Agency name, owner email or sub-account email').fill('ONE@example');
        await page.getByRole('button', { name: 'Search' }).click();
        await page.waitForURL(/\/support\?q=/);
        await checkAccessibility(page, 'support search results');
        await page.getByRole('link', { name: 'Agency A' }).click();
        await page.locator('.read-only').waitFor();
        await checkAccessibility(page, 'support view of an agency');
        assert.equal(await page.locator('[data-stat=allocated]').innerText(), '1,500');
        assert.equal(await page.getByRole('button', { name: /Deactivate|Activate|Update Task/ }).count(), 0, 'no actions');
        await page.getByRole('link', { name: 'View Client One' }).click();
        await page.locator('.read-only').waitFor();
        await checkAccessibility(page, 'support view of a sub-account');
        assert.equal(await page.locator('[data-stat=status]').innerText(), 'Inactive');
        await signOut(page);

        // The owner sees both support views in Recent activity.
        await signIn(page, server, 'owner-a@example.com');
        const activity = await page.locator('#activity li').allInnerTexts();
        assert.match(activity[0], /staff@platform\.example viewed “Client One” as support staff/);
        assert.match(activity[1], /staff@platform\.example viewed the agency as support staff/);
        assert.deepEqual(errors, [], 'no script errors');
      }, [404, 422]);
    } finally {
      await browser.close();
      await server.stop();
    }
  });
}

test('roles pages and fragments are valid HTML', async () => {
  const errors = await validateCollectedHtml('roles');
  assert.equal(errors.length, 0, `the Nu Html Checker found ${errors.length} error(s):\n${errors.join('\n')}`);
});
