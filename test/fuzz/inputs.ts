import fc from 'fast-check'
import { stringify } from 'yaml'

/**
 * One hostile input: files to write into a scratch folder, and the `oko` command line to run on
 * them there (`{dir}` in an argument is that folder).
 */
export interface FuzzInput {
  readonly kind: string
  readonly files: Readonly<Record<string, Uint8Array | string>>
  readonly argv: readonly string[]
}

/** The pristine media the corruptions start from, made once by the worker's host (see seeds.ts). */
export interface Seeds {
  readonly media: Readonly<Record<string, Uint8Array>>
  readonly faceWatchlist: Uint8Array
}

const scalar = fc.oneof(
  fc.integer(), fc.double(), fc.constantFrom(0, -1, 1e308, -1e308, 2 ** 53, 0.5, 255, 256, 65536),
  fc.string({ maxLength: 40 }), fc.constantFrom('', ' ', 'NaN', 'Infinity', '-0', '1e999', 'null', '~', 'yes', 'on', '0x10', '٣'),
  fc.boolean(), fc.constant(null),
)
const hostileString = fc.oneof(
  fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 100 }),
  fc.constantFrom('rtsp:///cam', 'rtps://h/x', 'rtsp://h:99999/x', 'rtsp://a:b@/x', 'http://', '://', 'file://', 'file:///etc/shadow', '/dev/zero', '/dev/urandom',
    '/proc/self/mem', '.', '..', '/', 'C:\\\\cams\\\\a.mp4', 'rtsp://h/x\r\nX: 1', 'rtsp://u:p@h@h@h/x', `rtsp://${'a'.repeat(5000)}/x`, 'udp://@:1', 'pipe:0', 'concat:a|b', '\u0000', '${X}', '$${', '${'),
)

/** Replaces the value at a random path of a JSON-like tree. */
function mutate(tree: unknown, rng: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  const paths: (string | number)[][] = []
  const walk = (node: unknown, path: (string | number)[]): void => {
    paths.push(path)
    if (Array.isArray(node)) node.forEach((v, i) => walk(v, [...path, i]))
    else if (node && typeof node === 'object') for (const [k, v] of Object.entries(node)) walk(v, [...path, k])
  }
  walk(tree, [])
  return fc.tuple(fc.constantFrom(...paths), rng, fc.constantFrom('set', 'set', 'delete', 'rename')).map(([path, value, op]) => {
    const copy = structuredClone(tree) as Record<string | number, unknown>
    if (path.length === 0) return value
    let node = copy as Record<string | number, unknown>
    for (const p of path.slice(0, -1)) node = node[p] as Record<string | number, unknown>
    const last = path.at(-1)!
    if (op === 'delete') delete node[last]
    else if (op === 'rename' && !Array.isArray(node)) { node[`${String(last)}x`] = node[last]; delete node[last] }
    else node[last] = value
    return copy
  })
}

const VALID = {
  cameras: [
    { id: 'gate-1', url: 'clip.mp4', fps: 5, masks: [[[0, 0], [1, 0], [1, 0.1]]], zones: [{ name: 'door', polygon: [[0.1, 0.5], [0.3, 0.5], [0.3, 1]], threshold: 20 }], stages: { motion: { threshold: 30 } } },
    { url: 'rtsp://admin:pw@127.0.0.1:1/sub', main: 'rtsp://admin:pw@127.0.0.1:1/main', transport: 'tcp', scale: { height: 360 } },
  ],
  stages: ['motion', { plates: { countries: ['ua', 'europe'], watchlist: 'stolen.txt', threads: 1 } }, { faces: { watchlist: 'staff.watchlist', threshold: 0.5 } }],
  output: { type: 'file', path: 'events.jsonl', format: 'jsonl' },
  edge: { capacity: 4 },
  events: { capacity: 100, overflow: 'drop-oldest' },
}

const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  v: fc.oneof({ depthSize: 'small' }, scalar, hostileString, fc.array(tie('v'), { maxLength: 4 }), fc.dictionary(fc.string({ maxLength: 8 }), tie('v'), { maxKeys: 4 })),
})).v

/** YAML text that is broken on purpose: syntax errors, alias bombs, deep nesting, huge files, odd encodings. */
const hostileYaml = fc.oneof(
  fc.string({ maxLength: 400 }),
  fc.string({ unit: 'binary', maxLength: 400 }),
  fc.integer({ min: 2, max: 12 }).map((n) => ['a: &a [x, x, x, x, x, x, x, x, x]', ...Array.from({ length: n }, (_, i) => `l${i}: &l${i} [${Array(9).fill(i === 0 ? '*a' : `*l${i - 1}`).join(', ')}]`), `cameras: [*l${n - 1}]`].join('\n')),
  fc.integer({ min: 100, max: 100_000 }).map((n) => `cameras: ${'['.repeat(n)}${']'.repeat(n)}`),
  fc.integer({ min: 100, max: 20_000 }).map((n) => `cameras:\n${Array.from({ length: n }, (_, i) => `  - { url: c${i}.mp4 }`).join('\n')}`),
  fc.constantFrom('\uFEFFcameras: [{ url: a.mp4 }]', 'cameras: [{ url: a.mp4 }]\ncameras: []', '%YAML 9.9\n---\ncameras: []', '!!js/function "x"', 'cameras: !!binary AAAA', '---\n---\n---', '? [a, b]\n: c', 'cameras: [{ url: *undefined }]', '{{{{', '- - - - -'),
  fc.constant(`cameras:\n  - url: a.mp4\n    zones:\n${'      - { name: z, polygon: [[0.1, 0.5], [0.3, 0.5], [0.3, 1]] }\n'.repeat(20_000)}`),
)

const plateWatchlist = fc.oneof(
  fc.string({ maxLength: 400 }),
  fc.array(fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('AA 1234 BB', '#', '   ', 'АВ 1234 СЕ', '###', '\t')), { maxLength: 50 }).map((l) => l.join('\n')),
  value.map((v) => JSON.stringify(v) ?? 'null'),
)

/** A deployment file: the valid one mutated at a random place, or hostile text. */
export function configInputs(seeds: Seeds): fc.Arbitrary<FuzzInput> {
  const deployment = fc.oneof(
    { weight: 4, arbitrary: fc.tuple(mutate(VALID, value), fc.boolean()).map(([t, asYaml]) => (asYaml ? yamlOf(t) : JSON.stringify(t, null, 2) ?? '')) },
    { weight: 1, arbitrary: hostileYaml },
  )
  return fc.tuple(deployment, fc.boolean()).map(([text, json]) => ({
    kind: 'config',
    files: { [json ? 'deploy.json' : 'deploy.yaml']: text, 'stolen.txt': 'AA 1234 BB\n', 'staff.watchlist': seeds.faceWatchlist, 'clip.mp4': 'not a video' },
    argv: ['run', `{dir}/${json ? 'deploy.json' : 'deploy.yaml'}`, '--check'],
  }))
}

/** Watchlists: plate lists as text or JSON, face watchlists as bytes (a valid file corrupted, or noise). */
export function watchlistInputs(seeds: Seeds): fc.Arbitrary<FuzzInput> {
  const config = 'cameras: [{ url: clip.mp4 }]\nstages: [motion, { plates: { watchlist: stolen.txt } }, { faces: { watchlist: staff.watchlist } }]\n'
  return fc.tuple(plateWatchlist, corrupt(seeds.faceWatchlist), fc.constantFrom('stolen.txt', 'stolen.json')).map(([plates, faces, name]) => ({
    kind: 'watchlist',
    files: { 'deploy.yaml': config.replace('stolen.txt', name), [name]: plates, 'staff.watchlist': faces, 'clip.mp4': 'x' },
    argv: ['run', '{dir}/deploy.yaml', '--check'],
  }))
}

/** Library calls the worker makes instead of a command: argv[0] names one. */
export const API_DECODE_IMAGE = '@decodeImage'
export const API_SOURCE_OPTIONS = '@resolveSourceOptions'
export const API_MOTION_OPTIONS = '@resolveMotionOptions'

/** Option objects of the library's entry points (Source.open, motionStage), as JSON. */
export function apiInputs(): fc.Arbitrary<FuzzInput> {
  const source = mutate({ id: 'gate', fps: 5, scale: { height: 360 }, format: 'auto', reconnect: { initialDelayMs: 100, maxAttempts: 3 }, main: { url: 'rtsp://h/main', maxGopPackets: 10 }, stalledAfterMs: 1000, ffmpegOptions: { buffer_size: '1024' } }, value)
  const motion = mutate({ threshold: 20, minArea: 0.001, processingHeight: 180, zones: [{ name: 'z', polygon: [{ x: 0, y: 0 }, { x: 1, y: 0 }, { x: 1, y: 1 }] }], masks: [] }, value)
  return fc.oneof(
    fc.tuple(hostileString, source).map(([url, o]) => ({ kind: 'api source', files: {}, argv: [API_SOURCE_OPTIONS, url, JSON.stringify(o) ?? 'null'] })),
    motion.map((o) => ({ kind: 'api motion', files: {}, argv: [API_MOTION_OPTIONS, JSON.stringify(o) ?? 'null'] })),
  )
}

/** Command-line options of run and probe, typos and hostile values included. */
export function optionInputs(): fc.Arbitrary<FuzzInput> {
  const flag = fc.constantFrom('--output', '--format', '--stats', '--ffmpeg-log', '--check', '--quiet', '--transport', '--timeout-ms', '--json', '--help', '-o', '-q', '--', '--nope', '-x')
  const word = fc.oneof(hostileString, fc.constantFrom('jsonl', 'msgpack', '0', '-1', '1e9', 'NaN', 'udp', 'tcp', 'debug', 'quiet', '{dir}/out/x.jsonl', '/proc/x', '{dir}'))
  return fc.tuple(fc.constantFrom('run', 'probe'), fc.array(fc.oneof(flag, word), { maxLength: 6 })).map(([command, args]) => ({
    kind: 'options',
    files: { 'deploy.yaml': 'cameras: [{ url: clip.mp4 }]\n', 'clip.mp4': 'not a video' },
    argv: command === 'run' ? ['run', '{dir}/deploy.yaml', ...args, ...(args.includes('--check') ? [] : ['--check'])] : ['probe', '{dir}/clip.mp4', ...args],
  }))
}

/** Corruptions of a byte string: truncation at any offset, bit flips in the header or the data, random bytes, spliced garbage. */
function corrupt(bytes: Uint8Array): fc.Arbitrary<Uint8Array> {
  const n = bytes.length
  return fc.oneof(
    fc.integer({ min: 0, max: n }).map((at) => bytes.slice(0, at)),
    fc.array(fc.tuple(fc.integer({ min: 0, max: Math.min(n, 4096) - 1 }), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 16 }).map((flips) => flip(bytes, flips)),
    fc.array(fc.tuple(fc.integer({ min: 0, max: n - 1 }), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 64 }).map((flips) => flip(bytes, flips)),
    fc.uint8Array({ maxLength: 4096 }),
    fc.tuple(fc.integer({ min: 0, max: n }), fc.uint8Array({ minLength: 1, maxLength: 2048 })).map(([at, junk]) => concat(bytes.slice(0, at), junk, bytes.slice(at))),
  )
}

/** Sizes and counts that mean "absurd" to a parser: written over 16- and 32-bit fields near the start. */
function absurd(bytes: Uint8Array): fc.Arbitrary<Uint8Array> {
  return fc.tuple(fc.integer({ min: 0, max: Math.min(bytes.length, 1024) - 4 }), fc.constantFrom(0xffff, 0x7fff, 0x4000, 0, 0xffffffff, 0x7fffffff, 0x10000, 65535 * 65535), fc.boolean()).map(([at, v, wide]) => {
    const out = bytes.slice()
    const view = new DataView(out.buffer, out.byteOffset, out.byteLength)
    if (wide) view.setUint32(at, v >>> 0, false)
    else view.setUint16(at, v & 0xffff, false)
    return out
  })
}

/** Corrupt media through `oko run` (motion on every frame), `oko probe`, and still-image decoding. */
export function mediaInputs(seeds: Seeds): fc.Arbitrary<FuzzInput> {
  const names = Object.keys(seeds.media)
  return fc.constantFrom(...names).chain((name) => {
    const bytes = seeds.media[name]!
    return fc.tuple(fc.oneof({ weight: 3, arbitrary: corrupt(bytes) }, { weight: 1, arbitrary: absurd(bytes) }), fc.constantFrom('run', 'probe')).map(([data, how]): FuzzInput => {
      const ext = name.split('.').pop()!
      const image = ext === 'jpg' || ext === 'png' || ext === 'bmp'
      const files = { [`clip.${ext}`]: data, 'deploy.yaml': `cameras: [{ id: cam, url: clip.${ext} }]\n` }
      // stills: what enrolment and the eval commands decode photos with
      if (image) return { kind: `image ${ext}`, files, argv: [API_DECODE_IMAGE, `{dir}/clip.${ext}`] }
      return { kind: `media ${ext}`, files, argv: how === 'run' ? ['run', '{dir}/deploy.yaml', '--quiet', '--output', '{dir}/events.jsonl'] : ['probe', `{dir}/clip.${ext}`] }
    })
  })
}

function yamlOf(tree: unknown): string {
  try {
    return stringify(tree)
  } catch {
    return JSON.stringify(tree) ?? ''
  }
}

function flip(bytes: Uint8Array, flips: readonly (readonly [number, number])[]): Uint8Array {
  const out = bytes.slice()
  for (const [at, mask] of flips) out[at]! ^= mask
  return out
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let o = 0
  for (const p of parts) { out.set(p, o); o += p.length }
  return out
}

/** Every kind of input, in the proportions the suite and the benchmark use. */
export function allInputs(seeds: Seeds): fc.Arbitrary<FuzzInput> {
  return fc.oneof(
    { weight: 4, arbitrary: configInputs(seeds) },
    { weight: 1, arbitrary: watchlistInputs(seeds) },
    { weight: 2, arbitrary: optionInputs() },
    { weight: 2, arbitrary: apiInputs() },
    { weight: 4, arbitrary: mediaInputs(seeds) },
  )
}
