using Microsoft.AspNetCore.Diagnostics;

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
}
