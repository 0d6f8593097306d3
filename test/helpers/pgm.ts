/** A binary PGM (P5) file of a grey image: the simplest lossless format FFmpeg reads. */
export function encodePgm(pixels: Uint8Array, width: number, height: number): Buffer {
  return Buffer.concat([Buffer.from(`P5\n${width} ${height}\n255\n`), Buffer.from(pixels)])
}
