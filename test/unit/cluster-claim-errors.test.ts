import { describe, expect, it } from 'vitest'
import { isExpectedClaimError } from '@oko/cluster'

describe('which claim errors a worker expects (and swallows)', () => {
  it('a lost race or an unreachable NATS: expected', () => {
    expect(isExpectedClaimError(new Error('wrong last sequence: 41'))).toBe(true)
    expect(isExpectedClaimError(Object.assign(new Error('TIMEOUT'), { code: 'TIMEOUT' }))).toBe(true)
    expect(isExpectedClaimError(Object.assign(new Error('disconnected'), { code: 'DISCONNECT' }))).toBe(true)
    expect(isExpectedClaimError(Object.assign(new Error('503'), { code: '503' }))).toBe(true)
    expect(isExpectedClaimError(new Error('no responders available for request'))).toBe(true)
  })

  it('anything else (a bug, a bad value): not expected, so counted and reported', () => {
    expect(isExpectedClaimError(new TypeError("Cannot read properties of undefined (reading 'worker')"))).toBe(false)
    expect(isExpectedClaimError(new SyntaxError('Unexpected token } in JSON'))).toBe(false)
    expect(isExpectedClaimError(Object.assign(new Error('permissions violation'), { code: 'PERMISSIONS_VIOLATION' }))).toBe(false)
    expect(isExpectedClaimError(undefined)).toBe(false)
  })
})
