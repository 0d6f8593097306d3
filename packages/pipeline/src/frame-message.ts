import type { Frame, FrameInfo } from '@oko/core'

/** Where one plane lives inside a FrameMessage's buffer. */
export interface PlaneLayout {
  readonly offset: number
  readonly length: number
  readonly stride: number
}

/**
 * A materialized frame as it crosses a thread: plain info plus one ArrayBuffer that is
 * transferred (listed in the transfer list), never copied.
 */
export interface FrameMessage {
  readonly info: FrameInfo
  readonly buffer: ArrayBuffer
  readonly planes: readonly PlaneLayout[]
}

/** Views a received FrameMessage as a Frame (no copy). Valid while you own the buffer. */
export function frameFromMessage(message: FrameMessage): Frame {
  return {
    ...message.info,
    planes: message.planes.map((p) => new Uint8Array(message.buffer, p.offset, p.length)),
    strides: message.planes.map((p) => p.stride),
  }
}
