// Reference: the plain http.request-and-pipe Node proxy most tutorials show. WORKERS=n runs n
// processes on one listening socket (cluster, the kernel handing each connection to one of them),
// to show what one proxy process per core would give on this machine.
import cluster from 'node:cluster'
import http from 'node:http'

const workers = Number(process.env.WORKERS ?? 1)
if (workers > 1 && cluster.isPrimary) {
  cluster.schedulingPolicy = cluster.SCHED_NONE
  for (let i = 0; i < workers; i++) cluster.fork()
  process.on('SIGTERM', () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.kill()
    process.exit(0)
  })
} else {
  const agent = new http.Agent({ keepAlive: true })
  const upstream = Number(process.env.UPSTREAM_PORT)
  http
    .createServer((req, res) => {
      const up = http.request({ host: '127.0.0.1', port: upstream, method: req.method, path: req.url, headers: req.headers, agent }, (r) => {
        res.writeHead(r.statusCode, r.headers)
        r.pipe(res)
      })
      up.on('error', () => res.destroy())
      req.pipe(up)
    })
    .listen(Number(process.env.PORT), '127.0.0.1', () => console.log('ready'))
}
