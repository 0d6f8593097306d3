import type { KernelModule } from '@oko/wasm'

/**
 * What a camera's stages share with the other cameras: one kernel module for every motion
 * detector and colour kernel, and `once()` for anything made once per deployment (a model pool, a reader, a
 * watchlist), reference-counted by camera and closed with the last camera that used it.
 */
export interface SharedResources {
  readonly module?: KernelModule
  once<T>(key: string, make: () => Promise<T>, close?: (value: T) => Promise<void>): Promise<T>
}

interface Entry {
  readonly value: Promise<unknown>
  readonly close: ((value: unknown) => Promise<void>) | undefined
  readonly holders: Set<string>
  readonly order: number
}

/** The deployment's shared resources, by key, with the cameras that hold each. */
export class ResourcePool {
  readonly #entries = new Map<string, Entry>()
  #made = 0

  constructor(readonly module: KernelModule | undefined) {}

  /** The view one camera's providers get: what it takes, it holds until `release(cameraId)`. */
  scope(cameraId: string): SharedResources {
    return {
      ...(this.module ? { module: this.module } : {}),
      once: <T>(key: string, make: () => Promise<T>, close?: (value: T) => Promise<void>): Promise<T> => {
        let entry = this.#entries.get(key)
        if (!entry) {
          entry = { value: make(), close: close as Entry['close'], holders: new Set(), order: this.#made++ }
          this.#entries.set(key, entry)
          // a resource that could not be made is not kept: the next camera tries again
          entry.value.catch(() => this.#entries.delete(key))
        }
        entry.holders.add(cameraId)
        return entry.value as Promise<T>
      },
    }
  }

  /** Keys held now, with how many cameras hold each. */
  holders(): Record<string, number> {
    return Object.fromEntries([...this.#entries].map(([k, e]) => [k, e.holders.size]))
  }

  /** The camera lets go of what it held; what no camera holds any more is closed (newest first: stages before their pools). */
  async release(cameraId: string): Promise<void> {
    const freed: [string, Entry][] = []
    for (const [key, entry] of this.#entries) {
      if (entry.holders.delete(cameraId) && entry.holders.size === 0) freed.push([key, entry])
    }
    await this.#close(freed)
  }

  /** Closes everything (the deployment ends). */
  async closeAll(): Promise<void> {
    await this.#close([...this.#entries])
  }

  async #close(entries: [string, Entry][]): Promise<void> {
    for (const [key, entry] of entries.sort((a, b) => b[1].order - a[1].order)) {
      this.#entries.delete(key)
      if (!entry.close) continue
      try {
        await entry.close(await entry.value)
      } catch {
        // a resource that failed to make or close has nothing left to release
      }
    }
  }
}
