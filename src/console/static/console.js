// Light progressive enhancement for the console; every page works without it. Served from the bridge
// itself (the Content-Security-Policy allows only 'self' scripts, never inline ones).
'use strict';

document.addEventListener('submit', (event) => {
  const form = event.target;
  const question = form instanceof HTMLFormElement ? form.dataset.confirm : undefined;
  if (question !== undefined && !window.confirm(question)) event.preventDefault();
});

// "/" focuses the field marked with data-shortcut, as in many consoles.
document.addEventListener('keydown', (event) => {
  const field = document.querySelector('[data-shortcut]');
  const typing = event.target instanceof HTMLInputElement || event.target instanceof HTMLTextAreaElement;
  if (field instanceof HTMLElement && event.key === field.dataset.shortcut && !typing) {
    event.preventDefault();
    field.focus();
  }
});

// After an OIDC sign-in: continue to the console (a same-site navigation, so the session cookie goes along).
const follow = document.querySelector('a[data-follow]');
if (follow instanceof HTMLAnchorElement) window.location.assign(follow.href);
