import { getRandomValues } from 'node:crypto'

// Crockford's base32: no I, L, O, U; ids sort as strings in time order.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'
const RANDOM_CHARS = 16 // 80 bits

/**
 * A ULID: 48 bits of milliseconds since the epoch, then 80 random bits, as 26 base-32 characters.
 * Unique across cameras, processes and restarts (a collision needs two of 2^80 draws in the same
 * millisecond), and ids sort by the time they were made. For ids in strict order within a
 * millisecond, use an `IdFactory`.
 */
export function newId(timeMs = Date.now()): string {
  return encodeTime(timeMs) + encodeRandom(getRandomValues(new Uint8Array(RANDOM_CHARS)))
}

/** The creation time (ms since the epoch) an id made by `newId` or `IdFactory` carries. */
export function idTimeMs(id: string): number {
  let ms = 0
  for (let i = 0; i < 10; i++) {
    const digit = ALPHABET.indexOf(id[i] ?? '')
    if (digit < 0) return Number.NaN
    ms = ms * 32 + digit
  }
  return ms
}

/**
 * Makes ULIDs that also sort in the order they were made within one millisecond (the random part
 * is incremented, as the ULID spec's monotonic mode does). One per run: no module-level state.
 */
export class IdFactory {
  #lastMs = -1
  readonly #random = new Uint8Array(RANDOM_CHARS)

  next(timeMs = Date.now()): string {
    if (timeMs <= this.#lastMs) {
      timeMs = this.#lastMs
      increment(this.#random)
    } else {
      this.#lastMs = timeMs
      getRandomValues(this.#random)
      // 5 bits per character: clear the top bit of the first so an increment cannot overflow in practice
      this.#random[0] = this.#random[0]! & 0x0f
    }
    return encodeTime(timeMs) + encodeRandom(this.#random)
  }
}

function encodeTime(ms: number): string {
  let t = Math.max(0, Math.floor(ms))
  let out = ''
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[t % 32]! + out
    t = Math.floor(t / 32)
  }
  return out
}

/** Each byte's low 5 bits give one character (80 bits in 16 characters). */
function encodeRandom(bytes: Uint8Array): string {
  let out = ''
  for (let i = 0; i < RANDOM_CHARS; i++) out += ALPHABET[bytes[i]! & 31]
  return out
}

/** Adds one to the 5-bit digits, last digit first. */
function increment(digits: Uint8Array): void {
  for (let i = RANDOM_CHARS - 1; i >= 0; i--) {
    const d = (digits[i]! & 31) + 1
    digits[i] = d & 31
    if (d < 32) return
  }
}
