import fs from 'node:fs'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { LogLine } from '../../../src-main/contract.js'
import { LOG_FILES_KEPT, LogFiles } from '../../../src-main/core/telemetry/log-files.js'
import { tempHome } from '../../support/temp-home.js'

const home = tempHome()
afterAll(() => home.cleanup())

const line = (seq: number, source = 'web#1'): LogLine => ({ seq, time: 0, stackId: 'demo', source, stream: 'out', text: `\x1b[32mline ${seq}\x1b[0m ${'x'.repeat(60)}` })

describe('LogFiles', () => {
  it('writes one file per process, keeps colours, and rotates by size keeping a bounded number', async () => {
    const files = new LogFiles(home.dir, 1000)
    for (let i = 0; i < 100; i++) files.write([line(i), line(i, 'web#2')])
    await files.close()
    const dir = path.join(home.dir, 'demo')
    const names = fs.readdirSync(dir).sort()
    expect(names).toEqual(['web-1.log', 'web-1.log.1', 'web-1.log.2', 'web-1.log.3', 'web-2.log', 'web-2.log.1', 'web-2.log.2', 'web-2.log.3'])
    expect(LOG_FILES_KEPT).toBe(3)
    for (const n of names) expect(fs.statSync(path.join(dir, n)).size).toBeLessThanOrEqual(1000)
    const newest = fs.readFileSync(path.join(dir, 'web-1.log'), 'utf8')
    // Plain text: the colours the pty passed are not written.
    expect(newest).toContain('Z line 99 xxx')
    expect(newest).not.toContain('\x1b')
    expect(fs.readFileSync(path.join(dir, 'web-1.log.1'), 'utf8')).not.toContain('line 99 ')
  })
})
