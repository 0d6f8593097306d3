export { decodeImage, decodeImageFile } from './image.js'
export type { DecodedImage, DecodeImageOptions } from './image.js'
