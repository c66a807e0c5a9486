import { spawn } from 'node:child_process'
import type { ExportedFile } from '../../src-main/core/proxy/export/export-params.js'
import { buildDotnetProject, DOTNET_ENV } from '../support/dotnet-project.js'

/** Builds the exported host (its Program.cs and YarpHost.csproj) once per machine and text (restore takes about 20 s the first time); returns its dll. */
export function buildYarpHost(files: ExportedFile[]): Promise<string> {
  return buildDotnetProject('YarpHost', Object.fromEntries(files.map((f) => [f.name, f.content])))
}

/** Runs the host with Kestrel on the given loopback ports (HTTPS with the PEM pair) and the exported settings. */
export function startYarpHost(dll: string, options: { settings: string; httpPort: number; httpsPort: number; certFile: string; keyFile: string }) {
  return spawn('dotnet', [dll], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      ...DOTNET_ENV,
      ASPNETCORE_ENVIRONMENT: 'Production',
      AERIE_YARP_SETTINGS: options.settings,
      Kestrel__Endpoints__Http__Url: `http://127.0.0.1:${options.httpPort}`,
      Kestrel__Endpoints__Https__Url: `https://127.0.0.1:${options.httpsPort}`,
      Kestrel__Endpoints__Https__Certificate__Path: options.certFile,
      Kestrel__Endpoints__Https__Certificate__KeyPath: options.keyFile,
    },
  })
}
