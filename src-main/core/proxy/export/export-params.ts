import { z } from 'zod'
import { HostnameSchema } from '../../stacks/stack-schema.js'

/** The placeholder certificate paths, for the user to replace (or, for Caddy, to leave to its automatic HTTPS). */
export const PLACEHOLDER_CERTIFICATE = { certificateFile: '/etc/ssl/certs/example.com.crt', keyFile: '/etc/ssl/private/example.com.key' }

/** What production has that the local stack does not: filled in by the user, with defaults that say what to replace. */
export const ExportParamsSchema = z.object({
  serverNames: z.array(HostnameSchema).min(1).default(['example.com']),
  certificateFile: z.string().min(1).default(PLACEHOLDER_CERTIFICATE.certificateFile),
  keyFile: z.string().min(1).default(PLACEHOLDER_CERTIFICATE.keyFile),
  /** Where the published app lives on the server. */
  appDirectory: z.string().min(1).default('/var/www/app'),
  /** Kestrel's first port on the server; instance n listens on basePort + n - 1. */
  basePort: z.number().int().min(1024).max(65000).default(5000),
  /** The address the proxy listens on; without one, every IPv4 and IPv6 address. */
  listenAddress: z.string().min(1).optional(),
  httpPort: z.number().int().min(1).max(65535).default(80),
  httpsPort: z.number().int().min(1).max(65535).default(443),
  serviceUser: z.string().regex(/^[a-z_][a-z0-9_-]*$/, 'must be a Unix user name').default('www-data'),
})
export type ExportParams = z.infer<typeof ExportParamsSchema>

export const EXPORT_TARGETS = ['nginx', 'apache', 'caddy', 'yarp', 'iis', 'systemd'] as const
export type ExportTarget = (typeof EXPORT_TARGETS)[number]

export interface ExportedFile {
  name: string
  content: string
}
