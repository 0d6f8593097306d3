import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, ftruncateSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { InvalidOptionError } from '@oko/core'
import { MAX_CONFIG_BYTES, MAX_WATCHLIST_BYTES, loadDeployment, parseDeployment, type LoadOptions } from '@oko/deploy'

let dir: string
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'oko-deploy-')) })
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function errorOf(text: string, options: LoadOptions = {}): string {
  try {
    parseDeployment(text, { baseDir: dir, env: {}, ...options })
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidOptionError)
    expect((error as Error).message).not.toMatch(/\n\s+at /)
    return (error as Error).message
  }
  throw new Error('expected a validation error')
}

describe('hostile deployment files are refused with a clear error', () => {
  it('an alias bomb (billion laughs) is refused, not expanded', () => {
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]', ...'bcdefgh'.split('').map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcdefg'[i]}`).join(',')}]`), 'cameras: [*h]'].join('\n')
    expect(errorOf(bomb)).toBe('config: Excessive alias count indicates a resource exhaustion attack; expand anchors and aliases (&name / *name) or use fewer (at most 100 uses)')
  })

  it('a deployment file over the size limit is refused before it is parsed', () => {
    const zone = '      - { name: z, polygon: [[0.1, 0.5], [0.3, 0.5], [0.3, 1]] }\n'
    const text = `cameras:\n  - url: a.mp4\n    zones:\n${zone.repeat(Math.ceil((30 * 2 ** 20) / zone.length))}`
    writeFileSync(join(dir, 'huge.yaml'), text)
    expect(() => loadDeployment(join(dir, 'huge.yaml'))).toThrow(`${join(dir, 'huge.yaml')}: is 30.0 MiB; deployment files are limited to 1 MiB`)
    expect(errorOf(text)).toMatch(/^config: is 30\.0 MiB; deployment files are limited to 1 MiB/)
    expect(MAX_CONFIG_BYTES).toBe(2 ** 20)
  })

  it('a watchlist over the size limit is refused by name before it is read', () => {
    const file = join(dir, 'huge.txt')
    const fd = openSync(file, 'w')
    ftruncateSync(fd, MAX_WATCHLIST_BYTES + 1) // sparse: no disk used
    closeSync(fd)
    expect(errorOf('cameras: [{ url: a.mp4 }]\nstages: [motion, { plates: { watchlist: huge.txt } }]\n')).toMatch(/^stages\[1\]\.plates\.watchlist \(line 2\): .*huge\.txt is 64\.0 MiB; watchlists are limited to 64 MiB/)
    expect(errorOf('cameras:\n  - url: a.mp4\n    stages: { faces: { watchlist: huge.txt } }\nstages: [motion, faces]\n')).toMatch(/^cameras\[0\]\.stages\.faces\.watchlist \(line 3\): .*watchlists are limited to 64 MiB/)
  })

  it('refuses at check time what can never connect: no host, unknown scheme, bad port', () => {
    expect(errorOf('cameras:\n  - url: rtsp:///cam\n')).toMatch(/^cameras\[0\]\.url \(line 2\): the URL has no host after rtsp:\/\/; write rtsp:\/\/host\[:port\]\/path/)
    expect(errorOf('cameras:\n  - url: rtps://10.0.0.5/cam\n')).toMatch(/^cameras\[0\]\.url \(line 2\): unknown scheme "rtps:\/\/"; expected one of rtsp, /)
    expect(errorOf('cameras:\n  - url: a.mp4\n    main: rtsp://10.0.0.5:0/main\n')).toMatch(/^cameras\[0\]\.main \(line 3\): the port after the host must be a number in \[1, 65535\]/)
  })

  it('an output URL gets the hint for outputs, not the one for camera URLs', () => {
    for (const output of ['output: rtsp://10.0.0.5/events', 'output: { path: "http://10.0.0.5/events" }']) {
      const message = errorOf(`cameras: [{ url: a.mp4 }]\n${output}\n`)
      expect(message).toMatch(/^output(\.path)? \(line 2\): expected a file path, not a URL \((rtsp|http):\/\/\); events are written to a file or stdout; give a file for the events, e\.g\. `output: events\.jsonl`/)
      expect(message).not.toMatch(/detect stream/)
    }
    expect(parseDeployment('cameras: [{ url: a.mp4 }]\noutput: file:///var/oko/events.jsonl\n', { baseDir: dir }).output).toEqual({ type: 'file', path: '/var/oko/events.jsonl', format: 'jsonl' })
  })
})

describe('passwords stay out of deployment files', () => {
  it('${NAME} in a camera URL reads the environment; in the userinfo it is percent-encoded', () => {
    const config = parseDeployment('cameras:\n  - url: rtsp://admin:${CAM_PASS}@${CAM_HOST}:554/Streaming/Channels/102\n', { baseDir: dir, env: { CAM_PASS: 'Xy@Se/cr?t#9%', CAM_HOST: '10.0.0.5' } })
    expect(config.cameras[0]).toMatchObject({ id: '10.0.0.5:554-Streaming-Channels-102', url: 'rtsp://admin:Xy%40Se%2Fcr%3Ft%239%25@10.0.0.5:554/Streaming/Channels/102' })
    expect(parseDeployment('cameras: [{ url: "rtsp://h/$${x}" }]\n', { baseDir: dir }).cameras[0]!.url).toBe('rtsp://h/${x}')
    expect(errorOf('cameras:\n  - url: rtsp://admin:${CAM_PASS}@10.0.0.5/cam\n')).toMatch(/^cameras\[0\]\.url \(line 2\): environment variable CAM_PASS is not set; set it for oko, or give the password with password_file/)
    expect(errorOf('cameras:\n  - url: rtsp://admin:${CAM PASS}@10.0.0.5/cam\n')).toMatch(/a \$\{ must start \$\{NAME\}/)
  })

  it('password_file: the password comes from a file, for the detect and the main stream', () => {
    writeFileSync(join(dir, 'gate.pass'), 'pa:ss@w/rd\n')
    const config = parseDeployment('cameras:\n  - url: rtsp://admin@10.0.0.5/sub\n    main: rtsp://admin@10.0.0.5/main\n    password_file: gate.pass\n', { baseDir: dir })
    expect(config.cameras[0]).toMatchObject({ id: '10.0.0.5-sub', url: 'rtsp://admin:pa%3Ass%40w%2Frd@10.0.0.5/sub', main: 'rtsp://admin:pa%3Ass%40w%2Frd@10.0.0.5/main' })
    expect(errorOf('cameras:\n  - url: rtsp://10.0.0.5/sub\n    password_file: gate.pass\n')).toMatch(/^cameras\[0\]\.password_file \(line 3\): the URL needs the user name the password belongs to: rtsp:\/\/admin@host\/…/)
    expect(errorOf('cameras:\n  - url: rtsp://admin:x@10.0.0.5/sub\n    password_file: gate.pass\n')).toMatch(/the URL has a password already; give it in one place/)
    expect(errorOf('cameras:\n  - url: rtsp://admin@10.0.0.5/sub\n    password_file: none.pass\n')).toMatch(/^cameras\[0\]\.password_file \(line 3\): cannot read .*none\.pass \(ENOENT\)/)
    writeFileSync(join(dir, 'two.pass'), 'secret-one\nsecret-two\n')
    const two = errorOf('cameras:\n  - url: rtsp://admin@10.0.0.5/sub\n    password_file: two.pass\n')
    expect(two).toMatch(/holds more than one line/)
    expect(two).not.toMatch(/secret/)
  })

  it('the default camera id never holds the userinfo, however the password is written', () => {
    const config = parseDeployment('cameras:\n  - url: rtsp://admin:Xy@Secret9@10.0.0.5/cam\n  - url: "rtsp://admin:pa/ss@10.0.0.6/cam"\n', { baseDir: dir })
    expect(config.cameras.map((c) => c.id)).toEqual(['10.0.0.5-cam', '10.0.0.6-cam'])
  })
})

describe('oko run --check on hostile files', () => {
  it('one line naming the file and the problem, exit 2, no stack trace', async () => {
    const { okoWith } = await import('../helpers/cli.js')
    writeFileSync(join(dir, 'bomb.yaml'), 'a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\ncameras: [*c]\n')
    const bomb = await okoWith({}, 'run', join(dir, 'bomb.yaml'), '--check')
    expect(bomb).toMatchObject({ code: 2, stdout: '' })
    expect(bomb.stderr).toBe(`oko run: ${join(dir, 'bomb.yaml')}: Excessive alias count indicates a resource exhaustion attack; expand anchors and aliases (&name / *name) or use fewer (at most 100 uses) [ERR_INVALID_OPTION]\n`)
    writeFileSync(join(dir, 'env.yaml'), 'cameras:\n  - url: rtsp://admin:${CAM_PASS}@10.0.0.5/cam\n')
    const withEnv = await okoWith({ env: { CAM_PASS: 'Xy@Secret9' } }, 'run', join(dir, 'env.yaml'), '--check')
    expect(withEnv).toMatchObject({ code: 0, stderr: '' })
    expect(withEnv.stdout).toMatch(/ok, 1 camera\(s\) \[10\.0\.0\.5-cam\]/)
  })
})
