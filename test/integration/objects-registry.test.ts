// The vehicle register hook: a real HTTP server on 127.0.0.1 (node:http) answers plate lookups;
// the attributes stage fills the track from it and flags a cloned plate (another colour or type
// than the camera saw). Plates here are made up.
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { InvalidOptionError, type Envelope, type Frame, type OkoEvent, type Track } from '@oko/core'
import { httpRegistry, vehicleAttributeStage, type RegistryLookup } from '@oko/objects'
import { parseDeployment } from '@oko/deploy'
import { testContext } from '../helpers/stage.js'

const REGISTER: Record<string, object> = {
  A123BC77: { make: 'Lada', model: 'Vesta', colour: 'White', type: 'car', status: 'ok' },
  K777KK99: { make: 'GAZ', model: 'Gazelle', color: 'silver', type: 'van', status: 'stolen' },
}
let server: Server
let base: string
const asked: string[] = []

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res) => {
    const plate = decodeURIComponent(new URL(req.url!, 'http://x').pathname.split('/').pop()!)
    asked.push(plate)
    if (req.headers['x-api-key'] !== 'k1') { res.writeHead(401).end(); return }
    if (plate === 'SLOW0001') return // never answers: the lookup times out
    if (plate === 'BROKEN01') { res.writeHead(500).end(); return }
    const record = REGISTER[plate]
    if (!record) { res.writeHead(404).end(); return }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(record))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/vehicles/{plate}`
})
afterAll(async () => {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
})

/** A 200×120 rgb24 frame of one colour: the whole box is the car's body. */
function frameOf(seq: number, rgb: [number, number, number]): Frame {
  const width = 200, height = 120
  const data = new Uint8Array(width * height * 3)
  for (let i = 0; i < width * height; i++) data.set(rgb, i * 3)
  return { cameraId: 'gate', seq, ptsUs: seq * 200_000, wallMs: 0, width, height, format: 'rgb24', planes: [data], strides: [width * 3] }
}

function carTrack(plate: string, label = 'car'): Track {
  return {
    id: `t-${plate}`, label, box: { x: 10, y: 10, width: 180, height: 100 }, state: 'confirmed', score: 0.9, firstSeq: 1, lastSeenSeq: 1,
    velocity: { x: 0, y: 0 }, attributes: { plate: { value: plate, confidence: 0.93, source: 'plates' } },
  }
}

describe('vehicle register lookup', () => {
  it('asks the HTTP register once per plate (cached, found and not found), with its headers; timeouts and errors are not cached', async () => {
    asked.length = 0
    const lookup = httpRegistry({ url: base, timeoutMs: 300, headers: { 'x-api-key': 'k1' } })
    const signal = new AbortController().signal
    expect(await lookup('A123BC77', signal)).toEqual({ make: 'lada', model: 'vesta', colour: 'white', type: 'car', status: 'ok' })
    expect(await lookup('A123BC77', signal)).toEqual({ make: 'lada', model: 'vesta', colour: 'white', type: 'car', status: 'ok' })
    expect(await lookup('X000XX00', signal)).toBeUndefined()
    expect(await lookup('X000XX00', signal)).toBeUndefined()
    expect(asked).toEqual(['A123BC77', 'X000XX00'])
    const t0 = Date.now()
    await expect(lookup('SLOW0001', signal)).rejects.toThrow()
    expect(Date.now() - t0).toBeLessThan(5000)
    await expect(lookup('BROKEN01', signal)).rejects.toThrow(/HTTP 500/)
    await expect(lookup('BROKEN01', signal)).rejects.toThrow(/HTTP 500/)
    expect(asked.filter((p) => p === 'BROKEN01')).toHaveLength(2)
  })

  it('fills the track from the register and flags a cloned plate: another colour, or another type', async () => {
    const events: OkoEvent[] = []
    const ctx = testContext('gate', events)
    const stage = await vehicleAttributeStage({ registry: { url: base, timeoutMs: 2000, headers: { 'x-api-key': 'k1' } } })
    // a red car under a plate registered to a white Lada; a silver van's plate on a grey car (grey ~ silver, car ~ van: no flag); a bus under a car's plate
    const red = carTrack('A123BC77')
    const grey = carTrack('K777KK99')
    const bus = { ...carTrack('A123BC77', 'bus'), id: 't-bus' }
    const unknown = carTrack('X000XX00')
    const run = async (seq: number, track: Track, rgb: [number, number, number]) => {
      track.lastSeenSeq = seq
      const envelope: Envelope = { frame: frameOf(seq, rgb), detections: [], tracks: [track] }
      await stage.process(envelope, ctx)
    }
    for (const [t, rgb] of [[red, [200, 20, 25]], [grey, [128, 128, 128]], [bus, [235, 235, 235]], [unknown, [235, 235, 235]]] as const) {
      await run(1, t, rgb as [number, number, number])
      // the lookup runs without holding the frame: the record comes with a later frame
      await new Promise((resolve) => setTimeout(resolve, 100))
      await run(2, t, rgb as [number, number, number])
    }
    await stage.close?.()
    expect(events).toEqual([])
    expect(red.attributes.colour?.value).toBe('red')
    expect(red.attributes.make).toMatchObject({ value: 'lada vesta', source: 'registry' })
    expect(red.attributes.registeredColour?.value).toBe('white')
    expect(red.attributes.registryMismatch?.value).toBe('colour')
    expect(grey.attributes.registryStatus?.value).toBe('stolen')
    expect(grey.attributes.registryMismatch).toBeUndefined()
    expect(bus.attributes.registryMismatch?.value).toBe('type')
    expect(unknown.attributes.registryStatus?.value).toBe('not registered')
    expect(unknown.attributes.registryMismatch).toBeUndefined()
  })

  it('a user lookup function plugs in; a failed lookup is an error event (no plate in it), asked again later', async () => {
    const events: OkoEvent[] = []
    const ctx = testContext('gate', events)
    let calls = 0
    const registry: RegistryLookup = async () => {
      if (++calls === 1) throw new Error('register down')
      return { colour: 'red', type: 'car' }
    }
    const stage = await vehicleAttributeStage({ registry })
    const t = carTrack('A123BC77')
    for (let seq = 1; seq <= 3; seq++) {
      t.lastSeenSeq = seq
      await stage.process({ frame: frameOf(seq, [200, 20, 25]), detections: [], tracks: [t] }, ctx)
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    await stage.close?.()
    expect(events.map((e) => e.type)).toEqual(['error'])
    expect(JSON.stringify(events)).not.toContain('A123BC77')
    expect(calls).toBe(2)
    expect(t.attributes.registeredColour?.value).toBe('red')
    expect(t.attributes.registryMismatch).toBeUndefined()
  })

  it('bad registry options are refused at creation, naming the option', async () => {
    await expect(vehicleAttributeStage({ registry: { url: 'ftp://x/{plate}' } })).rejects.toThrow(/options\.registry\.url: expected an http or https URL/)
    await expect(vehicleAttributeStage({ registry: { url: base, timeoutMs: -1 } })).rejects.toThrow(InvalidOptionError)
    const yaml = (registry: string) => ['cameras:', '  - { id: c, url: x.mp4 }', 'stages:', '  - motion', '  - objects', '  - tracking', `  - attributes: { registry: ${registry} }`].join('\n')
    expect(() => parseDeployment(yaml('{ url: "not a url" }'))).toThrow(/stages\[3\]\.attributes\.registry\.url/)
    expect(() => parseDeployment(yaml('{ url: "http://127.0.0.1:1/v/{plate}", cacheMinuts: 5 }'))).toThrow(/cacheMinuts/)
    expect(parseDeployment(yaml('{ url: "http://127.0.0.1:1/v/{plate}", timeoutMs: 500 }')).stages.map((s) => s.name)).toContain('attributes')
  })
})
