import { resolve } from 'node:path'
import { defineConfig } from 'electron-vite'
import vue from '@vitejs/plugin-vue'

export default defineConfig({
  main: {
    build: {
      // node-pty is a native addon: it must stay a runtime require, never bundled.
      externalizeDeps: true,
      // proxy-host: the built-in proxy's own process, forked by the engine (host/proxy-host-client.ts finds it next to the bundle).
      // cli: the `aerie` command (bin/aerie.js runs it; the sources through tsx only while they are newer than it).
      rolldownOptions: {
        input: {
          index: resolve(__dirname, 'src-main/electron/main.ts'),
          'proxy-host': resolve(__dirname, 'src-main/core/proxy/builtin/host/proxy-host.ts'),
          cli: resolve(__dirname, 'src-main/cli/main.ts'),
        },
        // Shared chunks beside the entries: core/paths.ts finds the project root two levels above its file.
        output: { chunkFileNames: '[name]-[hash].js' },
      },
    },
  },
  preload: {
    build: {
      // A sandboxed preload cannot require node_modules, and must be CommonJS: bundle everything into one .cjs file.
      externalizeDeps: false,
      rolldownOptions: {
        input: { preload: resolve(__dirname, 'src-main/electron/preload.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(__dirname, 'src-renderer'),
    plugins: [vue()],
    build: {
      rolldownOptions: { input: { index: resolve(__dirname, 'src-renderer/index.html') } },
    },
  },
})
