import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { createProgress } from '@oko/cli'

describe('progress bar', () => {
  it('draws on a terminal and stays silent otherwise', () => {
    const tty = Object.assign(new PassThrough(), { isTTY: true, columns: 80 })
    let drawn = ''
    tty.on('data', (c) => (drawn += c))
    const bar = createProgress(tty, 'decoding', 10)
    bar.update(5, 'cam-1')
    bar.done('10 frames')
    expect(drawn).toContain('decoding [############------------] 5/10')
    expect(drawn).toContain('decoding 10 frames\n')

    const pipe = new PassThrough()
    let piped = ''
    pipe.on('data', (c) => (piped += c))
    const silent = createProgress(pipe, 'decoding', 10)
    silent.update(5)
    silent.done('x')
    expect(piped).toBe('')
  })
})
