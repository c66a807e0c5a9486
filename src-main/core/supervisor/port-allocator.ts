import fs from 'node:fs'
import path from 'node:path'
import type { AppServer } from '../stacks/stack-schema.js'
import { portInUseMessage } from './port-owner.js'
import { findFreePort, isPortFree } from './ports.js'

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

  async portsFor(app: AppServer, index: number): Promise<number[]> {
    if (app.ports !== 'auto') {
      for (const [j, port] of app.ports.entries()) {
        if (!(await isPortFree(port)))
          throw new Error(portInUseMessage(port, '127.0.0.1', `appServers[${index}].ports[${j}]`, 'stop what holds it, pick another port or use "auto"'))
      }
      return app.ports
    }
    const previous = this.auto.get(app.name) ?? []
    const ports: number[] = []
    for (let i = 0; i < app.instances; i++) {
      const old = previous[i]
      ports.push(old !== undefined && !ports.includes(old) && (await isPortFree(old)) ? old : await findFreePort())
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
