// --zombies' text report: the table, the groups by parent, PID 1's verdict.
import type { ZombieReport } from './zombie-types'


function fmtAge(s: number | null): string {
  if (s === null) return '?'
  if (s < 60) return `${s.toFixed(1)}s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m}m${String(Math.floor(s % 60)).padStart(2, '0')}s`
  const h = Math.floor(m / 60)
  if (h < 24) return `${h}h${String(m % 60).padStart(2, '0')}m`
  return `${Math.floor(h / 24)}d${String(h % 24).padStart(2, '0')}h`
}

/** Make untrusted names (comm/argv can contain anything) safe for a terminal. */
export function safe(s: string | null): string {
  if (s === null) return '?'
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\x00-\x1f\x7f-\x9f]/g, (c) => '\\x' + c.charCodeAt(0).toString(16).padStart(2, '0'))
}

function fmtArgv(argv: string[] | null): string {
  if (argv === null) return '?'
  if (argv.length === 0) return ''
  const s = argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(' ')
  return safe(s.length > 120 ? s.slice(0, 117) + '...' : s)
}


function plural(n: number, one: string, many: string = one + 's'): string {
  return `${n} ${n === 1 ? one : many}`
}

function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)))
  return rows.map((r) => '  ' + r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd())
}

/** Human-readable rendering of a report. */
export function formatZombieText(r: ZombieReport): string {
  const lines: string[] = []
  if (r.count === 0) {
    lines.push(`No zombies in this PID namespace (${plural(r.scanned, 'process', 'processes')} scanned).`)
  } else {
    lines.push(`${plural(r.count, 'zombie')} in this PID namespace (${plural(r.scanned, 'process', 'processes')} scanned):`)
    lines.push('')
    const rows = [['PID', 'PPID', 'PARENT', 'COMMAND', 'AGE']]
    for (const z of r.zombies) {
      rows.push([String(z.pid), String(z.ppid), safe(z.parentComm), `[${safe(z.comm)}] <defunct>`, fmtAge(z.ageSeconds)])
    }
    lines.push(...table(rows))
    lines.push('')
    lines.push('By parent:')
    for (const g of r.byParent) {
      const cmd = fmtArgv(g.parentCmdline)
      lines.push(
        `  ${g.ppid} ${safe(g.parentComm)}${cmd ? ` [${cmd}]` : ''}: ${g.count} zombie${g.count === 1 ? '' : 's'}` +
          ` (pid ${g.pids.join(', ')}; oldest ${fmtAge(g.oldestAgeSeconds)})`,
      )
      lines.push(`    -> ${g.advice}`)
    }
  }
  lines.push('')
  const p = r.pid1
  lines.push(`PID 1: ${safe(p.comm)}${p.argv && p.argv.length > 0 ? ` [${fmtArgv(p.argv)}]` : ''}`)
  const yn = (b: boolean): string => (b ? 'yes' : 'no')
  lines.push(
    `  known init: ${p.knownInit ?? 'no'}   SIGCHLD caught: ${yn(p.catchesSigchld)}   ` +
      `ignored: ${yn(p.ignoresSigchld)}   blocked: ${yn(p.blocksSigchld)}`,
  )
  lines.push(`  reaper: ${p.verdict}`)
  for (const n of r.notes) lines.push(`note: ${n}`)
  return lines.join('\n') + '\n'
}
