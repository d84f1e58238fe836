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
                await ApiError.WriteAsync(context, bad.StatusCode, bad.StatusCode == StatusCodes.Status413PayloadTooLarge ? "request body too large" : "bad request");
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
                StatusCodes.Status413PayloadTooLarge => "request body too large",
                StatusCodes.Status415UnsupportedMediaType => "content type must be application/json",
                StatusCodes.Status429TooManyRequests => "too many requests",
                _ => "request failed",
            };
            await response.WriteAsJsonAsync(new ApiError(message), ApiJsonContext.Default.ApiError);
        });
        return app;
    }
}
