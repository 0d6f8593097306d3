import {
  AV_PIX_FMT_GRAY8, AV_PIX_FMT_NV12, AV_PIX_FMT_YUV420P, AV_PIX_FMT_YUV422P, AV_PIX_FMT_YUV444P,
  AV_PIX_FMT_YUVJ420P, AV_PIX_FMT_YUVJ422P, AV_PIX_FMT_YUVJ444P,
} from 'node-av/constants'

/**
 * Decoder pixel formats whose first plane is the 8-bit luma: a gray8 picture is that plane,
 * copied (the frame presented as gray8) instead of converted.
 */
export const LUMA_FIRST: ReadonlySet<number> = new Set<number>([
  AV_PIX_FMT_GRAY8, AV_PIX_FMT_YUV420P, AV_PIX_FMT_YUVJ420P, AV_PIX_FMT_YUV422P,
  AV_PIX_FMT_YUVJ422P, AV_PIX_FMT_YUV444P, AV_PIX_FMT_YUVJ444P, AV_PIX_FMT_NV12,
].map(Number))
