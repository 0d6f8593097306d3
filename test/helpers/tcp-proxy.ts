import { createConnection, createServer, type Server, type Socket } from 'node:net'

/**
 * A TCP proxy on 127.0.0.1 (random port) to `127.0.0.1:targetPort` that a test can cut: `pause()`
 * stops every byte in both directions (sockets stay open and new connections are held, as a
 * blocked link does: the client only notices by its own pings); `resume()` lets the held bytes
 * through again, late, as a healed link would.
 */
export class TcpProxy {
  readonly #server: Server
  readonly #links = new Set<Link>()
  readonly #targetPort: number
  #paused = false
  port = 0

  private constructor(targetPort: number) {
    this.#targetPort = targetPort
    this.#server = createServer((client) => this.#accept(client))
  }

  static async start(targetPort: number): Promise<TcpProxy> {
    const proxy = new TcpProxy(targetPort)
    await new Promise<void>((resolve) => proxy.#server.listen(0, '127.0.0.1', resolve))
    proxy.port = (proxy.#server.address() as { port: number }).port
    return proxy
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`
  }

  pause(): void {
    this.#paused = true
  }

  resume(): void {
    this.#paused = false
    for (const link of this.#links) this.#flush(link)
  }

  async stop(): Promise<void> {
    for (const l of this.#links) { l.client.destroy(); l.upstream?.destroy() }
    this.#links.clear()
    await new Promise<void>((resolve) => this.#server.close(() => resolve()))
  }

  #accept(client: Socket): void {
    const link: Link = { client, up: [], down: [] }
    this.#links.add(link)
    client.on('error', () => undefined)
    client.on('data', (b: Buffer) => { link.up.push(b); this.#flush(link) })
    client.once('close', () => { link.closed = true; this.#flush(link) })
    this.#flush(link)
  }

  /** Sends what each side holds, unless paused; a side that closed is closed on the other once its bytes are through. */
  #flush(link: Link): void {
    if (this.#paused) return
    if (!link.upstream && !link.closed) {
      const upstream = createConnection({ host: '127.0.0.1', port: this.#targetPort })
      link.upstream = upstream
      upstream.on('error', () => undefined)
      upstream.on('data', (b: Buffer) => { link.down.push(b); this.#flush(link) })
      upstream.once('close', () => { link.closed = true; this.#flush(link) })
    }
    for (const b of link.up.splice(0)) link.upstream?.write(b)
    for (const b of link.down.splice(0)) link.client.write(b)
    if (link.closed) {
      link.client.end()
      link.upstream?.end()
      this.#links.delete(link)
    }
  }
}

interface Link {
  readonly client: Socket
  upstream?: Socket
  /** Bytes held while paused: client → server, server → client. */
  readonly up: Buffer[]
  readonly down: Buffer[]
  closed?: boolean
}
