import { describe, expect, it } from 'vitest'
import { ExitCode } from '@oko/cli'
import { commands } from '@oko/cli'
import { oko } from '../helpers/cli.js'

describe('oko CLI', () => {
  it('lists every command in --help', async () => {
    const { code, stdout } = await oko('--help')
    expect(code).toBe(ExitCode.ok)
    for (const c of commands) expect(stdout).toContain(`oko ${c.usage}`)
  })

  for (const c of commands) {
    it(`oko ${c.path.join(' ')} --help explains every option`, async () => {
      const { code, stdout } = await oko(...c.path, '--help')
      expect(code).toBe(ExitCode.ok)
      expect(stdout).toContain(`usage: oko ${c.usage}`)
      for (const name of Object.keys(c.options)) {
        expect(stdout).toContain(`--${name}`)
        expect(c.optionHelp[name], `help text for --${name}`).toBeTruthy()
      }
    })
  }

  it('rejects an unknown command and an unknown option with a usage exit code', async () => {
    const unknown = await oko('fly')
    expect(unknown.code).toBe(ExitCode.usage)
    expect(unknown.stderr).toMatch(/unknown command "fly"/)
    const badOption = await oko('wasm', '--colour')
    expect(badOption.code).toBe(ExitCode.usage)
    expect(badOption.stderr).toMatch(/--colour/)
  })

  it('oko wasm --json reports the build in use', async () => {
    const { code, stdout } = await oko('wasm', '--json')
    expect(code).toBe(ExitCode.ok)
    expect(JSON.parse(stdout)).toMatchObject({ build: 'simd' })
  })
})
