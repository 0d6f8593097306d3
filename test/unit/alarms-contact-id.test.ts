import { connect, type Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ContactIdAlarmInput, crc16, dc09Frame, dc09Time, parseDc09, type AlarmSignal } from '@oko/alarms'
import { until } from '../helpers/events.js'

// An alarm panel's Contact ID over SIA DC-09, from a real TCP client on 127.0.0.1: the frames a
// panel sends (built here with their CRC and length), the receiver's ACK / NAK / DUH answers.
const signals: AlarmSignal[] = []
const input = new ContactIdAlarmInput({
  name: 'panel', listen: { host: '127.0.0.1', port: 0 },
  points: [{ account: '1234', zone: 15, point: 'sos-17' }, { account: '1234', zone: 16, point: 'sos-18' }],
})
let client: Socket
const replies: string[] = []

beforeAll(async () => {
  await input.start((s) => void signals.push(s))
  client = connect(input.port, '127.0.0.1')
  let buf = ''
  client.on('data', (c: Buffer) => {
    buf += c.toString('latin1')
    for (let i = buf.indexOf('\r'); i >= 0; i = buf.indexOf('\r')) {
      replies.push(buf.slice(0, i + 1))
      buf = buf.slice(i + 1)
    }
  })
  await new Promise((resolve) => client.once('connect', resolve))
})
afterAll(async () => {
  client?.destroy()
  await input.close()
})

async function send(frame: Buffer | string): Promise<string> {
  const n = replies.length
  client.write(frame)
  await until(() => replies.length > n, 5000, 'the receiver\'s answer')
  return replies[n]!
}
/** The message of a reply (checked: its own CRC and length are right). */
function messageOf(reply: string): string {
  const m = /^\n([0-9A-F]{4})0([0-9A-F]{3})(".*)\r$/s.exec(reply)
  expect(m, JSON.stringify(reply)).not.toBeNull()
  const body = Buffer.from(m![3]!, 'latin1')
  expect(parseInt(m![2]!, 16)).toBe(body.length)
  expect(parseInt(m![1]!, 16)).toBe(crc16(body))
  return m![3]!
}

describe('SIA DC-09 / Contact ID input', () => {
  it('checks frames with CRC-16/ARC (the check value of "123456789" is BB3D) and their length', () => {
    expect(crc16(Buffer.from('123456789'))).toBe(0xbb3d)
    const frame = dc09Frame('"ADM-CID"0001R0L0#1234[#1234|1120 01 015]').toString('latin1')
    expect(frame).toMatch(/^\n[0-9A-F]{4}0029"ADM-CID"/)
    expect(parseDc09(frame.slice(1, -1))).toEqual({ id: 'ADM-CID', seq: '0001', receiver: '0', prefix: '0', account: '1234', data: '#1234|1120 01 015' })
  })

  it('a panic on a mapped zone is a press (ACK with its seq); its restore a release; a periodic test and a NULL link test are heartbeats', async () => {
    const at = Date.now()
    expect(messageOf(await send(dc09Frame('"ADM-CID"0001R0L0#1234[#1234|1120 01 015]')))).toBe('"ACK"0001R0L0#1234[]')
    expect(messageOf(await send(dc09Frame(`"ADM-CID"0002L0#1234[#1234|3120 01 015]${dc09Time(at)}`)))).toBe('"ACK"0002L0#1234[]')
    expect(messageOf(await send(dc09Frame('"ADM-CID"0003R0L0#1234[#1234|1602 00 000]')))).toBe('"ACK"0003R0L0#1234[]')
    expect(messageOf(await send(dc09Frame('"NULL"0004R0L0#1234[]')))).toBe('"ACK"0004R0L0#1234[]')
    expect(signals.map((s) => [s.point, s.state])).toEqual([['sos-17', 'active'], ['sos-17', 'inactive'], ['sos-17', 'heartbeat'], ['sos-18', 'heartbeat'], ['sos-17', 'heartbeat'], ['sos-18', 'heartbeat']])
    expect(signals[1]!.timeMs).toBe(Math.floor(at / 1000) * 1000) // the panel's own time
  })

  it('a damaged frame gets NAK with the receiver\'s time; an unknown account or message DUH; codes that are not alarms and unmapped zones are taken and counted', async () => {
    const good = dc09Frame('"ADM-CID"0005R0L0#1234[#1234|1120 01 015]').toString('latin1')
    const flipped = good.replace('1120', '1121') // same length, CRC no longer matches
    expect(messageOf(await send(flipped))).toMatch(/^"NAK"0000R0L0A0\[\]_\d\d:\d\d:\d\d,\d\d-\d\d-\d{4}$/)
    expect(messageOf(await send(good.replace('0029', '002A')))).toMatch(/^"NAK"0000R0L0A0\[\]_/)
    expect(messageOf(await send(dc09Frame('"ADM-CID"0006R0L0#9999[#9999|1120 01 015]')))).toBe('"DUH"0006R0L0#9999[]')
    expect(messageOf(await send(dc09Frame('"SIA-DCS"0007R0L0#1234[#1234|NBA15]')))).toBe('"DUH"0007R0L0#1234[]')
    expect(messageOf(await send(dc09Frame('"ADM-CID"0008R0L0#1234[#1234|1120 01 099]')))).toBe('"ACK"0008R0L0#1234[]')
    expect(messageOf(await send(dc09Frame('"ADM-CID"0009R0L0#1234[#1234|1401 01 015]')))).toBe('"ACK"0009R0L0#1234[]')
    expect(messageOf(await send(dc09Frame(`"ADM-CID"0010R0L0#1234[#1234|1120 01 015]${dc09Time(Date.now() - 600_000)}`)))).toMatch(/^"NAK"0000/)
    expect(messageOf(await send(`\n${'9'.repeat(2000)}`))).toMatch(/^"NAK"/) // a frame that never ends
    expect(input.stats()).toMatchObject({ connections: 1, acked: 6, naked: 4, duhed: 2, ignored: 2 })
    expect(signals).toHaveLength(6) // nothing from the refused or ignored frames
  })
})
