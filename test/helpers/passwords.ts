import fc from 'fast-check'

/** Passwords of every printable ASCII character, as long as real ones. */
export const passwords = fc.string({ unit: fc.constantFrom(...Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i))), minLength: 6, maxLength: 24 })

/** How a user writes a password into a URL: FFmpeg takes @ and : raw; / ? # and % must be %-encoded. */
export function inUrl(password: string): string {
  return password.replace(/[%/?#]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`)
}
