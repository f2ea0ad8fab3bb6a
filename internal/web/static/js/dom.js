// DOM helpers. Every piece of data reaches the page as a text node or an
// attribute value, never as markup: a model name or a log body holding
// "<script>" is shown as those characters (docs/admin-api.md says what
// the data is; nothing in it is trusted).

// h builds an element: h('a', {href: '#/x', class: 'c', onclick: fn}, 'text', child...).
// Children may be strings, numbers, nodes, arrays or null (skipped).
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

// s builds an SVG element the same way.
export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

function setAttrs(el, attrs) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') {
      el.addEventListener(k.slice(2), v);
    } else if (k === 'text') {
      el.textContent = String(v);
    } else if (k === 'value') {
      el.value = v;
    } else if (k === 'checked' || k === 'disabled' || k === 'hidden') {
      el[k] = Boolean(v);
    } else {
      el.setAttribute(k, v === true ? '' : String(v));
    }
  }
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

// clear empties an element.
export function clear(el) {
  el.replaceChildren();
  return el;
}

// table renders rows as a table in a horizontally scrolling box; columns
// are [{label, cell: row => node|string, class}]; onRow makes rows clickable.
export function table(columns, rows, opts = {}) {
  const head = h('tr', null, columns.map(c => h('th', { class: c.class }, c.label)));
  const body = rows.map(r => {
    const tr = h('tr', null, columns.map(c => h('td', { class: c.class, 'data-label': c.label }, c.cell(r))));
    if (opts.onRow) {
      tr.classList.add('clickable');
      tr.tabIndex = 0;
      tr.addEventListener('click', () => opts.onRow(r));
      tr.addEventListener('keydown', e => { if (e.key === 'Enter') opts.onRow(r); });
    }
    return tr;
  });
  const tbl = h('table', { class: 'tbl' + (opts.class ? ' ' + opts.class : '') }, h('thead', null, head), h('tbody', null, body));
  if (!rows.length && opts.empty) {
    return h('div', { class: 'table-wrap' }, tbl, h('p', { class: 'empty' }, opts.empty));
  }
  return h('div', { class: 'table-wrap' }, tbl);
}

// badge is a small coloured label: kind is ok, warn, bad or muted.
export function badge(text, kind) {
  return h('span', { class: 'badge ' + (kind || 'muted') }, text);
}

// field is a labelled form control.
export function field(label, control, hint) {
  return h('label', { class: 'field' }, h('span', { class: 'field-label' }, label), control, hint ? h('small', null, hint) : null);
}

// Formatting. Times come from the server as RFC 3339 in its configured
// zone; they are shown in that zone (the string's own wall clock), not
// converted to the browser's.
export function fmtTime(rfc) {
  if (!rfc) return '';
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})/.exec(rfc);
  return m ? m[1] + ' ' + m[2] : rfc;
}

export function fmtInt(n) {
  return Number(n || 0).toLocaleString('en-US');
}

// fmtCompact: 1234 -> 1.2K, for axes and cards.
export function fmtCompact(n) {
  const v = Number(n || 0);
  const a = Math.abs(v);
  if (a >= 1e9) return trim(v / 1e9) + 'B';
  if (a >= 1e6) return trim(v / 1e6) + 'M';
  if (a >= 1e3) return trim(v / 1e3) + 'K';
  return trim(v);
}

function trim(v) {
  return String(Number(v.toFixed(Math.abs(v) < 10 ? 2 : 1)));
}

// fmtCost shows a cost; null (no price applied) is a dash, never 0. Tiny
// costs keep two significant digits instead of rounding to 0.
export function fmtCost(v, currency) {
  if (v === null || v === undefined) return '—';
  const n = Number(v);
  const a = Math.abs(n);
  const text = a === 0 ? '0.00' : a < 0.01 ? String(Number(n.toPrecision(2))) : n.toFixed(a < 1 ? 4 : 2);
  return (currency === 'CNY' ? '¥' : currency === 'USD' || !currency ? '$' : currency + ' ') + text;
}

// fmtMs shows a duration; 0 is a dash (no value, as in a percentile of
// no rows). fmtLatency is for one request, where 0 means under 1 ms.
export function fmtMs(ms) {
  const v = Number(ms || 0);
  if (!v) return '—';
  return v >= 1000 ? (v / 1000).toFixed(v >= 10000 ? 1 : 2) + ' s' : Math.round(v) + ' ms';
}

export function fmtLatency(ms) {
  return Number(ms) === 0 ? '<1 ms' : fmtMs(ms);
}

export function fmtPct(part, whole) {
  if (!whole) return '0%';
  const p = (100 * part) / whole;
  return (p < 10 && p > 0 ? p.toFixed(1) : Math.round(p)) + '%';
}

// statusKind colours an HTTP status.
export function statusKind(code) {
  if (code >= 200 && code < 300) return 'ok';
  if (code === 429 || code === 499) return 'warn';
  return 'bad';
}

// prettyBody pretty-prints a JSON body, or returns the text as it is (a
// stream's body is server-sent events).
export function prettyBody(text) {
  if (!text) return '';
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}
