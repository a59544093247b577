// Page behaviour on top of htmx: the delete dialog, the add panel, error
// messages and focus after swaps. Without JavaScript every action still works
// as a plain form post, so nothing here is required.
(function () {
  'use strict';

  // The element that opened the delete dialog, to take focus back when it closes.
  let dialogOpener = null;
  // The row and action of the last row form sent, to put focus back in the
  // swapped row: { row: 'sub-account-7', action: 'deactivate' }.
  let rowAction = null;

  function announce(message) {
    const status = document.getElementById('flash');
    if (status) {
      status.textContent = message;
    }
  }

  function focusHeading() {
    const heading = document.getElementById('page-title');
    if (heading) {
      heading.setAttribute('tabindex', '-1');
      heading.focus();
    }
  }

  // Focuses the "Add Sub Accounts" link and returns whether it exists. At
  // the limit the control is a disabled button, which cannot take focus.
  function focusAddLink() {
    const add = document.querySelector('#add-control a');
    if (add) {
      add.focus();
    }
    return Boolean(add);
  }

  // htmx does not swap error responses other than 409 and 422; show the
  // error page's message in the status area instead.
  document.addEventListener('htmx:responseError', function (event) {
    const xhr = event.detail.xhr;
    let message = 'The request failed (HTTP ' + xhr.status + '). Reload the page and try again.';
    const page = new DOMParser().parseFromString(xhr.responseText || '', 'text/html');
    const explained = page.querySelector('[data-error-message]');
    if (explained && explained.textContent.trim()) {
      message = explained.textContent.trim();
    }
    announce(message);
  });

  document.addEventListener('htmx:sendError', function () {
    announce('The dashboard could not be reached. Check the connection and try again.');
  });

  document.addEventListener('htmx:beforeRequest', function (event) {
    if (event.detail.target && event.detail.target.id === 'dialog-slot') {
      dialogOpener = event.detail.elt;
    }
    const row = event.detail.elt.closest ? event.detail.elt.closest('tr.sub-account') : null;
    const action = (event.detail.elt.getAttribute('action') || '').split('/').pop();
    rowAction = row ? { row: row.id, action: action } : null;
  });

  // New content from htmx: open dialogs as modals and move focus to where
  // the user continues.
  document.addEventListener('htmx:load', function (event) {
    const element = event.detail.elt;
    if (!(element instanceof HTMLElement)) {
      return;
    }
    if (element.matches('dialog') && !element.open) {
      element.showModal();
      const cancel = element.querySelector('[data-close-dialog]');
      if (cancel) {
        cancel.focus();
      }
      return;
    }
    if (element.id === 'add-panel' && element.querySelector('form')) {
      const field = element.querySelector('[aria-invalid="true"]') || element.querySelector('input:not([type="hidden"])');
      if (field) {
        field.focus();
      }
      return;
    }
    if (element.id === 'add-panel') {
      const added = document.querySelector('#sub-account-rows tr:last-child th a');
      if (!focusAddLink() && added) {
        added.focus();
      }
      return;
    }
    if (element.matches('tr.sub-account')) {
      const invalid = element.querySelector('[aria-invalid="true"]');
      if (invalid) {
        invalid.focus();
        return;
      }
      if (rowAction && rowAction.row === element.id) {
        // The button that was pressed is gone with the old row: focus its successor.
        const next = {
          deactivate: 'button[aria-label^="Activate"]',
          activate: 'button[aria-label^="Deactivate"]',
          tasks: 'input[name="tasks"]',
        }[rowAction.action];
        const target = next ? element.querySelector(next) : null;
        if (target) {
          target.focus();
        }
        rowAction = null;
      }
    }
  });

  document.addEventListener('close', function (event) {
    const dialog = event.target;
    if (!(dialog instanceof HTMLDialogElement)) {
      return;
    }
    dialog.remove();
    if (dialogOpener && document.body.contains(dialogOpener)) {
      dialogOpener.focus();
    } else {
      focusHeading();
    }
    dialogOpener = null;
  }, true);

  document.addEventListener('click', function (event) {
    const target = event.target instanceof Element ? event.target : null;
    if (!target) {
      return;
    }
    const closeDialog = target.closest('[data-close-dialog]');
    if (closeDialog && closeDialog.closest('dialog[open]') && document.querySelector('dialog:modal')) {
      event.preventDefault();
      closeDialog.closest('dialog').close();
      return;
    }
    const closePanel = target.closest('[data-close-panel]');
    if (closePanel && window.htmx) {
      event.preventDefault();
      const panel = document.getElementById('add-panel');
      const empty = document.createElement('div');
      empty.id = 'add-panel';
      panel.replaceWith(empty);
      if (!focusAddLink()) {
        focusHeading();
      }
    }
  });

  // After a delete the row and the dialog are gone: put focus on the heading.
  document.addEventListener('htmx:afterSettle', function (event) {
    if (event.detail.target && event.detail.target.id === 'dialog-slot' && !event.detail.target.querySelector('dialog')) {
      focusHeading();
    }
  });
})();
