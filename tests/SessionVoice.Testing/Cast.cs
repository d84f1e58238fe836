
namespace SessionVoice.Testing;

/// <summary>Foundry's cast: the reference encoder and signer our own code is compared with.</summary>
public static class Cast
{
    public static async Task<string> RunAsync(params string[] args)
    {
        var result = await ProcessRunner.RunAsync(RepoPaths.Cast, args);
        return result.EnsureSuccess("cast" + ProcessRunner.Quote(args));
    }
}
