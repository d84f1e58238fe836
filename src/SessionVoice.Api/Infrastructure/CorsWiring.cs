using Microsoft.AspNetCore.Cors.Infrastructure;

namespace SessionVoice.Api.Infrastructure;

public static class CorsWiring
{
    /// <summary>
    /// What <c>app.UseCors()</c> does (the default policy), with the middleware built directly:
    /// UseCors binds <see cref="CorsMiddleware.Invoke"/>'s extra parameter by compiling an expression
    /// tree, the one thing that still loads System.Linq.Expressions (~2.4 MB resident) once the
    /// endpoints' request delegates are generated at compile time.
    /// </summary>
    public static WebApplication UseDefaultCors(this WebApplication app)
    {
        var services = app.Services;
        app.Use(next =>
        {
            var cors = new CorsMiddleware(next, services.GetRequiredService<ICorsService>(), services.GetRequiredService<ILoggerFactory>());
            var policies = services.GetRequiredService<ICorsPolicyProvider>();
            return context => cors.Invoke(context, policies);
        });
        return app;
    }
}
