// Aerie's Kestrel sample: says which instance answered and what ASP.NET Core made of the
// forwarded headers (with ASPNETCORE_FORWARDEDHEADERS_ENABLED=true, Request.Scheme and
// RemoteIpAddress come from X-Forwarded-Proto and X-Forwarded-For).
using Microsoft.AspNetCore.HttpOverrides;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Trace;

var builder = WebApplication.CreateBuilder(args);
// Behind a route with "stripPrefix", the proxy sends X-Forwarded-Prefix: taking it as the path base
// makes every link the app generates carry the prefix (/api/...), as the browser needs.
builder.Services.Configure<ForwardedHeadersOptions>(options => options.ForwardedHeaders |= ForwardedHeaders.XForwardedPrefix);
// A SignalR hub, as a Blazor Server or chat app has: a connection negotiated on one instance lives
// in that instance's memory only.
builder.Services.AddSignalR();
// OpenTelemetry only when an OTLP endpoint is given (Aerie gives one, with the service name, the
// instance and the protocol): the server's spans, HttpClient's spans and the log records, each with
// the trace id of the request that the proxy started (traceparent).
if (!string.IsNullOrEmpty(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
{
    builder.Services.AddOpenTelemetry()
        .WithTracing(tracing => tracing.AddAspNetCoreInstrumentation().AddSource("System.Net.Http"))
        .WithLogging()
        .UseOtlpExporter();
}
var app = builder.Build();

app.MapGet("/healthz", () => Results.Ok("healthy")).WithName("health");
app.MapGet("/", (HttpContext ctx, LinkGenerator links, ILogger<Program> log) =>
{
    log.LogInformation("Greeting {Host} from instance {Instance}", ctx.Request.Host.Value, Environment.GetEnvironmentVariable("INSTANCE"));
    return Results.Json(new
    {
        app = "KestrelSample",
        instance = Environment.GetEnvironmentVariable("INSTANCE"),
        port = ctx.Connection.LocalPort,
        environment = app.Environment.EnvironmentName,
        scheme = ctx.Request.Scheme,
        host = ctx.Request.Host.Value,
        pathBase = ctx.Request.PathBase.Value,
        remoteIp = ctx.Connection.RemoteIpAddress?.ToString(),
        greeting = app.Configuration["Greeting"],
        // A link as the app makes it: it carries the path base.
        healthLink = links.GetUriByName(ctx, "health"),
    });
});

// Calls a URL as an app calls its own public URL (Blazor prerendering does): with no custom
// certificate validation, so it trusts what the platform trusts (SSL_CERT_FILE on Linux).
app.MapGet("/fetch", async (string url) =>
{
    using var http = new HttpClient();
    try
    {
        var response = await http.GetAsync(url);
        return Results.Json(new { status = (int)response.StatusCode });
    }
    catch (Exception e)
    {
        return Results.Json(new { error = e.GetBaseException().Message });
    }
});
// UseHttpsRedirection on one path: it redirects only when it knows the HTTPS port (ASPNETCORE_HTTPS_PORT).
app.UseWhen(ctx => ctx.Request.Path.StartsWithSegments("/secure-only"), branch => branch.UseHttpsRedirection());
app.MapGet("/secure-only", () => "served over HTTPS");

// An absolute redirect built from what the app believes the request was: behind an HTTPS proxy it
// says https:// only when the forwarded headers are applied.
app.MapGet("/signin", (HttpContext ctx) => Results.Redirect($"{ctx.Request.Scheme}://{ctx.Request.Host}{ctx.Request.PathBase}/welcome"));
app.MapHub<EchoHub>("/hub");
// An endpoint that fails, as an app's bug does: a 500, an error log record and a span with status error.
app.MapGet("/boom", string () => throw new InvalidOperationException("the sample failed on purpose"));

app.Run();

/// <summary>Answers each message with the instance that holds the connection.</summary>
public class EchoHub : Microsoft.AspNetCore.SignalR.Hub
{
    public string Echo(string message) => $"{message} from {Environment.GetEnvironmentVariable("INSTANCE")}";
}
