import fs from 'node:fs'
import path from 'node:path'
import type { AppServer } from '../stacks/stack-schema.js'
import { portInUseMessage } from './port-owner.js'
import { findFreePort, isPortFree } from './ports.js'
import { CodedError } from '../error-codes.js'

/**
 * Ports for a stack's app servers: fixed ones checked, `auto` ones picked and kept stable
 * while free, across stack restarts and (through `file`) across engine restarts too.
 */
export class PortAllocator {
  private readonly auto: Map<string, number[]>

  constructor(private readonly file?: string) {
    let saved: Record<string, number[]> = {}
    try {
      if (file) saved = JSON.parse(fs.readFileSync(file, 'utf8'))
    } catch {
      saved = {}
    }
    this.auto = new Map(Object.entries(saved).filter(([, v]) => Array.isArray(v) && v.every((p) => Number.isInteger(p))))
  }

  /**
   * Ports for instances 1…n of `app`. `held` are ports this stack's own running instances hold
   * (by instance number): kept as they are during a scale, and not counted as taken by a stranger.
   */
  async portsFor(app: AppServer, index: number, held: ReadonlyMap<number, number> = new Map()): Promise<number[]> {
    const ours = new Set(held.values())
    if (app.ports !== 'auto') {
      for (const [j, port] of app.ports.entries()) {
        if (!ours.has(port) && !(await isPortFree(port)))
          throw new CodedError('conflict', portInUseMessage(port, '127.0.0.1', `appServers[${index}].ports[${j}]`, 'stop what holds it, pick another port or use "auto"'))
      }
      return app.ports
    }
    const previous = this.auto.get(app.name) ?? []
    const ports: number[] = []
    for (let i = 0; i < app.instances; i++) {
      const kept = held.get(i + 1)
      const old = previous[i]
      if (kept !== undefined) ports.push(kept)
      else if (old !== undefined && !ports.includes(old) && !ours.has(old) && (await isPortFree(old))) ports.push(old)
      else {
        let port = await findFreePort()
        while (ports.includes(port)) port = await findFreePort()
        ports.push(port)
      }
    }
    this.auto.set(app.name, ports)
    this.save()
    return ports
  }

  private save(): void {
    if (!this.file) return
    try {
      fs.mkdirSync(path.dirname(this.file), { recursive: true })
      fs.writeFileSync(this.file, JSON.stringify(Object.fromEntries(this.auto)) + '\n')
    } catch {
      // Only a convenience: without the file, ports are picked afresh next time.
    }
  }
}
