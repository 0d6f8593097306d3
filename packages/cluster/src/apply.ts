import { readFileSync } from 'node:fs'
import { dirname, isAbsolute, resolve } from 'node:path'
import { loadDeployment, type LoadOptions } from '@oko/deploy'
import { parse } from 'yaml'
import type { ClusterBuckets } from './store.js'
import { DEPLOY_INDEX_KEY, cameraKey, cameraOfKey, encodeJson, snapshot, type DeployIndex } from './store.js'

export interface ApplyResult {
  readonly added: readonly string[]
  readonly changed: readonly string[]
  readonly removed: readonly string[]
  readonly unchanged: number
  /** Whether the part shared by every camera (stages, outputs, outbox…) changed: workers restart their pipeline. */
  readonly configChanged: boolean
}

/**
 * Puts a deployment file into the cluster's KV bucket: `config` (everything but the cameras) and
 * one `cam.<id>` key per camera, each as written in the file (`${VAR}` kept, so secrets are read
 * from each worker's environment, not stored in NATS). Only keys whose value changed are written;
 * cameras gone from the file are deleted. The file is validated first, as `oko run` would.
 *
 * Why KV and not a stream: a deployment is state (the latest value per camera), which is what a
 * KV bucket is (a stream with one subject per key and "last per subject" reads). Workers watch
 * it and get each camera's change on its own, with a revision to compare; a stream of commands
 * would have to be replayed from the start to know the current cameras. Workers watch only
 * `config` and `index` (one key listing every camera with its entry's revision) and read a
 * camera's entry when they start it, so a worker's start-up reads two keys, not every camera.
 */
export async function applyDeployment(store: ClusterBuckets, file: string, options: LoadOptions = {}): Promise<ApplyResult> {
  const config = loadDeployment(file, options)
  const raw = parse(readFileSync(file, 'utf8')) as Record<string, unknown>
  const baseDir = dirname(resolve(file))
  const entries = (raw.cameras as Record<string, unknown>[]).map((c, i) => withAbsolutePaths({ ...c, id: config.cameras[i]!.id }, baseDir))
  const { cameras: _cameras, ...shared } = raw
  return applyEntries(store, shared, entries)
}

/**
 * Writes the shared config and the camera entries (each with its `id`) as `applyDeployment`
 * does, then the index of every camera with its entry's revision (the one key workers watch).
 */
export async function applyEntries(store: ClusterBuckets, shared: Record<string, unknown>, entries: readonly Record<string, unknown>[]): Promise<ApplyResult> {
  const current = await snapshot(store.deploy)
  const changed: string[] = []
  const added: string[] = []
  const index: Record<string, number> = Object.create(null) as Record<string, number>
  let unchanged = 0
  const write = async (key: string, value: unknown): Promise<{ how: 'added' | 'changed' | 'same'; revision: number }> => {
    const text = JSON.stringify(value)
    const now = current.get(key)
    if (now && now.operation === 'PUT' && now.string() === text) return { how: 'same', revision: now.revision }
    const revision = await store.deploy.put(key, encodeJson(value))
    return { how: now?.operation === 'PUT' ? 'changed' : 'added', revision }
  }
  const config = await write('config', shared)
  const configChanged = config.how !== 'same'
  const wanted = new Set<string>()
  // in batches: one round trip per batch rather than per camera
  for (let i = 0; i < entries.length; i += 256) {
    const batch = entries.slice(i, i + 256)
    const results = await Promise.all(batch.map((entry) => write(cameraKey(entry.id as string), entry)))
    batch.forEach((entry, j) => {
      const id = entry.id as string
      wanted.add(cameraKey(id))
      index[id] = results[j]!.revision
      if (results[j]!.how === 'added') added.push(id)
      else if (results[j]!.how === 'changed') changed.push(id)
      else unchanged++
    })
  }
  const removed: string[] = []
  for (const [key, entry] of current) {
    if (!key.startsWith('cam.') || wanted.has(key) || entry.operation !== 'PUT') continue
    await store.deploy.delete(key)
    removed.push(cameraOfKey(key))
  }
  await write(DEPLOY_INDEX_KEY, { cameras: index, configRevision: config.revision } satisfies DeployIndex)
  return { added, changed, removed, unchanged, configChanged }
}

/** File paths of a camera (not URLs) made absolute: workers do not know where the file was. */
function withAbsolutePaths(camera: Record<string, unknown>, baseDir: string): Record<string, unknown> {
  const out = { ...camera }
  for (const k of ['url', 'main', 'password_file']) {
    const v = out[k]
    if (typeof v === 'string' && !/^[a-z][a-z0-9+.-]*:/i.test(v) && !v.startsWith('$') && !isAbsolute(v)) out[k] = resolve(baseDir, v)
  }
  return out
}
