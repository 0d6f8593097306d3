import { hash32 } from './placement.js'
import type { MemberValue } from './store.js'

/** A member as a worker knows it from the membership watch. */
export interface MemberView {
  readonly value: MemberValue
  /** Revision of its membership key (a removal is a CAS on it, so a rejoin in between survives). */
  readonly revision: number
  /** The server's stamp on its membership key: when it joined (or rejoined, or started leaving). */
  readonly joinedMs: number
}

/**
 * The other members after `me` on a ring ordered by hash: the worker that audits a member is the
 * live one just before it, so every member has one auditor (after a dead run of members the next
 * live one audits them all) and each worker reads about one heartbeat per period, not all of them.
 */
export function ringSuccessors(me: string, ids: Iterable<string>): string[] {
  const ring = [...new Set([...ids, me])].map((id) => ({ id, h: hash32(id) })).sort((a, b) => a.h - b.h || (a.id < b.id ? -1 : 1))
  const at = ring.findIndex((m) => m.id === me)
  return [...ring.slice(at + 1), ...ring.slice(0, at)].map((m) => m.id)
}

/**
 * Whether a member looks gone: its heartbeat (the server's stamp, -Infinity when it has none) and
 * its join are both older than the timeout on the server's clock. A member that has just joined
 * and not yet heart-beaten counts from its join.
 */
export function memberTimedOut(member: MemberView, heartbeatMs: number, serverNowMs: number, timeoutMs: number): boolean {
  return serverNowMs - Math.max(heartbeatMs, member.joinedMs) >= timeoutMs
}
