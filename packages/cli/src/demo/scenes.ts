import { join } from 'node:path'
import { streetScene, writeSampleClip, type SampleClip, type SceneSpec } from '@oko/samples'

/** The demo's two cameras: a street at dusk that switches to infrared, and the same street in rain. */
export function demoScenes(): { id: string; scene: SceneSpec }[] {
  const street = streetScene()
  return [
    { id: 'street', scene: street },
    { id: 'rain', scene: { ...streetScene({ seed: 11 }), rainStreaksPerFrame: 60, lighting: [] } },
  ]
}

/** Renders and encodes the demo clips into `dir` (about a second each). */
export function writeDemoClips(dir: string): { id: string; clip: SampleClip }[] {
  return demoScenes().map(({ id, scene }) => ({ id, clip: writeSampleClip(join(dir, `${id}.mp4`), scene) }))
}
