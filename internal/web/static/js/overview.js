// Overview: totals, four charts over time and the top models, providers
// and clients for the chosen range (GET /admin/api/overview).
import { h, table, fmtInt, fmtCompact, fmtCost, fmtMs, fmtLatency, fmtPct } from './dom.js';
import { chart, colors } from './chart.js';

const ranges = ['1h', '24h', '7d', '30d'];

// xLabel shortens a bucket's start time for the axis: the clock for a day
// or less, the date and hour beyond.
function xLabeler(range) {
  return t => {
    const m = /^\d{4}-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(t || '');
    if (!m) return t || '';
    if (range === '1h' || range === '24h') return `${m[3]}:${m[4]}`;
    if (range === '7d') return `${m[1]}-${m[2]} ${m[3]}h`;
    return `${m[1]}-${m[2]}`;
  };
}

export function render(root, ctx, params) {
  const { t } = ctx;
  const range = ranges.includes(params.get('range')) ? params.get('range') : '24h';
  const rangeBar = h('div', { class: 'segmented', role: 'group', 'aria-label': t('ov.range') },
    ranges.map(r => h('a', { href: '#/overview?range=' + r, class: r === range ? 'active' : null }, t('ov.' + r))));
  const body = h('div', null, h('p', { class: 'muted' }, t('common.loading')));
  root.append(h('div', { class: 'page-head' }, h('h1', null, t('ov.title')), rangeBar), body);

  let data = null;
  const charts = [];
  const onResize = () => {
    clearTimeout(onResize.timer);
    onResize.timer = setTimeout(() => charts.forEach(([box, opts]) => chart(box, opts)), 120);
  };
  window.addEventListener('resize', onResize);

  ctx.api.get('/overview?range=' + range).then(d => {
    data = d;
    draw();
  }).catch(err => body.replaceChildren(h('p', { class: 'form-error' }, t('common.error') + err.message)));

  function draw() {
    const tot = data.totals || {};
    const cur = data.currency;
    const series = data.series || [];
    const tokens = (tot.prompt_tokens || 0) + (tot.completion_tokens || 0);
    const cards = h('div', { class: 'cards' },
      card(t('ov.requests'), fmtInt(tot.requests), null),
      card(t('ov.errorRate'), fmtPct(tot.errors, tot.requests), t('ov.errorsSub', { n: fmtInt(tot.errors) }), tot.errors ? 'bad' : null),
      card(t('ov.tokens'), fmtCompact(tokens), t('ov.tokensSub', { in: fmtCompact(tot.prompt_tokens), out: fmtCompact(tot.completion_tokens) })),
      card(t('ov.cost'), fmtCost(tot.cost, cur), tot.unpriced ? t('ov.unpriced', { n: fmtInt(tot.unpriced) }) : null),
      // With requests, a latency of 0 is under a millisecond; a TTFT of 0
      // may also mean no stream, so it stays a dash.
      card(t('ov.latency'), tot.requests ? fmtLatency(tot.latency_p50_ms) : '—', 'p95 ' + (tot.requests ? fmtLatency(tot.latency_p95_ms) : '—')),
      card(t('ov.ttft'), fmtMs(tot.ttft_p50_ms), 'p95 ' + fmtMs(tot.ttft_p95_ms)));

    const labels = series.map(p => p.t);
    const col = k => series.map(p => p[k] || 0);
    const xLabel = xLabeler(data.range || range);
    const specs = [
      [t('ov.chartRequests'), { series: [
        { name: t('ov.requests'), values: col('requests'), kind: 'bar', color: colors[0] },
        { name: t('common.errors'), values: col('errors'), kind: 'bar', color: colors[1] }], format: fmtCompact }],
      [t('ov.chartTokens'), { series: [
        { name: t('ov.prompt'), values: col('prompt_tokens'), color: colors[0] },
        { name: t('ov.completion'), values: col('completion_tokens'), color: colors[2] }], format: fmtCompact }],
      [t('ov.chartCost'), { series: [{ name: t('ov.cost'), values: col('cost'), color: colors[3] }],
        format: v => fmtCost(v, cur), axis: v => fmtCost(v, cur).replace(/\.?0+$/, '') }],
      [t('ov.chartLatency'), { series: [
        { name: t('ov.latP50'), values: col('latency_p50_ms'), color: colors[0] },
        { name: t('ov.latP95'), values: col('latency_p95_ms'), color: '#7aa2f7' },
        { name: t('ov.ttftP50'), values: col('ttft_p50_ms'), color: colors[2] },
        { name: t('ov.ttftP95'), values: col('ttft_p95_ms'), color: '#6fd3c3' }], format: fmtMs }],
    ];
    const chartGrid = h('div', { class: 'chart-grid' });
    charts.length = 0;
    for (const [title, opts] of specs) {
      const box = h('div', { class: 'chart-box' });
      chartGrid.append(h('section', { class: 'panel' }, h('h2', null, title), box));
      charts.push([box, { ...opts, labels, xLabel }]);
    }

    const topCols = (nameLabel, staticName) => [
      { label: nameLabel, cell: r => (r.name === '' && staticName ? h('span', { class: 'muted' }, staticName) : r.name), class: 'name' },
      { label: t('common.requests'), cell: r => fmtInt(r.requests), class: 'num' },
      { label: t('common.errors'), cell: r => fmtInt(r.errors), class: 'num' },
      { label: t('common.tokens'), cell: r => fmtCompact(r.tokens), class: 'num' },
      { label: t('common.cost'), cell: r => fmtCost(r.cost, cur), class: 'num' },
    ];
    const tops = h('div', { class: 'top-grid' },
      h('section', { class: 'panel' }, h('h2', null, t('ov.topModels')),
        table(topCols(t('logs.model'), t('ov.unresolved')), data.top_models || [], { empty: t('common.empty') })),
      h('section', { class: 'panel' }, h('h2', null, t('ov.topProviders')),
        table(topCols(t('logs.provider'), t('ov.unresolved')), data.top_providers || [], { empty: t('common.empty') })),
      h('section', { class: 'panel' }, h('h2', null, t('ov.topClients')),
        table(topCols(t('logs.client'), t('ov.staticKeys')), data.top_clients || [], { empty: t('common.empty') })));
    body.replaceChildren(cards, chartGrid, tops);
    // Charts take their width from the laid-out box.
    charts.forEach(([box, opts]) => chart(box, opts));
  }

  return () => {
    window.removeEventListener('resize', onResize);
    clearTimeout(onResize.timer);
  };
}

function card(label, value, sub, kind) {
  return h('div', { class: 'card' + (kind ? ' ' + kind : '') },
    h('div', { class: 'card-label' }, label),
    h('div', { class: 'card-value' }, value),
    sub ? h('div', { class: 'card-sub' }, sub) : null);
}
