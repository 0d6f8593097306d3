import { resolve } from 'node:path'
import { InvalidOptionError, checkBoolean, checkKnownKeys, checkNumber, checkObject, checkString } from '@oko/core'
import { ATTRIBUTE_STAGE_KEYS, CLASSIFIER_KEYS, csvRegistry, registryOf, resolveCsvRegistry, resolveHttpRegistry, vehicleAttributeStage, type AttributeStageOptions } from '@oko/objects'
import { existsSync } from 'node:fs'
import type { StageProvider } from '../stages.js'

/**
 * `attributes`: after `tracking`, each tracked vehicle's `type` (from the detector's class),
 * `colour` (voted over a few views) and, with your own ONNX classifier, `make` (top-k with
 * confidence), a few times per track. They travel in the vehicle's `object` events.
 *
 * ```yaml
 * stages:
 *   - motion
 *   - objects
 *   - tracking
 *   - attributes: { makeModel: { model: makes.onnx, labels: makes.txt, inputWidth: 224, inputHeight: 224 } }
 * ```
 *
 * `registry: { url: "http://registry.local/vehicles/{plate}", timeoutMs: 2000, cacheMinutes: 60 }`
 * looks each voted plate up in the vehicle register (one cache for every camera) and flags
 * `registryMismatch` where the camera saw another colour or type; `registry: { csv: vehicles.csv,
 * checkEveryMs: 5000 }` looks it up in a CSV file instead (relative to the config file; read when
 * the config is checked, read again when it changes).
 */
export const attributesProvider: StageProvider = {
  check(options, path, context) {
    checkKnownKeys(path, options, ATTRIBUTE_STAGE_KEYS)
    if (options.module !== undefined) throw new InvalidOptionError(`${path}.module`, 'the deployment loads the WASM kernel module itself; leave this option out')
    if (options.colour !== undefined) checkBoolean(`${path}.colour`, options.colour)
    if (options.vans !== undefined) checkBoolean(`${path}.vans`, options.vans)
    for (const k of ['colourViews', 'classifierViews']) if (options[k] !== undefined) checkNumber(`${path}.${k}`, options[k], { min: 1, max: 100, integer: true })
    const base = context?.baseDir ?? process.cwd()
    let out = options
    if (options.registry !== undefined) {
      const r = checkObject(`${path}.registry`, options.registry)
      if ('csv' in r) {
        const csv = { ...resolveCsvRegistry(r, `${path}.registry`), csv: resolve(base, checkString(`${path}.registry.csv`, r.csv)) }
        csvRegistry(csv, `${path}.registry`) // reads the file: a missing file or a bad line fails here
        out = { ...options, registry: { ...r, csv: csv.csv } }
      } else resolveHttpRegistry(r, `${path}.registry`)
    }
    if (options.makeModel === undefined) return out
    const m = checkObject(`${path}.makeModel`, options.makeModel)
    checkKnownKeys(`${path}.makeModel`, m, CLASSIFIER_KEYS)
    const model = resolve(base, checkString(`${path}.makeModel.model`, m.model))
    if (!existsSync(model)) throw new InvalidOptionError(`${path}.makeModel.model`, `${model} not found; give the path of your ONNX classifier, relative to the config file`)
    const labels = resolve(base, checkString(`${path}.makeModel.labels`, m.labels))
    if (!existsSync(labels)) throw new InvalidOptionError(`${path}.makeModel.labels`, `${labels} not found; give its labels file, one class name per line, relative to the config file`)
    return { ...out, makeModel: { ...m, model, labels } }
  },
  async create(options, _camera, shared) {
    const spec = options.registry
    // one lookup (and one cache or table) for every camera of the deployment
    const registry = spec ? await shared.once(`attributes:registry:${JSON.stringify(spec)}`, async () => registryOf(spec, 'stages.attributes.registry')) : undefined
    // the colour kernel runs in the deployment's one kernel module (an instance per camera)
    return vehicleAttributeStage({ ...(options as AttributeStageOptions), ...(registry ? { registry } : {}), ...(shared.module ? { module: shared.module } : {}) })
  },
}
