import type { Frame, FrameCrop, FrameInfo, Rect } from '@oko/core'
import { regionsFrame } from '@oko/core'

/** Where one plane lives inside a FrameMessage's buffer. */
export interface PlaneLayout {
  readonly offset: number
  readonly length: number
  readonly stride: number
}

/** Where a crop (a region of the frame) lives inside a FrameMessage's buffer. */
export interface CropLayout {
  /** In pixels of the frame. */
  readonly rect: Rect
  readonly planes: readonly PlaneLayout[]
}

/**
 * A materialised frame as it crosses a thread: plain info plus one SharedArrayBuffer that the
 * worker reads in place (shared, never copied). Either the whole picture (`planes`) or some
 * regions of it (`crops`). The sender keeps the buffer alive until the job's reply has come:
 * a worker must not keep views of it after its reply.
 */
export interface FrameMessage {
  readonly info: FrameInfo
  readonly buffer: SharedArrayBuffer | ArrayBuffer
  /** The whole picture's planes; empty when `crops` is set. */
  readonly planes: readonly PlaneLayout[]
  readonly crops?: readonly CropLayout[]
}

/** Views a received FrameMessage as a Frame (no copy). Valid until the job's reply is sent. */
export function frameFromMessage(message: FrameMessage): Frame {
  const view = (layout: readonly PlaneLayout[]) => layout.map((p) => new Uint8Array(message.buffer, p.offset, p.length))
  if (!message.crops) return { ...message.info, planes: view(message.planes), strides: message.planes.map((p) => p.stride) }
  const crops: FrameCrop[] = message.crops.map((c) => ({ rect: c.rect, planes: view(c.planes), strides: c.planes.map((p) => p.stride) }))
  return regionsFrame(message.info, crops)
}
