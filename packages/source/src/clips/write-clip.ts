import { OkoError } from '@oko/core'
import { FFmpegError, FormatContext, Packet, Rational } from 'node-av/lib'
import type { PacketWindow } from './packet-ring.js'

export interface ClipInfo {
  readonly path: string
  /** Packets written (= frames of the clip). */
  readonly packets: number
  /** Source-clock time of the first and last packet, µs. */
  readonly startPtsUs: number
  readonly endPtsUs: number
  readonly bytes: number
}

/**
 * Writes a window of compressed packets to an MP4 file as they are (a remux: no decoding, no
 * re-encoding), timestamps shifted to start at 0. Throws ERR_DATA naming the file when FFmpeg
 * refuses it.
 */
export async function writeClip(path: string, window: PacketWindow): Promise<ClipInfo> {
  const packets = window.packets
  if (packets.length === 0) throw new OkoError('ERR_INVALID_INPUT', 'a clip needs at least one packet')
  const fail = (what: string, code: number): never => { throw new OkoError('ERR_DATA', `cannot write clip ${path}: ${what}: ${FFmpegError.strerror(code)}`) }
  const out = new FormatContext()
  let r = out.allocOutputContext2(null, 'mp4', path)
  if (r < 0) fail('allocOutputContext2', r)
  let opened = false
  const pkt = new Packet()
  pkt.alloc()
  try {
    const stream = out.newStream(null)
    r = window.codecpar.copy(stream.codecpar)
    if (r < 0) fail('codec parameters', r)
    stream.codecpar.codecTag = 0
    const inTb = new Rational(window.timeBase.num, window.timeBase.den)
    stream.timeBase = inTb
    r = await out.openOutput()
    if (r < 0) fail('open', r)
    opened = true
    r = await out.writeHeader()
    if (r < 0) fail('header', r)
    const outTb = stream.timeBase
    const first = packets[0]!.packet
    const zero = first.dts < first.pts ? first.dts : first.pts
    let bytes = 0
    for (const p of packets) {
      pkt.unref()
      pkt.ref(p.packet)
      pkt.streamIndex = 0
      pkt.pts -= zero
      pkt.dts -= zero
      pkt.rescaleTs(inTb, outTb)
      pkt.pos = -1n
      bytes += p.bytes
      r = await out.interleavedWriteFrame(pkt)
      if (r < 0) fail('packet', r)
    }
    r = await out.writeTrailer()
    if (r < 0) fail('trailer', r)
    return { path, packets: packets.length, startPtsUs: packets[0]!.ptsUs, endPtsUs: packets[packets.length - 1]!.ptsUs, bytes }
  } finally {
    pkt.free()
    if (opened) await out.closeOutput()
    out.freeContext()
  }
}
