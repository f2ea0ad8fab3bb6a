// Small SVG charts drawn here rather than by a vendored library: the
// overview needs four plain time series, a few dozen lines of SVG do it,
// and the page stays free of third-party code (its CSP allows only this
// origin's scripts). Each bucket has a native tooltip (an SVG <title>).
import { h, s } from './dom.js';

export const colors = ['#2f6fed', '#e5484d', '#12a594', '#f59e0b', '#8e4ec6'];

// niceStep rounds a raw tick step to 1, 2 or 5 times a power of ten.
function niceStep(raw) {
  const p = Math.pow(10, Math.floor(Math.log10(raw)));
  const m = raw / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

// chart draws into box (replacing its content) at the box's width.
// opts: {labels: [string], series: [{name, values, kind: 'line'|'bar', color}],
// format: value -> string (tooltip, and axis unless axis is given),
// xLabel: label -> short string}.
export function chart(box, opts) {
  const width = Math.max(260, Math.floor(box.clientWidth || 600));
  const height = width < 500 ? 170 : 200;
  const m = { l: 52, r: 10, t: 10, b: 24 };
  const pw = width - m.l - m.r;
  const ph = height - m.t - m.b;
  const n = opts.labels.length || 1;
  const fmt = opts.format || String;
  const axis = v => (v === 0 ? '0' : (opts.axis || fmt)(v));
  const xLabel = opts.xLabel || (x => x);

  let max = 0;
  for (const sr of opts.series) for (const v of sr.values) max = Math.max(max, Number(v) || 0);
  const step = max > 0 ? niceStep(max / 4) : 1;
  const top = max > 0 ? Math.ceil(max / step) * step : 4;
  const y = v => m.t + ph - (ph * (Number(v) || 0)) / top;
  const slot = pw / n;
  const x = i => m.l + slot * (i + 0.5);

  const svg = s('svg', { class: 'chart', width, height, viewBox: `0 0 ${width} ${height}`, role: 'img' });
  for (let v = 0; v <= top + step / 2; v += step) {
    svg.append(s('line', { x1: m.l, x2: width - m.r, y1: y(v), y2: y(v), class: 'grid' }));
    svg.append(s('text', { x: m.l - 6, y: y(v) + 4, 'text-anchor': 'end', class: 'axis' }, axis(v)));
  }
  const every = Math.max(1, Math.ceil(n / Math.max(2, Math.floor(pw / 80))));
  for (let i = 0; i < n; i += every) {
    svg.append(s('text', { x: x(i), y: height - 6, 'text-anchor': 'middle', class: 'axis' }, xLabel(opts.labels[i] || '')));
  }

  const bars = opts.series.filter(sr => sr.kind === 'bar');
  opts.series.forEach((sr, k) => {
    const color = sr.color || colors[k % colors.length];
    if (sr.kind === 'bar') {
      // Bars of one bucket overlap, the later series in front (errors
      // drawn over requests): they are parts of the same total.
      const bw = Math.max(1, slot * (bars.length > 1 ? 0.7 : 0.6));
      sr.values.forEach((v, i) => {
        if (!v) return;
        svg.append(s('rect', { x: x(i) - bw / 2, y: y(v), width: bw, height: Math.max(0.5, m.t + ph - y(v)), fill: color }));
      });
      return;
    }
    const pts = sr.values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
    if (sr.values.length === 1) {
      svg.append(s('circle', { cx: x(0), cy: y(sr.values[0]), r: 3, fill: color }));
    } else {
      svg.append(s('polyline', { points: pts, fill: 'none', stroke: color, 'stroke-width': 1.8, 'stroke-linejoin': 'round' }));
    }
  });

  // One transparent column per bucket carries its tooltip.
  for (let i = 0; i < n; i++) {
    const tip = [opts.labels[i] || ''].concat(opts.series.map(sr => `${sr.name}: ${fmt(sr.values[i] || 0)}`)).join('\n');
    svg.append(s('rect', { x: m.l + slot * i, y: m.t, width: slot, height: ph, class: 'hover' }, s('title', null, tip)));
  }
  svg.append(s('line', { x1: m.l, x2: width - m.r, y1: m.t + ph, y2: m.t + ph, class: 'axis-line' }));

  const legend = h('div', { class: 'legend' }, opts.series.map((sr, k) =>
    h('span', null,
      s('svg', { width: 10, height: 10, 'aria-hidden': 'true' }, s('rect', { width: 10, height: 10, rx: 2, fill: sr.color || colors[k % colors.length] })),
      sr.name)));
  box.replaceChildren(svg, legend);
}
