// `npm start`: the Electron app when its binary is installed; otherwise headless mode in a browser.
import { spawn, spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)

function electronBinary() {
  try {
    return require('electron') // the binary's path; throws when the download was skipped
  } catch {
    return undefined
  }
}

const run = (command, args) => spawn(command, args, { stdio: 'inherit' }).on('exit', (code) => process.exit(code ?? 0))

if (electronBinary()) {
  run('npx', ['electron-vite', 'dev'])
} else {
  console.log('Aerie: the Electron binary is not installed here, so starting headless mode instead (open the URL below).')
  const build = spawnSync('npx', ['electron-vite', 'build'], { stdio: ['ignore', 'ignore', 'inherit'] })
  if (build.status !== 0) process.exit(build.status ?? 1)
  run(process.execPath, ['bin/aerie.js', 'serve', ...process.argv.slice(2)])
}
