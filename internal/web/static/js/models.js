// Models: the catalog, aliases and routes; per provider, the upstream's
// list fetched now, filtered and ticked, and the chosen models added
// (/admin/api/models, docs/admin-api.md).
import { h, clear, table, badge, field, fmtTime } from './dom.js';
import { seg, qs } from './api.js';

export function render(root, ctx) {
  const { t } = ctx;
  const catalogBox = h('div', null, h('p', { class: 'muted' }, t('common.loading')));
  const upstreamBox = h('section', { class: 'panel' }, h('h2', null, t('mod.upstream')));
  const namesBox = h('div', { class: 'two-col' });
  root.append(h('div', { class: 'page-head' }, h('h1', null, t('mod.title'))), upstreamBox, catalogBox, namesBox);

  let have = new Set();

  async function load() {
    try {
      const [d, p] = await Promise.all([ctx.api.get('/models'), ctx.api.get('/providers')]);
      have = new Set((d.models || []).map(m => m.id));
      drawCatalog(d.models || []);
      drawNames(d.aliases || [], d.routes || []);
      if (!upstreamBox.querySelector('form')) upstreamBox.append(upstreamForm((p.providers || []).map(x => x.name)));
    } catch (err) {
      catalogBox.replaceChildren(h('p', { class: 'form-error' }, t('common.error') + err.message));
    }
  }

  function drawCatalog(list) {
    const filter = h('input', { type: 'search', placeholder: t('mod.filterCatalog'), class: 'filter', 'aria-label': t('mod.filterCatalog') });
    const tableBox = h('div');
    const remove = async m => {
      try {
        await ctx.api.del('/models/' + seg(m.provider) + '/' + m.model.split('/').map(seg).join('/'));
        load();
      } catch (err) {
        ctx.toast(t('common.error') + err.message, 'bad');
      }
    };
    const draw = () => {
      const q = filter.value.trim().toLowerCase();
      const rows = q ? list.filter(m => m.id.toLowerCase().includes(q)) : list;
      tableBox.replaceChildren(table([
        { label: t('mod.id'), cell: m => h('span', { class: 'name' }, m.id) },
        { label: t('mod.provider'), cell: m => m.provider },
        { label: t('mod.source'), cell: m => badge(m.source === 'catalog' ? t('mod.fromCatalog') : m.source === 'config' ? t('mod.fromConfig') : m.source,
          m.source === 'catalog' ? 'ok' : 'muted') },
        { label: t('mod.added'), cell: m => fmtTime(m.added_at), class: 'nowrap' },
        { label: '', cell: m => (m.source === 'catalog'
          ? h('button', { type: 'button', class: 'btn small', onclick: () => remove(m) }, t('mod.remove')) : '') },
      ], rows, { empty: t('mod.none') }));
    };
    filter.addEventListener('input', draw);
    draw();
    catalogBox.replaceChildren(h('section', { class: 'panel' },
      h('div', { class: 'panel-head' }, h('h2', null, t('mod.catalog') + ' (' + list.length + ')'), filter), tableBox));
  }

  function drawNames(aliases, routes) {
    namesBox.replaceChildren(
      h('section', { class: 'panel' }, h('h2', null, t('mod.aliases')),
        table([
          { label: t('mod.alias'), cell: a => h('span', { class: 'name' }, a.name) },
          { label: t('mod.target'), cell: a => h('code', null, a.target) },
        ], aliases, { empty: t('common.none') })),
      h('section', { class: 'panel' }, h('h2', null, t('mod.routes')),
        routes.length ? h('ul', { class: 'plain' }, routes.map(r => h('li', null, h('code', null, typeof r === 'string' ? r : r.name))))
          : h('p', { class: 'muted' }, t('common.none'))));
  }

  function upstreamForm(providers) {
    const provider = h('select', { name: 'provider' }, providers.map(p => h('option', { value: p }, p)));
    const match = h('input', { type: 'text', name: 'match', placeholder: 'gpt-4*', spellcheck: 'false' });
    const results = h('div');
    const fetchButton = h('button', { type: 'submit', class: 'btn primary' }, t('mod.fetch'));
    const form = h('form', { class: 'inline-form', onsubmit: fetchList },
      field(t('mod.provider'), provider), field(t('mod.match'), match), h('div', { class: 'filter-actions' }, fetchButton));

    async function fetchList(e) {
      e.preventDefault();
      fetchButton.disabled = true;
      results.replaceChildren(h('p', { class: 'muted' }, t('common.loading')));
      try {
        const d = await ctx.api.get('/models/' + seg(provider.value) + '/upstream' + qs({ match: match.value.trim() }));
        results.replaceChildren(picker(provider.value, d.data || []));
      } catch (err) {
        results.replaceChildren(h('p', { class: 'form-error' }, t('common.error') + err.message));
      } finally {
        fetchButton.disabled = false;
      }
    }
    return h('div', null, form, results);
  }

  // picker lists the upstream's models with a tick box each.
  function picker(prov, list) {
    const chosen = new Set();
    const filter = h('input', { type: 'search', class: 'filter', placeholder: t('mod.filter'), 'aria-label': t('mod.filter') });
    const listBox = h('div', { class: 'pick-list' });
    const add = h('button', { type: 'button', class: 'btn primary', disabled: true, onclick: addChosen }, t('mod.add', { n: 0 }));
    const update = () => {
      add.textContent = t('mod.add', { n: chosen.size });
      add.disabled = chosen.size === 0;
    };
    const visible = () => {
      const q = filter.value.trim().toLowerCase();
      return list.filter(m => !q || m.id.toLowerCase().includes(q));
    };
    const draw = () => {
      clear(listBox).append(...visible().map(m => {
        const inCatalog = have.has(prov + '/' + m.id);
        const box = h('input', { type: 'checkbox', value: m.id, checked: inCatalog || chosen.has(m.id), disabled: inCatalog,
          onchange: e => { if (e.target.checked) chosen.add(m.id); else chosen.delete(m.id); update(); } });
        return h('label', { class: 'pick' }, box, h('span', { class: 'name' }, m.id),
          inCatalog ? h('small', { class: 'muted' }, ' ' + t('mod.have')) : null,
          m.owned_by ? h('small', { class: 'muted' }, ' · ' + m.owned_by) : null);
      }));
    };
    const selectAll = h('button', { type: 'button', class: 'btn', onclick: () => {
      for (const m of visible()) if (!have.has(prov + '/' + m.id)) chosen.add(m.id);
      draw();
      update();
    } }, t('mod.selectAll'));
    async function addChosen() {
      add.disabled = true;
      try {
        await ctx.api.post('/models/' + seg(prov), { models: [...chosen] });
        ctx.toast(t('mod.added2', { n: chosen.size }), 'ok');
        chosen.clear();
        await load();
        draw();
      } catch (err) {
        ctx.toast(t('common.error') + err.message, 'bad');
      }
      update();
    }
    filter.addEventListener('input', draw);
    draw();
    return h('div', { class: 'picker' },
      h('p', { class: 'muted small' }, t('mod.fetched', { n: list.length })),
      h('div', { class: 'picker-bar' }, filter, selectAll, add), listBox);
  }

  load();
}
