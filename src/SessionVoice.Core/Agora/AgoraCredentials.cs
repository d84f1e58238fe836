
namespace SessionVoice.Core.Agora;

/// <summary>
/// The project's App ID and App Certificate. The certificate is the signing secret: it never
/// appears in <see cref="ToString"/>, in errors, or in logs.
/// </summary>
public sealed record AgoraCredentials(string AppId, string AppCertificate)
{
    private const int HexLength = 32;

    public string AppId { get; init => field = Require(value, nameof(AppId)); } = Require(AppId, nameof(AppId));

    public string AppCertificate { get; init => field = Require(value, nameof(AppCertificate)); } = Require(AppCertificate, nameof(AppCertificate));

    /// <summary>
    /// Both values must be exactly 32 hex characters (Agora's format). Case is kept as given: the
    /// certificate's ASCII text, not its decoded bytes, is what the signature is keyed with.
    /// </summary>
    public static bool TryCreate(string? appId, string? appCertificate, out AgoraCredentials? creds, out string? error)
    {
        creds = null;
        var appIdOk = IsHex32(appId);
        var certificateOk = IsHex32(appCertificate);
        error = (appIdOk, certificateOk) switch
        {
            (false, false) => "appId and appCertificate must each be 32 hex characters",
            (false, true) => "appId must be 32 hex characters",
            (true, false) => "appCertificate must be 32 hex characters",
            _ => null,
        };
        if (error is not null)
        {
            return false;
        }
        creds = new AgoraCredentials(appId!, appCertificate!);
        return true;
    }

    public override string ToString() => $"AgoraCredentials {{ AppId = {AppId}, AppCertificate = *** }}";

    /// <summary>Whether the text has the form of an App ID or App Certificate: 32 hex characters.</summary>
    public static bool IsWellFormed(string? text) => IsHex32(text);

    internal static bool IsHex32(string? text)
    {
        if (text is null || text.Length != HexLength)
        {
            return false;
        }
        foreach (var c in text)
        {
            if (!char.IsAsciiHexDigit(c))
            {
                return false;
            }
        }
        return true;
    }

    // The message names the field, never the value: the value may be the certificate.
    private static string Require(string value, string name) =>
        IsHex32(value) ? value : throw new ArgumentException($"{name} must be 32 hex characters", name);
}
