import { spawn } from 'node:child_process'
import { buildDotnetProject, DOTNET_ENV } from '../support/dotnet-project.js'

/** The NuGet version the YARP column is built with (on NuGet here as of the toolchain list). */
export const YARP_VERSION = '2.3.0'

const PROJECT = `<Project Sdk="Microsoft.NET.Sdk.Web">
  <PropertyGroup>
    <TargetFramework>net10.0</TargetFramework>
    <Nullable>enable</Nullable>
    <ImplicitUsings>enable</ImplicitUsings>
    <InvariantGlobalization>true</InvariantGlobalization>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="Yarp.ReverseProxy" Version="${YARP_VERSION}" />
  </ItemGroup>
</Project>
`

/**
 * The smallest YARP host, as YARP's getting-started guide writes it, plus the static folders the
 * export lists (as the README tells a user to serve them): both sections come from the exported file.
 */
const PROGRAM = `using Microsoft.Extensions.FileProviders;
var builder = WebApplication.CreateBuilder(args);
builder.Configuration.AddJsonFile(Environment.GetEnvironmentVariable("AERIE_YARP_SETTINGS")!, optional: false);
builder.Services.AddReverseProxy().LoadFromConfig(builder.Configuration.GetSection("ReverseProxy"));
var app = builder.Build();
foreach (var folder in app.Configuration.GetSection("StaticFolders").GetChildren())
    app.UseStaticFiles(new StaticFileOptions { RequestPath = folder.Key, FileProvider = new PhysicalFileProvider(folder.Value!) });
// Files first: static files do nothing for a request that routing already gave to an endpoint (the proxy's catch-all).
app.UseRouting();
app.MapReverseProxy();
app.Run();
`

/** Builds the host once per machine (restore takes about 20 s the first time) and returns its dll. */
export function buildYarpHost(): Promise<string> {
  return buildDotnetProject('YarpHost', { 'YarpHost.csproj': PROJECT, 'Program.cs': PROGRAM })
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
