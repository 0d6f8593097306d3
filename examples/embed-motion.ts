import { motionStage } from '@oko/motion'
import { Pipeline } from '@oko/pipeline'
import { Source } from '@oko/source'

const url = process.argv[2] ?? 'rtsp://user:pass@10.0.4.12/sub' // a file works too
await using camera = await Source.open(url, { id: 'gate-1', fps: 10 })
const door = { name: 'door', polygon: [{ x: 0, y: 0.5 }, { x: 0.5, y: 0.5 }, { x: 0.5, y: 1 }, { x: 0, y: 1 }] }
// A factory (cameraId) => stage: each camera gets its own detector, closed with the run.
await using run = Pipeline.from(camera).pipe(() => motionStage({ zones: [door] })).run({ signal: AbortSignal.timeout(600_000) })

for await (const event of run.events) {
  if (event.type === 'motion') console.log(`${event.cameraId} motion ${event.score.toFixed(3)} zones [${event.zones.map((z) => z.zone)}]`)
  else if (event.type === 'tamper') console.warn(`${event.cameraId} tamper: ${event.reason} ${event.active ? 'started' : 'cleared'}`)
  else if (event.type === 'dropped') console.warn(`${event.stage}: dropped ${event.count} (${event.reason})`)
}
console.log(await run.completion)
