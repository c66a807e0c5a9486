import { describe, expect, it } from 'vitest'
import { stillOurs } from '../../../src-main/core/supervisor/process-registry.js'
import { launchTag, ownerTag, processStartTime } from '../../../src-main/core/supervisor/process-tree.js'

const entry = { pid: 42, command: '/usr/bin/sh', args: ['-c', 'exec node app.js'], id: 's/web#1' }

describe('process identity', () => {
  it('is the recorded start time where one was recorded, whatever the process runs now (shebang, sh -c, exec)', () => {
    expect(stillOurs({ ...entry, startTime: '1234' }, { startTime: '1234', argv: ['node', 'app.js'] })).toBe(true)
    expect(stillOurs({ ...entry, startTime: '1234' }, { startTime: '9999', argv: ['/usr/bin/sh', '-c', 'exec node app.js'] })).toBe(false)
    expect(stillOurs({ ...entry, startTime: '1234' }, { startTime: undefined, argv: undefined })).toBe(false)
  })

  it('falls back to the command line only where no start time was recorded', () => {
    expect(stillOurs(entry, { argv: ['sh', '-c', 'exec node app.js'] })).toBe(true)
    expect(stillOurs(entry, { argv: ['sleep', '30'] })).toBe(false)
  })

  it('reads this process start time from /proc, and tags per data directory and launch', () => {
    expect(processStartTime(process.pid)).toMatch(/^\d+$/)
    expect(processStartTime(process.pid)).toBe(processStartTime(process.pid))
    expect(ownerTag('/a')).not.toBe(ownerTag('/b'))
    expect(ownerTag('/a/../a')).toBe(ownerTag('/a'))
    const [first, second] = [launchTag(ownerTag('/a'), 's/web#1'), launchTag(ownerTag('/a'), 's/web#1')]
    expect(first).not.toBe(second)
    expect(first.startsWith(`${ownerTag('/a')}/s/web#1/`)).toBe(true)
  })
})
