import type { RgbImage } from '@oko/core'

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
