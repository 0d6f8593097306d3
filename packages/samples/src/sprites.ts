import { PLATE_GLYPHS, glyphAt } from './plate.js'

/** An RGBA picture of one object (0..255 colour, 0..1 alpha), `width`×`height` pixels. */
export interface Sprite {
  readonly width: number
  readonly height: number
  readonly rgb: Float32Array
  readonly alpha: Float32Array
}

export type Rgb = readonly [number, number, number]

/** How a car is seen: from the side (moving across the view), or its front or rear (moving towards or away). */
export type CarView = 'side' | 'front' | 'rear' | 'front-quarter' | 'rear-quarter'

export interface CarLook {
  readonly colour: Rgb
  readonly view: CarView
  /** Side view: the car faces right (its front at the right edge). */
  readonly facingRight: boolean
  /** Front and rear views: the plate's text (glyphs of PLATE_GLYPHS) and style. */
  readonly plate?: { readonly text: string; readonly style: 'ua' | 'eu' }
}

export interface WalkerLook {
  readonly jacket: Rgb
  readonly trousers: Rgb
  /** Gait phase in [0, 1): legs and arms swing once per phase. */
  readonly phase: number
  readonly facingRight: boolean
}

/** Drawn at 2× and averaged down: edges are anti-aliased like a camera's. */
const SS = 2

/** A canvas in sprite units (0..1 across, 0..1 down) over a supersampled RGBA buffer. */
class Canvas {
  readonly w: number
  readonly h: number
  readonly rgb: Float32Array
  readonly alpha: Float32Array
  /** Drawing goes to sprite u = `offset` + u × `span` (a part of the sprite drawn as a whole). */
  offset = 0
  span = 1
  constructor(readonly width: number, readonly height: number, readonly flip: boolean) {
    this.w = width * SS
    this.h = height * SS
    this.rgb = new Float32Array(this.w * this.h * 3)
    this.alpha = new Float32Array(this.w * this.h)
  }

  /** Paints every pixel whose centre (u, v) is `inside`, with `colour(u, v)` at `opacity`. */
  fill(bounds: [number, number, number, number], inside: (u: number, v: number) => boolean, colour: (u: number, v: number) => Rgb, opacity = 1): void {
    const [u0, v0, u1, v1] = bounds
    const { offset, span } = this
    const ea = offset + u0 * span, eb = offset + u1 * span
    const x0 = Math.max(0, Math.floor(Math.min(ea, eb) * this.w)), x1 = Math.min(this.w, Math.ceil(Math.max(ea, eb) * this.w))
    const y0 = Math.max(0, Math.floor(v0 * this.h)), y1 = Math.min(this.h, Math.ceil(v1 * this.h))
    for (let y = y0; y < y1; y++) {
      const v = (y + 0.5) / this.h
      for (let x = x0; x < x1; x++) {
        const px = this.flip ? this.w - 1 - x : x
        const u = ((x + 0.5) / this.w - offset) / span
        if (!inside(u, v)) continue
        const c = colour(u, v)
        const i = y * this.w + px
        const a = this.alpha[i]!
        const na = opacity + a * (1 - opacity)
        for (let k = 0; k < 3; k++) this.rgb[3 * i + k] = (c[k]! * opacity + this.rgb[3 * i + k]! * a * (1 - opacity)) / (na || 1)
        this.alpha[i] = na
      }
    }
  }

  rect(u0: number, v0: number, u1: number, v1: number, colour: Rgb | ((u: number, v: number) => Rgb), opacity = 1): void {
    this.fill([u0, v0, u1, v1], () => true, typeof colour === 'function' ? colour : () => colour, opacity)
  }

  /** An ellipse in sprite units: its radii are fractions of the width (`ru`) and the height (`rv`). */
  ellipse(cu: number, cv: number, ru: number, rv: number, colour: Rgb | ((u: number, v: number) => Rgb), opacity = 1): void {
    const c = typeof colour === 'function' ? colour : () => colour
    this.fill([cu - ru, cv - rv, cu + ru, cv + rv], (u, v) => ((u - cu) / ru) ** 2 + ((v - cv) / rv) ** 2 <= 1, c, opacity)
  }

  polygon(points: readonly (readonly [number, number])[], colour: Rgb | ((u: number, v: number) => Rgb), opacity = 1): void {
    const us = points.map((p) => p[0]), vs = points.map((p) => p[1])
    const c = typeof colour === 'function' ? colour : () => colour
    this.fill([Math.min(...us), Math.min(...vs), Math.max(...us), Math.max(...vs)], (u, v) => insidePolygon(points, u, v), c, opacity)
  }

  /** A thick segment (a capsule) from (u0, v0) to (u1, v1), `thick` a fraction of the width. */
  limb(u0: number, v0: number, u1: number, v1: number, thick: number, colour: Rgb): void {
    const aspect = this.height / this.width
    const r = thick / 2
    const dv = (v1 - v0) * aspect, du = u1 - u0
    const len2 = du * du + dv * dv || 1e-9
    this.fill([Math.min(u0, u1) - r, Math.min(v0, v1) - r / aspect, Math.max(u0, u1) + r, Math.max(v0, v1) + r / aspect], (u, v) => {
      const pu = u - u0, pv = (v - v0) * aspect
      const t = Math.max(0, Math.min(1, (pu * du + pv * dv) / len2))
      return (pu - t * du) ** 2 + (pv - t * dv) ** 2 <= r * r
    }, () => colour)
  }

  /** Averages the supersampled buffer down to the sprite's size. */
  done(): Sprite {
    const { width, height, w } = this
    const rgb = new Float32Array(width * height * 3)
    const alpha = new Float32Array(width * height)
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        let a = 0, r = 0, g = 0, b = 0
        for (let dy = 0; dy < SS; dy++) {
          for (let dx = 0; dx < SS; dx++) {
            const i = (y * SS + dy) * w + x * SS + dx
            const ai = this.alpha[i]!
            a += ai; r += this.rgb[3 * i]! * ai; g += this.rgb[3 * i + 1]! * ai; b += this.rgb[3 * i + 2]! * ai
          }
        }
        const o = y * width + x
        alpha[o] = a / (SS * SS)
        if (a > 0) { rgb[3 * o] = r / a; rgb[3 * o + 1] = g / a; rgb[3 * o + 2] = b / a }
      }
    }
    return { width, height, rgb, alpha }
  }
}

function insidePolygon(points: readonly (readonly [number, number])[], u: number, v: number): boolean {
  let inside = false
  for (let i = 0, j = points.length - 1; i < points.length; j = i++) {
    const [ui, vi] = points[i]!, [uj, vj] = points[j]!
    if ((vi > v) !== (vj > v) && u < ((uj - ui) * (v - vi)) / (vj - vi) + ui) inside = !inside
  }
  return inside
}

const shade = (c: Rgb, k: number): Rgb => [Math.min(255, c[0] * k), Math.min(255, c[1] * k), Math.min(255, c[2] * k)]
const mix = (a: Rgb, b: Rgb, t: number): Rgb => [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t]

const TYRE: Rgb = [28, 28, 30]
const RIM: Rgb = [185, 188, 192]
const GLASS_TOP: Rgb = [95, 110, 125]
const GLASS_BOTTOM: Rgb = [35, 42, 52]
const HEADLIGHT: Rgb = [245, 240, 215]
const TAILLIGHT: Rgb = [200, 25, 25]
const SHADOW: Rgb = [10, 10, 12]
const TRIM: Rgb = [40, 40, 44]

/** A car: body with shading, glass, wheels, lights and its shadow, filling the sprite. */
export function drawCar(width: number, height: number, look: CarLook): Sprite {
  if (look.view === 'side') return carSide(new Canvas(width, height, !look.facingRight), width, height, look).done()
  if (look.view === 'front' || look.view === 'rear') return carEnd(width, height, look)
  return carQuarter(width, height, look)
}

/**
 * Three-quarter view: the side (60% of the width) and the front or rear face (the rest, with
 * its plate), as a camera at the kerb sees a car coming or going.
 */
function carQuarter(width: number, height: number, look: CarLook): Sprite {
  const front = look.view === 'front-quarter'
  // The face is on the side the car heads to (front) or comes from (rear).
  const faceRight = front === look.facingRight
  const c = new Canvas(width, height, !faceRight)
  const SIDE = 0.6
  // The side's front (drawn at its right) meets the face; for a rear face, the side is mirrored.
  c.offset = front ? 0 : SIDE
  c.span = front ? SIDE : -SIDE
  carSide(c, width * SIDE, height, look)
  c.offset = SIDE - 0.02
  c.span = 1 - SIDE + 0.02
  const body = look.colour
  const side = (u: number) => 1 - Math.abs(u - 0.5) * 0.4
  if (front) {
    // The bonnet, foreshortened: the windscreen belongs to the side's cabin, further back.
    c.polygon([[0.0, 0.44], [0.04, 0.4], [0.85, 0.42], [0.99, 0.5], [0.0, 0.5]], (u, v) => shade(body, 1.25 * side(u) - (v - 0.4) * 0.8))
  } else {
    c.polygon([[0.0, 0.44], [0.06, 0.3], [0.9, 0.33], [0.99, 0.5], [0.0, 0.5]], (u, v) => shade(body, 1.2 * side(u) - (v - 0.3) * 0.5)) // boot lid
    c.polygon([[0.0, 0.3], [0.05, 0.12], [0.7, 0.13], [0.88, 0.34], [0.06, 0.32]], (u, v) => mix(GLASS_TOP, GLASS_BOTTOM, Math.min(1, (v - 0.12) / 0.2) * 0.8))
  }
  c.rect(0.0, 0.5, 0.99, 0.83, (u, v) => shade(body, 1.05 * side(u) - (v - 0.5) * 0.35))
  c.rect(0.0, 0.495, 0.99, 0.51, shade(body, 1.4), 0.6)
  if (front) {
    for (const u of [0.03, 0.74]) c.polygon([[u, 0.53], [u + 0.22, 0.54], [u + 0.21, 0.61], [u + 0.01, 0.6]], HEADLIGHT)
    c.rect(0.3, 0.53, 0.7, 0.6, TRIM)
  } else {
    for (const u of [0.02, 0.76]) c.rect(u, 0.53, u + 0.22, 0.61, TAILLIGHT)
  }
  c.rect(0.0, 0.79, 0.99, 0.83, TRIM, 0.9) // the bumper's lower edge
  c.rect(0.8, 0.83, 0.95, 0.92, TYRE) // the far wheel under the face
  const sprite = c.done()
  if (look.plate) drawPlateOn(sprite, look.plate.text, look.plate.style, faceRight ? [SIDE, 1] : [0, 1 - SIDE], 0.745)
  return sprite
}

/** Draws a side view on `c` (which may map it to a part of the sprite). */
function carSide(c: Canvas, width: number, height: number, look: CarLook): Canvas {
  const body = look.colour
  // Lit from above: lighter at the shoulder, darker towards the sills.
  const paint = (_u: number, v: number): Rgb => shade(body, v < 0.5 ? 1.15 - (0.5 - v) * 0.4 : 1.15 - (v - 0.5) * 0.7)
  c.ellipse(0.5, 0.93, 0.5, 0.07, SHADOW, 0.55)
  // Greenhouse: pillars in body colour, glass inset; the front (right) has the raked windscreen.
  c.polygon([[0.17, 0.46], [0.3, 0.1], [0.62, 0.08], [0.8, 0.46]], (u, v) => shade(body, 1.05 - v * 0.2))
  const glass = (_u: number, v: number): Rgb => mix(GLASS_TOP, GLASS_BOTTOM, Math.min(1, (v - 0.12) / 0.34))
  c.polygon([[0.21, 0.45], [0.315, 0.15], [0.47, 0.14], [0.47, 0.45]], glass)
  c.polygon([[0.5, 0.45], [0.5, 0.14], [0.61, 0.13], [0.76, 0.45]], glass)
  // Lower body: bonnet and boot lines, rounded ends.
  c.polygon([[0.02, 0.5], [0.06, 0.44], [0.8, 0.44], [0.96, 0.5], [0.99, 0.58], [0.99, 0.78], [0.97, 0.83], [0.03, 0.83], [0.01, 0.76], [0.01, 0.56]], paint)
  c.rect(0.04, 0.47, 0.95, 0.49, shade(body, 1.5), 0.5) // shoulder highlight
  c.rect(0.33, 0.46, 0.335, 0.8, shade(body, 0.55)) // door gaps
  c.rect(0.5, 0.46, 0.505, 0.8, shade(body, 0.55))
  c.rect(0.4, 0.54, 0.45, 0.565, shade(body, 0.6))
  c.rect(0.57, 0.54, 0.62, 0.565, shade(body, 0.6))
  c.rect(0.01, 0.76, 0.99, 0.8, TRIM, 0.85) // rubbing strip and sills
  c.rect(0.94, 0.52, 0.995, 0.6, HEADLIGHT)
  c.rect(0.005, 0.52, 0.04, 0.61, TAILLIGHT)
  c.polygon([[0.76, 0.46], [0.8, 0.4], [0.82, 0.46]], TRIM) // mirror
  for (const cu of [0.2, 0.8]) wheel(c, cu, 0.8, width, height)
  return c
}

function wheel(c: Canvas, cu: number, cv: number, width: number, height: number): void {
  const rv = 0.19, ru = (rv * height) / width
  c.ellipse(cu, cv - 0.02, ru * 1.1, rv * 1.1, [18, 18, 20]) // wheel arch
  c.ellipse(cu, cv, ru, rv, TYRE)
  c.ellipse(cu, cv, ru * 0.62, rv * 0.62, (u, v) => shade(RIM, 1.1 - (v - cv + rv) * 1.2))
  for (let k = 0; k < 5; k++) {
    const a = (k * 2 * Math.PI) / 5
    c.ellipse(cu + Math.cos(a) * ru * 0.38, cv + Math.sin(a) * rv * 0.38, ru * 0.11, rv * 0.11, [70, 72, 76])
  }
  c.ellipse(cu, cv, ru * 0.14, rv * 0.14, [60, 60, 64])
}

/**
 * A car's front or rear seen from a camera above the road: roof, the raked windscreen (or rear
 * window), bonnet (or boot lid), then the face with lights, grille, bumper and plate, the tyres
 * under it and its shadow.
 */
function carEnd(width: number, height: number, look: CarLook): Sprite {
  const c = new Canvas(width, height, false)
  const body = look.colour
  const front = look.view === 'front'
  const side = (u: number) => 1 - Math.abs(u - 0.5) * 0.45
  c.ellipse(0.5, 0.93, 0.5, 0.07, SHADOW, 0.6)
  for (const u of [0.07, 0.78]) c.rect(u, 0.8, u + 0.15, 0.97, TYRE)
  // Roof (lit from above), glass, bonnet or boot, face: narrow at the top, full width at the face.
  c.polygon([[0.24, 0.02], [0.76, 0.02], [0.8, 0.16], [0.2, 0.16]], (u, v) => shade(body, 1.3 * side(u) - v * 0.3))
  c.polygon([[0.2, 0.16], [0.8, 0.16], [0.9, 0.38], [0.1, 0.38]], (u, v) => mix(GLASS_TOP, GLASS_BOTTOM, Math.min(1, (v - 0.16) / 0.22 + Math.abs(u - 0.5) * 0.4)))
  c.polygon([[0.2, 0.16], [0.23, 0.16], [0.12, 0.38], [0.09, 0.38]], shade(body, 0.9)) // pillars
  c.polygon([[0.77, 0.16], [0.8, 0.16], [0.91, 0.38], [0.88, 0.38]], shade(body, 0.9))
  c.polygon([[0.3, 0.2], [0.42, 0.2], [0.3, 0.34], [0.2, 0.34]], [150, 165, 180], 0.25) // reflection
  c.polygon([[0.0, 0.3], [0.09, 0.32], [0.09, 0.4], [0.0, 0.39]], shade(body, 0.85)) // mirrors
  c.polygon([[0.91, 0.32], [1.0, 0.3], [1.0, 0.39], [0.91, 0.4]], shade(body, 0.85))
  c.polygon([[0.1, 0.38], [0.9, 0.38], [0.98, 0.55], [0.02, 0.55]], (u, v) => shade(body, 1.25 * side(u) - (v - 0.38) * 0.8))
  c.rect(0.02, 0.55, 0.98, 0.86, (u, v) => shade(body, 0.95 * side(u) - (v - 0.55) * 0.6))
  c.rect(0.02, 0.545, 0.98, 0.56, shade(body, 1.4), 0.6) // the edge catches the light
  if (front) {
    for (const u of [0.05, 0.73]) c.polygon([[u, 0.58], [u + 0.22, 0.6], [u + 0.21, 0.67], [u + 0.01, 0.66]], HEADLIGHT)
    c.rect(0.3, 0.59, 0.7, 0.68, TRIM) // grille
    for (let k = 0; k < 4; k++) c.rect(0.31, 0.6 + k * 0.02, 0.69, 0.605 + k * 0.02, [75, 75, 80])
  } else {
    for (const u of [0.03, 0.75]) c.rect(u, 0.58, u + 0.22, 0.67, TAILLIGHT)
    c.rect(0.3, 0.6, 0.7, 0.63, shade(body, 0.7))
  }
  c.rect(0.02, 0.82, 0.98, 0.86, TRIM, 0.9) // the bumper's lower edge
  const sprite = c.done()
  if (look.plate) drawPlateOn(sprite, look.plate.text, look.plate.style, [0.21, 0.79])
  return sprite
}

/**
 * A number plate on the bumper, at a glyph scale that keeps it inside the car: white with black
 * text, and a blue band on the left (the EU's; the UA plate's flag band sits there too).
 */
function drawPlateOn(s: Sprite, text: string, style: 'ua' | 'eu', across: readonly [number, number] = [0, 1], down = 0.77): void {
  for (const ch of text) if (!PLATE_GLYPHS.includes(ch)) throw new RangeError(`plate: no glyph for ${JSON.stringify(ch)}; available: ${PLATE_GLYPHS}`)
  const band = 3
  const faceWidth = s.width * (across[1] - across[0])
  const scale = Math.max(1, Math.floor((faceWidth * 0.9) / (text.length * 6 + 3 + band)))
  const pw = (text.length * 6 + 3 + band) * scale, ph = 11 * scale
  const px = Math.round(s.width * across[0] + (faceWidth - pw) / 2), py = Math.round(s.height * down - ph / 2)
  const put = (x: number, y: number, c: Rgb) => {
    const o = y * s.width + x
    s.rgb[3 * o] = c[0]; s.rgb[3 * o + 1] = c[1]; s.rgb[3 * o + 2] = c[2]; s.alpha[o] = 1
  }
  for (let y = py - 1; y < py + ph + 1; y++) for (let x = px - 1; x < px + pw + 1; x++) put(x, y, [30, 30, 30])
  for (let y = py; y < py + ph; y++) {
    for (let x = px; x < px + pw; x++) {
      const inBand = x < px + band * scale
      const uaFlag = style === 'ua' && inBand && y >= py + ph / 2
      put(x, y, inBand ? (uaFlag ? [240, 200, 20] : [20, 60, 170]) : [236, 236, 232])
    }
  }
  ;[...text].forEach((ch, i) => {
    for (let r = 0; r < 7; r++) {
      for (let col = 0; col < 5; col++) {
        if (!glyphAt(ch, r, col)) continue
        for (let dy = 0; dy < scale; dy++) {
          for (let dx = 0; dx < scale; dx++) put(px + (band + 2 + i * 6 + col) * scale + dx, py + (2 + r) * scale + dy, [20, 20, 20])
        }
      }
    }
  })
}

const SKIN: Rgb = [205, 160, 130]
const HAIR: Rgb = [45, 32, 25]
const SHOE: Rgb = [30, 28, 28]

/** A walker seen from the side: head, torso, swinging arms and legs in the pose of its gait phase. */
export function drawWalker(width: number, height: number, look: WalkerLook): Sprite {
  const c = new Canvas(width, height, !look.facingRight)
  const swing = Math.sin(look.phase * 2 * Math.PI)
  const k = width / height // limb thickness is a fraction of the width
  const hip: [number, number] = [0.5, 0.52]
  const shoulder: [number, number] = [0.5, 0.2]
  const legLength = 0.45, armLength = 0.3
  c.ellipse(0.5, 0.985, 0.45, 0.015, SHADOW, 0.5)
  const limb = (from: [number, number], angle: number, length: number, bend: number, thick: number, colour: Rgb, end: Rgb, endSize: number) => {
    // Two segments: upper (thigh/upper arm), lower bent back by `bend`; lengths in heights.
    const u1 = from[0] + (Math.sin(angle) * length * 0.5) / k, v1 = from[1] + Math.cos(angle) * length * 0.5
    const u2 = u1 + (Math.sin(angle - bend) * length * 0.5) / k, v2 = v1 + Math.cos(angle - bend) * length * 0.5
    c.limb(from[0], from[1], u1, v1, thick, colour)
    c.limb(u1, v1, u2, v2, thick * 0.85, colour)
    c.ellipse(u2 + endSize * 0.3, Math.min(0.985, v2), endSize, (endSize * k) / 1.6, end)
  }
  const farLeg = shade(look.trousers, 0.75), farArm = shade(look.jacket, 0.75)
  limb(hip, -0.45 * swing, legLength, Math.max(0, swing) * 0.5, 0.3, farLeg, SHOE, 0.18)
  limb(shoulder, 0.5 * swing, armLength, -0.3, 0.2, farArm, shade(SKIN, 0.8), 0.09)
  c.polygon([[0.3, 0.17], [0.7, 0.17], [0.72, 0.55], [0.28, 0.55]], (u, v) => shade(look.jacket, 1.15 - Math.abs(u - 0.45) * 0.8 - v * 0.2))
  limb(hip, 0.45 * swing, legLength, Math.max(0, -swing) * 0.5, 0.3, look.trousers, SHOE, 0.18)
  c.limb(0.5, 0.12, 0.5, 0.18, 0.22, shade(SKIN, 0.85)) // neck
  c.ellipse(0.52, 0.075, 0.3, 0.075, SKIN)
  c.ellipse(0.47, 0.055, 0.3, 0.058, HAIR)
  limb(shoulder, -0.5 * swing, armLength, -0.3, 0.2, shade(look.jacket, 0.95), SKIN, 0.09)
  return c.done()
}
