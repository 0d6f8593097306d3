import type { IncomingMessage, ServerResponse } from 'node:http'

/** A request that cannot be served, with the status to answer and a message that leaks nothing. */
export class HttpError extends Error {
  readonly status: number
  constructor(status: number, message: string) {
    super(message)
    this.status = status
  }
}

/**
 * Headers every answer carries: a strict content security policy (this server's own scripts,
 * styles and images only, nothing inline, never framed), no type sniffing, no referrer.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string | string[]> = {}): void {
  if (res.headersSent) return void res.end()
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text), ...headers })
  res.end(text)
}

/** A JSON object body of at most `maxBytes`; 413, 415 or 400 otherwise. */
export function readJson(req: IncomingMessage, maxBytes: number): Promise<Record<string, unknown>> {
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
        return reject(new HttpError(413, `body over ${maxBytes} bytes`))
      }
      chunks.push(c)
    })
    req.on('error', () => reject(new HttpError(400, 'the request broke off')))
    req.on('end', () => {
      if (over) return
      const text = Buffer.concat(chunks).toString('utf8')
      if (text.trim() === '') return resolve({})
      let value: unknown
      try {
        value = JSON.parse(text)
      } catch {
        return reject(new HttpError(400, 'body is not JSON'))
      }
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return reject(new HttpError(400, 'expected a JSON object'))
      resolve(value as Record<string, unknown>)
    })
  })
}
