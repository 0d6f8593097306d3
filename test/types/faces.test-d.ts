import type { EventOf, Frame, Stage } from '@oko/core'
import type { MotionFrame } from '@oko/motion'
import { FaceAnalyzer, FacePool, faceStage, redactionStage } from '@oko/faces'
import type { AnalyzedFace, FaceAnalysis, FaceFrame, FaceStage, FaceStageInput, RedactionInput, TrackedFace } from '@oko/faces'
import { describe, expectTypeOf, it } from 'vitest'

describe('faces types', () => {
  it('the in-process analyzer and the worker pool are interchangeable', () => {
    expectTypeOf<FaceAnalyzer>().toMatchTypeOf<FaceAnalysis>()
    expectTypeOf<FacePool>().toMatchTypeOf<FaceAnalysis>()
    expectTypeOf<AnalyzedFace['descriptor']>().toEqualTypeOf<Float32Array | undefined>()
    expectTypeOf(FacePool.create).returns.resolves.toEqualTypeOf<FacePool>()
  })

  it('the stage takes frames, frames with regions and motion output, and feeds redaction', () => {
    expectTypeOf(faceStage).returns.resolves.toEqualTypeOf<FaceStage>()
    expectTypeOf<FaceStage>().toMatchTypeOf<Stage<FaceStageInput, FaceFrame>>()
    expectTypeOf<Frame>().toMatchTypeOf<FaceStageInput>()
    expectTypeOf<MotionFrame>().toMatchTypeOf<FaceStageInput>()
    expectTypeOf<FaceFrame>().toMatchTypeOf<RedactionInput>()
    expectTypeOf<FaceFrame['faces']>().toEqualTypeOf<readonly TrackedFace[]>()
    expectTypeOf(redactionStage<FaceFrame>).returns.toEqualTypeOf<Stage<FaceFrame, FaceFrame>>()
  })

  it('face events carry the match, the skip reason and the snapshot, never a descriptor', () => {
    type E = EventOf<'face'>
    expectTypeOf<E['match']>().toEqualTypeOf<{ readonly identity: string; readonly distance: number } | undefined>()
    expectTypeOf<E['skipped']>().toEqualTypeOf<'too-small' | 'blurred' | 'turned-away' | 'low-confidence' | undefined>()
    expectTypeOf<E>().not.toHaveProperty('descriptor')
  })
})
