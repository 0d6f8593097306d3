import { readFileSync } from 'node:fs'
import { dirname, isAbsolute, resolve } from 'node:path'
import { loadDeployment, type LoadOptions } from '@oko/deploy'
import { parse } from 'yaml'
import type { ClusterBuckets } from './store.js'
import { cameraKey, cameraOfKey, encodeJson, snapshot } from './store.js'

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
 * would have to be replayed from the start to know the current cameras.
 */
export async function applyDeployment(store: ClusterBuckets, file: string, options: LoadOptions = {}): Promise<ApplyResult> {
  const config = loadDeployment(file, options)
  const raw = parse(readFileSync(file, 'utf8')) as Record<string, unknown>
  const baseDir = dirname(resolve(file))
  const entries = (raw.cameras as Record<string, unknown>[]).map((c, i) => withAbsolutePaths({ ...c, id: config.cameras[i]!.id }, baseDir))
  const { cameras: _cameras, ...shared } = raw
  const current = await snapshot(store.deploy)
  const changed: string[] = []
  const added: string[] = []
  let unchanged = 0
  const write = async (key: string, value: unknown): Promise<'added' | 'changed' | 'same'> => {
    const text = JSON.stringify(value)
    const now = current.get(key)
    if (now && now.string() === text) return 'same'
    await store.deploy.put(key, encodeJson(value))
    return now ? 'changed' : 'added'
  }
  const configChanged = (await write('config', shared)) !== 'same'
  const wanted = new Set<string>()
  for (const entry of entries) {
    const key = cameraKey(entry.id as string)
    wanted.add(key)
    const r = await write(key, entry)
    if (r === 'added') added.push(entry.id as string)
    else if (r === 'changed') changed.push(entry.id as string)
    else unchanged++
  }
  const removed: string[] = []
  for (const key of current.keys()) {
    if (!key.startsWith('cam.') || wanted.has(key)) continue
    await store.deploy.delete(key)
    removed.push(cameraOfKey(key))
  }
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
