// Bench upstream: /small answers 1 KiB, /large 1 MiB, /cached 1 KiB that a shared cache may keep for 10 minutes; keep-alive on.
import http from 'node:http'

const small = Buffer.alloc(1024, 120)
const large = Buffer.alloc(1024 * 1024, 120)
http
  .createServer((req, res) => {
    const body = req.url === '/large' ? large : small
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length, ...(req.url === '/cached' ? { 'cache-control': 'max-age=600' } : {}) })
    res.end(body)
  })
  .listen(Number(process.env.PORT), '127.0.0.1', () => console.log('ready'))
