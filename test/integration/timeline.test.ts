import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { findFreePort } from '../../src-main/core/supervisor/ports.js'
import { requireBinary } from '../support/binaries.js'
import { get } from '../support/http-client.js'
import { waitFor } from '../support/processes.js'
import { demoEngineSuite } from '../support/test-engine.js'

const dotnet = requireBinary('dotnet')
const nginx = requireBinary('nginx')
const sample = path.resolve('resources/samples/KestrelSample')

/**
 * One request's timeline: the real Kestrel sample (OpenTelemetry from NuGet, switched on by the
 * variables Aerie sets) exports its spans and log records to the engine's receiver; the proxy's
 * hop and the app's server span are parent and child in one trace.
 */
describe.skipIf(!dotnet)('the timeline of a request through the proxy into the Kestrel sample', () => {
  const demo = demoEngineSuite()

  for (const kind of ['builtin', 'nginx'] as const) {
    it.skipIf(kind === 'nginx' && !nginx)(`${kind}: the proxy span, the app's server span as its child, and the app's log line, by one trace id`, async () => {
      const { appServer } = await demo.engine.invoke('appserver:detect', { folder: sample })
      const httpPort = await findFreePort()
      const id = `timeline-${kind}`
      await demo.engine.invoke('stack:save', { stack: { id, name: id, hostnames: ['localhost'], appServers: [{ ...appServer, dotnetMode: 'build-once' }], routes: [{ appServer: appServer.name }], proxy: { kind, httpPort } } })
      await demo.engine.invoke('stack:start', { id })
      const view = await demo.engine.invoke('stack:get', { id })
      expect(view.stack.appServers[0].env?.OTEL_EXPORTER_OTLP_ENDPOINT).toBeUndefined()

      expect((await get(httpPort, '/', `localhost:${httpPort}`)).status).toBe(200)
      await waitFor(async () => (await demo.engine.invoke('trace:list', { stackId: id })).some((t) => t.path === '/' && t.status === 200), 10_000, 'the proxy trace')
      const trace = (await demo.engine.invoke('trace:list', { stackId: id })).find((t) => t.path === '/' && t.status === 200)!
      expect(trace.traceId).toMatch(/^[0-9a-f]{32}$/)
      expect(trace.spanId).toMatch(/^[0-9a-f]{16}$/)

      await waitFor(async () => {
        const t = await demo.engine.invoke('trace:timeline', { id: trace.id })
        return t.spans.some((s) => s.source === 'app') && t.logs.length > 0
      }, 20_000, "the app's span and log record")
      const timeline = await demo.engine.invoke('trace:timeline', { id: trace.id })
      expect(timeline.traceId).toBe(trace.traceId)
      const [hop, server] = timeline.spans
      expect(hop).toMatchObject({ source: 'proxy', spanId: trace.spanId, depth: 0 })
      expect(server).toMatchObject({ source: 'app', kind: 2, parentSpanId: trace.spanId, depth: 1, service: `${id}/${appServer.name}#1` })
      expect(server.attributes['url.path']).toBe('/')
      expect(hop.attributes['aerie.upstream']).toBe(`${appServer.name}#1`)
      if (kind === 'builtin') expect(hop.attributes['aerie.route']).toBe(`/ → ${appServer.name}`)
      expect(timeline.logs.find((l) => l.body.includes('Greeting'))).toMatchObject({ traceId: trace.traceId, spanId: server.spanId })

      // An app error (a 500 with an exception) makes the trace one "with app errors"; the good one is not.
      expect((await get(httpPort, '/boom', `localhost:${httpPort}`)).status).toBe(500)
      await waitFor(async () => (await demo.engine.invoke('trace:list', { stackId: id })).some((t) => t.path === '/boom'), 10_000, 'the /boom trace')
      const boom = (await demo.engine.invoke('trace:list', { stackId: id })).find((t) => t.path === '/boom')!
      await waitFor(async () => (await demo.engine.invoke('trace:app-errors', { stackId: id })).traceIds.includes(boom.traceId!), 20_000, 'the app error')
      expect((await demo.engine.invoke('trace:app-errors', { stackId: id })).traceIds).not.toContain(trace.traceId)
      await waitFor(async () => (await demo.engine.invoke('trace:timeline', { id: boom.id })).spans.some((s) => s.source === 'app'), 20_000, "the failed request's span")
      const failed = await demo.engine.invoke('trace:timeline', { id: boom.id })
      expect(failed.spans.find((s) => s.source === 'app')?.status.code).toBe(2)
      expect(failed.logs.some((l) => l.severity >= 17 && l.traceId === boom.traceId)).toBe(true)
      await demo.engine.invoke('stack:stop', { id })
    }, 180_000)
  }
})
