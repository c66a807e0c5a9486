// Bench: an app's OTLP exporter, as a process of its own. It reads export requests already encoded
// (BODIES: a file of 4-byte big-endian lengths, each followed by one request), posts them to
// OTLP_ENDPOINT with OTLP_KEY at EXPORTS_PER_S on one keep-alive connection for DURATION_S, and
// prints {"sent", "failed"} when done. Plain Node, so it starts in milliseconds and encodes nothing.
import fs from 'node:fs'
import http from 'node:http'

const file = fs.readFileSync(process.env.BODIES)
const bodies = []
for (let at = 0; at < file.length; ) {
  const length = file.readUInt32BE(at)
  bodies.push(file.subarray(at + 4, at + 4 + length))
  at += 4 + length
}
const perSecond = Number(process.env.EXPORTS_PER_S)
const until = Date.now() + Number(process.env.DURATION_S) * 1000
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
let sent = 0
let failed = 0
const post = (body) =>
  new Promise((resolve) => {
    const headers = { 'content-type': 'application/x-protobuf', 'content-length': body.length, [process.env.OTLP_KEY_HEADER]: process.env.OTLP_KEY }
    const req = http.request(`${process.env.OTLP_ENDPOINT}/v1/traces`, { method: 'POST', agent, headers }, (res) => {
      res.resume()
      res.on('end', () => {
        if (res.statusCode === 200) sent++
        else failed++
        resolve()
      })
    })
    req.on('error', () => {
      failed++
      resolve()
    })
    req.end(body)
  })
const start = Date.now()
for (let n = 0; Date.now() < until; n++) {
  const due = start + (n * 1000) / perSecond
  if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()))
  await post(bodies[n % bodies.length])
}
agent.destroy()
console.log(JSON.stringify({ sent, failed }))
