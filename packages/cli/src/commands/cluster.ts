import { mkdirSync } from 'node:fs'
import { hostname } from 'node:os'
import { resolve } from 'node:path'
import { applyDeployment, clusterStatus, createClusterStore, DEFAULT_TIMINGS, openClusterStore, runWorker } from '@oko/cluster'
import { connect, type NatsConnection } from 'nats'
import type { Command } from '../command.js'
import { ExitCode, UsageError } from '../command.js'

/** `--nats nats://a:4222,nats://b:4222` as a list of servers, checked. */
function natsServers(value: unknown): string[] {
  if (typeof value !== 'string' || value === '') throw new UsageError('--nats: give the NATS servers, e.g. --nats nats://10.0.0.3:4222 (several: comma-separated)')
  const list = value.split(',').map((s) => s.trim()).filter(Boolean)
  for (const s of list) if (!/^(nats|tls):\/\/[^/\s]+$/.test(s)) throw new UsageError(`--nats: "${s}" is not a NATS URL; expected nats://host:port`)
  return list
}

async function connectNats(servers: string[], name: string, persistent: boolean): Promise<NatsConnection> {
  try {
    return await connect({
      servers, name,
      ...(persistent ? { waitOnFirstConnect: true, maxReconnectAttempts: -1, reconnectTimeWait: 500, pingInterval: 2000, maxPingOut: 2 } : { timeout: 5000 }),
    })
  } catch (error) {
    throw new UsageError(`cannot connect to NATS at ${servers.join(',')}: ${(error as Error).message} (is nats-server -js running there?)`, ExitCode.input)
  }
}

export const clusterApplyCommand: Command = {
  path: ['cluster', 'apply'],
  summary: 'Put a deployment into the cluster (NATS JetStream KV); only what changed is written',
  usage: 'cluster apply <deploy.yaml> --nats <url> [--replicas <n>]',
  description: [
    'Validates the deployment as `oko run` would, then stores it in the JetStream KV bucket',
    'oko_deploy: the shared part under `config`, each camera under `cam.<id>`, and `index` (every',
    'camera with its entry\'s revision: what workers watch). Keys whose value is unchanged are not',
    'written, so workers touch only the cameras that changed; cameras gone from the file are',
    'stopped. Also makes the workers, members and leases buckets and the OKO_EVENTS stream',
    '(Nats-Msg-Id deduplication over 2 minutes) with --replicas copies (3 on a 3-server cluster:',
    'what survives one server\'s loss or a power cut). Relative file paths are made absolute.',
  ].join('\n'),
  options: { nats: { type: 'string' }, replicas: { type: 'string' } },
  optionHelp: { nats: 'NATS servers, comma-separated', replicas: 'copies of every bucket and the events stream (1, 3 or 5; default 1)' },
  async run(args, io) {
    const file = args.positionals[0]
    if (!file || args.positionals.length > 1) throw new UsageError(`expected one deployment file; usage: oko ${this.usage}`)
    const servers = natsServers(args.values.nats)
    const replicas = args.values.replicas === undefined ? 1 : Number(args.values.replicas)
    if (![1, 3, 5].includes(replicas)) throw new UsageError(`--replicas: expected 1, 3 or 5, received "${String(args.values.replicas)}"`)
    const nc = await connectNats(servers, 'oko-cluster-apply', false)
    try {
      const store = await createClusterStore(nc, DEFAULT_TIMINGS, replicas)
      const r = await applyDeployment(store, file, { env: io.env })
      io.stdout.write(`${file}: ${r.added.length} added, ${r.changed.length} changed, ${r.removed.length} removed, ${r.unchanged} unchanged${r.configChanged ? '; shared config changed (workers restart their pipelines)' : ''}\n`)
      return ExitCode.ok
    } finally {
      await nc.close()
    }
  },
}

export const workerCommand: Command = {
  path: ['worker'],
  summary: 'Join a cluster: take cameras by lease, run them, send events to the OKO_EVENTS stream',
  usage: 'worker --nats <url> [--id <name>] [--capacity <n>] [--data <dir>] [--output <file>] [--http <host:port>]',
  description: [
    'Joins oko_members, heart-beats into oko_workers (the heartbeat is the lease of all its',
    'cameras), takes the cameras placement gives it (consistent hashing bounded by each worker\'s',
    'capacity) with an exclusive create of their keys in oko_leases, runs them with the',
    'deployment\'s stages and sends their events through its outbox (in --data) to the OKO_EVENTS',
    'stream with Nats-Msg-Id = event id. A worker that cannot renew its heartbeat stops its cameras',
    'before another may take them. SIGTERM or Ctrl-C: its cameras are released at once',
    'and move to the others; pending events are sent before it exits. When the deployment has',
    '`http:`, the worker serves the live page of the cameras it runs (its event index in --data).',
  ].join('\n'),
  options: { nats: { type: 'string' }, id: { type: 'string' }, capacity: { type: 'string' }, data: { type: 'string' }, output: { type: 'string', short: 'o' }, http: { type: 'string' } },
  optionHelp: {
    nats: 'NATS servers, comma-separated',
    id: 'this worker\'s name (default: the host name); a restarted worker with the same id picks up its outbox',
    capacity: 'camera units this worker runs at most (default 16; measure with `oko bench`)',
    data: 'folder of the outbox (default ./oko-worker-<id>)',
    output: 'also write every event to this file (JSON lines)',
    http: 'where this worker serves the live page when the deployment has `http:` (default its http.listen; give each worker on one host its own)',
  },
  async run(args, io) {
    if (args.positionals.length > 0) throw new UsageError(`unexpected "${args.positionals[0]}"; usage: oko ${this.usage}`)
    const servers = natsServers(args.values.nats)
    const id = typeof args.values.id === 'string' ? args.values.id : hostname()
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(id)) throw new UsageError(`--id: "${id}" must be 1-64 letters, digits, _ or -`)
    const capacity = args.values.capacity === undefined ? 16 : Number(args.values.capacity)
    if (!Number.isInteger(capacity) || capacity < 1) throw new UsageError(`--capacity: expected a whole number of cameras >= 1, received "${String(args.values.capacity)}"`)
    const dataDir = resolve(typeof args.values.data === 'string' ? args.values.data : `oko-worker-${id}`)
    mkdirSync(dataDir, { recursive: true })
    const nc = await connectNats(servers, `oko-worker-${id}`, true)
    const log = (line: string) => io.stderr.write(`${new Date().toISOString()} oko worker ${id}: ${line}\n`)
    log(`joined ${servers.join(',')} with capacity ${capacity}`)
    try {
      for (;;) {
        const { restart } = await runWorker({
          nc, servers, id, capacity, dataDir, log, signal: io.signal,
          ...(typeof args.values.output === 'string' ? { output: resolve(args.values.output) } : {}),
          ...(typeof args.values.http === 'string' ? { httpListen: args.values.http } : {}),
        })
        if (!restart || io.signal.aborted) break
      }
    } finally {
      await nc.drain().catch(() => nc.close())
    }
    return ExitCode.ok
  },
}

export const clusterStatusCommand: Command = {
  path: ['cluster', 'status'],
  summary: 'Every camera with its worker and state, every worker with its load and last heartbeat',
  usage: 'cluster status --nats <url> [--json]',
  description: [
    'Camera states: playing, starting, reconnecting, failed (with the reason), ended, moving (no',
    'live worker holds it: its worker died and another has not yet taken it). --json prints',
    '{ "cameras": [{ "id", "worker", "state" }], "workers": [{ "id", "cameras", "capacity", "lastSeenMs" }] }',
    '(a failed camera also has "reason").',
  ].join('\n'),
  options: { nats: { type: 'string' }, json: { type: 'boolean' } },
  optionHelp: { nats: 'NATS servers, comma-separated', json: 'print JSON' },
  async run(args, io) {
    const servers = natsServers(args.values.nats)
    const nc = await connectNats(servers, 'oko-cluster-status', false)
    try {
      const store = await openClusterStore(nc)
      if (!store) throw new UsageError('no cluster in this NATS yet: run `oko cluster apply <deploy.yaml> --nats <url>` first', ExitCode.input)
      const status = await clusterStatus(store)
      if (args.values.json) {
        io.stdout.write(`${JSON.stringify(status)}\n`)
        return ExitCode.ok
      }
      const now = Date.now()
      io.stdout.write(`workers (${status.workers.length}):\n`)
      for (const w of status.workers) io.stdout.write(`  ${w.id}  ${w.cameras}/${w.capacity} cameras  last heartbeat ${((now - w.lastSeenMs) / 1000).toFixed(1)} s ago\n`)
      io.stdout.write(`cameras (${status.cameras.length}):\n`)
      for (const c of status.cameras) io.stdout.write(`  ${c.id}  ${c.state}${c.reason ? ` (${c.reason})` : ''}  on ${c.worker ?? '-'}\n`)
      return ExitCode.ok
    } finally {
      await nc.close()
    }
  },
}
