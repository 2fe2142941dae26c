// bench/chart.svg: bars per metric, each contender normalised to tini.
import { f1, kib, rx } from './report.mjs'

function esc(s) {
  return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

/** Bars per metric, each contender normalised to tini, on a log scale. */
export function chartSvg(res) {
  const { summary: s, list, machine: m } = res
  const metrics = [
    ['startupMs', 'start-up', (v) => `${f1(v, 1)} ms`],
    ['rssAnonKiB', 'RssAnon', kib],
    ['hwmKiB', 'peak RSS', kib],
    ['wakeups', 'idle wake-ups', (v) => `${f1(v, 1)}/s`],
    ['drainMs', 'storm drain', (v) => `${f1(v, 2)} ms`],
    ['burstDrainMs', 'burst drain', (v) => `${f1(v, 0)} ms`],
    ['sigP50Us', 'signal p50', (v) => `${f1(v, 0)} µs`],
    ['sigP99Us', 'signal p99', (v) => `${f1(v, 0)} µs`],
  ]
  const colors = { floor: '#9e9e9e', tini: '#1f77b4', 'dumb-init': '#ff7f0e', catatonit: '#2ca02c', 'tini-ts': '#d62728' }
  const tini = s.tini ?? {}
  const lo = -2
  const hi = 3 // 0.01x .. 1000x
  const W = 980
  const H = 460
  const left = 60
  const top = 50
  const plotH = 300
  const groupW = (W - left - 20) / metrics.length
  const barW = Math.min(18, (groupW - 16) / list.length)
  const y = (r) => top + plotH - ((Math.log10(r) - lo) / (hi - lo)) * plotH
  const o = []
  o.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`)
  o.push(`<rect width="${W}" height="${H}" fill="#fff"/>`)
  o.push(`<text x="${W / 2}" y="20" text-anchor="middle" font-size="15" font-weight="bold">tini-ts benchmarks: each contender ÷ tini (log scale, lower is better)</text>`)
  o.push(`<text x="${W / 2}" y="37" text-anchor="middle" fill="#555">${esc(`${m.date.slice(0, 10)} · ${m.nproc} CPUs · ${m.cpu} · ${m.kernel}`)}</text>`)
  for (let e = lo; e <= hi; e++) {
    const yy = y(10 ** e)
    o.push(`<line x1="${left}" x2="${W - 20}" y1="${yy}" y2="${yy}" stroke="${e === 0 ? '#333' : '#ddd'}" ${e === 0 ? 'stroke-dasharray="4 3"' : ''}/>`)
    o.push(`<text x="${left - 6}" y="${yy + 4}" text-anchor="end">${10 ** e}x</text>`)
  }
  metrics.forEach(([k, label, fmt], gi) => {
    const gx = left + gi * groupW + 8
    list.forEach((c, ci) => {
      const v = s[c.key]?.[k]
      const x = gx + ci * barW
      if (!Number.isFinite(v)) return
      const base = tini[k]
      let r = base > 0 ? v / base : NaN
      const title = `${c.key} ${label}: ${fmt(v)}${Number.isFinite(r) ? ` (${rx(r)} tini)` : ''}`
      if (!(r > 0)) {
        o.push(`<text x="${x + barW / 2}" y="${top + plotH - 3}" text-anchor="middle" font-size="9" fill="${colors[c.key] ?? '#000'}"><title>${esc(title)}</title>${v === 0 ? '0' : '?'}</text>`)
        return
      }
      r = Math.min(Math.max(r, 10 ** lo), 10 ** hi)
      const yy = y(r)
      o.push(`<rect x="${x.toFixed(1)}" y="${yy.toFixed(1)}" width="${(barW - 2).toFixed(1)}" height="${(top + plotH - yy).toFixed(1)}" fill="${colors[c.key] ?? '#000'}"><title>${esc(title)}</title></rect>`)
    })
    o.push(`<text x="${gx + (list.length * barW) / 2}" y="${top + plotH + 16}" text-anchor="middle" font-weight="bold">${esc(label)}</text>`)
    const t = s['tini-ts']?.[k]
    if (Number.isFinite(t)) o.push(`<text x="${gx + (list.length * barW) / 2}" y="${top + plotH + 30}" text-anchor="middle" fill="${colors['tini-ts']}">tini-ts ${esc(fmt(t))}</text>`)
    if (Number.isFinite(tini[k])) o.push(`<text x="${gx + (list.length * barW) / 2}" y="${top + plotH + 43}" text-anchor="middle" fill="${colors.tini}">tini ${esc(fmt(tini[k]))}</text>`)
  })
  list.forEach((c, i) => {
    const x = left + i * 185
    o.push(`<rect x="${x}" y="${H - 30}" width="12" height="12" fill="${colors[c.key] ?? '#000'}"/>`)
    o.push(`<text x="${x + 16}" y="${H - 20}">${esc(c.label)}</text>`)
  })
  o.push(`<text x="${W - 20}" y="${H - 6}" text-anchor="end" fill="#777" font-size="9">a 0 at the base: the value is 0 (nothing to draw on a log scale); dashed line: tini</text>`)
  o.push('</svg>')
  return o.join('\n') + '\n'
}
