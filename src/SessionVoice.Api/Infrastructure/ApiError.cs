using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;

namespace SessionVoice.Api.Infrastructure;

/// <summary>The one error shape clients know: <c>{ "error": "..." }</c>.</summary>
public sealed record ApiError([property: JsonPropertyName("error")] string Error)
{
    public static JsonHttpResult<ApiError> Result(int status, string message) => TypedResults.Json(new ApiError(message), ApiJsonContext.Default.ApiError, statusCode: status);

    public static JsonHttpResult<ApiError> BadRequest(string message) => Result(StatusCodes.Status400BadRequest, message);

    public static JsonHttpResult<ApiError> Unauthorized(string message) => Result(StatusCodes.Status401Unauthorized, message);

    public static JsonHttpResult<ApiError> Forbidden(string message) => Result(StatusCodes.Status403Forbidden, message);

    public static JsonHttpResult<ApiError> NotFound(string message) => Result(StatusCodes.Status404NotFound, message);

    public static Task WriteAsync(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new ApiError(message), ApiJsonContext.Default.ApiError);
    }
}
