import { describe, expect, it } from 'vitest'
import { formatMotFile, parseMotFile, scoreTracks, type MotBox } from '@oko/tracking'

const box = (frame: number, id: string, x: number): MotBox => ({ frame, id, x, y: 10, width: 20, height: 20 })

describe('MOT metrics', () => {
  it('a perfect output: MOTA 1, IDF1 1, no switches; the file format round-trips', () => {
    const truth = [1, 2, 3, 4].flatMap((f) => [box(f, '1', f * 5), box(f, '2', 200 - f * 5)])
    const text = formatMotFile(truth)
    expect(parseMotFile(text)).toEqual(truth)
    const m = scoreTracks(truth, truth.map((b) => ({ ...b, id: `T${b.id}` })))
    expect(m).toMatchObject({ mota: 1, idf1: 1, idSwitches: 0, misses: 0, falsePositives: 0, mostlyTracked: 2, mostlyLost: 0 })
  })

  it('counts an id switch, misses and false positives; IDF1 keeps the best assignment', () => {
    const truth = [1, 2, 3, 4, 5, 6].map((f) => box(f, '1', f * 5))
    // track A for frames 1-3, then track B for 4-5, frame 6 missed, and a stray box in frame 2
    const out = [...[1, 2, 3].map((f) => box(f, 'A', f * 5)), ...[4, 5].map((f) => box(f, 'B', f * 5)), box(2, 'C', 500)]
    const m = scoreTracks(truth, out)
    expect(m).toMatchObject({ matches: 5, misses: 1, falsePositives: 1, idSwitches: 1 })
    expect(m.mota).toBeCloseTo(1 - 3 / 6)
    expect(m.idf1).toBeCloseTo((2 * 3) / (6 + 6))
  })

  it('ignores conf-0 rows and names the line of a bad one', () => {
    expect(parseMotFile('1,1,0,0,10,10,0,-1,-1\n2,1,0,0,10,10,1,-1,-1\n')).toHaveLength(1)
    expect(() => parseMotFile('1,1,zero,0,10\n', 'gt.txt')).toThrow(/gt\.txt line 1: expected frame,id,x,y,w,h/)
  })
})
