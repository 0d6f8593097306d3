import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { createConnection, createServer } from 'node:net'
import { userInfo } from 'node:os'
import { join } from 'node:path'
import { OkoError } from '@oko/core'

/** A port free on 127.0.0.1 now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port
      server.close(() => resolve(port))
    })
  })
}

/** Resolves once something accepts TCP connections on 127.0.0.1:port. */
async function waitForPort(port: number, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = createConnection({ host: '127.0.0.1', port }, () => { s.destroy(); resolve(true) })
      s.once('error', () => resolve(false))
    })
    if (ok) return
    if (Date.now() > until) throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

/**
 * The path of a Debian broker binary, or undefined (the test skips) when it is not installed;
 * under CI=true a missing binary is an error (.ci/run installs it).
 */
export function brokerBinary(name: 'mosquitto' | 'nats-server'): string | undefined {
  const path = `/usr/sbin/${name}`
  if (existsSync(path)) return path
  if (process.env.CI === 'true') throw new OkoError('ERR_DATA', `${path} not found: .ci/run installs it (apt-get install ${name})`)
  return undefined
}

/**
 * A broker process of its own on 127.0.0.1 (random port, own data folder), for tests. `stop()`
 * ends it (SIGTERM, waits); `start()` starts it again on the same port with the same data.
 */
export class TestBroker {
  readonly port: number
  readonly url: string
  readonly #argv: readonly string[]
  readonly #binary: string
  #child: ChildProcess | undefined
  #log = ''

  private constructor(binary: string, argv: readonly string[], port: number, scheme: string) {
    this.#binary = binary
    this.#argv = argv
    this.port = port
    this.url = `${scheme}://127.0.0.1:${port}`
  }

  /**
   * mosquitto with persistence (queued QoS 1 messages of persistent sessions survive a restart);
   * with `secure`, TLS only (a self-signed certificate for 127.0.0.1, made here with openssl:
   * `ca.pem` in `dir`) and a user `oko` with password `s3cret`.
   */
  static async mosquitto(dir: string, options: { secure?: boolean } = {}): Promise<TestBroker | undefined> {
    const binary = brokerBinary('mosquitto')
    if (!binary) return undefined
    const port = await freePort()
    mkdirSync(dir, { recursive: true })
    const conf = join(dir, 'mosquitto.conf')
    // started as root, mosquitto switches to its own user, which cannot read a private temporary folder
    const lines = [`user ${userInfo().username}`, `listener ${port} 127.0.0.1`, 'persistence true', `persistence_location ${dir}/`, 'max_queued_messages 0', 'log_dest stderr', 'log_type error']
    if (options.secure) {
      const run = (cmd: string, args: string[]) => {
        const r = spawnSync(cmd, args, { cwd: dir, encoding: 'utf8' })
        if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr ?? r.error}`)
      }
      run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'key.pem', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'])
      run('mosquitto_passwd', ['-b', '-c', join(dir, 'passwd'), 'oko', 's3cret'])
      lines.push(`certfile ${join(dir, 'ca.pem')}`, `keyfile ${join(dir, 'key.pem')}`, 'allow_anonymous false', `password_file ${join(dir, 'passwd')}`)
    } else {
      lines.push('allow_anonymous true')
    }
    writeFileSync(conf, `${lines.join('\n')}\n`)
    const broker = new TestBroker(binary, ['-c', conf], port, options.secure ? 'mqtts' : 'mqtt')
    await broker.start()
    return broker
  }

  /** nats-server with JetStream, its store in `dir`. */
  static async nats(dir: string): Promise<TestBroker | undefined> {
    const binary = brokerBinary('nats-server')
    if (!binary) return undefined
    const port = await freePort()
    mkdirSync(dir, { recursive: true })
    const broker = new TestBroker(binary, ['-js', '-sd', dir, '-a', '127.0.0.1', '-p', String(port)], port, 'nats')
    await broker.start()
    return broker
  }

  /**
   * `size` nats-server -js processes routed into one JetStream cluster on 127.0.0.1 (random client
   * and route ports, a store folder each under `dir`); resolves once all accept clients.
   */
  static async natsCluster(dir: string, size = 3): Promise<TestBroker[] | undefined> {
    const binary = brokerBinary('nats-server')
    if (!binary) return undefined
    const ports = await Promise.all(Array.from({ length: size }, () => freePort()))
    const routes = await Promise.all(Array.from({ length: size }, () => freePort()))
    const all = routes.map((p) => `nats://127.0.0.1:${p}`).join(',')
    const nodes = ports.map((port, i) => {
      const store = join(dir, `n${i}`)
      mkdirSync(store, { recursive: true })
      return new TestBroker(binary, ['-js', '-sd', store, '-a', '127.0.0.1', '-p', String(port), '-n', `n${i}`, '--cluster_name', 'oko-test', '--cluster', `nats://127.0.0.1:${routes[i]}`, '--routes', all], port, 'nats')
    })
    await Promise.all(nodes.map((n) => n.start()))
    return nodes
  }

  get running(): boolean {
    return this.#child !== undefined
  }

  async start(): Promise<void> {
    if (this.#child) return
    const child = spawn(this.#binary, this.#argv, { stdio: ['ignore', 'ignore', 'pipe'] })
    child.stderr!.on('data', (c) => (this.#log = (this.#log + String(c)).slice(-4000)))
    this.#child = child
    // a test process that ends without stop() leaves no broker behind
    const onExit = () => child.kill('SIGKILL')
    process.once('exit', onExit)
    child.once('exit', () => {
      process.off('exit', onExit)
      if (this.#child === child) this.#child = undefined
    })
    try {
      await waitForPort(this.port)
    } catch (error) {
      throw new Error(`${this.#binary} did not start: ${(error as Error).message}\n${this.#log}`)
    }
  }

  async stop(): Promise<void> {
    const child = this.#child
    if (!child) return
    this.#child = undefined
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
    await exited
    clearTimeout(timer)
  }
}
