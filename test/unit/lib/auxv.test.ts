// The auxiliary vector decoder, on vectors of every layout, and on this
// process's own /proc/self/auxv against getconf (glibc's getauxval).
import t from 'tap'
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { auxvValue } from '../../../src/lib/auxv'

const AT_PAGESZ = 6
const AT_CLKTCK = 17

t.test("this machine's layout, by default", async (t) => {
  const own = readFileSync('/proc/self/auxv')
  const getconf = (name: string): number => Number(execFileSync('getconf', [name], { encoding: 'utf8' }).trim())
  t.equal(auxvValue(own, AT_PAGESZ), getconf('PAGESIZE'), 'AT_PAGESZ of /proc/self/auxv')
  t.equal(auxvValue(own, AT_CLKTCK), getconf('CLK_TCK'), 'AT_CLKTCK of /proc/self/auxv')
  t.equal(auxvValue(own, 999), null, 'no such entry')
})

t.test('64-bit little-endian', async (t) => {
  const b = Buffer.alloc(48)
  ;[AT_PAGESZ, 4096, AT_CLKTCK, 250, 0, 0].forEach((w, i) => b.writeBigUInt64LE(BigInt(w), i * 8))
  const le64 = { wordBytes: 8, littleEndian: true } as const
  t.equal(auxvValue(b, AT_CLKTCK, le64), 250)
  t.equal(auxvValue(b, AT_PAGESZ, le64), 4096)
  t.not(auxvValue(b, AT_CLKTCK, { wordBytes: 8, littleEndian: false }), 250, 'control: read big-endian it is something else')
})

t.test('32-bit big-endian', async (t) => {
  const b = Buffer.alloc(24)
  ;[AT_PAGESZ, 4096, AT_CLKTCK, 1024, 0, 0].forEach((w, i) => b.writeUInt32BE(w, i * 4))
  t.equal(auxvValue(b, AT_CLKTCK, { wordBytes: 4, littleEndian: false }), 1024)
  t.equal(auxvValue(b, AT_CLKTCK, { wordBytes: 4, littleEndian: true }), null, 'control: read little-endian there is no such entry')
})

t.test('32-bit little-endian', async (t) => {
  const b = Buffer.alloc(16)
  ;[AT_CLKTCK, 100, 0, 0].forEach((w, i) => b.writeUInt32LE(w, i * 4))
  t.equal(auxvValue(b, AT_CLKTCK, { wordBytes: 4, littleEndian: true }), 100)
})

t.test('the vector ends at AT_NULL, or at the last whole pair', async (t) => {
  const le64 = { wordBytes: 8, littleEndian: true } as const
  const b = Buffer.alloc(48)
  ;[AT_PAGESZ, 4096, 0, 0, AT_CLKTCK, 250].forEach((w, i) => b.writeBigUInt64LE(BigInt(w), i * 8))
  t.equal(auxvValue(b, AT_CLKTCK, le64), null, 'nothing after AT_NULL counts')
  t.equal(auxvValue(b.subarray(0, 12), AT_PAGESZ, le64), null, 'half a pair is not read')
  t.equal(auxvValue(b.subarray(0, 16), AT_PAGESZ, le64), 4096, 'control: the whole pair is')
  t.equal(auxvValue(Buffer.alloc(0), AT_CLKTCK, le64), null, 'empty')
})
