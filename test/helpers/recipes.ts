// The probe recipes the project hands to users (README.md, Dockerfile.example,
// --demo's closing line), read from where users read them, so the tests run
// exactly those and check them against one rule:
//   --timeout + --grace + 0.4 s <= the runtime's probe timeout.
// The 0.4 s is the runtime's exec and tini-ts's own start (README, "Kubernetes
// probe recipe", says where the number comes from).
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse as parseYaml } from 'yaml'
import { parseDuration } from '../../src/lib/duration'
import { DEFAULT_GRACE_MS } from '../../src/cli/cli'

export const REPO = join(__dirname, '..', '..')
export const MARGIN_MS = 400

export interface Recipe {
  where: string
  /** tini-ts's own options, up to `--` */
  options: string[]
  /** the probe runtime's deadline */
  deadlineMs: number
}

/** --timeout and --grace of an option list (grace defaulted as tini-ts does). */
export function budget(options: string[]): { timeoutMs: number | undefined; graceMs: number } {
  const get = (name: string) => {
    const i = options.indexOf(name)
    return i < 0 ? undefined : parseDuration(options[i + 1])
  }
  return { timeoutMs: get('--timeout'), graceMs: get('--grace') ?? DEFAULT_GRACE_MS }
}

const optionsOf = (argv: string[]) => argv.slice(1, argv.indexOf('--'))

/** Probes of the YAML blocks in README.md whose command starts with tini-ts. */
export function readmeYamlRecipes(): (Recipe & { name: string; command: string[] })[] {
  const text = readFileSync(join(REPO, 'README.md'), 'utf8')
  const out: (Recipe & { name: string; command: string[] })[] = []
  for (const m of text.matchAll(/```yaml\n([\s\S]*?)```/g)) {
    const doc = parseYaml(m[1]) as { containers?: Record<string, any>[] }
    for (const c of doc.containers ?? []) {
      for (const name of ['readinessProbe', 'livenessProbe', 'startupProbe']) {
        const p = c[name]
        const command = p?.exec?.command as string[] | undefined
        if (!command || !/tini-ts$/.test(command[0])) continue
        out.push({ where: `README.md ${name}`, name, command, options: optionsOf(command), deadlineMs: (p.timeoutSeconds ?? 1) * 1000 })
      }
    }
  }
  return out
}

/** One-line `tini-ts ... --timeout X ...` recipes in README prose and tables: for the default timeoutSeconds (1 s). */
export function readmeInlineRecipes(): Recipe[] {
  const text = readFileSync(join(REPO, 'README.md'), 'utf8').replace(/```yaml\n[\s\S]*?```/g, '')
  return [...text.matchAll(/`(tini-ts (?:-\S+ ?\S* )*?--timeout [^`]*?) -- [^`]*`/g)].map((m) => ({
    where: `README.md: ${m[1]}`,
    options: m[1].split(/\s+/).slice(1),
    deadlineMs: 1000,
  }))
}

/** Dockerfile.example: the HEALTHCHECK (its --timeout=) and the Kubernetes snippet. */
export function dockerfileRecipes(): Recipe[] {
  const text = readFileSync(join(REPO, 'Dockerfile.example'), 'utf8')
  const uncommented = text.split('\n').map((l) => l.replace(/^#\s?/, '')).join('\n').replace(/\\\n/g, ' ')
  const out: Recipe[] = []
  const hc = /HEALTHCHECK [^\n]*--timeout=(\S+)[^\n]*?CMD (\[[^\]]*\])/.exec(uncommented)
  if (hc) out.push({ where: 'Dockerfile.example HEALTHCHECK', options: optionsOf(JSON.parse(hc[2])), deadlineMs: parseDuration(hc[1]) as number })
  const k8s = /command: (\[[^\]]*\])\s*\n\s*timeoutSeconds: (\d+)/.exec(uncommented.replace(/,\s*\n\s*/g, ', '))
  if (k8s) out.push({ where: 'Dockerfile.example livenessProbe', options: optionsOf(JSON.parse(k8s[1])), deadlineMs: Number(k8s[2]) * 1000 })
  return out
}

/** --demo's closing "Fix:" line (from the source: the same text the demo prints). */
export function demoRecipe(): Recipe & { line: string } {
  const text = readFileSync(join(REPO, 'src', 'demo', 'demo.ts'), 'utf8')
  const m = /Fix: [^`]*wrap probes: (tini-ts [^`]*?) -- <probe command>[^]*?for timeoutSeconds: (\d+)/.exec(text)
  if (!m) throw new Error('no Fix: line with a probe recipe in src/demo/demo.ts')
  return { where: '--demo Fix: line', line: m[0], options: m[1].split(/\s+/).slice(1), deadlineMs: Number(m[2]) * 1000 }
}

/** --zombies' advice for probe leftovers (src/inspect/zombies.ts). */
export function zombiesRecipe(): Recipe {
  const text = readFileSync(join(REPO, 'src', 'inspect', 'zombies.ts'), 'utf8')
  const m = /wrap each probe: (tini-ts [^<]*?) -- <probe> \(timeoutSeconds: (\d+)\)/.exec(text)
  if (!m) throw new Error('no probe recipe in src/inspect/zombies.ts')
  return { where: '--zombies advice', options: m[1].split(/\s+/).slice(1), deadlineMs: Number(m[2]) * 1000 }
}
