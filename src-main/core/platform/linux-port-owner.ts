import fs from 'node:fs'

/** TCP state code for LISTEN in /proc/net/tcp. */
const TCP_LISTEN = '0A'

function listeningInodes(port: number): Set<string> {
  const inodes = new Set<string>()
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0')
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string
    try {
      text = fs.readFileSync(table, 'utf8')
    } catch {
      continue
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/)
      if (cols.length < 10) continue
      const local = cols[1]
      if (local.endsWith(`:${hexPort}`) && cols[3] === TCP_LISTEN) inodes.add(cols[9])
    }
  }
  return inodes
}

/** "pid 1234 (nginx)" for the process that listens on `port`, from /proc (a process we may inspect); undefined otherwise. */
export function describeLinuxPortOwner(port: number): string | undefined {
  const inodes = listeningInodes(port)
  if (!inodes.size) return undefined
  let pids: string[]
  try {
    pids = fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e))
  } catch {
    return undefined
  }
  for (const pid of pids) {
    let fds: string[]
    try {
      fds = fs.readdirSync(`/proc/${pid}/fd`)
    } catch {
      continue
    }
    for (const fd of fds) {
      let target: string
      try {
        target = fs.readlinkSync(`/proc/${pid}/fd/${fd}`)
      } catch {
        continue
      }
      const match = /^socket:\[(\d+)\]$/.exec(target)
      if (match && inodes.has(match[1])) {
        let name = ''
        try {
          name = fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim()
        } catch {
          // ended meanwhile
        }
        return name ? `pid ${pid} (${name})` : `pid ${pid}`
      }
    }
  }
  return undefined
}
