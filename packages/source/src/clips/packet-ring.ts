import { OkoError, checkKnownKeys, checkObject, optionalNumber } from '@oko/core'
import { AV_NOPTS_VALUE } from 'node-av/constants'
import { CodecParameters, Packet } from 'node-av/lib'

export interface PacketRingOptions {
  /** Seconds of stream kept (whole GOPs: at least the latest one). Default 30. */
  readonly seconds?: number
  /** Bytes of packets kept, whatever the seconds. Default 64 MiB. */
  readonly maxBytes?: number
}

/** One compressed packet held by the ring (a copy of the demuxer's). */
export interface RingPacket {
  readonly packet: Packet
  /** Presentation time on the source's clock (continuous across reconnects), µs. */
  readonly ptsUs: number
  readonly key: boolean
  readonly bytes: number
}

/**
 * What a clip is cut from: the stream's parameters and packets from a keyframe on. Its own
 * references (the ring may drop its copies meanwhile): `free()` it when done.
 */
export interface PacketWindow {
  readonly codecpar: CodecParameters
  readonly timeBase: { readonly num: number; readonly den: number }
  /** Starts with a keyframe; in decode order. */
  readonly packets: readonly RingPacket[]
  free(): void
}

/**
 * A camera's recent compressed video: packets from its last keyframe(s), bounded in seconds and
 * bytes (the oldest whole GOPs go first; the latest GOP always stays), so a clip of an event can
 * start before the event (pre-roll) without re-encoding anything. Fed by `Source.recordPackets`.
 * A new connection (a reconnect, a file that loops) starts the ring over: a clip never spans two.
 */
export class PacketRing implements Disposable {
  readonly seconds: number
  readonly maxBytes: number
  #packets: RingPacket[] = []
  #bytes = 0
  #codecpar: CodecParameters | undefined
  #timeBase = { num: 1, den: 1 }
  #connection: unknown
  #offsetUs = 0
  #closed = false

  constructor(options: PacketRingOptions = {}) {
    const o = checkObject('options', options, {})
    checkKnownKeys('options', o, ['seconds', 'maxBytes'])
    this.seconds = optionalNumber('options.seconds', o.seconds, 30, { min: 0.1, max: 3600 })
    this.maxBytes = optionalNumber('options.maxBytes', o.maxBytes, 64 * 1024 * 1024, { min: 1024, max: 16 * 1024 ** 3, integer: true })
  }

  /** Packets held now. */
  get size(): number {
    return this.#packets.length
  }

  get bytes(): number {
    return this.#bytes
  }

  /** Time span held, µs (first to last packet). */
  get spanUs(): number {
    return this.#packets.length < 2 ? 0 : this.#packets[this.#packets.length - 1]!.ptsUs - this.#packets[0]!.ptsUs
  }

  /** The newest packet's time, µs (undefined when empty). */
  get lastPtsUs(): number | undefined {
    const last = this.#packets.at(-1)
    return last === undefined ? undefined : last.ptsUs + this.#offsetUs
  }

  /**
   * @internal Called by the source for each video packet. `connection` identifies the demuxer
   * (a new one clears the ring); `offsetUs` maps the stream's timestamps to the source's clock.
   */
  push(pkt: Packet, connection: { readonly codecpar: CodecParameters; readonly timeBase: { readonly num: number; readonly den: number } }, offsetUs: number): void {
    if (this.#closed) return
    if (connection !== this.#connection) {
      this.#clear()
      this.#connection = connection
      this.#codecpar?.free()
      const par = new CodecParameters()
      par.alloc()
      connection.codecpar.copy(par)
      this.#codecpar = par
      this.#timeBase = { num: connection.timeBase.num, den: connection.timeBase.den }
    }
    this.#offsetUs = offsetUs
    if (this.#packets.length === 0 && !pkt.isKeyframe) return
    const copy = pkt.clone()
    if (!copy) return
    const ts = pkt.pts !== AV_NOPTS_VALUE ? pkt.pts : pkt.dts
    const rawUs = ts === AV_NOPTS_VALUE ? (this.#packets.at(-1)?.ptsUs ?? 0) - this.#offsetUs : (Number(ts) * this.#timeBase.num * 1e6) / this.#timeBase.den
    this.#packets.push({ packet: copy, ptsUs: Math.round(rawUs), key: pkt.isKeyframe, bytes: pkt.size })
    this.#bytes += pkt.size
    this.#trim()
  }

  /**
   * Packets for a clip of [fromUs, toUs] (source clock, µs): from the last keyframe at or before
   * `fromUs` (or the oldest held, which is a keyframe) to the last packet before `toUs`. Throws
   * ERR_INVALID_INPUT when the ring holds nothing of that span yet. The window holds its own
   * references to the packets (no bytes copied): free it.
   */
  window(fromUs: number, toUs: number): PacketWindow {
    if (this.#closed) throw new OkoError('ERR_CLOSED', 'the packet ring is closed')
    const p = this.#packets
    const off = this.#offsetUs
    if (p.length === 0 || !this.#codecpar) throw new OkoError('ERR_INVALID_INPUT', 'no keyframe received yet: nothing to cut a clip from')
    if (p[p.length - 1]!.ptsUs + off < fromUs) throw new OkoError('ERR_INVALID_INPUT', `the ring ends at ${Math.round((p[p.length - 1]!.ptsUs + off) / 1000)} ms, before the clip's start at ${Math.round(fromUs / 1000)} ms`)
    let start = 0
    for (let i = 0; i < p.length; i++) {
      if (p[i]!.key && p[i]!.ptsUs + off <= fromUs) start = i
      if (p[i]!.ptsUs + off > fromUs) break
    }
    let end = start
    // decode order: stop at the first keyframe past the end (B-frames before it may still be due)
    for (let i = start; i < p.length; i++) {
      if (p[i]!.ptsUs + off >= toUs && p[i]!.key && i > start) break
      if (p[i]!.ptsUs + off < toUs) end = i
    }
    const codecpar = new CodecParameters()
    codecpar.alloc()
    this.#codecpar.copy(codecpar)
    const packets = p.slice(start, end + 1).map((r) => ({ ...r, packet: r.packet.clone()!, ptsUs: r.ptsUs + off }))
    let freed = false
    return {
      codecpar, timeBase: { ...this.#timeBase }, packets,
      free: () => {
        if (freed) return
        freed = true
        for (const r of packets) r.packet.free()
        codecpar.free()
      },
    }
  }

  /** Frees every packet. Idempotent. */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    this.#clear()
    this.#codecpar?.free()
    this.#codecpar = undefined
  }

  [Symbol.dispose](): void {
    this.close()
  }

  /** Drops the oldest GOPs while over a bound, keeping the latest GOP whole. */
  #trim(): void {
    const p = this.#packets
    for (;;) {
      const span = p.length < 2 ? 0 : p[p.length - 1]!.ptsUs - p[0]!.ptsUs
      if (span <= this.seconds * 1e6 && this.#bytes <= this.maxBytes) return
      let next = -1
      for (let i = 1; i < p.length; i++) if (p[i]!.key) { next = i; break }
      if (next < 0) return
      for (const r of p.splice(0, next)) {
        this.#bytes -= r.bytes
        r.packet.free()
      }
    }
  }

  #clear(): void {
    for (const r of this.#packets) r.packet.free()
    this.#packets = []
    this.#bytes = 0
  }
}
