/**
 * Where an engine answers a conformance case otherwise than the built-in proxy, and why. A
 * difference found by the suite without an entry here fails it; an entry that no longer
 * differs fails it too, so this list stays true. An export renders through the same code as
 * its engine, so the two share their entries.
 */
const NGINX = {}
const APACHE = {
  cache: "httpd 2.4's mod_cache says its verdict in X-Cache, not Cache-Status, and stores an answer that sets a cookie (for every client to get): the app must mark such answers private",
  'rate-limit': "Apache 2.4's stock modules have no request-rate limit: a stack on Apache with proxy.rateLimit is refused at save, and the export says it is not rendered",
  traceparent: "Apache 2.4 has no W3C trace context: it forwards a client's traceparent but makes none",
  'all-instances-down': 'mod_proxy_balancer answers 503 (Service Unavailable) when no member is usable; the others answer 502',
  'chunked-over-limit': "httpd's LimitRequestBody does not apply to proxied requests, so the limit is a Content-Length check (mod_rewrite): a chunked body reaches the app whole",
}
const CADDY = {
  cache: 'Caddy 2.6 has no response cache without a third-party module: a stack on Caddy with proxy.cache is refused at save, and nothing is cached',
  'rate-limit': 'Caddy 2.6 has no rate limit without a third-party module: a stack on Caddy with proxy.rateLimit is refused at save, and the export says it is not rendered',
  'body-over-limit': "Caddy 2.6's request_body max_size makes reverse_proxy fail on a body with Content-Length over the limit: 502 (Caddy 2.7 answers 413); the app does not get it either",
  traceparent: 'Caddy 2.6 makes no traceparent (tracing needs its OpenTelemetry module and a collector)',
  'client-forwarded-for': 'Caddy 2.6 drops a client-sent X-Forwarded-For unless the client is in trusted_proxies, and sends only the client address',
  'static-symlink-out': "Caddy 2.6's file_server follows symbolic links and has no setting to refuse them",
}

const YARP = {
  'one-instance-down': 'YARP does not retry a failed request on another destination; passive health checks take the instance out only after failures',
}

export const DIFFERENCES: Record<string, Record<string, string>> = {
  nginx: NGINX,
  'nginx-export': NGINX,
  apache: APACHE,
  'apache-export': APACHE,
  caddy: CADDY,
  'caddy-export': CADDY,
  'yarp-export': YARP,
}
