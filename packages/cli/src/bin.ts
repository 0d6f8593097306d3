#!/usr/bin/env node
import { main } from './main.js'

const controller = new AbortController()
process.once('SIGINT', () => controller.abort(new Error('SIGINT')))
// SIGTERM stops as cleanly (a worker hands its cameras over)
process.once('SIGTERM', () => controller.abort(new Error('SIGTERM')))
process.exitCode = await main(process.argv.slice(2), { signal: controller.signal })
