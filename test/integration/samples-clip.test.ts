import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { Decoder, Demuxer } from 'node-av/api'
import { SceneRenderer, streetScene, writeSampleClip } from '@oko/samples'

describe('writeSampleClip', () => {
  it('writes an H.264 clip that decodes to the rendered frames', () => {
    const dir = mkdtempSync(join(tmpdir(), 'oko-clip-'))
    const scene = streetScene({ width: 320, height: 180, fps: 10 })
    const clip = writeSampleClip(join(dir, 'street.mp4'), scene)
    expect(clip.truth).toHaveLength(scene.frames)

    const demuxer = Demuxer.openSync(clip.path)
    const stream = demuxer.video()!
    expect([stream.codecpar.width, stream.codecpar.height]).toEqual([320, 180])
    const decoder = Decoder.createSync(stream)
    const renderer = new SceneRenderer(scene)
    const expected = new Uint8Array(320 * 180)
    let frames = 0
    let worstMeanError = 0
    const consume = () => {
      for (let frame = decoder.receiveSync(); frame; frame = decoder.receiveSync()) {
        renderer.renderLuma(frames, expected)
        const y = frame.data![0]!
        const stride = frame.linesize[0]!
        let error = 0
        for (let r = 0; r < 180; r++) for (let c = 0; c < 320; c++) error += Math.abs(y[r * stride + c]! - expected[r * 320 + c]!)
        worstMeanError = Math.max(worstMeanError, error / (320 * 180))
        frame.free()
        frames++
      }
    }
    for (const packet of demuxer.packetsSync(stream.index)) {
      if (!packet) break
      decoder.decodeSync(packet)
      packet.free()
      consume()
    }
    decoder.decodeSync(null)
    consume()
    decoder.close()
    demuxer.closeSync()
    expect(frames).toBe(scene.frames)
    // Lossy, but close: noise is what the encoder smooths away.
    expect(worstMeanError).toBeLessThan(6)
  })
})
