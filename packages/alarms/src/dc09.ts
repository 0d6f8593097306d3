/**
 * SIA DC-09 frames (alarm panels reporting over IP): `<LF><crc><0LLL>"<id>"<seq>[R<rcvr>]L<pref>#<acct>[<data>]…[_<timestamp>]<CR>`.
 * `crc` is CRC-16/ARC (polynomial 0x8005 reflected, initial 0) of the message from the opening
 * `"` of the id to the end of the timestamp, as 4 upper-case hex digits; `0LLL` its length in
 * bytes, hex. Unencrypted only (`*ADM-CID` and the other `*` ids are answered DUH).
 */

/** CRC-16/ARC of the bytes (the DC-09 frame check): `crc16("123456789") === 0xbb3d`. */
export function crc16(bytes: Uint8Array): number {
  let crc = 0
  for (const byte of bytes) {
    crc ^= byte
    for (let i = 0; i < 8; i++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1
  }
  return crc
}

export interface Dc09Frame {
  /** `ADM-CID` (Contact ID), `SIA-DCS`, `NULL` (link test), … */
  readonly id: string
  readonly seq: string
  readonly receiver?: string
  readonly prefix: string
  readonly account: string
  /** What is between the first `[` and its `]`. */
  readonly data: string
  /** The panel's time (`_HH:MM:SS,MM-DD-YYYY`, UTC), ms since the epoch. */
  readonly timeMs?: number
}

/** A Contact ID event as ADM-CID data carries it: `#acct|QEEE GG CCC`. */
export interface ContactIdEvent {
  /** 1: new event (opening), 3: restore (closing), 6: previous event still present. */
  readonly qualifier: 1 | 3 | 6
  /** The 3-digit event code: 1xx alarms (120 panic, 121 duress, 122 silent panic…), 3xx trouble, 4xx open/close, 602 periodic test. */
  readonly code: number
  readonly partition: number
  /** Zone or user number. */
  readonly zone: number
}

/** Why a frame was not understood: `nak` (damaged: retransmit) or `duh` (well formed but unsupported). */
export class Dc09Error extends Error {
  readonly reply: 'nak' | 'duh'
  constructor(reply: 'nak' | 'duh', message: string) {
    super(message)
    this.reply = reply
  }
}

const FRAME = /^([0-9A-F]{4})0([0-9A-F]{3})(".*)$/s
const MESSAGE = /^"(\*?[A-Z0-9-]{1,16})"(\d{4})(?:R([0-9A-F]{1,6}))?L([0-9A-F]{1,6})#([0-9A-F]{3,16})\[([^\]]*)\](.*)$/s
const TIMESTAMP = /_(\d\d):(\d\d):(\d\d),(\d\d)-(\d\d)-(\d{4})$/
const CONTACT_ID = /^(?:#([0-9A-F]{3,16})\|)?([136])(\d{3}) (\d{2}) (\d{3})$/

/** Parses one frame, without its LF and CR; throws {@link Dc09Error}. */
export function parseDc09(text: string): Dc09Frame {
  const f = FRAME.exec(text)
  if (!f) throw new Dc09Error('nak', 'not a DC-09 frame (crc, length, "id")')
  const message = f[3]!
  const bytes = Buffer.from(message, 'latin1')
  if (bytes.length !== parseInt(f[2]!, 16)) throw new Dc09Error('nak', `length ${parseInt(f[2]!, 16)} given, ${bytes.length} received`)
  if (crc16(bytes) !== parseInt(f[1]!, 16)) throw new Dc09Error('nak', 'CRC does not match')
  const m = MESSAGE.exec(message)
  if (!m) throw new Dc09Error('nak', 'the message after the id is not seq, L<prefix>, #<account>, [data]')
  const ts = TIMESTAMP.exec(m[7]!)
  const timeMs = ts ? Date.UTC(Number(ts[6]), Number(ts[4]) - 1, Number(ts[5]), Number(ts[1]), Number(ts[2]), Number(ts[3])) : undefined
  return { id: m[1]!, seq: m[2]!, ...(m[3] !== undefined ? { receiver: m[3] } : {}), prefix: m[4]!, account: m[5]!, data: m[6]!, ...(timeMs !== undefined ? { timeMs } : {}) }
}

/** The Contact ID event of an ADM-CID frame's data; throws {@link Dc09Error} (`duh`) when it is not one. */
export function parseContactId(frame: Dc09Frame): ContactIdEvent {
  const m = CONTACT_ID.exec(frame.data)
  if (!m) throw new Dc09Error('duh', 'ADM-CID data is not #acct|QEEE GG CCC')
  if (m[1] !== undefined && m[1] !== frame.account) throw new Dc09Error('duh', 'the account in the data is not the frame\'s')
  return { qualifier: Number(m[2]) as 1 | 3 | 6, code: Number(m[3]), partition: Number(m[4]), zone: Number(m[5]) }
}

/** A whole frame (LF … CR) of a message (from its `"`), with its CRC and length. */
export function dc09Frame(message: string): Buffer {
  const body = Buffer.from(message, 'latin1')
  const head = `${crc16(body).toString(16).toUpperCase().padStart(4, '0')}0${body.length.toString(16).toUpperCase().padStart(3, '0')}`
  return Buffer.concat([Buffer.from(`\n${head}`, 'latin1'), body, Buffer.from('\r', 'latin1')])
}

/** `_HH:MM:SS,MM-DD-YYYY` (UTC). */
export function dc09Time(ms: number): string {
  const d = new Date(ms)
  const p = (n: number) => String(n).padStart(2, '0')
  return `_${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())},${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())}-${d.getUTCFullYear()}`
}

/** The receiver's answer: ACK and DUH echo the frame's seq, receiver, prefix and account; NAK carries the receiver's time (the panel resynchronises). */
export function dc09Reply(kind: 'ack' | 'nak' | 'duh', frame: Dc09Frame | undefined, nowMs: number): Buffer {
  if (kind === 'nak' || !frame) return dc09Frame(`"NAK"0000R0L0A0[]${dc09Time(nowMs)}`)
  return dc09Frame(`"${kind.toUpperCase()}"${frame.seq}${frame.receiver !== undefined ? `R${frame.receiver}` : ''}L${frame.prefix}#${frame.account}[]`)
}
