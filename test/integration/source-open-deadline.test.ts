import { createSocket } from 'node:dgram'
import { describe, expect, it } from 'vitest'
import { Source, probe } from '@oko/source'

// Found by the fuzz suite: `oko probe udp://@:1` (a UDP port nobody sends to) waited for ever.
describe('opening a stream that never sends gives up', () => {
  it('probe and Source.open end after twice the timeout with a clear error', async () => {
    const socket = createSocket('udp4')
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve))
    const port = socket.address().port
    socket.close() // free for FFmpeg to listen on; nobody will send
    await expect(probe(`udp://127.0.0.1:${port}`, { timeoutMs: 300 })).rejects.toMatchObject({
      code: 'ERR_SOURCE_UNREACHABLE', message: `no data from udp://127.0.0.1:${port} within 600 ms; is it sending? (the wait is twice the timeout, --timeout-ms)`,
    })
    await expect(Source.open(`udp://127.0.0.1:${port}`, { id: 'feed', timeoutMs: 300 })).rejects.toMatchObject({
      code: 'ERR_SOURCE_UNREACHABLE', message: `camera "feed": no video from udp://127.0.0.1:${port} within 600 ms; is the camera sending? (the wait is twice options.timeoutMs)`,
    })
  })
})
