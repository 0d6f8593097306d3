import type { Frame } from '@oko/core'
import { OkoError } from '@oko/core'

/**
 * What is left of a borrowed frame once the decode loop has moved on: its info. Reading its pixels
 * throws, naming the fix (a worker stage that needs pixels materialises them in `prepare`).
 */
export function infoOnly(frame: Frame): Frame {
  const { cameraId, seq, ptsUs, wallMs, width, height, format } = frame
  const refuse = (): never => {
    throw new OkoError('ERR_CLOSED', `frame ${cameraId}#${seq} was borrowed from the decoder and is gone: a stage before this one sent the envelope to a worker without materialising its pixels (call tools.own(envelope) in prepare)`)
  }
  const info = { cameraId, seq, ptsUs, wallMs, width, height, format }
  Object.defineProperty(info, 'planes', { get: refuse, enumerable: false })
  Object.defineProperty(info, 'strides', { get: refuse, enumerable: false })
  return info as unknown as Frame
}
