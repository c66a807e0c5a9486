// Aerie's Kestrel sample: says which instance answered and what ASP.NET Core made of the
// forwarded headers (with ASPNETCORE_FORWARDEDHEADERS_ENABLED=true, Request.Scheme and
// RemoteIpAddress come from X-Forwarded-Proto and X-Forwarded-For).
var builder = WebApplication.CreateBuilder(args);
var app = builder.Build();

app.MapGet("/healthz", () => Results.Ok("healthy"));
app.MapGet("/", (HttpContext ctx) => Results.Json(new
{
    app = "KestrelSample",
    instance = Environment.GetEnvironmentVariable("INSTANCE"),
    port = ctx.Connection.LocalPort,
    environment = app.Environment.EnvironmentName,
    scheme = ctx.Request.Scheme,
    host = ctx.Request.Host.Value,
    remoteIp = ctx.Connection.RemoteIpAddress?.ToString(),
    greeting = app.Configuration["Greeting"],
}));

app.Run();
