// The owner's actions driven with the keyboard alone, by Tab, Shift+Tab,
// Enter, Space, Escape and typing. The steps are sign in, Add Sub Accounts
// with a rejected and then a valid form, the add form's Cancel, Update Task,
// Deactivate, Activate, and Delete with its modal confirmation. After each
// step the test checks where focus went and that it is visible, and runs
// axe. The Nu Html Checker validates every page and fragment at the end.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkAccessibility, expectFocus, focusedElement, tabTo } from './accessibility.mjs';
import { backends, figures, launchBrowser, startServer, withPage } from './harness.mjs';
import { validateCollectedHtml } from './html-validity.mjs';

const OWNER = { email: 'owner@example.com', password: 'owner password 1' };
const ROW = 'tr.sub-account';

async function waitForFigure(page, name, value) {
  await page.waitForFunction(
    ([stat, expected]) => document.querySelector(`[data-stat="${stat}"]`)?.textContent.trim().replaceAll(',', '') === expected,
    [name, value],
    { timeout: 5_000 },
  ).catch(async () => {
    throw new Error(`figure ${name} should be ${value}; the figures are ${JSON.stringify(await figures(page))}`);
  });
}

/** Selects the text of the focused input and types `text` over it. */
async function replaceText(page, text) {
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.type(text);
}

async function expectDescribedError(page, inputSelector, message) {
  const { describedBy, errorRole, errorText } = await page.$eval(inputSelector, (input) => {
    const ids = (input.getAttribute('aria-describedby') ?? '').split(/\s+/);
    const error = ids.map((id) => document.getElementById(id)).find((element) => element?.matches('.field-error, .form-error'));
    return { describedBy: ids, errorRole: error?.getAttribute('role'), errorText: error?.textContent.trim() };
  });
  assert.ok(errorText, `${inputSelector} names no error in aria-describedby (${describedBy.join(' ')})`);
  assert.match(errorText, message);
  assert.equal(errorRole, 'alert', `the error of ${inputSelector} is announced as an alert`);
  assert.equal(await page.$eval(inputSelector, (input) => input.getAttribute('aria-invalid')), 'true');
}

for (const backend of backends) {
  test(`owner works with the keyboard alone (${backend})`, async () => {
    const server = await startServer(backend);
    server.cli(['agency', 'create', '--name', 'Keyboard Agency', '--owner-email', OWNER.email, '--tasks', '10000', '--password-stdin'], `${OWNER.password}\n`);
    const browser = await launchBrowser();
    try {
      await withPage(browser.context, `keyboard-${backend}`, async (page, errors) => {
        // Sign in. The skip link comes first and shows when focused, and a
        // wrong password is reported as an alert that both fields name.
        await page.goto(`${server.baseUrl}/login`);
        await checkAccessibility(page, 'sign-in page');
        await page.keyboard.press('Tab');
        await expectFocus(page, '.skip-link', 'first Tab');
        const skipLink = await page.locator('.skip-link').boundingBox();
        assert.ok(skipLink, 'the focused skip link is rendered');
        assert.ok(skipLink.x >= 0, `the focused skip link is on screen, not at x=${skipLink.x}`);
        assert.ok(skipLink.y >= 0, `the focused skip link is on screen, not at y=${skipLink.y}`);
        await tabTo(page, '#login-email');
        await expectFocus(page, '#login-email', 'email field');
        await page.keyboard.type(OWNER.email);
        await page.keyboard.press('Tab');
        await expectFocus(page, '#login-password', 'password field');
        await page.keyboard.type('a wrong password');
        await page.keyboard.press('Enter');
        await page.locator('#login-error').waitFor();
        await checkAccessibility(page, 'sign-in rejected');
        assert.equal(await page.locator('#login-error').getAttribute('role'), 'alert');
        assert.equal(await page.locator('#login-password').getAttribute('aria-describedby'), 'login-error');
        await tabTo(page, '#login-password');
        await page.keyboard.type(OWNER.password);
        await page.keyboard.press('Enter');
        await page.waitForURL(`${server.baseUrl}/accounts/agency`);
        await checkAccessibility(page, 'agency page');

        // Add Sub Accounts: the form opens with focus on its first field.
        await tabTo(page, '#add-control a');
        await expectFocus(page, '#add-control a', 'Add Sub Accounts');
        await page.keyboard.press('Enter');
        await page.locator('#add-name').waitFor();
        await expectFocus(page, '#add-name', 'add form opened');
        await checkAccessibility(page, 'add form open');

        // An invalid email: the form comes back with focus on that field.
        await page.keyboard.type('Keyboard Client');
        await page.keyboard.press('Tab');
        await expectFocus(page, '#add-email', 'email field of the add form');
        await page.keyboard.type('not an email');
        await page.keyboard.press('Tab');
        await page.keyboard.type('member password 1');
        await page.keyboard.press('Tab');
        await expectFocus(page, '#add-tasks', 'tasks field of the add form');
        await page.keyboard.type('1000');
        await page.keyboard.press('Enter');
        await page.locator('#add-email-error').waitFor();
        await expectFocus(page, '#add-email', 'add form rejected');
        await expectDescribedError(page, '#add-email', /email/i);
        await checkAccessibility(page, 'add form rejected');

        // Corrected, the password typed again, and Add pressed with Space.
        await replaceText(page, 'keyboard@example.com');
        await page.keyboard.press('Tab');
        await expectFocus(page, '#add-password', 'password field after the rejection');
        await page.keyboard.type('member password 1');
        await tabTo(page, '#add-panel button[type="submit"]');
        await expectFocus(page, '#add-panel button[type="submit"]', 'Add button');
        await page.keyboard.press('Space');
        await page.locator(ROW).waitFor();
        await waitForFigure(page, 'allocated', '1000');
        await expectFocus(page, '#add-control a', 'after Add');
        await checkAccessibility(page, 'after Add');

        // Cancel closes the form again and returns focus to Add Sub Accounts.
        await page.keyboard.press('Enter');
        await page.locator('#add-name').waitFor();
        await checkAccessibility(page, 'add form open again');
        await tabTo(page, '#add-panel [data-close-panel]');
        await page.keyboard.press('Enter');
        await page.locator('#add-panel form').waitFor({ state: 'detached' });
        await expectFocus(page, '#add-control a', 'add form cancelled');

        // Update Task with Enter in the field, after which focus is in the new row's field.
        const tasks = `${ROW} input[name="tasks"]`;
        await tabTo(page, tasks);
        await expectFocus(page, tasks, 'Tasks field of the row');
        await replaceText(page, '2000');
        await page.keyboard.press('Enter');
        await waitForFigure(page, 'allocated', '2000');
        await expectFocus(page, tasks, 'after Update Task');
        assert.equal(await page.locator(tasks).inputValue(), '2000');
        await checkAccessibility(page, 'after Update Task');

        // A rejected value: focus on the field, which names its announced error.
        await replaceText(page, '99999');
        await tabTo(page, `${ROW} .update-task button`);
        await page.keyboard.press('Enter');
        await page.locator(`${ROW} .field-error`).waitFor();
        await expectFocus(page, `${tasks}[aria-invalid="true"]`, 'Update Task rejected');
        await expectDescribedError(page, tasks, /Enter a number from 0 to 10,000\./);
        await waitForFigure(page, 'allocated', '2000');
        await checkAccessibility(page, 'Update Task rejected');

        // Deactivate with Space and Activate with Enter. Focus moves to the
        // button that replaced the pressed one.
        const deactivate = `${ROW} button[aria-label^="Deactivate"]`;
        const activate = `${ROW} button[aria-label^="Activate"]`;
        await tabTo(page, deactivate);
        await page.keyboard.press('Space');
        await waitForFigure(page, 'inactive', '1');
        await expectFocus(page, activate, 'after Deactivate');
        await checkAccessibility(page, 'after Deactivate');
        await page.keyboard.press('Enter');
        await waitForFigure(page, 'active', '1');
        await expectFocus(page, deactivate, 'after Activate');
        await checkAccessibility(page, 'after Activate');

        // Delete opens a labelled modal dialog with focus on Cancel. Tab and
        // Shift+Tab cycle through its two controls and, as in every modal
        // <dialog>, the browser's own toolbar, where nothing in the document
        // has focus. The page behind the dialog is never reached.
        const deleteLink = `${ROW} a[aria-label^="Delete"]`;
        await tabTo(page, deleteLink);
        await page.keyboard.press('Enter');
        const dialog = page.getByRole('dialog', { name: 'Delete “Keyboard Client”?' });
        await dialog.waitFor();
        assert.equal(await dialog.evaluate((element) => element.matches(':modal')), true, 'the dialog is modal');
        await expectFocus(page, 'dialog [data-close-dialog]', 'delete dialog opened');
        await checkAccessibility(page, 'delete dialog open');
        const reached = new Set();
        for (const key of ['Tab', 'Tab', 'Tab', 'Tab', 'Shift+Tab', 'Shift+Tab', 'Shift+Tab', 'Shift+Tab']) {
          await page.keyboard.press(key);
          const focus = await focusedElement(page, 'dialog *');
          assert.ok(focus === null || focus.matches, `${key} in the dialog moved focus behind it, to ${focus?.description}`);
          reached.add(focus?.description ?? 'browser toolbar');
        }
        assert.deepEqual([...reached].sort(), ['<a> Cancel', '<button> Delete', 'browser toolbar']);

        // Escape closes it and puts focus back on the Delete link.
        await page.keyboard.press('Escape');
        await dialog.waitFor({ state: 'detached' });
        await expectFocus(page, deleteLink, 'dialog closed with Escape');
        assert.equal(await page.locator(ROW).count(), 1, 'Escape deletes nothing');

        // Delete confirmed: the row goes and focus moves to the page heading.
        await page.keyboard.press('Enter');
        await dialog.waitFor();
        await checkAccessibility(page, 'delete dialog open again');
        await expectFocus(page, 'dialog [data-close-dialog]', 'delete dialog opened again');
        await page.keyboard.press('Shift+Tab');
        await expectFocus(page, 'dialog button[type="submit"]', 'Delete button of the dialog');
        await page.keyboard.press('Enter');
        await page.locator(ROW).waitFor({ state: 'detached' });
        await waitForFigure(page, 'sub-accounts', '0 of 5');
        await expectFocus(page, '#page-title', 'after Delete');
        assert.match(await page.locator('#flash[role="status"]').innerText(), /Deleted “Keyboard Client”/);
        await checkAccessibility(page, 'after Delete');
        assert.deepEqual(errors, [], 'no script errors');
      }, [401, 409, 422]);
    } finally {
      await browser.close();
      await server.stop();
    }
  });
}

test('keyboard pages and fragments are valid HTML', async () => {
  const errors = await validateCollectedHtml('keyboard');
  assert.equal(errors.length, 0, `the Nu Html Checker found ${errors.length} error(s):\n${errors.join('\n')}`);
});
