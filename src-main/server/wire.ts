/** Messages on the headless server's WebSocket (`/api/ws`), shared by server and clients. */
import { z } from 'zod'

export const ClientMessageSchema = z.object({
  type: z.literal('invoke'),
  id: z.number().int(),
  name: z.string(),
  request: z.unknown(),
})

export type ServerMessage =
  | { type: 'result'; id: number; ok: true; result: unknown }
  | { type: 'result'; id: number; ok: false; error: { message: string; issues?: { path: string; message: string }[] } }
  | { type: 'event'; name: string; payload: unknown }

export const TOKEN_QUERY = 'token'
export const WS_PATH = '/api/ws'
export const INVOKE_PATH = '/api/invoke/'
