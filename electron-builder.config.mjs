// @ts-check
// Packaging for AppImage/deb (Linux), dmg (macOS) and NSIS (Windows): `npm run dist` on each OS.
// It cannot run on the machines that build this project (no Electron binary there); `npm run typecheck` checks this file.

/** @type {import('electron-builder').Configuration} */
const config = {
  appId: 'dev.aerie.app',
  productName: 'Aerie',
  directories: { output: 'dist', buildResources: 'resources/icons' },
  files: ['out/**', 'resources/**', 'package.json', '!resources/samples/**/bin/**', '!resources/samples/**/obj/**'],
  // Supervised children (the demo app, `{node}` commands) and node-pty's native addon must be real files, not inside app.asar.
  asarUnpack: ['resources/**', 'node_modules/node-pty/**'],
  extraMetadata: { main: 'out/main/index.js' },
  linux: { target: ['AppImage', 'deb'], category: 'Development', icon: 'resources/icons/icon.png' },
  deb: { depends: ['libnss3-tools'] },
  mac: { target: ['dmg'], category: 'public.app-category.developer-tools', icon: 'resources/icons/icon.png' },
  win: { target: ['nsis'], icon: 'resources/icons/icon.png' },
  nsis: { oneClick: false, perMachine: false, allowToChangeInstallationDirectory: true },
}

export default config
