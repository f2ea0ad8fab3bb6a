// Logs: the request log with filters, pages by id (next_before), live
// follow (after the newest id shown) and one row's detail with its bodies
// (GET /admin/api/logs, /admin/api/logs/{id}).
import { h, clear, table, badge, field, fmtTime, fmtInt, fmtLatency, fmtCost, statusKind, prettyBody } from './dom.js';
import { qs } from './api.js';

const filterNames = ['from', 'to', 'model', 'provider', 'client', 'status', 'request_id'];
const followEvery = 2000;

export function render(root, ctx, params) {
  const { t } = ctx;
  const filters = {};
  for (const k of filterNames) filters[k] = params.get(k) || '';
  // The API takes "2006-01-02 15:04" in the server's zone; the inputs
  // give "2006-01-02T15:04".
  const apiFilters = () => {
    const f = { ...filters };
    for (const k of ['from', 'to']) f[k] = f[k].replace('T', ' ');
    return f;
  };

  const inputs = {};
  const input = (k, type, extra) => (inputs[k] = h('input', { type, name: k, value: filters[k], ...extra }));
  const follow = h('input', { type: 'checkbox', name: 'follow' });
  const form = h('form', { class: 'filters', onsubmit: apply },
    field(t('logs.from'), input('from', 'datetime-local')),
    field(t('logs.to'), input('to', 'datetime-local')),
    field(t('logs.model'), input('model', 'text', { spellcheck: 'false' })),
    field(t('logs.provider'), input('provider', 'text', { spellcheck: 'false' })),
    field(t('logs.client'), input('client', 'text', { spellcheck: 'false' })),
    field(t('logs.status'), input('status', 'text', { placeholder: t('logs.statusHint'), size: 6 })),
    field(t('logs.requestId'), input('request_id', 'text', { spellcheck: 'false' })),
    h('div', { class: 'filter-actions' },
      h('button', { type: 'submit', class: 'btn primary' }, t('logs.apply')),
      h('button', { type: 'button', class: 'btn', onclick: () => ctx.go('#/logs') }, t('logs.reset')),
      h('label', { class: 'check' }, follow, t('logs.follow'))));

  const tableBox = h('div', null, h('p', { class: 'muted' }, t('common.loading')));
  const more = h('div', { class: 'more' });
  root.append(h('div', { class: 'page-head' }, h('h1', null, t('logs.title'))), h('section', { class: 'panel' }, form),
    h('section', { class: 'panel' }, tableBox, more));

  let rows = [];
  let nextBefore = 0;
  let timer = null;
  let closeDetail = null;

  function apply(e) {
    e.preventDefault();
    const q = {};
    for (const k of filterNames) q[k] = inputs[k].value.trim();
    ctx.go('#/logs' + qs(q));
  }

  const columns = [
    { label: t('logs.time'), cell: r => fmtTime(r.created_at), class: 'nowrap' },
    { label: t('logs.status'), cell: r => badge(String(r.status_code), statusKind(r.status_code)) },
    { label: t('logs.model'), cell: modelCell },
    { label: t('logs.provider'), cell: r => r.provider || '' },
    { label: t('logs.client'), cell: r => r.client || '' },
    { label: t('logs.tokens'), cell: r => fmtInt(r.prompt_tokens) + ' / ' + fmtInt(r.completion_tokens), class: 'num nowrap' },
    { label: t('logs.latency'), cell: r => fmtLatency(r.latency_ms), class: 'num nowrap' },
    { label: t('logs.ttft'), cell: r => (r.stream ? fmtLatency(r.ttft_ms) : '—'), class: 'num nowrap' },
    { label: t('common.cost'), cell: r => fmtCost(r.cost), class: 'num' },
    { label: t('logs.requestId'), cell: r => h('code', { class: 'rid' }, r.request_id || ''), class: 'nowrap' },
  ];

  function draw() {
    tableBox.replaceChildren(table(columns, rows, { onRow: r => openDetail(r.id), empty: t('logs.noRows'), class: 'logs' }));
    clear(more);
    if (nextBefore) more.append(h('button', { type: 'button', class: 'btn', onclick: older }, t('logs.older')));
    else if (rows.length) more.append(h('p', { class: 'muted small' }, t('logs.end')));
  }

  function fail(err) {
    tableBox.replaceChildren(h('p', { class: 'form-error' }, t('common.error') + err.message));
  }

  async function load() {
    try {
      const d = await ctx.api.get('/logs' + qs({ ...apiFilters(), limit: 50 }));
      rows = d.logs || [];
      nextBefore = d.next_before || 0;
      draw();
    } catch (err) {
      fail(err);
    }
  }

  async function older() {
    try {
      const d = await ctx.api.get('/logs' + qs({ ...apiFilters(), before: nextBefore, limit: 50 }));
      rows = rows.concat(d.logs || []);
      nextBefore = d.next_before || 0;
      draw();
    } catch (err) {
      ctx.toast(t('common.error') + err.message, 'bad');
    }
  }

  async function poll() {
    const newest = rows.reduce((m, r) => Math.max(m, r.id), 0);
    try {
      const d = await ctx.api.get('/logs' + qs({ ...apiFilters(), after: newest, limit: 200 }));
      const fresh = (d.logs || []).filter(r => r.id > newest);
      if (fresh.length) {
        rows = fresh.reverse().concat(rows);
        draw();
      }
    } catch (err) {
      ctx.toast(t('common.error') + err.message, 'bad');
    }
    if (follow.checked) timer = setTimeout(poll, followEvery);
  }

  follow.addEventListener('change', () => {
    clearTimeout(timer);
    if (follow.checked) poll();
  });

  async function openDetail(id) {
    if (closeDetail) closeDetail();
    const content = h('div', { class: 'drawer-body' }, h('p', { class: 'muted' }, t('common.loading')));
    const close = () => {
      overlay.remove();
      document.removeEventListener('keydown', onKey);
      closeDetail = null;
    };
    const onKey = e => { if (e.key === 'Escape') close(); };
    const overlay = h('div', { class: 'overlay drawer-overlay', onclick: e => { if (e.target === overlay) close(); } },
      h('aside', { class: 'drawer', role: 'dialog', 'aria-modal': 'true', 'aria-label': t('logs.detail') },
        h('div', { class: 'drawer-head' }, h('h2', null, t('logs.detail') + ' #' + id),
          h('button', { type: 'button', class: 'btn', onclick: close }, t('common.close'))),
        content));
    document.addEventListener('keydown', onKey);
    document.body.append(overlay);
    closeDetail = close;
    try {
      content.replaceChildren(...detail(await ctx.api.get('/logs/' + encodeURIComponent(id)), t));
    } catch (err) {
      content.replaceChildren(h('p', { class: 'form-error' }, t('common.error') + err.message));
    }
  }

  load();
  return () => {
    clearTimeout(timer);
    follow.checked = false;
    if (closeDetail) closeDetail();
  };
}

// modelCell shows the model asked for and, when a route or alias sent
// the request elsewhere, the upstream model it became.
function modelCell(r) {
  const asked = r.requested_model || '';
  const sent = r.upstream_model || '';
  return h('span', { class: 'name' }, asked || sent,
    sent && asked && sent !== asked ? h('span', { class: 'muted small' }, ' → ' + sent) : null);
}

function detail(r, t) {
  const rows = [
    [t('logs.time'), fmtTime(r.created_at)],
    [t('logs.requestId'), r.request_id],
    [t('logs.status'), badge(String(r.status_code), statusKind(r.status_code))],
    [t('logs.path'), ((r.method || '') + ' ' + (r.path || '')).trim()],
    [t('logs.format'), r.inbound_format],
    [t('logs.model'), r.requested_model],
    [t('logs.upstreamModel'), r.upstream_model],
    [t('logs.provider'), r.provider],
    [t('logs.key'), r.key_hint],
    [t('logs.client'), r.client],
    [t('logs.clientKey'), r.client_key_hint],
    [t('logs.route'), r.route],
    [t('logs.tried'), r.tried],
    [t('logs.attempts'), r.attempts],
    [t('logs.stream'), r.stream ? '✓' : '—'],
    [t('logs.latency'), fmtLatency(r.latency_ms)],
    [t('logs.ttft'), r.stream ? fmtLatency(r.ttft_ms) : '—'],
    [t('logs.tokens'), fmtInt(r.prompt_tokens) + ' / ' + fmtInt(r.completion_tokens)],
    [t('logs.cache'), fmtInt(r.cache_read_tokens) + ' / ' + fmtInt(r.cache_write_tokens)],
    [t('logs.reasoning'), fmtInt(r.reasoning_tokens)],
    [t('common.cost'), fmtCost(r.cost)],
    [t('logs.bytes'), fmtInt(r.request_bytes) + ' / ' + fmtInt(r.response_bytes)],
    [t('logs.ip'), r.client_ip],
    [t('logs.error'), r.error],
  ].filter(([, v]) => v !== '' && v !== undefined && v !== null);
  const dl = h('dl', { class: 'kv' }, rows.map(([k, v]) => [h('dt', null, k), h('dd', null, v)]));
  const body = (label, text) => h('section', { class: 'body-block' }, h('h3', null, label),
    text ? h('pre', { class: 'body' }, prettyBody(text)) : h('p', { class: 'muted small' }, t('logs.noBody')));
  return [dl, body(t('logs.requestBody'), r.request_body), body(t('logs.responseBody'), r.response_body)];
}
