import type { AppServer } from '../stacks/stack-schema.js'
import { portInUseMessage } from './port-owner.js'
import { findFreePort, isPortFree } from './ports.js'

/** Ports for a stack's app servers: fixed ones checked, `auto` ones picked and kept stable across restarts while free. */
export class PortAllocator {
  private readonly auto = new Map<string, number[]>()

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
    return ports
  }
}
