import { InvalidOptionError, checkArray, checkKnownKeys, checkNumber, checkObject, checkString, describeValue } from '@oko/core'
import type { AlarmPoint } from '@oko/alarms'
import { checkListen } from './delivery-schema.js'

/** One entry of `alarms.inputs`, validated. */
export type AlarmInputSpec =
  | { readonly kind: 'http'; readonly name: string; readonly secret?: string; readonly token?: string; readonly toleranceS?: number }
  | { readonly kind: 'mqtt'; readonly name: string; readonly url: string; readonly topic: string; readonly username?: string; readonly password?: string }
  | { readonly kind: 'contactId'; readonly name: string; readonly listen: { host: string; port: number }; readonly points: readonly { readonly account: string; readonly zone: number; readonly point: string }[] }

export interface AlarmsConfig {
  /** Where the HTTP inputs are served: `POST /alarms/<input name>`. */
  readonly listen?: { host: string; port: number }
  readonly inputs: readonly AlarmInputSpec[]
  readonly points: readonly AlarmPoint[]
  /** The point ids stop lines take their light from (`light: { input }`): their signals set the light, they raise no alarm. */
  readonly lights: readonly string[]
}

/** A stop line's light set from outside: its point id and where the file says it (`cameras[0].rules[2].light.input`). */
export interface LightInputSpec {
  readonly point: string
  readonly path: string
}

/** The light inputs of the cameras' stop lines. */
export function lightInputsOf(cameras: readonly { readonly rules?: readonly { readonly type: string; readonly light?: object }[] }[]): LightInputSpec[] {
  return cameras.flatMap((c, i) => (c.rules ?? []).flatMap((r, j) => (r.type === 'stop-line' && r.light && 'input' in r.light ? [{ point: String(r.light.input), path: `cameras[${i}].rules[${j}].light.input` }] : [])))
}

const POINT_ID = /^[\w.:@/-]{1,128}$/

/**
 * Validates `alarms:` (inputs and call points; each point's cameras must be the deployment's).
 * `lights`: the stop lines' light inputs; their signals come through the same inputs, so they
 * need one, and their ids may not be call points'.
 */
export function checkAlarms(value: unknown, cameraIds: ReadonlySet<string>, lights: readonly LightInputSpec[] = []): AlarmsConfig {
  for (const l of lights) if (!POINT_ID.test(l.point)) throw new InvalidOptionError(l.path, `expected the point id the light's signals name (letters, digits and . _ - : @ /, at most 128), received ${describeValue(l.point)}`)
  if (value === undefined) {
    if (lights.length > 0) throw new InvalidOptionError(lights[0]!.path, `a light set from outside needs an alarm input to deliver its signals { "point": "${lights[0]!.point}", "state": "red" | "amber" | "green" | "on" | "off" }: add \`alarms: { listen: "127.0.0.1:9470", inputs: [{ http: { name: lights, token: <16+ characters> } }] }\` (or an mqtt input), or read the lamp's pixels with \`light: { lamp: [[x, y], …] }\``)
    return { inputs: [], points: [], lights: [] }
  }
  const a = checkObject('alarms', value)
  checkKnownKeys('alarms', a, ['listen', 'inputs', 'points'])
  const inputs = checkArray('alarms.inputs', a.inputs, []).map((entry, i): AlarmInputSpec => {
    const path = `alarms.inputs[${i}]`
    const o = checkObject(path, entry)
    const keys = Object.keys(o)
    if (keys.length !== 1 || (keys[0] !== 'http' && keys[0] !== 'mqtt' && keys[0] !== 'contactId')) throw new InvalidOptionError(path, `expected { http: { name, secret | token } }, { mqtt: { name, url, topic } } or { contactId: { name, listen, points } }, received ${keys.length === 1 ? `{ ${keys[0]}: … }` : describeValue(entry)}`)
    if (keys[0] === 'contactId') return checkContactId(`${path}.contactId`, o.contactId)
    if (keys[0] === 'mqtt') {
      const at = `${path}.mqtt`
      const v = checkObject(at, o.mqtt)
      checkKnownKeys(at, v, ['name', 'url', 'topic', 'username', 'password'])
      const name = v.name === undefined ? 'mqtt' : checkString(`${at}.name`, v.name)
      if (!/^[\w-]{1,64}$/.test(name)) throw new InvalidOptionError(`${at}.name`, 'expected letters, digits, _ and - (alarm events name it as their input, mqtt:<name>)')
      const url = checkString(`${at}.url`, v.url)
      if (!/^mqtts?:\/\/[^\s/]+/.test(url)) throw new InvalidOptionError(`${at}.url`, 'expected the broker, mqtt://host:1883 or mqtts://host:8883')
      const topic = checkString(`${at}.topic`, v.topic)
      if (topic === '' || topic.length > 256) throw new InvalidOptionError(`${at}.topic`, 'expected the topic of the signals, e.g. sos/+/signal (wildcards allowed)')
      return {
        kind: 'mqtt', name, url, topic,
        ...(v.username !== undefined ? { username: checkString(`${at}.username`, v.username) } : {}),
        ...(v.password !== undefined ? { password: checkString(`${at}.password`, v.password) } : {}),
      }
    }
    const at = `${path}.http`
    const v = checkObject(at, o.http)
    checkKnownKeys(at, v, ['name', 'secret', 'token', 'toleranceSeconds'])
    const name = v.name === undefined ? 'http' : checkString(`${at}.name`, v.name)
    if (!/^[\w-]{1,64}$/.test(name)) throw new InvalidOptionError(`${at}.name`, 'expected letters, digits, _ and - (it is the last part of the URL /alarms/<name>)')
    if (v.secret === undefined && v.token === undefined) throw new InvalidOptionError(at, 'give `secret:` (HMAC-SHA256 signed requests, replay-safe) or `token:` (Authorization: Bearer)')
    const secret = v.secret === undefined ? undefined : checkString(`${at}.secret`, v.secret)
    const token = v.token === undefined ? undefined : checkString(`${at}.token`, v.token)
    for (const [k, s] of [['secret', secret], ['token', token]] as const) if (s !== undefined && s.length < 16) throw new InvalidOptionError(`${at}.${k}`, 'expected at least 16 characters (e.g. `openssl rand -hex 16`)')
    return {
      kind: 'http', name, ...(secret ? { secret } : {}), ...(token ? { token } : {}),
      ...(v.toleranceSeconds !== undefined ? { toleranceS: checkNumber(`${at}.toleranceSeconds`, v.toleranceSeconds, { min: 1, max: 3600 }) } : {}),
    }
  })
  const names = new Set<string>()
  inputs.forEach((input, i) => {
    if (names.has(`${input.kind}:${input.name}`)) throw new InvalidOptionError(`alarms.inputs[${i}].${input.kind}.name`, `input "${input.name}" is listed twice; give each its own name`)
    names.add(`${input.kind}:${input.name}`)
  })
  const listen = a.listen === undefined ? undefined : checkListen('alarms.listen', a.listen)
  if (inputs.some((i) => i.kind === 'http') && !listen) throw new InvalidOptionError('alarms.listen', 'HTTP alarm inputs need `listen: 127.0.0.1:9470` (where oko serves POST /alarms/<name>)')
  const ids = new Set<string>()
  const points = checkArray('alarms.points', a.points, lights.length > 0 ? [] : undefined).map((entry, i): AlarmPoint => {
    const path = `alarms.points[${i}]`
    const p = checkObject(path, entry)
    checkKnownKeys(path, p, ['id', 'place', 'cameras', 'debounceSeconds', 'escalateAfterSeconds', 'heartbeatSeconds'])
    const id = checkString(`${path}.id`, p.id)
    if (!POINT_ID.test(id)) throw new InvalidOptionError(`${path}.id`, `expected letters, digits and . _ - : @ / (at most 128), received ${describeValue(id)}`)
    if (ids.has(id)) throw new InvalidOptionError(`${path}.id`, `duplicate alarm point id "${id}"`)
    ids.add(id)
    const cameras = checkArray(`${path}.cameras`, p.cameras, []).map((c, j) => {
      const cam = checkString(`${path}.cameras[${j}]`, c)
      if (!cameraIds.has(cam)) throw new InvalidOptionError(`${path}.cameras[${j}]`, `no camera "${cam}" in this deployment; cameras: ${[...cameraIds].join(', ')}`)
      return cam
    })
    const seconds = (k: string, min: number, max: number) => (p[k] === undefined ? undefined : checkNumber(`${path}.${k}`, p[k], { min, max }) * 1000)
    const debounceMs = seconds('debounceSeconds', 0, 60)
    const escalateAfterMs = seconds('escalateAfterSeconds', 1, 86_400)
    const heartbeatMs = seconds('heartbeatSeconds', 1, 86_400)
    return {
      id, place: p.place === undefined ? id : checkString(`${path}.place`, p.place), cameras,
      ...(debounceMs !== undefined ? { debounceMs } : {}), ...(escalateAfterMs !== undefined ? { escalateAfterMs } : {}), ...(heartbeatMs !== undefined ? { heartbeatMs } : {}),
    }
  })
  inputs.forEach((input, i) => {
    if (input.kind !== 'contactId') return
    input.points.forEach((p, j) => {
      if (!ids.has(p.point)) throw new InvalidOptionError(`alarms.inputs[${i}].contactId.points[${j}].point`, `no alarm point "${p.point}" in alarms.points; points: ${[...ids].join(', ')}`)
    })
  })
  const light = lights.find((l) => ids.has(l.point))
  if (light) throw new InvalidOptionError(`alarms.points[${points.findIndex((p) => p.id === light.point)}].id`, `"${light.point}" is also the light input of a stop line (${light.path}); a point either raises alarms or sets a light: give the light its own id`)
  if (points.length === 0 && lights.length === 0) throw new InvalidOptionError('alarms.points', 'expected at least one call point: - { id: sos-17, place: "Square, north column", cameras: [cam-a] }')
  if (inputs.length === 0 && lights.length > 0) throw new InvalidOptionError('alarms.inputs', `the light input of a stop line (${lights[0]!.path}) needs an input to deliver its signals: - http: { name: lights, token: <16+ characters> } (POST /alarms/lights) or - mqtt: { url, topic }`)
  return { ...(listen ? { listen } : {}), inputs, points, lights: [...new Set(lights.map((l) => l.point))] }
}

/** `contactId: { name, listen, points: [{ account: "1234", zone: 15, point: sos-17 }] }`: an alarm panel's SIA DC-09 (Contact ID) over TCP. */
function checkContactId(at: string, value: unknown): AlarmInputSpec {
  const v = checkObject(at, value)
  checkKnownKeys(at, v, ['name', 'listen', 'points'])
  const name = v.name === undefined ? 'panel' : checkString(`${at}.name`, v.name)
  if (!/^[\w-]{1,64}$/.test(name)) throw new InvalidOptionError(`${at}.name`, 'expected letters, digits, _ and - (alarm events name it as their input, contact-id:<name>)')
  if (v.listen === undefined) throw new InvalidOptionError(`${at}.listen`, 'where the panel connects: listen: 127.0.0.1:9471 (the receiver\'s TCP port set in the panel)')
  const listen = checkListen(`${at}.listen`, v.listen)
  const seen = new Set<string>()
  const points = checkArray(`${at}.points`, v.points).map((entry, j) => {
    const path = `${at}.points[${j}]`
    const p = checkObject(path, entry)
    checkKnownKeys(path, p, ['account', 'zone', 'point'])
    const account = String(checkString(`${path}.account`, typeof p.account === 'number' ? String(p.account) : p.account)).toUpperCase()
    if (!/^[0-9A-F]{3,16}$/.test(account)) throw new InvalidOptionError(`${path}.account`, 'expected the panel\'s account: 3 to 16 hex digits, as a string ("1234")')
    const zone = checkNumber(`${path}.zone`, p.zone, { min: 0, max: 999, integer: true })
    const point = checkString(`${path}.point`, p.point)
    if (seen.has(`${account}/${zone}`)) throw new InvalidOptionError(`${path}.zone`, `account ${account} zone ${zone} is mapped twice`)
    seen.add(`${account}/${zone}`)
    return { account, zone, point }
  })
  if (points.length === 0) throw new InvalidOptionError(`${at}.points`, 'expected at least one: - { account: "1234", zone: 15, point: sos-17 }')
  return { kind: 'contactId', name, listen, points }
}
