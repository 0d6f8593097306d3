export type { PlateEvent } from './events.js'
export { PlateReader, type PlateReaderStats } from './reader.js'
export { PlateEngine, cutSureEnds, type PlateReading, type ReadOptions } from './engine.js'
export {
  resolveReaderOptions, type PlateReaderOptions, type DetectorOptions, type RecognizerOptions, type InputNormalization,
  type ResolvedReaderOptions,
} from './options.js'
export {
  builtinFormats, compileFormats, matchFormat, DEFAULT_MATCH, type FormatTable, type PlateFormatSpec, type FormatMatch,
  type MatchOptions, type CompiledFormats,
} from './formats.js'
export { PLATE_ALPHABET, normalizePlateText, latinOf, ctcDecode, plateClassesOf, type DecodedChar } from './recognizer.js'
export { Watchlists, plateDistance, type WatchlistSpec, type WatchlistHit } from './watchlist.js'
export { PlateVoter, vote, DEFAULT_VOTING, type VotedPlate, type VotingOptions, type PlateSnapshot, type TrackReading } from './voting.js'
export { plateStage, VEHICLE_LABELS, PLATE_STAGE_KEYS, type PlateStage, type PlateStageOptions } from './stage.js'
export { TrackReadBudget, viewOf, BETTER_VIEW, MIN_VEHICLE_WIDTH, KEEP_OPEN_GAPS, REREAD_FRAMES, REREAD_MOVE, SETTLED_READS, UNTRACKED_MATCH_IOU, UNTRACKED_FRAMES } from './views.js'
export {
  loadGroundTruth, scoreImage, summarize, evaluateFolder, characterErrors, type LabelledImage, type PlateGuess, type ImageScore,
  type EvaluationSummary,
} from './evaluate.js'
export { loadCropLabels, evaluateCrops, type LabelledCrop, type CropEvaluation } from './crops.js'
export { defaultModelPaths } from './models.js'
