import type { IncomingMessage } from 'node:http'

/** A request that cannot be served, with the status to answer and a message that leaks nothing. */
export class HttpError extends Error {
  readonly status: number
  constructor(status: number, message: string) {
    super(message)
    this.status = status
  }
}

/**
 * A JSON request's body as text, of at most `maxBytes`: rejects with an HttpError 415 (not
 * `Content-Type: application/json`), 413 (over the limit, declared or sent) or 400 (broke off).
 */
export function readJsonBodyText(req: IncomingMessage, maxBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) {
      req.resume()
      return reject(new HttpError(415, 'send Content-Type: application/json'))
    }
    if (Number(req.headers['content-length'] ?? 0) > maxBytes) {
      req.resume()
      return reject(new HttpError(413, `body over ${maxBytes} bytes`))
    }
    const chunks: Buffer[] = []
    let size = 0
    let over = false
    req.on('data', (c: Buffer) => {
      if (over) return
      size += c.length
      if (size > maxBytes) {
        over = true
        req.resume()
        return reject(new HttpError(413, `body over ${maxBytes} bytes`))
      }
      chunks.push(c)
    })
    req.on('error', () => reject(new HttpError(400, 'the request broke off')))
    req.on('end', () => {
      if (!over) resolve(Buffer.concat(chunks).toString('utf8'))
    })
  })
}
