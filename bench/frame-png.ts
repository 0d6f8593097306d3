// Frames as PNG files, to look at what a generated scene looks like (no image library needed).
import { deflateSync } from 'node:zlib'
import type { RgbImage } from '@oko/core'

/** Tightly packed yuv420p (BT.601 limited range) → rgb24. */
export function yuvToRgb(yuv: Uint8Array, width: number, height: number): RgbImage {
  const out = new Uint8Array(width * height * 3)
  const cw = width / 2, uOff = width * height, vOff = uOff + cw * (height / 2)
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const c = (y >> 1) * cw + (x >> 1)
      const Y = 1.164 * (yuv[y * width + x]! - 16), U = yuv[uOff + c]! - 128, V = yuv[vOff + c]! - 128
      const o = 3 * (y * width + x)
      out[o] = Math.max(0, Math.min(255, Y + 1.596 * V))
      out[o + 1] = Math.max(0, Math.min(255, Y - 0.392 * U - 0.813 * V))
      out[o + 2] = Math.max(0, Math.min(255, Y + 2.017 * U))
    }
  }
  return { data: out, width, height, format: 'rgb24' }
}

/** An rgb24 image as PNG (no filter), to look at the frames. */
export function png(image: RgbImage): Buffer {
  const { width, height, data } = image
  const raw = Buffer.alloc((width * 3 + 1) * height)
  for (let y = 0; y < height; y++) Buffer.from(data.buffer, data.byteOffset + y * width * 3, width * 3).copy(raw, y * (width * 3 + 1) + 1)
  const crcTable = Array.from({ length: 256 }, (_, n) => { let c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; return c >>> 0 })
  const crc = (b: Buffer) => { let c = 0xffffffff; for (const x of b) c = crcTable[(c ^ x) & 0xff]! ^ (c >>> 8); return (c ^ 0xffffffff) >>> 0 }
  const chunk = (type: string, body: Buffer) => {
    const t = Buffer.concat([Buffer.from(type, 'ascii'), body])
    const len = Buffer.alloc(4); len.writeUInt32BE(body.length)
    const c = Buffer.alloc(4); c.writeUInt32BE(crc(t))
    return Buffer.concat([len, t, c])
  }
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(width, 0); ihdr.writeUInt32BE(height, 4); ihdr[8] = 8; ihdr[9] = 2
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))])
}

