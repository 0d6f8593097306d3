import { existsSync, statSync } from 'node:fs'
import { Decoder, Demuxer, Scaler } from 'node-av/api'
import type { Frame as AvFrame } from 'node-av/lib'
import { OkoError, checkNumber, checkOneOf, checkObject, checkKnownKeys } from '@oko/core'
import { LUMA_FIRST } from './luma.js'
import { withoutFfmpegWarnings } from './log.js'

/** A decoded still image, tightly packed (stride = width × channels). Owned by the caller. */
export interface DecodedImage {
  readonly data: Uint8Array
  readonly width: number
  readonly height: number
  readonly format: 'gray8' | 'rgb24'
}

export interface DecodeImageOptions {
  /** `rgb24` (default) or `gray8`. */
  format?: 'gray8' | 'rgb24'
  /** Larger images are rejected (protects memory from hostile files). Default 50 megapixels. */
  maxPixels?: number
}

/**
 * Decodes a JPEG, PNG, BMP (any still image FFmpeg reads) from a file path or bytes.
 * Errors name the file: ERR_FILE_NOT_FOUND, or ERR_INVALID_INPUT for empty, corrupt or huge images.
 */
export function decodeImage(input: string | Uint8Array, options: DecodeImageOptions = {}): DecodedImage {
  const opts = checkObject('options', options)
  checkKnownKeys('options', opts, ['format', 'maxPixels'])
  const format = checkOneOf('options.format', opts.format, ['gray8', 'rgb24'] as const, 'rgb24')
  const maxPixels = opts.maxPixels === undefined ? 50e6 : checkNumber('options.maxPixels', opts.maxPixels, { min: 1, integer: true })
  const name = typeof input === 'string' ? input : `<${input.byteLength} bytes>`
  if (typeof input === 'string') {
    if (!existsSync(input)) throw new OkoError('ERR_FILE_NOT_FOUND', `image not found: ${input}`)
    if (statSync(input).size === 0) throw new OkoError('ERR_INVALID_INPUT', `image is empty: ${input}`)
  } else if (input.byteLength === 0) {
    throw new OkoError('ERR_INVALID_INPUT', 'image is empty: 0 bytes given')
  }
  let demuxer: Demuxer | undefined
  let decoder: Decoder | undefined
  let frame: AvFrame | null = null
  try {
    demuxer = Demuxer.openSync(typeof input === 'string' ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength))
    const stream = demuxer.video()
    if (!stream) throw new Error('no picture in it')
    decoder = Decoder.createSync(stream)
    for (const packet of demuxer.packetsSync(stream.index)) {
      if (!packet) break
      decoder.decodeSync(packet)
      packet.free()
      frame = decoder.receiveSync() ?? null
      if (frame) break
    }
    if (!frame) {
      decoder.decodeSync(null)
      frame = decoder.receiveSync() ?? null
    }
    if (!frame || frame.width <= 0 || frame.height <= 0) throw new Error('no picture could be decoded')
    if (frame.width * frame.height > maxPixels) {
      throw new OkoError('ERR_INVALID_INPUT', `image too large: ${name} is ${frame.width}×${frame.height}; options.maxPixels is ${maxPixels}`)
    }
    return { data: toFormat(frame, format), width: frame.width, height: frame.height, format }
  } catch (cause) {
    if (cause instanceof OkoError) throw cause
    throw new OkoError('ERR_INVALID_INPUT', `cannot decode image ${name}: ${(cause as Error).message}; is it a JPEG/PNG/BMP file?`, { cause })
  } finally {
    frame?.free()
    decoder?.close()
    demuxer?.closeSync()
  }
}

function toFormat(frame: AvFrame, format: 'gray8' | 'rgb24'): Uint8Array {
  const { width, height } = frame
  if (format === 'gray8' && LUMA_FIRST.has(Number(frame.format))) {
    const plane = frame.data?.[0]
    const stride = frame.linesize[0]
    if (plane && stride !== undefined) {
      const out = new Uint8Array(width * height)
      for (let y = 0; y < height; y++) out.set(plane.subarray(y * stride, y * stride + width), y * width)
      return out
    }
  }
  const scaler = new Scaler()
  try {
    // JPEG decodes to the full-range yuvj formats, which swscale converts right but warns about on
    // every image (tagging yuv420p full range instead is ignored by node-av's scaler).
    const buffer = withoutFfmpegWarnings(() => scaler.toBufferSync(frame, { format: format === 'gray8' ? 'gray' : 'rgb' }))
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)
  } finally {
    scaler.close()
  }
}

/** Decodes an image file; see {@link decodeImage}. */
export function decodeImageFile(path: string, options: DecodeImageOptions = {}): DecodedImage {
  return decodeImage(path, options)
}
