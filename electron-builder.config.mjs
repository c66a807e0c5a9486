// @ts-check
// Packaging for Linux (AppImage and deb): `npm run dist`. It cannot run on the machines that build
// this project (no Electron binary there); `npm run typecheck` checks this file and
// test/integration/packaging.test.ts installs its CLI layout into a folder and runs it.
// macOS and Windows installers come back when their supervisor has been run on those systems
// (see "Platforms" in the README): until then, none is built.

/** @type {import('electron-builder').Configuration} */
const config = {
  appId: 'dev.aerie.app',
  productName: 'Aerie',
  directories: { output: 'dist', buildResources: 'resources/icons' },
  files: [
    'out/**',
    'bin/aerie.js',
    'resources/**',
    'package.json',
    '!resources/samples/**/bin/**',
    '!resources/samples/**/obj/**',
    '!resources/cli/**',
    '!resources/packaging/**',
  ],
  // Supervised children (the demo app, `{node}` commands) and node-pty's native addon must be real files, not inside app.asar.
  asarUnpack: ['resources/**', 'node_modules/node-pty/**'],
  // The `aerie` command: resources/cli/aerie runs bin/aerie.js (in app.asar) with the app's own binary in Node mode.
  extraResources: [{ from: 'resources/cli', to: 'cli' }],
  extraMetadata: { main: 'out/main/index.js' },
  linux: {
    target: ['AppImage', 'deb'],
    category: 'Development',
    icon: 'resources/icons/icon.png',
    // The desktop binary; the name `aerie` belongs to the command line.
    executableName: 'aerie-desktop',
  },
  // The deb puts `aerie` on PATH (/usr/bin/aerie → /opt/Aerie/resources/cli/aerie) and removes it again.
  deb: {
    depends: ['libnss3-tools'],
    afterInstall: 'resources/packaging/deb-after-install.tpl',
    afterRemove: 'resources/packaging/deb-after-remove.tpl',
  },
}

export default config
