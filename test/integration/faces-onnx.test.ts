import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { FaceEmbedder, Watchlist } from '@oko/faces'

// A bring-your-own embedder, written here as a minimal ONNX file (protobuf by hand, no download):
// GlobalAveragePool → Flatten, so the "descriptor" of a uniform chip is its normalised colour.
function field(no: number, wire: 0 | 2, value: number | Uint8Array): Uint8Array {
  const varint = (n: number) => { const out: number[] = []; do { let b = n & 0x7f; n = Math.floor(n / 128); if (n) b |= 0x80; out.push(b) } while (n); return out }
  const body = typeof value === 'number' ? varint(value) : [...varint(value.length), ...value]
  return Uint8Array.from([...varint((no << 3) | wire), ...body])
}
const cat = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((p) => [...p]))
const str = (s: string) => new TextEncoder().encode(s)
const valueInfo = (name: string, dims: number[]) =>
  cat(field(1, 2, str(name)), field(2, 2, field(1, 2, cat(field(1, 0, 1), field(2, 2, cat(...dims.map((d) => field(1, 2, field(1, 0, d)))))))))
const node = (op: string, input: string, output: string) => cat(field(1, 2, str(input)), field(2, 2, str(output)), field(3, 2, str(op)), field(4, 2, str(op)))
const model = cat(
  field(1, 0, 7),
  field(7, 2, cat(
    field(1, 2, node('GlobalAveragePool', 'input', 'pooled')),
    field(1, 2, node('Flatten', 'pooled', 'embedding')),
    field(2, 2, str('mean-colour')),
    field(11, 2, valueInfo('input', [1, 3, 112, 112])),
    field(12, 2, valueInfo('embedding', [1, 3])),
  )),
  field(8, 2, cat(field(1, 2, str('')), field(2, 0, 13))),
)

describe('bring-your-own ONNX embedder', () => {
  it('aligns with the ArcFace template, normalises input and output, and gets its own model id', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oko-faces-onnx-'))
    const path = join(dir, 'mean-colour.onnx')
    writeFileSync(path, model)
    const embedder = await FaceEmbedder.create({ model: { onnx: path, inputSizePx: 112, align: 'arcface' } })
    try {
      expect(embedder.modelId).toMatch(/^onnx:[0-9a-f]{16}$/)
      expect(embedder.backend).toBe('onnxruntime')
      const width = 200, height = 200
      const data = new Uint8Array(width * height * 3)
      for (let i = 0; i < width * height; i++) data.set([200, 100, 50], i * 3)
      const five = [{ x: 80, y: 90 }, { x: 120, y: 90 }, { x: 100, y: 110 }, { x: 85, y: 130 }, { x: 115, y: 130 }]
      const [d] = await embedder.embed({ data, width, height, format: 'rgb24' }, [{ landmarks: five }])
      const raw = [200, 100, 50].map((v) => (v - 127.5) / 127.5)
      const norm = Math.hypot(...raw)
      expect(d).toHaveLength(3)
      raw.forEach((v, i) => expect(d![i]).toBeCloseTo(v / norm, 3))
      // Descriptors of this model only go into a watchlist made for it.
      const list = Watchlist.create({ modelId: embedder.modelId, dimensions: 3 })
      list.enrol('colour', [d!])
      expect(list.match(d!).identity).toBe('colour')
      await expect(embedder.embed({ data, width, height, format: 'rgb24' }, [{ landmarks: five.slice(0, 3) }])).rejects.toThrow(/68 or 5 points/)
    } finally {
      await embedder.close()
      await embedder.close()
    }
  })

  it('rejects a file that is not an ONNX model', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oko-faces-onnx-'))
    writeFileSync(join(dir, 'junk.onnx'), 'definitely not protobuf')
    await expect(FaceEmbedder.create({ model: { onnx: join(dir, 'junk.onnx') } })).rejects.toMatchObject({ code: 'ERR_MODEL', message: expect.stringMatching(/embedder model .*junk.onnx could not be loaded as ONNX/) })
  })
})
