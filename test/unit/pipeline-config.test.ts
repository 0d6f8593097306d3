import { InvalidOptionError, defineStage } from '@oko/core'
import { EventEncoder } from '@oko/sinks'
import { describe, expect, it } from 'vitest'
import { parseDeployment, runDeployment, type StageRegistry } from '@oko/deploy'
import { TestSource } from './pipeline-helpers.js'
import { bytesSink } from '../helpers/events.js'

const GOOD = `# two cameras
cameras:
  - id: gate-1
    url: rtsp://user:pass@10.0.0.5:554/sub
    main: rtsp://user:pass@10.0.0.5:554/main
    fps: 5
    masks:
      - [[0, 0], [1, 0], [1, 0.1]]
    zones:
      - name: door
        polygon: [[0.1, 0.5], [0.3, 0.5], [0.3, 1]]
  - url: clips/yard.mp4
    stages:
      motion: { threshold: 30 }
stages:
  - motion: { threshold: 20 }
output: { type: file, path: out/events.msgpack, format: msgpack }
`

function errorOf(text: string, registry?: StageRegistry): string {
  try {
    parseDeployment(text, { baseDir: '/srv/oko', ...(registry ? { registry } : {}) })
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidOptionError)
    return (error as Error).message
  }
  throw new Error('expected a validation error')
}

describe('deployment config', () => {
  it('parses cameras, stages, masks, zones and output; relative paths from the config folder', () => {
    const config = parseDeployment(GOOD, { baseDir: '/srv/oko' })
    expect(config.cameras.map((c) => [c.id, c.url])).toEqual([
      ['gate-1', 'rtsp://user:pass@10.0.0.5:554/sub'],
      ['yard', '/srv/oko/clips/yard.mp4'],
    ])
    expect(config.cameras[0]).toMatchObject({ fps: 5, main: 'rtsp://user:pass@10.0.0.5:554/main', masks: [[{ x: 0, y: 0 }, { x: 1, y: 0 }, { x: 1, y: 0.1 }]] })
    expect(config.cameras[0]!.zones[0]).toEqual({ name: 'door', polygon: [{ x: 0.1, y: 0.5 }, { x: 0.3, y: 0.5 }, { x: 0.3, y: 1 }] })
    expect(config.cameras[1]!.stages).toEqual({ motion: { threshold: 30 } })
    expect(config.stages).toEqual([{ name: 'motion', options: { threshold: 20 } }])
    expect(config.output).toEqual({ type: 'file', path: '/srv/oko/out/events.msgpack', format: 'msgpack' })
  })

  it('defaults: motion stage, stdout JSON lines', () => {
    const config = parseDeployment('cameras: [{ url: a.mp4 }]', { baseDir: '/x' })
    expect(config.stages).toEqual([{ name: 'motion', options: {} }])
    expect(config.output).toEqual({ type: 'stdout', format: 'jsonl' })
  })

  it('points at the line of a bad value and says the fix', () => {
    const text = GOOD.replace('  - url: clips/yard.mp4', '  - url: ""')
    expect(errorOf(text)).toBe('cameras[1].url (line 12): expected a non-empty string, received "" (string); give the detect stream (the low-resolution sub-stream): rtsp://user:pass@host:554/path, or a video file path')
  })

  it('points at the camera when a required key is missing', () => {
    expect(errorOf('cameras:\n  - id: a\n    fps: 5\n')).toMatch(/^cameras\[0\]\.url \(line 2\): expected a non-empty string, received undefined; give the detect stream/)
  })

  it('catches typos with a suggestion, at the key line', () => {
    expect(errorOf('cameras:\n  - url: a.mp4\n    fsp: 5\n')).toMatch(/^cameras\[0\]\.fsp \(line 3\): unknown option; did you mean "fps"\?/)
  })

  it('checks stage options with the stage validator, at the right line', () => {
    expect(errorOf('cameras: [{ url: a.mp4 }]\nstages:\n  - motion:\n      threshold: 300\n')).toMatch(/^stages\[0\]\.motion\.threshold \(line 4\): expected an integer in \[1, 254\], received 300/)
    expect(errorOf('cameras: [{ url: a.mp4 }]\nstages: [lpr]\n')).toMatch(/^stages\[0\] \(line 2\): unknown stage "lpr" \(string\); known stages: motion, objects, tracking, attributes, rules, plates, faces/)
  })

  it('checks polygons, ids, duplicates, output', () => {
    expect(errorOf('cameras:\n  - url: a.mp4\n    masks:\n      - [[0, 0], [2, 0], [1, 1]]\n')).toMatch(/^cameras\[0\]\.masks\[0\]\[1\]\[0\] \(line 4\): expected a number in \[0, 1\], received 2/)
    expect(errorOf('cameras:\n  - url: a.mp4\n  - url: b/a.mp4\n')).toMatch(/^cameras\[1\]\.id \(line 3\): duplicate camera id "a"/)
    expect(errorOf('cameras: [{ url: a.mp4 }]\noutput: { type: file, format: xml, path: e }\n')).toMatch(/^output\.format \(line 2\): expected one of "jsonl", "msgpack".*; use "jsonl"/)
    expect(errorOf('cameras: []\n')).toMatch(/^cameras \(line 1\): expected at least one camera/)
    expect(errorOf('')).toMatch(/^config: the file is empty/)
  })

  it('reports YAML syntax errors with their line', () => {
    expect(errorOf('cameras:\n  - url: a.mp4\n   fps: [5\n')).toMatch(/^config \(line \d\): .*fix the YAML\/JSON syntax/)
  })

  it('reads JSON with line numbers too', () => {
    const json = JSON.stringify({ cameras: [{ url: 'a.mp4' }, { url: 'b.mp4', fps: -1 }] }, null, 2)
    expect(errorOf(json)).toMatch(/^cameras\[1\]\.fps \(line 8\): expected a number in \(0, 1000\]/)
  })
})

/** A registry with a test stage: a motion event for every bright frame. */
const testRegistry: StageRegistry = {
  motion: {
    check: () => {},
    create: (options, camera) => defineStage({
      name: 'motion',
      process: (e, ctx) => {
        if (e.frame.planes[0]![0]! < Number(options.min ?? 0)) return undefined
        ctx.emit({ type: 'motion', cameraId: camera.id, seq: e.frame.seq, ptsUs: e.frame.ptsUs, score: 1, regions: [], zones: [] })
        return e
      },
    }),
  },
}

describe('runDeployment', () => {
  it('runs every camera through the configured stages and writes encoded events', async () => {
    const config = parseDeployment('cameras:\n  - { id: a, url: a.mp4 }\n  - { id: b, url: b.mp4, stages: { motion: { min: 5 } } }\noutput: { format: msgpack }\n', { baseDir: '/x', registry: testRegistry })
    const chunks: Uint8Array[] = []
    const result = await runDeployment(config, {
      registry: testRegistry,
      openSource: async (c) => new TestSource(c.id, { frames: 10 }),
      stdout: bytesSink(chunks),
    })
    const events = EventEncoder.decode(Buffer.concat(chunks), 'msgpack')
    expect(events.filter((e) => e.type === 'motion' && e.cameraId === 'a')).toHaveLength(10)
    expect(events.filter((e) => e.type === 'motion' && e.cameraId === 'b').map((e) => (e as { seq?: number }).seq)).toEqual([5, 6, 7, 8, 9])
    expect(result.summary).toMatchObject({ framesIn: 20, gated: 5, outputs: 15 })
    expect(result.failedCameras).toEqual([])
  })

  it('a camera that cannot be opened is an error event; the others run', async () => {
    const config = parseDeployment('cameras:\n  - { id: a, url: a.mp4 }\n  - { id: gone, url: missing.mp4 }\n', { baseDir: '/x', registry: testRegistry })
    const chunks: Uint8Array[] = []
    const result = await runDeployment(config, {
      registry: testRegistry,
      openSource: async (c) => {
        if (c.id === 'gone') throw Object.assign(new Error(`camera "gone": file not found: ${c.url}`), { code: 'ERR_FILE_NOT_FOUND' })
        return new TestSource(c.id, { frames: 3 })
      },
      stdout: bytesSink(chunks),
    })
    const events = EventEncoder.decode(Buffer.concat(chunks), 'jsonl')
    expect(events[0]).toMatchObject({ type: 'error', cameraId: 'gone', stage: 'source', fatal: false, error: { code: 'ERR_FILE_NOT_FOUND' } })
    expect(events[0]!.type === 'error' && events[0]!.error.stack).toBe(undefined)
    expect(events.filter((e) => e.type === 'motion')).toHaveLength(3)
    expect(result.failedCameras).toEqual(['gone'])
  })
})
