import { OkoError, bytesPerPixel, type RawImage, type RawPixelFormat, type Rect, type RgbImage } from '@oko/core'

/** Copies `region` (or the whole image) into a new, tightly packed image, with where it came from. */
export function cropImage(image: RawImage, region?: Rect): { image: RawImage; offset: { x: number; y: number } } {
  const bpp = bytesPerPixel(image.format)
  const stride = image.stride ?? image.width * bpp
  const x0 = region ? Math.max(0, Math.floor(region.x)) : 0
  const y0 = region ? Math.max(0, Math.floor(region.y)) : 0
  const x1 = region ? Math.min(image.width, Math.ceil(region.x + region.width)) : image.width
  const y1 = region ? Math.min(image.height, Math.ceil(region.y + region.height)) : image.height
  if (x1 - x0 < 4 || y1 - y0 < 4) throw new OkoError('ERR_INVALID_INPUT', `region ${JSON.stringify(region)} is outside the ${image.width}×${image.height} image or too small`)
  const width = x1 - x0
  const height = y1 - y0
  const data = new Uint8Array(width * height * bpp)
  for (let y = 0; y < height; y++) {
    const from = (y0 + y) * stride + x0 * bpp
    data.set(image.data.subarray(from, from + width * bpp), y * width * bpp)
  }
  return { image: { data, width, height, format: image.format }, offset: { x: x0, y: y0 } }
}

/** Surrounds an image with `border` pixels of mid-grey (how tight face crops become detectable). */
export function padGrey(image: RgbImage, border: number): RgbImage {
  const width = image.width + 2 * border
  const height = image.height + 2 * border
  const out = new Uint8Array(width * height * 3).fill(128)
  for (let y = 0; y < image.height; y++) {
    out.set(image.data.subarray(y * image.width * 3, (y + 1) * image.width * 3), ((y + border) * width + border) * 3)
  }
  return { data: out, width, height, format: 'rgb24' }
}

/** Channel offsets of R, G, B in a pixel of `format` (grey: all 0). */
export function channelOffsets(format: RawPixelFormat): readonly [number, number, number] {
  switch (format) {
    case 'rgb24': case 'rgba': return [0, 1, 2]
    case 'bgr24': return [2, 1, 0]
    case 'gray8': return [0, 0, 0]
  }
}
