import { motionStage } from '@oko/motion'
import { Pipeline } from '@oko/pipeline'
import { plateStage } from '@oko/plates'
import { Source } from '@oko/source'

const url = process.argv[2] ?? 'rtsp://user:pass@10.0.4.12/sub' // a file works too
await using camera = await Source.open(url, { id: 'entry-1', fps: 5 })
// The models run in a worker thread; each plate is read in the regions that moved, in every frame
// it is seen, and voted into one event when its car has left (or the stream ends).
await using plates = await plateStage({ reader: { countries: ['ua', 'europe'] }, watchlists: [{ name: 'stolen', plates: ['AB 1234 CE'] }] })
await using run = Pipeline.from(camera).pipe(() => motionStage()).pipe(plates).run()

for await (const event of run.events) {
  if (event.type === 'plate') console.log(`${event.cameraId} plate ${event.text} (${event.country}) read in ${event.readings} frames${event.watchlist ? `, on ${event.watchlist.map((h) => h.list)}` : ''}`)
  else if (event.type === 'error') console.warn(`${event.stage}: ${event.error.message}`)
}
console.log(await run.completion)
