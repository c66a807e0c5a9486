/**
 * The names of the contract's channels, without their schemas: what the preload needs to allow a
 * channel, so that its bundle carries no schema library. contract.ts declares a schema for each name, and no
 * other (a test compares them).
 */
export const COMMAND_NAMES = [
  'stack:list', 'stack:get', 'stack:save', 'stack:start', 'stack:stop', 'stack:restart', 'stack:delete',
  'appserver:restart', 'stack:doctor', 'instance:control', 'stack:import', 'cert:list', 'cert:renew',
  'cert:delete', 'cert:export', 'cert:import', 'cert:set-domains', 'cert:trust', 'stack:export',
  'cache:purge', 'engine:problems', 'proxy:kinds', 'appserver:detect', 'log:tail', 'trace:replay',
  'trace:timeline', 'trace:app-errors', 'trace:list',
] as const

export const EVENT_NAMES = [
  'stack:state', 'stack:deleted', 'process:state', 'log:lines', 'trace:batch', 'stream:dropped',
] as const

export type CommandName = (typeof COMMAND_NAMES)[number]
export type EventName = (typeof EVENT_NAMES)[number]
