export { main } from './main.js'
export type { MainOptions } from './main.js'
export { ExitCode, UsageError } from './command.js'
export type { Command, CommandArgs, CommandIO } from './command.js'
export { createProgress } from './progress.js'
export type { Progress } from './progress.js'
export { commands } from './commands/index.js'
// The integrator benchmarks behind `oko bench`, for bench/ and tests.
export { runBenchmarks, formatBenchReport, benchClip, ffmpegCpuSeconds, benchDispatch, benchMemoryBounded, benchWorkerUrl } from './bench/index.js'
export type { BenchReport, BenchOptions, BenchWorker, DecodeResult, DispatchResult, MemoryResult } from './bench/index.js'
// Line counts on a CDnet sequence, truth beside oko (`oko eval lines`, the eval tests).
export { evaluateLines, truthCrossings, okoCrossings, openCdnet, movingBlobs } from './cdnet-lines.js'
export type { LineEvaluation, LineTally, FrameCrossing, DirectionCounts, CdnetSequence } from './cdnet-lines.js'
