// The auxiliary vector the kernel hands every process at exec (getauxval(3)),
// as /proc/PID/auxv shows it: pairs of words (type, value), each as wide as
// the machine's `unsigned long` and in its byte order, ending in AT_NULL.

/** How a machine lays the vector out. */
export interface AuxvLayout {
  wordBytes: 4 | 8
  littleEndian: boolean
}

/** This machine's layout: the byte order os.endianness() reports, without
 * loading node:os at start-up; 8-byte words on the 64-bit targets (x32 is
 * not a Node target). */
const NATIVE_AUXV: AuxvLayout = {
  wordBytes: /64|s390x/.test(process.arch) ? 8 : 4,
  littleEndian: new Uint8Array(new Uint16Array([1]).buffer)[0] === 1,
}

/** The value of the first entry of `type` before AT_NULL, or null. */
export function auxvValue(buf: Buffer, type: number, layout: AuxvLayout = NATIVE_AUXV): number | null {
  const AT_NULL = 0
  const { wordBytes, littleEndian } = layout
  const word = (off: number): number => {
    if (wordBytes === 4) return littleEndian ? buf.readUInt32LE(off) : buf.readUInt32BE(off)
    return Number(littleEndian ? buf.readBigUInt64LE(off) : buf.readBigUInt64BE(off))
  }
  for (let off = 0; off + 2 * wordBytes <= buf.length; off += 2 * wordBytes) {
    const t = word(off)
    if (t === AT_NULL) break
    if (t === type) return word(off + wordBytes)
  }
  return null
}
