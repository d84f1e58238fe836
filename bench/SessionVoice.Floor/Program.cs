// The floor of bench/load.sh: Kestrel with routing and one endpoint that writes a fixed JSON body of
// the size of the service's /health answer. Nothing else runs: no middleware, no logging, no
// telemetry. What it costs per request is what any ASP.NET Core service costs on this machine with
// this client (loopback TCP, epoll, the thread pool, HTTP/1.1 parsing), the part no change to
// SessionVoice.Api can take out.
//   SessionVoice.Floor [--urls http://127.0.0.1:PORT]
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
var app = builder.Build();
var body = """{"status":"ok","mode":"standalone","chain_id":6343,"escrow":"0x5FbDB2315678afecb367f032d93F642f64180aa3","oracle":"0x70997970C51812dc3A010C7d01b50e0d17dc79C8","webhooks":true,"attestation":"auto"}"""u8.ToArray();
app.MapGet("/health", (HttpContext context) =>
{
    context.Response.ContentType = "application/json";
    context.Response.ContentLength = body.Length;
    return context.Response.Body.WriteAsync(body).AsTask();
});
app.Run();
