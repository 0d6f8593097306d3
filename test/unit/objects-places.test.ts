import { describe, expect, it } from 'vitest'
import { IDLE_AFTER_RUNS, QuietPlaces } from '@oko/objects'

// A camera at 15 fps with the detector at 5 fps (a run every 200 ms) and idleFps 2.5 (400 ms).
const door = { x: 1116, y: 330, width: 96, height: 276 }
const car = (x: number) => ({ x, y: 200, width: 240, height: 140 })
const centre = (r: { x: number; y: number; width: number; height: number }) => ({ x: r.x + r.width / 2, y: r.y + r.height / 2 })

describe('objects: places where the detector keeps finding nothing rest (QuietPlaces)', () => {
  it(`a door edge rests after ${IDLE_AFTER_RUNS} empty runs, searched once per idle interval, while a car elsewhere is searched every run`, () => {
    const places = new QuietPlaces(400_000)
    const doorRuns: number[] = []
    for (let run = 0; run < 12; run++) {
      const pts = run * 200_000
      const now = car(100 + run * 30)
      const search = places.toSearch([door, now], pts)
      expect(search).toContainEqual(now)
      if (search.includes(door)) doorRuns.push(run)
      // the detector finds the car; nothing at the door
      places.searched(search, [centre(now)])
    }
    // three runs at the full rate, then every other run (400 ms ≥ 0.9 of the idle interval)
    expect(doorRuns).toEqual([0, 1, 2, 4, 6, 8, 10])
  })

  it('a place whose runs find something, or that changes shape (a car passing the door edge), is searched every run', () => {
    const places = new QuietPlaces(400_000)
    // searched at 0, 200 and 400 ms, found nothing: resting at 700 ms
    for (let run = 0; run < 3; run++) places.searched(places.toSearch([door], run * 200_000), [])
    expect(places.toSearch([door], 700_000)).toEqual([])
    // the car drives through: one larger region around both (IoU with the door's < 0.5)
    const both = { x: 1000, y: 200, width: 300, height: 420 }
    expect(places.toSearch([both], 5 * 200_000)).toEqual([both])
    // found something there: searched on every run
    const busy = new QuietPlaces(400_000)
    for (let run = 0; run < 6; run++) {
      const search = busy.toSearch([door], run * 200_000)
      expect(search, `run ${run}`).toEqual([door])
      busy.searched(search, [centre(door)])
    }
  })

  it('a place that stopped moving for two idle intervals is forgotten (new when it moves again); a clock that goes back searches', () => {
    const places = new QuietPlaces(400_000)
    for (let run = 0; run < 3; run++) places.searched(places.toSearch([door], run * 200_000), [])
    expect(places.toSearch([door], 700_000)).toEqual([])
    // no motion there for over 0.8 s (two idle intervals): forgotten, so moving again it has its runs at the full rate
    expect(places.toSearch([], 1_000_000)).toEqual([])
    places.searched(places.toSearch([door], 1_600_000), [])
    expect(places.toSearch([door], 1_800_000)).toEqual([door])
    // resting again, then the file restarts at pts 0
    const again = new QuietPlaces(400_000)
    for (let run = 0; run < 3; run++) again.searched(again.toSearch([door], run * 200_000), [])
    expect(again.toSearch([door], 700_000)).toEqual([])
    expect(again.toSearch([door], 0)).toEqual([door])
  })
})
