// Reference: the plain http.request-and-pipe Node proxy most tutorials show.
import http from 'node:http'

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
