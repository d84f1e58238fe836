using SessionVoice.Core.Ethereum;

namespace SessionVoice.Benchmarks;

/// <summary>Fixed inputs shared by the benchmarks.</summary>
internal static class Fixtures
{
    /// <summary>Anvil's first account; its address is <see cref="Key0Address"/>.</summary>
    public const string Key0 = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

    public static readonly Address Key0Address = Address.Parse("0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266");

    public static PrivateKeySigner Signer() =>
        PrivateKeySigner.TryParse(Key0, out var signer) ? signer! : throw new InvalidOperationException("bad fixture key");

    /// <summary>Setup checks run once per process; a benchmark of a wrong answer is worthless.</summary>
    public static void Check(bool condition, string what)
    {
        if (!condition)
        {
            throw new InvalidOperationException("benchmark fixture check failed: " + what);
        }
    }
}
