// The protobuf wire format, just enough to edit ONNX graphs: a message is a list of fields kept
// in order, so fields this code does not know pass through unchanged.

/** One field: varints as bigint, length-delimited and fixed-width fields as their bytes. */
export interface Field {
  no: number
  /** 0 varint, 1 fixed 64-bit, 2 length-delimited, 5 fixed 32-bit. */
  wire: 0 | 1 | 2 | 5
  value: bigint | Uint8Array
}

/** Reads the varint at `buf[at]`; returns it and the offset after it. */
function readVarint(buf: Uint8Array, at: number): [bigint, number] {
  let v = 0n
  for (let shift = 0n; ; shift += 7n) {
    if (at >= buf.length || shift > 63n) throw new Error(`truncated or overlong varint at byte ${at}`)
    const b = buf[at++]!
    v |= BigInt(b & 0x7f) << shift
    if (b < 0x80) return [v, at]
  }
}

export function decodeMessage(buf: Uint8Array): Field[] {
  const fields: Field[] = []
  let at = 0
  const varint = (): bigint => {
    const [v, next] = readVarint(buf, at)
    at = next
    return v
  }
  const take = (n: number): Uint8Array => {
    if (n < 0 || at + n > buf.length) throw new Error(`field of ${n} bytes at byte ${at} runs past the end (${buf.length})`)
    const out = buf.subarray(at, at + n)
    at += n
    return out
  }
  while (at < buf.length) {
    const key = Number(varint())
    const no = key >>> 3
    const wire = key & 7
    if (no === 0) throw new Error(`field number 0 at byte ${at}`)
    if (wire === 0) fields.push({ no, wire, value: varint() })
    else if (wire === 1) fields.push({ no, wire, value: take(8) })
    else if (wire === 2) fields.push({ no, wire, value: take(Number(varint())) })
    else if (wire === 5) fields.push({ no, wire, value: take(4) })
    else throw new Error(`unsupported wire type ${wire} at byte ${at}`)
  }
  return fields
}

export function encodeMessage(fields: readonly Field[]): Uint8Array {
  const parts: Uint8Array[] = []
  let size = 0
  const push = (b: Uint8Array) => { parts.push(b); size += b.length }
  for (const f of fields) {
    push(varintBytes(BigInt((f.no << 3) | f.wire)))
    if (f.wire === 0) push(varintBytes(f.value as bigint))
    else if (f.wire === 2) { push(varintBytes(BigInt((f.value as Uint8Array).length))); push(f.value as Uint8Array) }
    else push(f.value as Uint8Array)
  }
  const out = new Uint8Array(size)
  let at = 0
  for (const p of parts) { out.set(p, at); at += p.length }
  return out
}

function varintBytes(v: bigint): Uint8Array {
  let u = BigInt.asUintN(64, v)
  const out: number[] = []
  do {
    const b = Number(u & 0x7fn)
    u >>= 7n
    out.push(u > 0n ? b | 0x80 : b)
  } while (u > 0n)
  return Uint8Array.from(out)
}

const utf8 = new TextDecoder()
const toUtf8 = new TextEncoder()

export function stringField(no: number, s: string): Field {
  return { no, wire: 2, value: toUtf8.encode(s) }
}

export function bytesField(no: number, b: Uint8Array): Field {
  return { no, wire: 2, value: b }
}

export function varintField(no: number, v: number): Field {
  return { no, wire: 0, value: BigInt(v) }
}

export function floatField(no: number, f: number): Field {
  const b = new Uint8Array(4)
  new DataView(b.buffer).setFloat32(0, f, true)
  return { no, wire: 5, value: b }
}

export function asString(f: Field): string {
  return utf8.decode(f.value as Uint8Array)
}

export function asFloat(f: Field): number {
  const b = f.value as Uint8Array
  return new DataView(b.buffer, b.byteOffset, 4).getFloat32(0, true)
}

/** A signed int64 varint. */
export function asInt(f: Field): number {
  return Number(BigInt.asIntN(64, f.value as bigint))
}

/** Repeated varints, packed (wire 2) or not. */
export function asInts(fields: readonly Field[]): number[] {
  const out: number[] = []
  for (const f of fields) {
    if (f.wire === 0) out.push(asInt(f))
    else {
      const packed = f.value as Uint8Array
      for (let at = 0; at < packed.length;) {
        const [v, next] = readVarint(packed, at)
        out.push(Number(BigInt.asIntN(64, v)))
        at = next
      }
    }
  }
  return out
}

/** Repeated floats, packed (wire 2) or not. */
export function asFloats(fields: readonly Field[]): number[] {
  const out: number[] = []
  for (const f of fields) {
    const b = f.value as Uint8Array
    const view = new DataView(b.buffer, b.byteOffset, b.length)
    for (let i = 0; i + 4 <= b.length; i += 4) out.push(view.getFloat32(i, true))
  }
  return out
}
