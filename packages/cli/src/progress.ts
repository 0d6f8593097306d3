/** A progress line. Draws on a TTY stream, at most every 100 ms; does nothing otherwise. */
export interface Progress {
  update(done: number, note?: string): void
  done(note?: string): void
}

const SILENT: Progress = { update() {}, done() {} }

export function createProgress(stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number }, label: string, total?: number): Progress {
  if (!stream.isTTY) return SILENT
  const startMs = Date.now()
  let lastDrawMs = 0
  const draw = (done: number, note = '', force = false) => {
    const now = Date.now()
    if (!force && now - lastDrawMs < 100) return
    lastDrawMs = now
    const seconds = (now - startMs) / 1000
    const rate = seconds > 0 ? `${(done / seconds).toFixed(1)}/s` : ''
    let bar = ''
    if (total !== undefined && total > 0) {
      const width = 24
      const filled = Math.min(width, Math.round((done / total) * width))
      bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total} `
    } else {
      bar = `${done} `
    }
    const line = `${label} ${bar}${rate} ${note}`.slice(0, (stream.columns ?? 80) - 1)
    stream.write(`\r\x1b[2K${line}`)
  }
  return {
    update: (done, note) => draw(done, note),
    done: (note) => {
      stream.write(`\r\x1b[2K${note ? `${label} ${note}\n` : ''}`)
    },
  }
}
