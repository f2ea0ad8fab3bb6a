// Providers: each provider's keys (hint and state), its "test keys"
// button, and the routes with their targets' health
// (GET /admin/api/providers, POST /admin/api/providers/{name}/test).
import { h, table, badge, fmtTime, fmtLatency } from './dom.js';
import { seg } from './api.js';

export function render(root, ctx) {
  const { t } = ctx;
  const body = h('div', null, h('p', { class: 'muted' }, t('common.loading')));
  root.append(h('div', { class: 'page-head' }, h('h1', null, t('prov.title')),
    h('button', { type: 'button', class: 'btn', onclick: () => ctx.go('#/providers') }, t('common.refresh'))), body);

  ctx.api.get('/providers').then(d => {
    body.replaceChildren(...(d.providers || []).map(p => providerPanel(p, ctx)), routesPanel(d.routes || [], t));
  }).catch(err => body.replaceChildren(h('p', { class: 'form-error' }, t('common.error') + err.message)));
}

function keyState(k, t) {
  if (k.state === 'cooling') return badge(t('prov.cooling'), 'warn');
  if (k.state === 'set_aside') return badge(t('prov.setAside'), 'bad');
  return badge(t('prov.ok'), 'ok');
}

// testLabels name the outcomes of a key test (the server's "result").
const testLabels = { ok: 'prov.ok', unauthorized: 'prov.unauthorized', 'rate-limited': 'prov.rateLimited', unreachable: 'prov.unreachable' };

function providerPanel(p, ctx) {
  const { t } = ctx;
  const keysBox = h('div');
  const results = h('div');
  const button = h('button', { type: 'button', class: 'btn test-keys', onclick: test }, t('prov.test'));
  const drawKeys = keys => keysBox.replaceChildren(table([
    { label: t('prov.key'), cell: k => h('code', null, k.hint || '') },
    { label: t('prov.state'), cell: k => keyState(k, t) },
    { label: t('prov.until'), cell: k => fmtTime(k.until), class: 'nowrap' },
    { label: t('prov.lastError'), cell: k => h('span', { class: 'wrap' }, k.last_error || '') },
  ], keys || [], { empty: t('common.none') }));
  async function test() {
    button.disabled = true;
    button.textContent = t('prov.testing');
    try {
      const d = await ctx.api.post('/providers/' + seg(p.name) + '/test');
      results.replaceChildren(h('h3', null, t('prov.testResults')), table([
        { label: t('prov.key'), cell: r => h('code', null, r.hint || '') },
        { label: t('prov.state'), cell: r => badge(t(testLabels[r.result] || (r.ok ? 'prov.ok' : 'prov.fail')), r.ok ? 'ok' : 'bad') },
        { label: t('prov.status'), cell: r => (r.status ? String(r.status) : '—'), class: 'num' },
        { label: t('prov.latency'), cell: r => fmtLatency(r.latency_ms), class: 'num' },
        { label: t('prov.lastError'), cell: r => h('span', { class: 'wrap' }, r.error || '') },
      ], d.results || [], { class: 'test-results' }));
      // A test may set a key aside or restore it: show the keys' state now.
      const now = await ctx.api.get('/providers');
      const mine = (now.providers || []).find(x => x.name === p.name);
      if (mine) drawKeys(mine.keys);
    } catch (err) {
      results.replaceChildren(h('p', { class: 'form-error' }, t('common.error') + err.message));
    } finally {
      button.disabled = false;
      button.textContent = t('prov.test');
    }
  }
  const facts = [
    [t('prov.type'), p.type], [t('prov.baseURL'), p.base_url], [t('prov.strategy'), p.strategy],
    [t('prov.responses'), p.responses], [t('prov.models'), String(p.models ?? '')],
  ].filter(([, v]) => v);
  drawKeys(p.keys);
  return h('section', { class: 'panel provider', 'data-provider': p.name },
    h('div', { class: 'panel-head' }, h('h2', null, p.name), button),
    h('dl', { class: 'facts' }, facts.map(([k, v]) => h('div', null, h('dt', null, k), h('dd', null, v)))),
    keysBox,
    results);
}

function routesPanel(routes, t) {
  const target = tg => h('div', { class: 'target' },
    h('code', null, tg.target),
    tg.weight ? h('span', { class: 'muted small' }, ' ×' + tg.weight + ' ') : ' ',
    tg.healthy === false || tg.ejected_until
      ? badge(t('prov.ejected', { t: fmtTime(tg.ejected_until) }), 'bad')
      : badge(t('prov.healthy'), 'ok'));
  return h('section', { class: 'panel' }, h('h2', null, t('prov.routes')),
    routes.length
      ? table([
        { label: t('common.name'), cell: r => h('span', { class: 'name' }, r.name) },
        { label: t('prov.strategy'), cell: r => r.strategy || '' },
        { label: t('prov.targets'), cell: r => (r.targets || []).map(target) },
      ], routes)
      : h('p', { class: 'muted' }, t('prov.noRoutes')));
}
