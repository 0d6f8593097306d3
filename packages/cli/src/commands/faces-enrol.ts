import { existsSync, readdirSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { OkoError, checkNumber } from '@oko/core'
import { DEFAULT_MATCH_THRESHOLD, FaceAnalyzer, Watchlist, describeSingleFace, isImageFile } from '@oko/faces'
import { decodeImage } from '@oko/source'
import type { Command } from '../command.js'
import { ExitCode, UsageError } from '../command.js'

export const facesEnrolCommand: Command = {
  path: ['faces', 'enrol'],
  summary: 'Make a face watchlist from photos of each person (for the faces stage of oko run)',
  usage: 'faces enrol <out.watchlist> <name>=<photo>[,<photo>...] ... | <folder of identity folders> [--threshold 0.55] [--detector tiny|ssd] [--append]',
  description: [
    'Describes the one face in each photo and writes the descriptors to a versioned, checksummed',
    'watchlist file that `oko run` loads (stages: - faces: { watchlist: <file> }). Give people as',
    'name=photo1.jpg,photo2.jpg (several photos per person match better), or a folder whose',
    'sub-folders are people (folder name = identity, images inside = photos). A photo without a',
    'face, with several faces, or with an unusable face stops the enrolment with its file name, and',
    'nothing is written. Tightly cropped faces (ID photos) are padded automatically. The file holds',
    'descriptors (personal data): keep it as you keep the photos.',
    'Example: oko faces enrol staff.watchlist alice=alice1.jpg,alice2.jpg bob=bob.png',
  ].join('\n'),
  options: {
    threshold: { type: 'string' },
    detector: { type: 'string' },
    append: { type: 'boolean' },
  },
  optionHelp: {
    threshold: `match distance stored in the file (default ${DEFAULT_MATCH_THRESHOLD}; calibrate with oko eval faces --fmr)`,
    detector: 'face detector: tiny (default) or ssd',
    append: 'add to the people of an existing watchlist file instead of replacing it',
  },
  async run(args, io) {
    const [out, ...specs] = args.positionals
    if (out === undefined || specs.length === 0) throw new UsageError(`expected an output file and at least one person; usage: oko ${this.usage}`)
    if (existsSync(out) && statSync(out).isDirectory()) throw new UsageError(`${out} is a folder; the first argument is the watchlist file to write`)
    let threshold: number | undefined
    if (args.values.threshold !== undefined) {
      try {
        threshold = checkNumber('--threshold', Number(args.values.threshold), { min: 0, exclusiveMin: true, max: 4 })
      } catch {
        throw new UsageError(`--threshold expects a number in (0, 4], received ${JSON.stringify(args.values.threshold)}`)
      }
    }
    const detector = args.values.detector ?? 'tiny'
    if (detector !== 'tiny' && detector !== 'ssd') throw new UsageError(`--detector expects tiny or ssd, received ${JSON.stringify(detector)}`)
    const people = specs.flatMap((s) => parsePeople(s))
    const analyzer = await FaceAnalyzer.create({ detector: { model: detector } })
    let list: Watchlist
    try {
      if (args.values.append && existsSync(out)) {
        list = await Watchlist.load(out, { expectModelId: analyzer.modelId })
        if (threshold !== undefined) list.threshold = threshold
      } else {
        list = Watchlist.create({ modelId: analyzer.modelId, ...(threshold !== undefined ? { threshold } : {}) })
      }
      const progress = io.progress('enrol', people.reduce((n, p) => n + p.photos.length, 0))
      let done = 0
      for (const person of people) {
        const descriptors: Float32Array[] = []
        for (const photo of person.photos) {
          if (io.signal.aborted) throw new OkoError('ERR_ABORTED', 'interrupted; nothing was written')
          const image = decodeImage(photo, { format: 'rgb24' })
          descriptors.push((await describeSingleFace(analyzer, image, photo, { tightCrop: 'auto' })).descriptor)
          progress.update(++done)
        }
        list.enrol(person.name, descriptors)
      }
      progress.done()
    } finally {
      await analyzer.close()
    }
    await list.save(out)
    const lines = people.map((p) => `  ${p.name}: ${p.photos.length} photo(s)`)
    io.stdout.write(`${out}: ${list.size} identities, threshold ${list.threshold.toFixed(3)}, model ${list.modelId}\n${lines.join('\n')}\n`)
    return ExitCode.ok
  },
}

interface Person {
  readonly name: string
  readonly photos: readonly string[]
}

/** `name=a.jpg,b.jpg`, or a folder of identity folders. */
function parsePeople(spec: string): Person[] {
  const eq = spec.indexOf('=')
  if (eq < 0) {
    const dir = resolve(spec)
    if (!existsSync(dir)) throw new UsageError(`not found: ${spec}; give name=photo[,photo...] or a folder of identity folders`, ExitCode.input)
    if (!statSync(dir).isDirectory()) throw new UsageError(`${spec}: expected name=photo[,photo...] or a folder of identity folders`)
    const people = readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).sort((a, b) => a.name.localeCompare(b.name)).map((d) => ({
      name: d.name,
      photos: readdirSync(join(dir, d.name)).filter(isImageFile).sort().map((f) => join(dir, d.name, f)),
    })).filter((p) => p.photos.length > 0)
    if (people.length === 0) throw new UsageError(`${spec}: no identity folders with images (expected ${spec}/<name>/*.jpg)`)
    return people
  }
  const name = spec.slice(0, eq).trim()
  const photos = spec.slice(eq + 1).split(',').map((p) => p.trim()).filter(Boolean)
  if (name === '') throw new UsageError(`${spec}: the name before "=" is empty; write name=photo[,photo...]`)
  if (photos.length === 0) throw new UsageError(`${spec}: no photo after "="; write name=photo[,photo...]`)
  for (const p of photos) if (!existsSync(p)) throw new UsageError(`photo not found: ${p} (for ${name})`, ExitCode.input)
  return [{ name, photos }]
}
