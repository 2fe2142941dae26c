// Every probe recipe we print or publish keeps
// --timeout + --grace + 0.4 s within the runtime's probe timeout, and wraps
// with -s (cleanup is then the default). The podman scenario
// (test/container/podman-probe.test.ts) runs the README's readiness recipe
// itself; this holds the others to the same rule.
import t, { type Test } from 'tap'
import { MARGIN_MS, budget, demoRecipe, dockerfileRecipes, readmeInlineRecipes, readmeYamlRecipes, zombiesRecipe, type Recipe } from '../helpers/recipes'

function check(t: Test, r: Recipe) {
  const { timeoutMs, graceMs } = budget(r.options)
  t.ok(r.options.includes('-s'), `${r.where}: wraps with -s`)
  t.notOk(r.options.includes('--no-cleanup'), `${r.where}: cleans up`)
  t.ok(timeoutMs !== undefined, `${r.where}: has a --timeout`)
  t.ok(r.options.includes('--grace'), `${r.where}: states its --grace`)
  t.ok((timeoutMs ?? Infinity) + graceMs + MARGIN_MS <= r.deadlineMs, `${r.where}: ${timeoutMs} ms + ${graceMs} ms grace + ${MARGIN_MS} ms <= ${r.deadlineMs} ms`)
}

t.test('README YAML probes', async (t) => {
  const rs = readmeYamlRecipes()
  t.same(rs.map((r) => r.name).sort(), ['livenessProbe', 'readinessProbe'], 'both probes of the recipe found')
  for (const r of rs) check(t, r)
})

t.test('README one-liners (for the default timeoutSeconds: 1)', async (t) => {
  const rs = readmeInlineRecipes()
  t.ok(rs.length >= 2, `${rs.length} found`)
  for (const r of rs) check(t, r)
})

t.test('Dockerfile.example', async (t) => {
  const rs = dockerfileRecipes()
  t.equal(rs.length, 2, 'the HEALTHCHECK and the Kubernetes snippet')
  for (const r of rs) check(t, r)
})

t.test("--demo's Fix: line", async (t) => check(t, demoRecipe()))

t.test("--zombies' advice for probe leftovers", async (t) => check(t, zombiesRecipe()))

t.test('the rule catches a recipe once published broken', async (t) => {
  // Dockerfile.example before: --timeout 800ms, default grace, timeoutSeconds: 1 (took 1.38 s)
  const { timeoutMs, graceMs } = budget(['-s', '--timeout', '800ms', '--cleanup'])
  t.ok((timeoutMs as number) + graceMs + MARGIN_MS > 1000, 'it breaks the rule')
})
