export { frameToImage, frameToRgb, toRgb } from './convert.js'
export { cropImage, padGrey, channelOffsets } from './crop.js'
export { sampleBox, boundsOf, boxOfRect, type OrientedBox, type Normalization } from './sample.js'
export { redactImage, redactFrame, redactionStage, checkRedactOptions, type RedactOptions, type RedactionStageOptions } from './redact.js'
