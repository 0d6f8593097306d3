import type { AlarmDesk } from '@oko/alarms'
import type { OkoEvent } from '@oko/core'
import { LiveServer, type EventQuery, type LiveFrames } from '@oko/live'
import { EventIndex, type EventIndexStats, type IndexPage } from '@oko/sinks'
import type { Deployment } from './deploy.js'
import type { HttpConfig, SearchConfig } from './http-schema.js'

/** The live page of a running deployment (`http:`): its cameras, their pictures, its alarm desk, its event index. */
export function openLivePage(config: HttpConfig, title: string, deployment: Deployment, frames: LiveFrames, desk: AlarmDesk | undefined, search: DeploymentSearch | undefined): Promise<LiveServer> {
  return LiveServer.listen(
    {
      listen: config.listen,
      title,
      auth: { ...(config.auth.token !== undefined ? { token: config.auth.token } : {}), users: config.auth.users, ...(config.auth.sessionHours !== undefined ? { sessionHours: config.auth.sessionHours } : {}) },
      ...(config.keepEvents !== undefined ? { keepEvents: config.keepEvents } : {}),
    },
    { run: deployment.run, cameras: () => deployment.cameras().map((c) => c.id), frames, ...(desk ? { desk } : {}), ...(search ? { search } : {}) },
  )
}

/**
 * The event index the live page searches (`http.search`): every event the deployment delivers,
 * kept after the outputs took it. A batch the index cannot store (a full disk) is counted as
 * `failed` and the run goes on.
 */
export class DeploymentSearch {
  readonly #index: EventIndex
  #failed = 0

  constructor(config: SearchConfig) {
    this.#index = new EventIndex({ path: config.path, retainMs: config.retainMs, maxEvents: config.maxEvents })
  }

  add(batch: readonly OkoEvent[]): void {
    try {
      this.#index.add(batch)
    } catch {
      this.#failed += batch.length
    }
  }

  search(query: EventQuery): IndexPage {
    return this.#index.search(query)
  }

  stats(): EventIndexStats & { readonly failed: number } {
    return { ...this.#index.stats(), failed: this.#failed }
  }

  close(): void {
    this.#index.close()
  }
}
