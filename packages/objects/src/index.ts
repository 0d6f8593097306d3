export { convertTfjsGraph, type ConvertedModel, type TfjsModelJson } from './tfjs-to-onnx.js'
export { builtinOnnx, builtinTfjsFiles, DEFAULT_MODEL, type BuiltinModel, type BuiltinOnnx } from './models.js'
export { ObjectDetector, type DetectorModel, type DetectorSettings, type RawDetection } from './detector.js'
export { COCO_CLASSES, DEFAULT_CLASSES } from './coco.js'
