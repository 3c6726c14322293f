"""What a reader of a finished lab page cannot read, found in the real page in Chromium.

Shared by the layout browser test and by hand: `problems(page)` lists, in words,
- text cut with an ellipsis (a metric label such as "Largest spectral radius over gate …"),
- tabs pushed out of sight by the tab row ("Theory" or "Export" off its right end),
- in every Plotly figure, an annotation over another annotation, over a bar's value label or
  under the legend or the title, a legend over the x-axis title, a y-axis title taller than
  its plot running into the title, and a drawn line through an
  annotation's text (the GRU line through "marked symbol").
"""
from __future__ import annotations

_PROBLEMS_JS = """() => {
  const out = [];
  const main = document.querySelector("[data-testid='stMain']");
  const r = el => el.getBoundingClientRect();
  const shown = el => { const b = r(el); return b.width > 0 && b.height > 0; };
  const overlap = (a, b, s = 1) =>
    Math.min(a.right, b.right) - Math.max(a.left, b.left) > s &&
    Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > s;
  const inside = (p, b, s = 1) =>
    p.x > b.left + s && p.x < b.right - s && p.y > b.top + s && p.y < b.bottom - s;
  const text = el => (el.textContent || '').trim().slice(0, 60);

  for (const el of main.querySelectorAll('*')) {
    if (!el.childElementCount && shown(el) && el.scrollWidth > el.clientWidth + 1 &&
        getComputedStyle(el).textOverflow === 'ellipsis')
      out.push(`text cut short: "${text(el)}"`);
  }
  for (const list of main.querySelectorAll("[role='tablist']")) {
    const box = r(list);
    for (const tab of list.querySelectorAll("[role='tab']"))
      if (r(tab).right > box.right + 1 || r(tab).left < box.left - 1)
        out.push(`tab out of sight: "${text(tab)}"`);
  }
  main.querySelectorAll('.js-plotly-plot').forEach((fig, i) => {
    const title = text(fig.querySelector('.gtitle') || fig) || `figure ${i + 1}`;
    const where = `in "${title}"`;
    const notes = [...fig.querySelectorAll('.annotation-text-g')].filter(shown)
      .map(g => ({box: r(g), text: text(g)})).filter(a => a.text);
    const labels = [...fig.querySelectorAll('.bartext, .textpoint text')].filter(shown)
      .map(el => ({box: r(el), text: text(el)}));
    const head = fig.querySelector('.gtitle');
    const legend = fig.querySelector('.legend .bg');
    const xtitle = fig.querySelector('.g-xtitle text');
    notes.forEach((a, j) => {
      notes.slice(j + 1).forEach(b => { if (overlap(a.box, b.box))
        out.push(`${where}: annotations "${a.text}" and "${b.text}" overlap`); });
      labels.forEach(l => { if (overlap(a.box, l.box))
        out.push(`${where}: annotation "${a.text}" covers the label "${l.text}"`); });
      if (head && shown(head) && overlap(a.box, r(head)))
        out.push(`${where}: the title covers annotation "${a.text}"`);
      if (legend && shown(legend) && overlap(a.box, r(legend)))
        out.push(`${where}: the legend covers annotation "${a.text}"`);
    });
    const ytitle = fig.querySelector('.g-ytitle text');
    if (head && ytitle && shown(head) && overlap(r(head), r(ytitle)))
      out.push(`${where}: the y-axis title runs into the title`);
    if (legend && xtitle && shown(legend) && overlap(r(legend), r(xtitle)))
      out.push(`${where}: the legend covers the x-axis title`);
    // A line through an annotation's text: sample each drawn line in screen coordinates.
    for (const path of fig.querySelectorAll('.scatterlayer path.js-line')) {
      if (!shown(path) || getComputedStyle(path).opacity === '0') continue;
      const m = path.getScreenCTM(), len = path.getTotalLength();
      if (!m || !len) continue;
      const g = path.closest('.trace'), cd = g && g.__data__;
      const trace = (cd && cd[0] && cd[0].trace && cd[0].trace.name) || 'a line';
      const steps = Math.min(2000, Math.ceil(len / 2));
      for (const a of notes) {
        for (let k = 0; k <= steps; k++) {
          const q = path.getPointAtLength(len * k / steps);
          const p = {x: m.a * q.x + m.c * q.y + m.e, y: m.b * q.x + m.d * q.y + m.f};
          if (inside(p, a.box, 2)) {
            out.push(`${where}: the line of ${trace} runs through "${a.text}"`); break;
          }
        }
      }
    }
  });
  return [...new Set(out)];
}"""


def problems(page) -> list[str]:
    """Everything on the page a reader cannot read whole, in words (empty when none)."""
    return page.evaluate(_PROBLEMS_JS)
