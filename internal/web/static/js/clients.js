// Clients: the client keys with their limits and usage in the period;
// create (the key shown once), disable/enable, rotate, delete
// (/admin/api/clients, docs/admin-api.md).
import { h, clear, table, badge, field, fmtTime, fmtInt, fmtCost } from './dom.js';
import { seg } from './api.js';

export function render(root, ctx) {
  const { t } = ctx;
  const keyBox = h('div');
  const formBox = h('div');
  const listBox = h('div', null, h('p', { class: 'muted' }, t('common.loading')));
  const newButton = h('button', { type: 'button', class: 'btn primary', onclick: toggleForm }, t('cl.new'));
  root.append(h('div', { class: 'page-head' }, h('h1', null, t('cl.title')), newButton), keyBox, formBox, listBox);

  function toggleForm() {
    if (formBox.firstChild) clear(formBox);
    else formBox.append(createForm());
  }

  // showKey shows a key once. It lives only in this box's DOM and is
  // dropped when the box is closed or the page is left.
  function showKey(name, key) {
    // Shown as wrapping text (a phone sees all of it), selected whole on a click.
    const out = h('code', { class: 'key-out', 'aria-label': t('cl.keyFor', { name }) }, key);
    const selectKey = () => {
      const range = document.createRange();
      range.selectNodeContents(out);
      const sel = window.getSelection();
      sel.removeAllRanges();
      sel.addRange(range);
    };
    out.addEventListener('click', selectKey);
    const copy = h('button', { type: 'button', class: 'btn', onclick: async () => {
      selectKey();
      try {
        await navigator.clipboard.writeText(key);
      } catch {
        document.execCommand('copy'); // a page without clipboard access copies the selection
      }
      copy.textContent = t('cl.copied');
    } }, t('cl.copy'));
    keyBox.replaceChildren(h('section', { class: 'panel key-once', role: 'alert' },
      h('h2', null, t('cl.keyFor', { name })),
      h('p', { class: 'warn-text' }, t('cl.keyOnce')),
      h('div', { class: 'key-row' }, out, copy),
      h('div', { class: 'actions' }, h('button', { type: 'button', class: 'btn', onclick: () => clear(keyBox) }, t('cl.saved')))));
    selectKey();
  }

  function createForm() {
    const f = {
      name: h('input', { type: 'text', name: 'name', required: true, spellcheck: 'false', autocomplete: 'off' }),
      models: h('input', { type: 'text', name: 'models', placeholder: 'openai/*, claude-*', spellcheck: 'false' }),
      rpm: h('input', { type: 'number', name: 'rpm', min: 0, step: 1 }),
      tpm: h('input', { type: 'number', name: 'tpm', min: 0, step: 1 }),
      budget: h('input', { type: 'number', name: 'budget', min: 0, step: 'any' }),
      period: h('select', { name: 'period' }, ['month', 'week', 'day', 'total'].map(p => h('option', { value: p }, t('cl.' + p)))),
      expires: h('input', { type: 'date', name: 'expires' }),
      note: h('input', { type: 'text', name: 'note' }),
    };
    const msg = h('p', { class: 'form-error', role: 'alert' });
    const form = h('form', { class: 'panel grid-form', onsubmit: submit },
      h('h2', null, t('cl.new')),
      field(t('cl.name'), f.name),
      field(t('cl.models'), f.models, t('cl.modelsHint')),
      field(t('cl.rpm'), f.rpm, t('cl.limitsHint')),
      field(t('cl.tpm'), f.tpm, t('cl.limitsHint')),
      field(t('cl.budget'), f.budget, t('cl.limitsHint')),
      field(t('cl.period'), f.period),
      field(t('cl.expires'), f.expires),
      field(t('cl.note'), f.note),
      msg,
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'btn', onclick: () => clear(formBox) }, t('common.cancel')),
        h('button', { type: 'submit', class: 'btn primary' }, t('cl.create'))));
    async function submit(e) {
      e.preventDefault();
      const body = {
        name: f.name.value.trim(),
        models: f.models.value.split(',').map(s => s.trim()).filter(Boolean),
        rpm: Number(f.rpm.value) || 0,
        tpm: Number(f.tpm.value) || 0,
        note: f.note.value.trim(),
      };
      if (Number(f.budget.value) > 0) {
        body.budget = Number(f.budget.value);
        body.period = f.period.value;
      }
      if (f.expires.value) body.expires = f.expires.value;
      try {
        const d = await ctx.api.post('/clients', body);
        clear(formBox);
        showKey(d.client ? d.client.name : body.name, d.key);
        ctx.toast(t('cl.created', { name: body.name }), 'ok');
        load();
      } catch (err) {
        msg.textContent = t('common.error') + err.message;
      }
    }
    setTimeout(() => f.name.focus());
    return form;
  }

  async function act(c, what) {
    try {
      if (what === 'delete') {
        if (!(await ctx.confirm(t('cl.confirmDelete', { name: c.name }), t('cl.delete')))) return;
        await ctx.api.del('/clients/' + seg(c.name));
      } else if (what === 'rotate') {
        if (!(await ctx.confirm(t('cl.confirmRotate', { name: c.name }), t('cl.rotate')))) return;
        const d = await ctx.api.post('/clients/' + seg(c.name) + '/rotate');
        showKey(c.name, d.key);
      } else {
        await ctx.api.post('/clients/' + seg(c.name) + '/' + what);
      }
      load();
    } catch (err) {
      ctx.toast(t('common.error') + err.message, 'bad');
    }
  }

  const limits = c => {
    const parts = [];
    if (c.rpm) parts.push(fmtInt(c.rpm) + ' RPM');
    if (c.tpm) parts.push(fmtInt(c.tpm) + ' TPM');
    if (c.budget !== null && c.budget !== undefined) parts.push(fmtCost(c.budget) + ' ' + t('cl.' + (c.period || 'total')));
    return parts.length ? parts.join(' · ') : h('span', { class: 'muted' }, t('common.none'));
  };
  const usage = c => {
    const u = c.usage || {};
    const spend = fmtCost(u.spend || 0) + (c.budget !== null && c.budget !== undefined ? ' / ' + fmtCost(c.budget) : '');
    return h('div', null,
      h('div', null, spend + ' · ' + fmtInt(u.requests) + ' ' + t('common.requests')),
      u.period_start ? h('div', { class: 'muted small' }, t('cl.since', { t: fmtTime(u.period_start) })) : null);
  };
  // The server says the state (active, disabled, expired); its clock
  // decides expiry, not the browser's.
  const stateOf = c => {
    const state = c.state || (c.disabled ? 'disabled' : 'active');
    if (state === 'disabled') return badge(t('cl.disabled'), 'bad');
    if (state === 'expired') return badge(t('cl.expired'), 'warn');
    return badge(t('cl.active'), 'ok');
  };
  const actions = c => h('div', { class: 'row-actions' },
    h('button', { type: 'button', class: 'btn small', 'data-action': c.disabled ? 'enable' : 'disable', onclick: () => act(c, c.disabled ? 'enable' : 'disable') },
      t(c.disabled ? 'cl.enable' : 'cl.disable')),
    h('button', { type: 'button', class: 'btn small', 'data-action': 'rotate', onclick: () => act(c, 'rotate') }, t('cl.rotate')),
    h('button', { type: 'button', class: 'btn small danger', 'data-action': 'delete', onclick: () => act(c, 'delete') }, t('cl.delete')));

  const columns = [
    { label: t('cl.name'), cell: c => h('span', { class: 'name' }, c.name), class: 'client-name' },
    { label: t('cl.keyHint'), cell: c => h('code', null, c.key_hint || ''), class: 'nowrap' },
    { label: t('cl.models'), cell: c => ((c.models || []).length ? c.models.join(', ') : h('span', { class: 'muted' }, t('common.all'))) },
    { label: t('cl.limits'), cell: limits },
    { label: t('cl.usage'), cell: usage },
    { label: t('cl.expires'), cell: c => (c.expires_at ? fmtTime(c.expires_at).slice(0, 10) : h('span', { class: 'muted' }, t('common.never'))), class: 'nowrap' },
    { label: t('cl.state'), cell: stateOf },
    { label: t('cl.note'), cell: c => c.note || '' },
    { label: t('cl.actions'), cell: actions },
  ];

  async function load() {
    try {
      const d = await ctx.api.get('/clients');
      listBox.replaceChildren(h('section', { class: 'panel' },
        table(columns, d.clients || [], { empty: t('cl.noClients'), class: 'clients' })));
      for (const [i, c] of (d.clients || []).entries()) {
        listBox.querySelectorAll('tbody tr')[i].dataset.client = c.name;
      }
    } catch (err) {
      listBox.replaceChildren(h('p', { class: 'form-error' }, t('common.error') + err.message));
    }
  }
  load();
  return () => clear(keyBox);
}
