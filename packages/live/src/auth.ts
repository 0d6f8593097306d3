import type { IncomingMessage } from 'node:http'
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { InvalidOptionError } from '@oko/core'

export interface LiveAuthOptions {
  /** `Authorization: Bearer <token>`, or typed into the login form (with the operator's name). */
  readonly token?: string
  /** Operators with passwords: `Authorization: Basic`, or the login form. */
  readonly users?: readonly { readonly name: string; readonly password: string }[]
  /** How long a login form session lasts. Default 12 h. */
  readonly sessionHours?: number
  readonly now?: () => number
}

/** Who made a request: the operator's name goes on the alarm steps they take. */
export interface Operator {
  readonly name: string
  readonly via: 'token' | 'password' | 'session'
}

export const SESSION_COOKIE = 'oko_session'
const MAX_SESSIONS = 1000

/**
 * The live page's credentials: a bearer token, operators' passwords (Basic), or a session cookie
 * the login form sets (HttpOnly, SameSite=Strict). Secrets are compared in constant time and never
 * logged or echoed.
 */
export class LiveAuth {
  readonly #token: Buffer | undefined
  readonly #users: Map<string, Buffer>
  readonly #sessions = new Map<string, { operator: Operator; expiresMs: number }>()
  readonly #sessionMs: number
  readonly #now: () => number
  #failures = 0

  constructor(options: LiveAuthOptions) {
    if (!options.token && !(options.users && options.users.length > 0)) throw new InvalidOptionError('http.auth', 'give `token:` (Authorization: Bearer) or `users:` ([{ name, password }]); the live page is never open to anyone')
    this.#token = options.token ? Buffer.from(options.token) : undefined
    this.#users = new Map((options.users ?? []).map((u) => [u.name, Buffer.from(u.password)]))
    this.#sessionMs = (options.sessionHours ?? 12) * 3_600_000
    this.#now = options.now ?? Date.now
  }

  /** Requests refused for wrong credentials (logins and API calls). */
  get failures(): number {
    return this.#failures
  }

  /** The operator of a request, or undefined (then answer 401). */
  check(req: IncomingMessage): Operator | undefined {
    const header = req.headers.authorization ?? ''
    const bearer = /^Bearer ([\x21-\x7e]{1,512})$/.exec(header)
    if (bearer) return this.#countFail(this.#token && same(bearer[1]!, this.#token) ? { name: operatorName(req.headers['x-oko-operator']) ?? 'api', via: 'token' } : undefined)
    const basic = /^Basic ([A-Za-z0-9+/=]{1,1024})$/.exec(header)
    if (basic) {
      const text = Buffer.from(basic[1]!, 'base64').toString('utf8')
      const colon = text.indexOf(':')
      return this.#countFail(colon > 0 ? this.#password(text.slice(0, colon), text.slice(colon + 1)) : undefined)
    }
    const id = cookie(req.headers.cookie, SESSION_COOKIE)
    if (!id) return undefined
    const session = this.#sessions.get(id)
    if (!session) return undefined
    if (session.expiresMs <= this.#now()) {
      this.#sessions.delete(id)
      return undefined
    }
    return session.operator
  }

  /**
   * The login form: `{ name, secret }` (a user's password, else the token with the operator's
   * name), or `{ token, name }`, or `{ user, password }`. A session id for the cookie, or undefined.
   */
  login(body: Record<string, unknown>): { sessionId: string; operator: Operator; maxAgeS: number } | undefined {
    let operator: Operator | undefined
    if (typeof body.secret === 'string' && typeof body.name === 'string') {
      const p = this.#password(body.name, body.secret)
      if (p) operator = { name: p.name, via: 'session' }
      else if (this.#token && same(body.secret, this.#token)) operator = { name: operatorName(body.name) ?? 'operator', via: 'session' }
    } else if (typeof body.token === 'string' && this.#token) {
      if (same(body.token, this.#token)) operator = { name: operatorName(body.name) ?? 'operator', via: 'session' }
    } else if (typeof body.user === 'string' && typeof body.password === 'string') {
      const p = this.#password(body.user, body.password)
      if (p) operator = { name: p.name, via: 'session' }
    }
    if (!this.#countFail(operator)) return undefined
    const sessionId = randomBytes(32).toString('base64url')
    if (this.#sessions.size >= MAX_SESSIONS) this.#sessions.delete(this.#sessions.keys().next().value!)
    this.#sessions.set(sessionId, { operator: operator!, expiresMs: this.#now() + this.#sessionMs })
    return { sessionId, operator: operator!, maxAgeS: Math.floor(this.#sessionMs / 1000) }
  }

  logout(req: IncomingMessage): void {
    const id = cookie(req.headers.cookie, SESSION_COOKIE)
    if (id) this.#sessions.delete(id)
  }

  #password(user: string, password: string): Operator | undefined {
    const expected = this.#users.get(user)
    return expected && same(password, expected) ? { name: user, via: 'password' } : undefined
  }

  #countFail(operator: Operator | undefined): Operator | undefined {
    if (!operator) this.#failures++
    return operator
  }
}

function same(given: string, expected: Buffer): boolean {
  const a = Buffer.from(given)
  // compare against itself when the length differs: the time does not tell the length apart from the content
  return a.length === expected.length ? timingSafeEqual(a, expected) : (timingSafeEqual(expected, expected), false)
}

/** An operator's name as given (the login form, `X-Oko-Operator`): printable, at most 64 characters. */
function operatorName(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined
  const name = value.replace(/[\x00-\x1f\x7f]/g, '').trim().slice(0, 64)
  return name === '' ? undefined : name
}

function cookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim()
  }
  return undefined
}
