import { renameSync, writeFileSync } from 'node:fs'
import type { EventInit, OkoEvent } from '@oko/core'
import { OkoError, serializeError } from '@oko/core'
import { EvidenceStore, type EvidenceRef } from '@oko/sinks'
import { PacketRing, writeClip } from '@oko/source'
import type { EvidenceConfig } from './delivery-schema.js'

interface PendingClip {
  readonly cameraId: string
  readonly cause: string
  readonly seq: number | undefined
  readonly ptsUs: number
  readonly ref: EvidenceRef & { readonly file: string }
  readonly fromUs: number
  readonly toUs: number
  /** Give up waiting for the post-roll after this (a live camera that stalled). */
  readonly deadlineMs: number
}

/**
 * Evidence for a deployment's events: each snapshot (JPEG, encoded once by its stage) goes to the
 * evidence store and the event carries its reference; events of the configured types also get a
 * clip, referenced at once (id and URL) and cut from the camera's packet ring once its post-roll
 * has arrived. When a clip is made, or cannot be (no keyframe yet, the camera ended or stalled),
 * an `evidence` event says so: never a silent gap.
 */
export class EvidenceRecorder {
  readonly store: EvidenceStore
  readonly #config: EvidenceConfig
  readonly #rings = new Map<string, PacketRing>()
  readonly #pending: PendingClip[] = []
  #cutting: Promise<void> = Promise.resolve()
  #publish: (event: EventInit) => void = () => undefined

  constructor(config: EvidenceConfig) {
    this.#config = config
    this.store = new EvidenceStore({ path: config.path, maxBytes: config.maxBytes, maxAgeMs: config.maxAgeMs, baseUrl: config.baseUrl })
  }

  /** The camera's packet ring (made on first ask) when clips are configured. */
  ringFor(cameraId: string): PacketRing | undefined {
    const clips = this.#config.clips
    if (!clips) return undefined
    let ring = this.#rings.get(cameraId)
    if (!ring) this.#rings.set(cameraId, (ring = new PacketRing({ seconds: clips.ringSeconds, maxBytes: clips.ringBytes })))
    return ring
  }

  /** Where the clip events go (as they are made). */
  start(publish: (event: EventInit) => void): void {
    this.#publish = publish
  }

  /** The event with references to its evidence (snapshots stored now, clips scheduled). */
  process(event: OkoEvent): OkoEvent {
    const refs: EvidenceRef[] = [...(event.evidence ?? [])]
    const jpeg = (event as { snapshot?: { jpeg?: Uint8Array } }).snapshot?.jpeg
    if (jpeg instanceof Uint8Array && jpeg.length > 0) refs.push(this.store.putSnapshot(jpeg))
    const clips = this.#config.clips
    const e = event as { cameraId?: string; ptsUs?: number; seq?: number }
    if (clips && clips.types.includes(event.type) && typeof e.cameraId === 'string' && typeof e.ptsUs === 'number' && this.#rings.has(e.cameraId)) {
      const ref = this.store.reserve('clip')
      const { file: _file, ...shown } = ref
      refs.push(shown)
      this.#pending.push({ cameraId: e.cameraId, cause: event.id, seq: e.seq, ptsUs: e.ptsUs, ref, fromUs: e.ptsUs - clips.preMs * 1000, toUs: e.ptsUs + clips.postMs * 1000, deadlineMs: Date.now() + clips.postMs * 2 + 10_000 })
    }
    return refs.length === (event.evidence?.length ?? 0) ? event : ({ ...event, evidence: refs } as OkoEvent)
  }

  /**
   * Evidence of a new alarm from its linked cameras, referenced at once: a snapshot of each
   * (`picture`: the camera's next live picture; written when it comes, or an `evidence` event says
   * why not) and, when `clips.types` has `alarm`, a clip of each from `preSeconds` before the press
   * (the camera's packet ring) to `postSeconds` after.
   */
  alarmEvidence(cameras: readonly string[], cause: string, picture?: (cameraId: string) => Promise<Uint8Array | undefined>): EvidenceRef[] {
    const refs: EvidenceRef[] = []
    const clips = this.#config.clips
    for (const cameraId of cameras) {
      if (picture) {
        const ref = this.store.reserve('snapshot')
        const { file, ...shown } = ref
        refs.push(shown)
        const base = { type: 'evidence', kind: 'snapshot', cameraId, cause, evidenceId: ref.id, url: ref.url } as const
        void picture(cameraId).then((jpeg) => {
          if (!jpeg) throw new OkoError('ERR_SOURCE_FAILED', `camera ${cameraId} sent no frame in time for the snapshot`)
          writeFileSync(`${file}.part`, jpeg)
          renameSync(`${file}.part`, file)
          this.store.commit(ref.id)
          this.#publish({ ...base, ok: true, bytes: jpeg.length } as EventInit)
        }).catch((error: unknown) => {
          const e = serializeError(error)
          this.#publish({ ...base, ok: false, error: { code: e.code ?? 'ERR_DATA', message: e.message } } as EventInit)
        })
      }
      const last = this.#rings.get(cameraId)?.lastPtsUs
      if (clips && clips.types.includes('alarm') && last !== undefined) {
        const ref = this.store.reserve('clip')
        const { file: _file, ...shown } = ref
        refs.push(shown)
        this.#pending.push({ cameraId, cause, seq: undefined, ptsUs: last, ref, fromUs: last - clips.preMs * 1000, toUs: last + clips.postMs * 1000, deadlineMs: Date.now() + clips.postMs * 2 + 10_000 })
      }
    }
    return refs
  }

  /** Cuts the clips whose post-roll has arrived (or whose wait is over); their events go out through `publish`. */
  tick(): Promise<void> {
    const due = this.#takeDue(false)
    if (due.length > 0) this.#cutting = this.#cutting.then(() => this.#cutAll(due, (e) => this.#publish(e)))
    return this.#cutting
  }

  /** The run ended: the clips still waiting are cut from what the rings hold (their events through `start`'s emit). */
  async finish(): Promise<void> {
    await this.#cutting
    await this.#cutAll(this.#takeDue(true), (e) => this.#publish(e))
  }

  close(): void {
    for (const ring of this.#rings.values()) ring.close()
    this.#rings.clear()
  }

  #takeDue(all: boolean): PendingClip[] {
    const due: PendingClip[] = []
    for (let i = 0; i < this.#pending.length; i++) {
      const p = this.#pending[i]!
      const last = this.#rings.get(p.cameraId)?.lastPtsUs
      if (all || (last !== undefined && last >= p.toUs) || Date.now() > p.deadlineMs) {
        due.push(p)
        this.#pending.splice(i--, 1)
      }
    }
    return due
  }

  async #cutAll(due: readonly PendingClip[], emit: (event: EventInit) => void): Promise<void> {
    for (const p of due) {
      const base = { type: 'evidence', kind: 'clip', cameraId: p.cameraId, cause: p.cause, ...(p.seq !== undefined ? { seq: p.seq } : {}), ptsUs: p.ptsUs, evidenceId: p.ref.id, url: p.ref.url } as const
      const ring = this.#rings.get(p.cameraId)
      try {
        if (!ring) throw new Error('the camera has no packet ring')
        const window = ring.window(p.fromUs, p.toUs)
        try {
          const info = await writeClip(p.ref.file, window)
          const ref = this.store.commit(p.ref.id)
          emit({ ...base, ok: true, bytes: ref.bytes ?? info.bytes, startPtsUs: info.startPtsUs, endPtsUs: info.endPtsUs, frames: info.packets } as EventInit)
        } finally {
          window.free()
        }
      } catch (error) {
        const s = serializeError(error)
        emit({ ...base, ok: false, error: { code: s.code ?? 'ERR_DATA', message: s.message } } as EventInit)
      }
    }
  }
}
