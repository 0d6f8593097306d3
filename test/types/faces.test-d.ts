import type { EventOf } from '@oko/core'
import { FaceAnalyzer, FacePool, faceStage } from '@oko/faces'
import type { AnalyzedFace, FaceAnalysis, FaceEvent, FaceStage } from '@oko/faces'
import type { WorkerStage } from '@oko/pipeline'
import { describe, expectTypeOf, it } from 'vitest'

describe('faces types', () => {
  it('the in-process analyzer and the worker pool are interchangeable', () => {
    expectTypeOf<FaceAnalyzer>().toMatchTypeOf<FaceAnalysis>()
    expectTypeOf<FacePool>().toMatchTypeOf<FaceAnalysis>()
    expectTypeOf<AnalyzedFace['descriptor']>().toEqualTypeOf<Float32Array | undefined>()
    expectTypeOf(FacePool.create).returns.resolves.toEqualTypeOf<FacePool>()
  })

  it('the stage is a worker stage', () => {
    expectTypeOf(faceStage).returns.resolves.toEqualTypeOf<FaceStage>()
    expectTypeOf<FaceStage>().toMatchTypeOf<WorkerStage>()
  })

  it('face events carry the match, the skip reason and a JPEG snapshot, never a descriptor', () => {
    type E = EventOf<'face'>
    expectTypeOf<E>().toEqualTypeOf<FaceEvent>()
    expectTypeOf<E['match']>().toEqualTypeOf<{ readonly identity: string; readonly distance: number } | undefined>()
    expectTypeOf<E['skipped']>().toEqualTypeOf<'too-small' | 'blurred' | 'turned-away' | 'low-confidence' | undefined>()
    expectTypeOf<NonNullable<E['snapshot']>['jpeg']>().toEqualTypeOf<Uint8Array>()
    expectTypeOf<E>().not.toHaveProperty('descriptor')
  })
})
