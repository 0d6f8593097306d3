import { chromium, type Browser, type Page } from 'playwright-core'

/** Debian's Chromium (installed by .ci/run): the browser tests skip where it is missing. */
export const CHROMIUM = '/usr/bin/chromium'

/**
 * Debian's Chromium, headless, and a page that collects what went wrong in `problems`: console
 * errors, CSP violations (reported as console errors), page errors.
 */
export async function openPage(viewport: { width: number; height: number }, problems: string[]): Promise<{ browser: Browser; page: Page }> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] })
  const page = await browser.newPage({ viewport })
  // (browser code as strings: the project type-checks without the DOM library)
  await page.addInitScript({ content: "document.addEventListener('securitypolicyviolation', (e) => console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI))" })
  page.on('console', (m) => void (m.type() === 'error' && problems.push(`console: ${m.text()}`)))
  page.on('pageerror', (e) => void problems.push(`page error: ${e.message}`))
  return { browser, page }
}
