import fs from 'node:fs'
import path from 'node:path'

/** The cache-hit row's nginx: proxy_cache, keyed as Aerie's nginx keys it. */
const CACHE_LINES = `
      proxy_cache bench;
      proxy_cache_key $scheme$host$request_uri;
      add_header Cache-Status "nginx; $upstream_cache_status" always;`

/** nginx configured like Aerie's proxy for the bench: keep-alive to the upstream, access log on. */
export function nginxConfig(prefix: string, port: number, upstreamPort: number, cache = false): string {
  fs.mkdirSync(path.join(prefix, 'logs'), { recursive: true })
  const file = path.join(prefix, 'nginx.conf')
  fs.writeFileSync(
    file,
    `worker_processes 1;
pid ${prefix}/nginx.pid;
error_log ${prefix}/logs/error.log warn;
events { worker_connections 1024; }
http {
  access_log ${prefix}/logs/access.log;
  client_body_temp_path ${prefix}/tmp-body;
  proxy_temp_path ${prefix}/tmp-proxy;
  fastcgi_temp_path ${prefix}/tmp-fcgi;
  uwsgi_temp_path ${prefix}/tmp-uwsgi;
  scgi_temp_path ${prefix}/tmp-scgi;
  upstream app { server 127.0.0.1:${upstreamPort}; keepalive 64; }${cache ? `
  proxy_cache_path ${prefix}/cache levels=1:2 keys_zone=bench:10m max_size=16m use_temp_path=off;` : ''}
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;${cache ? CACHE_LINES : ''}
    }
  }
}
`,
  )
  return file
}

export function caddyConfig(dir: string, port: number, upstreamPort: number, adminPort: number): string {
  const file = path.join(dir, 'Caddyfile')
  fs.writeFileSync(
    file,
    `{
  admin 127.0.0.1:${adminPort}
  auto_https off
}
http://127.0.0.1:${port} {
  bind 127.0.0.1
  log {
    output file ${dir}/access.log
  }
  reverse_proxy 127.0.0.1:${upstreamPort}
}
`,
  )
  return file
}
