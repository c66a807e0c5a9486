import { describe, expect, it } from 'vitest'
import { ansiToSpans } from '../../../src-renderer/src/ansi.js'

describe('ansiToSpans', () => {
  it('turns SGR colours into classes and keeps the text', () => {
    expect(ansiToSpans('\x1b[32mGET\x1b[0m /api')).toEqual([
      { text: 'GET', classes: ['ansi-green-fg'] },
      { text: ' /api', classes: [] },
    ])
  })

  it('passes plain text through untouched', () => {
    expect(ansiToSpans('<b>plain</b>')).toEqual([{ text: '<b>plain</b>', classes: [] }])
  })
})
