#!/usr/bin/env node
// The `aerie` command: runs the TypeScript sources through tsx, so a clone needs no build step for the CLI.
import { register } from 'tsx/esm/api'

register()
const { main } = await import('../src-main/cli/main.ts')
const code = await main(process.argv.slice(2))
// -1: a long-running command (serve, foreground start) that exits on a signal.
if (code >= 0) process.exit(code)
