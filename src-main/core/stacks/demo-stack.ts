import type { StackInput } from './stack-schema.js'

/** The proxy port of the demo stack; AERIE_DEMO_PORT overrides it when the demo is first created. */
export const DEMO_HTTP_PORT = 8080

/** The stack created on first run: two instances of the bundled demo app behind the built-in proxy. */
export function demoStack(env: NodeJS.ProcessEnv = process.env): StackInput {
  const port = env.AERIE_DEMO_PORT ? Number(env.AERIE_DEMO_PORT) : DEMO_HTTP_PORT
  return {
    id: 'demo',
    name: 'Demo',
    hostnames: ['demo.localhost'],
    appServers: [
      {
        name: 'web',
        kind: 'command',
        command: '{node}',
        args: ['{resources}/demo-app/server.mjs'],
        env: {},
        instances: 2,
        ports: 'auto',
        readiness: { kind: 'http', path: '/api/whoami', expectStatus: 200, timeoutMs: 15_000 },
        restart: 'on-failure',
      },
    ],
    routes: [{ pathPrefix: '/', appServer: 'web' }],
    proxy: { kind: 'builtin', listenHost: '127.0.0.1', httpPort: port },
  }
}
