// Plate text as users, registers and ground truth write it, made comparable: one normalisation for
// the plate reader, watchlists and vehicle registers.

/** Cyrillic letters that plates use as Latin look-alikes (UA, RU, KZ, BY, BG, RS…). */
const CYRILLIC_TO_LATIN: Readonly<Record<string, string>> = {
  А: 'A', В: 'B', Е: 'E', К: 'K', М: 'M', Н: 'H', О: 'O', Р: 'P', С: 'C', Т: 'T', У: 'Y', Х: 'X', І: 'I', Ї: 'I',
  а: 'A', в: 'B', е: 'E', к: 'K', м: 'M', н: 'H', о: 'O', р: 'P', с: 'C', т: 'T', у: 'Y', х: 'X', і: 'I', ї: 'I',
}

/** Upper-cases and maps Cyrillic look-alikes to Latin. */
export function latinOf(text: string): string {
  let out = ''
  for (const ch of text) out += CYRILLIC_TO_LATIN[ch] ?? ch.toUpperCase()
  return out
}

/** Normalises plate text as users and ground truth write it: Latin capitals and digits only. */
export function normalizePlateText(text: string): string {
  return latinOf(text).replace(/[^A-Z0-9]/g, '')
}
