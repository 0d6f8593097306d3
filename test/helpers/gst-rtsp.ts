import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const SCRIPT = fileURLToPath(new URL('./gst-rtsp-server.py', import.meta.url))
/** Debian's python3 with python3-gi (a pyenv python on PATH may lack gi). */
const PYTHON = '/usr/bin/python3'

/**
 * Why GStreamer's RTSP server cannot run here, or undefined when it can. `.ci/run` installs it
 * (gir1.2-gst-rtsp-server-1.0, python3-gi, gstreamer1.0-plugins-good and -bad).
 */
export function gstMissing(): string | undefined {
  const r = spawnSync(PYTHON, ['-c', "import gi; gi.require_version('GstRtspServer', '1.0'); from gi.repository import GstRtspServer"], { encoding: 'utf8' })
  return r.status === 0 ? undefined : `GStreamer's RTSP server is not installed (apt-get install gir1.2-gst-rtsp-server-1.0 python3-gi gstreamer1.0-plugins-good gstreamer1.0-plugins-bad): ${(r.stderr || String(r.error)).trim().split('\n').pop()}`
}

export interface GstServerOptions {
  readonly mounts?: readonly string[]
  readonly user?: string
  readonly password?: string
  readonly digest?: boolean
}

/**
 * GStreamer's RTSP server in a child process, serving an H.264 clip on 127.0.0.1: a third-party
 * camera, next to the project's own test server. `kill()` ends it like a crashed camera (SIGKILL);
 * `start()` serves again on the same port.
 */
export class GstRtspServer {
  readonly #clip: string
  readonly #options: GstServerOptions
  #port = 0
  #child: ChildProcess | undefined

  constructor(clip: string, options: GstServerOptions = {}) {
    this.#clip = clip
    this.#options = options
  }

  get port(): number {
    return this.#port
  }

  /** `rtsp://[userinfo@]127.0.0.1:port/path`; `userinfo` goes in as written. */
  url(path = 'cam', userinfo?: string): string {
    return `rtsp://${userinfo === undefined ? '' : `${userinfo}@`}127.0.0.1:${this.#port}/${path}`
  }

  async start(): Promise<void> {
    const o = this.#options
    const args = [SCRIPT, this.#clip, '--port', String(this.#port)]
    for (const m of o.mounts ?? ['/cam']) args.push('--mount', m)
    if (o.user !== undefined) args.push('--user', o.user, '--password', o.password ?? '')
    if (o.digest) args.push('--digest')
    const child = spawn(PYTHON, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    this.#child = child
    // a server must not outlive the test or benchmark that started it
    const reap = (): void => { child.kill('SIGKILL') }
    process.once('exit', reap)
    child.once('exit', () => process.off('exit', reap))
    let stderr = ''
    child.stderr!.on('data', (d) => { stderr += String(d) })
    this.#port = await new Promise<number>((resolve, reject) => {
      let out = ''
      child.stdout!.on('data', (d) => {
        out += String(d)
        const m = /ready (\d+)/.exec(out)
        if (m) resolve(Number(m[1]))
      })
      child.once('exit', (code) => reject(new Error(`gst-rtsp-server.py exited with ${code}: ${stderr.trim()}`)))
    })
  }

  /** Ends the server at once (SIGKILL): every client loses its connection. */
  async kill(): Promise<void> {
    const child = this.#child
    this.#child = undefined
    if (!child || child.exitCode !== null) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGKILL')
    await exited
  }

  async stop(): Promise<void> {
    await this.kill()
  }
}
