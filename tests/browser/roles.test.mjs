// What each role sees in a real browser: a member sees only their own
// sub-account, another agency's owner gets "Not found" for this agency's ids,
// and support staff search and inspect read-only, which the owner then sees
// in Recent activity. Runs on SQLite and on PostgreSQL.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backends, launchBrowser, startServer, withPage } from './harness.mjs';

const PASSWORD = 'a long password 1';

async function signIn(page, server, email) {
  await page.goto(`${server.baseUrl}/login`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => !url.pathname.startsWith('/login'));
}

async function signOut(page) {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(/\/login$/);
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
        await panel.getByLabel('Name').fill('Client One');
        await panel.getByLabel('Email').fill('one@example.com');
        await panel.getByLabel('Password').fill(PASSWORD);
        await panel.getByLabel('Tasks').fill('1500');
        await panel.getByRole('button', { name: 'Add', exact: true }).click();
        const row = page.locator('tr.sub-account', { hasText: 'one@example.com' });
        await row.waitFor();
        const rowId = (await row.getAttribute('id')).replace('sub-account-', '');
        await row.getByRole('button', { name: 'Deactivate' }).click();
        await row.locator('.status', { hasText: 'Inactive' }).waitFor();
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
        await page.goto(`${server.baseUrl}/account`);
        await signOut(page);

        // Another agency's owner cannot reach agency A's sub-account.
        await signIn(page, server, 'owner-b@example.com');
        assert.equal(await page.locator('tr.sub-account').count(), 0);
        const foreign = await page.goto(`${server.baseUrl}/accounts/agency/sub-accounts/${rowId}/delete`);
        assert.equal(foreign.status(), 404);
        await page.goto(`${server.baseUrl}/accounts/agency`);
        await signOut(page);

        // Support searches by a sub-account email and inspects agency A read-only.
        await signIn(page, server, 'staff@platform.example');
        assert.equal(new URL(page.url()).pathname, '/support');
        await page.getByLabel('Agency name, owner email or sub-account email').fill('ONE@example');
        await page.getByRole('button', { name: 'Search' }).click();
        await page.getByRole('link', { name: 'Agency A' }).click();
        await page.locator('.read-only').waitFor();
        assert.equal(await page.locator('[data-stat=allocated]').innerText(), '1,500');
        assert.equal(await page.getByRole('button', { name: /Deactivate|Activate|Update Task/ }).count(), 0, 'no actions');
        await page.getByRole('link', { name: 'View Client One' }).click();
        await page.locator('.read-only').waitFor();
        assert.equal(await page.locator('[data-stat=status]').innerText(), 'Inactive');
        await signOut(page);

        // The owner sees both support views in Recent activity.
        await signIn(page, server, 'owner-a@example.com');
        const activity = await page.locator('#activity li').allInnerTexts();
        assert.match(activity[0], /staff@platform\.example viewed “Client One” as support staff/);
        assert.match(activity[1], /staff@platform\.example viewed the agency as support staff/);
        assert.deepEqual(errors, [], 'no script errors');
      }, [404]);
    } finally {
      await browser.close();
      await server.stop();
    }
  });
}
