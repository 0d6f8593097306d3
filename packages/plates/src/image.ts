import type { RawPixelFormat } from '@oko/core'

/** Channel offsets of R, G, B in a pixel of `format` (grey: all 0). */
export function channelOffsets(format: RawPixelFormat): readonly [number, number, number] {
  switch (format) {
    case 'rgb24': case 'rgba': return [0, 1, 2]
    case 'bgr24': return [2, 1, 0]
    case 'gray8': return [0, 0, 0]
  }
}
