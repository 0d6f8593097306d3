import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { OkoError, type RawImage } from '@oko/core'
import { normalizePlateText } from './recognizer.js'

/**
 * Countries of nomeroff-net's `region_id` labels that the built-in formats cover (1-3 Ukraine
 * 2015/2004/1995, 15 Ukraine military, 6 Russia, 16 Russia military, 7 Kazakhstan, 11 Belarus).
 * Other regions (Georgia, Armenia, Kyrgyzstan, USSR, transit, ORDLO) have no format here.
 */
const NOMEROFF_REGIONS: Readonly<Record<number, string>> = { 1: 'UA', 2: 'UA', 3: 'UA', 15: 'UA', 6: 'RU', 16: 'RU', 7: 'KZ', 11: 'BY' }

/** One labelled plate crop: its text (when known) and its country (when a built-in format covers it). */
export interface LabelledCrop {
  file: string
  name: string
  text?: string
  country?: string
  lines?: number
}

/**
 * Reads a nomeroff-net style crop folder: `img/NAME.png` with `ann/NAME.json` holding `region_id`,
 * `count_lines` and, for OCR sets, the plate text in `description`. Images without a label are skipped.
 */
export function loadCropLabels(dir: string): LabelledCrop[] {
  const img = join(dir, 'img')
  const ann = join(dir, 'ann')
  if (!existsSync(img) || !existsSync(ann)) throw new OkoError('ERR_FILE_NOT_FOUND', `${dir}: expected img/ and ann/ folders (nomeroff-net crops)`)
  const out: LabelledCrop[] = []
  for (const file of readdirSync(img).filter((f) => /\.(png|jpe?g)$/i.test(f)).sort()) {
    const name = file.replace(/\.[^.]+$/, '')
    const label = join(ann, `${name}.json`)
    if (!existsSync(label)) continue
    let a: { region_id?: number | string; count_lines?: number | string; description?: string }
    try {
      a = JSON.parse(readFileSync(label, 'utf8'))
    } catch (cause) {
      throw new OkoError('ERR_INVALID_INPUT', `${label}: not valid JSON`, { cause })
    }
    const country = a.region_id === undefined ? undefined : NOMEROFF_REGIONS[Number(a.region_id)]
    out.push({
      file: join(img, file),
      name,
      ...(a.description ? { text: normalizePlateText(a.description) } : {}),
      ...(country ? { country } : {}),
      ...(a.count_lines === undefined ? {} : { lines: Number(a.count_lines) }),
    })
  }
  return out
}

export interface CropEvaluation {
  crops: number
  /** Crops whose country a built-in format covers, and how many of them matched a format of that country. */
  withCountry: number
  countryCorrect: number
  /** Crops with a known text, and how many were read exactly. */
  withText: number
  textExact: number
  /** Per crop: label and what was read (personal data: plate text). */
  results: { name: string; country?: string; text?: string; readCountry?: string; readFormat?: string; readText?: string }[]
}

/** Reads every labelled crop with `read` (one plate crop → its best reading) and scores country and text. */
export async function evaluateCrops(
  dir: string,
  decode: (file: string) => RawImage,
  read: (image: RawImage) => Promise<{ text: string; country: string; format: string } | undefined>,
): Promise<CropEvaluation> {
  const e: CropEvaluation = { crops: 0, withCountry: 0, countryCorrect: 0, withText: 0, textExact: 0, results: [] }
  for (const crop of loadCropLabels(dir)) {
    const r = await read(decode(crop.file))
    e.crops++
    if (crop.country) { e.withCountry++; if (r?.country === crop.country) e.countryCorrect++ }
    if (crop.text) { e.withText++; if (r?.text === crop.text) e.textExact++ }
    e.results.push({
      name: crop.name,
      ...(crop.country ? { country: crop.country } : {}),
      ...(crop.text ? { text: crop.text } : {}),
      ...(r ? { readCountry: r.country, readFormat: r.format, readText: r.text } : {}),
    })
  }
  return e
}
