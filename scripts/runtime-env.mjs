// The runtime's own environment variables, made inert in the executable's copy
// of the runtime.
//
// The init passes the program its environment byte for byte (from
// /proc/self/environ), but Node, libuv and OpenSSL read some variables
// themselves, in C/C++, before any code of ours runs. Set in an image whose
// entrypoint is tini-ts, they act on PID 1:
//   NODE_REPL_EXTERNAL_MODULE  exits 9 ("can't be used with kDisableNodeOptionsEnv")
//   NODE_COMPILE_CACHE*        the root init makes and writes a compile cache there
//   OPENSSL_CONF               read at start; a `nodejs_conf` section can load a
//                              provider module: any shared object, run as root
//   OPENSSL_CONF_INCLUDE, OPENSSL_MODULES, OPENSSL_ENGINES   steer that config
//   OPENSSL_ia32cap / OPENSSL_armcap   override the CPU features OpenSSL uses
//   UV_THREADPOOL_SIZE         up to 1024 threads, counted against pids.max
//   UV_USE_IO_URING            changes how libuv's loops work
//   NODE_DEBUG_NATIVE          debug output of the runtime's C++ on the init's stderr
//   NODE_V8_COVERAGE           the init writes coverage files there
//   NODE_ICU_DATA              ICU loads data files from there
//   NODE_EXTRA_CA_CERTS, NODE_USE_SYSTEM_CA, NODE_USE_ENV_PROXY,
//   NODE_PENDING_DEPRECATION, NODE_PRESERVE_SYMLINKS(_MAIN),
//   NODE_REDIRECT_WARNINGS     runtime options taken from the environment
// Each name is a C string literal the code passes to getenv(3). In the copy of
// the runtime that becomes the executable, the literal's first byte becomes
// '-' (same length, so nothing else moves): "-ODE_COMPILE_CACHE" is a name no
// shell can export and nobody sets, so getenv finds nothing and the runtime
// behaves as if the variable were unset. The environment itself is untouched:
// the program still gets every variable.
//
// Only the standalone C literal is changed: NUL before and after, in .rodata,
// not a V8 snapshot string (those carry their length in the 4 bytes before and
// are JS property names: Node's own JS reads process.env.X, see below) and not
// part of a longer string (a message naming the variable). Each name must be
// found exactly as often as listed for that architecture, else the build
// fails: a Node upgrade that moves a read elsewhere cannot silently undo this.
//
// Read by Node's own JavaScript, in pre-execution, before any code of ours
// runs (lib/internal/process/pre_execution.js: setupChildProcessIpcChannel,
// initializeClusterPrimary, setupDebugEnv):
//   NODE_CHANNEL_FD    opens that fd as an IPC channel: garbage (x, -1) stops
//                      the init with an ERR_INTERNAL_ASSERTION stack
//   NODE_UNIQUE_ID     cluster worker: writes {"cmd":"NODE_CLUSTER",...} into
//                      that channel (the program's descriptor)
//   NODE_DEBUG         debuglog lines (TIMER, ...) on the init's stderr
// The JavaScript reads process.env.NAME, which asks getenv(3) for the name the
// code holds. That name lives in two forms in the runtime: the source text of
// the built-in modules (one-byte strings, compiled lazily from there) and the
// strings of V8's startup snapshot and code cache (each a one-byte string
// with its length, a uint32 LE, just before). In both the first byte becomes
// 0xD1 ("\u00d1ODE_CHANNEL_FD", same length: the code still parses, V8's
// cached code still matches its source, whose check is by length), so the
// runtime asks for a name no shell can export, and behaves as if the
// variable were unset. Only the source reads `process.env.NAME` and
// `ObjectHasOwn(process.env, 'NAME')` are changed (cluster's primary, which
// sets the variable for its workers, and messages are left alone), and each
// form must be found exactly as often as listed. The environment itself is
// untouched: the program still gets every variable (its environment is
// /proc/self/environ), and so does any node it runs.
// Not neutralized: NODE_PATH, NODE_NO_WARNINGS, NODE_DISABLE_COLORS (nothing
// of the init's depends on them). NODE_OPTIONS is ignored (execArgvExtension
// "none").

/** name -> how many standalone C literals each runtime holds */
export const NEUTRALIZED = {
  NODE_REPL_EXTERNAL_MODULE: { x64: 1, arm64: 1 },
  NODE_COMPILE_CACHE: { x64: 1, arm64: 1 },
  NODE_COMPILE_CACHE_PORTABLE: { x64: 1, arm64: 1 },
  NODE_DISABLE_COMPILE_CACHE: { x64: 1, arm64: 1 },
  NODE_DEBUG_NATIVE: { x64: 1, arm64: 1 },
  NODE_V8_COVERAGE: { x64: 1, arm64: 1 },
  NODE_ICU_DATA: { x64: 1, arm64: 1 },
  NODE_EXTRA_CA_CERTS: { x64: 1, arm64: 1 },
  NODE_USE_SYSTEM_CA: { x64: 1, arm64: 1 },
  NODE_USE_ENV_PROXY: { x64: 1, arm64: 1 },
  NODE_PENDING_DEPRECATION: { x64: 1, arm64: 1 },
  NODE_PRESERVE_SYMLINKS: { x64: 1, arm64: 1 },
  NODE_PRESERVE_SYMLINKS_MAIN: { x64: 1, arm64: 1 },
  NODE_REDIRECT_WARNINGS: { x64: 1, arm64: 1 },
  UV_THREADPOOL_SIZE: { x64: 1, arm64: 1 },
  UV_USE_IO_URING: { x64: 1, arm64: 1 },
  OPENSSL_CONF: { x64: 1, arm64: 1 },
  OPENSSL_CONF_INCLUDE: { x64: 1, arm64: 1 },
  OPENSSL_MODULES: { x64: 1, arm64: 1 },
  OPENSSL_ENGINES: { x64: 1, arm64: 1 },
  OPENSSL_ia32cap: { x64: 1, arm64: 0 },
  OPENSSL_armcap: { x64: 0, arm64: 1 },
}

/** The disabled spelling of `name`: same length, first byte '-'. */
export function disabledName(name) {
  return `-${name.slice(1)}`
}

/** [start, end) file offsets of the ELF64 little-endian section `want`. */
function elfSection(buf, want) {
  if (buf.readUInt32BE(0) !== 0x7f454c46 || buf[4] !== 2 || buf[5] !== 1) throw new Error('not an ELF64 little-endian file')
  const shoff = Number(buf.readBigUInt64LE(0x28))
  const shentsize = buf.readUInt16LE(0x3a)
  const shnum = buf.readUInt16LE(0x3c)
  const shstrndx = buf.readUInt16LE(0x3e)
  const sh = (i) => shoff + i * shentsize
  const strOff = Number(buf.readBigUInt64LE(sh(shstrndx) + 0x18))
  for (let i = 0; i < shnum; i++) {
    const nameOff = buf.readUInt32LE(sh(i))
    const end = buf.indexOf(0, strOff + nameOff)
    if (buf.toString('latin1', strOff + nameOff, end) !== want) continue
    const off = Number(buf.readBigUInt64LE(sh(i) + 0x18))
    return [off, off + Number(buf.readBigUInt64LE(sh(i) + 0x20))]
  }
  throw new Error(`no ${want} section`)
}

/** Offsets of `name` as a standalone C string literal in .rodata. */
export function cLiterals(buf, name) {
  const [start, end] = elfSection(buf, '.rodata')
  const needle = Buffer.from(`\0${name}\0`, 'latin1')
  const found = []
  for (let i = buf.indexOf(needle, start); i !== -1 && i + needle.length <= end; i = buf.indexOf(needle, i + 1)) {
    const at = i + 1
    // a V8 snapshot / code cache string: its length (uint32 LE) just before
    if (at >= 4 && buf.readUInt32LE(at - 4) === name.length) continue
    found.push(at)
  }
  return found
}

/**
 * Renames every name of NEUTRALIZED in `buf` (the runtime's bytes, changed in
 * place). Throws, naming each mismatch, when a count differs from the table.
 * Returns { name: [offsets] }.
 */
export function neutralizeRuntimeEnv(buf, arch) {
  const wrong = []
  const hits = {}
  for (const [name, want] of Object.entries(NEUTRALIZED)) {
    const expected = want[arch]
    if (expected === undefined) throw new Error(`no expected count of ${name} for ${arch}`)
    const offs = cLiterals(buf, name)
    if (offs.length !== expected) wrong.push(`${name}: ${offs.length} C literal(s), expected ${expected}`)
    hits[name] = offs
  }
  if (wrong.length) {
    throw new Error(`the runtime's environment variables (scripts/runtime-env.mjs) are not where expected ` +
      `(a new Node version? check each and update NEUTRALIZED):\n  ${wrong.join('\n  ')}`)
  }
  for (const [name, offs] of Object.entries(hits)) {
    for (const at of offs) buf.write(disabledName(name), at, 'latin1')
  }
  return hits
}

/** name -> how many reads in the built-in JS source, and how many V8
 * snapshot/code-cache strings, each runtime holds */
export const JS_NEUTRALIZED = {
  NODE_CHANNEL_FD: { source: { x64: 4, arm64: 4 }, strings: { x64: 3, arm64: 3 } },
  NODE_UNIQUE_ID: { source: { x64: 4, arm64: 4 }, strings: { x64: 3, arm64: 3 } },
  NODE_DEBUG: { source: { x64: 3, arm64: 3 }, strings: { x64: 3, arm64: 3 } },
}

/** The disabled spelling of a name read by the runtime's JS: same length, first byte 0xD1. */
export function disabledJsName(name) {
  return `\u00d1${name.slice(1)}`
}

function offsetsOf(buf, needle, skip) {
  const found = []
  for (let i = buf.indexOf(needle); i !== -1; i = buf.indexOf(needle, i + 1)) found.push(i + skip)
  return found
}

/** Offsets of `name` where the built-in JS source reads it. */
export function jsSourceReads(buf, name) {
  const ident = /[A-Za-z0-9_$]/
  const member = offsetsOf(buf, Buffer.from(`process.env.${name}`, 'latin1'), 'process.env.'.length)
    .filter((at) => !ident.test(String.fromCharCode(buf[at + name.length])))
  const own = offsetsOf(buf, Buffer.from(`ObjectHasOwn(process.env, '${name}')`, 'latin1'), "ObjectHasOwn(process.env, '".length)
  return [...member, ...own].sort((a, b) => a - b)
}

/** Offsets of `name` as a V8 one-byte string: its length (uint32 LE) just before. */
export function v8Strings(buf, name) {
  return offsetsOf(buf, Buffer.from(name, 'latin1'), 0).filter((at) => at >= 4 && buf.readUInt32LE(at - 4) === name.length)
}

/**
 * Renames every name of JS_NEUTRALIZED in `buf` (changed in place), in the
 * JS source reads and V8's strings. Throws, naming each mismatch, when a
 * count differs from the table. Returns { name: [offsets] }.
 */
export function neutralizeRuntimeJs(buf, arch) {
  const wrong = []
  const hits = {}
  for (const [name, want] of Object.entries(JS_NEUTRALIZED)) {
    const source = jsSourceReads(buf, name)
    const strings = v8Strings(buf, name)
    if (source.length !== want.source[arch]) wrong.push(`${name}: ${source.length} read(s) in the JS source, expected ${want.source[arch]}`)
    if (strings.length !== want.strings[arch]) wrong.push(`${name}: ${strings.length} V8 string(s), expected ${want.strings[arch]}`)
    hits[name] = [...source, ...strings]
  }
  if (wrong.length) {
    throw new Error(`the environment variables read by the runtime's JavaScript (scripts/runtime-env.mjs) are not where expected ` +
      `(a new Node version? check pre_execution.js and update JS_NEUTRALIZED):\n  ${wrong.join('\n  ')}`)
  }
  for (const [name, offs] of Object.entries(hits)) {
    for (const at of offs) buf.write(disabledJsName(name), at, 'latin1')
  }
  return hits
}
