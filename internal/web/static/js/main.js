// The dashboard shell: sign-in, navigation by the URL's fragment
// (#/overview, #/logs?model=x, ...), the language switch and sign-out.
import { createAPI } from './api.js';
import { createI18n } from './i18n.js';
import { h, clear, field } from './dom.js';
import * as overview from './overview.js';
import * as logs from './logs.js';
import * as providers from './providers.js';
import * as clients from './clients.js';
import * as models from './models.js';

const pages = { overview, logs, providers, clients, models };

function start() {
  const i18n = createI18n();
  const view = document.getElementById('view');
  const top = document.getElementById('top');
  const nav = document.getElementById('nav');
  const menu = document.getElementById('menu-toggle');
  const state = { signedIn: false, leave: null };
  const api = createAPI(() => showSignIn());

  const ctx = {
    api,
    t: (k, v) => i18n.t(k, v),
    get lang() {
      return i18n.lang;
    },
    toast,
    confirm: confirmDialog,
    // go changes the route; the same route re-renders.
    go(hash) {
      if (location.hash === hash) render();
      else location.hash = hash;
    },
  };

  function toast(text, kind) {
    const el = document.getElementById('toast');
    el.textContent = text;
    el.className = 'toast ' + (kind || '');
    el.hidden = false;
    clearTimeout(el._timer);
    el._timer = setTimeout(() => { el.hidden = true; }, 4000);
  }

  // confirmDialog is an in-page modal (a native confirm() would block the
  // page and cannot be styled); it resolves true on confirm.
  function confirmDialog(text, confirmLabel) {
    return new Promise(resolve => {
      const done = ok => {
        overlay.remove();
        document.removeEventListener('keydown', onKey);
        resolve(ok);
      };
      const onKey = e => { if (e.key === 'Escape') done(false); };
      const ok = h('button', { type: 'button', class: 'btn danger', onclick: () => done(true) }, confirmLabel || ctx.t('common.confirm'));
      const overlay = h('div', { class: 'overlay', role: 'dialog', 'aria-modal': 'true' },
        h('div', { class: 'dialog' },
          h('p', null, text),
          h('div', { class: 'actions' },
            h('button', { type: 'button', class: 'btn', onclick: () => done(false) }, ctx.t('common.cancel')), ok)));
      document.addEventListener('keydown', onKey);
      document.body.append(overlay);
      ok.focus();
    });
  }

  function translateChrome() {
    for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = i18n.t(el.dataset.i18n);
    document.title = 'aigw';
  }

  function leavePage() {
    if (state.leave) {
      try {
        state.leave();
      } finally {
        state.leave = null;
      }
    }
  }

  function parseHash() {
    const raw = location.hash.replace(/^#\/?/, '');
    const [name, query] = raw.split('?');
    return { name: pages[name] ? name : 'overview', params: new URLSearchParams(query || '') };
  }

  function render() {
    if (!state.signedIn) return;
    leavePage();
    const { name, params } = parseHash();
    for (const a of nav.querySelectorAll('a[data-page]')) a.classList.toggle('active', a.dataset.page === name);
    nav.classList.remove('open');
    menu.setAttribute('aria-expanded', 'false');
    const root = h('div', { class: 'page page-' + name });
    clear(view).append(root);
    const leave = pages[name].render(root, ctx, params);
    state.leave = typeof leave === 'function' ? leave : null;
  }

  function showSignIn(message) {
    leavePage();
    state.signedIn = false;
    top.hidden = true;
    const input = h('input', { type: 'password', name: 'key', autocomplete: 'off', required: true, id: 'signin-key', spellcheck: 'false' });
    const msg = h('p', { class: 'form-error', role: 'alert' }, message || '');
    const submit = h('button', { type: 'submit', class: 'btn primary' }, i18n.t('signin.submit'));
    // method=post: should the script fail and the browser submit the form
    // itself, the key goes in a body (refused by /ui/), never in the URL.
    const form = h('form', { class: 'signin', method: 'post', onsubmit: onSubmit },
      h('div', { class: 'signin-head' },
        h('img', { src: 'icon.svg', alt: '', width: 36, height: 36 }),
        h('h1', null, i18n.t('signin.title'))),
      field(i18n.t('signin.key'), input),
      h('p', { class: 'muted small' }, i18n.t('signin.hint')),
      msg,
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'link lang-switch' }, i18n.t('lang.switch')), submit));
    async function onSubmit(e) {
      e.preventDefault();
      // The key goes into this one request body and the field is emptied;
      // from here on the HttpOnly session cookie authenticates.
      const key = input.value;
      input.value = '';
      submit.disabled = true;
      try {
        await api.post('/session', { key }, { noRedirect: true });
        await enter();
      } catch (err) {
        msg.textContent = err.status === 401 ? i18n.t('signin.bad') : i18n.t('common.error') + err.message;
        submit.disabled = false;
        input.focus();
      }
    }
    clear(view).append(h('div', { class: 'signin-wrap' }, form));
    input.focus();
  }

  async function enter() {
    state.signedIn = true;
    top.hidden = false;
    translateChrome();
    if (!parseHash().name || !location.hash) history.replaceState(null, '', '#/overview');
    render();
  }

  document.addEventListener('click', e => {
    if (e.target.closest('.lang-switch')) {
      i18n.toggle();
      translateChrome();
      if (state.signedIn) render();
      else showSignIn();
    }
  });
  menu.addEventListener('click', () => {
    const open = nav.classList.toggle('open');
    menu.setAttribute('aria-expanded', String(open));
  });
  document.getElementById('sign-out').addEventListener('click', async () => {
    try {
      await api.del('/session');
    } catch {
      // the session is gone either way
    }
    showSignIn();
  });
  window.addEventListener('hashchange', render);

  translateChrome();
  api.get('/session', { noRedirect: true })
    .then(() => enter())
    .catch(() => showSignIn());
}

start();
