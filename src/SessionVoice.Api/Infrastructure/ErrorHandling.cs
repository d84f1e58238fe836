using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Features;

namespace SessionVoice.Api.Infrastructure;

public static class ErrorHandling
{
    /// <summary>
    /// Unhandled failures become <c>{ "error": "internal error" }</c> (no stack, no secret); framework
    /// status pages (404 route, 405 method, 413 body) keep the same JSON shape.
    /// </summary>
    public static WebApplication UseJsonErrors(this WebApplication app)
    {
        app.UseExceptionHandler(handler => handler.Run(async context =>
        {
            var failure = context.Features.Get<IExceptionHandlerFeature>()?.Error;
            if (failure is BadHttpRequestException bad)
            {
                await ApiError.WriteAsync(context, FrameworkRefusals.Status(bad.StatusCode), FrameworkRefusals.Message(bad.StatusCode) ?? "bad request");
                return;
            }
            await ApiError.WriteAsync(context, StatusCodes.Status500InternalServerError, "internal error");
        }));
        app.UseStatusCodePages(async context =>
        {
            var response = context.HttpContext.Response;
            if (response.HasStarted || response.ContentLength is > 0 || response.ContentType is not null)
            {
                return;
            }
            var message = response.StatusCode switch
            {
                StatusCodes.Status404NotFound => "not found",
                StatusCodes.Status405MethodNotAllowed => "method not allowed",
                StatusCodes.Status401Unauthorized => "unauthorized",
                StatusCodes.Status403Forbidden => "forbidden",
                StatusCodes.Status415UnsupportedMediaType => "content type must be application/json",
                StatusCodes.Status429TooManyRequests => "too many requests",
                var status => FrameworkRefusals.Message(status) ?? "request failed",
            };
            await response.WriteAsJsonAsync(new ApiError(message), ApiJsonContext.Default.ApiError);
        });
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(FrameworkRefusals).FullName!);
        app.Use((context, next) => RefuseBadRequestsAsync(context, next, logger));
        return app;
    }

    /// <summary>
    /// What Kestrel finds wrong once the application reads the body (too large, too slow, bad chunking, cut short)
    /// arrives as <see cref="BadHttpRequestException"/>: answered here with its status and fixed message, never left to
    /// the exception handler (which would log it as an unhandled failure with its stack). An oversized or slow request
    /// is one warning line, whichever layer refused it.
    /// </summary>
    private static async Task RefuseBadRequestsAsync(HttpContext context, RequestDelegate next, ILogger logger)
    {
        if (context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody == true)
        {
            context.Request.Body = new ClientBodyStream(context.Request.Body);
        }
        try
        {
            await next(context);
        }
        catch (BadHttpRequestException bad)
        {
            if (context.Response.HasStarted)
            {
                LogRefusal(logger, context, bad.StatusCode);
                context.Abort();
                return;
            }
            context.Response.Clear();
            await ApiError.WriteAsync(context, FrameworkRefusals.Status(bad.StatusCode), FrameworkRefusals.Message(bad.StatusCode) ?? "bad request");
        }
        LogRefusal(logger, context, context.Response.StatusCode);
    }

    private static void LogRefusal(ILogger logger, HttpContext context, int status)
    {
        if (FrameworkRefusals.LevelOf(status) == LogLevel.Warning)
        {
            // The path only (its start): a query string is never logged.
            var path = context.Request.Path.Value ?? "";
            logger.LogWarning("Refused {Method} {Path}: {Status} {Error}", context.Request.Method, path.Length > 128 ? path[..128] + "…" : path, status, FrameworkRefusals.Message(status));
        }
    }

    /// <summary>
    /// The request body, where every failure to read it is the client's: Kestrel reports most framing errors as
    /// <see cref="BadHttpRequestException"/>, but a chunk size that overflows as a bare <see cref="IOException"/>
    /// (which would otherwise be a 500).
    /// </summary>
    private sealed class ClientBodyStream(Stream inner) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            try
            {
                return inner.Read(buffer, offset, count);
            }
            catch (IOException e) when (e is not BadHttpRequestException)
            {
                throw new BadHttpRequestException("bad request", StatusCodes.Status400BadRequest, e);
            }
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            try
            {
                return await inner.ReadAsync(buffer, cancellationToken);
            }
            catch (IOException e) when (e is not BadHttpRequestException)
            {
                throw new BadHttpRequestException("bad request", StatusCodes.Status400BadRequest, e);
            }
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
