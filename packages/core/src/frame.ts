/** Pixel layouts oko moves around. `gray8`: one plane; `yuv420p`: Y, U, V planes; `rgb24`: packed. */
export type PixelFormat = 'gray8' | 'yuv420p' | 'nv12' | 'rgb24' | 'bgr24' | 'rgba'

/** What identifies a frame and its geometry; plain data, safe to copy and send. */
export interface FrameInfo {
  /** Camera (source) id the frame came from. */
  readonly cameraId: string
  /** Per-source monotonic counter of decoded frames; gaps mean the source dropped frames. */
  readonly seq: number
  /** Presentation time in microseconds, from the stream's clock. */
  readonly ptsUs: number
  /** Wall-clock time the frame was decoded, in ms since the epoch. */
  readonly wallMs: number
  readonly width: number
  readonly height: number
  readonly format: PixelFormat
}

/**
 * A decoded frame. **Borrowed**: its planes may point into decoder memory that is reused after
 * the stage call that received it returns. Copy what you keep.
 */
export interface Frame extends FrameInfo {
  /** Planes in format order (Y, U, V for yuv420p; one plane for packed formats). */
  readonly planes: readonly Uint8Array[]
  /** Bytes per row of each plane (may exceed the visible width). */
  readonly strides: readonly number[]
  /**
   * Optional fast path of sources that decode into memory of their own (@oko/source): copies the
   * luma plane, rows packed to `width`, into `dst[0 .. width·height)` straight from the decoder.
   * False when the frame cannot (no longer current, `dst` too small, planes already read): read
   * `planes` then. Must not be an own enumerable property, so a spread copy of a frame stays data.
   */
  copyLumaTo?(dst: Uint8Array): boolean
}

/** A luma (grey) plane view: what motion and pixel kernels take. Borrowed like Frame. */
export interface LumaPlane {
  readonly data: Uint8Array
  readonly width: number
  readonly height: number
  /** Bytes per row; `>= width`. */
  readonly stride: number
}

/** Returns the luma plane of a frame whose format has one (gray8, yuv420p, nv12). */
export function lumaOf(frame: Frame): LumaPlane {
  if (frame.format !== 'gray8' && frame.format !== 'yuv420p' && frame.format !== 'nv12') {
    throw new TypeError(`frame format ${frame.format} has no luma plane; decode to yuv420p, nv12 or gray8`)
  }
  return { data: frame.planes[0]!, width: frame.width, height: frame.height, stride: frame.strides[0]! }
}
